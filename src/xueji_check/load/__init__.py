"""Read exported tables: find files, read every sheet as text, locate the header row, map
headers to canonical fields through the schema aliases, recognise each file's kind.

Values stay text here; `tables.py` normalises them. Every record keeps its file, sheet and the
row number a person sees in Excel.

The parts: `files` (which paths), `csv` (delimited text), `xlsx` (workbooks), `kinds` (which
kind a table is), `table` (a sheet to a table), `model` (what is handed on).
"""

from __future__ import annotations

import hashlib
import io
from typing import BinaryIO

import polars as pl

from xueji_check.load.csv import (
    _CONTROL,
    _CONTROL_BYTES,
    CSV_SPARE_COLUMNS,
    UTF8_SAMPLE,
    _clean_text,
    _clean_utf8,
    _csv_width,
    _read_csv_bytes,
    decode_text,
    read_csv_text,
)
from xueji_check.load.files import CSV_SUFFIXES, EXCEL_SUFFIXES, discover
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
from xueji_check.load.table import _drop_blank_and_total_rows, build_table
from xueji_check.load.xlsx import OLE_MAGIC, _is_encrypted_ole, _Scanner, read_excel_bytes, scan_zip
from xueji_check.spec import KindSpec, all_kinds

__all__ = [
    "CSV_SPARE_COLUMNS", "CSV_SUFFIXES", "EXCEL_SUFFIXES", "UTF8_SAMPLE", "InputFile", "LoadError", "Problem",
    "RawSheet", "Table", "_CONTROL", "_CONTROL_BYTES", "_Scanner", "_clean_text", "_clean_utf8", "_csv_width",
    "_drop_blank_and_total_rows", "_read_csv_bytes", "build_table", "decode_text", "discover", "load_file",
    "read_csv_text", "read_excel_bytes", "redact", "scan_zip",
]


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
            if any(sh.frame.height for sh in sheets):
                msg = "文件中没有识别出学籍、异动或资助表格（各工作表的表头都对不上），请核对表头，或用 --roster 等选项指明文件类型"
            else:
                msg = "文件中没有可检查的数据（所有工作表都是空的），请确认导出是否完整"
            problems.append(Problem("error", inp.display, None, None, msg))
