"""How far the cells of a binary workbook reach, before calamine reads it.

calamine lays a sheet out as a dense grid from A1 to its farthest cell. In an .xls (BIFF8) a
cell record carries 16-bit row and column numbers, in an .xlsb (BIFF12) 32-bit ones, so a
workbook of a few KB holding one cell at row 65,000 and column 16,000 makes calamine allocate
about a billion cells and abort the process (measured: exit 134). The .xlsx path learns the
extent from the sheet XML (xlsx.SheetScan); this module does the same for the binary formats by
walking their records (cell records only: row, column), so such a workbook is refused with a
message instead of ending the run.

Record layouts: [MS-XLS] 2.4 (BIFF8 records: BOF 0x0809, BOUNDSHEET 0x0085, cell records with
rw/col at the start of their data, MULRK/MULBLANK with colFirst..colLast) and [MS-XLSB] 2.1.4
(variable-length record type and size; BrtRowHdr 0 with rw; BrtCell* 1–13 with col first).
The .xls container (OLE2/CFB) is opened with `olefile`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

from xueji_check.load.model import LoadError

# Same bounds as the .xlsx scan: a sheet may ask for as many cells as its records could fill
# (a third of a table may be empty), at least FLOOR and at most CAP.
FLOOR = 5_000_000
CAP = 100_000_000
SPREAD = 4  # grid cells allowed per cell record

# BIFF8 cell records whose data starts with rw (2 bytes), col (2 bytes).
# BLANK, NUMBER, LABEL, BOOLERR, RK, LABELSST, FORMULA, RSTRING.
_XLS_CELLS = {0x0201, 0x0203, 0x0204, 0x0205, 0x027E, 0x00FD, 0x0006, 0x00D6}
_XLS_MULTI = {0x00BD, 0x00BE}  # MULRK, MULBLANK: rw, colFirst, ..., colLast (last 2 bytes)
_BOF, _BOUNDSHEET, _EOF = 0x0809, 0x0085, 0x000A


@dataclass
class Extent:
    """One sheet's cells: how many records, and the farthest row and column (0-based)."""

    sheet: str
    cells: int = 0
    max_row: int = -1
    max_col: int = -1

    def grid(self) -> int:
        return (self.max_row + 1) * (self.max_col + 1) if self.cells else 0

    def refusal(self) -> str | None:
        """Why calamine must not read this sheet (Chinese, says what to do), or None."""
        grid = self.grid()
        if grid <= max(FLOOR, min(CAP, self.cells * SPREAD)):
            return None
        size = f"{grid / 1e8:,.1f} 亿" if grid >= 1e8 else f"{grid / 1e4:,.0f} 万"
        return (f"工作表「{self.sheet}」的数据区域过大：最远的单元格在第 {self.max_row + 1} 行、第 {self.max_col + 1} 列，"
                f"读取时要从 A1 起展开约 {size}个单元格，远超文件的实际内容（{self.cells} 个单元格），会耗尽内存，已拒绝读取该文件；"
                "请用 Excel 或 WPS 打开，删除表格右侧和下方多余的行和列后另存为 .xlsx 再检查")


def _xls_extents(stream: bytes, names: dict[int, str]) -> list[Extent]:
    """Walk the BIFF8 records of a Workbook stream; one Extent per worksheet substream (named
    through the BOUNDSHEET offsets)."""
    out: list[Extent] = []
    cur: Extent | None = None
    pos, end = 0, len(stream)
    unpack = struct.unpack_from
    while pos + 4 <= end:
        rtype, size = unpack("<HH", stream, pos)
        data = pos + 4
        if rtype == _BOF:
            cur = Extent(names.get(pos, f"第 {len(out) + 1} 个工作表"))
            out.append(cur)
        elif cur is not None and size >= 4 and (rtype in _XLS_CELLS or rtype in _XLS_MULTI):
            row, col = unpack("<HH", stream, data)
            if rtype in _XLS_MULTI and size >= 6:
                col = max(col, unpack("<H", stream, data + size - 2)[0])
            cur.cells += 1
            if row > cur.max_row:
                cur.max_row = row
            if col > cur.max_col:
                cur.max_col = col
        pos = data + size
    return out


def _xls_sheet_names(stream: bytes) -> dict[int, str]:
    """BOUNDSHEET records of the globals substream: stream offset of a sheet's BOF → its name."""
    names: dict[int, str] = {}
    pos, end = 0, len(stream)
    while pos + 4 <= end:
        rtype, size = struct.unpack_from("<HH", stream, pos)
        if rtype == _BOUNDSHEET and size >= 8:
            offset = struct.unpack_from("<I", stream, pos + 4)[0]
            n, flags = stream[pos + 10], stream[pos + 11]
            raw = stream[pos + 12: pos + 12 + (n * 2 if flags & 1 else n)]
            names[offset] = raw.decode("utf-16-le" if flags & 1 else "latin-1", errors="replace")
        elif rtype == _EOF:
            break
        pos += 4 + size
    return names


def check_xls(fh: BinaryIO) -> None:
    """Refuse an .xls whose cells reach so far that calamine would exhaust memory (LoadError,
    Chinese). A container olefile cannot open is left to calamine, which says why."""
    import olefile

    fh.seek(0)
    try:
        ole = olefile.OleFileIO(fh)
    except (OSError, ValueError, struct.error):
        return
    try:
        name = next((n for n in ("Workbook", "Book") if ole.exists(n)), None)
        if name is None:
            return
        stream = ole.openstream(name).read()
    except (OSError, ValueError, struct.error):
        return
    finally:
        ole.close()
        fh.seek(0)
    for ext in _xls_extents(stream, _xls_sheet_names(stream)):
        why = ext.refusal()
        if why:
            raise LoadError(why)


def _varint(data: bytes, pos: int, limit: int) -> tuple[int, int]:
    """A BIFF12 variable-length number of up to `limit` bytes (7 bits each, high bit: more)."""
    value = shift = 0
    for _ in range(limit):
        if pos >= len(data):
            raise IndexError
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            break
    return value, pos


def xlsb_extent(sheet: str, data: bytes) -> Extent:
    """The extent of one .xlsb sheet part (BIFF12 records): BrtRowHdr (0) sets the row, the
    cell records (1–13) carry their column first."""
    ext = Extent(sheet)
    pos, row = 0, 0
    try:
        while pos < len(data):
            rtype, pos = _varint(data, pos, 2)
            size, pos = _varint(data, pos, 4)
            if rtype == 0 and size >= 4:
                row = struct.unpack_from("<I", data, pos)[0]
            elif 1 <= rtype <= 13 and size >= 4:
                col = struct.unpack_from("<I", data, pos)[0]
                ext.cells += 1
                ext.max_row = max(ext.max_row, row)
                ext.max_col = max(ext.max_col, col)
            pos += size
    except (IndexError, struct.error):
        pass  # a cut record: what was read so far counts; calamine reports the damage itself
    return ext
