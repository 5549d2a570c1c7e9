"""One run: load → normalise → validate (S) → rules → findings. No printing, no files written."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
import re
import weakref
from collections import deque
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from xueji_check import normalize as nz
from xueji_check import schema as sc
from xueji_check.calendar import CalendarFrame, WorkCalendar
from xueji_check.findings import RAW_SCHEMA, emit, empty_raw, finalize
from xueji_check.gathered import gather
from xueji_check.load import (  # _open_regular: the loader's safe open (regular files, read-only)
    InputFile,
    LoadError,
    NotChecked,
    Problem,
    Table,
    _open_regular,
    discover,
    load_file,
    refuse_given,
    shown_path,
    shown_paths,
)
from xueji_check.load import parquet as parquet_mod
from xueji_check.load.files import MEMORY, PARQUET_BYTES_PER_CELL
from xueji_check.memory import release_free_memory
from xueji_check.normalize import mask_id
from xueji_check.policy import Policy
from xueji_check.registry import CATALOG, Rule, load_rule_modules
from xueji_check.schools import SEVERAL, UNNAMED, table_schools
from xueji_check.spec import KINDS, FieldSpec, all_kinds
from xueji_check.store import (
    Store,
    StoreError,
    TableUse,
    entry_key,
    read_entry,
    scan_tables,
    write_entry,
    write_streamed_entry,
)
from xueji_check.tables import apply_as_of, normalise_batch

ID_REASON = {"length": "位数不对", "chars": "含非法字符", "birth": "出生日期不存在", "check": "校验位错误"}


@dataclass
class Context:
    """What a rule function sees. `frames` holds the normalised rows of each kind: lazy scans
    of the store in a run (`run`), or frames in memory (`publicity make`, tests). Rules read
    them through `lf`, `columns`, `has`, `height`; `frame` materialises a small kind
    (publicity lists)."""

    frames: dict[str, pl.DataFrame | pl.LazyFrame]
    tables: dict[str, list[Table]]
    policy: Policy
    as_of: dt.date
    calendar: WorkCalendar
    options: dict = field(default_factory=dict)
    _calframe: CalendarFrame | None = None
    # table id -> the school its file-level findings are charged to (schools.table_schools)
    table_school: dict[int, str] = field(default_factory=dict)
    # rows of each kind when known beforehand (the store knows them); else counted once
    heights: dict[str, int] = field(default_factory=dict)
    _columns: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _eager: dict[str, pl.DataFrame] = field(default_factory=dict, repr=False)
    # a folder for what the rules make once per run and share (rules.aid.with_roster); None: memory
    scratch: Path | None = None
    # the rows of each kind left out of the rules as outside the notice (`leave_out_of_scope`:
    # 校级助学金, 国家奖学金): evidence a rule may read (A311: a card they share with national aid),
    # never rows a rule reports
    left_out: dict[str, pl.LazyFrame] = field(default_factory=dict)
    # note_unjudged's counts asked for (rule, kind, labels, flags, frame or None: the kind's rows),
    # collected with the rules (`unjudged_plans`, `resolve_unjudged`)
    _unjudged: list[tuple[str, str, list[str], list[pl.Expr], pl.LazyFrame | None]] = field(default_factory=list, repr=False)
    _unjudged_plan_of: list[list[int]] = field(default_factory=list, repr=False)

    def kinds(self) -> list[str]:
        return list(self.frames)

    def height(self, kind: str) -> int:
        if kind not in self.frames:
            return 0
        if kind not in self.heights:
            src = self.frames[kind]
            self.heights[kind] = src.height if isinstance(src, pl.DataFrame) else \
                int(src.select(pl.len()).collect().item())
        return self.heights[kind]

    def has(self, kind: str, *fields: str) -> bool:
        return kind in self.frames and self.height(kind) > 0 and all(f in self.columns(kind) for f in fields)

    def lf(self, kind: str) -> pl.LazyFrame:
        src = self.frames[kind]
        return src.lazy() if isinstance(src, pl.DataFrame) else src

    def frame(self, kind: str) -> pl.DataFrame:
        """The kind's rows in memory (kept for the run): for small kinds such as publicity lists."""
        src = self.frames[kind]
        if isinstance(src, pl.DataFrame):
            return src
        if kind not in self._eager:
            self._eager[kind] = src.collect()
        return self._eager[kind]

    def columns(self, kind: str) -> list[str]:
        if kind not in self.frames:
            return []
        if kind not in self._columns:
            src = self.frames[kind]
            self._columns[kind] = list(src.columns) if isinstance(src, pl.DataFrame) else \
                src.collect_schema().names()
        return list(self._columns[kind])

    def shared(self, name: str, lf: pl.LazyFrame) -> pl.LazyFrame:
        """`lf`, something the rules make once per run and share (`rules.aid.with_roster`, the
        学籍号 map of `rules.changes.with_person`), computed now: written to `scratch/<name>.parquet`
        (0600: personal data, as the store's own files) with Polars' streaming sink and scanned,
        or collected into memory without a scratch folder. Raises what the sink raises.
        LZ4, not Polars' default zstd: the file lives for one run and is read by several rules
        (a province's aid⋈roster match: written ~0.9 s and read ~1 s faster in all)."""
        if self.scratch is None:
            return lf.collect().lazy()
        path = self.scratch / f"{name}.parquet"
        lf.sink_parquet(path, compression="lz4")
        os.chmod(path, 0o600)
        return pl.scan_parquet(path)

    def date_range(self, kind: str, *cols: str) -> tuple[dt.date | None, dt.date | None]:
        """(earliest, latest) over the given Date columns of `kind` (those it has)."""
        if kind not in self.frames:
            return None, None
        schema = self.lf(kind).collect_schema()
        have = [c for c in cols if schema.get(c) == pl.Date]
        if not have or not self.has(kind):
            return None, None
        row = self.lf(kind).select(pl.min_horizontal([pl.col(c).min() for c in have]).alias("lo"),
                                   pl.max_horizontal([pl.col(c).max() for c in have]).alias("hi")).collect(engine="streaming")
        return row["lo"][0], row["hi"][0]

    @property
    def calframe(self) -> CalendarFrame:
        if self._calframe is None:
            dates = [self.as_of]
            for kind in self.kinds():
                src = self.frames[kind]
                schema = src.schema if isinstance(src, pl.DataFrame) else src.collect_schema()
                date_cols = [c for c, t in schema.items() if t == pl.Date]
                if not date_cols or self.height(kind) == 0:
                    continue
                row = self.lf(kind).select(*[pl.col(c).min().alias(f"lo{i}") for i, c in enumerate(date_cols)],
                                           *[pl.col(c).max().alias(f"hi{i}") for i, c in enumerate(date_cols)]
                                           ).collect(engine="streaming").row(0)
                dates += [d for d in row if d is not None]
            lo = max(min(dates), dt.date(1990, 1, 1))
            hi = min(max(dates), dt.date(2100, 12, 31))
            self._calframe = CalendarFrame(self.calendar, lo, hi)
        return self._calframe

    def unjudged_plans(self) -> list[pl.LazyFrame]:
        """The queries that count what `note_unjudged` was asked (each a one-row frame): one per
        kind for every count over the kind's rows (one pass: a province's 1M aid rows were
        scanned once per rule, ~2 s of a rerun), one per count over a rule's own frame. Collect
        them (with the rules) and give the results, in this order, to `resolve_unjudged`.
        A count with a window among its flags (A311's card sharing: `.over`) keeps a plan of its
        own: in one select with the others, every column they read would be held for the window
        (a national aid table's 13M rows)."""
        plans, self._unjudged_plan_of = [], []
        by_kind: dict[str, list[int]] = {}
        for n, (_rule, kind, _labels, flags, frame) in enumerate(self._unjudged):
            if frame is None and not any(".over(" in str(e) for e in flags):
                by_kind.setdefault(kind, []).append(n)
            else:
                plans.append(_count_plan(self.lf(kind) if frame is None else frame, [(n, flags)]))
                self._unjudged_plan_of.append([n])
        for kind, ns in by_kind.items():
            plans.append(_count_plan(self.lf(kind), [(n, self._unjudged[n][3]) for n in ns]))
            self._unjudged_plan_of.append(ns)
        return plans

    def resolve_unjudged(self, counted: list[pl.DataFrame] | None = None) -> None:
        """Put the counts `note_unjudged` asked for into `options` (`counted`: the collected
        results of `unjudged_plans`, in order, when the caller collected them with the rules)."""
        if counted is None:
            counted = pl.collect_all(self.unjudged_plans()) if self._unjudged else []
        rows: dict[int, dict] = {}
        for ns, row_df in zip(self._unjudged_plan_of, counted, strict=True):
            row = row_df.row(0, named=True)
            for n in ns:
                rows[n] = row
        pending, self._unjudged, self._unjudged_plan_of = self._unjudged, [], []
        for m, (rule_id, kind, labels, _flags, _frame) in enumerate(pending):
            row = rows[m]
            n = row[f"_rows{m}"]
            if not n:
                continue
            reasons = {k: int(row[f"_u{m}_{i}"]) for i, k in enumerate(labels) if row[f"_u{m}_{i}"]}
            had = self.options.get(f"unjudged:{rule_id}")
            if had is not None:  # a rule that counts rows of two tables (C203: changes and roster)
                kinds = had["kind"].split("+")
                merged = dict(had["reasons"])
                for k, v in reasons.items():
                    merged[k] = merged.get(k, 0) + v
                self.options[f"unjudged:{rule_id}"] = {
                    "kind": "+".join(kinds + ([kind] if kind not in kinds else [])),
                    "rows": had["rows"] + int(n), "reasons": merged}
            else:
                self.options[f"unjudged:{rule_id}"] = {"kind": kind, "rows": int(n), "reasons": reasons}


class KindFrames(Mapping):
    """`RunResult.frames`: the normalised rows of each kind, read from the store into memory when
    a kind is first asked for (and then kept). `RunResult.scan(kind)` reads nothing."""

    def __init__(self, views: dict[str, pl.LazyFrame]) -> None:
        self._views = views
        self._frames: dict[str, pl.DataFrame] = {}

    def __getitem__(self, kind: str) -> pl.DataFrame:
        if kind not in self._frames:
            self._frames[kind] = self._views[kind].collect()
        return self._frames[kind]

    def __iter__(self):
        return iter(self._views)

    def __len__(self) -> int:
        return len(self._views)


@dataclass
class RunResult:
    findings: pl.DataFrame
    inputs: list[InputFile]
    problems: list[Problem]
    skipped: dict[str, str]  # rule id -> reason
    frames: Mapping[str, pl.DataFrame]  # KindFrames in a run: read from the store when asked for
    tables: dict[str, list[Table]]
    calendar_note: str = ""
    fatal: bool = False  # nothing could be checked, or nothing of a kind named by option
    rows: dict[str, int] = field(default_factory=dict)
    # rule id -> {"kind", "rows", "reasons": {Chinese reason: rows}}: rows a rule that ran could
    # not judge because a value it needs could not be read (reported once by an S-rule)
    unjudged: dict[str, dict] = field(default_factory=dict)
    not_checked: list[NotChecked] = field(default_factory=list)  # files (folders) given but not checked
    # the lazy scans of the store the rules ran on, by kind
    views: dict[str, pl.LazyFrame] = field(default_factory=dict)
    # the store this run made for itself (no --cache): removed by `close` (or when the result goes)
    store: Store | None = None
    cache_hits: int = 0  # input files found in the store (not read again)
    # table id -> the school its rows without a school of their own are charged to (finalize)
    table_school: dict[int, str] = field(default_factory=dict)

    def scan(self, kind: str) -> pl.LazyFrame:
        """The normalised rows of `kind` as a lazy scan of the store (nothing read until collected)."""
        return self.views[kind] if kind in self.views else self.frames[kind].lazy()

    def schools_present(self) -> dict[str, set[str]]:
        """Kind -> the schools this run has rows of, each written as a finding of such a row
        names it (the row's 学校名称, else its table's school, masked and cut as in
        `findings.finalize`), then through `schools.school_base_text`; "" for rows of no school.
        One scan of two columns per kind. For the baseline (`findings.split_unverified`): a
        finding of a school whose data is missing tonight is not 已整改."""
        from xueji_check.pii import clip_text, mask_text
        from xueji_check.schools import school_base_text

        ts = pl.DataFrame({"_tid": list(self.table_school),
                           "_ts": [None if v == UNNAMED else v for v in self.table_school.values()]},
                          schema={"_tid": pl.Int32, "_ts": pl.String}).lazy()
        plans, kinds = [], []
        for kind in self.views or self.frames:
            lf = self.scan(kind)
            cols = lf.collect_schema().names()
            own = pl.col("school_name").cast(pl.String) if "school_name" in cols else pl.lit(None, pl.String)
            plans.append(lf.select(pl.col("_tid").cast(pl.Int32), own.alias("_s")).join(ts, on="_tid", how="left")
                         .select(pl.coalesce("_s", "_ts").alias("s")).unique())
            kinds.append(kind)
        return {k: {school_base_text(clip_text(mask_text(v))) if v is not None else "" for v in df.get_column("s")}
                for k, df in zip(kinds, pl.collect_all(plans), strict=True)}

    def close(self) -> None:
        """Remove the run's own temporary store (the tables' raw text lives there: report first)."""
        if self.store is not None:
            self.store.close()

    def __enter__(self) -> RunResult:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


TERM_FORMS = "2024年秋季学期、2024秋、2024-2025学年第一学期 或 2024-2025-1"
DAMAGE_NOTE = "?、？ 或 �"


def _id_what(title: str) -> pl.Expr:
    """「身份证号」, or 「护照号码」 where the row names its document type."""
    doc = pl.col("_doc")
    return pl.when(doc.is_null() | (doc == nz.RESIDENT_ID)).then(pl.lit(title)).otherwise(doc + pl.lit("号码"))


def _s003_message(title: str, has_type: bool) -> pl.Expr:
    """S003 by status: GB 11643 failures, a document's own form, a passport/permit number where a
    resident ID was expected."""
    st, doc = pl.col("_status"), pl.col("_doc")
    masked = pl.concat_str([pl.lit("「"), mask_id(pl.col("_raw")), pl.lit("」")])
    reason = st.replace_strict(ID_REASON, default="无效", return_dtype=pl.String)
    # 8 or 10 digits: the length of a 台湾居民来往大陆通行证 number
    tw_hint = pl.when((st == "length") & doc.is_null() & pl.col("_raw").str.contains(r"^\d{8}$|^\d{10}$")).then(
        pl.lit("；若是台湾居民来往大陆通行证号码，请" + ("在证件类型列注明" if has_type else "补充证件类型列"))
    ).otherwise(pl.lit(""))
    gb = pl.concat_str([_id_what(title), masked, pl.lit("无效（"), reason, tw_hint, pl.lit("），请与证件核对后更正")])
    if has_type:
        suspect = pl.when(doc == nz.RESIDENT_ID).then(pl.concat_str([
            pl.lit("证件类型为居民身份证，但号码"), masked,
            pl.lit("不像居民身份证号码，疑似护照/通行证号码；请核对证件类型或号码")])).otherwise(pl.concat_str([
                pl.lit(title), masked, pl.lit("不像居民身份证号码，疑似护照/通行证号码，请填写该行的证件类型")]))
    else:
        suspect = pl.concat_str([pl.lit(title), masked, pl.lit(
            "不像居民身份证号码，疑似护照/通行证号码，请补充证件类型列（如护照、港澳居民来往内地通行证），"
            "非居民身份证的号码不按身份证号规则检查")])
    forms = {d: f for d, (_c, f) in nz.DOCUMENTS.items() if f}
    form = pl.concat_str([doc, pl.lit("号码"), masked, pl.lit("格式不对（应为"),
                          doc.replace_strict(forms, default="该证件的格式", return_dtype=pl.String),
                          pl.lit("），请与证件核对后更正")])
    # a number the school masked itself (410105********0039): nothing to check it against
    hidden = pl.concat_str([_id_what(title), masked, pl.lit(
        "中有 * 号，是打了码的号码，无法核对；导出给检查用的表格请保留完整号码（公示名单才需要打码）")])
    return pl.when(pl.col("_raw").str.contains(r"\*{3,}")).then(hidden).when(st == "suspect").then(suspect) \
        .when(st == "form").then(form).otherwise(gb)


def _s_message(code: str, f: FieldSpec, has_type: bool = False) -> pl.Expr:
    title = f.title
    raw = pl.col("_raw").fill_null("")
    if code == "S002":
        return pl.lit(f"{title}为空，请补填")
    if code == "S003":
        return _s003_message(title, has_type)
    if code == "S004" and f.type == "card_number":  # a card number is never quoted, not even masked
        return pl.lit(f"{title}被 Excel 存成了数字，后几位已丢失、无法恢复，不能用来核对是否一卡多人；请把该列设为文本格式后重新导出")
    if code == "S004":
        return pl.concat_str([_id_what(title), pl.lit("「"), mask_id(pl.col("_raw")),
                              pl.lit("」被 Excel 存成了数字，后几位已丢失、无法恢复；请把该列设为文本格式后重新导出")])
    if code == "S006":
        return pl.concat_str([pl.lit(f"{title}「"), raw, pl.when(raw.str.contains(nz.AMBIGUOUS_MONTH)).then(pl.lit(
            "」可能是 1 月，也可能是 10 月被 Excel 存成数字后丢了末尾的 0，无法确定；请改为 2018-09-01 这样的格式")).when(
            raw.str.contains(nz.EXCEL_ZERO_TEXT)).then(pl.lit(
            "」是 Excel 把 0 或空值显示成的日期（常见于公式或查找没有取到值），不是真实日期；请填写实际日期")).otherwise(
            pl.lit("」无法识别为日期，请改为 2018-09-01 这样的格式"))])
    if code == "S007" and f.type == "term":
        return pl.concat_str([pl.lit(f"{title}「"), raw, pl.lit(
            f"」无法识别为学期，请写成 {TERM_FORMS} 这样的形式；依赖学期的规则没有判断这一行")])
    if code == "S007" and f.type == "enum" and f.values:
        return pl.concat_str([pl.lit(f"{title}「"), raw, pl.lit(f"」不在规定范围内，可填：{'、'.join(f.values)}")])
    if code == "S007" and f.type == "number":
        lo, hi = ("" if v is None else f"{v:g}" for v in (f.min, f.max))
        span = f"，应在 {lo}–{hi} 之间" if f.min is not None and f.max is not None else ""
        if f.min is not None and f.max is not None and f.min == -f.max:  # 金额: a negative one is a refund
            span = f"，应在 0–{hi} 之间（退回的写负数）"
        return pl.concat_str([pl.lit(f"{title}「"), raw, pl.lit(f"」无法识别为数字或超出范围{span}")])
    if code == "S007" and f.type == "bool":
        return pl.concat_str([pl.lit(f"{title}「"), raw, pl.lit("」无法识别，请填 是 或 否")])
    if code == "S007":
        return pl.concat_str([pl.lit(f"{title}「"), raw, pl.lit("」不在规定范围内，请按规定的取值填写")])
    return pl.lit(title)


def typed_documents(roster: pl.DataFrame | pl.LazyFrame | None) -> pl.Series:
    """The numbers (upper case, compact) the roster marks as a document other than the resident ID
    card in its 证件类型 column: a table without that column may quote them (see
    validation_findings)."""
    if roster is None or "id_number__doc" not in roster.collect_schema().names():
        return pl.Series("n", [], dtype=pl.String)
    return roster.lazy().filter(pl.col("id_number__doc").is_not_null() & (pl.col("id_number__doc") != nz.RESIDENT_ID)
                                ).select(pl.col("id_number__raw").str.to_uppercase().drop_nulls().unique()
                                         ).collect(engine="streaming").to_series()


def _check_columns(spec, cols: list[str]) -> list[str]:
    """The columns the S-checks of `spec` read (schema.py), among `cols`."""
    present = set(cols)
    fmap = spec.field_map
    need = {c for c in cols if c in fmap}
    for name in list(need):
        for checks in sc.field_checks(fmap[name], present).values():
            for _code, e in checks:
                need.update(e.meta.root_names())
    for _code, col, e in sc.cross_checks(present):
        need.add(col)
        need.update(e.meta.root_names())
    return [c for c in cols if c in need]


# Rows validated at once: pandera holds its own copies of the columns it checks.
VALIDATE_ROWS = 2_000_000


def validation_findings(kind: str, df: pl.DataFrame | pl.LazyFrame,
                        documents: pl.Series | None = None) -> pl.DataFrame:
    """S002-S007 of one kind's normalised rows (pandera failures, see schema.py) as raw findings.
    Only the columns the checks read are collected, `VALIDATE_ROWS` rows at a time (every check
    is about one row); then only the failing rows are read in full.
    `documents` (`typed_documents` of the roster): a number in a table without a 证件类型 column
    is no S003 finding when the roster gives that very number a type other than the resident ID."""
    spec = all_kinds()[kind]
    lf = df.lazy()
    cols = lf.collect_schema().names()
    need = _check_columns(spec, cols)
    parts, offset = [], 0
    for chunk in lf.select(need).collect_batches(chunk_size=VALIDATE_ROWS):
        f = sc.failures(chunk, spec)
        if f.height:
            parts.append(f.with_columns(pl.col("index") + offset))
        offset += chunk.height
    if not parts:
        return empty_raw()
    fails = pl.concat(parts)
    if documents is not None and documents.len() and "id_number__status" in cols:
        # any shape (C01X00T47, 123456789, a permit's 8 digits), not only a letter-prefixed one:
        # the roster says what the number is
        typed = lf.with_row_index("index").filter(
            pl.col("id_number__raw").str.to_uppercase().is_in(documents.implode())).select("index").collect(engine="streaming")
        fails = fails.filter(~((pl.col("code") == "S003") & (pl.col("field") == "id_number")
                               & pl.col("index").is_in(typed.get_column("index").implode())))
        if fails.height == 0:
            return empty_raw()
    fmap = spec.field_map
    out = []
    # the failing rows only, gathered once (not one join over the whole table per check)
    failing = lf.with_row_index("index").filter(pl.col("index").is_in(fails["index"].unique().implode())).collect(engine="streaming")
    for (fname, code), part in fails.group_by(["field", "code"], maintain_order=True):
        f = fmap[fname]
        rows = failing.join(part.select("index"), on="index", how="semi", maintain_order="left")
        raw_col = f"{fname}__raw" if f"{fname}__raw" in cols else fname
        rows = rows.with_columns(
            _raw=pl.col(raw_col).cast(pl.String),
            _status=pl.col(f"{fname}__status") if f"{fname}__status" in cols else pl.lit(None, pl.String),
            _doc=pl.col(f"{fname}__doc") if f"{fname}__doc" in cols else pl.lit(None, pl.String),
        )
        if code == "S005" and fname == "birth_date":
            msg = pl.concat_str([pl.lit("出生日期「"), pl.col("_raw"), pl.lit("」与身份证号中的出生日期 "),
                                 pl.col("id_number__birth").cast(pl.String), pl.lit(" 不符，请核对")])
        elif code == "S005":
            msg = pl.concat_str([pl.lit("性别「"), pl.col("gender"), pl.lit("」与身份证号的性别码（"),
                                 pl.col("id_number__gender"), pl.lit("）不符，请核对")])
        else:
            msg = _s_message(code, f, "id_type" in cols)
        # the student (ID, else 学籍号); without one, the finding's school, field and column key it
        # (findings.finalize), never the file or row
        who = [pl.col("_key")]
        if "name" in cols:
            who.append(pl.concat_str([pl.lit("N:"), pl.col("name__key") if "name__key" in cols else pl.col("name"),
                                      pl.lit("@"), pl.col("school_name") if "school_name" in cols else pl.lit("")]))
        key = pl.concat_str([pl.coalesce(who), pl.lit(fname)], separator="|")
        found = emit(rows.lazy(), kind, msg, field=fname, key=key).collect()
        out.append(found.with_columns(rule_id=pl.lit(code)))
    return pl.concat(out)


def name_mismatch(frames: Mapping[str, pl.DataFrame | pl.LazyFrame]) -> pl.DataFrame:
    """S008: the same student (document key, else 学籍号) under different names in the roster and
    in aid/changes. Names are compared in their canonical form (`normalize.name_key`: width, case,
    spaces and separator dots do not count) and shown as written. A name with characters lost in
    a GBK save (`?`, `？`, U+FFFD) matches when the legible characters do (each `?` one lost
    character); it is reported as encoding damage (`encoding_damage`), not as another person.
    A 学籍号 is numbered by each school (2024001 at two schools is two students): a row known by
    its 学籍号 only (`SID:` key) is compared with the roster rows of its own school; a row without
    a school, with the roster's rows of that 学籍号 when they are all at one school."""
    roster = frames.get("roster")
    if roster is None or "name__key" not in roster.lazy().collect_schema().names():
        return empty_raw()

    def match_key(lf: pl.LazyFrame) -> pl.Expr:
        """`_key`, with the school for a 学籍号 key (null school: the key alone)."""
        school = pl.col("school_name") if "school_name" in lf.collect_schema().names() else pl.lit(None, pl.String)
        sid = pl.col("_key").str.starts_with("SID:") & school.is_not_null()
        return pl.when(sid).then(pl.concat_str([pl.col("_key"), pl.lit("@"), school])).otherwise(pl.col("_key"))

    # (key, name) pairs and anti joins: no per-row list of names is built (1M ⋈ 1M stays light)
    rl = roster.lazy()
    pairs = rl.filter(pl.col("_key").is_not_null() & pl.col("name__key").is_not_null()) \
        .select("_key", _k=match_key(rl), name__key="name__key", name="name") \
        .unique(["_k", "name__key"], keep="first").collect(engine="streaming").lazy()
    # a 学籍号 whose roster rows are all at one school: a row without a school is that school's
    sid_one = (pairs.filter(pl.col("_key").str.starts_with("SID:")).group_by("_key")
               .agg(pl.col("_k").n_unique().alias("_n"), pl.col("_k").first().alias("_one"))
               .filter(pl.col("_n") == 1).select("_key", "_one"))
    out = []
    for kind in ("aid", "changes"):
        df = frames.get(kind)
        if df is None or "name__key" not in df.lazy().collect_schema().names():
            continue
        # the rows whose name differs, found on the three columns the joins need (with every column
        # a national aid table's joins held 9 GB), then read in full
        base = df.lazy().with_row_index("_i")
        base = base.with_columns(_k=match_key(base)).join(sid_one, on="_key", how="left", maintain_order="left") \
            .with_columns(_k=pl.when(pl.col("_k").str.starts_with("SID:") & ~pl.col("_k").str.contains("@", literal=True))
                          .then(pl.col("_one")).otherwise(pl.col("_k"))).drop("_one")
        odd_i = (base.filter(pl.col("name__key").is_not_null() & pl.col("_k").is_not_null())
                 .select("_i", "_k", "name__key")
                 .join(pairs.select("_k", "name__key"), on=["_k", "name__key"], how="anti")
                 .join(pairs.select("_k").unique(), on="_k", how="semi").collect(engine="streaming"))
        if odd_i.height == 0:
            continue
        odd = base.filter(pl.col("_i").is_in(odd_i.get_column("_i").implode())).collect(engine="streaming").lazy()
        # the roster's names, gathered only for the students that differ
        theirs = pairs.join(odd.select("_k").unique(), on="_k", how="semi").with_columns(
            _r_damaged=nz.name_damaged(pl.col("name__key")))
        cand = odd.select("_i", "_k", "name__key", _damaged=nz.name_damaged(pl.col("name__key"))).join(
            theirs.select("_k", pl.col("name__key").alias("_r_key"), "_r_damaged"), on="_k", how="inner")
        cand = cand.filter(pl.col("_damaged") | pl.col("_r_damaged"))
        legible_same = (
            pl.when(pl.col("_damaged") & pl.col("_r_damaged")).then(pl.lit(True))  # nothing to tell them apart by
            .when(pl.col("_damaged")).then(pl.col("_r_key").str.contains(nz.name_pattern(pl.col("name__key")), strict=False))
            .otherwise(pl.col("name__key").str.contains(nz.name_pattern(pl.col("_r_key")), strict=False)))
        explained = cand.filter(legible_same.fill_null(False)).select("_i").unique()
        damaged_keys = cand.select("_i").unique().with_columns(_any_damage=pl.lit(True))
        odd = odd.join(explained, on="_i", how="anti").join(damaged_keys, on="_i", how="left")
        names = theirs.group_by("_k").agg(pl.col("name").sort().str.join("、").alias("_roster_names"))
        j = odd.join(names, on="_k", how="inner")
        plain = pl.concat_str([pl.lit("姓名「"), pl.col("name"), pl.lit("」与学籍名册中同一学生的姓名「"),
                               pl.col("_roster_names"), pl.lit("」不一致，请核对是否录错或冒名")])
        damaged = pl.concat_str([
            pl.lit("姓名「"), pl.col("name"), pl.lit("」与学籍名册中同一学生的姓名「"), pl.col("_roster_names"),
            pl.lit(f"」不同：其中的 {DAMAGE_NOTE} 是文件以 GBK/ANSI 编码保存时丢失的字，但可辨认的字也不相同；"
                   "请先用 UTF-8 编码重新导出，再核对是否录错或冒名")])
        msg = pl.when(pl.col("_any_damage").fill_null(False)).then(damaged).otherwise(plain)
        out.append(emit(j, kind, msg, field="name", key=pl.concat_str([pl.col("_key"), pl.lit("name")], separator="|"))
                   .with_columns(rule_id=pl.lit("S008")).collect())
    return pl.concat(out) if out else empty_raw()


# Text fields where a GBK save shows: names (compared across files) and school names.
DAMAGE_FIELDS = ("name", "school_name")
DAMAGE_ROWS_LISTED = 10


def encoding_damage(kind: str, df: pl.DataFrame | pl.LazyFrame) -> list[Problem]:
    """One warning per sheet whose names or school names hold `?`, `？` or U+FFFD: characters lost
    when the file was saved as GBK/ANSI. Says which rows and how to export again; such names
    are not compared as names (S008 explains them, R102 and P403 leave them out)."""
    cols = [c for c in DAMAGE_FIELDS if c in df.lazy().collect_schema().names()]
    if not cols:
        return []
    hit = df.lazy().select("_file", "_sheet", "_row", *[nz.name_damaged(pl.col(c)).alias(c) for c in cols]) \
        .filter(pl.any_horizontal(cols)).collect(engine="streaming")
    if hit.height == 0:
        return []
    spec = all_kinds()[kind]
    problems = []
    for (file, sheet), part in hit.group_by(["_file", "_sheet"], maintain_order=True):
        rows = part["_row"].to_list()
        listed = "、".join(str(r) for r in rows[:DAMAGE_ROWS_LISTED]) + ("等" if len(rows) > DAMAGE_ROWS_LISTED else "")
        titles = "、".join(spec.field_map[c].title for c in cols if part[c].any())
        if str(file).lower().endswith(".csv"):
            fix = "请在 Excel 中用「另存为 → CSV UTF-8（逗号分隔）」重新保存（WPS 选择 UTF-8 编码），或从原系统重新导出"
        else:
            fix = "数据曾以 GBK/ANSI 编码的 CSV 保存过，请从原系统重新导出（CSV 请选 UTF-8 编码）后再制表"
        problems.append(Problem("warning", file, sheet, None, (
            f"第 {listed} 行（共 {len(rows)} 行）的{titles}含 {DAMAGE_NOTE}：这是文件以 GBK/ANSI 编码保存时"
            f"无法保存而丢失的字，不是另一个人的姓名；{fix}。这些行不参与姓名比对")))
    return problems


def note_unjudged(ctx: Context, rule_id: str, kind: str, reasons: dict[str, pl.Expr],
                  frame: pl.LazyFrame | None = None) -> None:
    """Record the rows of `kind` that rule `rule_id` cannot judge, by reason (Chinese label →
    boolean expression over the normalised frame, true where the row cannot be judged). A rule
    calls it when it runs; the counts are collected with the rules (`Context.resolve_unjudged`)
    and the engine puts them in `RunResult.unjudged` (findings.json `run.unjudged`, one line in
    the terminal summary). The rows themselves are reported once by an S-rule
    (S002/S003/S006/S007). `frame`: the rows of `kind` with columns the rule derived (one row per
    row of the table), when a reason needs them (C201's deadline)."""
    if kind not in ctx.frames or not reasons or ctx.height(kind) == 0:
        return
    ctx._unjudged.append((rule_id, kind, list(reasons), [e.fill_null(False) for e in reasons.values()], frame))


def _count_plan(lf: pl.LazyFrame, asked: list[tuple[int, list[pl.Expr]]]) -> pl.LazyFrame:
    """One row: for each count `n` asked (its flags), the rows each flag is true on (`_u{n}_{i}`)
    and the rows any is true on (`_rows{n}`), over `lf`. Each flag is computed once, then counted:
    summed in the same select, a flag holding a window (A311's card sharing) was evaluated once
    per use, in aggregation context (3.8 s, not 0.6 s, over a province's 1M aid rows)."""
    names = [(n, [f"_u{n}_{i}" for i in range(len(flags))]) for n, flags in asked]
    return lf.select([e.alias(c) for (_, flags), (_, cols) in zip(asked, names, strict=True)
                      for e, c in zip(flags, cols, strict=True)]).select(
        *[pl.col(c).sum() for _, cols in names for c in cols],
        *[pl.any_horizontal(cols).sum().alias(f"_rows{n}") for n, cols in names])


# ctx.options key of the roster tables that could not be checked (required columns missing):
# [(file, sheet, school charged)]; A302 does not call a student absent who may be in one.
ROSTERS_NOT_CHECKED = "rosters_not_checked"

# ctx.options key of the Problems a rule raises about an input as a whole (a publicity list whose
# period cannot be read): reported with the loader's, not as findings.
RULE_PROBLEMS = "problems"


def unjudged_line(unjudged: dict[str, dict]) -> str:
    """The terminal line for `RunResult.unjudged` (empty when every row could be judged):
    `未能判断（…）：A304 2 行（学期无法识别或为空：2 行）；R107 1 行（…）` (a colon before each
    count: `存成数字 1` read as the number 1)."""
    if not unjudged:
        return ""
    parts = [f"{rid} {v['rows']} {v.get('unit', '行')}（" + "，".join(f"{k}：{n} {v.get('unit', '行')}" for k, n in v["reasons"].items()) + "）"
             for rid, v in sorted(unjudged.items())]
    return "未能判断（括号内为原因；无法识别的值已在 S 类规则或上面的提示中列出）：" + "；".join(parts)


def unreadable(kind: str, cols: list[str], *fields: str) -> dict[str, pl.Expr]:
    """For `note_unjudged`: per field of `kind` present in `cols`, the rows whose value is there
    but could not be read (or, for a required field, is missing): an ID that is no usable key, a
    date or term that is not one, an enumeration value outside its list."""
    fmap = all_kinds()[kind].field_map
    out: dict[str, pl.Expr] = {}
    for name in fields:
        if name == "_key":
            if "_key" in cols:
                out["既没有可用的证件号码也没有学籍号"] = pl.col("_key").is_null()
            continue
        f = fmap.get(name)
        if f is None or name not in cols:
            continue
        raw = f"{name}__raw"
        if f.type == "id_number":
            out[f"{f.title}无效"] = pl.col(f"{name}__key").is_null() & pl.col(raw).is_not_null()
        elif f.type == "enum":
            if f.open or not f.values:
                continue
            bad = pl.col(name).is_not_null() & ~pl.col(name).is_in(list(f.values))
            out[f"{f.title}不在规定范围" + ("或为空" if f.required else "")] = \
                (bad | pl.col(name).is_null()) if f.required else bad
        elif raw in cols:
            missing = pl.col(name).is_null()
            if f.type == "term" and f"{name}__school_year" in cols:
                # a school year without its term (2024-2025学年): read, no S007, but no term to judge by
                school_year = pl.col(f"{name}__school_year").is_not_null()
                out[nz.SCHOOL_YEAR_ONLY] = school_year
                missing = missing & ~school_year
            bad = missing & pl.col(raw).is_not_null()
            out[f"{f.title}无法识别" + ("或为空" if f.required else "")] = missing if f.required else bad
    return out


def drop_unknown_cells(raw: pl.DataFrame, tables: list[Table]) -> pl.DataFrame:
    """Findings on a cell whose value is not known (a formula without a saved value, see
    load.xlsx) are dropped: such a cell reads as empty, but it is not, so neither "为空" nor any
    other finding on that field of that row may come from it (the loader reported the cells).
    `tables` in table-id order, as numbered in `run`."""
    parts = []
    for tid, t in enumerate(tables):
        if t.unknown is None or t.unknown.height == 0:
            continue
        field_of = {col: f for f, col in t.field_cols.items()}
        parts.append(t.unknown.filter(pl.col("col").is_in(list(field_of))).select(
            pl.lit(tid, dtype=pl.Int32).alias("_tid"), pl.col("_row").cast(pl.Int64),
            pl.col("col").replace_strict(field_of, return_dtype=pl.String).alias("field")))
    if not parts or raw.height == 0:
        return raw
    return raw.join(pl.concat(parts), on=["_tid", "_row", "field"], how="anti")


def school_alias_map(aliases: dict[str, str]) -> dict[str, str]:
    """The policy's [school_aliases] with each name in the form school names are compared in
    (`normalize.compact`: spaces and full/half width ignored): name → full name."""
    if not aliases:
        return {}
    keys = pl.DataFrame({"k": list(aliases)}).select(nz.compact(pl.col("k"))).get_column("k").to_list()
    return dict(zip(keys, aliases.values(), strict=True))


def schools_aliased(frames: dict[str, pl.LazyFrame], mapping: dict[str, str]) -> dict[str, pl.LazyFrame]:
    """`frames` with each school name of `mapping` (`school_alias_map`) replaced by the full name
    it stands for."""
    if not mapping:
        return frames
    return {k: lf.with_columns(pl.col("school_name").replace(mapping))
            if "school_name" in lf.collect_schema().names() else lf for k, lf in frames.items()}


def schools_not_on_rosters(pairs: dict[str, pl.DataFrame], tables: list[Table],
                           school_of: dict[int, str]) -> list[Problem]:
    """An info line per file of another kind (aid, changes, publicity) whose rows name a school no
    roster of the run has (`pairs`: per kind, the rows per table id and school; `school_of`: the
    school of each table, for rosters whose school is in their title only): often a short or old
    name of a school (甲市一技 for 甲市第一技工学校), which the summary would count as a school of its
    own. Nothing when the run has no roster with a school."""
    roster = pairs.get("roster")
    known = set(roster.get_column("school_name").drop_nulls().to_list()) \
        if roster is not None and "school_name" in roster.columns else set()
    known |= {school_of[tid] for tid, t in enumerate(tables) if t.kind == "roster" and not t.missing} - {UNNAMED, SEVERAL}
    if not known:
        return []
    from xueji_check.schools import school_base

    known_base = pl.Series([*known], dtype=pl.String).to_frame("s").select(school_base(pl.col("s"))).to_series()
    out: list[Problem] = []
    for kind, df in pairs.items():
        if kind == "roster" or "school_name" not in df.columns:
            continue
        # compared as the rules compare schools (a campus, 技校)
        other = df.filter(pl.col("school_name").is_not_null()
                          & ~school_base(pl.col("school_name")).is_in(known_base.to_list()))
        by_file: dict[str, dict[str, int]] = {}
        for tid, school, n in other.iter_rows():
            t = tables[tid]
            by_file.setdefault(t.file, {}).setdefault(school, 0)
            by_file[t.file][school] += n
        for file, schools in by_file.items():
            shown = "、".join(f"「{s}」（{n} 行）" for s, n in list(schools.items())[:5]) + (" 等" if len(schools) > 5 else "")
            out.append(Problem("info", file, None, None,
                               f"学校 {shown} 不在本次的任何学籍名册中：如是某校的简称或别的写法，请在策略文件的 [school_aliases] "
                               "中写明它对应的全称，问题才会记在同一所学校名下"))
    return out


def school_variants(pairs: dict[str, pl.DataFrame], tables: list[Table]) -> list[Problem]:
    """An info line per school written in more than one way that the rules compare as one
    (`schools.school_base`: 东方技校 and 东方技工学校), so
    that the merge is never silent. A bracketed campus alone is no variant worth a line. `pairs`: per kind,
    the rows per table id and school."""
    from xueji_check.schools import CAMPUS_SUFFIX, school_base

    rows = [df.select(pl.col("_tid"), pl.col("school_name")) for df in pairs.values() if "school_name" in df.columns]
    if not rows:
        return []
    named = pl.concat(rows).drop_nulls("school_name").with_columns(
        _base=school_base(pl.col("school_name")), _plain=pl.col("school_name").str.replace(CAMPUS_SUFFIX, ""))
    groups = named.group_by("_base").agg(pl.col("_plain").unique().sort(), pl.col("school_name").unique().sort(),
                                         pl.col("_tid").min()).filter(pl.col("_plain").list.len() > 1).sort("_base")
    out = []
    for base, _plain, written, tid in groups.iter_rows():
        shown = "」「".join(written[:6]) + ("」等" if len(written) > 6 else "」")
        out.append(Problem("info", tables[tid].file, None, None,
                           f"学校名称「{shown}在比对学籍、资助时按同一所学校「{base}」处理（「技校」与「技工学校」、"
                           "括号中的校区不计）；如其实是不同的学校，两校学籍号与证件号码都相同的行不会按重复注册报告（R101），请人工核对"))
    return out


def schools_filled(frames: dict[str, pl.LazyFrame], tables: list[Table], school_of: dict[int, str],
                   specs: dict, problems: list[Problem]) -> tuple[dict[str, pl.LazyFrame], dict[int, str]]:
    """`frames` with the 学校名称 of the rows of each table that has no school column although its
    kind requires one (a school's own roster names the school only in its title or file name:
    the loader let it through for that, `load.table.build_table`) set to the school its title,
    sheet or file names (`schools.named_school`, words only), with an info line in `problems`.
    Such rows take part in the rules comparing schools (R101) as if the column had been there.
    When the run's data makes that name doubtful (`school_of`, the table's school read with the
    run's known schools, is another: 新东方技工学校 beside a known 东方技工学校), the table is not
    checked (S001, as without the name, charged to the school its words name) and a warning says
    why. Returns (frames, table id → school to charge, of the tables not checked: the caller drops
    them)."""
    from xueji_check.schools import named_school

    out = dict(frames)
    dropped: dict[int, str] = {}
    for kind, lf in frames.items():
        field = specs[kind].field_map.get("school_name")
        if field is None or not field.required:
            continue
        fill: dict[int, str] = {}
        for tid, t in enumerate(tables):
            if t.kind != kind or t.missing or "school_name" in t.field_cols:
                continue
            words = named_school(t.title_lines, t.file, t.sheet, [])
            known = school_of.get(tid)
            if words and words == known:
                fill[tid] = words
                problems.append(Problem("info", t.file, t.sheet, None,
                                        f"表中没有「学校名称」列，各行按标题或文件名中的学校「{words}」检查；"
                                        "如果不是该校的表，请加上学校名称列后重新检查"))
                continue
            dropped[tid] = words if words and words != SEVERAL else UNNAMED
            t.missing.append("school_name")
            doubt = f"「{words}」也可能是本次数据中的「{known}」" if words and known not in (None, UNNAMED, SEVERAL) \
                else f"「{words or '（无）'}」无法确定是哪一所学校"
            problems.append(Problem("warning", t.file, t.sheet, None,
                                    f"表中没有「学校名称」列，标题或文件名中的学校{doubt}，该表未检查；请加上学校名称列后重新检查"))
        if dropped:
            out[kind] = out[kind].filter(~pl.col("_tid").is_in(list(dropped)))
        if not fill:
            continue
        named = pl.col("_tid").replace_strict(fill, default=None, return_dtype=pl.String)
        cur = pl.col("school_name") if "school_name" in lf.collect_schema().names() else pl.lit(None, pl.String)
        out[kind] = out[kind].with_columns(pl.coalesce(cur, named).alias("school_name"))
    return out, dropped


def missing_column_findings(missing: list[tuple[int, Table]], school_of: dict[int, str],
                            specs: dict) -> list[pl.DataFrame]:
    """S001 for each table (table id, table) that lacks required columns: one file-level finding,
    charged to the table's school, keyed by school, kind and the columns missing (not by file or
    sheet, so the same gap in next month's export is the same finding)."""
    out = []
    for tid, t in missing:
        spec = specs[t.kind]
        names = "、".join(spec.field_map[m].title if m in spec.field_map else
                          "或".join(spec.field_map[x].title for x in m.split("/")) for m in t.missing)
        school = school_of.get(tid, UNNAMED)
        out.append(pl.DataFrame({
            "rule_id": ["S001"], "dataset": [t.kind], "_file": [t.file], "_sheet": [t.sheet],
            "_row": [None], "field": [None], "student_id": [None], "id_number": [None], "name": [None],
            "school": [None if school == UNNAMED else school],
            "message": [f"{spec.title}缺少必需列：{names}（表头在第 {t.header_row} 行），该工作表未参与检查；"
                        "请补上这些列后重新导出"],
            "key": [f"{school}#{'/'.join(sorted(t.missing))}"], "_tid": [tid], "column": [None],
        }, schema={**RAW_SCHEMA, "rule_id": pl.String}))
    return out


# A word in a publicity list's title, sheet or file name that keeps the list in scope once the other
# aid it names is taken out: one of the two national aids (a 助学金 the `out_of_scope` words do not
# qualify is the national grant); and 资助 beside other aid (学生资助公示（含勤工助学）is a list of
# every aid; a heading of 资助 alone leaves it to the sheet or file name).
_AID_WORD = "助学金|免学费|免除学费|学费"
_GENERAL_AID_WORD = "资助"
# 资助 in the name of who publishes the list (学生资助管理中心, 资助办) says nothing of what it lists
_AID_OFFICE = "资助(?:工作)?(?:管理)?(?:服务)?(?:中心|办公室|办|科|处|股|站|部|领导小组)"
# A title line that is a note, not the list's heading (注：国家奖学金名单另行公示; 说明、备注、附注):
# what it names is not what the list publicises.
_NOTE_LINE = re.compile(r"^\s*(?:[（(【\[]\s*(?:注|说明|备注|附注|提示)\s*[）)】\]]"
                        r"|(?:注|说明|备注|附注|提示)\s*(?:[：:、.．]|[0-9０-９一二三]))")


def titled_other_aid(t: Table, f: FieldSpec) -> str | None:
    """The other aid (省级助学金, 国家奖学金: `f.out_of_scope` of the aid-type field) a publicity
    list's title names as what it publicises, or None. The first of its title lines (but notes:
    `_NOTE_LINE`), its sheet name and its file name that names any aid decides: other aid and no
    national aid there (neither a value `out_of_scope_unless` finds, 国家助学金, 免学费, nor a 助学金
    or 资助 left once the other aid is taken out: 奖学金及助学金公示 and 学生资助公示（含勤工助学） are
    about the national aid too)."""
    if not f.out_of_scope:
        return None
    heading = " ".join(line for line in t.title_lines if not _NOTE_LINE.match(line))
    for text in (heading, t.sheet, Path(t.file).stem):
        c = nz.compact(pl.lit(text or "", pl.String))
        row = pl.select(
            other=c.str.extract_all(f.out_of_scope).list.unique(maintain_order=True).list.join("、"),
            unless=c.str.contains(f.out_of_scope_unless) if f.out_of_scope_unless else pl.lit(False),
            left=c.str.replace_all(f.out_of_scope, "").str.contains(_AID_WORD),
            general=c.str.replace_all(f.out_of_scope, "").str.replace_all(_AID_OFFICE, "").str.contains(_GENERAL_AID_WORD),
        ).row(0, named=True)
        if row["unless"] or row["left"]:
            return None
        if row["other"]:
            return None if row["general"] else row["other"]
    return None


def leave_out_of_scope(frames: dict[str, pl.LazyFrame], specs: dict, heights: dict[str, int],
                       problems: list[Problem], tables: list[Table] | None = None
                       ) -> tuple[dict[str, pl.LazyFrame], dict[str, int], list[str], dict[str, pl.LazyFrame]]:
    """The rows the rules see: each kind's rows without those whose enum value is outside the
    notice (`FieldSpec.out_of_scope`: 省级助学金, 国家奖学金 in 资助类型; neither a wrong value, S007,
    nor aid the notice covers, so no rule may judge them). One query per kind with such a field
    (the rows left out, counted by file and value); an info line per file names the values and
    counts. A publicity list whose title names other aid only (省级助学金公示: `titled_other_aid`;
    `tables`: every table, by table id) is left out too, but for its rows whose aid type is
    written as a national aid. Returns (frames, heights, the kinds left with no row, the rows
    left out by kind)."""
    out, hs, emptied, left_out = dict(frames), dict(heights), [], {}
    for kind, lf in frames.items():
        cols = lf.collect_schema().names()
        fields = [f for f in specs[kind].fields if f.type == "enum" and f.out_of_scope and f.name in cols]
        titled = {}
        if kind == "publicity" and "aid_type" in specs[kind].field_map:  # a list known by its title
            f = specs[kind].field_map["aid_type"]
            titled = {tid: other for tid, t in enumerate(tables or []) if t.kind == kind and not t.missing
                      and (other := titled_other_aid(t, f))}
        if not fields and not titled:
            continue
        cond = pl.any_horizontal([f.out_of_scope_expr(pl.col(f.name)) for f in fields] or [pl.lit(False)])
        by_title = pl.lit(False)
        if titled:
            national = pl.col("aid_type").is_in(list(specs[kind].field_map["aid_type"].values)).fill_null(False) \
                if "aid_type" in cols else pl.lit(False)
            by_title = pl.col("_tid").is_in(list(titled)) & ~national & ~cond
        names = [f.name for f in fields]
        counts = (lf.filter(cond).group_by("_file", *names).len()
                  .sort(["_file", "len", *names], descending=[False, True, *[False] * len(names)]).collect())
        n_titled = lf.filter(by_title).group_by("_tid").len().sort("_tid").collect() if titled else None
        gone = int(counts["len"].sum()) + (int(n_titled["len"].sum()) if n_titled is not None else 0)
        if not gone:
            continue
        out[kind] = lf.filter(~(cond | by_title))
        left_out[kind] = lf.filter(cond | by_title)
        left = hs.get(kind, 0) - gone
        hs[kind] = left
        if left <= 0:
            emptied.append(kind)
        if counts.height:
            f0 = fields[0]
            for (file,), g in counts.group_by("_file", maintain_order=True):
                shown = [f"{v} {n} 行" for v, n in zip(g[f0.name], g["len"], strict=True) if v is not None][:8]
                problems.append(Problem(
                    "info", file, None, None,
                    f"有 {int(g['len'].sum())} 行{f0.title}是通知范围以外的其他资助（{'，'.join(shown)}"
                    f"{'等' if g.height > 8 else ''}），不属于免学费和国家助学金，资助和公示规则不检查这些行"))
        for tid, n in (n_titled.iter_rows() if n_titled is not None else []):
            t = (tables or [])[tid]
            problems.append(Problem(
                "info", t.file, t.sheet, None,
                f"该公示名单的标题（或工作表名、文件名）表明公示的是通知范围以外的其他资助（{titled[tid]}），"
                f"不属于免学费和国家助学金：其 {n} 行不参与公示规则"))
    return out, hs, emptied, left_out


def rule_skip_reason(rule: Rule, ctx: Context) -> str | None:
    for kind, fields in rule.needs.items():
        title = all_kinds()[kind].title
        if not ctx.has(kind):
            if ctx.tables.get(kind):  # given, but only its header (an empty export, a template)
                return ctx.options.get(f"empty:{kind}") or f"{title}没有数据行"
            return f"未提供{title}"
        fmap = all_kinds()[kind].field_map
        missing = [fmap[f].title for f in fields if f not in ctx.columns(kind)]
        if missing:
            return f"{title}缺少列：{'、'.join(missing)}"
    return None


# Reading: files read at once (threads), input bytes read but not yet in the store, and rows
# normalised together (a folder of small school files: one plan per layout and batch).
READ_WORKERS = 4
READ_AHEAD_BYTES = 512 * 2**20
BATCH_ROWS = 200_000


def _store_key(inp: InputFile, policy: Policy) -> tuple[str, dict] | None:
    """The store key of `inp` from its current content (read once, through the same checks as
    the loader's: a regular file, read-only) and what an entry's manifest must say of its input
    (name, sha256, size, kind named by option), or None when it cannot be opened (the loader then
    says why)."""
    try:
        with _open_regular(inp.path) as fh:
            size = os.fstat(fh.fileno()).st_size
            digest = hashlib.file_digest(fh, "sha256").hexdigest()
    except Exception:
        return None
    key = entry_key(sha256=digest, size=size, name=inp.path.name, kind_hint=inp.kind_hint, policy=policy)
    return key, {"name": inp.path.name, "sha256": digest, "size": size, "kind_hint": inp.kind_hint}


def store_write_error(exc: Exception, where: Path, persistent: bool = False) -> StoreError:
    """A Chinese StoreError for a failed write of the store's data (disk full, file too large,
    no permission): Polars reports the OS error inside its own text (`(os error 28)`)."""
    from xueji_check.report import os_reason, os_todo

    if not isinstance(exc, OSError):
        m = re.search(r"os error (\d+)", str(exc))
        exc = OSError(int(m.group(1)), os.strerror(int(m.group(1)))) if m else OSError(str(exc).splitlines()[0][:200])
    hint = ("" if persistent else
            "；不加 --cache 时，读取后的数据暂存在系统临时文件夹中（可用环境变量 TMPDIR 指定一个空间足够的文件夹）")
    return StoreError(f"无法写入暂存数据（{os_reason(exc)}）：{where}，检查未完成，未写出报告；{os_todo(exc)}{hint}")


# Above this many store files, a kind's rows are gathered into one file (in the run's scratch
# folder, or kept in a --cache store: `gathered`) before the rules scan them: each rule's scan
# opens every file (a province's folder of 2,500 school exports made 40 rules open 5,000 files
# each, and Polars' I/O threads pile up).
GATHER_FILES = 16


def _sunk(lf: pl.LazyFrame, path: Path) -> pl.LazyFrame:
    """`lf` written once to `path` (0600, Polars' streaming sink, in row order) and scanned back:
    every rule reads the file instead of computing `lf` again."""
    try:
        lf.sink_parquet(path, compression="zstd", compression_level=1)
        os.chmod(path, 0o600)  # personal data, as the store's own files
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise store_write_error(exc, path.parent) from exc
    return pl.scan_parquet(path)


def _gathered(lf: pl.LazyFrame, uses: list, kind: str, store: Store) -> pl.LazyFrame:
    """`lf` (a kind's scan over the store, `uses` its tables) as a scan of one Parquet file when
    the tables live in more than `GATHER_FILES` files, as it is otherwise: in a kept store
    (`--cache`) a gathered entry reused and updated from run to run (`gathered.gather`), else a
    file of the run's scratch folder. Memory follows a batch, not the kind (an update of a kept
    entry merges at most `gathered.NEW_ROWS_MAX` new rows)."""
    files = {f for u in uses for f in u.files}
    if len(files) <= GATHER_FILES:
        return lf
    if store.persistent:
        try:
            return gather(store, kind, uses, lf)
        except (OSError, pl.exceptions.PolarsError) as exc:
            raise store_write_error(exc, store.root, True) from exc
    return _sunk(lf, store.scratch / f"{kind}-rows.parquet")


def _as_of_run(lf: pl.LazyFrame, spec, as_of: dt.date, kind: str, scratch: Path | None) -> pl.LazyFrame:
    """`tables.apply_as_of`, written once to `scratch` when it changed rows (its re-sort would
    otherwise run again in every rule's scan)."""
    out = apply_as_of(lf, spec, as_of)
    return out if out is lf or scratch is None else _sunk(out, scratch / f"{kind}-asof.parquet")


def one_table(paths: list[Path], spec) -> None:
    """Make the data files of one table written slice by slice (`store.write_streamed_entry`)
    what one whole table gives: every file the same column types (a column all null in one slice
    takes the type the others have), and the card damage judged per table (`normalize.card_damaged`:
    once a table holds a damaged card, every card bearing Excel's mark there is damaged) spread to
    the slices that found none of their own. A file is rewritten only when it must change, then
    replaced in one step."""
    schemas = [dict(pl.read_parquet_schema(p)) for p in paths]
    target: dict[str, pl.DataType] = {}
    for sch in schemas:
        for c, t in sch.items():
            if target.get(c) is None or target[c] == pl.Null:
                target[c] = t
    cards = [f.name for f in spec.fields if f.type == "card_number" and f"{f.name}__damaged" in target]
    hit = {c: [bool(pl.scan_parquet(p).select(pl.col(f"{c}__damaged").any()).collect().item()) for p in paths]
           for c in cards}
    spread = [c for c in cards if any(hit[c])]
    for k, (p, sch) in enumerate(zip(paths, schemas, strict=True)):
        cast = {c: t for c, t in target.items() if sch.get(c) != t}
        fix = [c for c in spread if not hit[c][k]]
        if not cast and not fix:
            continue
        df = pl.read_parquet(p)
        if cast:
            df = df.with_columns([pl.col(c).cast(t) for c, t in cast.items()])
        if fix:
            df = df.with_columns([(pl.col(f"{c}__damaged") | nz.card_mark(pl.col(c))).fill_null(False)
                                  .alias(f"{c}__damaged") for c in fix])
        tmp = p.with_name(p.name + ".part")
        df.write_parquet(tmp, compression="zstd", compression_level=1)
        os.replace(tmp, p)


def load_into_store(inputs: list[InputFile], store: Store, specs: dict, policy: Policy,
                    local: list[list[Problem]]) -> int:
    """Bring every input into `store`, file by file: a file whose entry is there (same content,
    name, kind and code) is not read at all; the others are read (threads, at most
    READ_AHEAD_BYTES of input in memory at once), normalised in batches (`tables.normalise_batch`)
    and written as entries, and their frames dropped. Afterwards each input's tables have their
    raw text in the store (`store.StoredFrame`) and `local[i]` holds the loader's messages about
    input i. Returns the number of files found in the store."""
    n = len(inputs)
    sizes = []
    for inp in inputs:
        try:
            sizes.append(inp.path.stat().st_size)
        except OSError:
            sizes.append(0)

    def found(i: int) -> bool:
        """Input i taken from the store (its tables and messages set) when its entry is there."""
        inp = inputs[i]
        keyed = _store_key(inp, policy)
        entry = store.get(keyed[0]) if keyed is not None else None
        # an entry is this file's only when its manifest says so too (an entry copied under
        # another's key, its key field edited, is not trusted)
        said = entry.manifest.get("input") if entry is not None else None
        if entry is not None and (not isinstance(said, dict) or any(said.get(k) != v for k, v in keyed[1].items())):
            store.reject(entry)
            entry = None
        if entry is not None:
            try:
                inp.tables, local[i] = read_entry(entry, inp)
                inp.sha256, inp.size = entry.manifest["input"]["sha256"], entry.manifest["input"]["size"]
                return True
            except Exception:  # a manifest this code cannot use: read the file again
                inp.tables, local[i] = [], []
        return False

    # A kept store (--cache) is looked in first, file after file in this thread: a hit is a
    # little Python work (hash, manifest, check of the data files), which threads only slow down
    # (5,000 school files: 3.1 s in four threads, 1.4 s in one). A temporary store starts empty.
    hit = [store.persistent and found(i) for i in range(n)]

    def fetch(i: int) -> None:
        load_file(inputs[i], local[i], specs, stream=True)

    def flush(batch: list[int]) -> None:
        items = [(t, (i, j)) for i in batch for j, t in enumerate(inputs[i].tables) if not t.missing]
        normalised = normalise_batch(items, specs)
        for i in batch:
            inp = inputs[i]
            mine = {j: normalised.pop((i, j)) for j in range(len(inp.tables)) if (i, j) in normalised}
            # a file the loader had trouble with (an error on one of its sheets) is read again next time
            keep = inp.ok and not any(p.level == "error" for p in local[i])
            key = entry_key(sha256=inp.sha256, size=inp.size, name=inp.path.name, kind_hint=inp.kind_hint,
                            policy=policy)
            try:
                entry = write_entry(store, key, inp, local[i], mine, keep=keep)
            except (OSError, pl.exceptions.PolarsError) as exc:
                raise store_write_error(exc, store.root, store.persistent) from exc
            inp.tables, _ = read_entry(entry, inp)  # the frames read are dropped here
        release_free_memory()

    def stream(i: int) -> None:
        """A big Parquet file (`inp.stream`), slice by slice: read, normalised, written, dropped."""
        inp = inputs[i]
        streamed, inp.stream = inp.stream, None
        tbl = streamed.table
        spec = specs[tbl.kind]

        def parts():
            for raw in streamed.slices():
                t = dataclasses.replace(tbl, raw=raw)
                norm = normalise_batch([(t, 0)], specs)[0] if not tbl.missing else None
                yield raw, norm
                del raw, norm, t
                release_free_memory()

        def finish(paths: list[Path]) -> None:
            streamed.source.check_unchanged()  # the file hashed is the file read
            one_table(paths, spec)

        keep = inp.ok and not any(p.level == "error" for p in local[i])
        key = entry_key(sha256=inp.sha256, size=inp.size, name=inp.path.name, kind_hint=inp.kind_hint, policy=policy)
        # what reading a file of one slice's rows whole is admitted with: a file read by slices is
        # never refused where a smaller one read whole would be admitted
        need = min(streamed.source.rows, parquet_mod.SLICE_ROWS) * streamed.source.width * PARQUET_BYTES_PER_CELL
        try:
            with MEMORY.reserve(need, inp.size):
                entry = write_streamed_entry(store, key, inp, local[i], tbl, parts(), keep=keep, finish=finish)
        except LoadError as exc:
            inp.ok, inp.tables = False, []
            local[i].append(Problem("error", inp.display, None, None, str(exc)))
            return
        except (OSError, pl.exceptions.PolarsError) as exc:
            raise store_write_error(exc, store.root, store.persistent) from exc
        inp.tables, _ = read_entry(entry, inp)

    hits = 0
    held = 0  # input bytes submitted and not yet in the store
    batch: list[int] = []
    batch_rows = 0
    pending: deque = deque()
    nxt = 0
    with ThreadPoolExecutor(max_workers=min(READ_WORKERS, max(1, n))) as pool:
        while nxt < n or pending:
            while nxt < n and len(pending) < 2 * READ_WORKERS:
                if hit[nxt]:  # already taken from the store
                    hits += 1
                    nxt += 1
                    continue
                if held and held + sizes[nxt] > READ_AHEAD_BYTES:
                    if pending or not batch:
                        break
                    flush(batch)  # nothing else in flight: make room for the next file
                    held -= sum(sizes[j] for j in batch)
                    batch, batch_rows = [], 0
                pending.append((nxt, pool.submit(fetch, nxt)))
                held += sizes[nxt]
                nxt += 1
            if not pending:  # the last files were all in the store (nothing held, nothing left to read)
                assert nxt >= n and held == sum(sizes[j] for j in batch), "load_into_store: a file left unread"
                break
            i, fut = pending.popleft()
            fut.result()
            if not inputs[i].tables:
                held -= sizes[i]
                continue
            if inputs[i].stream is not None:
                if batch:  # what is held goes to the store first
                    flush(batch)
                    held -= sum(sizes[j] for j in batch)
                    batch, batch_rows = [], 0
                stream(i)
                held -= sizes[i]
                continue
            batch.append(i)
            batch_rows += sum(t.raw.height for t in inputs[i].tables)
            if batch_rows >= BATCH_ROWS or (nxt >= n and not pending):
                flush(batch)
                held -= sum(sizes[j] for j in batch)
                batch, batch_rows = [], 0
        if batch:
            flush(batch)
    return hits


# Up to this many rows in all, the rules are collected together (one streaming `collect_all`,
# sharing the scans); above, one after another: a national run's 30 rules side by side held
# 6.9 GB, one at a time under 4 GB, in about the same time. (Common-subplan elimination stays
# on: without it a national run's R102 paired rows of different groups; a rule that reads a big
# frame twice collects its narrow part first instead, see A304.)
RULES_TOGETHER_ROWS = 4_000_000


def run(paths: list[Path], explicit: dict[str, list[Path]], policy: Policy, as_of: dt.date,
        *, show_pii: bool = False, options: dict | None = None, progress=None,
        store: Store | None = None) -> RunResult:
    """One check. The inputs are brought into `store` (`--cache`), or into a temporary store the
    result owns (removed by `RunResult.close`, or when the result is dropped); the rules run on
    lazy scans of it."""
    own = store is None
    if own:
        store = Store.temporary()
    try:
        result = _run(paths, explicit, policy, as_of, show_pii, options, progress, store)
    except BaseException:
        if own:
            store.close()
        raise
    if own:
        result.store = store
        weakref.finalize(result, store.close)
    return result


def _run(paths: list[Path], explicit: dict[str, list[Path]], policy: Policy, as_of: dt.date,
         show_pii: bool, options: dict | None, progress, store: Store) -> RunResult:
    load_rule_modules()
    problems: list[Problem] = []
    inputs: list[InputFile] = []
    not_checked: list[NotChecked] = []
    named_missing: set[str] = set()  # kinds named by option whose file cannot even be opened
    for p in discover(paths, problems, not_checked):
        inputs.append(InputFile(p, str(p), None))
    for kind, ps in explicit.items():
        for p in ps:
            why = refuse_given(p)
            if why:
                problems.append(Problem("error", shown_path(p), None, None, why))
                not_checked.append(NotChecked(shown_path(p), why))
                named_missing.add(kind)
                continue
            if p.resolve() in {i.path.resolve() for i in inputs}:
                # the same file given by folder and by option: the explicit kind wins, read once
                inputs = [i for i in inputs if i.path.resolve() != p.resolve()]
            inputs.append(InputFile(p, str(p), kind))
    for inp, shown in zip(inputs, shown_paths([i.path for i in inputs]), strict=True):
        inp.display = shown  # an ID or mobile in a file name is masked in everything shown
    specs = all_kinds()
    step = progress.step if progress else (lambda *a, **k: None)
    step("读取文件", len(inputs))
    local: list[list[Problem]] = [[] for _ in inputs]
    hits = load_into_store(inputs, store, specs, policy, local)
    for lp in local:
        problems.extend(lp)

    tables: dict[str, list[Table]] = {k: [] for k in KINDS}
    raw_parts: list[pl.DataFrame] = []
    tid = 0
    uses: dict[str, list[TableUse]] = {k: [] for k in KINDS}
    heights: dict[str, int] = {}
    header_rows = []
    all_tables: list[Table] = []
    missing_columns: list[tuple[int, Table]] = []  # (table id, table) of the S001 tables
    for inp in inputs:
        for t in inp.tables:
            all_tables.append(t)
            for f, col in t.field_cols.items():
                header_rows.append((tid, f, t.headers[int(col[1:])]))
            if t.missing:
                missing_columns.append((tid, t))
            else:
                tables[t.kind].append(t)
                uses[t.kind].append(TableUse(t.raw.files, t.raw.t, tid, inp.display, t.sheet, t.raw.normalised,
                                                 t.raw.file_schema, rows=t.raw.height))
                heights[t.kind] = heights.get(t.kind, 0) + t.raw.height
            tid += 1

    step("规范化与校验")
    # the normalised rows of each kind: lazy scans of the store, as of this run's check date
    frames: dict[str, pl.LazyFrame] = {}
    for kind in KINDS:
        if tables[kind]:
            frames[kind] = _as_of_run(_gathered(scan_tables(uses[kind]), uses[kind], kind, store),
                                      specs[kind], as_of, kind, store.scratch)
    aliases = school_alias_map(policy.school_aliases)
    frames = schools_aliased(frames, aliases)
    # the school each table is charged to (its school column, title line or file name): from
    # each kind's distinct (table, school) pairs and their rows, all that schools.table_schools looks at
    pairs = {k: lf.group_by("_tid", "school_name", maintain_order=True).len().collect(engine="streaming")
             if "school_name" in lf.collect_schema().names() else lf.select("_tid").head(0).collect()
             for k, lf in frames.items()}
    school_of = table_schools(all_tables, pairs)
    school_of = {tid: aliases.get(s, s) for tid, s in school_of.items()}
    frames, unchecked = schools_filled(frames, all_tables, school_of, specs, problems)
    for tid, school in unchecked.items():  # back to S001: the school of its rows is doubtful
        t = all_tables[tid]
        school_of[tid] = school
        missing_columns.append((tid, t))
        tables[t.kind] = [x for x in tables[t.kind] if x is not t]
        heights[t.kind] -= t.raw.height
        if not tables[t.kind]:
            frames.pop(t.kind)
    problems.extend(schools_not_on_rosters(pairs, all_tables, school_of))
    problems.extend(school_variants(pairs, all_tables))
    for kind, lf in frames.items():
        raw_parts.append(validation_findings(kind, lf, typed_documents(frames.get("roster"))
                                             if kind != "roster" else None))
        problems.extend(encoding_damage(kind, lf))
    raw_parts.append(name_mismatch(frames))
    raw_parts.extend(missing_column_findings(missing_columns, school_of, specs))

    # Fatal (exit 2, the run could not be done): no table at all can be checked, or a file named
    # by option (--roster, --aid, …) is missing, unreadable or has nothing checkable. A file found in a folder or given
    # without a kind that cannot be read or recognised is not fatal: it is counted as not
    # checked, and the exit status is then at least 1 (cli._exit_code).
    fatal = not any(tables[k] for k in KINDS) or bool(named_missing)
    for inp in inputs:
        # a file named by option that cannot be read, or none of whose tables can be checked
        # (required columns missing): what the user asked for cannot be done
        if inp.kind_hint and (not inp.ok or not any(not t.missing for t in inp.tables)):
            fatal = True
    errors: dict[str, str] = {}
    for pr in problems:
        if pr.level == "error":
            errors.setdefault(pr.file, pr.message)
    not_checked += [NotChecked(i.display, errors.get(i.display, "无法读取或无法识别")) for i in inputs if not i.ok]

    cal = WorkCalendar(policy)
    rule_frames, rule_heights, emptied, left_out = leave_out_of_scope(frames, specs, heights, problems, all_tables)
    ctx = Context(rule_frames, tables, policy, as_of, cal, options or {}, table_school=school_of,
                  heights=rule_heights, scratch=store.scratch, left_out=left_out)
    for kind in emptied:
        ctx.options[f"empty:{kind}"] = f"{specs[kind].title}中没有免学费或国家助学金的行（都是其他资助）"
    ctx.options[ROSTERS_NOT_CHECKED] = [(t.file, t.sheet, school_of.get(tid, UNNAMED))
                                        for tid, t in missing_columns if t.kind == "roster"]
    step("执行规则", len(CATALOG))
    skipped: dict[str, str] = {}
    lazies: list[tuple[str, pl.LazyFrame]] = []
    for rid, rule in CATALOG.items():
        if not policy.rule_enabled(rid):
            if (options or {}).get("validate_only"):
                skipped[rid] = "validate 只做格式校验"
            elif policy.severity.get(rid) == "off":
                skipped[rid] = "策略文件中已关闭"
            else:
                skipped[rid] = "未选中（策略文件 [rules] select/ignore）"
            continue
        if rule.family == "S":
            continue
        if rule.func is None:
            skipped[rid] = "尚未实现"
            continue
        reason = rule_skip_reason(rule, ctx)
        if reason:
            skipped[rid] = reason
            continue
        res = rule.func(ctx)
        if res is None:
            skipped[rid] = ctx.options.get(f"skip:{rid}", "所需数据不足")
            continue
        lazies.append((rid, res.with_columns(rule_id=pl.lit(rid))))
    counts = ctx.unjudged_plans()
    if lazies or counts:
        # Polars' streaming engine: the scans of the store are read in batches, so memory follows
        # what the rules keep (groups, joins), not the inputs
        if sum(heights.values()) < RULES_TOGETHER_ROWS:
            collected = pl.collect_all([lf for _, lf in lazies] + counts, engine="streaming")
        else:  # one rule at a time: memory is the biggest rule's state, not the sum (same time)
            collected = [lf.collect(engine="streaming") for _, lf in lazies]
            collected += pl.collect_all(counts, engine="streaming") if counts else []
        raw_parts.extend(collected[:len(lazies)])
        ctx.resolve_unjudged(collected[len(lazies):])

    raw_parts = [p for p in raw_parts if p.height]
    raw = pl.concat([p.select([*RAW_SCHEMA, "rule_id"]).cast({**RAW_SCHEMA, "rule_id": pl.String}) for p in raw_parts]) \
        if raw_parts else empty_raw().with_columns(rule_id=pl.lit(None, pl.String))
    raw = raw.filter(pl.col("rule_id").is_in([r for r in CATALOG if policy.rule_enabled(r)]))
    raw = drop_unknown_cells(raw, all_tables)
    meta = pl.DataFrame({
        "rule_id": list(CATALOG),
        "severity": [policy.severity_of(r.id, r.severity) for r in CATALOG.values()],
        "clause": [r.clause for r in CATALOG.values()],
    })
    raw = raw.join(meta, on="rule_id", how="left")
    headers = pl.DataFrame(header_rows, schema={"_tid": pl.Int32, "field": pl.String, "column": pl.String}, orient="row")
    step("整理结果")
    schools = pl.DataFrame({"_tid": list(school_of), "_school": [
        None if v == UNNAMED else v for v in school_of.values()]}, schema={"_tid": pl.Int32, "_school": pl.String})
    findings = finalize(raw, meta, headers, policy.fingerprint_salt, show_pii, schools)
    note = cal.note_unknown(set(cal.unknown_years_used))
    rows = {k: heights.get(k, 0) for k in KINDS}
    unjudged = {k.split(":", 1)[1]: v for k, v in ctx.options.items()
                if k.startswith("unjudged:") and k.split(":", 1)[1] not in skipped}
    problems.extend(ctx.options.get(RULE_PROBLEMS, []))  # what rules said about an input as a whole
    return RunResult(findings, inputs, problems, skipped, KindFrames(frames), tables, note, fatal, rows, unjudged,
                     not_checked, views=frames, cache_hits=hits, table_school=school_of)
