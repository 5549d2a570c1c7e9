"""findings.csv (UTF-8 with BOM), 问题清单.csv (the same for people), findings.json, findings.parquet."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from xueji_check.report import atomic_path, neutralise


def write_csv(df: pl.DataFrame, target: Path, *, for_excel: bool = False) -> Path:
    """findings.csv: the contract columns (findings.COLUMNS) and values as programs read them,
    UTF-8 with a BOM; formula-like text quoted (`neutralise`). `for_excel`: codes kept as text
    in Excel/WPS too (`as_excel_text`, 问题清单.csv)."""
    with atomic_path(target) as tmp:
        with tmp.open("wb") as fh:
            fh.write(b"\xef\xbb\xbf")
            (as_excel_text(df) if for_excel else neutralise(df)).write_csv(fh)
    return target


def for_people(df: pl.DataFrame) -> pl.DataFrame:
    """The findings with Chinese column names (规则, 级别, 数据, …) and Chinese values for
    severity (错误/警告/提示), dataset (学籍名册/资助申报与发放/…) and status (新增/持续), in the
    order of findings.COLUMNS. Unknown codes stay as written."""
    from xueji_check.findings import SEVERITY_ZH
    from xueji_check.report.excel import HEADERS_ZH, KIND_ZH, STATUS_ZH

    def zh(col: str, mapping: dict[str, str]) -> pl.Expr:
        return pl.col(col).replace(mapping) if col in df.columns else pl.lit(None)

    out = df.with_columns(zh("severity", SEVERITY_ZH), zh("dataset", KIND_ZH), zh("status", STATUS_ZH))
    return out.rename({c: HEADERS_ZH.get(c, c) for c in out.columns})


# A code Excel and WPS would damage when they open a CSV: digits with a leading 0 (学籍号
# 0124010…: the 0 is dropped) or 12 digits and more (shown as 1.24E+13; past 15 digits the last
# ones become 0, as in a 16-digit fingerprint)
_EXCEL_DAMAGES = r"^(?:0\d+|\d{12,})$"


def as_excel_text(df: pl.DataFrame) -> pl.DataFrame:
    """`neutralise(df)`, then every text cell that Excel/WPS would read as a number and damage
    written as the formula ="…", which they show as the text itself. Only for 问题清单.csv (for
    people); findings.csv keeps the plain values programs read."""
    df = neutralise(df)
    return df.with_columns(pl.when(pl.col(c).str.contains(_EXCEL_DAMAGES)).then(
        pl.format('="{}"', pl.col(c))).otherwise(pl.col(c)).alias(c) for c, t in df.schema.items() if t == pl.String)


def write_csv_zh(df: pl.DataFrame, target: Path) -> Path:
    """问题清单.csv: `for_people(df)`, UTF-8 with a BOM, for opening in Excel/WPS, codes kept as
    text there (`as_excel_text`). The contract file for programs stays findings.csv."""
    return write_csv(for_people(df), target, for_excel=True)


JSON_SLICE_ROWS = 50_000  # findings serialised at a time


def write_json(doc: dict, target: Path, findings: pl.DataFrame | None = None) -> Path:
    """findings.json: the document with indent 1; when `findings` is given it becomes the
    ``findings`` array, one finding per line, serialised by Polars (``json`` over a list of
    dicts is the slow part with tens of thousands of findings)."""
    with atomic_path(target) as tmp:
        if findings is None:
            tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
            return target
        marker = "@@xueji-check-findings@@"
        head, _, tail = json.dumps({**doc, "findings": marker}, ensure_ascii=False, indent=1,
                                   default=str).partition(json.dumps(marker))
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write(head)
            if findings.height:
                # slice by slice: 1.5M findings as one string were gigabytes of memory
                fh.write("[\n")
                for off in range(0, findings.height, JSON_SLICE_ROWS):
                    if off:
                        fh.write(",\n")
                    fh.write(findings.slice(off, JSON_SLICE_ROWS).write_ndjson().rstrip("\n").replace("\n", ",\n"))
                fh.write("\n ]")
            else:
                fh.write("[]")
            fh.write(tail)
    return target


def write_parquet(df: pl.DataFrame, target: Path) -> Path:
    with atomic_path(target) as tmp:
        df.write_parquet(tmp)
    return target
