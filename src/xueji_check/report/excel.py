"""report.xlsx: 总览, 问题清单, 学校汇总, then one annotated copy of each input sheet.

Written with xlsxwriter in constant_memory mode: each row goes to disk as soon as the next one
starts, so memory stays flat however large the inputs are. Rows are therefore written in order,
and everything a sheet refers to (annotated sheet names, target cells, the annotations of each
row) is planned first, with Polars. Text is always written with write_string, so that IDs keep
their original text and nothing is turned into a number, formula or link.
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import xlsxwriter
from xlsxwriter.comments import CommentType
from xlsxwriter.packager import Packager
from xlsxwriter.utility import xl_col_to_name

from xueji_check import normalize as nz
from xueji_check.findings import COLUMNS, SEVERITY_ORDER, SEVERITY_ZH
from xueji_check.normalize import mask_id
from xueji_check.pii import clip_expr, mask_series, mask_text
from xueji_check.registry import CATALOG
from xueji_check.report import INJECTION, atomic_path
from xueji_check.report.terminal import FOCUS_MIN_SCHOOLS, VALIDATE_SKIPPED
from xueji_check.schools import UNNAMED
from xueji_check.spec import KIND_TITLES, all_kinds

HEADERS_ZH = {"rule_id": "规则", "severity": "级别", "dataset": "数据", "file": "文件", "sheet": "工作表",
              "row": "行号", "column": "列", "student_id": "学籍号", "id_masked": "身份证号", "name": "姓名",
              "school": "学校", "message": "问题说明", "clause": "依据", "fingerprint": "指纹", "status": "状态"}
STATUS_ZH = {"new": "新增", "persisting": "持续", "resolved": "已整改"}
KIND_ZH = dict(KIND_TITLES)  # 学籍名册, 学籍异动记录, 资助申报与发放, 公示名单, 在职参保名单
FAMILIES = {"S": "数据质量", "R": "学籍注册", "C": "学籍异动", "A": "资助", "P": "公示"}
SEV_COLOUR = {"error": "FFC7CE", "warning": "FFEB9C", "info": "DDEBF7"}
CHART_COLOUR = {"error": "C0504D", "warning": "F2C314", "info": "4F81BD"}
HEADER_COLOUR = "D9E1F2"
FOCUS_COLOUR = "F8CBAD"
LINK_COLOUR = "0563C1"
CM = 96 / 2.54  # pixels per centimetre

# An annotated copy per input sheet: a province folder of 2,500 school files would make a
# workbook nobody can open (and xlsxwriter keeps a temporary file open per sheet).
MAX_ANNOTATED_SHEETS = 100
ROW_LIMIT = 20_000  # inputs above this (a big school; a city or province export) are copied with only their flagged rows, unless annotate_all
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLS = 16_384
COPY_MAX_COLS = EXCEL_MAX_COLS - 2  # an annotated copy puts 问题 and 行号 before the sheet's columns
# Above this many columns a copy's rows are built from one long (row, column, value) frame: the
# per-column expressions of the usual path cost Polars' planner time per column, which a sheet
# of thousands of columns (a CSV of 100,000) turns into minutes.
WIDE_COPY_COLS = 512
EXCEL_MAX_LINKS = 65_530  # Excel refuses more hyperlinks than this on one sheet
MAX_CELL_CHARS = 32_767
MAX_COMMENT_CHARS = 2_000
RESOLVED_SHOWN = 1_000
CHART_SCHOOLS = 15
FIXED = ("总览", "问题清单", "学校汇总")
ILLEGAL = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


# ------------------------------------------------------------------ text safety
def clean_text_expr(e: pl.Expr) -> pl.Expr:
    """Text safe for a cell: no XML-illegal control characters, not run as a formula, not longer
    than Excel allows."""
    e = e.str.replace_all(ILLEGAL, "")
    e = pl.when(e.str.contains(INJECTION)).then(pl.lit("'") + e).otherwise(e)
    return e.str.slice(0, MAX_CELL_CHARS)


def cell_text(v: object) -> object:
    if not isinstance(v, str):
        return v
    v = re.sub(ILLEGAL, "", v)
    if re.match(INJECTION, v):
        v = "'" + v
    return v[:MAX_CELL_CHARS]


def clean_frame(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns(clean_text_expr(pl.col(c)).alias(c) for c, t in df.schema.items() if t == pl.String)


# ------------------------------------------------------------------ sheet names
class SheetNamer:
    """Excel sheet names: at most 31 characters, none of []:*?/\\, not starting or ending with an
    apostrophe, not 'History', unique ignoring case."""

    def __init__(self, reserved: tuple[str, ...] = FIXED) -> None:
        self.used = {n.casefold() for n in reserved} | {"history"}

    def __call__(self, wanted: str) -> str:
        base = _BAD_SHEET_CHARS.sub("_", wanted).strip().strip("'").strip() or "Sheet"
        name = base[:31]
        n = 2
        while name.casefold() in self.used:
            suffix = f"~{n}"
            name = base[: 31 - len(suffix)] + suffix
            n += 1
        self.used.add(name.casefold())
        return name


def sheet_ref(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


# ------------------------------------------------------------------ planning
@dataclass
class SheetPlan:
    """One annotated copy. Rows 1..header_row of the copy are the sheet's own rows above and at
    its header (titles, the period line, the header), in their places. Below the header a full
    copy keeps every row at its own row number (blank rows stay blank), so the copy's row N is the
    input's row N; a compact copy (only the flagged rows, or a sheet longer than Excel allows)
    puts the copied rows one under the other, and its 原行号 column says where each came from."""

    table: object  # load.Table
    name: str
    limited: bool  # only the rows with findings (and the footer) are copied
    rows: pl.DataFrame  # file, sheet, row, out_row: where each copied row below the header lands (1-based)
    cut: int = 0  # rows not copied because the sheet would exceed Excel's row limit
    cut_cols: int = 0  # columns not copied because the sheet would exceed Excel's column limit
    compact: bool = False  # rows below the header renumbered (out_row != row)

    @property
    def header_row(self) -> int:
        return self.table.header_row


def _table_display_name(t, multi: bool) -> str:
    stem = Path(t.file).stem
    return f"{stem}-{t.sheet}" if multi else stem


def _other_rows(t) -> pl.DataFrame:
    """The table's non-record rows as written (load.Table.other_rows), or an empty frame."""
    other = getattr(t, "other_rows", None)
    if other is None:
        return pl.DataFrame(schema={"_row": pl.Int64})
    return other.with_columns(pl.col("_row").cast(pl.Int64))


REFERENCE_KINDS = {"employed"}


def plan_sheets(findings: pl.DataFrame, result, annotate_all: bool, row_limit: int,
                max_sheets: int | None = None) -> tuple[list[SheetPlan], list]:
    """Which input sheets get an annotated copy, and which rows. Above `row_limit` input rows in
    the run (one big export, or a folder of many school files) the copies hold only flagged rows
    (and the footer below the last record) and sheets without findings are left out; at most
    `max_sheets` copies are made (those with the most findings), the rest is returned as the
    second element. A sheet with only file-level findings (P401, P402, S001) is copied too. A
    reference list (REFERENCE_KINDS) is copied only when a finding is on it."""
    max_sheets = MAX_ANNOTATED_SHEETS if max_sheets is None else max_sheets
    tables = [(inp, t) for inp in result.inputs for t in inp.tables]
    limited = sum(t.raw.height for _, t in tables) > row_limit and not annotate_all
    flagged_all = findings.filter(pl.col("row").is_not_null()).select(
        "file", "sheet", pl.col("row").cast(pl.Int64)).unique()
    counts = {(f, sh): n for f, sh, n in findings.group_by("file", "sheet").len().iter_rows()}
    # a reference list (在职参保人员名单: workers, not students) is copied only where a finding
    # points into it: the report goes to schools, and these people are no school's business
    candidates = [(inp, t) for inp, t in tables
                  if (not limited and t.kind not in REFERENCE_KINDS) or counts.get((t.file, t.sheet))]
    if len(candidates) > max_sheets:
        ranked = sorted(range(len(candidates)), key=lambda i: -counts.get((candidates[i][1].file,
                                                                            candidates[i][1].sheet), 0))
        keep = set(ranked[:max_sheets])
        left_out = [t for i, (_, t) in enumerate(candidates) if i not in keep]
        candidates = [c for i, c in enumerate(candidates) if i in keep]
    else:
        left_out = []
    namer = SheetNamer()
    plans = []
    for inp, t in candidates:
        name = namer(_table_display_name(t, len(inp.tables) > 1))
        h = t.header_row
        records = t.raw.select(pl.col("_row").cast(pl.Int64).alias("row"))
        below = _other_rows(t).filter(pl.col("_row") > h).select(pl.col("_row").alias("row"))
        if limited:
            flagged = flagged_all.filter((pl.col("file") == t.file) & (pl.col("sheet") == t.sheet)).select("row")
            last = records["row"].max()
            footer = below.filter(pl.col("row") > last) if last is not None else below
            records = records.join(flagged, on="row", how="semi")
            below = below.join(flagged, on="row", how="semi")
            below = pl.concat([below, footer]).unique()
        src = pl.concat([records, below]).sort("row") if below.height else records
        compact = limited or (src.height > 0 and src["row"].max() > EXCEL_MAX_ROWS)
        cut = 0
        if compact:
            room = EXCEL_MAX_ROWS - h
            cut = max(0, src.height - room)
            src = src.head(room).with_row_index("out_row", offset=h + 1)
        else:
            src = src.with_columns(pl.col("row").alias("out_row"))
        rows = src.select(pl.lit(t.file).alias("file"), pl.lit(t.sheet).alias("sheet"), "row",
                          pl.col("out_row").cast(pl.Int64))
        plans.append(SheetPlan(t, name, limited, rows, cut, max(0, len(t.headers) - COPY_MAX_COLS), compact))
    return plans, left_out


def _first_cells(t) -> dict[str, int]:
    """Header text -> index of the first copied column with that header."""
    seen: dict[str, int] = {}
    for i, h in enumerate(t.headers[:COPY_MAX_COLS]):
        seen.setdefault(h, i)
    return seen


def period_cell(t) -> tuple[int, int | None] | None:
    """Where a publicity list states its period in words (the line P401 read it from, as
    rules.publicity.text_periods looks: the title lines first, then the footer lines): the sheet
    row (1-based) and the index of the cell holding the period (None if no copied cell holds it),
    or None when no such line."""
    from xueji_check.rules.publicity import list_year, parse_period

    year = list_year(t)

    def stated(text: str) -> bool:  # a period with its year, or without (the list's year, as P401 reads it)
        return bool(parse_period(text) or (year and parse_period(text, year)))

    row = next((r for line, r in zip(t.title_lines, t.title_rows, strict=False) if stated(line)), None)
    if row is None:
        row = next((r for line, r in zip(t.footer_lines, t.footer_rows, strict=False) if stated(line)), None)
    if row is None:
        return None
    other = _other_rows(t).filter(pl.col("_row") == row)
    if other.height == 0:
        return row, None
    cells = [(int(c[1:]), v) for c, v in other.drop("_row").row(0, named=True).items()
             if c[1:].isdigit() and v is not None and str(v).strip() and int(c[1:]) < COPY_MAX_COLS]
    cells.sort()
    hit = next((i for i, v in cells if stated(str(v))), None)
    if hit is None:
        hit = next((i for i, v in cells if "公示" in str(v)), cells[0][0] if cells else None)
    return row, hit


def locate(findings: pl.DataFrame, plans: list[SheetPlan]) -> pl.DataFrame:
    """Add where each finding is shown in the annotated copies: `_orow` (1-based row of the copy),
    `_ocol` (0-based column of the copy; 0 is the 问题 cell), `_cell` (e.g. D7), `_target`
    ('x'!D7) and `_show`, the link text (第 N 行, N being the input's row, which the copy's
    行号 cell of the target row also says). A finding with a row lands in that row, on its
    column's cell. A file-level finding lands on the header cell of its column (P402), on the
    line that states the publicity period (P401 read from a title or footer line), else on the
    header row's first cell (S001 and the like)."""
    f = findings.with_row_index("_i")
    none = {"_orow": pl.Int64, "_ocol": pl.Int64, "_cell": pl.String, "_target": pl.String, "_show": pl.String}
    if not plans or f.height == 0:
        return f.with_columns(*[pl.lit(None, t).alias(c) for c, t in none.items()])
    rows = pl.concat([p.rows for p in plans])
    cols, sheets = [], []
    for p in plans:
        t = p.table
        cols += [(t.file, t.sheet, h, i) for h, i in _first_cells(t).items()]
        pc = period_cell(t) if t.kind == "publicity" else None
        prow = None
        pcol = None
        if pc is not None:
            r, ci = pc
            if r <= t.header_row:
                prow = r
            else:
                hit = p.rows.filter(pl.col("row") == r)
                prow = hit["out_row"][0] if hit.height else None
            pcol = ci + 2 if prow is not None and ci is not None else 0
        sheets.append((t.file, t.sheet, sheet_ref(p.name), t.header_row, min(len(t.headers), COPY_MAX_COLS),
                       prow, pcol, pc[0] if pc is not None else None,
                       "标题" if pc is not None and pc[0] < t.header_row else "表尾"))
    cols_df = pl.DataFrame(cols, schema={"file": pl.String, "sheet": pl.String, "column": pl.String,
                                         "_ci": pl.Int64}, orient="row")
    sheets_df = pl.DataFrame(sheets, schema={"file": pl.String, "sheet": pl.String, "_sref": pl.String,
                                             "_hrow": pl.Int64, "_ncols": pl.Int64, "_prow": pl.Int64,
                                             "_pcol": pl.Int64, "_psrc": pl.Int64, "_pwhere": pl.String}, orient="row")
    j = (f.join(rows, on=["file", "sheet", "row"], how="left")
         .join(cols_df, on=["file", "sheet", "column"], how="left")
         .join(sheets_df, on=["file", "sheet"], how="left"))
    has_row = pl.col("row").is_not_null()
    period = (pl.col("rule_id") == "P401") & pl.col("column").is_null() & pl.col("_prow").is_not_null() \
        & ~pl.col("message").fill_null("").str.contains("命令行参数", literal=True)
    on_cell = pl.when(pl.col("_ci").is_not_null()).then(pl.col("_ci") + 2)
    j = j.with_columns(
        _orow=pl.when(has_row).then(pl.col("out_row")).when(period).then(pl.col("_prow")).otherwise(pl.col("_hrow")),
        _ocol=pl.when(has_row).then(on_cell.otherwise(0)).when(period).then(pl.col("_pcol"))
        .otherwise(on_cell.when(pl.col("_ncols") > 0).then(2).otherwise(0)),
        _show=pl.when(has_row & pl.col("out_row").is_not_null())
        .then(pl.format("第 {} 行", pl.col("row")))
        .when(has_row).then(pl.lit("查看工作表"))
        .when(period).then(pl.format("第 {} 行（{}）", pl.col("_psrc"), pl.col("_pwhere")))
        .otherwise(pl.format("第 {} 行（表头）", pl.col("_hrow"))),
    )
    # a row that was not copied (beyond Excel's row limit): the sheet's first cell
    lost = has_row & pl.col("out_row").is_null()
    j = j.with_columns(_orow=pl.when(lost).then(1).otherwise(pl.col("_orow")),
                       _ocol=pl.when(lost).then(0).otherwise(pl.col("_ocol")))
    j = j.with_columns(*[pl.when(pl.col("_sref").is_not_null()).then(pl.col(c)).alias(c)
                         for c in ("_orow", "_ocol", "_show")])
    used = sorted({int(c) for c in j["_ocol"].drop_nulls().unique().to_list()})
    letters = pl.DataFrame({"_ocol": used, "_letter": [xl_col_to_name(c) for c in used]},
                           schema={"_ocol": pl.Int64, "_letter": pl.String})
    j = j.join(letters, on="_ocol", how="left")
    j = j.with_columns(_cell=pl.concat_str([pl.col("_letter"), pl.col("_orow").cast(pl.String)]))
    j = j.with_columns(_target=pl.concat_str([pl.col("_sref"), pl.lit("!"), pl.col("_cell")]))
    return j.sort("_i").drop("out_row", "_ci", "_sref", "_hrow", "_ncols", "_prow", "_pcol", "_psrc", "_pwhere", "_letter")


# ------------------------------------------------------------------ school table
def shown_school(e: pl.Expr) -> pl.Expr:
    """A school name (or any name the summaries group by) as the findings show it: numbers of
    the shapes of pii.py masked, cut to pii.QUOTE_LIMIT characters. Always masked: the summary
    counts the findings (masked unless --show-pii) and the roster's names under one name."""
    return clip_expr(e.map_batches(mask_series, return_dtype=pl.String))


def school_table(findings: pl.DataFrame, result, *, validate_only: bool = False) -> pl.DataFrame:
    """Per school: students, findings by severity and rule family, findings and errors per 100
    students (`per100`, `err100`), rank (by `err100`, then `per100`), and whether it is a school to
    visit first (重点监管学校): never when fewer than FOCUS_MIN_SCHOOLS schools are ranked, nor in
    `validate` (`validate_only`: format checks only); `focus_notes` says why."""
    roster = result.frames.get("roster") if result is not None else None
    if roster is not None and "school_name" in roster.columns and roster.height:
        students = (roster.filter(pl.col("school_name").is_not_null())
                    .select(shown_school(pl.col("school_name")).alias("school"), "_key")
                    .group_by("school")
                    .agg(pl.col("_key").n_unique().cast(pl.Int64).alias("students")))
    else:
        students = pl.DataFrame(schema={"school": pl.String, "students": pl.Int64})
    fam = pl.col("rule_id").str.slice(0, 1)
    # every finding is counted: one without a school (a file that names none) under （未注明学校）
    per = findings.with_columns(shown_school(pl.col("school").fill_null(UNNAMED))).group_by("school").agg(
        pl.len().cast(pl.Int64).alias("findings"),
        *[(pl.col("severity") == s).sum().cast(pl.Int64).alias(s) for s in ("error", "warning", "info")],
        *[(fam == k).sum().cast(pl.Int64).alias(f"fam_{k}") for k in FAMILIES],
        (pl.col("status") == "new").sum().cast(pl.Int64).alias("new"),
    )
    t = students.join(per, on="school", how="full", coalesce=True)
    t = t.with_columns(pl.exclude("school").fill_null(0))
    t = t.with_columns(per100=pl.when(pl.col("students") > 0).then(
        (pl.col("findings") * 100 / pl.col("students")).round(1)))
    t = t.with_columns(err100=pl.when(pl.col("students") > 0).then((pl.col("error") * 100 / pl.col("students")).round(1)))
    # errors first: a warning asks to verify (R110 says itself it proves nothing), so it must not
    # carry a school past one with more errors (issue: the trial saw 21 errors ranked below 12)
    t = t.sort(["err100", "per100", "error", "school"], descending=[True, True, True, False], nulls_last=True)
    ranked = t.filter(pl.col("per100").is_not_null() & (pl.col("findings") > 0)).height
    n_focus = max(1, math.ceil(ranked * 0.1)) if ranked else 0
    t = t.with_row_index("rank", offset=1).with_columns(
        rank=pl.when(pl.col("per100").is_not_null()).then(pl.col("rank").cast(pl.Int64)))
    if validate_only or t["rank"].drop_nulls().len() < FOCUS_MIN_SCHOOLS:
        n_focus = 0  # the first of a few schools, or of format errors alone: no school to visit first
    t = t.with_columns(focus=(pl.col("rank") <= n_focus) & (pl.col("error") > 0) & pl.col("rank").is_not_null())
    return t.select("rank", "school", "focus", "students", "findings", "per100", "err100", "error", "warning", "info",
                    *[f"fam_{k}" for k in FAMILIES], "new")


# ------------------------------------------------------------------ the money at a glance
AID_TYPES = ("免学费", "国家助学金")
NO_TERM = "（学期无法识别）"
NO_TYPE = "（未注明资助类型）"
MONEY_NOTE = ("人数为不同学生数（同一学生在同一学期、同一资助类型的重复记录只计一次；「合计」行的人数是所有学校、学期合起来的不同学生数，"
              "同一学生在几个学期受助只计一次，所以可能小于上面各行人数之和）；金额为各行金额之和（重复的行也计入，见 A304）；"
              "金额未填或无法识别的行计入人数，不计入金额，见「说明」列。依据：人社厅发〔2018〕28号 三（五）切实加强资金管理。")


@dataclass
class Money:
    """The aid money per school and term (`money_table`): `types` the aid types in column order;
    `rows` one dict per school and term (school, term, per type `n:<type>` recipients and
    `sum:<type>` amount, `n:all`, `sum:all`, `note`), the last one the total of all."""

    types: list[str]
    rows: list[dict]


def money_table(result) -> Money | None:
    """Per school and term, per aid type: the number of recipients (distinct students: the
    engine's `_key`, a row without any student key counting as one) and the sum of the amounts
    paid or declared (yuan), from the run's normalised aid frame (columns school_name, term,
    aid_type, amount, _key). A row without an amount counts as a recipient and is named in the
    note (金额未填 N 行 / 金额无法识别 N 行). The school of a row without 学校名称 is the one its table
    is charged to (schools.table_schools, as for the findings). None when the run has no aid rows.
    Source: notice 三（五） 切实加强资金管理 (全面掌握技工院校资助资金…情况)."""
    from xueji_check.schools import table_schools

    aid = result.frames.get("aid") if result is not None else None
    if aid is None or aid.height == 0 or "aid_type" not in aid.columns:
        return None
    all_tables = [t for inp in result.inputs for t in inp.tables]
    charged = table_schools(all_tables, result.frames)
    tids = pl.DataFrame({"_tid": list(charged), "_charged": list(charged.values())},
                        schema={"_tid": pl.Int64, "_charged": pl.String})

    def col(name: str, dtype) -> pl.Expr:
        return pl.col(name) if name in aid.columns else pl.lit(None, dtype)

    amount = col("amount", pl.Float64).cast(pl.Float64, strict=False)
    raw_amount = col("amount__raw", pl.String).cast(pl.String)
    who = pl.concat_str([pl.lit("#"), col("_file", pl.String), pl.lit("#"), col("_sheet", pl.String), pl.lit("#"),
                         col("_row", pl.Int64).cast(pl.String)])
    df = aid.with_columns(col("_tid", pl.Int64).cast(pl.Int64).alias("_tid")).join(tids, on="_tid", how="left").select(
        shown_school(pl.coalesce(col("school_name", pl.String), pl.col("_charged"), pl.lit(UNNAMED))).alias("school"),
        # a school year written without its term (2024-2025学年) is its own line, not an unread term
        pl.coalesce(col("term", pl.String).cast(pl.String),
                    nz.school_year_words(col("term__school_year", pl.Int32))).fill_null(NO_TERM).alias("term"),
        shown_school(col("aid_type", pl.String).cast(pl.String)).fill_null(NO_TYPE).alias("aid_type"),
        amount.alias("amount"),
        pl.coalesce(col("_key", pl.String).cast(pl.String), who).alias("_who"),
        (amount.is_null() & (raw_amount.is_null() | (raw_amount.str.strip_chars() == ""))).alias("_empty"),
        (amount.is_null() & raw_amount.is_not_null() & (raw_amount.str.strip_chars() != "")).alias("_bad"),
    )
    agg = [pl.col("_who").n_unique().cast(pl.Int64).alias("n"),
           pl.when(pl.col("amount").is_not_null().any()).then(pl.col("amount").sum()).alias("sum"),
           pl.col("_empty").sum().cast(pl.Int64).alias("empty"), pl.col("_bad").sum().cast(pl.Int64).alias("bad")]
    per_type = df.group_by("school", "term", "aid_type").agg(*agg)
    per_term = df.group_by("school", "term").agg(*agg).sort("school", "term")
    total = df.select(*agg).row(0, named=True)
    total_types = {t: r for t, *r in df.group_by("aid_type").agg(*agg).iter_rows()}
    present = set(per_type["aid_type"].to_list())
    types = [t for t in AID_TYPES if t in present] + sorted(present - set(AID_TYPES))
    cells = {(sc, te, ty): (n, sm, e, b) for sc, te, ty, n, sm, e, b in per_type.iter_rows()}

    def note(parts: list[tuple[str, int, int]]) -> str:
        out = []
        for ty, empty, bad in parts:
            if empty:
                out.append(f"{ty}金额未填 {empty} 行")
            if bad:
                out.append(f"{ty}金额无法识别 {bad} 行")
        return "；".join(out)

    rows = []
    for sc, te, n, sm, _e, _b in per_term.iter_rows():
        row: dict = {"school": sc, "term": te, "n:all": n, "sum:all": sm}
        parts = []
        for ty in types:
            c = cells.get((sc, te, ty))
            row[f"n:{ty}"], row[f"sum:{ty}"] = (c[0], c[1]) if c else (None, None)
            if c:
                parts.append((ty, c[2], c[3]))
        row["note"] = note(parts)
        rows.append(row)
    row = {"school": "合计", "term": "", "n:all": total["n"], "sum:all": total["sum"]}
    for ty in types:
        n, sm, _e, _b = total_types[ty]
        row[f"n:{ty}"], row[f"sum:{ty}"] = n, sm
    row["note"] = note([(ty, total_types[ty][2], total_types[ty][3]) for ty in types])
    rows.append(row)
    return Money(types, rows)


FOCUS_RULE = ("按「每百名学生错误数」从高到低排名（相同时看「每百名学生问题数」）：警告只是提示核实，不应让一所学校排到错误更多的学校前面；"
              f"参与排名的学校不少于 {FOCUS_MIN_SCHOOLS} 所时，排名前 10% 且有错误级问题的学校标为重点监管学校，"
              "建议优先实地核查（回头看）。名册中没有学生的学校不参与排名。")


def focus_notes(schools: pl.DataFrame, validate_only: bool = False) -> list[str]:
    """The lines under the school table: how schools are ranked and labelled (FOCUS_RULE), and,
    when no school is labelled for the reason `school_table` has, why."""
    if validate_only:
        return [FOCUS_RULE, "本次为 validate（只做格式校验），不标重点监管学校：格式问题不能说明学校存在学籍或资助违规，"
                "排名只按格式问题计算，仅供参考；重点监管学校只在 check 的完整检查中标出。"]
    ranked = schools["rank"].drop_nulls().len() if schools.height else 0
    if ranked >= FOCUS_MIN_SCHOOLS:
        return [FOCUS_RULE]
    who = ("本次只有 1 所学校参与排名（如学校自查），" if ranked == 1 else
           f"本次参与排名的学校只有 {ranked} 所（少于 {FOCUS_MIN_SCHOOLS} 所），")
    return [FOCUS_RULE, who + f"不标重点监管学校：少于 {FOCUS_MIN_SCHOOLS} 所学校时前 10% 不足 1 所，"
            "排在第一不说明该校的问题比其他学校突出；请逐条核实「问题清单」中的问题。"]


# ------------------------------------------------------------------ writing helpers
class Styles:
    """The workbook's cell formats (xlsxwriter formats belong to one workbook)."""

    def __init__(self, wb) -> None:
        def solid(colour: str, **extra) -> object:
            return wb.add_format({"pattern": 1, "bg_color": "#" + colour, **extra})

        self.fill = {s: solid(c) for s, c in SEV_COLOUR.items()}
        self.header = solid(HEADER_COLOUR, bold=True)
        self.focus = solid(FOCUS_COLOUR)
        self.focus_bold = solid(FOCUS_COLOUR, bold=True)
        self.bold = wb.add_format({"bold": True})
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.section = wb.add_format({"bold": True, "font_size": 12})
        self.link = wb.add_format({"font_color": "#" + LINK_COLOUR, "underline": 1})
        # a header cell marked by a file-level finding (P402's column, S001)
        self.header_fill = {s: solid(c, bold=True) for s, c in SEV_COLOUR.items()}
        self.money = wb.add_format({"num_format": "#,##0.00"})
        self.money_bold = wb.add_format({"num_format": "#,##0.00", "bold": True})
        self.header_center = solid(HEADER_COLOUR, bold=True, align="center")
        self.packaged = False  # the workbook writes pre-rendered comments (_Packager)
        # fix the formats' xf indices up front, in this order, so that rows rendered by Polars
        # (see _stream) and rows written by xlsxwriter refer to the same numbers
        for f in (*self.fill.values(), self.header, self.focus, self.focus_bold, self.bold, self.title,
                  self.section, self.link, *self.header_fill.values(), self.money, self.money_bold,
                  self.header_center):
            f._get_xf_index()


@dataclass
class Styled:
    """A cell with a format, an internal link (e.g. 'x'!A1) and/or a comment."""

    value: object
    fmt: object = None
    link: str | None = None
    comment: str | None = None


def _comment_options(comment: str) -> dict:
    lines = comment.count("\n") + 1 + len(comment) // 30
    return {"author": "xueji-check", "width": 320, "height": min(400, 20 + 16 * lines)}


def _write_text(ws, r: int, c: int, v: str, fmt=None) -> None:
    """write_string, except for text that looks like "<r>...</r>": xlsxwriter's constant_memory
    mode would put that into the sheet XML unescaped, as if it were a rich string's runs, so it
    is written as a rich string of three runs instead (same text)."""
    if v.startswith("<r>") and v.endswith("</r>"):
        ws.write_rich_string(r, c, v[:1], v[1:2], v[2:], *([fmt] if fmt is not None else []))
    else:
        ws.write_string(r, c, v, fmt)


def _put(ws, r: int, c: int, v: object, fmt=None, styles: Styles | None = None) -> None:
    """Write one value: text always as text (cleaned), numbers as numbers, None as nothing."""
    if isinstance(v, Styled):
        if v.link is not None:
            ws.write_url(r, c, "internal:" + v.link, styles.link if styles else None,
                         string=str(cell_text(str(v.value))))
        else:
            _put(ws, r, c, v.value, v.fmt)
        if v.comment:
            text = re.sub(ILLEGAL, "", v.comment)
            ws.write_comment(r, c, text[:MAX_COMMENT_CHARS], _comment_options(text))
        return
    if isinstance(v, str):
        v = cell_text(v)
        if v:
            _write_text(ws, r, c, v, fmt)
        elif fmt is not None:
            ws.write_blank(r, c, None, fmt)
    elif v is None:
        if fmt is not None:
            ws.write_blank(r, c, None, fmt)
    elif isinstance(v, bool):
        ws.write_boolean(r, c, v, fmt)
    elif isinstance(v, (int, float)) and math.isfinite(v):
        ws.write_number(r, c, v, fmt)
    else:
        _put(ws, r, c, str(v), fmt)


def _header(ws, styles: Styles, labels: list, row: int = 0) -> None:
    for c, v in enumerate(labels):
        _put(ws, row, c, v, styles.header)


def _print_setup(ws, fit_width: bool = True) -> None:
    """Landscape A4, as wide as one page, so that printing or PDF export is readable."""
    ws.set_landscape()
    ws.set_paper(9)  # A4
    if fit_width:
        ws.fit_to_pages(1, 0)


class _Overview:
    """Writes rows to the 总览 sheet in order, counting them so the chart can refer to its data."""

    def __init__(self, ws, styles: Styles) -> None:
        self.ws = ws
        self.styles = styles
        self.n = 0  # rows written so far (= the 1-based number of the last row)

    def row(self, values: list) -> int:
        for c, v in enumerate(values):
            _put(self.ws, self.n, c, v, styles=self.styles)
        self.n += 1
        return self.n

    def section(self, title: str, headers: list[str] | None = None) -> None:
        self.row([])
        self.row([Styled(title, self.styles.section)])
        if headers:
            _header(self.ws, self.styles, headers, self.n)
            self.n += 1


# ------------------------------------------------------------------ what the run could not do
def not_checked_rows(result, run: dict) -> list[tuple[str, str]]:
    """The files (folders) given but not checked (engine RunResult.not_checked, else findings.json
    run.not_checked): (path, reason), a folder's path ending with /."""
    if result is not None:
        items = [(str(n.path), bool(n.folder), n.reason) for n in result.not_checked]
    else:
        items = [(str(n.get("path", "")), bool(n.get("folder")), n.get("reason", "")) for n in run.get("not_checked", [])]
    return [(p + ("/" if folder and not p.endswith("/") else ""), why) for p, folder, why in items]


def unjudged_rows(result, run: dict) -> list[list]:
    """The rows some rules that ran could not judge (RunResult.unjudged, as engine.unjudged_line
    says them): [rule, title, rows, reasons with their counts], by rule."""
    unjudged = result.unjudged if result is not None else run.get("unjudged") or {}
    return [[rid, CATALOG[rid].title if rid in CATALOG else "", v["rows"],
             "，".join(f"{k}：{n} {v.get('unit', '行')}" for k, n in v["reasons"].items())]
            for rid, v in sorted(unjudged.items())]


# ------------------------------------------------------------------ the sheets
def _write_overview(wb, styles: Styles, findings, result, doc, plans, policy, schools, notes) -> None:
    ws = wb.add_worksheet("总览")
    for i, w in enumerate((40, 24, 14, 12, 12, 14, 24, 20)):
        ws.set_column(i, i, w)
    _print_setup(ws)
    o = _Overview(ws, styles)
    run = doc.get("run", {})
    o.row([Styled("xueji-check 检查报告（人社厅发〔2018〕28号）", styles.title)])
    o.row(["运行时间", f"{run.get('started', '')} 至 {run.get('ended', '')}"])
    o.row(["检查基准日", run.get("as_of", "")])
    o.row(["版本", run.get("version", "")])
    if run.get("exit_status") is not None:
        o.row(["退出码", run.get("exit_status")])
    sev = {s: n for s, n in findings.group_by("severity").len().iter_rows()}
    o.row(["问题总数", findings.height])
    for s in ("error", "warning", "info"):
        o.row([f"  {SEVERITY_ZH[s]}", sev.get(s, 0)])
    if result is not None and result.calendar_note:
        o.row(["日历提示", result.calendar_note.strip("（）")])
    for n in notes:
        o.row(["说明", n])

    # chart: findings per school by severity (the schools with the most findings), beside its data
    top = schools.filter(pl.col("findings") > 0).sort(["findings", "school"], descending=[True, False]).head(CHART_SCHOOLS)
    if top.height:
        o.section("各学校问题数（按级别，问题最多的学校）", ["学校", "错误", "警告", "提示"])
        head = o.n  # 1-based row of the header = 0-based row of the first school
        for school, e, w, i in top.select("school", "error", "warning", "info").iter_rows():
            o.row([school, e, w, i])
        chart = wb.add_chart({"type": "bar", "subtype": "stacked"})
        for k, sev_name in enumerate(("error", "warning", "info"), start=1):
            colour = "#" + CHART_COLOUR[sev_name]
            chart.add_series({"name": ["总览", head - 1, k], "categories": ["总览", head, 0, o.n - 1, 0],
                              "values": ["总览", head, k, o.n - 1, k], "fill": {"color": colour},
                              "border": {"color": colour}, "overlap": 100})
        chart.set_title({"name": "各学校问题数（按级别）"})
        chart.set_x_axis({"name": "问题数"})  # in a bar chart x is the value axis
        chart.set_y_axis({"reverse": True})  # most findings on top
        height = max(7.5, 2.5 + 0.7 * top.height)  # cm
        chart.set_size({"width": round(20 * CM), "height": round(height * CM)})
        ws.insert_chart(head - 1, 5, chart)
        # keep the next sections below the chart (a default row is about 0.53 cm)
        o.n = max(o.n, head + math.ceil(height / 0.5))

    # inputs
    o.section("输入文件", ["文件", "工作表", "类型", "表头行", "数据行数", "参与检查", "标注副本"])
    by_table = {(p.table.file, p.table.sheet): p for p in plans}
    for inp in (result.inputs if result is not None else []):
        if not inp.tables:
            o.row([inp.display, "", "", "", 0, "无法读取"])
        for t in inp.tables:
            p = by_table.get((t.file, t.sheet))
            link = Styled(p.name, link=f"{sheet_ref(p.name)}!A1") if p else ""
            o.row([t.file, t.sheet, KIND_ZH.get(t.kind, t.kind), t.header_row, t.raw.height,
                   "是" if t.checkable else "否（缺少必需列）", link])
    problems = result.problems if result is not None else []
    if problems:
        o.section("读取输入时的提示", ["级别", "位置", "内容"])
        for p in problems:
            o.row([SEVERITY_ZH.get(p.level, p.level), p.where(), p.message])

    # policy
    o.section("策略文件中与默认值不同的设置", ["设置", "取值"])
    diffs = policy.differences() if policy is not None else {}
    validate_only = run.get("command") == "validate"
    if validate_only:  # validate itself selects the S rules: not a setting of the user's
        diffs = {k: v for k, v in diffs.items() if k not in ("select", "ignore")}
    if policy is not None and getattr(policy, "source", None):
        o.row(["策略文件", str(policy.source)])
    if not diffs:
        o.row(["（全部为默认值）"])
    for k, v in diffs.items():
        o.row([k, v if isinstance(v, (int, float, str)) else json.dumps(v, ensure_ascii=False, default=str)])

    # skipped
    skipped = result.skipped if result is not None else run.get("skipped_rules", {})
    if validate_only:  # the business rules are one line, not one row each; an S rule not run is listed
        skipped = {rid: why for rid, why in skipped.items() if rid.startswith("S")}
    o.section("未执行的规则", ["规则", "名称", "原因"])
    if validate_only:
        o.row([VALIDATE_SKIPPED])
    elif not skipped:
        o.row(["（无：全部规则均已执行）"])
    for rid, why in skipped.items():
        o.row([rid, CATALOG[rid].title if rid in CATALOG else "", why])

    # files not checked, rows some rules could not judge
    not_checked = not_checked_rows(result, run)
    if not_checked:
        o.section("未能检查的文件", ["文件或文件夹", "原因"])
        for path, why in not_checked:
            o.row([path, why])
    unjudged = unjudged_rows(result, run)
    if unjudged:
        o.section("未能判断的行（无法识别的值已在 S 类规则中列出）", ["规则", "名称", "行数", "原因"])
        for row in unjudged:
            o.row(row)

    # per rule and severity
    has_status = findings.height > 0 and findings["status"].null_count() < findings.height
    resolved = doc.get("resolved")
    baseline = resolved is not None or has_status
    per_rule = (findings.group_by("rule_id", "severity").agg(
        pl.len().alias("n"), (pl.col("status") == "new").sum().alias("new"),
        (pl.col("status") == "persisting").sum().alias("persisting")))
    res_rule: dict[str, int] = {}
    for r in resolved or []:
        res_rule[r.get("rule_id")] = res_rule.get(r.get("rule_id"), 0) + 1
    heads = ["规则", "名称", "级别", "数量"] + (["新增", "持续", "已整改"] if baseline else [])
    o.section("按规则和级别统计", heads)
    rows = {(rid, s): (n, nw, ps) for rid, s, n, nw, ps in per_rule.iter_rows()}
    order = sorted(set(rows) | {(rid, None) for rid in res_rule if rid not in {k[0] for k in rows}},
                   key=lambda k: (list(CATALOG).index(k[0]) if k[0] in CATALOG else 999, str(k[0]),
                                  SEVERITY_ORDER.get(k[1], 9)))
    for rid, s in order:
        n, nw, ps = rows.get((rid, s), (0, 0, 0))
        sev_cell = Styled(SEVERITY_ZH.get(s, s or ""), styles.fill.get(s))
        vals = [rid, CATALOG[rid].title if rid in CATALOG else "", sev_cell, n]
        if baseline:
            vals += [nw, ps, res_rule.get(rid, 0)]
        o.row(vals)
    o.row([Styled("合计", styles.bold), "", "", findings.height]
          + ([int(per_rule["new"].sum()), int(per_rule["persisting"].sum()), len(resolved or [])] if baseline else []))

    # baseline
    if baseline:
        params = run.get("parameters", {})
        o.section("与基线（上次检查）比较")
        if params.get("baseline"):
            o.row(["基线文件", params["baseline"]])
        st = {s: n for s, n in findings.group_by("status").len().iter_rows()}
        o.row(["新增", st.get("new", 0)])
        o.row(["持续（上次已有，尚未整改）", st.get("persisting", 0)])
        o.row(["已整改（上次有，本次没有）", len(resolved or [])])
        if doc.get("unverified"):
            o.row(["未能复核（上次有，本次所在文件未能检查或规则未运行，不算已整改）", len(doc["unverified"])])
        if resolved:
            o.section("已整改的问题", ["规则", "级别", "学校", "学籍号", "身份证号", "姓名", "问题说明（上次）"])
            for r in resolved[:RESOLVED_SHOWN]:
                o.row([r.get("rule_id"), SEVERITY_ZH.get(r.get("severity"), r.get("severity")), r.get("school"),
                       r.get("student_id"), r.get("id_masked"), r.get("name"), r.get("message")])
            if len(resolved) > RESOLVED_SHOWN:
                o.row([f"……另有 {len(resolved) - RESOLVED_SHOWN} 项，完整列表见 findings.json 的 resolved"])


def _write_findings(wb, styles: Styles, located: pl.DataFrame) -> None:
    ws = wb.add_worksheet("问题清单")
    labels = ["定位"] + [HEADERS_ZH[c] for c in COLUMNS]
    widths = {"定位": 16, "规则": 7, "级别": 6, "数据": 14, "文件": 28, "工作表": 12, "行号": 7, "列": 12,
              "学籍号": 14, "身份证号": 20, "姓名": 8, "学校": 20, "问题说明": 70, "依据": 24, "指纹": 18, "状态": 7}
    for i, h in enumerate(labels):
        ws.set_column(i, i, widths.get(h, 10))
    ws.freeze_panes(1, 1)
    _print_setup(ws, fit_width=False)
    ws.repeat_rows(0)
    n = min(located.height, EXCEL_MAX_ROWS - 1)
    ws.autofilter(0, 0, n, len(labels) - 1)
    _header(ws, styles, labels)
    sev_i = COLUMNS.index("severity")
    row_i = COLUMNS.index("row")
    zh = {"severity": SEVERITY_ZH, "status": STATUS_ZH, "dataset": KIND_ZH}
    frame = located.head(n).select(
        "_target", "_show", pl.col("severity").alias("_sev"),
        *[pl.col(c).replace(zh[c]) if c in zh else pl.col(c) for c in COLUMNS])
    frame = clean_frame(frame).with_columns(pl.col("row").cast(pl.Int64))
    if _raw_rows_supported(ws):
        _stream_findings(ws, styles, frame)
        return
    write_number, write_url = ws.write_number, ws.write_url
    fills, link_fmt = styles.fill, styles.link
    links = 0
    for r, rec in enumerate(frame.iter_rows(), start=1):
        target, show, sev = rec[0], rec[1], rec[2]
        if target is not None and links < EXCEL_MAX_LINKS:
            write_url(r, 0, "internal:" + target, link_fmt, string=show)
            links += 1
        for c, v in enumerate(rec[3:]):
            if c == sev_i:
                _put(ws, r, c + 1, v, fills.get(sev))
            elif c == row_i:
                if v is not None:
                    write_number(r, c + 1, v)
            elif v:
                _write_text(ws, r, c + 1, v)


def _write_schools(wb, styles: Styles, schools: pl.DataFrame, baseline: bool, money: Money | None = None,
                   notes: list[str] | None = None) -> None:
    """学校汇总: the ranking by errors, then findings, per 100 students (its school rows add up to the total of
    findings), then, below it, the aid money per school and term (`money_table`)."""
    ws = wb.add_worksheet("学校汇总")
    labels = (["排名", "学校", "重点监管", "学生数", "问题数", "每百名学生问题数", "每百名学生错误数", "错误", "警告", "提示"]
              + [f"{k} {v}" for k, v in FAMILIES.items()] + (["新增"] if baseline else []))
    widths = [6, 28, 10, 8, 8, 16, 16, 7, 7, 7] + [11] * len(FAMILIES) + [7]
    if money is not None:  # the money table below uses the same columns from B: 学校, 学期, then numbers
        last = 2 + 2 * (len(money.types) + 1)
        widths += [10] * max(0, last + 1 - len(widths))
        widths = [max(w, 12) if 3 <= i <= last else w for i, w in enumerate(widths)]
    for i, w in enumerate(widths):
        ws.set_column(i, i, w)
    ws.freeze_panes(1, 2)
    _print_setup(ws)
    ws.autofilter(0, 0, schools.height, len(labels) - 1)
    _header(ws, styles, labels)
    r = 0
    for r, rec in enumerate(schools.iter_rows(named=True), start=1):
        vals = [rec["rank"], rec["school"], "重点监管学校" if rec["focus"] else "", rec["students"],
                rec["findings"], rec["per100"], rec["err100"], rec["error"], rec["warning"], rec["info"],
                *[rec[f"fam_{k}"] for k in FAMILIES]] + ([rec["new"]] if baseline else [])
        for c, v in enumerate(vals):
            fmt = (styles.focus_bold if c < 3 else styles.focus) if rec["focus"] else None
            _put(ws, r, c, v, fmt)
    notes = notes or [FOCUS_RULE]
    for k, line in enumerate(notes):
        _put(ws, r + 2 + k, 1, line)
    if money is None:
        return
    r += 3 + len(notes)
    _put(ws, r, 1, "资助资金（按学校和学期：受助人数与金额）", styles.section)
    r += 1
    # two header rows: the aid type over its 人数 and 金额 columns
    # (constant_memory: each row is written whole before the next one starts)
    note_col = 3 + 2 * (len(money.types) + 1)
    _put(ws, r, 1, "学校", styles.header)
    _put(ws, r, 2, "学期", styles.header)
    for k, ty in enumerate([*money.types, "合计"]):
        ws.merge_range(r, 3 + 2 * k, r, 4 + 2 * k, ty, styles.header_center)
    _put(ws, r, note_col, "说明", styles.header)
    _put(ws, r + 1, 1, None, styles.header)
    _put(ws, r + 1, 2, None, styles.header)
    for k in range(len(money.types) + 1):
        _put(ws, r + 1, 3 + 2 * k, "人数", styles.header_center)
        _put(ws, r + 1, 4 + 2 * k, "金额（元）", styles.header_center)
    _put(ws, r + 1, note_col, None, styles.header)
    r += 2
    for row in money.rows:
        last = row is money.rows[-1]
        _put(ws, r, 1, row["school"], styles.bold if last else None)
        _put(ws, r, 2, row["term"])
        for k, ty in enumerate([*money.types, "all"]):
            c = 3 + 2 * k
            _put(ws, r, c, row[f"n:{ty}"], styles.bold if last else None)
            _put(ws, r, c + 1, row[f"sum:{ty}"], styles.money_bold if last else styles.money)
        _put(ws, r, note_col, row["note"] or None)
        r += 1
    _put(ws, r + 1, 1, MONEY_NOTE)


def _item_text() -> pl.Expr:
    """What one finding says in a cell comment: rule, title, severity, message, clause."""
    return pl.concat_str([pl.col("rule_id").fill_null(""), pl.lit(" "), pl.col("_title"), pl.lit("（"),
                          pl.col("severity").replace(SEVERITY_ZH).fill_null(""), pl.lit("）\n"),
                          pl.col("message").fill_null(""), pl.lit("\n依据："), pl.col("clause").fill_null("")])


def _comment_exprs(text: pl.Expr, name: str) -> list[pl.Expr]:
    """Comment text without control characters, capped, and the height its box needs (pixels)."""
    text = text.str.replace_all(ILLEGAL, "")
    lines = text.str.count_matches("\n") + 1 + text.str.len_chars() // 30
    return [text.str.slice(0, MAX_COMMENT_CHARS).alias(name),
            pl.min_horizontal(pl.lit(400), 20 + 16 * lines).alias(name + "_h")]


def annotations(located: pl.DataFrame, plan: SheetPlan) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The marks of one annotated copy, from `locate`'s `_orow`/`_ocol`: per copied row, the 问题
    cell (summary, worst severity, comment on the findings that have no cell of their own; one
    row per marked row, `_orow`), and the marked cells (`_orow`, position `_ci` among the sheet's
    columns, worst severity, comment). Computed with Polars group_by, not per row in Python.
    The header row keeps its 问题 label: a file-level finding marks a header cell instead."""
    sref = sheet_ref(plan.name)
    mine = located.filter((pl.col("_target").str.starts_with(sref + "!")) & pl.col("_orow").is_not_null())
    if mine.height == 0:
        return (pl.DataFrame(schema={"_orow": pl.Int64, "_summary": pl.String, "_worst": pl.String,
                                     "_comment": pl.String, "_comment_h": pl.Int64}),
                pl.DataFrame(schema={"_orow": pl.Int64, "_ci": pl.Int64, "_worst": pl.String,
                                     "_comment": pl.String, "_comment_h": pl.Int64}))
    titles = pl.DataFrame({"rule_id": list(CATALOG), "_title": [CATALOG[r].title for r in CATALOG]},
                          schema={"rule_id": pl.String, "_title": pl.String})
    m = (mine.select("_orow", "_ocol", "column", "rule_id", "severity", "message", "clause").with_row_index("_k")
         .join(titles, on="rule_id", how="left").sort("_k")
         .with_columns(pl.col("_title").fill_null(""), (pl.col("_ocol") - 2).alias("_ci"),
                       _rank=pl.col("severity").replace_strict(SEVERITY_ORDER, default=9, return_dtype=pl.Int64)))
    m = m.with_columns(_item=_item_text())
    # the worst severity of a group: the first item with the lowest rank
    worst = pl.col("severity").sort_by("_rank", maintain_order=True).first()
    on_cell = pl.col("_ci") >= 0
    cells = (m.filter(on_cell)
             .group_by("_orow", "_ci", maintain_order=True)
             .agg(worst.alias("_worst"), pl.col("_item").str.join("\n\n").alias("_text"))
             .with_columns(*_comment_exprs(pl.col("_text"), "_comment")))
    named = on_cell & pl.col("column").is_not_null() & (pl.col("column") != "")
    # a marked cell: rule and title (and column), its comment says the rest; no cell: the message
    part = pl.concat_str([pl.col("rule_id").fill_null(""), pl.lit(" "), pl.col("_title"),
                          pl.when(named).then(pl.concat_str([pl.lit("（"), pl.col("column").str.replace_all(r"\s+", ""),
                                                             pl.lit("）")]))
                          .when(on_cell).then(pl.lit(""))
                          .otherwise(pl.concat_str([pl.lit("："), pl.col("message").fill_null("None")]))])
    row_level = ~on_cell
    rows = (m.group_by("_orow", maintain_order=True)
            .agg(part.str.join("；").alias("_summary"), worst.alias("_worst"),
                 pl.col("_item").filter(row_level).str.join("\n\n").alias("_text"),
                 row_level.sum().alias("_n_row_level"))
            .with_columns(clean_text_expr(pl.col("_summary")), *_comment_exprs(pl.col("_text"), "_comment")))
    rows = rows.with_columns(_comment=pl.when(pl.col("_n_row_level") > 0).then(pl.col("_comment")))
    # the header's 问题 cell keeps its label; it is marked only by a finding with no cell to mark
    rows = rows.filter((pl.col("_orow") != plan.header_row) | (pl.col("_n_row_level") > 0))
    return (rows.select(pl.col("_orow").cast(pl.Int64), "_summary", "_worst", "_comment", "_comment_h"),
            cells.select(pl.col("_orow").cast(pl.Int64), pl.col("_ci").cast(pl.Int64), "_worst", "_comment",
                         "_comment_h"))


# A value written as a number in a copy: a plain decimal of at most 11 integer digits (no leading
# zero, no thousands separator) and at most 4 decimals (so the number keeps its exact text), not a
# mobile number. Longer digit runs (ID numbers, 学籍号, card numbers) stay text, as do values with
# a leading zero (codes) and every value of a column whose field is text (number_columns).
NUMBER = r"^-?(?:0|[1-9][0-9]{0,10})(?:\.[0-9]{1,4})?$"
MOBILE = r"^-?1[3-9][0-9]{9}(?:\.[0-9]{1,4})?$"  # with a sign or a decimal part too (-13912345678, 13912345678.0)
_NUMBER_RE = re.compile(NUMBER)
_MOBILE_RE = re.compile(MOBILE)
FREEZE_MAX_ROWS = 10  # a header further down is not frozen (the frozen rows would fill the screen)
ID_WIDTH = 20  # a masked ID number (410105********1234) and a full one fit


def is_number_expr(v: pl.Expr) -> pl.Expr:
    """Whether a copied value is written as a number (NUMBER, not MOBILE)."""
    return (v.str.contains(NUMBER) & ~v.str.contains(MOBILE)).fill_null(False)


def is_number_text(v: object) -> bool:
    """`is_number_expr` for one value (the slow path and the rows written through xlsxwriter)."""
    return isinstance(v, str) and bool(_NUMBER_RE.match(v)) and not _MOBILE_RE.match(v)


def _number_text(v: pl.Expr) -> pl.Expr:
    """A NUMBER as xlsxwriter writes it (%.16G): trailing decimal zeros and point dropped."""
    return pl.when(v.str.contains(".", literal=True)).then(v.str.strip_chars_end("0").str.strip_chars_end(".")) \
        .otherwise(v)


def number_columns(t, present: list[str]) -> set[str]:
    """The columns whose values may be written as numbers: those of a number field (金额, 学制)
    and those that map to no field; a column of any other field (ID and document numbers,
    学籍号, card and phone numbers, codes, names, dates, terms) always stays text."""
    spec = all_kinds().get(t.kind)
    types = {f.name: f.type for f in (spec.fields if spec else ())}
    fields = {c: f for f, c in t.field_cols.items()}
    return {c for c in present if c not in fields or types.get(fields[c]) == "number"}


def _pii_cols(t) -> set[str]:
    """The columns of `t` holding a personal field other than by shape (address, phone, card)."""
    spec = all_kinds().get(t.kind)
    return {t.field_cols[f.name] for f in (spec.fields if spec else ()) if f.pii and f.name in t.field_cols}


def _as_id(raw: pl.Expr) -> pl.Expr:
    """A value of the ID column, masked as an ID number (`mask_id`, spaces dropped)."""
    return mask_id(clean_text_expr(raw).str.replace_all(r"\s+", ""))


def _as_hint(raw: pl.Expr) -> pl.Expr:
    """A value of an address, phone or card column: a hint (first 3 and last 2 characters)."""
    e = clean_text_expr(raw)
    return pl.when(e.str.len_chars() > 4).then(e.str.slice(0, 3) + pl.lit("****") + e.str.slice(-2, 2)) \
        .otherwise(pl.when(e.is_not_null()).then(pl.lit("****")))


def _as_text(raw: pl.Expr) -> pl.Expr:
    """Any other value: ID, mobile and card numbers in it masked by the shapes of pii.py, looked
    for in the cell as it reads (an invisible character inside a number does not hide it); a
    cell with nothing to mask is copied as written."""
    tidied = nz.tidy(raw, to_halfwidth=False)
    masked = tidied.map_batches(mask_series, return_dtype=pl.String)
    return clean_text_expr(pl.when(masked != tidied).then(masked).otherwise(raw))


def _masked_values(t, present: list[str], show_pii: bool, numeric: set[str] | None = None,
                   generic: bool = False) -> list[pl.Expr]:
    """The copy's values: the original text, with ID numbers masked unless --show-pii (the ID
    column by mask_id; any other long digit run that looks like an ID as well). A value of a
    `numeric` column that is a NUMBER is kept as it is (written as a number). `generic`: rows that
    are not records (titles, footers): the ID column too is masked by the shapes of pii.py (its
    text there is a note, not a number); the address, phone and card columns keep only a hint.
    `_masked_long` shows a long frame's cells the same way."""
    id_col = t.field_cols.get("id_number")
    pii_cols = _pii_cols(t)
    numeric = numeric or set()
    out = []
    for c in present:
        raw = pl.col(c).cast(pl.String)
        if show_pii:
            e = clean_text_expr(raw)
        elif c == id_col and not generic:
            e = _as_id(raw)
        elif c in pii_cols:
            e = _as_hint(raw)
        else:
            e = _as_text(raw)
        if c in numeric:
            e = pl.when(is_number_expr(raw)).then(raw).otherwise(e)
        out.append(e.alias(c))
    return out


def blank_merged_runs(frame: pl.DataFrame, cols: list[str]) -> pl.DataFrame:
    """Rows that are not records (titles, footers) as the sheet shows them: the loader fills a
    merged range's text into each of its cells, so a text equal to the one in the cell on its
    left is emptied (the first cell's text runs over the empty ones, as in the merged range).
    Numbers are left alone. Worked on the filled cells in long form (any width)."""
    if frame.height == 0 or not cols:
        return frame
    v, i = pl.col("_v"), pl.col("_i")
    long = (frame.select("_row", *cols).unpivot(index="_row", on=cols, variable_name="_c", value_name="_v")
            .filter(v.is_not_null() & (v.str.strip_chars() != ""))
            .with_columns(_i=pl.col("_c").str.slice(1).cast(pl.Int64)).sort("_row", "_i"))
    dup = ((v == v.shift(1).over("_row")) & (i == i.shift(1).over("_row") + 1)).fill_null(False) & ~is_number_expr(v)
    long = long.filter(~dup)
    keep = frame.drop(cols)
    if long.height == 0:
        return keep.with_columns(*[pl.lit(None, pl.String).alias(c) for c in cols]).select(frame.columns)
    wide = long.pivot(on="_c", index="_row", values="_v")
    filled = set(wide.columns)
    wide = wide.with_columns(*[pl.lit(None, pl.String).alias(c) for c in cols if c not in filled])
    return keep.join(wide.select("_row", *cols), on="_row", how="left", maintain_order="left").select(frame.columns)


def _display_width(e: pl.Expr) -> pl.Expr:
    """Characters, wide (CJK) ones counted twice."""
    return e.str.len_chars() + e.str.count_matches(r"[\u2e80-\uffff]")


def _column_widths(t, present: list[str], sample: pl.DataFrame) -> dict[int, int]:
    """Width of each copied column (index among the sheet's columns): what its header and the
    values of `sample` (the first rows, as read) need, 6 to 40 characters; the ID column fits a
    whole ID number. Worked in long form (any width)."""
    id_col = t.field_cols.get("id_number")
    heads = pl.DataFrame({"_c": present, "_v": [t.headers[int(c[1:])] for c in present]},
                         schema={"_c": pl.String, "_v": pl.String})
    parts = [heads]
    if sample.height and present:
        parts.append(sample.select(*present).unpivot(on=present, variable_name="_c", value_name="_v")
                     .filter(pl.col("_v").is_not_null()))
    need = dict(pl.concat(parts).group_by("_c").agg(_display_width(pl.col("_v")).max()).iter_rows())
    out = {}
    for c in present:
        w = min(40, max(6, (need.get(c) or 0) + 2))
        out[int(c[1:])] = max(w, ID_WIDTH) if c == id_col else w
    return out


def _write_annotated(wb, styles: Styles, plan: SheetPlan, located: pl.DataFrame, show_pii: bool = False) -> None:
    """One annotated copy: 问题 and 行号, then the sheet's columns (at most COPY_MAX_COLS of them,
    so the copy stays within Excel's 16,384 columns; the note on 总览 says what was cut). The
    rows above the header (titles, the period line) and the header are copied in their places;
    the rows below as `plan` says. Text stays text; numbers of number columns stay numbers."""
    t = plan.table
    h = plan.header_row
    ws = wb.add_worksheet(plan.name)
    ncols = min(len(t.headers), COPY_MAX_COLS)
    have = set(t.raw.columns)
    present = [c for c in (f"c{i}" for i in range(ncols)) if c in have]
    numeric = number_columns(t, present)
    wide = len(present) > WIDE_COPY_COLS

    # the rows below the header: records (masked by column) and the rows set aside (generic)
    other = _other_rows(t)
    other_have = set(other.columns)  # a frame's .columns is built anew on each call
    other_cols = [c for c in present if c in other_have]
    pad = [pl.lit(None, pl.String).alias(c) for c in present if c not in other_have]
    above = blank_merged_runs(other.filter(pl.col("_row") < h).select("_row", *other_cols), other_cols) \
        .with_columns(pad).select("_row", *present)
    outs = plan.rows.select("row", "out_row")
    records = t.raw.select(pl.col("_row").cast(pl.Int64), *present)
    if plan.compact:
        records = records.join(outs, left_on="_row", right_on="row", how="inner")
    else:
        records = records.with_columns(pl.col("_row").alias("out_row"))
    aside = other.filter(pl.col("_row") > h).select("_row", *other_cols).join(
        outs, left_on="_row", right_on="row", how="inner")
    aside = blank_merged_runs(aside, other_cols).with_columns(pad).select("_row", "out_row", *present)
    records = records.rename({"out_row": "_out"}).select("_row", "_out", *present)
    aside = aside.rename({"out_row": "_out"}).select("_row", "_out", *present)

    rows_df, cells_df = annotations(located, plan)
    cells_df = cells_df.filter(pl.col("_ci") < len(present))
    last = max([h, *([int(plan.rows["out_row"].max())] if plan.rows.height else [])])
    if not wide:
        body = records.select("_row", "_out", *_masked_values(t, present, show_pii, numeric))
        if aside.height:
            body = pl.concat([body, aside.select("_row", "_out", *_masked_values(t, present, show_pii, numeric,
                                                                                 generic=True))]).sort("_out")
    else:
        body = None
    widths = _column_widths(t, present, records.head(500))
    ws.set_column(0, 0, 40)
    ws.set_column(1, 1, 7)
    for i in range(ncols):
        ws.set_column(i + 2, i + 2, widths.get(i, 14))
    ws.freeze_panes(h if h <= FREEZE_MAX_ROWS else 0, 2)
    _print_setup(ws, fit_width=ncols <= 16)
    ws.repeat_rows(h - 1)
    ws.autofilter(h - 1, 0, last - 1, ncols + 1)

    # every comment first (xlsxwriter takes them only for rows not yet written), in sheet order
    comments = pl.concat([
        rows_df.filter(pl.col("_comment").is_not_null()).select((pl.col("_orow") - 1).alias("_r"),
                                                                 pl.lit(0, pl.Int64).alias("_c"), "_comment", "_comment_h"),
        cells_df.select((pl.col("_orow") - 1).alias("_r"), (pl.col("_ci") + 2).alias("_c"), "_comment", "_comment_h"),
    ]).sort("_r", "_c")
    _register_comments(ws, comments, styles.packaged)

    by_row = {r: (summary, sev) for r, summary, sev, _, _ in rows_df.filter(pl.col("_orow") <= h).iter_rows()}
    by_cell: dict[int, dict[int, str]] = {}
    for r, ci, sev, _, _ in cells_df.filter(pl.col("_orow") <= h).iter_rows():
        by_cell.setdefault(r, {})[ci] = sev
    # the rows above the header, then the header, through xlsxwriter (a few rows; a wide copy's
    # in long form, as its body)
    shown: dict[int, dict[int, object]] = {}
    if wide:
        long = _long_values(t, above.with_columns(_out=pl.col("_row"), _aside=pl.lit(True)), present, show_pii, numeric)
        for r, i, _, v in long.iter_rows():
            shown.setdefault(r, {})[i] = v
    else:
        for rec in above.select("_row", *_masked_values(t, present, show_pii, numeric, generic=True)).iter_rows():
            shown[rec[0]] = dict(enumerate(rec[1:]))
    for r in above.get_column("_row"):
        summary, sev = by_row.get(r, (None, None))
        if summary is not None:
            _put(ws, r - 1, 0, summary, styles.fill.get(sev))
        marks = by_cell.get(r, {})
        values = shown.get(r, {})
        for i, v in values.items():
            _put_value(ws, r - 1, i + 2, v, styles.fill.get(marks.get(i)), present[i] in numeric)
        for i, sev_i in marks.items():
            if not values.get(i):
                ws.write_blank(r - 1, i + 2, None, styles.fill.get(sev_i))
    marks = by_cell.get(h, {})
    _, a_sev = by_row.get(h, (None, None))
    _put(ws, h - 1, 0, "问题", styles.header_fill.get(a_sev, styles.header))
    _put(ws, h - 1, 1, "原行号" if plan.compact else "行号", styles.header)
    for i, label in enumerate(t.headers[:ncols]):  # a header too may hold a number (电话13912345678)
        _put(ws, h - 1, i + 2, label if show_pii else mask_text(label), styles.header_fill.get(marks.get(i), styles.header))

    if _raw_rows_supported(ws):
        ws._write_single_row(h)  # flush the header row; from here on the row stream is ours
        body_rows = rows_df.filter(pl.col("_orow") > h)
        body_cells = cells_df.filter(pl.col("_orow") > h)
        if wide:
            src = pl.concat([records.with_columns(_aside=pl.lit(False)),
                             aside.with_columns(_aside=pl.lit(True))]).sort("_out")
            _stream_annotated_long(ws, styles, src, t, present, body_rows, body_cells, show_pii, numeric)
        else:
            _stream_annotated(ws, styles, body, present, body_rows, body_cells, numeric)
        return
    if body is None:
        body = pl.concat([records.select("_row", "_out", *_masked_values(t, present, show_pii, numeric)),
                          aside.select("_row", "_out", *_masked_values(t, present, show_pii, numeric, generic=True))
                          ]).sort("_out")
    by_row_all = {r: (summary, sev) for r, summary, sev, _, _ in rows_df.filter(pl.col("_orow") > h).iter_rows()}
    by_cell_all: dict[int, dict[int, str]] = {}
    for r, ci, sev, _, _ in cells_df.filter(pl.col("_orow") > h).iter_rows():
        by_cell_all.setdefault(r, {})[ci] = sev
    num_idx = {i for i, c in enumerate(present) if c in numeric}
    for rec in body.iter_rows():
        _write_row(ws, styles, rec, by_row_all, by_cell_all, num_idx)


def _put_value(ws, r: int, c: int, v: object, fmt, numeric: bool) -> None:
    """One copied value: a NUMBER of a number column as a number, anything else as text."""
    if numeric and is_number_text(v):
        ws.write_number(r, c, float(v), fmt)
    elif v:
        _write_text(ws, r, c, v, fmt)


def _write_row(ws, styles: Styles, rec: tuple, by_row: dict, by_cell: dict, num_idx: set[int]) -> None:
    """One row of an annotated copy below the header, cell by cell: (source row number, copy
    row number, *values)."""
    fills = styles.fill
    row_no, out = rec[0], rec[1]
    r = out - 1
    ws.write_number(r, 1, row_no)
    flagged = by_cell.get(out, {})
    for i, v in enumerate(rec[2:]):
        sev = flagged.get(i)
        if sev is None:
            _put_value(ws, r, i + 2, v, None, i in num_idx)
        elif v:
            _put_value(ws, r, i + 2, v, fills.get(sev), i in num_idx)
        else:
            ws.write_blank(r, i + 2, None, fills.get(sev))
    entry = by_row.get(out)
    if entry is not None:
        summary, sev = entry
        _put(ws, r, 0, summary, fills.get(sev))


# Fast path. xlsxwriter costs ~20 µs per cell (a cell object, then XML built in Python), which is
# minutes for a full copy of a 1M-row roster, and ~100 µs per comment. So the big parts are
# rendered to XML by Polars, byte for byte as xlsxwriter writes them:
# - the rows of 问题清单 and of the annotated copies (<row r=..>, numbers, inline strings with
#   _xHHHH_ and XML escapes, the formats' xf indices): appended as UTF-8 bytes to the worksheet's
#   row stream (constant_memory mode), which is copied into the sheet XML as bytes at close;
# - the <hyperlinks> element of 问题清单 (internal links only);
# - the comments of an annotated copy: xl/commentsN.xml and the VML drawing of their boxes
#   (xl/drawings/vmlDrawingN.vml; each box where xlsxwriter's own geometry puts it), written by
#   _Packager over the empty parts xlsxwriter packages for that sheet.
# This relies on xlsxwriter internals, checked by _raw_rows_supported; without them every cell,
# link and comment goes through xlsxwriter's public API instead (same workbook;
# benchmarks/bench_report.py --verify compares the two byte for byte).
FAST_CHUNK = 20_000
COMMENT_OPTIONS = {"author": "xueji-check", "width": 320}


def _raw_rows_supported(ws) -> bool:
    return bool(getattr(ws, "constant_memory", False) and getattr(ws, "excel_version", None) == 2007
                and getattr(ws, "fh", None) is not None and getattr(ws, "row_data_fh", None) is ws.fh
                and hasattr(ws.fh, "buffer") and getattr(ws, "row_data_filename", None)
                and hasattr(ws, "_write_single_row") and hasattr(ws, "_check_dimensions")
                and hasattr(ws, "previous_row") and hasattr(ws, "ignore_write_string")
                and hasattr(ws, "_write_optimized_sheet_data") and hasattr(ws, "_write_hyperlinks")
                and hasattr(ws, "dim_rowmin") and hasattr(ws, "_xml_start_tag")
                and getattr(ws, "default_row_height", None) == getattr(ws, "original_row_height", 0)
                and not getattr(ws, "row_info", None))


def _comments_supported(ws) -> bool:
    """Comments can be pre-rendered: no comment, button or header image is
    registered otherwise, comments are hidden, and every row has the default (integer) height, so
    that a comment box one row lower is the same box moved down by one row height."""
    return bool(_raw_rows_supported(ws) and hasattr(ws, "_prepare_vml_objects") and hasattr(ws, "_comment_vertices")
                and not getattr(ws, "comments", True) and not getattr(ws, "buttons_list", True)
                and not getattr(ws, "has_vml", True) and not getattr(ws, "has_header_vml", True)
                and getattr(ws, "comments_visible", True) is False
                and isinstance(getattr(ws, "default_row_height", None), int)
                and getattr(ws, "row_sizes", True) == {})


def _x_text(v: pl.Expr) -> pl.Expr:
    """Text as xlsxwriter writes it into XML: _xHHHH_ look-alikes escaped, then CR and the two
    non-characters as _xHHHH_, and & < > (clean text holds no other control character)."""
    return (v.str.replace_all(r"(_x[0-9a-fA-F]{4}_)", "_x005F$1")
            .str.replace_many(["\r", "\ufffe", "\uffff", "&", "<", ">"],
                              ["_x000D_", "_xFFFE_", "_xFFFF_", "&amp;", "&lt;", "&gt;"]))


def _x_attr(v: pl.Expr) -> pl.Expr:
    """An attribute value as xlsxwriter escapes it."""
    return v.str.replace_many(["&", '"', "<", ">", "\n"], ["&amp;", "&quot;", "&lt;", "&gt;", "&#xA;"])


def _x_preserve(v: pl.Expr) -> pl.Expr:
    return pl.when(v.str.contains(r"^\s") | v.str.contains(r"\s$")).then(pl.lit(' xml:space="preserve"')) \
        .otherwise(pl.lit(""))


def _x_style(xf: pl.Expr | None) -> pl.Expr:
    if xf is None:
        return pl.lit("")
    return pl.when(xf.is_not_null()).then(pl.concat_str([pl.lit(' s="'), xf.cast(pl.String), pl.lit('"')])) \
        .otherwise(pl.lit(""))


def _text_needs(frame: pl.DataFrame, cols: list[str]) -> dict[str, tuple[bool, bool]]:
    """Per text column: does any value need escaping (_x_text), does any need xml:space?"""
    esc = [(pl.col(c).str.contains("_x", literal=True) | pl.col(c).str.contains("[\r\ufffe\uffff&<>]")).any()
           for c in cols]
    pre = [(pl.col(c).str.contains(r"^\s") | pl.col(c).str.contains(r"\s$")).any() for c in cols]
    row = frame.select(*[e.alias(f"e{i}") for i, e in enumerate(esc)],
                       *[e.alias(f"p{i}") for i, e in enumerate(pre)]).row(0) if cols else ()
    return {c: (bool(row[i]), bool(row[len(cols) + i])) for i, c in enumerate(cols)}


def _x_string(letter: str, rn: pl.Expr, v: pl.Expr, xf: pl.Expr | None = None,
              needs: tuple[bool, bool] = (True, True)) -> pl.Expr:
    """An inline-string cell as xlsxwriter writes it; a styled empty cell if there is a format but
    no text; nothing otherwise. `needs` (_text_needs) skips escaping and the whitespace test for
    columns without any value that needs them."""
    style = _x_style(xf)
    esc, pre = needs
    cell = pl.concat_str([pl.lit(f'<c r="{letter}'), rn, pl.lit('"'), style, pl.lit(' t="inlineStr"><is><t'),
                          _x_preserve(v) if pre else pl.lit(""), pl.lit(">"), _x_text(v) if esc else v,
                          pl.lit("</t></is></c>")])
    out = pl.when(v.is_not_null() & (v != "")).then(cell)
    if xf is not None:
        out = out.when(xf.is_not_null()).then(pl.concat_str([pl.lit(f'<c r="{letter}'), rn, pl.lit('"'), style,
                                                               pl.lit("/>")]))
    return out.otherwise(pl.lit(""))


def _x_number(letter: str, rn: pl.Expr, v: pl.Expr) -> pl.Expr:
    return pl.when(v.is_not_null()).then(pl.concat_str([pl.lit(f'<c r="{letter}'), rn, pl.lit('"><v>'),
                                                        v.cast(pl.String), pl.lit("</v></c>")])).otherwise(pl.lit(""))


def _x_value(letter: str, rn: pl.Expr, v: pl.Expr, xf: pl.Expr | None, needs: tuple[bool, bool],
             numeric: bool) -> pl.Expr:
    """A copied value: for a `numeric` column a NUMBER as a number cell (as xlsxwriter's
    write_number writes it), everything else as _x_string."""
    text = _x_string(letter, rn, v, xf, needs)
    if not numeric:
        return text
    cell = pl.concat_str([pl.lit(f'<c r="{letter}'), rn, pl.lit('"'), _x_style(xf), pl.lit("><v>"), _number_text(v),
                          pl.lit("</v></c>")])
    return pl.when(is_number_expr(v)).then(cell).otherwise(text)


def _write_bytes(frame: pl.DataFrame, expr: pl.Expr, fh) -> None:
    """Write the text of expr for each row of frame to a binary file, back to back (Polars'
    CSV writer with one column, no quoting and no line ends: no Python string in between)."""
    frame.select(expr.alias("x")).write_csv(fh, include_header=False, quote_style="never", line_terminator="")


def _copy_rows(ws) -> None:
    """Worksheet._write_optimized_sheet_data, copying the row stream as bytes instead of decoding
    and re-encoding it."""
    if ws.dim_rowmin is None:
        ws._xml_empty_tag("sheetData")
        return
    ws._xml_start_tag("sheetData")
    ws.row_data_fh.close()
    ws.fh.flush()
    with open(ws.row_data_filename, "rb") as rows:
        shutil.copyfileobj(rows, ws.fh.buffer, 1 << 20)
    os.unlink(ws.row_data_filename)
    ws._xml_end_tag("sheetData")


def _stream(ws, frame: pl.DataFrame, cells, last_col: int, rn_col: str | None = None) -> None:
    """Append frame's rows to the sheet: as rows 2.. (0-based 1..), or at the 1-based row numbers
    of column `rn_col` (ascending, below every row written so far). `cells(rn)` gives the cell
    expressions of a row, rn being its 1-based number as text. The caller has flushed the rows
    above (ws._write_single_row) and registered the comments and links of these rows."""
    ws.fh.flush()
    for off in range(0, frame.height, FAST_CHUNK):
        rn = (pl.col(rn_col).cast(pl.String) if rn_col is not None
              else (pl.int_range(pl.len(), dtype=pl.Int64) + off + 2).cast(pl.String))
        xml = pl.concat_str([pl.lit('<row r="'), rn, pl.lit('">'), *cells(rn), pl.lit("</row>")])
        _write_bytes(frame.slice(off, FAST_CHUNK), xml, ws.fh.buffer)
    ws.fh.buffer.flush()
    if frame.height:
        last = int(frame[rn_col].max()) - 1 if rn_col is not None else frame.height
        ws._check_dimensions(last, last_col)
        ws.previous_row = last + 1  # nothing pending: xlsxwriter must not write these rows again
    elif rn_col is None:
        ws.previous_row = 1
    ws._write_optimized_sheet_data = functools.partial(_copy_rows, ws)


def _register_comments(ws, comments: pl.DataFrame, packaged: bool) -> None:
    """Comments (_r, _c, _comment, _comment_h; in sheet order): pre-rendered at close if the
    workbook uses _Packager and the sheet allows it, otherwise through write_comment."""
    if not comments.height:
        return
    if not (packaged and _comments_supported(ws)):
        for r, c, text, h in comments.iter_rows():
            ws.write_comment(r, c, text, {**COMMENT_OPTIONS, "height": h})
        return
    ws.has_vml = ws.has_comments = True
    ws._xj_comments = comments
    prepare = ws._prepare_vml_objects
    n = comments.height

    def prepare_vml_objects(vml_data_id, vml_shape_id, vml_drawing_id, comment_id):
        prepare(vml_data_id, vml_shape_id, vml_drawing_id, comment_id)  # the part links; no comment of its own
        ws.vml_data_id = ",".join(str(vml_data_id + i) for i in range(n // 1024 + 1))
        return n

    ws._prepare_vml_objects = prepare_vml_objects


def _comment_parts(ws, vml_fh, comments_fh) -> None:
    """Write the VML drawing and the comments part of ws's pre-rendered comments, as xlsxwriter's
    Vml and Comments classes would (after Worksheet._prepare_vml_objects)."""
    c = ws._xj_comments.rename({"_r": "r", "_c": "c", "_comment": "text", "_comment_h": "h"})
    # a box's place: xlsxwriter's own geometry for one comment per column, height and kind of row
    # (rows near the top and bottom edge are placed differently), then moved down by whole rows
    edge = (pl.col("r") == 0) | (pl.col("r") >= EXCEL_MAX_ROWS - 3)
    c = c.with_columns(kr=pl.when(edge).then(pl.col("r")).otherwise(pl.lit(1, pl.Int64)))
    geo = []
    for kr, col, h in c.select("kr", "c", "h").unique().iter_rows():
        probe = CommentType(kr, col, "", {**COMMENT_OPTIONS, "height": h})
        col_start, row_start, x1, y1, col_end, row_end, x2, y2, x_abs, y_abs, width, height = \
            ws._comment_vertices(probe)
        geo.append((kr, col, h, row_start, row_end, y_abs,
                    f'" type="#_x0000_t202" style="position:absolute;margin-left:{x_abs * 0.75:.15g}pt;margin-top:',
                    f"pt;width:{width * 0.75:.15g}pt;height:{height * 0.75:.15g}pt;z-index:",
                    f';visibility:hidden" fillcolor="{probe.color._vml_rgb_hex_value()}" o:insetmode="auto">'
                    '<v:fill color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/><v:path o:connecttype="none"/>'
                    '<v:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div></v:textbox>'
                    '<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/><x:Anchor>'
                    f"{col_start}, {x1}, ", f", {y1}, {col_end}, {x2}, ", f", {y2}</x:Anchor><x:AutoFill>False"
                    "</x:AutoFill><x:Row>", xl_col_to_name(col)))
    geo_df = pl.DataFrame(geo, orient="row", schema={
        "kr": pl.Int64, "c": pl.Int64, "h": pl.Int64, "row_start": pl.Int64, "row_end": pl.Int64, "y_abs": pl.Int64,
        "g1": pl.String, "g2": pl.String, "g3": pl.String, "g4": pl.String, "g5": pl.String, "letter": pl.String})
    c = c.join(geo_df, on=["kr", "c", "h"], how="left", maintain_order="left").with_row_index("k", offset=1)
    shift = pl.col("r") - pl.col("kr")
    y4 = (pl.col("y_abs") + shift * ws.default_row_height) * 3  # margin-top in points, times 4
    top = pl.concat_str([(y4 // 4).cast(pl.String),
                         (y4 % 4).replace_strict([0, 1, 2, 3], ["", ".25", ".5", ".75"], return_dtype=pl.String)])
    shape = pl.concat_str([
        pl.lit('<v:shape id="_x0000_s'), (pl.col("k") + ws.vml_shape_id).cast(pl.String), pl.col("g1"), top,
        pl.col("g2"), pl.col("k").cast(pl.String), pl.col("g3"), (pl.col("row_start") + shift).cast(pl.String),
        pl.col("g4"), (pl.col("row_end") + shift).cast(pl.String), pl.col("g5"), pl.col("r").cast(pl.String), pl.lit("</x:Row><x:Column>"), pl.col("c").cast(pl.String),
        pl.lit("</x:Column></x:ClientData></v:shape>")])
    vml_fh.write(('<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
                  'xmlns:x="urn:schemas-microsoft-com:office:excel"><o:shapelayout v:ext="edit"><o:idmap v:ext="edit" '
                  f'data="{ws.vml_data_id}"/></o:shapelayout><v:shapetype id="_x0000_t202" coordsize="21600,21600" '
                  'o:spt="202" path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/><v:path '
                  'gradientshapeok="t" o:connecttype="rect"/></v:shapetype>').encode())
    _write_bytes(c, shape, vml_fh)
    vml_fh.write(b"</xml>")

    author = COMMENT_OPTIONS["author"]
    comments_fh.write(('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<comments xmlns='
                       '"http://schemas.openxmlformats.org/spreadsheetml/2006/main"><authors>'
                       f"<author>{author}</author></authors><commentList>").encode())
    text = pl.col("text")
    comment = pl.concat_str([
        pl.lit('<comment ref="'), pl.col("letter"), (pl.col("r") + 1).cast(pl.String),
        pl.lit('" authorId="0"><text><r><rPr><sz val="8"/><color indexed="81"/><rFont val="Tahoma"/>'
               '<family val="2"/></rPr><t'), _x_preserve(text), pl.lit(">"), _x_text(text),
        pl.lit("</t></r></text></comment>")])
    _write_bytes(c, comment, comments_fh)
    comments_fh.write(b"</commentList></comments>")


class _Packager(Packager):
    """xlsxwriter's packager; the comments and VML drawing of a sheet with pre-rendered comments
    (_register_comments) are written over the empty parts xlsxwriter made for it."""

    def _create_package(self):
        files = super()._create_package()
        if self.in_memory:
            return files
        path = {xml_name: os_name for os_name, xml_name, _ in self.filenames}
        vml_i = comments_i = 0
        for ws in self.workbook.worksheets():  # numbered as in _write_vml_files, _write_comment_files
            vml_i += bool(ws.has_vml)
            comments_i += bool(ws.has_comments)
            if getattr(ws, "_xj_comments", None) is not None:
                with (open(path[f"xl/drawings/vmlDrawing{vml_i}.vml"], "wb") as vml,
                      open(path[f"xl/comments{comments_i}.xml"], "wb") as comments):
                    _comment_parts(ws, vml, comments)
            vml_i += bool(getattr(ws, "has_header_vml", False))
        return files


def _stream_annotated(ws, styles: Styles, src: pl.DataFrame, present: list[str], rows_df: pl.DataFrame,
                      cells_df: pl.DataFrame, numeric: set[str]) -> None:
    """The rows below the header of a copy (`src`: _row, _out and the shown values), rendered by
    Polars; the marks (`annotations`) joined by copy row. Comments are registered already."""
    xf = pl.DataFrame({"_worst": list(styles.fill), "_xf": [f._get_xf_index() for f in styles.fill.values()]},
                      schema={"_worst": pl.String, "_xf": pl.Int64})
    rows = rows_df.join(xf, on="_worst", how="left")
    cells = cells_df.filter(pl.col("_ci") < len(present)).join(xf, on="_worst", how="left")
    frame = src.join(rows.select(pl.col("_orow").alias("_out"), "_summary", pl.col("_xf").alias("_xfA")), on="_out",
                     how="left", maintain_order="left")
    if cells.height:
        wide = cells.select("_orow", "_ci", "_xf").pivot(on="_ci", index="_orow", values="_xf")
        wide = wide.rename({c: f"_xf{c}" for c in wide.columns if c != "_orow"})
        frame = frame.join(wide, left_on="_out", right_on="_orow", how="left", maintain_order="left")
    names = set(frame.columns)
    needs = _text_needs(frame, ["_summary", *present])

    def cells_of(rn: pl.Expr) -> list[pl.Expr]:
        out = [_x_string("A", rn, pl.col("_summary"), pl.col("_xfA"), needs["_summary"]),
               _x_number("B", rn, pl.col("_row"))]
        for i, c in enumerate(present):
            xfc = pl.col(f"_xf{i}") if f"_xf{i}" in names else None
            out.append(_x_value(xl_col_to_name(i + 2), rn, pl.col(c), xfc, needs[c], c in numeric))
        return out

    _stream(ws, frame, cells_of, len(present) + 1, rn_col="_out")


def _masked_long(t, col: pl.Expr, v: pl.Expr, show_pii: bool, aside: pl.Expr, number_ok: pl.Expr) -> pl.Expr:
    """_masked_values for a long frame: the value v of column col (cN), per cell; `aside` marks
    the rows that are not records (the ID column masked by shape only), `number_ok` the cells of
    a number column (a NUMBER there is kept as it is). The same forms as _masked_values."""
    raw = v.cast(pl.String)
    if show_pii:
        e = clean_text_expr(raw)
    else:
        id_col = t.field_cols.get("id_number")
        e = pl.when(col.is_in(sorted(_pii_cols(t)))).then(_as_hint(raw)).otherwise(_as_text(raw))
        if id_col is not None:
            e = pl.when((col == id_col) & ~aside).then(_as_id(raw)).otherwise(e)
    return pl.when(number_ok & is_number_expr(raw)).then(raw).otherwise(e)


def _long_values(t, src: pl.DataFrame, present: list[str], show_pii: bool, numeric: set[str]) -> pl.DataFrame:
    """The filled cells of a copy's rows in long form, shown as the copy shows them (masked,
    escaped for a cell): `src` has _out (copy row), _row, _aside and the columns `present`;
    returns _out, _ci (index in `present`), _num (a number column) and v. Work and memory linear
    in the filled cells, whatever the width."""
    ci_of = pl.DataFrame({"_col": present, "_ci": list(range(len(present))), "_num": [c in numeric for c in present]},
                         schema={"_col": pl.String, "_ci": pl.Int64, "_num": pl.Boolean})
    return (src.unpivot(index=["_out", "_row", "_aside"], on=present, variable_name="_col", value_name="v")
            .filter(pl.col("v").is_not_null() & (pl.col("v") != ""))
            .join(ci_of, on="_col", how="left")
            .with_columns(_masked_long(t, pl.col("_col"), pl.col("v"), show_pii, pl.col("_aside"),
                                       pl.col("_num")).alias("v"))
            .select("_out", "_ci", "_num", "v"))


def _stream_annotated_long(ws, styles: Styles, src: pl.DataFrame, t, present: list[str], rows_df: pl.DataFrame,
                           cells_df: pl.DataFrame, show_pii: bool, numeric: set[str]) -> None:
    """_stream_annotated for a wide copy (`src`: _row, _out, _aside and the raw values): the cells
    are one long frame (copy row, column, value; empty cells left out), masked, escaped and
    rendered per cell, then joined per row in column order. Work and memory linear in the copied
    cells, whatever the shape. Comments are registered already."""
    xf = pl.DataFrame({"_worst": list(styles.fill), "_xf": [f._get_xf_index() for f in styles.fill.values()]},
                      schema={"_worst": pl.String, "_xf": pl.Int64})
    rows = rows_df.join(xf, on="_worst", how="left").rename({"_orow": "_out"})
    cells = cells_df.filter(pl.col("_ci") < len(present)).join(xf, on="_worst", how="left").rename({"_orow": "_out"})
    letters = pl.DataFrame({"_ci": list(range(len(present))), "_letter": [xl_col_to_name(i + 2) for i in range(len(present))]},
                           schema={"_ci": pl.Int64, "_letter": pl.String})
    long = _long_values(t, src, present, show_pii, numeric).join(cells.select("_out", "_ci", "_xf"), on=["_out", "_ci"], how="full", coalesce=True)
    long = long.join(letters, on="_ci", how="left").sort("_out", "_ci")
    v, x = pl.col("v"), pl.col("_xf")
    needs_esc = v.str.contains("_x", literal=True) | v.str.contains("[\r\ufffe\uffff&<>]")
    rn = pl.col("_out").cast(pl.String)
    head = pl.concat_str([pl.lit('<c r="'), pl.col("_letter"), rn, pl.lit('"'), _x_style(x)])
    cell = (pl.when(v.is_not_null() & (v != "") & pl.col("_num").fill_null(False) & is_number_expr(v))
            .then(pl.concat_str([head, pl.lit("><v>"), _number_text(v), pl.lit("</v></c>")]))
            .when(v.is_not_null() & (v != ""))
            .then(pl.concat_str([head, pl.lit(' t="inlineStr"><is><t'), _x_preserve(v), pl.lit(">"),
                                 pl.when(needs_esc).then(_x_text(v)).otherwise(v), pl.lit("</t></is></c>")]))
            .when(x.is_not_null()).then(pl.concat_str([head, pl.lit("/>")]))
            .otherwise(pl.lit("")))
    per_row = long.group_by("_out", maintain_order=True).agg(cell.str.join("").alias("_cells"))
    frame = (src.select("_out", "_row")
             .join(rows.select("_out", "_summary", pl.col("_xf").alias("_xfA")), on="_out", how="left",
                   maintain_order="left")
             .join(per_row, on="_out", how="left", maintain_order="left"))
    needs = _text_needs(frame, ["_summary"])

    def cells_of(rn: pl.Expr) -> list[pl.Expr]:
        return [_x_string("A", rn, pl.col("_summary"), pl.col("_xfA"), needs["_summary"]),
                _x_number("B", rn, pl.col("_row")), pl.col("_cells").fill_null("")]

    _stream(ws, frame, cells_of, len(present) + 1, rn_col="_out")


def _stream_findings(ws, styles: Styles, frame: pl.DataFrame) -> None:
    sev_xf = {s: f._get_xf_index() for s, f in styles.fill.items()}
    link_xf = styles.link._get_xf_index()
    frame = frame.with_row_index("_r", offset=1).with_columns(
        _link=pl.col("_target").is_not_null()
        & (pl.col("_target").is_not_null().cast(pl.Int64).cum_sum() <= EXCEL_MAX_LINKS),
        _sxf=pl.col("_sev").replace_strict(sev_xf, default=None, return_dtype=pl.Int64))
    ws._write_single_row(1)  # flush the header row; from here on the row stream is ours
    # the <hyperlinks> element, as xlsxwriter writes internal links (write_url) at close
    links = frame.filter(pl.col("_link")).select(pl.concat_str([
        pl.lit('<hyperlink ref="A'), (pl.col("_r") + 1).cast(pl.String), pl.lit('" location="'),
        _x_attr(pl.col("_target")), pl.lit('" display="'), _x_attr(pl.col("_show")), pl.lit('"/>')]).alias("x"))
    if links.height:
        xml = "<hyperlinks>" + links["x"].str.join("").item() + "</hyperlinks>"
        ws._write_hyperlinks = lambda: ws.fh.write(xml)

    needs = _text_needs(frame, ["_show", *(c for c in COLUMNS if c != "row")])

    def cells_of(rn: pl.Expr) -> list[pl.Expr]:
        out = [_x_string("A", rn, pl.when(pl.col("_link")).then(pl.col("_show")),
                         pl.when(pl.col("_link")).then(pl.lit(link_xf, pl.Int64)), needs["_show"])]
        for i, c in enumerate(COLUMNS):
            letter = xl_col_to_name(i + 1)
            if c == "row":
                out.append(_x_number(letter, rn, pl.col(c)))
            elif c == "severity":
                out.append(_x_string(letter, rn, pl.col(c), pl.col("_sxf"), needs[c]))
            else:
                out.append(_x_string(letter, rn, pl.col(c), None, needs[c]))
        return out

    _stream(ws, frame, cells_of, len(COLUMNS))


# ------------------------------------------------------------------ entry point
def write_report(findings: pl.DataFrame, result, doc: dict, target: Path, *, annotate_all: bool = False,
                 policy=None, row_limit: int = ROW_LIMIT) -> Path:
    """Write report.xlsx atomically. `result` is the engine's RunResult (inputs, frames, skipped)."""
    findings = findings.with_columns(pl.col("row").cast(pl.Int64))
    plans, left_out = plan_sheets(findings, result, annotate_all, row_limit) if result is not None else ([], [])
    located = locate(findings, plans)
    validate_only = doc.get("run", {}).get("command") == "validate"
    schools = school_table(findings, result, validate_only=validate_only)
    focus = focus_notes(schools, validate_only)
    notes: list[str] = []
    if any(p.limited for p in plans):
        total = sum(t.raw.height for inp in result.inputs for t in inp.tables)
        notes.append(f"输入共 {total} 行（超过 {row_limit} 行），标注副本只含有问题的行（保留原行号），没有问题的工作表不复制；"
                     "如需完整副本请加 --annotate-all")
    if left_out:
        files = len({t.file for t in left_out})
        notes.append(f"另有 {len(left_out)} 个工作表（{files} 个文件）的标注副本未生成：标注副本最多 {MAX_ANNOTATED_SHEETS} 个，"
                     "按问题数从多到少选取；其余问题见「问题清单」与 findings.csv，学校自查请只给出本校文件")
    for p in plans:
        if p.cut:
            notes.append(f"「{p.name}」超过 Excel 行数上限，另有 {p.cut} 行未复制")
        if p.cut_cols:
            notes.append(f"「{p.name}」超过 Excel 列数上限（{EXCEL_MAX_COLS:,} 列），标注副本只复制了前 {COPY_MAX_COLS:,} 列，"
                         f"另有 {p.cut_cols:,} 列未复制；这些列上的问题写在该行的「问题」单元格和问题清单中")
    if findings.height > EXCEL_MAX_ROWS - 1:
        notes.append(f"问题清单只列出前 {EXCEL_MAX_ROWS - 1} 项（Excel 单表行数上限），全部 {findings.height} 项见 findings.csv")
    if findings.height > EXCEL_MAX_LINKS:
        notes.append(f"问题清单前 {EXCEL_MAX_LINKS} 项带有跳转链接（Excel 单表超链接上限）")
    notes.extend(focus)

    with atomic_path(target) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"constant_memory": True, "strings_to_numbers": False,
                                            "strings_to_formulas": False, "strings_to_urls": False})
        try:
            styles = Styles(wb)
            if hasattr(wb, "_get_packager") and not getattr(wb, "in_memory", True):
                wb._get_packager = _Packager
                styles.packaged = True
            _write_overview(wb, styles, findings, result, doc, plans, policy, schools, notes)
            _write_findings(wb, styles, located)
            baseline = findings["status"].null_count() < findings.height or doc.get("resolved") is not None
            _write_schools(wb, styles, schools, baseline, money_table(result), focus)
            for p in plans:
                _write_annotated(wb, styles, p, located, show_pii=bool(doc["run"].get("parameters", {}).get("show_pii")))
        except BaseException:
            wb.fileclosed = True  # nothing to save; keep xlsxwriter's destructor quiet
            raise
        wb.close()
    return target
