"""Normalise loaded tables into canonical, typed Polars frames (one per kind)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from xueji_check import normalize as nz
from xueji_check.load import Table
from xueji_check.spec import FieldSpec, KindSpec

META = ["_file", "_sheet", "_row", "_tid"]


def field_exprs(f: FieldSpec, col: str, as_of: dt.date) -> list[pl.Expr]:
    raw = pl.col(col)
    n = f.name
    if f.type == "id_number":
        return []  # staged in normalise_table (add_id_columns)
    if f.type == "date":
        return []  # staged in normalise_table (add_date_columns)
    if f.type == "number":
        return [nz.clean_text(raw).alias(f"{n}__raw"), nz.number(raw).alias(n)]
    if f.type == "bool":
        return [nz.clean_text(raw).alias(f"{n}__raw"), nz.yes_no(raw).alias(n)]
    if f.type == "enum":
        return [nz.clean_text(raw).alias(f"{n}__raw"), nz.enum_value(raw, f.values, f.synonyms).alias(n)]
    if f.type == "term":
        ts = nz.term_struct(raw)
        return [nz.clean_text(raw).alias(f"{n}__raw"), ts.struct.field("label").alias(n),
                ts.struct.field("year").alias(f"{n}_year"), ts.struct.field("season").alias(f"{n}_season")]
    if f.type == "grade_year":
        return [nz.clean_text(raw).alias(f"{n}__raw"), nz.grade_year(raw).alias(n)]
    if n == "name":
        return [nz.compact(raw).alias(n)]
    return [nz.clean_text(raw).alias(n)]


def normalise_table(t: Table, spec: KindSpec, as_of: dt.date, tid: int) -> pl.LazyFrame:
    exprs: list[pl.Expr] = [
        pl.lit(t.file).alias("_file"), pl.lit(t.sheet).alias("_sheet"), pl.col("_row"),
        pl.lit(tid, dtype=pl.Int32).alias("_tid"),
    ]
    fmap = spec.field_map
    ids = []
    for name, col in t.field_cols.items():
        if fmap[name].type in ("id_number", "date"):
            ids.append((name, col))
            exprs.append(pl.col(col).alias(f"_idraw_{name}"))
        exprs.extend(field_exprs(fmap[name], col, as_of))
    lf = t.raw.lazy().select(exprs)
    for name, _ in ids:
        if fmap[name].type == "id_number":
            lf = nz.add_id_columns(lf, f"_idraw_{name}", name, as_of)
        else:
            lf = nz.add_date_columns(lf, f"_idraw_{name}", name)
        lf = lf.drop(f"_idraw_{name}")
    return lf


def combine(tables: list[Table], spec: KindSpec, as_of: dt.date, tids: list[int]) -> pl.DataFrame:
    frames = [normalise_table(t, spec, as_of, i).collect() for t, i in zip(tables, tids, strict=True)]
    if not frames:
        return pl.DataFrame()
    df = pl.concat(frames, how="diagonal_relaxed")
    # Student key: normalised ID number, else 学籍号.
    key_parts = []
    if "id_number" in df.columns:
        key_parts.append(pl.col("id_number"))
    if "student_id" in df.columns:
        key_parts.append(pl.lit("SID:") + pl.col("student_id"))
    key = pl.coalesce(key_parts) if key_parts else pl.lit(None, dtype=pl.String)
    return df.with_columns(_key=key)
