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
        st = nz.id_struct(raw, as_of)
        return [
            nz.compact(raw).alias(f"{n}__raw"),
            st.struct.field("id").alias(n),
            st.struct.field("status").alias(f"{n}__status"),
            st.struct.field("birth").alias(f"{n}__birth"),
            st.struct.field("gender").alias(f"{n}__gender"),
        ]
    if f.type == "date":
        ds = nz.date_struct(raw)
        return [nz.clean_text(raw).alias(f"{n}__raw"), ds.struct.field("date").alias(n),
                ds.struct.field("ym_only").alias(f"{n}__ym")]
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
    for name, col in t.field_cols.items():
        exprs.extend(field_exprs(fmap[name], col, as_of))
    return t.raw.lazy().select(exprs)


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
