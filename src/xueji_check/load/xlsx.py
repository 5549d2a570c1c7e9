"""Workbooks: zip checks (corrupt, encrypted, bombs), what calamine does not tell (merged
ranges, error cells, the used range), and the calamine read itself."""

from __future__ import annotations

import io
import os
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import BinaryIO

import polars as pl

from xueji_check.load.model import LoadError, Problem, RawSheet, _detail, _first_line
from xueji_check.memory import release_free_memory

# A workbook whose parts inflate beyond this is refused (zip bomb guard).
MAX_UNZIPPED_BYTES = 3 * 1024**3
MAX_ZIP_RATIO = 250  # real workbooks inflate 5-50 times; bombs about 1000
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_MARKS = ("EncryptedPackage".encode("utf-16-le"), "EncryptionInfo".encode("utf-16-le"))
MAX_ENTRY_RATIO_BYTES = 50 * 1024**2  # entries that could inflate past this are measured, not trusted
DEFLATE_MAX_RATIO = 1032
_CELL_REF = re.compile(r"^([A-Z]{1,3})(\d+)$")


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _ref(ref: str) -> tuple[int, int] | None:
    m = _CELL_REF.match(ref.replace("$", ""))
    return (int(m.group(2)) - 1, _col_index(m.group(1))) if m else None


@dataclass
class SheetScan:
    """What calamine does not tell: merged ranges, error cells and the used range of one sheet."""

    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # r0, c0, r1, c1 (0-based)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (A1 ref, #N/A)
    first_col: int = 0


_MERGE_RE = re.compile(rb'<mergeCell\s+ref="([A-Z$]+\d+):([A-Z$]+\d+)"')
_ERROR_RE = re.compile(rb'<c\s[^>]{0,200}?r="([A-Z]+\d+)"[^>]{0,200}?t="e"[^>]{0,200}>'
                       rb'(?:<f[^>]{0,200}/>|<f[^>]{0,200}>[^<]{0,2000}</f>)?<v>([^<]{0,20})</v>')
_ERROR_RE2 = re.compile(rb'<c\s[^>]{0,200}?t="e"[^>]{0,200}?r="([A-Z]+\d+)"[^>]{0,200}>'
                        rb'(?:<f[^>]{0,200}/>|<f[^>]{0,200}>[^<]{0,2000}</f>)?<v>([^<]{0,20})</v>')
_DIM_RE = re.compile(rb'<dimension\s+ref="([A-Z]+)\d+')


def _bomb(total: int, packed: int) -> LoadError:
    return LoadError(
        f"文件解压后达 {total / 1024**2:,.0f} MB 以上（压缩比 {total / max(packed, 1):,.0f} 倍），疑似压缩炸弹，已拒绝读取；"
        "请确认文件来源，或用 Excel 打开后另存为普通 xlsx 再检查"
    )


def _inflate_entry(fh: io.BufferedIOBase, info: zipfile.ZipInfo, limit: int, sink=None) -> int:
    """Stream-decompress one zip entry from its raw bytes, counting what it inflates to and
    stopping past `limit`. Memory stays bounded whatever the entry declares."""
    fh.seek(info.header_offset)
    head = fh.read(30)
    if len(head) < 30 or head[:4] != b"PK\x03\x04":
        raise LoadError("文件已损坏（压缩包结构不完整），请重新从系统导出后再检查")
    name_len = int.from_bytes(head[26:28], "little")
    extra_len = int.from_bytes(head[28:30], "little")
    fh.seek(info.header_offset + 30 + name_len + extra_len)
    left = info.compress_size
    if info.compress_type == zipfile.ZIP_STORED:
        size = 0
        while left > 0:
            chunk = fh.read(min(left, 1 << 20))
            if not chunk:
                break
            left -= len(chunk)
            size += len(chunk)
            if sink:
                sink(chunk)
        return size
    if info.compress_type != zipfile.ZIP_DEFLATED:
        return info.file_size
    d = zlib.decompressobj(-15)
    size = 0
    while left > 0 and not d.eof:
        chunk = fh.read(min(left, 1 << 16))
        if not chunk:
            raise LoadError("文件已损坏（压缩包被截断），请重新从系统导出后再检查")
        left -= len(chunk)
        buf = chunk
        while buf and not d.eof:
            try:
                out = d.decompress(buf, 1 << 20)
            except zlib.error as exc:
                raise LoadError(f"文件已损坏（压缩包内 {info.filename} 无法解压），请重新从系统导出后再检查") from exc
            size += len(out)
            if size > limit:
                return size
            if sink:
                sink(out)
            buf = d.unconsumed_tail
    return size


class _Scanner:
    """Collect merged ranges and error cells from a sheet XML stream, chunk by chunk. A match is
    taken once: when it starts before the overlap kept for the next chunk (or at the end)."""

    OVERLAP = 4096

    def __init__(self) -> None:
        self.scan = SheetScan()
        self.tail = b""
        self.dim_seen = False

    def __call__(self, chunk: bytes) -> None:
        if self.dim_seen and not self._marked(chunk):
            # Nothing can match in tail + chunk (almost every chunk of a big sheet): keep only
            # the new overlap, without copying the chunk.
            if len(chunk) >= self.OVERLAP:
                self.tail = chunk[-self.OVERLAP:]
            else:
                self.tail = (self.tail + chunk)[-self.OVERLAP:]
            return
        self._scan(self.tail + chunk, final=False)

    def _marked(self, chunk: bytes) -> bool:
        """Whether tail + chunk holds the start of a merge or error-cell match (the text every
        match contains), looked for without joining the two."""
        marks = [b"<mergeCell"]
        if len(self.scan.errors) < 10_000:
            marks.append(b't="e"')
        return any(m in chunk or m in self.tail + chunk[: len(m) - 1] for m in marks)

    def close(self) -> SheetScan:
        self._scan(self.tail, final=True)
        return self.scan

    def _scan(self, data: bytes, final: bool) -> None:
        if not self.dim_seen:
            m = _DIM_RE.search(data)
            if m:
                self.scan.first_col = _col_index(m.group(1).decode())
                self.dim_seen = True
            elif b"<sheetData" in data:
                self.dim_seen = True
        cut = len(data) if final else max(0, len(data) - self.OVERLAP)
        if b"<mergeCell" in data:
            for m in _MERGE_RE.finditer(data):
                if m.start() >= cut:
                    break
                a, b = _ref(m.group(1).decode()), _ref(m.group(2).decode())
                if a and b:
                    self.scan.merges.append((a[0], a[1], b[0], b[1]))
        if b't="e"' in data and len(self.scan.errors) < 10_000:
            found = []
            for rx in (_ERROR_RE, _ERROR_RE2):
                found += [(m.start(), m.group(1).decode(), m.group(2).decode(errors="replace"))
                          for m in rx.finditer(data) if m.start() < cut]
            self.scan.errors += [(ref, v) for _, ref, v in sorted(found)]
        self.tail = data[cut:]


def _sheet_paths(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> path of its XML part inside the xlsx."""
    import xml.etree.ElementTree as ET

    try:
        wb = ET.fromstring(zf.read("xl/workbook.xml"))
        rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ET.ParseError, zipfile.BadZipFile, zlib.error):
        return {}
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    out = {}
    for el in wb.iter():
        if el.tag.endswith("}sheet"):
            rid = next((v for k, v in el.attrib.items() if k.endswith("}id")), None)
            target = targets.get(rid, "")
            target = target.lstrip("/") if target.startswith("/") else "xl/" + target
            out[el.get("name", "")] = target
    return out


def scan_zip(data: bytes | BinaryIO) -> dict[str, SheetScan]:
    """Refuse corrupt zips and zip bombs (bounded memory: entries are measured by streaming,
    never trusted from the header); return per-sheet merges and error cells. `data` is the
    workbook's bytes or the open (seekable, binary) file."""
    fh = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
    try:
        zf = zipfile.ZipFile(fh)
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise LoadError("文件已损坏（不是完整的 xlsx 压缩包），请重新从系统导出后再检查") from exc
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if total > MAX_UNZIPPED_BYTES or (total > 100 * 1024**2 and total / packed > MAX_ZIP_RATIO):
        raise _bomb(total, packed)
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names and "mimetype" not in names:
        raise LoadError("文件已损坏（压缩包中没有 Excel 工作簿内容），请重新从系统导出后再检查")
    sheet_of_path = {v: k for k, v in _sheet_paths(zf).items()}
    scans: dict[str, SheetScan] = {}
    inflated = 0
    for info in infos:
        is_sheet = info.filename in sheet_of_path
        could_exceed = info.compress_size * DEFLATE_MAX_RATIO > MAX_ENTRY_RATIO_BYTES
        if not is_sheet and not could_exceed:
            inflated += info.file_size
            continue
        scanner = _Scanner() if is_sheet else None
        # An entry may inflate to what it declares (checked above); more than that is a lie.
        limit = max(info.file_size, 1 << 20)
        size = _inflate_entry(fh, info, limit, scanner)
        if size > limit:
            raise _bomb(max(size, total), packed)
        inflated += size
        if inflated > MAX_UNZIPPED_BYTES:
            raise _bomb(inflated, packed)
        if size != info.file_size and info.compress_type in (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED):
            raise LoadError(f"文件已损坏（压缩包内 {info.filename} 长度不符），请重新从系统导出后再检查")
        if scanner is not None:
            scans[sheet_of_path[info.filename]] = scanner.close()
    return scans


def _is_encrypted_ole(data: bytes | BinaryIO) -> bool:
    if isinstance(data, bytes | bytearray):
        head, tail = data[:1 << 20], data[-(1 << 20):]
    else:
        data.seek(0)
        head = data.read(1 << 20)
        data.seek(max(0, data.seek(0, io.SEEK_END) - (1 << 20)))
        tail = data.read()
        data.seek(0)
    return any(m in head or m in tail for m in ENCRYPTED_MARKS)


ENCRYPTED_MSG = "文件已加密（设置了打开密码），请在 Excel 中取消密码（文件→信息→保护工作簿→用密码进行加密，清空密码）后另存再检查"


def _apply_merges(df: pl.DataFrame, scan: SheetScan) -> tuple[pl.DataFrame, int]:
    """Copy each merged range's top-left value into the whole range (what a person sees)."""
    if not scan.merges or df.height == 0:
        return df, 0
    cols: dict[int, list] = {}
    n = 0
    for r0, c0, r1, c1 in scan.merges:
        c0, c1 = c0 - scan.first_col, c1 - scan.first_col
        if c0 < 0 or r0 >= df.height or c0 >= df.width or (r0 == r1 and c0 == c1):
            continue
        c1, r1 = min(c1, df.width - 1), min(r1, df.height - 1)
        top = cols.setdefault(c0, df.get_column(f"c{c0}").to_list())[r0]
        if top is None:
            continue
        n += 1
        for c in range(c0, c1 + 1):
            values = cols.setdefault(c, df.get_column(f"c{c}").to_list())
            for r in range(r0, r1 + 1):
                if values[r] is None or values[r] == "":
                    values[r] = top
    if not cols:
        return df, 0
    return df.with_columns(pl.Series(f"c{c}", v, dtype=pl.String) for c, v in cols.items()), n


def read_excel_bytes(data: bytes | BinaryIO, display: str, problems: list[Problem]) -> list[RawSheet]:
    """Read every sheet of a workbook (xlsx/xlsm/xls/ods, found from the content) as text.
    `data` is the workbook's bytes or the open (seekable, binary) file: calamine then reads the
    file itself, so the workbook is not held in memory twice (once here, once in calamine)."""
    fh = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
    fh.seek(0)
    head = fh.read(4096)
    if not head:
        raise LoadError("文件是空的（0 字节），请重新导出")
    scans: dict[str, SheetScan] = {}
    if head.startswith(b"PK"):
        scans = scan_zip(fh)
    elif head.startswith(OLE_MAGIC):
        if _is_encrypted_ole(fh):
            raise LoadError(ENCRYPTED_MSG)
    else:
        raise LoadError(f"文件内容不是 Excel 格式（{_content_hint(head)}），请用 Excel 打开后另存为 .xlsx 再检查")
    try:
        return _read_workbook(data, fh, scans, display, problems)
    finally:
        # calamine's freed heap, before the next workbook is parsed; only after big workbooks
        # (trimming walks the whole heap: after each of thousands of small files it would add up)
        if fh.seek(0, io.SEEK_END) >= TRIM_AFTER_BYTES:
            release_free_memory()


TRIM_AFTER_BYTES = 8 * 1024**2


def _open_workbook(data: bytes | BinaryIO, fh: BinaryIO):
    """calamine's reader: on the open file through /proc/self/fd (the same file that was hashed
    and scanned, read by calamine without a copy of it in Python), else on the bytes."""
    import fastexcel

    if not isinstance(data, bytes | bytearray):
        proc = f"/proc/self/fd/{fh.fileno()}"
        if os.path.exists(proc):
            try:
                reader = fastexcel.read_excel(proc)
                return reader, reader.sheet_names
            except Exception:  # read the bytes instead: calamine's own message for them
                pass
        fh.seek(0)
        data = fh.read()
    try:
        reader = fastexcel.read_excel(data)
        return reader, reader.sheet_names
    except Exception as exc:  # calamine errors are varied; name the cause
        raise _excel_error(exc) from exc


def _read_workbook(data: bytes | BinaryIO, fh: BinaryIO, scans: dict[str, SheetScan], display: str,
                   problems: list[Problem]) -> list[RawSheet]:
    reader, names = _open_workbook(data, fh)
    out = []
    for name in names:
        try:
            sheet = reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="string")
            df = sheet.to_polars()
            hidden = getattr(sheet, "visible", "visible") != "visible"
        except Exception as exc:
            text = str(exc).lower()
            if "empty" in text or "no data" in text:
                df, hidden = pl.DataFrame(), False
            else:
                problems.append(Problem("error", display, name, None,
                                        f"该工作表无法读取（{_first_line(exc)}），已跳过；请用 Excel 打开后另存再检查",
                                        detail=_detail(exc)))
                continue
        df = df.rename({c: f"c{i}" for i, c in enumerate(df.columns)}).cast(pl.String)
        scan = scans.get(name)
        if scan is not None:
            df, merged = _apply_merges(df, scan)
            if merged:
                problems.append(Problem("info", display, name, None,
                                        f"有 {merged} 处合并单元格，已把每处左上角的值填入整个合并区域"))
            if scan.errors:
                shown = "、".join(f"{ref}（{v}）" for ref, v in scan.errors[:5])
                more = f"等 {len(scan.errors)} 处" if len(scan.errors) > 5 else ""
                first_row = _ref(scan.errors[0][0])
                problems.append(Problem(
                    "warning", display, name, first_row[0] + 1 if first_row else None,
                    f"单元格 {shown}{more}是公式错误值，已按空值处理；请在 Excel 中修正公式后重新导出"))
        out.append(RawSheet(display, name, df, hidden=hidden))
    return out


def _excel_error(exc: BaseException) -> LoadError:
    text = _first_line(exc)
    low = text.lower()
    if "password" in low or "encrypt" in low:
        return LoadError(ENCRYPTED_MSG)
    if "zip" in low or "eof" in low or "invalid" in low or "cfb" in low or "unexpected" in low:
        return LoadError(f"文件已损坏，无法读取（{text}）；请重新从系统导出，或用 Excel 打开后另存为 .xlsx 再检查")
    return LoadError(f"无法读取该 Excel 文件（{text}），请用 Excel 打开后另存为 .xlsx 再检查")


def _content_hint(data: bytes) -> str:
    head = data[:8]
    if head.startswith(b"%PDF"):
        return "实际是 PDF 文件"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        return "实际是图片"
    if head.startswith(b"Rar!") or head.startswith(b"7z\xbc\xaf"):
        return "实际是压缩包"
    if head.lstrip().lower().startswith((b"<html", b"<!doc", b"<?xml", b"<table")):
        return "实际是网页/XML 文本"
    try:
        data[:4096].decode("utf-8")
        return "实际是文本文件"
    except UnicodeDecodeError:
        return "无法识别的内容"

