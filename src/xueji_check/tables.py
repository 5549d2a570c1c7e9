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
        # a value outside the field's range is reported by S007 and used by no rule or sum (an
        # amount of 13912345678 is a phone number typed into the wrong column, not money)
        v = nz.number(raw, f.sum_parts)
        # a placeholder (—, /, 无) is an empty cell: S002 when required, nothing when optional
        return [nz.number_raw(raw).alias(f"{n}__raw"), pl.when(nz.within(v, f.min, f.max)).then(v).alias(n)]
    if f.type == "bool":
        v = nz.yes_no(raw)
        if n == "signed":  # a name in the 学生签字 cell is the signature (A310 reads it so; no S007)
            v = pl.coalesce(v, nz.signature(raw))
        return [nz.clean_text(raw).alias(f"{n}__raw"), v.alias(n)]
    if f.type == "enum":
        return [nz.clean_text(raw).alias(f"{n}__raw"), nz.enum_value(raw, f.values, f.synonyms, f.patterns).alias(n)]
    if f.type == "term":
        return []  # staged in normalise_fields (add_term_columns)
    if f.type == "grade_year":
        return [nz.clean_text(raw).alias(f"{n}__raw"), nz.grade_year(raw).alias(n)]
    if n == "name":  # as typed for every output; the canonical form for matching
        return [nz.name_display(raw, **fl).alias(n), nz.name_key(raw, **fl).alias(f"{n}__key")]
    if n == "school_name":  # no space belongs in a school's name: 东方技工学校 (东校区) is 东方技工学校（东校区）
        return [nz.compact(raw, **fl).alias(n)]
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
    "term": lambda n: [f"{n}__raw", n, f"{n}_year", f"{n}_season", f"{n}__school_year"],
}
STAGED = ("id_number", "date", "term")


def title_term_fill(t: Table, spec: KindSpec) -> tuple[str | None, int | None, bool]:
    """What a table takes from the term its title names (`load.table._term_from_title`): the
    title's term label and school year (`normalize.title_term`), and whether the table has no 学期
    column of its own but is checked with the title's term (the loader took ``term`` off
    `missing`). (None, None, False) for a kind without a required term."""
    f = spec.field_map.get("term")
    if f is None or f.type != "term" or not f.required:
        return None, None, False
    label, school_year = nz.title_term(t.title_lines)
    whole = label is not None and "term" not in t.field_cols and "term" not in t.missing
    return label, school_year, whole


def _field_names(t: Table, spec: KindSpec) -> list[str]:
    """The fields of a table's `_fields_frame`: its columns' (and ``term`` when the title gives it)."""
    return [*t.field_cols, *(["term"] if title_term_fill(t, spec)[2] else [])]


def _fields_frame(t: Table, tid: int, spec: KindSpec, titled: bool = False) -> pl.LazyFrame:
    """A table's raw text under field names (`_f_<field>`), with file, sheet, row and table id; the
    term of a table without a 学期 column is its title's (`title_term_fill`). `titled`: with the
    title's term and school year as columns (`_title_term`, `_title_year`) for `_title_terms_read`."""
    label, school_year, whole = title_term_fill(t, spec)
    cols = [pl.col(col).alias(f"_f_{name}") for name, col in t.field_cols.items()]
    if whole:
        cols.append(pl.lit(label, pl.String).alias("_f_term"))
    if titled:
        cols += [pl.lit(label, pl.String).alias("_title_term"), pl.lit(school_year, pl.Int32).alias("_title_year")]
    return t.raw.lazy().select(
        pl.lit(t.file).alias("_file"), pl.lit(t.sheet).alias("_sheet"), pl.col("_row"),
        pl.lit(tid, dtype=pl.Int32).alias("_tid"), *cols,
    )


def _titled(tables: list[Table], spec: KindSpec) -> bool:
    """Whether some of `tables` (one layout) has a 学期 column and a title naming a term or a school year."""
    return any("term" in t.field_cols and title_term_fill(t, spec)[:2] != (None, None) for t in tables)


def _title_terms_read(lf: pl.LazyFrame) -> pl.LazyFrame:
    """The season-only term cells of a stack made with `titled` read as their title's term
    (`normalize.term_from_title_columns`), once over the stack."""
    return lf.with_columns(_f_term=nz.term_from_title_columns(pl.col("_f_term"), pl.col("_title_term"),
                                                              pl.col("_title_year"))).drop("_title_term", "_title_year")


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
    if not by_value:
        out = lf.select(exprs)
    else:
        src = lf.select(exprs).collect()
        looked_up: list[pl.Series] = []
        for f in by_value:
            col = f"_f_{f.name}"
            values = src.lazy().select(pl.col(col).unique().alias("_v"))
            # collected on its own: a few rows (inside the main plan the optimiser is slow with it)
            derived = _by_value(f, values, as_of).collect()
            # each row's place among the distinct values (a null value is a key like any other),
            # then each derived column gathered by it. Not a left join: Polars 2.1's order-keeping
            # left join of 1M rows on a few distinct strings now and then gave a result holding
            # 1-2 GB until dropped (measured); one lookup per column hashed the values once per
            # column (slow when they are mostly distinct)
            place = src.get_column(col).replace_strict(
                derived.get_column("_v"), pl.int_range(derived.height, dtype=pl.UInt32, eager=True),
                default=None, return_dtype=pl.UInt32)
            looked_up += [derived.get_column(c).gather(place) for c in derived.columns if c != "_v"]
        out = pl.concat([src.lazy(), pl.DataFrame(looked_up).lazy()], how="horizontal")
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
    titled = _titled([t], spec)
    lf = _fields_frame(t, tid, spec, titled)
    return normalise_fields(_title_terms_read(lf) if titled else lf, _field_names(t, spec), spec, as_of, t.raw.height)


def student_key(columns) -> pl.Expr:
    """The student key of a normalised row: the document (a GB 11643 number, else type + number,
    `id_number__key`), else 学籍号 (`SID:` + student_id); null when the row has neither."""
    key_parts = []
    if "id_number__key" in columns:
        key_parts.append(pl.col("id_number__key"))
    if "student_id" in columns:
        key_parts.append(pl.lit("SID:") + pl.col("student_id"))
    return pl.coalesce(key_parts) if key_parts else pl.lit(None, dtype=pl.String)


def _stacks(tables: list[Table], tids: list, specs: dict[str, KindSpec]) -> dict[tuple[str, ...], list[tuple[Table, object]]]:
    stacks: dict[tuple[str, ...], list[tuple[Table, object]]] = {}
    for t, i in zip(tables, tids, strict=True):
        stacks.setdefault((t.kind, *_field_names(t, specs[t.kind])), []).append((t, i))
    return stacks


def _normalise_stack(members: list[tuple[Table, int]], spec: KindSpec, as_of: dt.date) -> pl.DataFrame:
    titled = _titled([t for t, _ in members], spec)
    lf = pl.concat([_fields_frame(t, i, spec, titled) for t, i in members], how="vertical_relaxed")
    if titled:
        lf = _title_terms_read(lf)
    rows = sum(t.raw.height for t, _ in members)
    names = _field_names(members[0][0], spec)
    return normalise_fields(lf, names, spec, as_of, rows).collect()


def with_derived(df: pl.DataFrame, spec: KindSpec) -> pl.DataFrame:
    """Columns derived from a normalised frame once, when it is made, for the rules that would
    otherwise compute them over the whole column on every use: per card-number field `f`,
    `f__damaged` (`normalize.card_damaged`, table by table: `_tid`; sharing between students is
    judged at run time, `normalize.card_shared_cut`), `f__key` (`normalize.card_key`) and
    `f__cut` (`normalize.card_cut`)."""
    extra = []
    for f in spec.fields:
        if f.type == "card_number" and f.name in df.columns:
            extra += [nz.card_damaged(pl.col(f.name), "_tid", None).alias(f"{f.name}__damaged"),
                      nz.card_key(pl.col(f.name)).alias(f"{f.name}__key"),
                      nz.card_cut(pl.col(f.name)).alias(f"{f.name}__cut")]
    # lazily: the card text each expression starts from is computed once (common subexpressions;
    # eagerly, card_key's three uses of it were three passes, 0.9 s over 1M cards instead of 0.2 s)
    return df.lazy().with_columns(extra).collect() if extra else df


def combine(tables: list[Table], spec: KindSpec, as_of: dt.date, tids: list[int]) -> pl.DataFrame:
    """One frame for all tables of a kind, in table order. Tables are stacked by layout (a
    province folder of school exports has one or two layouts) and each stack is normalised once."""
    frames = [with_derived(_normalise_stack(members, spec, as_of), spec)
              for members in _stacks(tables, tids, {spec.kind: spec}).values()]
    if not frames:
        return pl.DataFrame()
    df = pl.concat(frames, how="diagonal_relaxed")
    if len(frames) > 1:
        df = df.sort("_tid", maintain_order=True)
    return df.with_columns(_key=student_key(df.columns))


# The check date the store normalises with: no birth date is after it, so what is stored does
# not depend on the run's `as_of`; `apply_as_of` makes the rows with a birth date after the
# run's check date what normalising with that date makes of them.
STORE_AS_OF = dt.date(9999, 12, 31)


def normalise_batch(items: list[tuple[Table, object]], specs: dict[str, KindSpec]) -> dict[object, pl.DataFrame]:
    """Normalise loaded tables for the store: `items` are (table, id) of any kinds and files;
    returns id -> the table's normalised frame (`_row`, the fields' columns, `_key`; without
    `_file`/`_sheet`/`_tid`, which belong to a run), normalised as of `STORE_AS_OF`. Tables of one
    kind and layout are stacked and normalised together (one plan for a folder of school exports),
    then split again: each frame has its own layout's columns only."""
    out: dict[object, pl.DataFrame] = {}
    tables = [t for t, _ in items]
    ids = [i for _, i in items]
    for members in _stacks(tables, ids, specs).values():
        kind = members[0][0].kind
        local = [(t, n) for n, (t, _) in enumerate(members)]
        df = with_derived(_normalise_stack(local, specs[kind], STORE_AS_OF), specs[kind])
        df = df.with_columns(_key=student_key(df.columns)).drop("_file", "_sheet")
        if len(members) == 1:
            out[members[0][1]] = df.drop("_tid")
            continue
        parts = df.partition_by("_tid", as_dict=True, include_key=False, maintain_order=True)
        for n, (_t, ident) in enumerate(members):
            part = parts.get((n,))
            out[ident] = part if part is not None else df.clear().drop("_tid")
    return out


def id_fields(spec: KindSpec, columns) -> list[str]:
    """The ID-number fields of `spec` present (normalised) in `columns`."""
    return [f.name for f in spec.fields if f.type == "id_number" and f"{f.name}__birth" in columns]


def apply_as_of(lf: pl.LazyFrame, spec: KindSpec, as_of: dt.date) -> pl.LazyFrame:
    """Rows normalised as of `STORE_AS_OF` made what normalising as of `as_of` makes of them: an
    ID number whose birth date is after `as_of` is no valid GB 11643 number then (S003 出生日期不存在,
    no key, birth date or gender; `normalize.add_id_columns`). Only those rows, and the rows whose
    number was judged wrong for any reason (the birth date is judged before the check digit), are
    normalised again, and only the rows whose columns then differ are put back (a sound table has
    none, and a table whose wrong numbers are wrong on any date has none to put back: the frame
    is returned as it is, and the run does not rewrite it)."""
    cols = lf.collect_schema().names()
    fields = id_fields(spec, cols)
    if not fields:
        return lf
    # a birth date after the check date; or a number judged wrong for another reason, which the
    # check date may change too (a wrong check digit on a birth date after the check date is, as of
    # that date, 出生日期不存在: the birth is judged first). A sound table has few of either.
    late = pl.any_horizontal([((pl.col(f"{n}__birth") > as_of)
                               | (~pl.col(f"{n}__status").is_in(["ok", "empty"]) if f"{n}__status" in cols
                                  else pl.lit(False))).fill_null(False) for n in fields])
    if not lf.select(late.any()).collect(engine="streaming").item():
        return lf
    # The rows to redo are normalised apart (only the columns their ID numbers need), then put
    # back by row number with a left join that keeps the table's order: no sort of the whole
    # table (a national roster's sort held every column of 4.3M rows at once).
    ix = lf.with_row_index("_asof_ix")
    made: list[str] = []
    for n in fields:
        made += [c for c in STAGED_OUTPUTS["id_number"](n) if c in cols]
    if "_key" in cols:
        made.append("_key")
    made = list(dict.fromkeys(made))
    need = ["_asof_ix", *(c for c in ("student_id",) if c in cols)]
    for n in fields:
        need += [f"{n}__raw", *([f"{n}__doc"] if f"{n}__doc" in cols else [])]
    # with what the store holds for them (`__was`), to keep only the rows the check date changes
    redo = ix.filter(late).select(*need, *[pl.col(c).alias(f"{c}__was") for c in made])
    for n in fields:
        doc = f"{n}__doc" if f"{n}__doc" in cols else None
        redo = nz.add_id_columns(redo.with_columns(pl.col(f"{n}__raw").alias("_asof_raw")), "_asof_raw", n,
                                 as_of, doc).drop("_asof_raw")
    if "_key" in cols:
        redo = redo.with_columns(_key=student_key([*cols]))
    changed = pl.any_horizontal([pl.col(c).ne_missing(pl.col(f"{c}__was")) for c in made])
    redone = redo.filter(changed).select("_asof_ix", *[pl.col(c).alias(f"{c}__asof") for c in made]) \
        .with_columns(_asof_hit=pl.lit(True)).collect(engine="streaming")
    if not redone.height:  # wrong numbers, all judged the same on the check date: nothing to put back
        return lf
    out = ix.join(redone.lazy(), on="_asof_ix", how="left", maintain_order="left")
    hit = pl.col("_asof_hit").fill_null(False)
    return out.with_columns([pl.when(hit).then(pl.col(f"{c}__asof")).otherwise(pl.col(c)).alias(c) for c in made]) \
        .select(cols)
