"""report.xlsx: 总览, 问题清单, 学校汇总 (openpyxl)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from xueji_check.findings import COLUMNS, SEVERITY_ZH
from xueji_check.registry import CATALOG
from xueji_check.report import atomic_path, neutralise_text

HEADERS_ZH = {"rule_id": "规则", "severity": "级别", "dataset": "数据", "file": "文件", "sheet": "工作表",
              "row": "行号", "column": "列", "student_id": "学籍号", "id_masked": "身份证号", "name": "姓名",
              "school": "学校", "message": "问题说明", "clause": "依据", "fingerprint": "指纹", "status": "状态"}
FILL = {"error": PatternFill("solid", fgColor="FFC7CE"), "warning": PatternFill("solid", fgColor="FFEB9C")}
BOLD = Font(bold=True)


def write_report(findings: pl.DataFrame, result, doc: dict, target: Path, *, annotate_all: bool = False,
                 policy=None) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "总览"
    run = doc["run"]
    ws.append(["xueji-check 检查报告"])
    ws["A1"].font = Font(bold=True, size=14)
    for k, v in (("运行时间", run["started"]), ("检查基准日", run["as_of"]), ("版本", run["version"])):
        ws.append([k, v])
    ws.append([])
    ws.append(["输入文件", "行数", "sha256"])
    for i in run["inputs"]:
        ws.append([neutralise_text(i["path"]), i["rows"], i["sha256"][:16]])
    ws.append([])
    ws.append(["规则", "名称", "级别", "数量"])
    per_rule = doc["summary"]["per_rule"]
    for rid, rule in CATALOG.items():
        if per_rule.get(rid):
            ws.append([rid, rule.title, SEVERITY_ZH.get(rule.severity, rule.severity), per_rule[rid]])
    if run["skipped_rules"]:
        ws.append([])
        ws.append(["未执行的规则", "原因"])
        for rid, why in run["skipped_rules"].items():
            ws.append([rid, why])
    ws.column_dimensions["A"].width = 40
    ws.column_dimensions["B"].width = 30

    fs = wb.create_sheet("问题清单")
    fs.append([HEADERS_ZH[c] for c in COLUMNS])
    for c in fs[1]:
        c.font = BOLD
    sev_idx = COLUMNS.index("severity")
    for row in findings.select(COLUMNS).iter_rows():
        vals = [neutralise_text(v) for v in row]
        vals[sev_idx] = SEVERITY_ZH.get(row[sev_idx], row[sev_idx])
        fs.append(vals)
    fs.freeze_panes = "A2"
    fs.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{max(1, findings.height + 1)}"
    widths = {"message": 60, "file": 30, "school": 20, "clause": 22, "id_masked": 20, "fingerprint": 18}
    for i, c in enumerate(COLUMNS, start=1):
        fs.column_dimensions[get_column_letter(i)].width = widths.get(c, 10)

    ss = wb.create_sheet("学校汇总")
    ss.append(["排名", "学校", "学生数", "问题数", "每百名学生问题数", "错误", "警告"])
    for row in school_table(findings, result).iter_rows():
        ss.append(list(row))
    ss.column_dimensions["B"].width = 30
    with atomic_path(target) as tmp:
        wb.save(tmp)
    return target


def school_table(findings: pl.DataFrame, result) -> pl.DataFrame:
    roster = result.frames.get("roster")
    if roster is not None and "school_name" in roster.columns:
        students = roster.group_by(pl.col("school_name").alias("school")).agg(
            pl.col("_key").n_unique().alias("students"))
    else:
        students = pl.DataFrame(schema={"school": pl.String, "students": pl.UInt32})
    per = findings.filter(pl.col("school").is_not_null()).group_by("school").agg(
        pl.len().alias("findings"), (pl.col("severity") == "error").sum().alias("errors"),
        (pl.col("severity") == "warning").sum().alias("warnings"))
    t = students.join(per, on="school", how="full", coalesce=True).with_columns(
        pl.col("students").fill_null(0), pl.col("findings").fill_null(0), pl.col("errors").fill_null(0),
        pl.col("warnings").fill_null(0))
    t = t.with_columns(per100=pl.when(pl.col("students") > 0).then(
        (pl.col("findings") * 100 / pl.col("students")).round(1)))
    t = t.sort(["per100", "findings", "school"], descending=[True, True, False], nulls_last=True)
    return t.with_row_index("rank", offset=1).select("rank", "school", "students", "findings", "per100",
                                                       "errors", "warnings")
