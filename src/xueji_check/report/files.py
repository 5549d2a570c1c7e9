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


def write_json(doc: dict, target: Path) -> Path:
    with atomic_path(target) as tmp:
        tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return target


def write_parquet(df: pl.DataFrame, target: Path) -> Path:
    with atomic_path(target) as tmp:
        df.write_parquet(tmp)
    return target
