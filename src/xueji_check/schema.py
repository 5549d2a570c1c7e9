"""Pandera (polars backend) schemas built from schemas/*.toml, and their failures as S-findings.

Each check is named by the S-rule it enforces; pandera's lazy validation collects every failure
case, and the failure index is joined back to file, sheet and row.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl
from pandera.errors import SchemaErrors

from xueji_check.normalize import ID_USABLE_STATUSES, card_damage_of, within
from xueji_check.spec import FieldSpec, KindSpec

# S003 fails every other status (numeric is S004; other: a document type without a form check)
ID_OK = list(ID_USABLE_STATUSES)


def _check(expr: pl.Expr, code: str) -> pa.Check:
    return pa.Check(lambda data, e=expr: data.lazyframe.select(e), error=code, name=code)


def field_checks(f: FieldSpec, present: set[str]) -> dict[str, list[tuple[str, pl.Expr]]]:
    """Checks for one field: {column: [(code, ok-expression)]}."""
    n, c = f.name, pl.col(f.name)
    raw = pl.col(f"{n}__raw") if f"{n}__raw" in present else c
    out: list[tuple[str, pl.Expr]] = []
    if f.required:
        out.append(("S002", raw.is_not_null()))
    if f.type == "id_number":
        st = pl.col(f"{n}__status")
        out.append(("S003", st.is_in(ID_OK)))
        out.append(("S004", st != "numeric"))
    elif f.type == "card_number":  # digits lost in Excel, like an ID number stored as a number
        out.append(("S004", ~card_damage_of(n, present)))
    elif f.type == "date":
        out.append(("S006", raw.is_null() | c.is_not_null()))
    elif f.type in ("bool", "term", "grade_year"):
        ok = raw.is_null() | c.is_not_null()
        if f.type == "grade_year":
            ok = ok | raw.str.contains(r"^\d{4}级?$")
        if f.type == "term" and f"{n}__school_year" in present:  # 2024-2025学年: read, but no term
            ok = ok | pl.col(f"{n}__school_year").is_not_null()
        out.append(("S007", ok))
    elif f.type == "number":
        out.append(("S007", raw.is_null() | (c.is_not_null() & within(c, f.min, f.max))))
    elif f.type == "enum" and not f.open and f.values:
        ok = c.is_null() | c.is_in(list(f.values))
        if f.out_of_scope:  # another aid, not a wrong value (engine.leave_out_of_scope)
            ok = ok | f.out_of_scope_expr(c)
        out.append(("S007", ok))
    return {n: out} if out else {}


def cross_checks(present: set[str]) -> list[tuple[str, str, pl.Expr]]:
    """S005: birth date / gender columns agree with the ID. (code, column, ok-expression)."""
    out = []
    if "id_number" in present and "birth_date" in present:
        b, ib = pl.col("birth_date"), pl.col("id_number__birth")
        same = pl.when(pl.col("birth_date__ym")).then(
            (b.dt.year() == ib.dt.year()) & (b.dt.month() == ib.dt.month())).otherwise(b == ib)
        out.append(("S005", "birth_date", b.is_null() | ib.is_null() | same))
    if "id_number" in present and "gender" in present:
        g, ig = pl.col("gender"), pl.col("id_number__gender")
        out.append(("S005", "gender", g.is_null() | ig.is_null() | ~g.is_in(["男", "女"]) | (g == ig)))
    return out


def build_schema(spec: KindSpec, present: set[str]) -> pa.DataFrameSchema:
    columns: dict[str, pa.Column] = {}
    fmap = spec.field_map
    for name in sorted(present & set(fmap)):
        checks = field_checks(fmap[name], present).get(name, [])
        xs = [(code, e) for code, col, e in cross_checks(present) if col == name]
        columns[name] = pa.Column(
            None, nullable=True, required=True,
            checks=[_check(e, code) for code, e in checks + xs],
        )
    return pa.DataFrameSchema(columns, strict=False, name=spec.kind)


def failures(df: pl.DataFrame, spec: KindSpec) -> pl.DataFrame:
    """Run the schema; return failure rows: index, column (field), code."""
    present = set(df.columns)
    schema = build_schema(spec, present)
    try:
        schema.validate(df, lazy=True)
    except SchemaErrors as exc:
        fc = exc.failure_cases
        return (
            fc.filter(pl.col("index").is_not_null() & pl.col("check").str.contains(r"^S\d{3}$"))
            .select(pl.col("index").cast(pl.UInt32), pl.col("column").alias("field"), pl.col("check").alias("code"))
        )
    return pl.DataFrame(schema={"index": pl.UInt32, "field": pl.String, "code": pl.String})
