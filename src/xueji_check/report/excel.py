"""report.xlsx: 总览, 问题清单, 学校汇总, then one annotated copy of each input sheet.

Written with openpyxl in write-only (streaming) mode: rows go to disk as they are appended, so
memory stays flat however large the inputs are. Sheets are therefore written in order, and
everything a sheet refers to (annotated sheet names, target cells) is planned first.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink

from xueji_check.findings import COLUMNS, SEVERITY_ORDER, SEVERITY_ZH
from xueji_check.registry import CATALOG
from xueji_check.report import INJECTION, atomic_path

HEADERS_ZH = {"rule_id": "规则", "severity": "级别", "dataset": "数据", "file": "文件", "sheet": "工作表",
              "row": "行号", "column": "列", "student_id": "学籍号", "id_masked": "身份证号", "name": "姓名",
              "school": "学校", "message": "问题说明", "clause": "依据", "fingerprint": "指纹", "status": "状态"}
STATUS_ZH = {"new": "新增", "persisting": "持续", "resolved": "已整改"}
KIND_ZH = {"roster": "学籍名册", "changes": "学籍异动", "aid": "资助申报与发放", "publicity": "公示名单",
           "employed": "在职参保名单"}
FAMILIES = {"S": "数据质量", "R": "学籍注册", "C": "学籍异动", "A": "资助", "P": "公示"}
SEV_COLOUR = {"error": "FFC7CE", "warning": "FFEB9C", "info": "DDEBF7"}
FILL = {s: PatternFill("solid", fgColor=c) for s, c in SEV_COLOUR.items()}
CHART_COLOUR = {"error": "C0504D", "warning": "F2C314", "info": "4F81BD"}
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
FOCUS_FILL = PatternFill("solid", fgColor="F8CBAD")
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
LINK = Font(color="0563C1", underline="single")
WRAP = Alignment(wrap_text=True, vertical="top")

ROW_LIMIT = 100_000  # inputs above this are copied with only their flagged rows, unless annotate_all
EXCEL_MAX_ROWS = 1_048_576
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
    table: object  # load.Table
    name: str
    limited: bool  # only the rows with findings are copied
    rows: pl.DataFrame  # file, sheet, row, out_row: where each copied source row lands
    cut: int = 0  # rows not copied because the sheet would exceed Excel's row limit


def _table_display_name(t, multi: bool) -> str:
    stem = Path(t.file).stem
    return f"{stem}-{t.sheet}" if multi else stem


def plan_sheets(findings: pl.DataFrame, result, annotate_all: bool, row_limit: int) -> list[SheetPlan]:
    namer = SheetNamer()
    plans = []
    for inp in result.inputs:
        multi = len(inp.tables) > 1
        for t in inp.tables:
            name = namer(_table_display_name(t, multi))
            limited = t.raw.height > row_limit and not annotate_all
            src = t.raw.select(pl.col("_row").cast(pl.Int64).alias("row"))
            if limited:
                flagged = findings.filter((pl.col("file") == t.file) & (pl.col("sheet") == t.sheet)
                                          & pl.col("row").is_not_null()).select(pl.col("row").cast(pl.Int64)).unique()
                src = src.join(flagged, on="row", how="semi")
            cut = max(0, src.height - (EXCEL_MAX_ROWS - 1))
            src = src.head(EXCEL_MAX_ROWS - 1)
            rows = src.with_row_index("out_row", offset=2).select(
                pl.lit(t.file).alias("file"), pl.lit(t.sheet).alias("sheet"), "row",
                pl.col("out_row").cast(pl.Int64))
            plans.append(SheetPlan(t, name, limited, rows, cut))
    return plans


def locate(findings: pl.DataFrame, plans: list[SheetPlan]) -> pl.DataFrame:
    """Add `_target` (sheet and cell in the annotated copy, e.g. 'x'!D7) and `_cell` (D7) to each
    finding. Findings without a row point at the header of their sheet's copy."""
    f = findings.with_row_index("_i")
    if not plans or f.height == 0:
        return f.with_columns(_target=pl.lit(None, pl.String), _cell=pl.lit(None, pl.String))
    rows = pl.concat([p.rows for p in plans])
    cols = []
    sheets = []
    for p in plans:
        t = p.table
        seen: dict[str, int] = {}
        for i, h in enumerate(t.headers):
            seen.setdefault(h, i)
        cols += [(t.file, t.sheet, h, get_column_letter(i + 3)) for h, i in seen.items()]
        sheets.append((t.file, t.sheet, sheet_ref(p.name)))
    cols_df = pl.DataFrame(cols, schema={"file": pl.String, "sheet": pl.String, "column": pl.String,
                                         "_letter": pl.String}, orient="row")
    sheets_df = pl.DataFrame(sheets, schema={"file": pl.String, "sheet": pl.String, "_sref": pl.String},
                             orient="row")
    j = (f.join(rows, on=["file", "sheet", "row"], how="left")
         .join(cols_df, on=["file", "sheet", "column"], how="left")
         .join(sheets_df, on=["file", "sheet"], how="left"))
    cell = pl.when(pl.col("out_row").is_not_null()).then(
        pl.concat_str([pl.coalesce("_letter", pl.lit("A")), pl.col("out_row").cast(pl.String)])
    ).otherwise(pl.lit("A1"))
    j = j.with_columns(_cell=pl.when(pl.col("_sref").is_not_null()).then(cell))
    j = j.with_columns(_target=pl.when(pl.col("_sref").is_not_null()).then(
        pl.concat_str([pl.col("_sref"), pl.lit("!"), pl.col("_cell")])))
    return j.sort("_i").drop("out_row", "_letter", "_sref")


# ------------------------------------------------------------------ school table
def school_table(findings: pl.DataFrame, result) -> pl.DataFrame:
    """Per school: students, findings by severity and rule family, findings per 100 students,
    rank, and whether it is a school to visit first (重点监管学校)."""
    roster = result.frames.get("roster") if result is not None else None
    if roster is not None and "school_name" in roster.columns and roster.height:
        students = (roster.filter(pl.col("school_name").is_not_null())
                    .group_by(pl.col("school_name").alias("school"))
                    .agg(pl.col("_key").n_unique().cast(pl.Int64).alias("students")))
    else:
        students = pl.DataFrame(schema={"school": pl.String, "students": pl.Int64})
    fam = pl.col("rule_id").str.slice(0, 1)
    per = findings.filter(pl.col("school").is_not_null()).group_by("school").agg(
        pl.len().cast(pl.Int64).alias("findings"),
        *[(pl.col("severity") == s).sum().cast(pl.Int64).alias(s) for s in ("error", "warning", "info")],
        *[(fam == k).sum().cast(pl.Int64).alias(f"fam_{k}") for k in FAMILIES],
        (pl.col("status") == "new").sum().cast(pl.Int64).alias("new"),
    )
    t = students.join(per, on="school", how="full", coalesce=True)
    t = t.with_columns(pl.exclude("school").fill_null(0))
    t = t.with_columns(per100=pl.when(pl.col("students") > 0).then(
        (pl.col("findings") * 100 / pl.col("students")).round(1)))
    t = t.with_columns(_err100=pl.when(pl.col("students") > 0).then(pl.col("error") / pl.col("students")))
    t = t.sort(["per100", "_err100", "findings", "school"], descending=[True, True, True, False], nulls_last=True)
    ranked = t.filter(pl.col("per100").is_not_null() & (pl.col("findings") > 0)).height
    n_focus = max(1, math.ceil(ranked * 0.1)) if ranked else 0
    t = t.with_row_index("rank", offset=1).with_columns(
        rank=pl.when(pl.col("per100").is_not_null()).then(pl.col("rank").cast(pl.Int64)))
    t = t.with_columns(focus=(pl.col("rank") <= n_focus) & (pl.col("error") > 0) & pl.col("rank").is_not_null())
    return t.select("rank", "school", "focus", "students", "findings", "per100", "error", "warning", "info",
                    *[f"fam_{k}" for k in FAMILIES], "new")


FOCUS_RULE = ("按「每百名学生问题数」从高到低排名；排名前 10%（至少 1 所）且有错误级问题的学校标为重点监管学校，"
              "建议优先实地核查（回头看）。名册中没有学生的学校不参与排名。")


# ------------------------------------------------------------------ writing helpers
def _cell(ws, value, *, font=None, fill=None, link: str | None = None, comment: str | None = None,
          align=None) -> Cell:
    c = WriteOnlyCell(ws, value=cell_text(value))
    if font is not None:
        c.font = font
    if fill is not None:
        c.fill = fill
    if align is not None:
        c.alignment = align
    if link is not None:
        c.hyperlink = Hyperlink(ref="", location=link, display=str(value))
        c.font = LINK
    if comment:
        lines = comment.count("\n") + 1 + len(comment) // 30
        c.comment = Comment(comment[:MAX_COMMENT_CHARS], "xueji-check", width=320,
                            height=min(400, 20 + 16 * lines))
    return c


def _header(ws, labels: list[str]) -> list[Cell]:
    return [_cell(ws, v, font=BOLD, fill=HEADER_FILL) for v in labels]


def _print_setup(ws, fit_width: bool = True) -> None:
    """Landscape A4, as wide as one page, so that printing or PDF export is readable."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"  # A4
    if fit_width:
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0


class _Overview:
    """Appends rows to the 总览 sheet, counting them so the chart can refer to its data."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.n = 0

    def row(self, values: list) -> int:
        self.ws.append([v if isinstance(v, Cell) else cell_text(v) for v in values])
        self.n += 1
        return self.n

    def section(self, title: str, headers: list[str] | None = None) -> None:
        self.row([])
        self.row([_cell(self.ws, title, font=Font(bold=True, size=12))])
        if headers:
            self.row(_header(self.ws, headers))


# ------------------------------------------------------------------ the sheets
def _write_overview(wb, findings, result, doc, plans, policy, schools, notes) -> None:
    ws = wb.create_sheet("总览")
    for col, w in zip("ABCDEFGH", (40, 24, 14, 12, 12, 14, 24, 20), strict=True):
        ws.column_dimensions[col].width = w
    _print_setup(ws)
    o = _Overview(ws)
    run = doc.get("run", {})
    o.row([_cell(ws, "xueji-check 检查报告（人社厅发〔2018〕28号）", font=TITLE)])
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
        head = o.n
        for school, e, w, i in top.select("school", "error", "warning", "info").iter_rows():
            o.row([school, e, w, i])
        chart = BarChart()
        chart.type = "bar"
        chart.grouping = "stacked"
        chart.overlap = 100
        chart.title = "各学校问题数（按级别）"
        chart.y_axis.title = "问题数"
        chart.x_axis.scaling.orientation = "maxMin"  # most findings on top
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        chart.add_data(Reference(ws, min_col=2, max_col=4, min_row=head, max_row=o.n), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=head + 1, max_row=o.n))
        for series, sev_name in zip(chart.series, ("error", "warning", "info"), strict=True):
            series.graphicalProperties.solidFill = CHART_COLOUR[sev_name]
            series.graphicalProperties.line.solidFill = CHART_COLOUR[sev_name]
        chart.height = max(7.5, 2.5 + 0.7 * top.height)  # cm
        chart.width = 20
        ws.add_chart(chart, f"F{head}")
        # keep the next sections below the chart (a default row is about 0.53 cm)
        while o.n < head + math.ceil(chart.height / 0.5):
            o.row([])

    # inputs
    o.section("输入文件", ["文件", "工作表", "类型", "表头行", "数据行数", "参与检查", "标注副本"])
    by_table = {(p.table.file, p.table.sheet): p for p in plans}
    for inp in (result.inputs if result is not None else []):
        if not inp.tables:
            o.row([inp.display, "", "", "", 0, "无法读取"])
        for t in inp.tables:
            p = by_table.get((t.file, t.sheet))
            link = _cell(ws, p.name, link=f"{sheet_ref(p.name)}!A1") if p else ""
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
    if policy is not None and getattr(policy, "source", None):
        o.row(["策略文件", str(policy.source)])
    if not diffs:
        o.row(["（全部为默认值）"])
    for k, v in diffs.items():
        o.row([k, v if isinstance(v, (int, float, str)) else json.dumps(v, ensure_ascii=False, default=str)])

    # skipped
    skipped = result.skipped if result is not None else run.get("skipped_rules", {})
    o.section("未执行的规则", ["规则", "名称", "原因"])
    if not skipped:
        o.row(["（无：全部规则均已执行）"])
    for rid, why in skipped.items():
        o.row([rid, CATALOG[rid].title if rid in CATALOG else "", why])

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
        sev_cell = _cell(ws, SEVERITY_ZH.get(s, s or ""), fill=FILL.get(s))
        vals = [rid, CATALOG[rid].title if rid in CATALOG else "", sev_cell, n]
        if baseline:
            vals += [nw, ps, res_rule.get(rid, 0)]
        o.row(vals)
    o.row([_cell(ws, "合计", font=BOLD), "", "", findings.height]
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
        if resolved:
            o.section("已整改的问题", ["规则", "级别", "学校", "学籍号", "身份证号", "姓名", "问题说明（上次）"])
            for r in resolved[:RESOLVED_SHOWN]:
                o.row([r.get("rule_id"), SEVERITY_ZH.get(r.get("severity"), r.get("severity")), r.get("school"),
                       r.get("student_id"), r.get("id_masked"), r.get("name"), r.get("message")])
            if len(resolved) > RESOLVED_SHOWN:
                o.row([f"……另有 {len(resolved) - RESOLVED_SHOWN} 项，完整列表见 findings.json 的 resolved"])



def _write_findings(wb, located: pl.DataFrame) -> None:
    ws = wb.create_sheet("问题清单")
    labels = ["定位"] + [HEADERS_ZH[c] for c in COLUMNS]
    widths = {"定位": 10, "规则": 7, "级别": 6, "数据": 8, "文件": 28, "工作表": 12, "行号": 7, "列": 12,
              "学籍号": 14, "身份证号": 20, "姓名": 8, "学校": 20, "问题说明": 70, "依据": 24, "指纹": 18, "状态": 7}
    for i, h in enumerate(labels, start=1):
        ws.column_dimensions[get_column_letter(i)].width = widths.get(h, 10)
    ws.freeze_panes = "B2"
    _print_setup(ws, fit_width=False)
    ws.print_title_rows = "1:1"
    n = min(located.height, EXCEL_MAX_ROWS - 1)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(labels))}{n + 1}"
    ws.append(_header(ws, labels))
    sev_i = COLUMNS.index("severity") + 1
    st_i = COLUMNS.index("status") + 1
    frame = clean_frame(located.head(n).select(["_target", "_cell", *COLUMNS]))
    frame = frame.with_columns(pl.col("row").cast(pl.Int64))
    links = 0
    for rec in frame.iter_rows():
        target, cell = rec[0], rec[1]
        vals: list = list(rec[2:])
        sev = vals[sev_i - 1]
        vals[sev_i - 1] = _cell(ws, SEVERITY_ZH.get(sev, sev), fill=FILL.get(sev))
        vals[st_i - 1] = STATUS_ZH.get(vals[st_i - 1], vals[st_i - 1])
        if target is not None and links < EXCEL_MAX_LINKS:
            first = _cell(ws, f"查看 {cell}", link=target)
            links += 1
        else:
            first = None
        ws.append([first, *vals])


def _write_schools(wb, schools: pl.DataFrame, baseline: bool) -> None:
    ws = wb.create_sheet("学校汇总")
    labels = (["排名", "学校", "重点监管", "学生数", "问题数", "每百名学生问题数", "错误", "警告", "提示"]
              + [f"{k} {v}" for k, v in FAMILIES.items()] + (["新增"] if baseline else []))
    for i, w in enumerate([6, 28, 10, 8, 8, 16, 7, 7, 7] + [11] * len(FAMILIES) + [7], start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = "C2"
    _print_setup(ws)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(labels))}{schools.height + 1}"
    ws.append(_header(ws, labels))
    for rec in schools.iter_rows(named=True):
        vals = [rec["rank"], rec["school"], "重点监管学校" if rec["focus"] else "", rec["students"],
                rec["findings"], rec["per100"], rec["error"], rec["warning"], rec["info"],
                *[rec[f"fam_{k}"] for k in FAMILIES]] + ([rec["new"]] if baseline else [])
        if rec["focus"]:
            vals = [_cell(ws, v, fill=FOCUS_FILL, font=BOLD if i < 3 else None) for i, v in enumerate(vals)]
        ws.append([cell_text(v) for v in vals])
    ws.append([])
    ws.append([None, FOCUS_RULE])


def _comment_text(items: list[tuple]) -> str:
    parts = []
    for rid, sev, msg, clause, _col in items:
        title = CATALOG[rid].title if rid in CATALOG else ""
        parts.append(f"{rid} {title}（{SEVERITY_ZH.get(sev, sev)}）\n{msg or ''}\n依据：{clause or ''}")
    return "\n\n".join(parts)


def _one_line(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _worst(items: list[tuple]) -> str:
    return min((it[1] for it in items), key=lambda s: SEVERITY_ORDER.get(s, 9))


def _write_annotated(wb, plan: SheetPlan, located: pl.DataFrame) -> None:
    t = plan.table
    ws = wb.create_sheet(plan.name)
    ncols = len(t.headers)
    ws.column_dimensions["A"].width = 40
    ws.column_dimensions["B"].width = 7
    for i in range(ncols):
        ws.column_dimensions[get_column_letter(i + 3)].width = 14
    ws.freeze_panes = "C2"
    _print_setup(ws, fit_width=ncols <= 16)
    ws.print_title_rows = "1:1"
    ws.auto_filter.ref = f"A1:{get_column_letter(ncols + 2)}{plan.rows.height + 1}"
    ws.append(_header(ws, ["问题", "行号" if not plan.limited else "原行号", *t.headers]))

    mine = located.filter((pl.col("file") == t.file) & (pl.col("sheet") == t.sheet) & pl.col("row").is_not_null())
    col_index = {}
    for i, h in enumerate(t.headers):
        col_index.setdefault(h, i)
    by_row: dict[int, dict] = {}
    for row, col, rid, sev, msg, clause in mine.select("row", "column", "rule_id", "severity", "message",
                                                       "clause").iter_rows():
        entry = by_row.setdefault(row, {"row_level": [], "cells": {}, "all": []})
        item = (rid, sev, msg, clause, col)
        entry["all"].append(item)
        ci = col_index.get(col) if col is not None else None
        if ci is None:
            entry["row_level"].append(item)
        else:
            entry["cells"].setdefault(ci, []).append(item)

    data_cols = [f"c{i}" for i in range(ncols)]
    present = [c for c in data_cols if c in t.raw.columns]
    src = t.raw.select(pl.col("_row").cast(pl.Int64), *[clean_text_expr(pl.col(c).cast(pl.String)).alias(c)
                                                          for c in present])
    src = src.join(plan.rows.select("row"), left_on="_row", right_on="row", how="semi")
    for rec in src.iter_rows():
        row_no = rec[0]
        entry = by_row.get(row_no)
        if entry is None:
            ws.append([None, row_no, *rec[1:]])
            continue
        vals: list = [None, row_no]
        cells = entry["cells"]
        for i, v in enumerate(rec[1:]):
            items = cells.get(i)
            if items:
                vals.append(_cell(ws, v, fill=FILL.get(_worst(items)), comment=_comment_text(items)))
            else:
                vals.append(v)
        summary = "；".join(
            f"{rid} {CATALOG[rid].title if rid in CATALOG else ''}" + (f"（{_one_line(col)}）" if col and col in col_index
                                                                      else f"：{msg}")
            for rid, _s, msg, _c, col in entry["all"])
        vals[0] = _cell(ws, summary, fill=FILL.get(_worst(entry["all"])),
                        comment=_comment_text(entry["row_level"]) if entry["row_level"] else None)
        ws.append(vals)


# ------------------------------------------------------------------ entry point
def write_report(findings: pl.DataFrame, result, doc: dict, target: Path, *, annotate_all: bool = False,
                 policy=None, row_limit: int = ROW_LIMIT) -> Path:
    """Write report.xlsx atomically. `result` is the engine's RunResult (inputs, frames, skipped)."""
    findings = findings.with_columns(pl.col("row").cast(pl.Int64))
    plans = plan_sheets(findings, result, annotate_all, row_limit) if result is not None else []
    located = locate(findings, plans)
    schools = school_table(findings, result)
    notes: list[str] = []
    for p in plans:
        if p.limited:
            notes.append(f"「{p.name}」原有 {p.table.raw.height} 行（超过 {row_limit} 行），标注副本只含有问题的行，"
                         "保留原行号；如需完整副本请加 --annotate-all")
        if p.cut:
            notes.append(f"「{p.name}」超过 Excel 行数上限，另有 {p.cut} 行未复制")
    if findings.height > EXCEL_MAX_ROWS - 1:
        notes.append(f"问题清单只列出前 {EXCEL_MAX_ROWS - 1} 项（Excel 单表行数上限），全部 {findings.height} 项见 findings.csv")
    if findings.height > EXCEL_MAX_LINKS:
        notes.append(f"问题清单前 {EXCEL_MAX_LINKS} 项带有跳转链接（Excel 单表超链接上限）")
    notes.append(FOCUS_RULE)

    wb = Workbook(write_only=True)
    _write_overview(wb, findings, result, doc, plans, policy, schools, notes)
    _write_findings(wb, located)
    baseline = findings["status"].null_count() < findings.height or doc.get("resolved") is not None
    _write_schools(wb, schools, baseline)
    for p in plans:
        _write_annotated(wb, p, located)
    with atomic_path(target) as tmp:
        wb.save(tmp)
    return target
