"""Workbooks: zip checks (corrupt, encrypted, bombs), what calamine does not tell (merged
ranges, error cells, formula cells without a saved value), the extent calamine would lay out
(measured from the sheet XML before calamine sees it: a sheet it would blow up on is refused
with a message, the run goes on), and the calamine read itself, in Excel's own coordinates."""

from __future__ import annotations

import io
import os
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import BinaryIO

import polars as pl

from xueji_check.load.biff import check_xls, xlsb_extent
from xueji_check.load.model import (
    LoadError,
    Problem,
    RawSheet,
    _detail,
    _first_line,
    shown_sheet_names,
)
from xueji_check.memory import release_free_memory

# A workbook whose parts inflate beyond this is refused (zip bomb guard).
MAX_UNZIPPED_BYTES = 3 * 1024**3
MAX_ZIP_RATIO = 250  # real workbooks inflate 5-50 times; bombs about 1000
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_MARKS = ("EncryptedPackage".encode("utf-16-le"), "EncryptionInfo".encode("utf-16-le"))
MAX_ENTRY_RATIO_BYTES = 50 * 1024**2  # entries that could inflate past this are measured, not trusted
DEFLATE_MAX_RATIO = 1032
_CELL_REF = re.compile(r"^([A-Z]{1,3})(\d+)$")

# Excel's own limits (0-based): XFD1048576 is the last cell of a sheet.
MAX_ROW = 1_048_575
MAX_COL = 16_383
# calamine lays a sheet out as one dense grid from A1 to its farthest non-empty cell (about 50
# bytes a cell, measured with fastexcel 0.21: A1 + Z1048576 took 1.4 GB). A grid is allowed as
# many cells as its XML could plausibly fill (a real cell takes 25+ bytes of XML; a third of a
# table may be empty), at least DENSE_FLOOR and at most DENSE_CAP cells; beyond that the sheet
# is refused with a message naming its farthest cells, before calamine sees it.
DENSE_FLOOR = 5_000_000
DENSE_CAP = 100_000_000
XML_BYTES_PER_CELL = 8
MAX_MERGES = 2_000_000  # merged ranges kept per sheet (16 bytes each); more are counted, not kept
MAX_FORMULAS = 100_000  # formula cells without a saved value kept per sheet; more are counted


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _col_name(i: int) -> str:
    """0-based column index to Excel letters (0 -> A, 16383 -> XFD)."""
    out = ""
    i += 1
    while i > 0:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def _ref(ref: str) -> tuple[int, int] | None:
    m = _CELL_REF.match(ref.replace("$", ""))
    return (int(m.group(2)) - 1, _col_index(m.group(1))) if m else None


def _parse_ref(ref: bytes) -> tuple[int, int] | None:
    """A cell reference as calamine reads it (letters in any case, then digits) -> 0-based
    (row, col); None if it is not one. Huge values are kept (and later refused), not wrapped."""
    m = re.fullmatch(rb"([A-Za-z]{0,12})([0-9]{1,12})", ref)
    if not m or not m.group(1):
        return None
    col = 0
    for ch in m.group(1).upper():
        col = col * 26 + ch - 64
    return int(m.group(2)) - 1, col - 1


def _gt_number(n: int) -> str:
    """Regex for a decimal integer (no leading zeros) greater than n >= 0."""
    s = str(n)
    alts = [f"[1-9][0-9]{{{len(s)},}}"]
    for i, ch in enumerate(s):
        d = int(ch)
        if d < 9:
            rest = len(s) - i - 1
            alts.append(f"{s[:i]}[{d + 1}-9]" + (f"[0-9]{{{rest}}}" if rest else ""))
    return "(?:" + "|".join(alts) + ")"


def _gt_letters(col: int) -> str:
    """Regex (any case, as calamine reads them) for column letters after column `col` (0-based).
    Classes are spelt out: a case-insensitive flag would bring in Unicode's case folding."""
    s = _col_name(col)
    both = "".join(f"[{ch}{ch.lower()}]" for ch in s)
    alts = [f"[A-Za-z]{{{len(s) + 1},}}"]
    for i, ch in enumerate(s):
        if ch < "Z":
            nxt = chr(ord(ch) + 1)
            rest = len(s) - i - 1
            alts.append(f"{both[:4 * i]}[{nxt}-Z{nxt.lower()}-z]" + (f"[A-Za-z]{{{rest}}}" if rest else ""))
    return "(?:" + "|".join(alts) + ")"


# The patterns below are read by Rust's regex (Polars) and Python's re alike. They use XML's own
# white space (space, tab, CR, LF) and ASCII classes: Unicode word classes and case folding make
# Rust compile each pattern in milliseconds. Two alternatives start with \s all the same: with
# an ASCII class there, Rust's regex takes the very common space as a literal to look for first,
# and searched a sheet at half the speed (measured); \s matches more than XML's white space,
# which only sends a chunk to the exact Python parse more often (never in practice).
_WS = r"[\t\n\r ]"
_NS = r"(?:[A-Za-z_][A-Za-z0-9_.-]*:)?"  # an element's namespace prefix (x:c), which calamine ignores
_END = r"[\t\n\r />]"  # what may follow an element's name
_NO_VALUE = rf"(?:<{_NS}v{_WS}*/>|<{_NS}v>{_WS}*</{_NS}v>)?"
# A cell tag without an r attribute: calamine places it after the previous cell of its row.
_NO_REF_CELL = (rf"""<{_NS}c(?:{_WS}+(?:[^\t\n\r r=>/][^\t\n\r =>/]*|r[^\t\n\r =>/]+){_WS}*={_WS}*"""
                rf"""(?:"[^"]*"|'[^']*'))*{_WS}*>""")
# A formula cell without a saved value (written by a program, never calculated).
_FORMULA_NO_VALUE = (rf"</{_NS}f>{_WS}*{_NO_VALUE}{_WS}*</{_NS}c>"
                     rf"|<{_NS}f{_WS}[^>]*/>{_WS}*{_NO_VALUE}{_WS}*</{_NS}c>|<{_NS}f/>{_WS}*{_NO_VALUE}{_WS}*</{_NS}c>")
_SHARED_MASTER = rf"<{_NS}f{_WS}[^>]*{_WS}ref{_WS}*="
_MERGE_MARK = rf"<{_NS}mergeCell{_END}"
_ERROR_MARK = rf"""\st{_WS}*={_WS}*["']e["']"""

_NSB = _NS.encode()
_WSB = _WS.encode()
# What follows the tag of a cell calamine leaves out (no value). A formula cell without a value
# is not left out here: its value may be filled in (see _resolve_formulas), so it takes room.
_EMPTY_AFTER_TAG = re.compile(_WSB + rb"*" + _NO_VALUE.encode() + _WSB + rb"*</" + _NSB + rb"c>")
_FNOV_RE = re.compile(rb"<" + _NSB + rb"c((?:" + _WSB + rb"[^>]*)?)>" + _WSB + rb"*<" + _NSB + rb"f((?:" + _WSB
                      + rb"[^>]*?)?)(?:/>|>([^<]*)</" + _NSB + rb"f>)" + _WSB + rb"*" + _NO_VALUE.encode() + _WSB
                      + rb"*</" + _NSB + rb"c>")
_SHARED_RE = re.compile(rb"<" + _NSB + rb"c((?:" + _WSB + rb"[^>]*)?)>" + _WSB + rb"*<" + _NSB + rb"f(" + _WSB
                        + rb"[^>]*" + _WSB + rb"ref" + _WSB + rb"*=[^>]*)>([^<]*)</" + _NSB + rb"f>")
_ELEMENT_NAME = re.compile(rb"<([\w.:-]+)")
_ATTR_RES: dict[bytes, re.Pattern] = {}


def _attr(attrs: bytes, name: bytes) -> bytes | None:
    rx = _ATTR_RES.get(name)
    if rx is None:
        rx = _ATTR_RES[name] = re.compile(rb"(?:^|\s)" + name + rb"""\s*=\s*(?:"([^"]*)"|'([^']*)')""")
    m = rx.search(attrs)
    return None if m is None else (m.group(1) if m.group(1) is not None else m.group(2))


@dataclass
class SheetScan:
    """What calamine does not tell, from one sheet's XML: merged ranges, error cells, formula
    cells without a saved value, and how far its non-empty cells reach (calamine would lay the
    sheet out as a dense grid from A1 to there)."""

    merge_parts: list[pl.DataFrame] = field(default_factory=list)  # r0, c0, r1, c1 (0-based, Int64)
    merge_count: int = 0  # ranges kept in merge_parts
    merges_dropped: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)  # (A1 ref, #N/A)
    first_col: int = 0  # from <dimension>
    xml_bytes: int = 0
    row_bound: int = 0  # every non-empty cell's row (0-based) is at most this
    col_bound: int = 0  # ... and its column
    far_row: tuple[int, str] | None = None  # the lowest non-empty cell seen beyond the first bounds
    far_col: tuple[int, str] | None = None  # the rightmost one
    invalid: list[str] = field(default_factory=list)  # non-empty cells past XFD1048576
    no_ref: bool = False  # some cell has no r attribute (bounds then come from a second, exact pass)
    formulas: list[tuple[int, int, str | None, str | None]] = field(default_factory=list)  # row, col, text, shared si
    formula_count: int = 0
    shared: dict[str, tuple[int, int, str]] = field(default_factory=dict)  # si -> master row, col, text

    def merge_frame(self) -> pl.DataFrame:
        """The merged ranges: r0, c0, r1, c1 (0-based, Int64), in document order."""
        if not self.merge_parts:
            return pl.DataFrame(schema={k: pl.Int64 for k in ("r0", "c0", "r1", "c1")})
        return pl.concat(self.merge_parts)

    @property
    def merges(self) -> list[tuple[int, int, int, int]]:
        return list(self.merge_frame().iter_rows())

    def grid_cells(self) -> int:
        """Cells of the dense grid calamine would allocate (an upper bound)."""
        return (min(self.row_bound, MAX_ROW) + 1) * (min(self.col_bound, MAX_COL) + 1)

    def grid_limit(self) -> int:
        return max(DENSE_FLOOR, min(DENSE_CAP, self.xml_bytes // XML_BYTES_PER_CELL))

    def refusal(self) -> str | None:
        """Why this sheet must not be handed to calamine (Chinese, says what to do), or None."""
        if self.invalid:
            shown = "、".join(self.invalid[:3])
            return (f"单元格 {shown} 超出了 Excel 的范围（最后一个单元格是 XFD1048576），文件已损坏或不是由 Excel 正常生成，"
                    "已跳过该工作表；请用 Excel 或 WPS 打开后另存为 .xlsx 再检查")
        cells = self.grid_cells()
        if cells <= self.grid_limit():
            return None
        far = []
        if self.far_col is not None and self.far_row is not None and self.far_col[1] == self.far_row[1]:
            far.append(f"最远的单元格 {self.far_col[1]}")
        else:
            if self.far_col is not None:
                far.append(f"最右的单元格 {self.far_col[1]}")
            if self.far_row is not None:
                far.append(f"最下的单元格 {self.far_row[1]}")
        where = "，".join(far) or "有内容的单元格分布过广"
        size = f"{cells / 1e8:,.1f} 亿" if cells >= 1e8 else f"{cells / 1e4:,.0f} 万"
        return (f"工作表的数据区域过大：{where}，读取时要从 A1 起展开约 {size}个单元格，远超文件的实际内容，会耗尽内存，"
                "已跳过该工作表；多半是表格以外误输入或残留了内容，请在 Excel 中删除表格右侧和下方多余的行和列"
                "（选中后右键“删除”，不是清除格式），保存后再检查")


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


_MERGE_PATTERN = _NS + r"mergeCell" + _WS + r'+ref="([A-Z$]+[0-9]+):([A-Z$]+[0-9]+)"'


def _col_number(letters: pl.Expr) -> pl.Expr:
    """Excel column letters (1 to 3, upper case) to a 0-based index; null stays null."""
    n = letters.str.len_bytes()

    def letter(i: int) -> pl.Expr:  # the i-th letter from the right, A=1 … Z=26; 0 if none
        return pl.when(n >= i).then(letters.str.slice(-i, 1).str.to_integer(base=36, strict=False) - 9).otherwise(0)

    return letter(1) + 26 * letter(2) + 676 * letter(3) - 1
_ERROR_RE = re.compile(rb'<c\s[^>]{0,200}?r="([A-Z]+\d+)"[^>]{0,200}?t="e"[^>]{0,200}>'
                       rb'(?:<f[^>]{0,200}/>|<f[^>]{0,200}>[^<]{0,2000}</f>)?<v>([^<]{0,20})</v>')
_ERROR_RE2 = re.compile(rb'<c\s[^>]{0,200}?t="e"[^>]{0,200}?r="([A-Z]+\d+)"[^>]{0,200}>'
                        rb'(?:<f[^>]{0,200}/>|<f[^>]{0,200}>[^<]{0,2000}</f>)?<v>([^<]{0,20})</v>')
_DIM_RE = re.compile(rb'<dimension\s+ref="([A-Z]+)\d+')
_DIM_FULL_RE = re.compile(rb'<dimension\s+ref="([A-Za-z]+[0-9]+)(?::([A-Za-z]+[0-9]+))?"')
_NOTHING = pl.Series("m", [], dtype=pl.String)
_R_ATTR = re.compile(rb"""\sr\s*=\s*["']([^"'<>]{0,40})["']""")
_NO_REF_RE = re.compile(_NO_REF_CELL.encode())


def _as_text(data: bytes) -> pl.Series:
    """`data` (a piece of sheet XML, cut anywhere) as a one-value String Series to search: the
    bytes taken as they are, less a character cut in two at either end (no match of the scan's
    ASCII patterns can hold part of one; the overlap kept brings it whole into the next search);
    bytes that are no UTF-8 are searched as U+FFFD. Taking the bytes into a Binary Series and
    casting it validates in Rust: decoding in Python first took 1.9 s of a 1M-row sheet's 6 s."""
    start, end = 0, len(data)
    while start < min(3, end) and data[start] & 0xC0 == 0x80:  # continuation bytes of a char before
        start += 1
    lead = end - 1  # the last character's lead byte, when it lacks the bytes it announces
    while lead > max(start, end - 4) and data[lead] & 0xC0 == 0x80:
        lead -= 1
    if lead >= start and 0xC2 <= data[lead] <= 0xF4:  # a lead byte UTF-8 allows
        need = 2 if data[lead] < 0xE0 else 3 if data[lead] < 0xF0 else 4
        if end - lead < need:
            end = lead
    try:
        return pl.Series([data[start:end]], dtype=pl.Binary).cast(pl.String)
    except pl.exceptions.PolarsError:
        return pl.Series([data.decode("utf-8", errors="replace")], dtype=pl.String)


class _Scanner:
    """Read one sheet's XML stream chunk by chunk (bounded memory): merged ranges, error cells,
    formula cells without a saved value, and how far the non-empty cells reach.

    Each chunk is first checked by one Polars (Rust regex) search for anything of interest: a
    merge, an error cell, a formula without a value, a shared formula, a cell without an r
    attribute, or a cell reference beyond the bounds known so far. Almost every chunk of a big
    sheet has none of these; the others are parsed in Python. A match is taken once: when it
    starts before the overlap kept for the next chunk (or at the end). The bounds grow with
    what is found (rows by half again, so a sheet of a million rows re-parses a few dozen
    chunks), so they are an upper bound of the extent calamine will lay out."""

    OVERLAP = 4096

    def __init__(self) -> None:
        self.scan = SheetScan()
        self.tail = b""
        self.dim_seen = False
        self._key: tuple | None = None
        self._pattern = ""
        self._violator: re.Pattern | None = None
        self._violator_text = ""
        self._tail_searched = False

    def _patterns(self) -> None:
        sc = self.scan
        key = (sc.row_bound, sc.col_bound, len(sc.errors) < 10_000, sc.no_ref)
        if key == self._key:
            return
        self._key = key
        parts = [_FORMULA_NO_VALUE, _SHARED_MASTER, _MERGE_MARK]
        if len(sc.errors) < 10_000:
            parts.append(_ERROR_MARK)
        if not sc.no_ref:  # once a cell without r is seen, the second pass measures the extent
            # a whole reference (to the closing quote) past the column or the row bound
            viol = (rf"""\sr{_WS}*={_WS}*["'](?:""" + _gt_letters(sc.col_bound) + "[0-9]+|[A-Za-z]*0*"
                    + _gt_number(sc.row_bound + 1) + r""")["']""")
            self._violator = re.compile(viol.encode())
            self._violator_text = viol
            parts += [viol, _NO_REF_CELL]
        self._pattern = "|".join(parts)

    def __call__(self, chunk: bytes) -> None:
        self.scan.xml_bytes += len(chunk)
        data = self.tail + chunk if self.tail else chunk
        if not self.dim_seen:
            self._claimed(data)
        found = self._found(data)
        self._tail_searched = found.len() == 0  # the tail kept is part of what was searched
        if self.dim_seen and found.len() == 0:
            self.tail = data[-self.OVERLAP:]
            return
        self._scan(data, found, final=False)

    def _claimed(self, data: bytes) -> None:
        """Start the bounds at the extent the sheet claims (<dimension ref="A1:AD5000">): in a
        file that tells the truth no cell is beyond it, so no chunk needs a second look. The
        claim is not trusted: a cell past it is found like any other, and a claim past what may
        be read leads to the exact second pass."""
        m = _DIM_FULL_RE.search(data)
        if m is None:
            return
        end = _parse_ref(m.group(2) or m.group(1))
        if end is not None and end[0] <= MAX_ROW and end[1] <= MAX_COL:
            self.scan.row_bound = max(self.scan.row_bound, end[0])
            self.scan.col_bound = max(self.scan.col_bound, end[1])

    def _found(self, data: bytes) -> pl.Series:
        """Every match of the pattern in data (one Rust regex pass, the GIL released)."""
        self._patterns()
        text = _as_text(data)
        if not text.str.contains(self._pattern).item():  # almost every chunk: one pass, no list built
            return _NOTHING
        return text.str.extract_all(self._pattern).explode().drop_nulls()

    def close(self) -> SheetScan:
        if self.tail and not self._tail_searched:
            self._scan(self.tail, self._found(self.tail), final=True)
        self.tail = b""
        return self.scan

    def _scan(self, data: bytes, found: pl.Series, final: bool) -> None:
        """Parse what `found` (the matches in data) says is there."""
        sc = self.scan
        if not self.dim_seen:
            m = _DIM_RE.search(data)
            if m:
                sc.first_col = _col_index(m.group(1).decode())
                self.dim_seen = True
            elif b"<sheetData" in data:
                self.dim_seen = True
        cut = len(data)
        if not final:  # before the overlap, at a tag start if one is near: no tag straddles it
            cut = max(0, len(data) - self.OVERLAP)
            lt = data.rfind(b"<", max(0, cut - self.OVERLAP), cut)
            cut = lt if lt > 0 else cut
        self.tail = data[cut:]
        if found.len() == 0:
            return
        f = pl.DataFrame({"m": found})
        kinds = f.select(
            merge=pl.col("m").str.contains(_MERGE_MARK).any(),
            error=pl.col("m").str.contains(_ERROR_MARK).any(),
            formula=pl.col("m").str.contains(_FORMULA_NO_VALUE + "|" + _SHARED_MASTER).any(),
            no_ref=pl.col("m").str.contains(_NO_REF_CELL).any() if not sc.no_ref else pl.lit(False),
        ).row(0, named=True)
        if kinds["merge"]:
            self._merges(data, cut)
        if kinds["error"] and len(sc.errors) < 10_000:
            errors = []
            for rx in (_ERROR_RE, _ERROR_RE2):
                errors += [(m.start(), m.group(1).decode(), m.group(2).decode(errors="replace"))
                           for m in rx.finditer(data) if m.start() < cut]
            sc.errors += [(ref, v) for _, ref, v in sorted(errors)]
        if not sc.no_ref:
            refs = f.filter(pl.col("m").str.contains(self._violator_text)).get_column("m")
            if refs.len():
                self._extent(refs, data, cut)
            if kinds["no_ref"]:
                m = _NO_REF_RE.search(data)
                if m is not None and m.start() < cut:
                    sc.no_ref = True
        if kinds["formula"]:
            self._formulas(data, cut)

    def _merges(self, data: bytes, cut: int) -> None:
        """Merged ranges starting before `cut` (a tag start: none straddles it), vectorised."""
        sc = self.scan
        text = data[:cut].decode("utf-8", errors="replace")
        found = pl.Series([text], dtype=pl.String).str.extract_all(_MERGE_PATTERN).explode().drop_nulls()
        if found.len() == 0:
            return
        room = MAX_MERGES - sc.merge_count
        if found.len() > room:
            sc.merges_dropped += found.len() - max(room, 0)
            found = found.head(max(room, 0))
        refs = pl.DataFrame({"m": found}).select(
            *[pl.col("m").str.extract(_MERGE_PATTERN, i).str.replace_all("$", "", literal=True).alias(f"a{i}")
              for i in (1, 2)])
        parts = []
        for i in (1, 2):
            a = pl.col(f"a{i}")
            parts += [(a.str.extract(r"([0-9]+)$", 1).cast(pl.Int64, strict=False) - 1).alias(f"r{i}"),
                      _col_number(a.str.extract(r"^([A-Z]{1,3})[0-9]", 1)).alias(f"c{i}")]
        m = refs.select(parts).drop_nulls().select(
            pl.col("r1").alias("r0"), pl.col("c1").alias("c0"), pl.col("r2").alias("r1"), pl.col("c2").alias("c1"))
        if m.height:
            sc.merge_parts.append(m)
            sc.merge_count += m.height

    def _extent(self, refs: pl.Series, data: bytes, cut: int) -> None:
        """References beyond the bounds (`refs`, the violator matches in data): grow the bounds
        to cover them (rows by half again, so a sheet of a million rows comes here a few dozen
        times). Vectorised with Polars; empty cells and <row r=…> count too (an upper bound
        errs on the safe side: a sheet whose bounds are too big is measured exactly before it
        is refused). References past XFD1048576 are looked at one by one (`_extent_cells`):
        only non-empty ones matter. Matches in the overlap are seen again next time: harmless."""
        parts = pl.DataFrame({"m": refs}).select(
            pl.col("m").str.extract(r"""["']([A-Za-z]*)[0-9]""", 1).str.to_uppercase().alias("l"),
            pl.col("m").str.extract(r"""([0-9]+)["']$""", 1).alias("d"))
        if parts.select((pl.col("l").str.len_bytes() > 3) | (pl.col("d").str.len_bytes() > 7)).to_series().any():
            self._extent_cells(data, cut)
            return
        pos = parts.select(
            pl.col("d").cast(pl.Int64).alias("row") - 1,
            pl.when(pl.col("l").str.len_bytes() > 0).then(_col_number(pl.col("l"))).otherwise(-1).alias("col"),
            (pl.col("l") + pl.col("d").str.strip_chars_start("0")).alias("ref"))
        if pos.select((pl.col("row") > MAX_ROW) | (pl.col("col") > MAX_COL)).to_series().any():
            self._extent_cells(data, cut)
            return
        self._grow_bounds(pos.select(pl.all().sort_by("row").last()).row(0),
                          pos.select(pl.all().sort_by("col").last()).row(0))

    def _grow_bounds(self, lowest: tuple[int, int, str], rightmost: tuple[int, int, str]) -> None:
        """Bounds covering cells (row, col, ref): the lowest and the rightmost one found."""
        sc = self.scan
        row, _, ref = lowest
        if row > sc.row_bound:
            if sc.far_row is None or row > sc.far_row[0]:
                sc.far_row = (row, ref)
            sc.row_bound = min(MAX_ROW, max(row, row * 3 // 2 + 1024))
        _, col, ref = rightmost
        if col > sc.col_bound:
            if sc.far_col is None or col > sc.far_col[0]:
                sc.far_col = (col, ref)
            sc.col_bound = col

    def _extent_cells(self, data: bytes, cut: int) -> None:
        """As _extent, one reference at a time (a chunk with references past XFD1048576): a
        cell calamine leaves out (`<c r="X"/>`, no value) does not count, nor does a <row>."""
        sc = self.scan
        lowest, rightmost = (-1, -1, ""), (-1, -1, "")
        for m in self._violator.finditer(data):
            if m.start() >= cut:
                break
            lt = data.rfind(b"<", 0, m.start())
            name = _ELEMENT_NAME.match(data, lt) if lt >= 0 else None
            if name is not None and name.group(1).rsplit(b":", 1)[-1] != b"c":
                continue  # a <row r=…> (rows without cells take no room)
            gt = data.find(b">", m.end())
            if gt != -1 and (data[gt - 1:gt] == b"/" or _EMPTY_AFTER_TAG.match(data, gt + 1)):
                continue
            r = _R_ATTR.match(data, m.start())
            pos = _parse_ref(r.group(1)) if r else None
            if pos is None:
                continue  # not a reference calamine reads (it reports the error itself)
            row, col = pos
            ref = r.group(1).decode("ascii", "replace").upper()
            if row > MAX_ROW or col > MAX_COL:
                if len(sc.invalid) < 10:
                    sc.invalid.append(ref[:20])
                continue
            if row > lowest[0]:
                lowest = (row, col, ref)
            if col > rightmost[1]:
                rightmost = (row, col, ref)
        self._grow_bounds(lowest, rightmost)

    def _formulas(self, data: bytes, cut: int) -> None:
        """Formula cells without a saved value, and the masters of shared formulas."""
        sc = self.scan
        if re.search(_SHARED_MASTER.encode(), data):
            for m in _SHARED_RE.finditer(data):
                if m.start() >= cut:
                    break
                if _attr(m.group(2), b"t") != b"shared" or len(sc.shared) >= MAX_FORMULAS:
                    continue
                pos = _parse_ref(_attr(m.group(1), b"r") or b"")
                si = _attr(m.group(2), b"si")
                if pos is not None and si is not None:
                    sc.shared[si.decode("ascii", "replace")] = (pos[0], pos[1], _unescape(m.group(3)))
        if not re.search(_FORMULA_NO_VALUE.encode(), data):
            return
        for m in _FNOV_RE.finditer(data):
            if m.start() >= cut:
                break
            pos = _parse_ref(_attr(m.group(1), b"r") or b"")
            if pos is None:
                continue
            sc.formula_count += 1
            if len(sc.formulas) < MAX_FORMULAS:
                fattrs = m.group(2)
                si = _attr(fattrs, b"si") if _attr(fattrs, b"t") == b"shared" else None
                text = _unescape(m.group(3)) if m.group(3) is not None else None
                sc.formulas.append((pos[0], pos[1], text, si.decode("ascii", "replace") if si else None))


def _unescape(text: bytes) -> str:
    import html

    return html.unescape(text.decode("utf-8", errors="replace"))


class _RefEmulator:
    """Second, exact pass over a sheet with cells that have no r attribute: every cell placed
    as calamine places it (the row from <row r>, else one more at each </row>; the column from
    <c r>, else one after the previous cell of the row). A cell whose value is cut off at a
    chunk's end counts as non-empty (errs on the safe side). Python per cell: only such sheets
    (rare: Excel, WPS and the usual libraries write r) pay for it."""

    TOKEN = re.compile(rb"<(/?)" + _NSB + rb"(row|c)\b([^>]*)>")
    ROW_NUMBER = re.compile(rb"[A-Za-z]*([0-9]{1,12})")

    def __init__(self, scan: SheetScan) -> None:
        self.scan = scan
        scan.far_row = scan.far_col = None
        self.row = self.col = 0
        self.tail = b""
        self.top_row = self.top_col = -1

    def __call__(self, chunk: bytes) -> None:
        data = self.tail + chunk if self.tail else chunk
        last = data.rfind(b"<")
        upto = last if last != -1 and data.find(b">", last) == -1 and len(data) - last < 1 << 16 else len(data)
        sc = self.scan
        for m in self.TOKEN.finditer(data, 0, upto):
            closing, name, attrs = m.group(1), m.group(2), m.group(3)
            # calamine's XML reader expands <x/> into <x></x>: an empty tag opens and closes
            empty_tag = attrs.endswith(b"/")
            if name == b"row":
                if not closing:
                    r = _attr(attrs, b"r")
                    n = self.ROW_NUMBER.fullmatch(r) if r else None
                    if n:
                        self.row = int(n.group(1)) - 1
                if closing or empty_tag:
                    self.row += 1
                    self.col = 0
                continue
            if closing:
                continue
            r = _attr(attrs, b"r")
            if r:
                pos = _parse_ref(r)
                if pos is None:
                    continue
                row, col = pos
                self.col = col
            else:
                row, col = self.row, self.col
            self.col += 1
            if empty_tag or _EMPTY_AFTER_TAG.match(data, m.end()):
                continue  # no value: calamine leaves it out (it still moves the column on)
            if row > MAX_ROW or col > MAX_COL:
                if len(sc.invalid) < 10:
                    sc.invalid.append(f"{_col_name(min(col, 10**6))}{row + 1}"[:20])
                continue
            if col > self.top_col:
                self.top_col = col
                sc.far_col = (col, f"{_col_name(col)}{row + 1}")
            if row > self.top_row:
                self.top_row = row
                sc.far_row = (row, f"{_col_name(col)}{row + 1}")
        self.tail = data[upto:]

    def close(self) -> SheetScan:
        self.scan.row_bound = max(self.top_row, 0)
        self.scan.col_bound = max(self.top_col, 0)
        return self.scan


# A cell tag with its r attribute, and its content when it is empty (calamine leaves such a cell
# out): a match ending in "/>" or "c>" is an empty cell.
_CELL_WITH_REF = (rf"<{_NS}c(?:{_WS}[^>]*?)?{_WS}r{_WS}*={_WS}*[\"']([A-Za-z]+[0-9]+)[\"'][^>]*>"
                  rf"(?:{_WS}*{_NO_VALUE}{_WS}*</{_NS}c>)?")


class _ExactExtent:
    """Second, exact pass over a sheet whose cells all have an r attribute, run when the bounds
    of the first pass exceed what may be read: the farthest non-empty cell, vectorised with
    Polars (no Python per cell). A cell whose content is cut off at a chunk's end counts as
    non-empty (errs on the safe side)."""

    def __init__(self, scan: SheetScan) -> None:
        self.scan = scan
        scan.far_row = scan.far_col = None
        scan.row_bound = scan.col_bound = 0
        self.tail = b""

    def __call__(self, chunk: bytes) -> None:
        data = self.tail + chunk if self.tail else chunk
        last = data.rfind(b"<")
        upto = last if last != -1 and data.find(b">", last) == -1 and len(data) - last < 1 << 16 else len(data)
        self.tail = data[upto:]
        text = data[:upto].decode("utf-8", errors="replace")
        found = pl.Series([text], dtype=pl.String).str.extract_all(_CELL_WITH_REF).explode().drop_nulls()
        if found.len() == 0:
            return
        cells = pl.DataFrame({"m": found}).filter(
            ~pl.col("m").str.ends_with("/>") & ~pl.col("m").str.ends_with("c>")
        ).select(pl.col("m").str.extract(_CELL_WITH_REF, 1).str.to_uppercase().alias("ref")).select(
            "ref", pl.col("ref").str.extract(r"^([A-Z]+)", 1).alias("l"), pl.col("ref").str.extract(r"([0-9]+)$", 1).alias("d"))
        if cells.height == 0:
            return
        sc = self.scan
        bad = (pl.col("l").str.len_bytes() > 3) | (pl.col("d").str.len_bytes() > 7)
        pos = cells.with_columns(
            row=pl.when(~bad).then(pl.col("d").cast(pl.Int64, strict=False) - 1),
            col=pl.when(~bad).then(_col_number(pl.col("l"))))
        invalid = pos.filter(bad | (pl.col("row") > MAX_ROW) | (pl.col("col") > MAX_COL))
        if invalid.height:
            sc.invalid += [r[:20] for r in invalid.get_column("ref").head(10 - len(sc.invalid)).to_list()]
            pos = pos.filter(~(bad | (pl.col("row") > MAX_ROW) | (pl.col("col") > MAX_COL)))
        if pos.height == 0:
            return
        row, _, ref = pos.select(pl.all().sort_by("row").last()).select("row", "col", "ref").row(0)
        if sc.far_row is None or row > sc.far_row[0]:
            sc.far_row, sc.row_bound = (row, ref), row
        _, col, ref = pos.select(pl.all().sort_by("col").last()).select("row", "col", "ref").row(0)
        if sc.far_col is None or col > sc.far_col[0]:
            sc.far_col, sc.col_bound = (col, ref), col

    def close(self) -> SheetScan:
        if self.tail:
            tail, self.tail = self.tail, b""
            self(tail)
            self.tail = b""
        return self.scan


def _sheet_paths(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> path of its XML part inside the xlsx."""
    import posixpath
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
            target = targets.get(rid, "").replace("\\", "/")
            target = target.lstrip("/") if target.startswith("/") else posixpath.normpath("xl/" + target)
            out[el.get("name", "")] = target
    return out


UNMAPPED = "\0unmapped"  # scans of worksheet parts no sheet name points at (see _read_workbook)


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
        if "mimetype" in names and _ODS_CONTENT.match(info.filename):
            inflated += _check_ods_content(fh, info, total, packed)
            if inflated > MAX_UNZIPPED_BYTES:
                raise _bomb(inflated, packed)
            continue
        # every worksheet part is scanned, also one no sheet name points at (calamine may
        # resolve a part path differently): such a sheet must not reach calamine unmeasured
        key = sheet_of_path.get(info.filename)
        if key is None and _WORKSHEET_PART.match(info.filename):
            key = UNMAPPED + info.filename
        if _XLSB_SHEET_PART.match(info.filename):  # .xlsb: binary records, measured by biff.py
            _check_xlsb_sheet(fh, info, total, packed)
            inflated += info.file_size
            continue
        could_exceed = info.compress_size * DEFLATE_MAX_RATIO > MAX_ENTRY_RATIO_BYTES
        if key is None and not could_exceed:
            inflated += info.file_size
            continue
        scanner = _Scanner() if key is not None else None
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
            scan = scanner.close()
            # cells without r, or bounds past what may be read: measure exactly, in a second pass
            if scan.no_ref or (not scan.invalid and scan.refusal() is not None):
                exact = _RefEmulator(scan) if scan.no_ref else _ExactExtent(scan)
                _inflate_entry(fh, info, limit, exact)
                scan = exact.close()
            scans[key] = scan
    return scans


_WORKSHEET_PART = re.compile(r"(?i)^/?xl/worksheets/[^/]+\.xml$")
_ODS_CONTENT = re.compile(r"(?i)^(?:\.?/)?content\.xml$")  # calamine reads "content.xml"


def _check_ods_content(fh: BinaryIO, info: zipfile.ZipInfo, total: int, packed: int) -> int:
    """Refuse an .ods whose content.xml would make calamine exhaust memory or loop (ods.py):
    calamine reads every sheet of an .ods when the file is opened, so the whole file is refused,
    naming the sheet. Streams the entry (bounded memory); returns its inflated size."""
    from xueji_check.load.ods import measure

    limit = max(info.file_size, 1 << 20)
    sizes: list[int] = []

    def stream(sink) -> None:
        sizes.append(_inflate_entry(fh, info, limit, sink))
        if sizes[-1] > limit:
            raise _bomb(max(sizes[-1], total), packed)
        if sizes[-1] != info.file_size and info.compress_type in (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED):
            raise LoadError(f"文件已损坏（压缩包内 {info.filename} 长度不符），请重新从系统导出后再检查")

    scan = measure(stream)
    size = sizes[0]
    why = scan.refusal()
    if why:
        raise LoadError(why)
    return size


_XLSB_SHEET_PART = re.compile(r"(?i)^/?xl/worksheets/[^/]+\.bin$")


def _check_xlsb_sheet(fh: BinaryIO, info: zipfile.ZipInfo, total: int, packed: int) -> None:
    """Refuse an .xlsb whose sheet part reaches so far that calamine would exhaust memory (its
    records are read into memory: the part's declared size was bounded by the zip-bomb checks)."""
    parts: list[bytes] = []
    limit = max(info.file_size, 1 << 20)
    size = _inflate_entry(fh, info, limit, parts.append)
    if size > limit:
        raise _bomb(max(size, total), packed)
    why = xlsb_extent(info.filename.rsplit("/", 1)[-1], b"".join(parts)).refusal()
    if why:
        raise LoadError(why)


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


def _grow(df: pl.DataFrame, rows: int, cols: int) -> pl.DataFrame:
    """df with at least `rows` rows and columns c0..c{cols-1} (new cells empty)."""
    if cols > df.width:
        df = df.with_columns(pl.lit(None, pl.String).alias(f"c{i}") for i in range(df.width, cols))
    if rows > df.height:
        df = pl.concat([df, pl.DataFrame(schema=df.schema).clear(rows - df.height)])
    return df


def _fill_empty(df: pl.DataFrame, cells: pl.DataFrame) -> pl.DataFrame:
    """Put values into empty (null or "") cells: `cells` has r, c (0-based, inside df) and v.
    One scatter per column touched, no loop over cells."""
    if cells.height == 0:
        return df
    new = []
    for (c,), part in cells.partition_by("c", as_dict=True).items():
        name = f"c{c}"
        fill = pl.Series(name, [None], dtype=pl.String).extend_constant(None, df.height - 1)
        fill = fill.scatter(part.get_column("r"), part.get_column("v"))
        col = pl.col(name)
        new.append(pl.when(col.is_null() | (col == "")).then(fill).otherwise(col).alias(name))
    return df.with_columns(new)


def _apply_merges(df: pl.DataFrame, scan: SheetScan) -> tuple[pl.DataFrame, int, str | None]:
    """Copy each merged range's top-left value into the empty cells of its range (what a person
    sees). Vectorised: the ranges are clipped to the sheet and exploded into cells with Polars,
    so the work is bounded by the sheet's cells. Returns the frame, the number of ranges
    filled, and a warning when the ranges overlap (Excel never writes that) and are left alone."""
    if not scan.merge_parts or df.height == 0 or df.width == 0:
        return df, 0, None
    h, w = df.height, df.width
    m = scan.merge_frame().filter((pl.col("r0") < h) & (pl.col("c0") < w) & (pl.col("r1") >= pl.col("r0"))
                 & (pl.col("c1") >= pl.col("c0")) & ((pl.col("r1") > pl.col("r0")) | (pl.col("c1") > pl.col("c0"))))
    m = m.with_columns(r1=pl.min_horizontal("r1", pl.lit(h - 1)), c1=pl.min_horizontal("c1", pl.lit(w - 1)))
    if m.height == 0:
        return df, 0, None
    area = m.select(((pl.col("r1") - pl.col("r0") + 1) * (pl.col("c1") - pl.col("c0") + 1)).sum()).item()
    if area > h * w:
        return df, 0, (f"合并单元格区域互相重叠（{m.height} 处，Excel 不会这样保存），未按合并区域填值；"
                       "请用 Excel 打开后取消合并、另存再检查")
    tops = []
    for (c0,), part in m.with_row_index("_m").partition_by("c0", as_dict=True).items():
        tops.append(part.select("_m", pl.Series("top", df.get_column(f"c{c0}").gather(part.get_column("r0")))))
    m = m.with_row_index("_m").join(pl.concat(tops), on="_m").filter(
        pl.col("top").is_not_null() & (pl.col("top") != ""))
    cells = (m.select(pl.int_ranges("r0", pl.col("r1") + 1).alias("r"), "c0", "c1", pl.col("top").alias("v"))
             .explode("r").select("r", pl.int_ranges("c0", pl.col("c1") + 1).alias("c"), "v").explode("c"))
    return _fill_empty(df, cells), m.height, None


def _absolute_columns(sheet, df: pl.DataFrame) -> pl.DataFrame:
    """Columns named by their Excel position (c0 is column A, c4 column E): calamine starts a
    sheet at its first used column, so empty leading columns are put back (cheap: all null).
    Rows already are Excel's (fastexcel starts at row 1 when header_row is None)."""
    try:
        idx = [c.absolute_index for c in sheet.available_columns()]
    except Exception:  # an older fastexcel: positions as read
        idx = []
    if len(idx) != df.width or len(set(idx)) != len(idx):
        idx = list(range(df.width))
    df = df.rename(dict(zip(df.columns, [f"c{i}" for i in idx], strict=True))).cast(pl.String)
    width = max(idx) + 1 if idx else 0
    if width > df.width:
        have = set(idx)
        df = df.with_columns(pl.lit(None, pl.String).alias(f"c{i}") for i in range(width) if i not in have)
        df = df.select([f"c{i}" for i in range(width)])
    return df


# A formula that is one cell reference: B1, $B$1, Sheet2!A1, 'My sheet'!$A$1.
_SIMPLE_REF = re.compile(r"""^\s*=?\s*(?:(?:'((?:[^']|'')+)'|([^\s!'"()\[\],;:+\-*/&=<>^{}$]+))!)?"""
                         r"""(\$?)([A-Za-z]{1,3})(\$?)([0-9]{1,7})\s*$""")


def _simple_target(text: str, drow: int = 0, dcol: int = 0) -> tuple[str | None, int, int] | None:
    """(sheet or None, row, col) a single-reference formula points at; `drow`/`dcol` shift its
    relative parts (a shared formula's cell below or right of the master's)."""
    m = _SIMPLE_REF.match(text)
    if m is None:
        return None
    sheet = m.group(1).replace("''", "'") if m.group(1) is not None else m.group(2)
    col = _col_index(m.group(4).upper()) + (0 if m.group(3) else dcol)
    row = int(m.group(6)) - 1 + (0 if m.group(5) else drow)
    if not (0 <= row <= MAX_ROW and 0 <= col <= MAX_COL):
        return None
    return sheet, row, col


@dataclass
class _FormulaOutcome:
    resolved: list[tuple[int, int, str, str]] = field(default_factory=list)  # row, col, value, target ref
    unresolved: list[tuple[int, int, str]] = field(default_factory=list)  # row, col, formula text


def _resolve_formulas(frames: dict[str, pl.DataFrame], scans: dict[str, SheetScan]) -> dict[str, _FormulaOutcome]:
    """Values of formula cells that have none saved, where the formula is one cell reference
    (same sheet or another sheet of the workbook): the referenced cell's value as read (a chain
    of such formulas is followed). Anything else stays unresolved. Per formula cell in Python,
    the referenced values gathered per column with Polars (at most MAX_FORMULAS per sheet)."""
    cells: dict[tuple[str, int, int], tuple[tuple[str, int, int] | None, str]] = {}
    for name, scan in scans.items():
        if name not in frames or not scan.formulas:
            continue
        for row, col, text, si in scan.formulas:
            master = scan.shared.get(si) if si is not None else None
            if text is None and master is not None:
                text, tgt = master[2], _simple_target(master[2], row - master[0], col - master[1])
            else:
                tgt = _simple_target(text) if text is not None else None
            if tgt is not None:
                tgt = (tgt[0] if tgt[0] is not None else name, tgt[1], tgt[2])
            cells[(name, row, col)] = (tgt, text or "")
    need: dict[tuple[str, int], list[int]] = {}
    for tgt, _ in cells.values():
        if tgt is not None and tgt not in cells:
            need.setdefault((tgt[0], tgt[2]), []).append(tgt[1])
    values: dict[tuple[str, int, int], object] = {}
    for (sheet, col), rows in need.items():
        df = frames.get(sheet)
        if df is None or f"c{col}" not in df.columns:
            continue
        rows = sorted({r for r in rows if r < df.height})
        got = df.get_column(f"c{col}").gather(rows).to_list()
        values.update(zip(((sheet, r, col) for r in rows), got, strict=True))

    def value(key: tuple[str, int, int], depth: int = 0) -> str | None:
        if key in cells:
            tgt = cells[key][0]
            return None if tgt is None or depth > 20 else value(tgt, depth + 1)
        v = values.get(key)
        return None if v is None or str(v).strip() == "" else str(v)

    out: dict[str, _FormulaOutcome] = {}
    for (name, row, col), (tgt, text) in cells.items():
        o = out.setdefault(name, _FormulaOutcome())
        v = value((name, row, col))
        if v is None:
            o.unresolved.append((row, col, text))
        else:
            where = f"{tgt[0]}!" if tgt[0] != name else ""
            o.resolved.append((row, col, v, f"{where}{_col_name(tgt[2])}{tgt[1] + 1}"))
    return out


def _refs_text(cells: list[tuple[int, int]], total: int) -> str:
    shown = "、".join(f"{_col_name(c)}{r + 1}" for r, c in sorted(cells)[:5])
    return shown + (f" 等 {total} 处" if total > 5 else "")


def _apply_formulas(df: pl.DataFrame, outcome: _FormulaOutcome, scan: SheetScan, display: str, name: str,
                    problems: list[Problem]) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """Fill resolved formula cells; return the frame and the cells whose value is unknown
    (_row 1-based, col cN), so no check calls them empty."""
    cells = [(r, c) for r, c, _, _ in outcome.resolved] + [(r, c) for r, c, _ in outcome.unresolved]
    if not cells:
        return df, None
    df = _grow(df, max(r for r, _ in cells) + 1, max(c for _, c in cells) + 1)
    if outcome.resolved:
        fills = pl.DataFrame([(r, c, v) for r, c, v, _ in outcome.resolved], orient="row",
                             schema={"r": pl.Int64, "c": pl.Int64, "v": pl.String})
        df = _fill_empty(df, fills)
        first = min(outcome.resolved)
        problems.append(Problem(
            "info", display, name, first[0] + 1,
            f"单元格 {_refs_text([(r, c) for r, c, _, _ in outcome.resolved], len(outcome.resolved))} 是没有保存计算结果的公式"
            f"（多见于程序生成的文件），已按公式引用的单元格取值（如 {_col_name(first[1])}{first[0] + 1} 引用 {first[3]}）"))
    unknown = None
    missing = scan.formula_count - len(scan.formulas)
    if outcome.unresolved or missing > 0:
        total = len(outcome.unresolved) + max(0, missing)
        example = next((t for _, _, t in sorted(outcome.unresolved) if t), "")
        example = f"（如 ={example[:40]}{'…' if len(example) > 40 else ''}）" if example else ""
        first_row = min(outcome.unresolved)[0] + 1 if outcome.unresolved else None
        problems.append(Problem(
            "warning", display, name, first_row,
            f"单元格 {_refs_text([(r, c) for r, c, _ in outcome.unresolved], total)} 是没有保存计算结果的公式{example}，"
            "读不出它们的值：这些单元格不按“为空”处理，所在行的这一项未作检查。请用 Excel 或 WPS 打开该文件并保存一次"
            "（保存时会算出公式的值），再重新检查"))
        unknown = pl.DataFrame([(r + 1, f"c{c}") for r, c, _ in outcome.unresolved], orient="row",
                               schema={"_row": pl.Int64, "col": pl.String})
    return df, unknown


def read_excel_bytes(data: bytes | BinaryIO, display: str, problems: list[Problem]) -> list[RawSheet]:
    """Read every sheet of a workbook (xlsx/xlsm/xls/ods, found from the content) as text.
    `data` is the workbook's bytes or the open (seekable, binary) file: calamine then reads the
    file itself, so the workbook is not held in memory twice (once here, once in calamine).
    Frame row i / column cN is Excel's row i+1 / column N (c0 = A), whatever the reader drops."""
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
        check_xls(fh)  # cells far out would make calamine exhaust memory (biff.py)
    else:
        hint = _content_hint(head)
        todo = ("PDF 和图片中的表格无法检查，请从系统重新导出 Excel 表格（.xlsx）" if hint in ("实际是 PDF 文件", "实际是图片")
                else "请用 Excel 打开后另存为 .xlsx 再检查")
        raise LoadError(f"文件内容不是 Excel 格式（{hint}），{todo}")
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
    and scanned, read by calamine without a copy of it in Python), else on the bytes.

    calamine picks its reader by the file's extension; without one (the /proc path, bytes) it
    tries each format and, when all fail, says only "Cannot detect file format", dropping the
    reason the right reader gave (its own cell limit, a broken XML part). So the file is first
    opened through a link whose name carries the format found from its content (`_format`),
    and that reader's reason is what the user is told when the file cannot be read."""
    import fastexcel

    reason: Exception | None = None
    if not isinstance(data, bytes | bytearray):
        proc = f"/proc/self/fd/{fh.fileno()}"
        if os.path.exists(proc):
            fmt = _format(fh)
            if fmt is not None:
                try:
                    return _open_as(proc, fmt)
                except _NoLink:
                    pass
                except Exception as exc:  # calamine's reason for the format the content has
                    reason = exc
            try:
                reader = fastexcel.read_excel(proc)
                return reader, reader.sheet_names
            except Exception:
                if reason is not None:
                    raise _excel_error(reason) from reason
        fh.seek(0)
        data = fh.read()
    try:
        reader = fastexcel.read_excel(data)
        return reader, reader.sheet_names
    except Exception as exc:  # calamine errors are varied; name the cause
        raise _excel_error(reason or exc) from exc


class _NoLink(Exception):
    """No temporary link could be made (read-only /tmp): open without an extension."""


def _open_as(proc: str, fmt: str):
    """fastexcel on `proc` through a temporary link named workbook.<fmt>, so calamine uses the
    reader of that format. The link is removed at once (calamine keeps the file open)."""
    import shutil
    import tempfile

    import fastexcel

    try:
        tmp = tempfile.mkdtemp(prefix="xueji-")
    except OSError as exc:
        raise _NoLink from exc
    try:
        link = os.path.join(tmp, f"workbook.{fmt}")
        try:
            os.symlink(proc, link)
        except OSError as exc:
            raise _NoLink from exc
        reader = fastexcel.read_excel(link)
        return reader, reader.sheet_names
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _format(fh: BinaryIO) -> str | None:
    """The workbook format of the open file from its content: xls (OLE2), xlsb, xlsx or ods (a
    zip holding their parts); None when unclear (calamine then tries every reader)."""
    fh.seek(0)
    head = fh.read(8)
    fh.seek(0)
    if head.startswith(OLE_MAGIC):
        return "xls"
    if not head.startswith(b"PK"):
        return None
    try:
        names = {n.lstrip("/").lower() for n in zipfile.ZipFile(fh).namelist()}
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    finally:
        fh.seek(0)
    if "xl/workbook.bin" in names:
        return "xlsb"
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "mimetype" in names and "content.xml" in names:
        return "ods"
    return None


def _refused(scans: dict[str, SheetScan], name: str) -> str | None:
    """Why sheet `name` must not reach calamine: its own scan refuses it, or it has no scan
    and some worksheet part no sheet name points at is refused (it may be this sheet's)."""
    scan = scans.get(name)
    if scan is not None:
        return scan.refusal()
    return next((why for k, s in scans.items() if k.startswith(UNMAPPED) and (why := s.refusal())), None)


def _read_workbook(data: bytes | BinaryIO, fh: BinaryIO, scans: dict[str, SheetScan], display: str,
                   problems: list[Problem]) -> list[RawSheet]:
    reader, names = _open_workbook(data, fh)
    loaded: list[tuple[str, pl.DataFrame, bool]] = []
    for name in names:
        why = _refused(scans, name)
        if why is not None:
            problems.append(Problem("error", display, name, None, why))
            continue
        try:
            sheet = reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="string")
            df = _absolute_columns(sheet, sheet.to_polars())
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
        loaded.append((name, df, hidden))
    # formulas without a saved value are resolved from the values as read, before merges fill
    # ranges (Excel itself sees an empty cell inside a merged range)
    outcomes = _resolve_formulas({n: df for n, df, _ in loaded}, scans) if any(s.formulas for s in scans.values()) else {}
    out = []
    sheet_shown = dict(zip([n for n, _, _ in loaded], shown_sheet_names([n for n, _, _ in loaded]), strict=True))
    for name, df, hidden in loaded:
        unknown = None
        scan = scans.get(name)
        if scan is not None:
            if scan.formula_count:
                df, unknown = _apply_formulas(df, outcomes.get(name, _FormulaOutcome()), scan, display, name, problems)
            df, merged, warning = _apply_merges(df, scan)
            if warning:
                problems.append(Problem("warning", display, name, None, warning))
            if merged:
                problems.append(Problem("info", display, name, None,
                                        f"有 {merged} 处合并单元格，已把每处左上角的值填入整个合并区域"))
            if scan.merges_dropped:
                problems.append(Problem("warning", display, name, None,
                                        f"合并单元格超过 {MAX_MERGES:,} 处，另有 {scan.merges_dropped:,} 处未展开；"
                                        "请取消不必要的合并后再检查"))
            if scan.errors:
                shown = "、".join(f"{ref}（{v}）" for ref, v in scan.errors[:5])
                more = f"等 {len(scan.errors)} 处" if len(scan.errors) > 5 else ""
                first_row = _ref(scan.errors[0][0])
                problems.append(Problem(
                    "warning", display, name, first_row[0] + 1 if first_row else None,
                    f"单元格 {shown}{more}是公式错误值，已按空值处理；请在 Excel 中修正公式后重新导出"))
        out.append(RawSheet(display, sheet_shown[name], df, hidden=hidden, unknown=unknown))
    return out


def _excel_error(exc: BaseException) -> LoadError:
    """The reason calamine gave for not opening a workbook, framed in Chinese with what to do."""
    text = re.sub(r"^calamine error:\s*", "", _first_line(exc))
    low = text.lower()
    if "password" in low or "encrypt" in low:
        return LoadError(ENCRYPTED_MSG)
    if "cell limit" in low or "too many" in low or "exceed" in low:
        return LoadError(f"读取库拒绝读取该文件：单元格数超过它的上限（{text}），多半是整行整列误填了内容；"
                         "请删除表格右侧和下方多余的行和列，另存为 .xlsx 再检查")
    if "zip" in low or "eof" in low or "invalid" in low or "cfb" in low or "unexpected" in low:
        return LoadError(f"文件已损坏，无法读取（读取库的原因：{text}）；请重新从系统导出，或用 Excel 打开后另存为 .xlsx 再检查")
    return LoadError(f"无法读取该 Excel 文件（读取库的原因：{text}），请用 Excel 或 WPS 打开后另存为 .xlsx 再检查")


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

