"""Normalise loaded tables into canonical, typed Polars frames (one per kind)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from xueji_check import normalize as nz
from xueji_check.load import Table
from xueji_check.spec import FieldSpec, KindSpec

META = ["_file", "_sheet", "_row", "_tid"]


def field_exprs(f: FieldSpec, col: str, as_of: dt.date, flags: dict[str, bool] | None = None) -> list[pl.Expr]:
    """The normalised columns of one field from raw column `col` (``flags``: what
    `normalize.text_flags` found in it; row-wise text fields only)."""
    raw = pl.col(col)
    n = f.name
    fl = flags or {}
    if f.type == "id_number":
        return []  # staged in normalise_fields (add_id_columns)
    if f.type == "date":
        return []  # staged in normalise_fields (add_date_columns)
    if f.type == "number":
        return [nz.clean_text(raw).alias(f"{n}__raw"), nz.number(raw).alias(n)]
    if f.type == "bool":
        return [nz.clean_text(raw).alias(f"{n}__raw"), nz.yes_no(raw).alias(n)]
    if f.type == "enum":
        return [nz.clean_text(raw).alias(f"{n}__raw"), nz.enum_value(raw, f.values, f.synonyms).alias(n)]
    if f.type == "term":
        return []  # staged in normalise_fields (add_term_columns)
    if f.type == "grade_year":
        return [nz.clean_text(raw).alias(f"{n}__raw"), nz.grade_year(raw).alias(n)]
    if n == "name":  # as typed for every output; the canonical form for matching
        return [nz.name_display(raw, **fl).alias(n), nz.name_key(raw, **fl).alias(f"{n}__key")]
    return [nz.clean_text(raw, **fl).alias(n)]


# Field types whose values repeat a lot (a few terms, enum words, a few thousand dates):
# they are normalised once per distinct raw value and joined back, instead of once per row.
# ID numbers are unique per row and free text is cheap, so those stay row-wise.
BY_VALUE = {"enum", "term", "number", "bool", "grade_year", "date"}


def _by_value(f: FieldSpec, values: pl.LazyFrame, as_of: dt.date) -> pl.LazyFrame:
    """Normalised columns of one field for a frame of its distinct raw values (column `_v`)."""
    if f.type == "date":
        return nz.add_date_columns(values, "_v", f.name)
    if f.type == "term":
        return nz.add_term_columns(values, "_v", f.name)
    return values.select(pl.col("_v"), *field_exprs(f, "_v", as_of))


# Below this many rows a field is normalised row by row: the per-value plan and join cost
# more than they save on a small table.
BY_VALUE_MIN_ROWS = 20_000


# What the staged normalisers add, in the order every path puts them.
STAGED_OUTPUTS = {
    "id_number": lambda n: [f"{n}__raw", n, f"{n}__status", f"{n}__birth", f"{n}__gender", f"{n}__key",
                            f"{n}__doc"],
    "date": lambda n: [f"{n}__raw", n, f"{n}__ym"],
    "term": lambda n: [f"{n}__raw", n, f"{n}_year", f"{n}_season"],
}
STAGED = ("id_number", "date", "term")


def _fields_frame(t: Table, tid: int) -> pl.LazyFrame:
    """A table's raw text under field names (`_f_<field>`), with file, sheet, row and table id."""
    return t.raw.lazy().select(
        pl.lit(t.file).alias("_file"), pl.lit(t.sheet).alias("_sheet"), pl.col("_row"),
        pl.lit(tid, dtype=pl.Int32).alias("_tid"),
        *[pl.col(col).alias(f"_f_{name}") for name, col in t.field_cols.items()],
    )


def normalise_fields(lf: pl.LazyFrame, names: list[str], spec: KindSpec, as_of: dt.date,
                     rows: int) -> pl.LazyFrame:
    """Normalise the `_f_<field>` raw columns of `lf` (a `_fields_frame` or a stack of them)."""
    fmap = spec.field_map
    by_value_ok = rows >= BY_VALUE_MIN_ROWS
    # text normalised row by row (free text, names, ID numbers): skip the passes a column does not need
    rowwise = [f"_f_{n}" for n in names if fmap[n].type not in BY_VALUE]
    flags = nz.text_flags(lf, rowwise) if by_value_ok else {}
    exprs: list[pl.Expr] = [pl.col("_file"), pl.col("_sheet"), pl.col("_row"), pl.col("_tid")]
    staged, by_value, order = [], [], ["_file", "_sheet", "_row", "_tid"]
    for name in names:
        f, col = fmap[name], f"_f_{name}"
        if f.type in STAGED and not (f.type != "id_number" and by_value_ok):
            staged.append(f)
            exprs.append(pl.col(col))
            order += STAGED_OUTPUTS[f.type](name)
        elif f.type in BY_VALUE and by_value_ok:
            by_value.append(f)
            exprs.append(pl.col(col))
            order += STAGED_OUTPUTS[f.type](name) if f.type in STAGED_OUTPUTS else \
                [e.meta.output_name() for e in field_exprs(f, col, as_of)]
        else:
            direct = field_exprs(f, col, as_of, flags.get(col))
            exprs.extend(direct)
            order += [e.meta.output_name() for e in direct]
    src = lf.select(exprs).collect().lazy() if by_value else lf.select(exprs)
    parts = [src]
    for f in by_value:
        col = f"_f_{f.name}"
        values = src.select(pl.col(col).unique().alias("_v"))
        # collected on its own: a few rows (inside the main plan the optimiser is slow with it)
        derived = _by_value(f, values, as_of).rename({"_v": col}).collect().lazy()
        # a narrow join (one field's columns), put side by side below: joining the wide
        # frame would copy every column once per field
        # (collected one by one: run side by side, ten 1M-row joins made the memory peak erratic)
        parts.append(src.select(col).join(derived, on=col, how="left", nulls_equal=True,
                                          maintain_order="left").drop(col).collect().lazy())
    out = pl.concat(parts, how="horizontal") if len(parts) > 1 else src
    for f in staged:  # ID numbers (and dates and terms of small tables): staged expressions
        if f.type == "id_number":  # with the 证件类型 of the row when the table has that column
            type_col = "id_type" if "id_type" in names and fmap.get("id_type") is not None else None
            out = nz.add_id_columns(out, f"_f_{f.name}", f.name, as_of, type_col, flags.get(f"_f_{f.name}"))
        elif f.type == "term":
            out = nz.add_term_columns(out, f"_f_{f.name}", f.name)
        else:
            out = nz.add_date_columns(out, f"_f_{f.name}", f.name)
    return out.select(order)


def normalise_table(t: Table, spec: KindSpec, as_of: dt.date, tid: int) -> pl.LazyFrame:
    return normalise_fields(_fields_frame(t, tid), list(t.field_cols), spec, as_of, t.raw.height)


def combine(tables: list[Table], spec: KindSpec, as_of: dt.date, tids: list[int]) -> pl.DataFrame:
    """One frame for all tables of a kind, in table order. Tables are stacked by layout (a
    province folder of school exports has one or two layouts) and each stack is normalised once."""
    frames: list[pl.DataFrame] = []
    stacks: dict[tuple[str, ...], list[tuple[Table, int]]] = {}
    for t, i in zip(tables, tids, strict=True):
        stacks.setdefault(tuple(t.field_cols), []).append((t, i))
    for names, members in stacks.items():
        lf = pl.concat([_fields_frame(t, i) for t, i in members], how="vertical_relaxed")
        rows = sum(t.raw.height for t, _ in members)
        frames.append(normalise_fields(lf, list(names), spec, as_of, rows).collect())
    if not frames:
        return pl.DataFrame()
    df = pl.concat(frames, how="diagonal_relaxed")
    if len(frames) > 1:
        df = df.sort("_tid", maintain_order=True)
    # Student key: the document (a GB 11643 number, else type + number), else 学籍号.
    key_parts = []
    if "id_number__key" in df.columns:
        key_parts.append(pl.col("id_number__key"))
    if "student_id" in df.columns:
        key_parts.append(pl.lit("SID:") + pl.col("student_id"))
    key = pl.coalesce(key_parts) if key_parts else pl.lit(None, dtype=pl.String)
    return df.with_columns(_key=key)
