"""What the loader hands on: the tables it found, the problems it met, and the error for a file
that cannot be read at all. Every message about an input is masked here (`redact`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from xueji_check.pii import PATH_SHAPES, cut_text, mask_text


class LoadError(Exception):
    """A file that cannot be read at all; the message is Chinese and says what to do."""


def printable(text: str) -> str:
    """Text that can be printed and written: bytes of a file or folder name that is not UTF-8
    (kept by Python as lone surrogates, e.g. a GBK name unpacked on Linux) shown as \\xNN instead
    of making every output fail with UnicodeEncodeError."""
    if not isinstance(text, str):
        return text
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        try:
            return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        except UnicodeEncodeError:  # a surrogate that is no escaped byte
            return text.encode("utf-8", "backslashreplace").decode("utf-8")


def shown_sheet(name: str | None) -> str | None:
    """A sheet's name as shown: printable, an ID or mobile number in it masked (as in file
    names, `pii.PATH_SHAPES`, always: a workbook with a sheet per student)."""
    return mask_text(printable(name), PATH_SHAPES) if isinstance(name, str) else name


def shown_sheet_names(names: list[str]) -> list[str]:
    """`shown_sheet` of each of a workbook's sheet names, kept distinct: two names that differ
    only in a masked number get （2） after the second, so their rows and findings stay apart."""
    out, seen = [], set()
    for name in names:
        shown = base = shown_sheet(name)
        n = 1
        while shown in seen:
            n += 1
            shown = f"{base}（{n}）"
        seen.add(shown)
        out.append(shown)
    return out


def redact(text: str) -> str:
    """A message about an input made safe to show: every ID-, mobile- and bank-card-shaped
    number masked (pii.mask_text, the same shapes as in findings), quoted values cut to 200
    characters (pii.cut_text). Applied to every Problem, with or without --show-pii."""
    return cut_text(mask_text(text)) if isinstance(text, str) else text


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
        # the file as shown: an ID or mobile in its name masked (as `files.shown_path`; the
        # inputs' display names are masked already, a path the folder walker names is not)
        self.file = mask_text(printable(self.file), PATH_SHAPES) if isinstance(self.file, str) else self.file
        self.sheet = shown_sheet(self.sheet)
        self.message = redact(printable(self.message))

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
    frame: pl.DataFrame  # columns c0..cn, text; row i is Excel row i+1, column cN is Excel's N (c0 = A)
    encoding: str | None = None
    hidden: bool = False
    # cells whose value cannot be known (a formula without a saved value): _row (1-based, as in
    # Excel), col (cN). They read as empty but must never be reported as empty.
    unknown: pl.DataFrame | None = None


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
    # text of the rows below the header that are not records (footer, notes, headings between
    # blocks), one line per row in sheet order; read for facts such as the publicity period
    footer_lines: list[str] = field(default_factory=list)
    # the sheet row (1-based, as in Excel) of each entry of title_lines and of footer_lines
    title_rows: list[int] = field(default_factory=list)
    footer_rows: list[int] = field(default_factory=list)
    # the rows that are not records, as the sheet holds them (blank rows left out): those above
    # the header and those set aside below it (_row plus c0..cn as text); for the annotated copy
    other_rows: pl.DataFrame | None = None
    unknown: pl.DataFrame | None = None  # as RawSheet.unknown (cells whose value is not known)

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
    # a big Parquet file read by slices (`load.parquet.StreamedTable`), set by `load_file(stream=True)`
    stream: object | None = None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def _detail(exc: BaseException) -> str:
    import traceback

    return "".join(traceback.format_exception(exc))

