"""Read exported tables: find files, read every sheet as text, locate the header row, map
headers to canonical fields through the schema aliases, recognise each file's kind.

Values stay text here; `tables.py` normalises them. Every record keeps its file, sheet and the
row number a person sees in Excel.

The parts: `files` (which paths), `csv` (delimited text), `xlsx` (workbooks), `kinds` (which
kind a table is), `table` (a sheet to a table), `model` (what is handed on).
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from typing import BinaryIO

import polars as pl

from xueji_check.load import parquet
from xueji_check.load.csv import (
    _CONTROL,
    _CONTROL_BYTES,
    CSV_SPARE_COLUMNS,
    UTF8_SAMPLE,
    _clean_text,
    _clean_utf8,
    _csv_width,
    _read_csv_bytes,
    binary_reason,
    decode_bytes,
    decode_text,
    read_csv_text,
)
from xueji_check.load.files import (
    CSV_SUFFIXES,
    EXCEL_SUFFIXES,
    FOLDER_SUFFIXES,
    MEMORY,
    PARQUET_BYTES_PER_CELL,
    TEXT_READ_FACTOR,
    NotChecked,
    _special_kind,
    available_memory,
    discover,
    refuse_given,
    shown_path,
    shown_paths,
    special_message,
)
from xueji_check.load.kinds import nearest_kind_message
from xueji_check.load.model import (
    InputFile,
    LoadError,
    Problem,
    RawSheet,
    Table,
    _detail,
    _first_line,
    redact,
)
from xueji_check.load.parquet import ParquetSource
from xueji_check.load.table import _drop_blank_and_total_rows, build_table
from xueji_check.load.xlsx import (
    OLE_MAGIC,
    _content_hint,
    _is_encrypted_ole,
    _Scanner,
    read_excel_bytes,
    scan_zip,
)
from xueji_check.spec import GUIDE_SHEET_NAMES, NOT_DATA_SHEETS, KindSpec, all_kinds

__all__ = [
    "CSV_SPARE_COLUMNS", "CSV_SUFFIXES", "EXCEL_SUFFIXES", "FOLDER_SUFFIXES", "UTF8_SAMPLE", "InputFile",
    "LoadError", "NotChecked", "Problem", "RawSheet", "Table", "_CONTROL", "_CONTROL_BYTES", "_Scanner",
    "_clean_text", "_clean_utf8", "_csv_width", "available_memory", "decode_bytes", "refuse_given", "shown_path", "shown_paths",
    "_drop_blank_and_total_rows", "_read_csv_bytes", "build_table", "decode_text", "discover", "load_file",
    "read_csv_text", "read_excel_bytes", "redact", "scan_zip",
]


HEAD_BYTES = UTF8_SAMPLE  # what is looked at before a file is read whole

# A sheet of totals beside the lists (汇总, 分校统计): its sheet name or a header says so
_SUMMARY_SHEET = re.compile(r"汇总|统计|合计|小计")
_COUNT_HEADER = re.compile(r"人数|人次|户数|总数|合计|小计|总计")
_PERSON_FIELDS = ("name", "id_number", "student_id")


def is_summary_table(sheet: str | None, tbl) -> bool:
    """A table that lacks required columns and every column naming a student (姓名, 证件号码,
    学籍号), in a sheet named as totals (汇总, 统计) or under a header counting people or summing
    (人数, 合计): a summary beside the student lists, not a list with columns missing (S001)."""
    if not tbl.missing or any(f in tbl.field_cols for f in _PERSON_FIELDS):
        return False
    return bool(_SUMMARY_SHEET.search(sheet or "")) or any(_COUNT_HEADER.search(h or "") for h in tbl.headers)


def _open_regular(path) -> BinaryIO:
    """Open read-only, and only a regular file: the type is checked on the open descriptor
    (fstat), and O_NONBLOCK keeps the open of a FIFO that took the file's place from blocking."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(21, "Is a directory", str(path))
        kind = _special_kind(mode)
        if kind:
            raise LoadError(special_message(kind))
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _read_whole(fh: BinaryIO, head: bytes, size: int) -> bytes:
    """The rest of the file after `head`, no more than its size said (the read is bounded by
    what the memory check allowed): a file that grows while it is read is refused."""
    data = head + fh.read(max(size - len(head), 0))
    if fh.read(1):
        raise LoadError("文件在读取过程中变大了（可能仍在写入或导出未完成），请等导出完成后再检查")
    return data


def _read_parquet(inp: InputFile, fh: BinaryIO, head: bytes, size: int, problems: list[Problem],
                  stream: bool = False) -> list[RawSheet] | ParquetSource:
    """A Parquet file: one sheet, the column names as its first row, every value as text.
    Nested columns (list, struct) are left out with a warning; nothing here asks for a bug report.
    With `stream`, a file of more than `parquet.STREAM_ROWS` rows is not read: its
    `ParquetSource` is returned, for reading by slices."""
    if not head:
        raise LoadError("文件是空的（0 字节），请重新导出")
    if not head.startswith(b"PAR1"):
        if binary_reason(head) is None and _looks_text(head):
            raise LoadError("文件扩展名是 .parquet，内容却是文本文件；请把扩展名改为 .csv 后再检查")
        raise LoadError(f"文件内容不是 Parquet 格式（{_content_hint(head)}），请重新导出，或另存为 .xlsx/.csv 后再检查")
    fh.seek(max(size - 4, 0))
    if size < 12 or fh.read(4) != b"PAR1":
        raise LoadError("Parquet 文件不完整（可能被截断，或导出尚未完成），请重新导出后再检查")
    fh.seek(0)
    inp.sha256 = hashlib.file_digest(fh, "sha256").hexdigest()
    try:
        fh.seek(0)
        schema = pl.read_parquet_schema(fh)
        fh.seek(0)
        rows = pl.scan_parquet(fh).select(pl.len()).collect().item()
    except Exception as exc:
        raise LoadError(f"Parquet 文件已损坏，无法读取（{_first_line(exc)[:160]}），请重新导出后再检查") from exc
    nested = [c for c, t in schema.items() if t.is_nested()]
    flat = [c for c in schema if c not in nested]
    if not flat:
        raise LoadError(f"Parquet 文件中的列都是嵌套类型（列表或结构，如「{'」「'.join(nested[:5])}」），"
                        "不是一张平面表格，无法检查；请导出为每个单元格只有一个值的表格")
    if stream and rows > parquet.STREAM_ROWS:
        identity = parquet._identity(os.fstat(fh.fileno()))
        path = inp.path.absolute()  # Polars would read a leading `~` as the home folder
        order = list(schema)
        dropped = list(nested)
        positions = []
        for c in flat:
            i = order.index(c)
            if _plain_type(schema[c]) or _casts_to_text(path, i):
                positions.append(i)
            else:
                dropped.append(c)
        _warn_dropped(inp, dropped, problems)
        if not positions:
            raise LoadError("Parquet 文件中没有可以读取的列（都是二进制或嵌套数据），请重新导出为普通表格")
        # the header text as the whole read gives it (Polars names an unnamed column `column_N`)
        names = pl.DataFrame([pl.Series(order[i], [], pl.String) for i in positions]).columns
        return parquet.ParquetSource(path, rows, names, identity, positions)
    need = (rows + 1) * len(flat) * PARQUET_BYTES_PER_CELL + size
    with MEMORY.reserve(need, size):
        try:
            fh.seek(0)
            df = pl.read_parquet(fh, columns=flat)
        except Exception as exc:
            raise LoadError(f"Parquet 文件已损坏，无法读取（{_first_line(exc)[:160]}），请重新导出后再检查") from exc
        dropped = list(nested)
        cols = []
        for c in flat:
            try:
                cols.append(df[c].cast(pl.String))
            except Exception:  # binary that is not UTF-8 text, or a type without a text form
                dropped.append(c)
        del df
    _warn_dropped(inp, dropped, problems)
    if not cols:
        raise LoadError("Parquet 文件中没有可以读取的列（都是二进制或嵌套数据），请重新导出为普通表格")
    body = pl.DataFrame(cols)
    names = body.columns
    df = pl.concat([pl.DataFrame([names], schema=names, orient="row"), body])
    return [RawSheet(inp.display, shown_path(inp.path.stem), df.rename({c: f"c{i}" for i, c in enumerate(names)}))]


def _plain_type(dtype: pl.DataType) -> bool:
    """A column type every value of which has a text form (no need to try the cast)."""
    return (dtype.is_numeric() or dtype.is_temporal() and dtype != pl.Duration
            or dtype in (pl.String, pl.Boolean, pl.Categorical, pl.Null) or isinstance(dtype, pl.Enum))


def _casts_to_text(path, position: int) -> bool:
    """Whether column `position` of a Parquet file casts to text throughout (one streaming pass
    over that column): binary that is UTF-8 does, binary that is not or a duration does not."""
    try:
        pl.scan_parquet(path, hive_partitioning=False, glob=False).select(
            pl.nth(position).cast(pl.String).str.len_bytes().sum()).collect(engine="streaming")
        return True
    except Exception:
        return False


def _warn_dropped(inp: InputFile, dropped: list[str], problems: list[Problem]) -> None:
    if dropped:
        problems.append(Problem("warning", inp.display, None, None,
                                f"Parquet 文件中有 {len(dropped)} 列不是文本或数字（嵌套的列表/结构，或二进制数据）："
                                f"「{'」「'.join(dropped[:10])}」{'等' if len(dropped) > 10 else ''}，这些列未读取；"
                                "如其中有要检查的内容，请导出为每个单元格只有一个值的表格"))


def _looks_text(head: bytes) -> bool:
    try:
        head[:4096].decode("utf-8")
        return True
    except UnicodeDecodeError as exc:
        return exc.start > 4090 or head[:4096].decode("gb18030", errors="replace").count("\ufffd") == 0


def _read_sheets(inp: InputFile, fh: BinaryIO, problems: list[Problem],
                 stream: bool = False) -> list[RawSheet] | ParquetSource:
    """Read the open (regular) file: sets its size and sha256, returns its sheets.

    Only the head (64 KB) is read first: it decides the format, and a file that is not what its
    name says is refused from it, before the rest is read or hashed. A CSV is then read whole,
    bounded by its size and admitted by the memory check (`files.MEMORY`); a Parquet file
    through its metadata; a workbook is hashed and scanned through the file, then read by
    calamine. With `stream`, a big Parquet file gives its `ParquetSource` instead (`_read_parquet`)."""
    path = inp.path
    suffix = path.suffix.lower()
    size = os.fstat(fh.fileno()).st_size
    inp.size = size
    head = fh.read(HEAD_BYTES)
    is_excel_content = head.startswith((b"PK\x03\x04", OLE_MAGIC))
    if suffix == ".parquet" and not is_excel_content:
        return _read_parquet(inp, fh, head, size, problems, stream)
    # a system's "Excel" export that is a text table (tab- or comma-separated) under an Excel name
    first_line = head.lstrip().split(b"\n", 1)[0]
    utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))  # Excel's "Unicode text" save
    text_as_excel = (suffix not in CSV_SUFFIXES and not is_excel_content and (b"\t" in first_line or b"," in first_line)
                     and (utf16 or binary_reason(head) is None)
                     and (utf16 or _looks_text(head)) and not head.lstrip().lower().startswith((b"<", b"\xef\xbb\xbf<")))
    if text_as_excel:
        problems.append(Problem("warning", inp.display, None, None,
                                f"文件扩展名是 {suffix}，内容却是文本表格（制表符或逗号分隔，常见于系统直接导出），"
                                "已按文本表格读取；请改正扩展名，或用 Excel 打开后另存为 .xlsx"))
    if (suffix in CSV_SUFFIXES and not is_excel_content) or text_as_excel:
        why = None if text_as_excel else binary_reason(head)
        if why:
            raise LoadError(f"文件内容不是文本表格（{why}），请用 Excel 打开后另存为 .xlsx 或 CSV 再检查")
        with MEMORY.reserve(size * TEXT_READ_FACTOR, size):
            data = _read_whole(fh, head, size)
            inp.sha256 = hashlib.sha256(data).hexdigest()
            box = [data]  # handed over, so the CSV reader can drop the raw bytes once decoded
            del data
            return [read_csv_text(box, inp.display, shown_path(path.stem), problems)]
    if not is_excel_content:
        # not a workbook whatever its name: refused from the head (empty, text, PDF, …)
        return read_excel_bytes(head, inp.display, problems)
    fh.seek(0)
    inp.sha256 = hashlib.file_digest(fh, "sha256").hexdigest()
    if suffix in CSV_SUFFIXES or suffix == ".parquet":
        problems.append(Problem("warning", inp.display, None, None,
                                f"文件扩展名是 {suffix}，内容却是 Excel 工作簿，已按 Excel 读取；请改正扩展名"))
    elif suffix in {".xlsx", ".xlsm"} and head.startswith(OLE_MAGIC) and not _is_encrypted_ole(fh):
        problems.append(Problem("warning", inp.display, None, None,
                                f"文件扩展名是 {suffix}，内容却是旧版 .xls 工作簿，已按 .xls 读取；请改正扩展名"))
    elif suffix == ".xls" and head.startswith(b"PK\x03\x04"):
        problems.append(Problem("warning", inp.display, None, None,
                                "文件扩展名是 .xls，内容却是 .xlsx 工作簿，已按 .xlsx 读取；请改正扩展名"))
    return read_excel_bytes(fh, inp.display, problems)


def load_file(inp: InputFile, problems: list[Problem], specs: dict[str, KindSpec] | None = None, *,
              stream: bool = False) -> None:
    """Read one input (opened read-only, once) into tables. Never raises: whatever goes wrong is
    a Problem naming the file, so the other files are still checked.

    With `stream` (the caller writes the rows to the store slice by slice), a Parquet file of more
    than `parquet.STREAM_ROWS` rows whose table is recognised from its first rows is not read:
    `inp.stream` gets its `parquet.StreamedTable` and `inp.tables` its table, whose `raw` is
    empty (the rows are read by `StreamedTable.slices`)."""
    specs = specs or all_kinds()
    path = inp.path
    try:
        with _open_regular(path) as fh:  # read-only; the input is never written
            before = len(problems)
            sheets = _read_sheets(inp, fh, problems, stream)
            if isinstance(sheets, ParquetSource):
                streamed = parquet.stream_table(sheets, inp.display, inp.kind_hint, specs, problems)
                if streamed is None:  # judged on the usual path, which says again what it finds
                    del problems[before:]
                    fh.seek(0)
                    sheets = _read_sheets(inp, fh, problems)
                else:
                    tbl = streamed.table
                    if streamed.records == 0:
                        problems.append(Problem("warning", inp.display, tbl.sheet, tbl.header_row,
                                                "只有表头，没有数据行；请确认导出是否完整"))
                    inp.stream = streamed
                    inp.tables.append(tbl)
                    return
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
    guides: list[str] = []  # sheets named as instructions that hold a table (not checked)
    for sh in sheets:
        sh.file = inp.display
        if len(sheets) > 1 and sh.sheet.strip() in NOT_DATA_SHEETS:
            continue  # a template's 填表说明, `publicity make`'s 未列入名单: beside the data, never data
        try:
            tbl = build_table(sh, inp.kind_hint, specs, problems)
        except Exception as exc:
            problems.append(Problem("error", inp.display, sh.sheet, None,
                                    f"处理该工作表时发生意外错误（{type(exc).__name__}: {_first_line(exc)}），已跳过；"
                                    "加 --debug 可查看详细信息", detail=_detail(exc)))
            continue
        if tbl is None:
            if sh.sheet.strip() in GUIDE_SHEET_NAMES and len(sheets) > 1:
                continue  # instructions beside the table (a template's 填表说明): not data, as any other non-table sheet
            if sh.frame.height and (len(sheets) == 1 or inp.kind_hint) and not sh.hidden:
                problems.append(Problem("error", inp.display, sh.sheet, None, nearest_kind_message(sh, specs)))
            continue
        if sh.sheet.strip() in GUIDE_SHEET_NAMES and len(sheets) > 1:
            guides.append(sh.sheet.strip())
            problems.append(Problem("info", inp.display, sh.sheet, None,
                                    f"工作表名「{sh.sheet.strip()}」表明这是填表说明或示例，其中的表格未作为数据检查；"
                                    "如确是学生数据，请把工作表改名后再检查"))
            continue
        if len(sheets) > 1 and is_summary_table(sh.sheet, tbl):
            problems.append(Problem("info", inp.display, sh.sheet, None,
                                    "这个工作表是汇总表（有人数、合计等，没有学生的姓名、证件号码或学籍号列），不作为名单检查"))
            continue
        tbl.unknown = sh.unknown
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
            if guides:
                msg = (f"只有名为「{'」「'.join(guides)}」的工作表中有可识别的表格，按名称是填表说明或示例，未检查；"
                       "如确是学生数据，请把工作表改名后再检查")
            elif any(sh.frame.height for sh in sheets):
                msg = "文件中没有识别出学籍、异动或资助表格（各工作表的表头都对不上），请核对表头，或用 --roster 等选项指明文件类型"
            else:
                msg = "文件中没有可检查的数据（所有工作表都是空的），请确认导出是否完整"
            problems.append(Problem("error", inp.display, None, None, msg))
