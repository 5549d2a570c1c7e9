"""`validate` (issue 13 point 10): the same reports as `check` by default (report.xlsx with the
annotated copies, csv, json), and the business rules it does not run said in one line, in the
terminal, in findings.json (beside the per-rule list) and in report.html."""

from __future__ import annotations

import openpyxl

from conftest import ROSTER_HEADERS, make_id, roster_row, write_xlsx
from xueji_check.registry import CATALOG, load_rule_modules

ONE_LINE = "业务规则未执行（validate 只做格式校验）"


def _roster(tmp_path):
    return write_xlsx(tmp_path / "in" / "学籍名册.xlsx",
                      [ROSTER_HEADERS, roster_row("S1", "", make_id(seq="101")),
                       roster_row("S2", "乙", make_id(seq="103"), mode="半日制")], sheet="名册")


def test_validate_writes_report_xlsx_with_annotated_copies(tmp_path, cli):
    r = cli("validate", _roster(tmp_path), "--as-of", "2025-01-01")
    assert r.code == 1
    assert sorted(p.name for p in r.out.iterdir()) == sorted([".xueji-check-outputs.json", "findings.csv", "问题清单.csv",
                                                              "findings.json", "report.xlsx"])
    assert r.json["run"]["outputs"] == ["findings.csv", "问题清单.csv", "findings.json", "report.xlsx"]
    wb = openpyxl.load_workbook(r.out / "report.xlsx")
    assert {"总览", "问题清单"} <= set(wb.sheetnames)
    copies = [n for n in wb.sheetnames if n not in ("总览", "问题清单", "学校汇总")]
    assert copies, wb.sheetnames  # the annotated copy of the roster
    assert set(r.findings["rule_id"]) == {"S002", "S007"}


def test_validate_says_the_skipped_rules_in_one_line(tmp_path, cli):
    load_rule_modules()
    r = cli("validate", _roster(tmp_path), "--as-of", "2025-01-01", "--format", "csv,json,html")
    assert r.stdout.count(ONE_LINE) == 1
    assert "R101" not in r.stdout and "未执行的规则：" not in r.stdout
    run = r.json["run"]
    assert run["command"] == "validate" and run["skipped_summary"] == ONE_LINE
    assert set(run["skipped_rules"]) == {rid for rid in CATALOG if not rid.startswith("S")}  # kept for programs
    page = (r.out / "report.html").read_text(encoding="utf-8")
    assert ONE_LINE in page and "<td>R101</td>" not in page and "select" not in page.split("问题清单")[0]


def test_check_still_lists_each_skipped_rule(tmp_path, cli):
    r = cli("check", _roster(tmp_path), "--as-of", "2025-01-01", "--format", "json")
    assert ONE_LINE not in r.stdout and "未执行的规则：" in r.stdout and "A301（未提供资助申报与发放）" in r.stdout
    assert r.json["run"]["command"] == "check" and r.json["run"]["skipped_summary"].startswith("未执行的规则：")


def test_validate_format_option(tmp_path, cli):
    r = cli("validate", _roster(tmp_path), "--as-of", "2025-01-01", "--format", "json")
    assert sorted(p.name for p in r.out.iterdir()) == [".xueji-check-outputs.json", "findings.json"]


def test_quiet_line_has_the_check_date_and_the_baseline_counts(tmp_path, cli):
    f = _roster(tmp_path)
    first = cli("check", f, "--as-of", "2025年1月1日", "--format", "json", "--quiet", out=tmp_path / "a")
    lines = first.stdout.splitlines()
    assert len(lines) == 1 and "检查基准日 2025-01-01" in lines[0] and "2 个问题（错误 2，警告 0）" in lines[0]
    assert "新增" not in lines[0] and "退出码 1" in lines[0]
    f2 = write_xlsx(tmp_path / "in2" / "学籍名册.xlsx",
                    [ROSTER_HEADERS, roster_row("S1", "", make_id(seq="101")),
                     roster_row("S3", "", make_id(seq="105"))], sheet="名册")
    r = cli("check", f2, "--as-of", "2025-01-01", "--format", "json", "--quiet",
            "--baseline", first.out / "findings.json", out=tmp_path / "b")
    lines = r.stdout.splitlines()
    assert len(lines) == 1, r.stdout
    assert "与基线相比：新增 1，持续 1，已整改 1" in lines[0] and "检查基准日 2025-01-01" in lines[0]
    v = cli("validate", f, "--as-of", "2025-01-01", "--quiet", out=tmp_path / "v")
    assert len(v.stdout.splitlines()) == 1 and "检查基准日 2025-01-01" in v.stdout


def test_validate_does_not_offer_fail_on_new(tmp_path, cli):
    """`validate` has no --baseline: its --fail-on no longer offers `new` (it did, and then asked
    for a --baseline it does not take). Near miss: `check` still offers it."""
    from typer.testing import CliRunner

    from xueji_check.cli import app

    helps = {c: CliRunner().invoke(app, [c, "--help"], env={"COLUMNS": "200"}).stdout for c in ("validate", "check")}
    assert "never" in helps["validate"] and "new" not in helps["validate"].split("--fail-on")[1].split("--")[0]
    assert "new 有新增问题" in helps["check"]
    r = cli("validate", tmp_path, "--fail-on", "new")
    assert r.code == 2 and "baseline" not in r.stderr, r.stderr
