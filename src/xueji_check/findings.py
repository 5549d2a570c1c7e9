"""The findings frame: its columns, masking, fingerprints, order, baseline diff, summaries."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import polars as pl

from xueji_check.normalize import mask_id
from xueji_check.pii import (
    ID_ONLY,
    clip_expr,
    clip_text,
    cut_series,
    cut_text,
    mask_series,
    mask_text,
)

COLUMNS = ["rule_id", "severity", "dataset", "file", "sheet", "row", "column", "student_id",
           "id_masked", "name", "school", "message", "clause", "fingerprint", "status"]
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
SEVERITY_ZH = {"error": "错误", "warning": "警告", "info": "提示"}

# What a rule function returns (the engine adds rule id, severity, clause, masking, fingerprint).
RAW_SCHEMA = {
    "dataset": pl.String, "_file": pl.String, "_sheet": pl.String, "_row": pl.Int64,
    "field": pl.String, "student_id": pl.String, "id_number": pl.String, "name": pl.String,
    "school": pl.String, "message": pl.String, "key": pl.String, "_tid": pl.Int32,
    # the header as written, for findings on a column that is not a canonical field (P402);
    # otherwise filled from (_tid, field)
    "column": pl.String,
}


def emit(lf: pl.LazyFrame, dataset: str, message: pl.Expr, *, field: str | None = None,
         key: pl.Expr | None = None, columns: list[str] | None = None) -> pl.LazyFrame:
    """Shape rows of a normalised table into raw findings."""
    cols = set(columns if columns is not None else lf.collect_schema().names())

    def col(name: str) -> pl.Expr:
        return pl.col(name) if name in cols else pl.lit(None, dtype=RAW_SCHEMA.get(name, pl.String))

    ident = pl.coalesce(col("id_number"), col("id_number__raw")) if "id_number__raw" in cols else col("id_number")
    return lf.select(
        pl.lit(dataset).alias("dataset"),
        col("_file").alias("_file"), col("_sheet").alias("_sheet"), col("_row").cast(pl.Int64).alias("_row"),
        pl.lit(field, dtype=pl.String).alias("field"),
        col("student_id").alias("student_id"),
        ident.alias("id_number"),
        col("name").alias("name"),
        col("school_name").alias("school"),
        message.cast(pl.String).alias("message"),
        (key if key is not None else col("_key")).cast(pl.String).alias("key"),
        col("_tid").cast(pl.Int32).alias("_tid"),
        pl.lit(None, dtype=pl.String).alias("column"),
    )


def empty_raw() -> pl.DataFrame:
    return pl.DataFrame(schema=RAW_SCHEMA)


def fingerprint_expr(salt: str) -> pl.Expr:
    """A salted sha256 of rule, dataset and key (not the row), so it is stable between exports
    and does not reveal the ID number."""

    def _hash(s: pl.Series) -> pl.Series:
        salt_b = salt.encode()
        return pl.Series([hashlib.sha256(salt_b + b"|" + v.encode()).hexdigest()[:16] for v in s.to_list()],
                         dtype=pl.String)

    basis = pl.concat_str([pl.col("rule_id"), pl.col("dataset"), pl.col("key")], separator="|", ignore_nulls=True)
    return basis.map_batches(_hash, return_dtype=pl.String)


def finalize(raw: pl.DataFrame, meta: pl.DataFrame, headers: pl.DataFrame, salt: str,
             show_pii: bool, schools: pl.DataFrame | None = None) -> pl.DataFrame:
    """raw findings + rule metadata (rule_id, severity, clause) → the public findings frame.

    `schools` (`_tid`, `_school`: the school a table is charged to, see schools.py) fills the
    school of a finding that has none of its own (a file-level finding, a row whose 学校名称 is
    empty), so every finding has its school where the file names one anywhere.

    Fingerprints never depend on where a finding sits (path, file name, sheet, row), so next
    month's export with new file names gives the same ones: a finding without a key of its own
    is keyed by its school, field and column, and findings that share a key are told apart by
    their order in the run (`#2`, `#3`…)."""
    df = raw.join(headers, on=["_tid", "field"], how="left", suffix="_h").with_columns(
        column=pl.coalesce("column", "column_h")).drop("column_h")
    if schools is not None and schools.height:
        df = df.join(schools, on="_tid", how="left").with_columns(
            school=pl.coalesce(pl.col("school"), pl.col("_school"))).drop("_school")
    df = df.with_columns(key=pl.coalesce(pl.col("key"), pl.concat_str(
        [pl.lit("@"), pl.col("school").fill_null(""), pl.col("field").fill_null(""), pl.col("column").fill_null("")],
        separator="#")))
    # the same key twice (two rows of one school without any student key, two lists of one
    # school and term): numbered in run order, the first keeps the plain key
    df = df.sort(["rule_id", "dataset", "key", "_tid", "_row"], nulls_last=True, maintain_order=True).with_columns(
        _n=pl.int_range(pl.len()).over(["rule_id", "dataset", "key"]))
    df = df.with_columns(key=pl.when(pl.col("_n") > 0).then(pl.format("{}#{}", pl.col("key"), pl.col("_n") + 1))
                         .otherwise(pl.col("key"))).drop("_n")
    df = df.with_columns(fingerprint=fingerprint_expr(salt))
    ident = pl.col("id_number") if show_pii else mask_id(pl.col("id_number"))
    df = df.with_columns(
        id_masked=ident,
        status=pl.lit(None, dtype=pl.String),
        _sev=pl.col("severity").replace_strict(SEVERITY_ORDER, default=9, return_dtype=pl.Int8),
    ).sort(["_sev", "rule_id", "_file", "_sheet", "_row", "column", "fingerprint", "message"],
           nulls_last=True, maintain_order=True)
    return publishable(df.select(
        "rule_id", "severity", "dataset", pl.col("_file").alias("file"), pl.col("_sheet").alias("sheet"),
        pl.col("_row").alias("row"), "column", "student_id", "id_masked", "name", "school", "message",
        "clause", "fingerprint", "status",
    ), show_pii)


ID_LIMIT = 40  # characters of id_masked kept (an ID is at most 18; a longer value is not one)


def publishable(df: pl.DataFrame, show_pii: bool) -> pl.DataFrame:
    """What the findings frame quotes from the inputs, made safe to publish: every ID-, mobile-
    and bank-card-shaped number masked in `message`, `name`, `school` and `column` (pii.py), ID
    numbers inside `student_id` (G410105…) masked, unless `show_pii`; and, always, quoted values
    cut to pii.QUOTE_LIMIT characters and the message to pii.TEXT_LIMIT (a 1 MB cell is not
    copied into every finding). Vectorised; the patterns run only on rows that may need them."""
    cols = {}
    for c in ("message", "student_id", "name", "school", "column"):
        s = df[c]
        if not show_pii:
            s = mask_series(s, ID_ONLY if c == "student_id" else None)
        cols[c] = cut_series(s) if c == "message" else s
    return df.with_columns(**cols).with_columns(
        *[clip_expr(pl.col(c)).alias(c) for c in ("student_id", "name", "school", "column")],
        clip_expr(pl.col("id_masked"), ID_LIMIT).alias("id_masked"))


def load_baseline(baseline: Path) -> list[dict]:
    """The findings of an earlier findings.json. Raises ValueError with a Chinese message that
    says what is wrong (missing, a folder, not text, not JSON, not a findings.json)."""
    return read_baseline(baseline)[0]


def read_baseline(baseline: Path) -> tuple[list[dict], dict]:
    """The findings of an earlier findings.json and its `run` block ({} when it has none), as
    `load_baseline` (the same ValueErrors)."""
    what = "请给出上次运行输出的 findings.json"
    if not baseline.exists():
        raise ValueError(f"找不到基线文件 {baseline}；{what}")
    if baseline.is_dir():
        raise ValueError(f"基线文件 {baseline} 是一个文件夹；{what}（如 {baseline / 'findings.json'}）")
    if not baseline.is_file():
        raise ValueError(f"基线文件 {baseline} 不是普通文件；{what}")
    try:
        raw = baseline.read_bytes()
    except OSError as exc:
        from xueji_check.report import os_reason

        raise ValueError(f"无法读取基线文件 {baseline}（{os_reason(exc)}）；请检查权限，或{what}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start >= len(raw) - 3 and raw.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
            # JSON cut inside a character (a copy or a write that stopped part-way)
            raise ValueError(f"基线文件 {baseline} 在末尾处被截断（最后一个字符不完整），可能已损坏；{what}") from exc
        raise ValueError(f"基线文件 {baseline} 不是文本文件（不是 UTF-8 编码的 JSON），可能选错了文件；{what}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"基线文件 {baseline} 不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列附近格式错误），"
                         f"可能已损坏或被截断；{what}") from exc
    except RecursionError as exc:
        raise ValueError(f"基线文件 {baseline} 不是 xueji-check 输出的 findings.json（嵌套过深）；{what}") from exc
    old = data.get("findings") if isinstance(data, dict) else None
    if not isinstance(old, list) or not all(isinstance(f, dict) for f in old):
        raise ValueError(f"基线文件 {baseline} 不是 xueji-check 输出的 findings.json（缺少 findings 列表）；{what}")
    if old and not any(isinstance(f.get("fingerprint"), str) and f.get("fingerprint") for f in old):
        raise ValueError(f"基线文件 {baseline} 中的问题没有 fingerprint，无法比较；{what}")
    run = data.get("run")
    return old, run if isinstance(run, dict) else {}


def salt_mismatch(run: dict, mark_now: str) -> str | None:
    """The earlier run's fingerprint-salt mark (`Policy.as_json`: the default salt, or 已设置 with
    a checksum) when it differs from this run's `mark_now`, else None (also when the earlier file
    does not say). Fingerprints made with two salts never match: a comparison would call every
    finding new and every earlier one resolved."""
    policy = run.get("policy")
    mark = policy.get("fingerprint_salt") if isinstance(policy, dict) else None
    return mark if isinstance(mark, str) and mark != mark_now else None


def _baseline_value(k: str, v: object, show_pii: bool) -> object:
    """One field of an earlier finding, as this run would write it: only plain values, text
    cut, and (unless `show_pii`) masked again, whatever the earlier run's --show-pii was."""
    if k == "row":
        return v if isinstance(v, int) and not isinstance(v, bool) else None
    if isinstance(v, bool) or not isinstance(v, str | int | float):
        return None
    v = str(v)
    if k == "message":
        return cut_text(v if show_pii else mask_text(v))
    if k == "id_masked":  # masked again in one batch by apply_baseline (normalize.mask_id)
        return clip_text(v, ID_LIMIT)
    if not show_pii and k != "fingerprint":  # every other field, even a rule id or a path
        v = mask_text(v, ID_ONLY if k == "student_id" else None)
    return clip_text(v)


def apply_baseline(df: pl.DataFrame, baseline: Path | list[dict], show_pii: bool = False
                   ) -> tuple[pl.DataFrame, list[dict]]:
    """Mark findings `new` or `persisting` against an earlier findings.json (by fingerprint, which
    does not depend on row numbers) and return the earlier findings that are gone (`resolved`),
    one per fingerprint, in the earlier file's order. `baseline` is the file or its findings
    (load_baseline). What is taken from it is masked again unless `show_pii`."""
    old = load_baseline(baseline) if isinstance(baseline, Path) else baseline

    def fp_of(f: dict) -> str | None:
        fp = f.get("fingerprint")
        return fp if isinstance(fp, str) and fp else None

    old_fp = sorted({fp for f in old if (fp := fp_of(f))})
    now_fp = set(df["fingerprint"].drop_nulls().to_list())
    df = df.with_columns(
        status=pl.when(pl.col("fingerprint").is_in(old_fp)).then(pl.lit("persisting")).otherwise(pl.lit("new"))
    )
    seen: set[str] = set()
    resolved = []
    for f in old:
        fp = fp_of(f)
        if not fp or fp in now_fp or fp in seen:
            continue
        seen.add(fp)
        resolved.append({**{k: _baseline_value(k, f.get(k), show_pii) for k in COLUMNS}, "status": "resolved"})
    if resolved and not show_pii:  # the same masking as this run's own id_masked column
        masked = pl.Series([r["id_masked"] for r in resolved], dtype=pl.String).to_frame("v").select(
            mask_id(pl.col("v"))).to_series().to_list()
        for r, m in zip(resolved, masked, strict=True):
            r["id_masked"] = m
    return df, resolved


def split_unverified(resolved: list[dict], skipped: dict[str, str], not_checked: list[str],
                     inputs: list[str] | None = None, present: dict[str, set[str]] | None = None,
                     sheets_not_checked: set[tuple[str, str]] | None = None,
                     present_before: dict | None = None) -> tuple[list[dict], list[dict]]:
    """The earlier findings gone from this run (`apply_baseline`'s `resolved`) split into those
    this run did check again (really resolved) and those it could not (`unverified`, each with a
    Chinese `reason`, `status` "unverified"). Gone because the data could not be read, or was not
    given tonight, is no 已整改. A finding is unverified when, this run:

    - its rule did not run (`skipped`: rule id → why);
    - its file was given but could not be read (`not_checked`: the shown paths of the files not
      checked; compared whole, then by file name, as a nightly export keeps its name and moves to
      tonight's folder, when no other input of the run (`inputs`, shown paths) has that name:
      西城/名册.xlsx unreadable says nothing of 东方/名册.xlsx);
    - its sheet was skipped for missing columns (`sheets_not_checked`: (file, sheet) of tonight's
      S001 findings; the file matched as above);
    - there were no rows of its data (its `dataset`) at its school, or none of another kind its
      rule needs there (a roster not sent tonight leaves A302 unjudged). `present`: kind → the
      schools with rows (`RunResult.schools_present`, through `schools.school_base`; "" for
      rows of no school). None skips this test;
    - its rule compares rows across files or schools (`Rule.across`: R101, A304, …) and any
      input file could not be read, or a school that had rows of some kind in the baseline's run
      (`present_before`: its ``run.schools_present``, absent in baselines of earlier versions)
      has none tonight: the row it had matched may be in the data missing."""
    from xueji_check.registry import CATALOG
    from xueji_check.schools import SEVERAL, UNNAMED, school_base_text
    from xueji_check.spec import KIND_TITLES

    titles = dict(KIND_TITLES)
    counts: dict[str, int] = {}
    for p in inputs if inputs is not None else not_checked:
        counts[Path(p).name] = counts.get(Path(p).name, 0) + 1

    def unique(p: str) -> bool:
        return counts.get(Path(p).name, 0) <= 1

    names = {Path(p).name for p in not_checked if unique(p)}
    whole = set(not_checked)
    sheets = set(sheets_not_checked or ())
    sheet_names = {(Path(f).name, sh) for f, sh in sheets if unique(f)}
    gone: dict[str, list[str]] = {}  # kind -> schools of the baseline's run with no rows of it tonight
    if present is not None and isinstance(present_before, dict):
        for kind, before in present_before.items():
            if isinstance(before, list) and kind in titles:
                gone[kind] = [f"{s or '（未注明学校）'}的{titles[kind]}" for s in before
                              if isinstance(s, str) and s not in present.get(kind, set())]
    kept, unverified = [], []
    for r in resolved:
        rid, f, sheet = r.get("rule_id"), r.get("file"), r.get("sheet")
        rule = CATALOG.get(str(rid)) if rid in CATALOG else None
        school = r.get("school") if isinstance(r.get("school"), str) and r.get("school") != UNNAMED else ""
        several = school == SEVERAL  # a sheet of several schools: which one's data is not known
        base = school_base_text(school)
        who = school or "（未注明学校）"
        why = None
        if rid in skipped:
            why = f"本次未运行 {rid}：{skipped[rid]}"
        elif isinstance(f, str) and f and (f in whole or Path(f).name in names):
            why = "本次该文件未能检查"
        elif isinstance(f, str) and f and ((f, sheet) in sheets or (Path(f).name, sheet) in sheet_names):
            why = "本次该工作表缺少必需列，未能检查"
        elif present is not None and not several and (kind := r.get("dataset")) in titles \
                and base not in present.get(kind, set()):
            why = f"本次没有{who}的{titles[kind]}数据"
        elif present is not None and rule is not None and not several and (
                need := next((k for k in rule.needs if k != r.get("dataset") and base not in present.get(k, set())), None)):
            why = f"本次没有{who}的{titles.get(need, need)}，{rid} 无法复核"
        elif rule is not None and rule.across and not_checked:
            why = f"本次有 {len(not_checked)} 个文件未能检查，{rid} 比对的数据可能不全"
        elif rule is not None and rule.across and (
                lost := [g for k in (dict.fromkeys([*rule.needs, *rule.uses]) or titles) for g in gone.get(k, [])]):
            # only the kinds the rule reads (S008 names none: every kind)
            more = f"等 {len(lost)} 处" if len(lost) > 1 else ""
            why = f"本次没有上次有的{lost[0]}{more}数据，{rid} 比对的数据可能不全"
        if why is None:
            kept.append(r)
        else:
            unverified.append({**r, "status": "unverified", "reason": why})
    return kept, unverified


def summary(df: pl.DataFrame, resolved: list[dict] | None = None, unverified: list[dict] | None = None) -> dict:
    """Counts per rule, severity and school; with a baseline also per status and the resolved
    count (pass `resolved` so that a run with no findings still reports them), and the count of
    earlier findings this run could not check again (`split_unverified`)."""
    per_rule = {r: n for r, n in df.group_by("rule_id").len().sort("rule_id").iter_rows()}
    per_sev = {s: n for s, n in df.group_by("severity").len().sort("severity").iter_rows()}
    per_school: dict[str, dict[str, int]] = {}
    for school, sev, n in (
        df.with_columns(pl.col("school").fill_null("（未注明学校）"))
        .group_by("school", "severity").len().sort("school", "severity").iter_rows()
    ):
        per_school.setdefault(school, {})[sev] = n
    out = {"total": df.height, "per_rule": per_rule, "per_severity": per_sev, "per_school": per_school}
    if resolved is not None or df["status"].null_count() < df.height:
        counts = {s: n for s, n in df.group_by("status").len().iter_rows() if s is not None}
        out["per_status"] = {"new": counts.get("new", 0), "persisting": counts.get("persisting", 0)}
        per_rule_status: dict[str, dict[str, int]] = {}
        for rid, st, n in df.group_by("rule_id", "status").len().sort("rule_id", "status").iter_rows():
            per_rule_status.setdefault(rid, {"new": 0, "persisting": 0, "resolved": 0})[st] = n
        for f in resolved or []:
            rid = str(f.get("rule_id"))
            per_rule_status.setdefault(rid, {"new": 0, "persisting": 0, "resolved": 0})["resolved"] += 1
        out["per_rule_status"] = dict(sorted(per_rule_status.items()))
        if resolved is not None:
            out["resolved"] = len(resolved)
        if unverified is not None:
            out["unverified"] = len(unverified)
    return out
