"""One run: load → normalise → validate (S) → rules → findings. No printing, no files written."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from xueji_check import schema as sc
from xueji_check.calendar import CalendarFrame, WorkCalendar
from xueji_check.findings import RAW_SCHEMA, emit, empty_raw, finalize
from xueji_check.load import (
    InputFile,
    NotChecked,
    Problem,
    Table,
    discover,
    load_file,
    refuse_given,
)
from xueji_check.memory import release_free_memory
from xueji_check.normalize import mask_id
from xueji_check.policy import Policy
from xueji_check.registry import CATALOG, Rule, load_rule_modules
from xueji_check.spec import KINDS, all_kinds
from xueji_check.tables import combine

ID_REASON = {"length": "位数不对", "chars": "含非法字符", "birth": "出生日期不存在", "check": "校验位错误"}


@dataclass
class Context:
    """What a rule function sees."""

    frames: dict[str, pl.DataFrame]
    tables: dict[str, list[Table]]
    policy: Policy
    as_of: dt.date
    calendar: WorkCalendar
    options: dict = field(default_factory=dict)
    _calframe: CalendarFrame | None = None

    def has(self, kind: str, *fields: str) -> bool:
        df = self.frames.get(kind)
        return df is not None and df.height > 0 and all(f in df.columns for f in fields)

    def lf(self, kind: str) -> pl.LazyFrame:
        return self.frames[kind].lazy()

    def columns(self, kind: str) -> list[str]:
        return self.frames[kind].columns if kind in self.frames else []

    @property
    def calframe(self) -> CalendarFrame:
        if self._calframe is None:
            dates = [self.as_of]
            for df in self.frames.values():
                for c, t in df.schema.items():
                    if t == pl.Date:
                        s = df[c].drop_nulls()
                        if len(s):
                            dates += [s.min(), s.max()]
            lo = max(min(dates), dt.date(1990, 1, 1))
            hi = min(max(dates), dt.date(2100, 12, 31))
            self._calframe = CalendarFrame(self.calendar, lo, hi)
        return self._calframe


@dataclass
class RunResult:
    findings: pl.DataFrame
    inputs: list[InputFile]
    problems: list[Problem]
    skipped: dict[str, str]  # rule id -> reason
    frames: dict[str, pl.DataFrame]
    tables: dict[str, list[Table]]
    calendar_note: str = ""
    fatal: bool = False  # nothing could be checked, or nothing of a kind named by option
    rows: dict[str, int] = field(default_factory=dict)
    not_checked: list[NotChecked] = field(default_factory=list)  # files (folders) given but not checked


def _s_message(code: str, title: str) -> pl.Expr:
    raw = pl.col("_raw").fill_null("")
    if code == "S002":
        return pl.lit(f"{title}为空，请补填")
    if code == "S003":
        reason = pl.col("_status").replace_strict(ID_REASON, default="无效", return_dtype=pl.String)
        return pl.concat_str([pl.lit(f"{title}「"), mask_id(pl.col("_raw")), pl.lit("」无效（"), reason,
                              pl.lit("），请与证件核对后更正")])
    if code == "S004":
        return pl.concat_str([pl.lit(f"{title}「"), mask_id(pl.col("_raw")),
                              pl.lit("」被 Excel 存成了数字，后几位已丢失、无法恢复；请把该列设为文本格式后重新导出")])
    if code == "S006":
        return pl.concat_str([pl.lit(f"{title}「"), raw, pl.lit("」无法识别为日期，请改为 2018-09-01 这样的格式")])
    if code == "S007":
        return pl.concat_str([pl.lit(f"{title}「"), raw, pl.lit("」不在规定范围内，请按规定的取值填写")])
    return pl.lit(title)


def validation_findings(kind: str, df: pl.DataFrame) -> pl.DataFrame:
    spec = all_kinds()[kind]
    fails = sc.failures(df, spec)
    if fails.height == 0:
        return empty_raw()
    fmap = spec.field_map
    out = []
    # the failing rows only, gathered once (not one join over the whole table per check)
    failing = df.with_row_index("index").filter(pl.col("index").is_in(fails["index"].unique().implode()))
    for (fname, code), part in fails.group_by(["field", "code"], maintain_order=True):
        f = fmap[fname]
        rows = failing.join(part.select("index"), on="index", how="semi", maintain_order="left")
        raw_col = f"{fname}__raw" if f"{fname}__raw" in df.columns else fname
        rows = rows.with_columns(
            _raw=pl.col(raw_col).cast(pl.String),
            _status=pl.col(f"{fname}__status") if f"{fname}__status" in df.columns else pl.lit(None, pl.String),
        )
        if code == "S005" and fname == "birth_date":
            msg = pl.concat_str([pl.lit("出生日期「"), pl.col("_raw"), pl.lit("」与身份证号中的出生日期 "),
                                 pl.col("id_number__birth").cast(pl.String), pl.lit(" 不符，请核对")])
        elif code == "S005":
            msg = pl.concat_str([pl.lit("性别「"), pl.col("gender"), pl.lit("」与身份证号的性别码（"),
                                 pl.col("id_number__gender"), pl.lit("）不符，请核对")])
        else:
            msg = _s_message(code, f.title)
        key = pl.concat_str([pl.coalesce(pl.col("_key"), pl.concat_str([pl.col("_file"), pl.col("_row").cast(pl.String)], separator="#")),
                             pl.lit(fname)], separator="|")
        found = emit(rows.lazy(), kind, msg, field=fname, key=key).collect()
        out.append(found.with_columns(rule_id=pl.lit(code)))
    return pl.concat(out)


def name_mismatch(frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """S008: the same student (ID, else 学籍号) with different names in roster vs aid/changes."""
    roster = frames.get("roster")
    if roster is None or "name" not in roster.columns:
        return empty_raw()
    # (key, name) pairs and anti joins: no per-row list of names is built (1M ⋈ 1M stays light)
    pairs = roster.lazy().filter(pl.col("_key").is_not_null() & pl.col("name").is_not_null()) \
        .select("_key", "name").unique().collect().lazy()
    out = []
    for kind in ("aid", "changes"):
        df = frames.get(kind)
        if df is None or "name" not in df.columns or df.height == 0:
            continue
        odd = (df.lazy().filter(pl.col("name").is_not_null() & pl.col("_key").is_not_null())
               .join(pairs, on=["_key", "name"], how="anti").collect().lazy())
        # the roster's names, gathered only for the students that differ
        names = pairs.join(odd.select("_key"), on="_key", how="semi").group_by("_key").agg(
            pl.col("name").sort().str.join("、").alias("_roster_names"))
        j = odd.join(names, on="_key", how="inner")
        msg = pl.concat_str([pl.lit("姓名「"), pl.col("name"), pl.lit("」与学籍名册中同一学生的姓名「"),
                             pl.col("_roster_names"), pl.lit("」不一致，请核对是否录错或冒名")])
        out.append(emit(j, kind, msg, field="name", key=pl.concat_str([pl.col("_key"), pl.lit("name")], separator="|"))
                   .with_columns(rule_id=pl.lit("S008")).collect())
    return pl.concat(out) if out else empty_raw()


def rule_skip_reason(rule: Rule, ctx: Context) -> str | None:
    for kind, fields in rule.needs.items():
        title = all_kinds()[kind].title
        if not ctx.has(kind):
            return f"未提供{title}"
        fmap = all_kinds()[kind].field_map
        missing = [fmap[f].title for f in fields if f not in ctx.frames[kind].columns]
        if missing:
            return f"{title}缺少列：{'、'.join(missing)}"
    return None


def run(paths: list[Path], explicit: dict[str, list[Path]], policy: Policy, as_of: dt.date,
        *, show_pii: bool = False, options: dict | None = None, progress=None) -> RunResult:
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
                problems.append(Problem("error", str(p), None, None, why))
                not_checked.append(NotChecked(str(p), why))
                named_missing.add(kind)
                continue
            if p.resolve() in {i.path.resolve() for i in inputs}:
                # the same file given by folder and by option: the explicit kind wins, read once
                inputs = [i for i in inputs if i.path.resolve() != p.resolve()]
            inputs.append(InputFile(p, str(p), kind))
    specs = all_kinds()
    step = progress.step if progress else (lambda *a, **k: None)
    step("读取文件", len(inputs))
    local: list[list[Problem]] = [[] for _ in inputs]
    # Files are only read in the threads. Normalising a read file while another is still being
    # parsed saved ~2 s at 1M rows but left 2-5 GB resident instead of ~1 GB (measured; the
    # allocators of calamine and Polars interleave), so normalising waits for all reads.
    with ThreadPoolExecutor(max_workers=min(4, max(1, len(inputs)))) as pool:
        list(pool.map(lambda i: load_file(inputs[i], local[i], specs), range(len(inputs))))
    for lp in local:
        problems.extend(lp)
    release_free_memory()  # the readers' freed heap, before the normalised frames are built

    tables: dict[str, list[Table]] = {k: [] for k in KINDS}
    raw_parts: list[pl.DataFrame] = []
    tid = 0
    tids: dict[str, list[int]] = {k: [] for k in KINDS}
    header_rows = []
    all_tables: list[Table] = []
    for inp in inputs:
        for t in inp.tables:
            all_tables.append(t)
            for f, col in t.field_cols.items():
                header_rows.append((tid, f, t.headers[int(col[1:])]))
            if t.missing:
                spec = specs[t.kind]
                names = "、".join(spec.field_map[m].title if m in spec.field_map else
                                  "或".join(spec.field_map[x].title for x in m.split("/")) for m in t.missing)
                raw_parts.append(pl.DataFrame({
                    "rule_id": ["S001"], "dataset": [t.kind], "_file": [t.file], "_sheet": [t.sheet],
                    "_row": [None], "field": [None], "student_id": [None], "id_number": [None], "name": [None],
                    "school": [None], "message": [f"{spec.title}缺少必需列：{names}（表头在第 {t.header_row} 行），"
                                                  f"该工作表未参与检查；请补上这些列后重新导出"],
                    "key": [f"{t.file}#{t.sheet}#S001"], "_tid": [tid], "column": [None],
                }, schema={**RAW_SCHEMA, "rule_id": pl.String}))
            else:
                tables[t.kind].append(t)
                tids[t.kind].append(tid)
            tid += 1

    step("规范化与校验")
    frames: dict[str, pl.DataFrame] = {}
    for kind in KINDS:
        if tables[kind]:
            frames[kind] = combine(tables[kind], specs[kind], as_of, tids[kind])
            raw_parts.append(validation_findings(kind, frames[kind]))
    raw_parts.append(name_mismatch(frames))

    # Fatal (exit 2, the run could not be done): no table at all can be checked, or a kind named
    # by option (--roster, --aid, …) has nothing checkable. A file found in a folder or given
    # without a kind that cannot be read or recognised is not fatal: it is counted as not
    # checked, and the exit status is then at least 1 (cli._exit_code).
    fatal = not any(tables[k] for k in KINDS) or bool(named_missing)
    for kind in KINDS:
        if any(i.kind_hint == kind for i in inputs) and not tables[kind]:
            fatal = True
    errors: dict[str, str] = {}
    for pr in problems:
        if pr.level == "error":
            errors.setdefault(pr.file, pr.message)
    not_checked += [NotChecked(i.display, errors.get(i.display, "无法读取或无法识别")) for i in inputs if not i.ok]

    cal = WorkCalendar(policy)
    ctx = Context(frames, tables, policy, as_of, cal, options or {})
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
    if lazies:
        collected = pl.collect_all([lf for _, lf in lazies])
        raw_parts.extend(collected)

    raw_parts = [p for p in raw_parts if p.height]
    raw = pl.concat([p.select([*RAW_SCHEMA, "rule_id"]).cast({**RAW_SCHEMA, "rule_id": pl.String}) for p in raw_parts]) \
        if raw_parts else empty_raw().with_columns(rule_id=pl.lit(None, pl.String))
    raw = raw.filter(pl.col("rule_id").is_in([r for r in CATALOG if policy.rule_enabled(r)]))
    meta = pl.DataFrame({
        "rule_id": list(CATALOG),
        "severity": [policy.severity_of(r.id, r.severity) for r in CATALOG.values()],
        "clause": [r.clause for r in CATALOG.values()],
    })
    raw = raw.join(meta, on="rule_id", how="left")
    headers = pl.DataFrame(header_rows, schema={"_tid": pl.Int32, "field": pl.String, "column": pl.String}, orient="row")
    step("整理结果")
    findings = finalize(raw, meta, headers, policy.fingerprint_salt, show_pii)
    note = cal.note_unknown(set(cal.unknown_years_used))
    rows = {k: (frames[k].height if k in frames else 0) for k in KINDS}
    return RunResult(findings, inputs, problems, skipped, frames, tables, note, fatal, rows, not_checked)
