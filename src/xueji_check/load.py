"""Read exported tables: find files, read every sheet as text, locate the header row, map
headers to canonical fields through the schema aliases, recognise each file's kind.

Values stay text here; `tables.py` normalises them. Every record keeps its file, sheet and the
row number a person sees in Excel.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import polars as pl

from xueji_check.memory import release_free_memory
from xueji_check.spec import KindSpec, all_kinds, normalise_header

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
CSV_SUFFIXES = {".csv", ".tsv", ".txt"}
HEADER_SCAN_ROWS = 60
TOTAL_ROW = r"^(合\s*计|总\s*计|小\s*计)"
# A workbook whose parts inflate beyond this is refused (zip bomb guard).
MAX_UNZIPPED_BYTES = 3 * 1024**3
MAX_ZIP_RATIO = 250  # real workbooks inflate 5-50 times; bombs about 1000


class LoadError(Exception):
    """A file that cannot be read at all; the message is Chinese and says what to do."""


# Digit runs that may be an ID number (15 digits or more) or a mobile number: masked in every message about
# an input, since messages quote header rows and cell values.
_PII_RE = re.compile(r"(?<![0-9])([0-9]{6})([0-9]{5,})([0-9]{3}[0-9Xx])(?![0-9])")
_PHONE_RE = re.compile(r"(?<![0-9])(1[3-9][0-9])([0-9]{4})([0-9]{4})(?![0-9])")


def redact(text: str) -> str:
    """Mask ID-number-like and mobile-number-like digit runs in a message."""
    text = _PII_RE.sub(lambda m: m.group(1) + "*" * len(m.group(2)) + m.group(3), text)
    return _PHONE_RE.sub(lambda m: m.group(1) + "****" + m.group(3), text)


@dataclass
class Problem:
    """A message about an input (not a finding about a student). `detail` is the traceback of
    the cause, shown only with --debug."""

    level: str  # error | warning | info
    file: str
    sheet: str | None
    row: int | None
    message: str
    detail: str | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.message = redact(self.message)

    def where(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(f"工作表「{self.sheet}」")
        if self.row:
            parts.append(f"第 {self.row} 行")
        return "，".join(parts)


@dataclass
class RawSheet:
    file: str
    sheet: str
    frame: pl.DataFrame  # columns c0..cn, text; row i is Excel row i+1
    encoding: str | None = None
    hidden: bool = False


@dataclass
class Table:
    """One sheet of one kind, header located and mapped."""

    kind: str
    file: str
    sheet: str
    header_row: int  # 1-based, as in Excel
    headers: list[str]  # original header text by position (c0..cn)
    field_cols: dict[str, str]  # field -> raw column name (c3)
    raw: pl.DataFrame  # data rows only: _row plus c0..cn as text
    title_lines: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # required fields not found

    @property
    def checkable(self) -> bool:
        return not self.missing


@dataclass
class InputFile:
    path: Path
    display: str
    kind_hint: str | None
    sha256: str = ""
    size: int = 0
    tables: list[Table] = field(default_factory=list)
    ok: bool = True


# ------------------------------------------------------------------------- discovery
REPORT_NAMES = {"findings.csv", "findings.json", "findings.parquet", "report.xlsx", "report.html"}


def _is_report_dir(d: Path) -> bool:
    """A folder that holds an earlier xueji-check report (so it is not read back as input)."""
    marker = d / "findings.json"
    if not marker.is_file():
        return False
    try:
        with marker.open("rb") as fh:
            return b'"xueji-check"' in fh.read(4096)
    except OSError:
        return False


def discover(paths: list[Path], problems: list[Problem]) -> list[Path]:
    out: list[Path] = []
    seen: set[Path] = set()

    def add(f: Path) -> None:
        try:
            key = f.resolve()
        except OSError:
            key = f.absolute()
        if key in seen:
            return
        seen.add(key)
        out.append(f)

    for p in paths:
        if p.is_dir():
            found = 0
            skipped_reports: set[Path] = set()
            for f in sorted(p.rglob("*")):
                if not f.is_file() or f.suffix.lower() not in EXCEL_SUFFIXES | CSV_SUFFIXES | {".parquet"}:
                    continue
                if f.name.startswith(("~$", ".")) or f.name.lower() == "readme.md":
                    continue
                if f.name in REPORT_NAMES and _is_report_dir(f.parent):
                    skipped_reports.add(f.parent)
                    continue
                found += 1
                add(f)
            for d in sorted(skipped_reports):
                problems.append(Problem("info", str(d), None, None,
                                        "这是之前输出的检查报告文件夹，其中的报告文件不作为输入读取"))
            if not found:
                problems.append(Problem("error", str(p), None, None,
                                        "文件夹中没有找到表格文件（.xlsx/.xls/.csv），请检查路径"))
        elif p.exists():
            add(p)
        else:
            problems.append(Problem("error", str(p), None, None, "文件不存在，请检查路径是否正确"))
    return out


# ------------------------------------------------------------------------- reading
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


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def _detail(exc: BaseException) -> str:
    import traceback

    return "".join(traceback.format_exception(exc))


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


def _utf16_guess(head: bytes) -> str | None:
    """UTF-16 without a BOM: every other byte of the head is zero."""
    if len(head) >= 4 and head[1::2].count(0) > len(head) // 4 and head[0::2].count(0) < len(head) // 8:
        return "utf-16-le"
    if len(head) >= 4 and head[0::2].count(0) > len(head) // 4 and head[1::2].count(0) < len(head) // 8:
        return "utf-16-be"
    return None


UTF8_SAMPLE = 1 << 16


def _head_is_utf8(data: bytes) -> bool:
    """Whether the first 64 KB could be UTF-8 (a character cut off by the sample does not count).
    When they cannot, the whole file cannot either, so no full UTF-8 attempt is made."""
    try:
        data[:UTF8_SAMPLE].decode("utf-8")
    except UnicodeDecodeError as exc:
        return len(data) > UTF8_SAMPLE and exc.reason == "unexpected end of data"
    return True


def decode_text(data: bytes) -> tuple[str, str, bool]:
    """Return (text, encoding, lossy). UTF-8/UTF-8 BOM/UTF-16 (BOM or not), else GB18030."""
    if data.startswith(codecs.BOM_UTF8):
        text = data[3:].decode("utf-8", errors="replace")
        return text, "utf-8-sig", "\ufffd" in text
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16", errors="replace")
        return text, "utf-16", "\ufffd" in text
    utf16 = _utf16_guess(data[:4096])
    if utf16:
        return data.decode(utf16, errors="replace"), utf16, False
    if _head_is_utf8(data):
        try:
            return data.decode("utf-8"), "utf-8", False
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("gb18030"), "gb18030", False
    except UnicodeDecodeError:
        pass
    # Mostly UTF-8 with a few bad bytes, or mostly GBK with a few: keep whichever loses less.
    u = data.decode("utf-8", errors="replace")
    g = data.decode("gb18030", errors="replace")
    if u.count("\ufffd") <= g.count("\ufffd"):
        return u, "utf-8", True
    return g, "gb18030", True


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The same characters as bytes: in UTF-8 a byte below 0x80 is always a whole character, so
# deleting these bytes from UTF-8 text deletes exactly these characters.
_CONTROL_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_BARE_CR = re.compile(rb"\r(?!\n)")
_UTF8_BOM = codecs.BOM_UTF8
MAX_QUOTE_PAIRS_LOOKED_AT = 10_000


def _clean_text(text: str) -> str:
    """What every CSV goes through: no BOMs, \\n line ends, no control characters."""
    text = text.replace("\ufeff", "").replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


def _clean_utf8(raw: bytes, has_bom: bool, has_cr: bool) -> bytes:
    """`_clean_text` done on the UTF-8 bytes with as few passes as the content allows. A \\r\\n
    line end is left to Polars (it reads it as \\n); only a bare \\r, or a \\r\\n that may be inside
    a quoted cell, makes the newlines be rewritten."""
    if has_bom:
        raw = raw.replace(_UTF8_BOM, b"")
    if has_cr and (_BARE_CR.search(raw) or _cr_inside_quotes(raw)):
        raw = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    stripped = raw.translate(None, _CONTROL_BYTES)
    return stripped if len(stripped) != len(raw) else raw


def _cr_inside_quotes(raw: bytes) -> bool:
    """Whether a \\r may sit between a pair of double quotes (a quoted cell with a line break).
    Conservative: many quotes, or a quote without a partner, count as yes."""
    pos = 0
    for _ in range(MAX_QUOTE_PAIRS_LOOKED_AT):
        a = raw.find(b'"', pos)
        if a < 0:
            return False
        b = raw.find(b'"', a + 1)
        if b < 0 or raw.find(b"\r", a, b) >= 0:
            return True
        pos = b + 1
    return True


def _head_text(raw: bytes, lines: int) -> str:
    """The first `lines` lines of (clean) UTF-8 bytes as text with \\n line ends."""
    end = -1
    for _ in range(lines):
        end = raw.find(b"\n", end + 1)
        if end < 0:
            end = len(raw)
            break
    return raw[:end].decode("utf-8").replace("\r\n", "\n")


def _is_blank(data: bytes) -> bool:
    return not data[:4096].strip() and not data.strip()


def read_csv_text(data: bytes | list[bytes], display: str, stem: str, problems: list[Problem]) -> RawSheet:
    """Read a CSV/TSV as text. `data` may be handed over in a one-item list: the bytes are then
    released as soon as they have been decoded (a 150 MB file is not held through the parse)."""
    if isinstance(data, list):
        data = data.pop()
    if _is_blank(data) or data in (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        raise LoadError("文件是空的，请重新导出")
    text, enc, lossy = decode_text(data)
    if lossy:
        problems.append(Problem("warning", display, None, None,
                                f"文件中有无法识别的字节（已按 {enc.upper()} 读取，以 � 代替），请核对中文是否乱码；"
                                "最好在 Excel 中另存为「CSV UTF-8」后再检查"))
    if "\x00" in text[:4096]:
        raise LoadError("文件内容不是文本表格（含二进制数据），请用 Excel 打开后另存为 .xlsx 或 CSV 再检查")
    if not _clean_text(text[:4096]).strip() and not _clean_text(text).strip():
        raise LoadError("文件是空的，请重新导出")
    # From here on the text is handled as UTF-8 bytes (what Polars parses): the decoded string
    # is dropped as soon as it has been encoded (or not even encoded when the file is UTF-8).
    has_bom, has_cr = "\ufeff" in text, "\r" in text
    if enc == "utf-8" and not lossy:
        raw = data
    elif enc == "utf-8-sig" and not lossy:
        raw = data[3:]
    else:
        raw = text.encode("utf-8")
    del text, data
    raw = _clean_utf8(raw, has_bom, has_cr)
    first = _head_text(raw, 20)
    sep = max([",", "\t", ";", "|"], key=lambda c: first.count(c))
    if first.count(sep) == 0:
        sep = ","
    # Title lines have one field: the width is the widest record, not the first one. The head
    # gives it; spare columns catch a wider line further down without parsing the file twice
    # (only when even the spares fill up is the whole file measured and read again).
    width = _csv_width(_head_text(raw, 500), sep)
    df = _read_csv_bytes(raw, sep, width + CSV_SPARE_COLUMNS, display, problems)
    if df.width and df[:, -1].null_count() < df.height:
        full = raw.decode("utf-8").replace("\r\n", "\n")
        df = _read_csv_bytes(raw, sep, _csv_width(full, sep), display, problems)
    else:
        used = [c for c in df.columns[width:] if df[c].null_count() < df.height]
        last = max((int(c[1:]) for c in used), default=width - 1)
        df = df.select(df.columns[: last + 1])
    df = df.rename({c: f"c{i}" for i, c in enumerate(df.columns)})
    return RawSheet(display, stem, df, enc)


CSV_SPARE_COLUMNS = 16


def _read_csv_bytes(data: bytes, sep: str, width: int, display: str, problems: list[Problem]) -> pl.DataFrame:
    schema = {f"c{i}": pl.String for i in range(width)}
    try:
        return pl.read_csv(data, has_header=False, schema=schema, separator=sep, missing_columns="insert",
                           truncate_ragged_lines=True, raise_if_empty=False, quote_char='"')
    except Exception:
        try:  # a stray quote: read again without quoting rather than give up
            df = pl.read_csv(data, has_header=False, schema=schema, separator=sep, missing_columns="insert",
                             truncate_ragged_lines=True, raise_if_empty=False, quote_char=None)
            problems.append(Problem("warning", display, None, None,
                                    "文件中的引号不成对，已按不带引号的方式读取；请核对含逗号或换行的单元格"))
            return df
        except Exception as exc:
            raise LoadError(f"无法解析该 CSV 文件（{_first_line(exc)[:160]}），请用 Excel 打开后另存为 CSV（UTF-8）再检查") from exc


def _csv_width(text: str, sep: str) -> int:
    """The widest record of `text` (the head of the file, or all of it)."""
    try:
        return max((len(r) for r in csv.reader(io.StringIO(text), delimiter=sep)), default=1) or 1
    except csv.Error:  # a field beyond the csv module's limit: count separators instead
        return max(line.count(sep) for line in text.split("\n")) + 1


# ------------------------------------------------------------------------- header and kind
def _row_texts(df: pl.DataFrame, n: int) -> list[list[str]]:
    head = df.head(n)
    return [["" if v is None else str(v) for v in row] for row in head.iter_rows()]


@dataclass
class HeaderGuess:
    row_index: int  # 0-based index in the raw frame
    kind: str | None
    score: int
    mapping: dict[str, str]  # field -> cN
    duplicates: list[str]


def _map_row(cells: list[str], spec: KindSpec) -> tuple[dict[str, str], list[str]]:
    index = spec.alias_index()
    mapping: dict[str, str] = {}
    dups: list[str] = []
    for i, text in enumerate(cells):
        f = index.get(normalise_header(text))
        if f is None:
            continue
        if f in mapping:
            dups.append(text.strip())
            continue
        mapping[f] = f"c{i}"
    return mapping, dups


TABLE_KINDS = ("roster", "changes", "aid")


def guess_header(rows: list[list[str]], kind_hint: str | None, specs: dict[str, KindSpec]) -> HeaderGuess | None:
    best: HeaderGuess | None = None
    kinds = [kind_hint] if kind_hint else list(TABLE_KINDS)
    for ri, cells in enumerate(rows):
        if sum(1 for c in cells if c.strip()) < 1:
            continue
        for k in kinds:
            mapping, dups = _map_row(cells, specs[k])
            required = set(specs[k].required_columns)
            score = len(mapping) * 2 + len(required & set(mapping))
            if best is None or score > best.score:
                best = HeaderGuess(ri, k, score, mapping, dups)
    if best is None or len(best.mapping) < (1 if kind_hint else 2):
        return None
    if not kind_hint and best.kind in TABLE_KINDS:
        # A bare file is taken for a kind only when most of its required columns are there;
        # otherwise it is reported as unrecognised (with the nearest kind), not guessed.
        required = set(specs[best.kind].required_columns)
        if required and len(required & set(best.mapping)) * 2 < len(required):
            return None
    return best


def _title_lines(rows: list[list[str]], upto: int) -> list[str]:
    return [" ".join(c.strip() for c in r if c.strip()) for r in rows[:upto] if any(c.strip() for c in r)]


def build_table(sheet: RawSheet, kind_hint: str | None, specs: dict[str, KindSpec],
                problems: list[Problem]) -> Table | None:
    df = sheet.frame
    if df.height == 0 or df.width == 0:
        return None
    rows = _row_texts(df, HEADER_SCAN_ROWS)
    name = Path(sheet.file).name
    kind = kind_hint
    guess: HeaderGuess | None = None
    # Publicity and employed lists are recognised by their title/file name, not by columns.
    if kind is None:
        for special in ("publicity", "employed"):
            sp = specs[special]
            g = guess_header(rows, special, specs)
            if g is None or sp.detect_field not in g.mapping:
                continue
            titles = " ".join(_title_lines(rows, g.row_index)) + " " + name + " " + sheet.sheet
            if any(w in titles for w in sp.detect_words):
                kind, guess = special, g
                break
    if guess is None:
        guess = guess_header(rows, kind, specs)
    if guess is None:
        return None
    kind = guess.kind
    spec = specs[kind]
    headers = ["" if v is None else str(v).strip() for v in df.row(guess.row_index)]
    if guess.duplicates:
        fmap = spec.field_map
        used = {f: headers[int(c[1:])] for f, c in guess.mapping.items()}
        index = spec.alias_index()
        parts = []
        for d in guess.duplicates:
            f = index.get(normalise_header(d))
            parts.append(f"「{d}」与「{used.get(f, '')}」都对应{fmap[f].title if f in fmap else ''}")
        problems.append(Problem("warning", sheet.file, sheet.sheet, guess.row_index + 1,
                                f"表头重复：{'；'.join(parts)}，已使用第一次出现的列；请删去多余的列"))
    missing = [f for f in spec.required_columns if f not in guess.mapping]
    for group in spec.required_one_of:
        if not any(g in guess.mapping for g in group):
            missing.append("/".join(group))
    data = (
        df.with_row_index("_row", offset=1)
        .slice(guess.row_index + 1)
        .with_columns(pl.col("_row").cast(pl.Int64))
    )
    data = _drop_blank_and_total_rows(data, list(df.columns))
    return Table(kind=kind, file=sheet.file, sheet=sheet.sheet, header_row=guess.row_index + 1,
                 headers=headers, field_cols=guess.mapping, raw=data,
                 title_lines=_title_lines(rows, guess.row_index), missing=missing)


def _blank_cell(c: str) -> pl.Expr:
    return pl.col(c).is_null() | (pl.col(c).str.strip_chars() == "")


def _drop_blank_and_total_rows(data: pl.DataFrame, value_cols: list[str]) -> pl.DataFrame:
    """Drop rows whose cells are all empty and total rows (合计/总计/小计 in one of the first
    four cells). Each test first looks at a cheap necessary condition, so the exact one runs only
    on the few rows that may match instead of on every cell of the table."""
    if data.height == 0 or not value_cols:
        return data
    blank = pl.all_horizontal([_blank_cell(c) for c in value_cols])
    first = value_cols[: min(len(value_cols), 4)]
    total = pl.any_horizontal([pl.col(c).str.strip_chars().str.contains(TOTAL_ROW).fill_null(False)
                               for c in first])
    # A blank row is blank in the fullest column; a total row has 计 in one of the first cells.
    fullest = min(value_cols, key=lambda c: data.get_column(c).null_count())
    maybe_blank = _blank_cell(fullest)
    maybe_total = pl.any_horizontal([pl.col(c).str.contains("计", literal=True).fill_null(False) for c in first])
    cand = data.filter(maybe_blank | maybe_total)
    if cand.height == 0:
        return data
    drop = cand.filter(blank | total).get_column("_row")
    if drop.len() == 0:
        return data
    return data.filter(~pl.col("_row").is_in(drop.to_list()))


def nearest_kind_message(sheet: RawSheet, specs: dict[str, KindSpec]) -> str:
    rows = _row_texts(sheet.frame, HEADER_SCAN_ROWS)
    best = None
    for k in TABLE_KINDS:
        for cells in rows:
            mapping, _ = _map_row(cells, specs[k])
            if best is None or len(mapping) > best[1]:
                best = (k, len(mapping), cells, mapping)
    first = next((r for r in rows if any(c.strip() for c in r)), [])
    headers = "、".join(c.strip() for c in (best[2] if best and best[1] else first) if c.strip())[:200]
    if best is None:
        return "无法识别文件类型：没有任何内容"
    k, _, _, mapping = best
    spec = specs[k]
    missing = [spec.field_map[f].title for f in spec.required_columns if f not in mapping]
    return (f"无法识别文件类型。现有表头：{headers or '（无）'}；最接近「{spec.title}」，"
            f"还缺少列：{'、'.join(missing) or '（无）'}。请核对表头，或用 --{k} 等选项指明文件类型")


def _read_sheets(inp: InputFile, fh: BinaryIO, problems: list[Problem]) -> list[RawSheet]:
    """Read the open input: sets its size and sha256, returns its sheets. A CSV or Parquet file
    is read whole; a workbook is hashed and scanned through the file, then read by calamine."""
    path = inp.path
    suffix = path.suffix.lower()
    head = fh.read(8)
    is_excel_content = head.startswith((b"PK\x03\x04", OLE_MAGIC))
    if suffix == ".parquet" or (suffix in CSV_SUFFIXES and not is_excel_content) or not fh.seekable():
        data = head + fh.read()
        inp.size = len(data)
        inp.sha256 = hashlib.sha256(data).hexdigest()
        if suffix == ".parquet":
            df = pl.read_parquet(io.BytesIO(data))
            df = pl.concat([pl.DataFrame([list(map(str, df.columns))], schema=df.columns, orient="row"),
                            df.cast(pl.String)])
            return [RawSheet(inp.display, path.stem, df.rename({c: f"c{i}" for i, c in enumerate(df.columns)}))]
        if suffix in CSV_SUFFIXES and not is_excel_content:
            box = [data]  # handed over, so the CSV reader can drop the raw bytes once decoded
            del data
            return [read_csv_text(box, inp.display, path.stem, problems)]
        src: bytes | BinaryIO = data
    else:
        fh.seek(0)
        inp.sha256 = hashlib.file_digest(fh, "sha256").hexdigest()
        inp.size = fh.tell()
        src = fh
    if suffix in CSV_SUFFIXES:
        problems.append(Problem("warning", inp.display, None, None,
                                f"文件扩展名是 {suffix}，内容却是 Excel 工作簿，已按 Excel 读取；请改正扩展名"))
    elif suffix in {".xlsx", ".xlsm"} and head.startswith(OLE_MAGIC) and not _is_encrypted_ole(src):
        problems.append(Problem("warning", inp.display, None, None,
                                f"文件扩展名是 {suffix}，内容却是旧版 .xls 工作簿，已按 .xls 读取；请改正扩展名"))
    elif suffix == ".xls" and head.startswith(b"PK\x03\x04"):
        problems.append(Problem("warning", inp.display, None, None,
                                "文件扩展名是 .xls，内容却是 .xlsx 工作簿，已按 .xlsx 读取；请改正扩展名"))
    return read_excel_bytes(src, inp.display, problems)


def load_file(inp: InputFile, problems: list[Problem], specs: dict[str, KindSpec] | None = None) -> None:
    """Read one input (opened read-only, once) into tables. Never raises: whatever goes wrong is
    a Problem naming the file, so the other files are still checked."""
    specs = specs or all_kinds()
    path = inp.path
    try:
        with path.open("rb") as fh:  # read-only; the input is never written
            sheets = _read_sheets(inp, fh, problems)
    except LoadError as exc:
        inp.ok = False
        problems.append(Problem("error", inp.display, None, None, str(exc), detail=_detail(exc)))
        return
    except IsADirectoryError as exc:
        inp.ok = False
        problems.append(Problem("error", inp.display, None, None, "这是一个文件夹，不是表格文件", detail=_detail(exc)))
        return
    except OSError as exc:
        inp.ok = False
        problems.append(Problem("error", inp.display, None, None,
                                f"无法打开文件（{exc.strerror or exc}），请检查文件是否被占用或有无读取权限",
                                detail=_detail(exc)))
        return
    except MemoryError as exc:
        inp.ok = False
        problems.append(Problem("error", inp.display, None, None,
                                "文件太大，内存不足，无法读取；请拆分成几个文件后再检查", detail=_detail(exc)))
        return
    except Exception as exc:  # an unexpected reader failure must not stop the other files
        inp.ok = False
        problems.append(Problem("error", inp.display, None, None,
                                f"读取文件时发生意外错误（{type(exc).__name__}: {_first_line(exc)}），"
                                "请用 Excel 打开后另存为 .xlsx 再检查；加 --debug 可查看详细信息",
                                detail=_detail(exc)))
        return
    for sh in sheets:
        sh.file = inp.display
        try:
            tbl = build_table(sh, inp.kind_hint, specs, problems)
        except Exception as exc:
            problems.append(Problem("error", inp.display, sh.sheet, None,
                                    f"处理该工作表时发生意外错误（{type(exc).__name__}: {_first_line(exc)}），已跳过；"
                                    "加 --debug 可查看详细信息", detail=_detail(exc)))
            continue
        if tbl is None:
            if sh.frame.height and (len(sheets) == 1 or inp.kind_hint) and not sh.hidden:
                problems.append(Problem("error", inp.display, sh.sheet, None, nearest_kind_message(sh, specs)))
            continue
        if sh.hidden:
            problems.append(Problem("info", inp.display, sh.sheet, None,
                                    f"这是隐藏的工作表，识别为「{specs[tbl.kind].title}」，已一并检查"))
        if tbl.raw.height == 0:
            problems.append(Problem("warning", inp.display, sh.sheet, tbl.header_row,
                                    "只有表头，没有数据行；请确认导出是否完整"))
        inp.tables.append(tbl)
    if not inp.tables:
        inp.ok = False
        if not any(p.file == inp.display and p.level == "error" for p in problems):
            if any(sh.frame.height for sh in sheets):
                msg = "文件中没有识别出学籍、异动或资助表格（各工作表的表头都对不上），请核对表头，或用 --roster 等选项指明文件类型"
            else:
                msg = "文件中没有可检查的数据（所有工作表都是空的），请确认导出是否完整"
            problems.append(Problem("error", inp.display, None, None, msg))
