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


# Field types whose values repeat a lot (a few terms, enum words, a few thousand dates):
# they are normalised once per distinct raw value and joined back, instead of once per row.
# ID numbers are unique per row and free text is cheap, so those stay row-wise.
BY_VALUE = {"enum", "term", "number", "bool", "grade_year", "date"}


def _by_value(f: FieldSpec, values: pl.LazyFrame, as_of: dt.date) -> pl.LazyFrame:
    """Normalised columns of one field for a frame of its distinct raw values (column `_v`)."""
    if f.type == "date":
        return nz.add_date_columns(values, "_v", f.name)
    return values.select(pl.col("_v"), *field_exprs(f, "_v", as_of))


def normalise_table(t: Table, spec: KindSpec, as_of: dt.date, tid: int) -> pl.LazyFrame:
    exprs: list[pl.Expr] = [
        pl.lit(t.file).alias("_file"), pl.lit(t.sheet).alias("_sheet"), pl.col("_row"),
        pl.lit(tid, dtype=pl.Int32).alias("_tid"),
    ]
    fmap = spec.field_map
    ids, by_value, order = [], [], [e.meta.output_name() for e in exprs]
    for name, col in t.field_cols.items():
        f = fmap[name]
        if f.type == "id_number":
            ids.append(name)
            exprs.append(pl.col(col).alias(f"_idraw_{name}"))
        elif f.type in BY_VALUE:
            derived = _by_value(f, t.raw.lazy().select(pl.col(col).alias("_v")).head(0), as_of)
            by_value.append((f, col, derived.collect_schema().names()[1:]))
            exprs.append(pl.col(col).alias(f"_v_{name}"))
            order += [c for c in by_value[-1][2] if c != "_v"]
        else:
            direct = field_exprs(f, col, as_of)
            exprs.extend(direct)
            order += [e.meta.output_name() for e in direct]
    lf = t.raw.lazy().select(exprs)
    for f, col, _ in by_value:
        values = t.raw.lazy().select(pl.col(col).unique().alias("_v"))
        # collected on its own: a few rows (inside the main plan the optimiser is slow with it)
        derived = _by_value(f, values, as_of).rename({"_v": f"_v_{f.name}"}).collect().lazy()
        lf = lf.join(derived, on=f"_v_{f.name}", how="left", nulls_equal=True, maintain_order="left")
    for name in ids:
        lf = nz.add_id_columns(lf, f"_idraw_{name}", name, as_of)
        order += [f"{name}__raw", name, f"{name}__status", f"{name}__birth", f"{name}__gender"]
    return lf.select(order)


def combine(tables: list[Table], spec: KindSpec, as_of: dt.date, tids: list[int],
            done: dict[int, pl.DataFrame] | None = None) -> pl.DataFrame:
    """One frame for all tables of a kind. `done` holds tables already normalised (keyed by
    ``id(table)``, e.g. by the loading threads while other files were still being read); their
    ``_tid`` is set here."""
    done = done or {}
    frames = [done[id(t)].with_columns(pl.lit(i, dtype=pl.Int32).alias("_tid")) if id(t) in done
              else normalise_table(t, spec, as_of, i).collect() for t, i in zip(tables, tids, strict=True)]
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
