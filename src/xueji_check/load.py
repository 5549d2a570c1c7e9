"""Read exported tables: find files, read every sheet as text, locate the header row, map
headers to canonical fields through the schema aliases, recognise each file's kind.

Values stay text here; `tables.py` normalises them. Every record keeps its file, sheet and the
row number a person sees in Excel.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from xueji_check.spec import KINDS, KindSpec, all_kinds, normalise_header

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
CSV_SUFFIXES = {".csv", ".tsv", ".txt"}
HEADER_SCAN_ROWS = 60
TOTAL_ROW = r"^(合\s*计|总\s*计|小\s*计)"
# A workbook whose parts inflate beyond this is refused (zip bomb guard).
MAX_UNZIPPED_BYTES = 3 * 1024**3
MAX_ZIP_RATIO = 1000


class LoadError(Exception):
    """A file that cannot be read at all; the message is Chinese and says what to do."""


@dataclass
class Problem:
    """A message about an input (not a finding about a student)."""

    level: str  # error | warning | info
    file: str
    sheet: str | None
    row: int | None
    message: str

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

    def header_of(self, field_name: str) -> str:
        col = self.field_cols.get(field_name)
        return self.headers[int(col[1:])] if col else ""

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
def discover(paths: list[Path], problems: list[Problem]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and f.suffix.lower() in EXCEL_SUFFIXES | CSV_SUFFIXES | {".parquet"}:
                    if f.name.startswith(("~$", ".")) or f.name.lower() == "readme.md":
                        continue
                    out.append(f)
        elif p.exists():
            out.append(p)
        else:
            problems.append(Problem("error", str(p), None, None, "文件不存在，请检查路径是否正确"))
    return out


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ------------------------------------------------------------------------- reading
def _sniff(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(8)


def _guard_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            total = sum(i.file_size for i in infos)
            packed = sum(i.compress_size for i in infos) or 1
            bad = zf.testzip() if path.stat().st_size < 5_000_000 else None
    except zipfile.BadZipFile as exc:
        raise LoadError("文件已损坏（不是完整的 xlsx 压缩包），请重新从系统导出后再检查") from exc
    if total > MAX_UNZIPPED_BYTES or (total > 200 * 1024**2 and total / packed > MAX_ZIP_RATIO):
        raise LoadError(
            f"文件解压后达 {total / 1024**2:,.0f} MB（压缩比 {total / packed:,.0f} 倍），疑似压缩炸弹，已拒绝读取；"
            "请确认文件来源，或另存为普通 xlsx 后再检查"
        )
    if bad is not None:
        raise LoadError(f"文件已损坏（压缩包内 {bad} 校验失败），请重新从系统导出后再检查")


def read_excel_sheets(path: Path) -> list[RawSheet]:
    head = _sniff(path)
    suffix = path.suffix.lower()
    if not head:
        raise LoadError("文件是空的（0 字节），请重新导出")
    if head.startswith(b"PK"):
        _guard_zip(path)
    elif head.startswith(b"\xd0\xcf\x11\xe0"):
        if suffix in {".xlsx", ".xlsm"}:
            raise LoadError("文件已加密（设置了打开密码），请在 Excel 中取消密码后另存再检查")
    elif suffix != ".ods":
        raise LoadError(f"文件内容不是 Excel 格式（扩展名为 {suffix}），请用 Excel 打开后另存为 .xlsx 再检查")
    try:
        frames = pl.read_excel(
            path,
            engine="calamine",
            sheet_id=0,
            has_header=False,
            read_options={"header_row": None, "skip_rows": 0, "dtypes": "string"},
            drop_empty_rows=False,
            drop_empty_cols=False,
            raise_if_empty=False,
        )
    except Exception as exc:  # calamine errors are varied; name the file and the cause
        text = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        if "password" in text.lower() or "encrypt" in text.lower():
            raise LoadError("文件已加密（设置了打开密码），请在 Excel 中取消密码后另存再检查") from exc
        raise LoadError(f"无法读取该 Excel 文件（{text}），请用 Excel 打开后另存为 .xlsx 再检查") from exc
    out = []
    for name, df in frames.items():
        df = df.rename({c: f"c{i}" for i, c in enumerate(df.columns)})
        out.append(RawSheet(str(path), name, df.cast(pl.String)))
    return out


def decode_text(data: bytes) -> tuple[str, str, bool]:
    """Return (text, encoding, lossy). UTF-8/UTF-8 BOM/UTF-16 BOM, else GB18030."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig", False
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), "utf-16", False
    try:
        return data.decode("utf-8"), "utf-8", False
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030", False
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace"), "gb18030", True


def read_csv_sheet(path: Path, problems: list[Problem]) -> RawSheet:
    data = path.read_bytes()
    if not data.strip():
        raise LoadError("文件是空的，请重新导出")
    text, enc, lossy = decode_text(data)
    if lossy:
        problems.append(Problem("warning", str(path), None, None,
                                "文件中有无法识别的字节（已按 GB18030 读取并以 � 代替），请核对中文是否乱码"))
    text = text.replace("\ufeff", "").replace("\r\n", "\n").replace("\r", "\n")
    first = "\n".join(text.split("\n", 20)[:20])
    sep = max([",", "\t", ";", "|"], key=lambda c: first.count(c))
    if first.count(sep) == 0:
        sep = ","
    try:
        df = pl.read_csv(
            io.StringIO(text), has_header=False, infer_schema=False, separator=sep,
            truncate_ragged_lines=True, raise_if_empty=False,
        )
    except Exception as exc:
        raise LoadError(f"无法解析该 CSV 文件（{str(exc).splitlines()[0][:160]}），请用 Excel 打开后另存为 CSV（UTF-8）再检查") from exc
    df = df.rename({c: f"c{i}" for i, c in enumerate(df.columns)})
    return RawSheet(str(path), path.stem, df, enc)


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
        problems.append(Problem("warning", sheet.file, sheet.sheet, guess.row_index + 1,
                                f"表头重复：{'、'.join(guess.duplicates)}，已使用第一次出现的列"))
    missing = [f for f in spec.required_columns if f not in guess.mapping]
    for group in spec.required_one_of:
        if not any(g in guess.mapping for g in group):
            missing.append("/".join(group))
    data = (
        df.with_row_index("_row", offset=1)
        .slice(guess.row_index + 1)
        .with_columns(pl.col("_row").cast(pl.Int64))
    )
    value_cols = [c for c in df.columns]
    blank = pl.all_horizontal([pl.col(c).is_null() | (pl.col(c).str.strip_chars() == "") for c in value_cols])
    total = pl.any_horizontal([pl.col(c).str.strip_chars().str.contains(TOTAL_ROW).fill_null(False)
                               for c in value_cols[: min(len(value_cols), 4)]])
    data = data.filter(~blank & ~total)
    return Table(kind=kind, file=sheet.file, sheet=sheet.sheet, header_row=guess.row_index + 1,
                 headers=headers, field_cols=guess.mapping, raw=data,
                 title_lines=_title_lines(rows, guess.row_index), missing=missing)


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


def load_file(inp: InputFile, problems: list[Problem], specs: dict[str, KindSpec] | None = None) -> None:
    specs = specs or all_kinds()
    path = inp.path
    try:
        inp.size = path.stat().st_size
        inp.sha256 = sha256_of(path)
        suffix = path.suffix.lower()
        if suffix in CSV_SUFFIXES:
            sheets = [read_csv_sheet(path, problems)]
        elif suffix == ".parquet":
            df = pl.read_parquet(path)
            df = pl.concat([pl.DataFrame([list(map(str, df.columns))], schema=df.columns, orient="row"),
                            df.cast(pl.String)])
            sheets = [RawSheet(str(path), path.stem, df.rename({c: f"c{i}" for i, c in enumerate(df.columns)}))]
        else:
            sheets = read_excel_sheets(path)
    except LoadError as exc:
        inp.ok = False
        problems.append(Problem("error", inp.display, None, None, str(exc)))
        return
    except OSError as exc:
        inp.ok = False
        problems.append(Problem("error", inp.display, None, None, f"无法打开文件（{exc.strerror}），请检查文件权限"))
        return
    for sh in sheets:
        sh.file = inp.display
        tbl = build_table(sh, inp.kind_hint, specs, problems)
        if tbl is None:
            if sh.frame.height and len(sheets) == 1 or (inp.kind_hint and sh.frame.height):
                problems.append(Problem("error", inp.display, sh.sheet, None, nearest_kind_message(sh, specs)))
            continue
        inp.tables.append(tbl)
    if not inp.tables:
        inp.ok = False
        if not any(p.file == inp.display for p in problems):
            problems.append(Problem("error", inp.display, None, None,
                                    "文件中没有可检查的数据（所有工作表都是空的），请确认导出是否完整"))


def kinds_label(kind: str) -> str:
    return all_kinds()[kind].title if kind in KINDS else kind


_SAFE = re.compile(r"[\\/:*?\"<>|]")
