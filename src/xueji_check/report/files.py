"""findings.csv (UTF-8 with BOM) and findings.json."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from xueji_check.report import atomic_path, neutralise


def write_csv(df: pl.DataFrame, target: Path) -> Path:
    with atomic_path(target) as tmp:
        with tmp.open("wb") as fh:
            fh.write(b"\xef\xbb\xbf")
            neutralise(df).write_csv(fh)
    return target


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
        rows = findings.write_ndjson().rstrip("\n").replace("\n", ",\n") if findings.height else ""
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write(head)
            fh.write("[\n" + rows + "\n ]" if rows else "[]")
            fh.write(tail)
    return target


def write_parquet(df: pl.DataFrame, target: Path) -> Path:
    with atomic_path(target) as tmp:
        df.write_parquet(tmp)
    return target
