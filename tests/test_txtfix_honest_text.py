"""Text that must not tell a school something false: a publicity list made without the data to
check eligibility, a 重点监管 label among too few schools (or from format checks alone), the
working days of a 公示期, and the planted problems the sample README lists."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import polars as pl
import pytest

from conftest import ROSTER_HEADERS, make_id, roster_row, write_xlsx

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"

# ------------------------------------------------------------------ publicity make: what was checked
A, B = make_id("20060101", seq="123"), make_id("20080102", seq="133")
AID_HEAD = ["学籍号", "姓名", "身份证号", "学校名称", "学期", "资助类型", "金额", "在校年级"]


def _aid(tmp_path, grade_a="", grade_b=""):
    return write_xlsx(tmp_path / "资助.xlsx", [
        AID_HEAD,
        ["S1", "张三", A, "东方技工学校", "2024秋", "国家助学金", "1000", grade_a],  # enrolled 2022: 3rd year
        ["S2", "李四", B, "东方技工学校", "2024秋", "国家助学金", "1000", grade_b]])


def _roster(tmp_path):
    return write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS,
                                               roster_row("S1", "张三", A, enroll="2022-09-01"),
                                               roster_row("S2", "李四", B, enroll="2024-09-01")])


def _last(stdout: str) -> str:
    return [line for line in stdout.splitlines() if line.startswith("自检通过")][-1]


def test_no_roster_and_no_grade_does_not_claim_a305(tmp_path, cli):
    """The walkthrough: no --roster, 在校年级 empty: A305 ran but could judge no row. The list
    lists the third-year student; the output must not say A305 was checked."""
    r = cli("publicity", "make", "--aid", _aid(tmp_path), "--start", "2024-11-04", "--out", tmp_path / "o.xlsx")
    assert r.code == 0, r.stderr
    assert "资助资格已按" not in r.stdout and "A305 核对" not in r.stdout
    assert "提示：A305（超出资助年限）有 2 行未能核对：资助表的在校年级为空，又未提供学籍名册" in r.stdout
    for rid in ("A301", "A302", "A303"):
        assert f"提示：{rid}（" in r.stdout and "未能核对：未提供学籍名册" in r.stdout
    last = _last(r.stdout)
    assert "A301、A302、A303、A305 未核对或未全部核对" in last and "可能有不符合资助条件的学生" in last


def test_grade_in_the_aid_table_lets_a305_check_without_roster(tmp_path, cli):
    r = cli("publicity", "make", "--aid", _aid(tmp_path, "三年级", "一年级"), "--start", "2024-11-04",
            "--out", tmp_path / "o.xlsx")
    assert r.code == 0, r.stderr
    assert "A305（超出资助年限）有" not in r.stdout
    last = _last(r.stdout)
    assert "资助资格已按 A305 核对" in last and "A301、A302、A303 未核对或未全部核对" in last
    assert "张三" in r.stdout  # left out by A305 (third year)


def test_only_some_rows_without_a_year(tmp_path, cli):
    r = cli("publicity", "make", "--aid", _aid(tmp_path, "", "一年级"), "--start", "2024-11-04",
            "--out", tmp_path / "o.xlsx")
    assert "A305（超出资助年限）有 1 行未能核对" in r.stdout
    assert "A305 核对" not in _last(r.stdout) and "A305 未核对或未全部核对" in _last(r.stdout)


def test_with_roster_everything_checked(tmp_path, cli):
    r = cli("publicity", "make", "--aid", _aid(tmp_path), "--roster", _roster(tmp_path), "--start", "2024-11-04",
            "--out", tmp_path / "o.xlsx")
    assert r.code == 0, r.stderr
    assert "未能核对" not in r.stdout and "未全部核对" not in r.stdout
    assert _last(r.stdout).endswith("资助资格已按 A301、A302、A303、A305 核对")
    listed = [row[1] for row in openpyxl.load_workbook(tmp_path / "o.xlsx")["公示名单"].iter_rows(min_row=5, values_only=True)]
    assert listed == ["李四"]


def test_a_row_left_out_by_another_rule_is_not_counted_unchecked(tmp_path, cli):
    """A student missing from the roster (A302, left out) has no 入学日期 either: A305 could not
    judge him, but he is not on the list, so no 提示 about A305."""
    aid = write_xlsx(tmp_path / "资助.xlsx", [
        AID_HEAD, ["S2", "李四", B, "东方技工学校", "2024秋", "国家助学金", "1000", ""],
        ["S9", "林虚构", make_id("20080303", seq="153"), "东方技工学校", "2024秋", "国家助学金", "1000", ""]])
    r = cli("publicity", "make", "--aid", aid, "--roster", _roster(tmp_path), "--start", "2024-11-04",
            "--out", tmp_path / "o.xlsx")
    assert r.code == 0, r.stderr
    assert "林虚构" in r.stdout and "A302" in r.stdout
    assert "未能核对" not in r.stdout and _last(r.stdout).endswith("A305 核对")


def test_roster_help_says_it_is_needed_for_eligibility(cli):
    r = cli("publicity", "make", "--help")
    text = re.sub(r"\s+", "", r.stdout)
    assert "核对资助资格（A301–A303" in text and "A305" in text


# ------------------------------------------------------------------ 重点监管学校
def _schools(n: int, per_school: int = 20):
    names = [f"第{i:02d}技工学校" for i in range(n)]
    roster = pl.DataFrame({"school_name": [s for s in names for _ in range(100)],
                           "_key": [f"k{i}" for i in range(100 * n)]})
    rows = [{"school": s, "severity": "error", "rule_id": "R101", "status": None}
            for i, s in enumerate(names) for _ in range(per_school - i)]
    findings = pl.DataFrame(rows, schema={"school": pl.String, "severity": pl.String, "rule_id": pl.String,
                                          "status": pl.String})
    return findings, SimpleNamespace(frames={"roster": roster})


@pytest.mark.parametrize("n", [1, 2, 9])
def test_too_few_schools_none_labelled(n):
    from xueji_check.report.excel import focus_notes, school_table

    t = school_table(*_schools(n))
    assert t["rank"].to_list()[0] == 1 and not any(t["focus"].to_list())
    notes = focus_notes(t)
    assert len(notes) == 2 and "不标重点监管学校" in notes[1]
    assert ("只有 1 所学校参与排名" if n == 1 else f"只有 {n} 所（少于 10 所）") in notes[1]


def test_ten_schools_top_one_labelled():
    from xueji_check.report.excel import FOCUS_RULE, focus_notes, school_table

    t = school_table(*_schools(10))
    assert t["focus"].to_list() == [True] + [False] * 9
    assert focus_notes(t) == [FOCUS_RULE]
    assert "不少于 10 所" in FOCUS_RULE


def test_validate_labels_no_school():
    from xueji_check.report.excel import focus_notes, school_table

    t = school_table(*_schools(12), validate_only=True)
    assert not any(t["focus"].to_list()) and t["rank"].to_list()[0] == 1
    assert "validate" in focus_notes(t, True)[1] and "不标重点监管学校" in focus_notes(t, True)[1]


def _summary_sheet(path):
    ws = openpyxl.load_workbook(path)["学校汇总"]
    return [[c for c in r] for r in ws.iter_rows(values_only=True)]


@pytest.mark.parametrize("cmd", ["check", "validate"])
def test_single_school_self_audit_report(tmp_path, cli, cmd):
    """The walkthrough's self-audit: one school with errors is no 重点监管学校, and the sheet, the
    overview, the page and the terminal say why."""
    rows = [ROSTER_HEADERS, roster_row("S1", "张三", make_id(seq="123")),
            roster_row("S2", "", make_id(seq="133")),  # S002 error
            roster_row("S3", "王五", "410105200801011234")]  # S003 error
    f = write_xlsx(tmp_path / "名册_东方技工学校.xlsx", rows)
    r = cli(cmd, f, "--as-of", "2025-06-30", "--format", "xlsx,html,json")
    assert r.code == 1, r.stdout + r.stderr
    sheet = _summary_sheet(r.out / "report.xlsx")
    assert sheet[1][1] == "东方技工学校" and sheet[1][2] in (None, "")
    text = repr(sheet)
    why = "validate（只做格式校验），不标重点监管学校" if cmd == "validate" else "只有 1 所学校参与排名（如学校自查），不标重点监管学校"
    assert why in text
    html = (r.out / "report.html").read_text(encoding="utf-8")
    assert why in html and "<tr class=\"focus\">" not in html
    overview = repr(list(openpyxl.load_workbook(r.out / "report.xlsx")["总览"].values))
    assert why in overview
    if cmd == "validate":
        assert "validate 只做格式校验，不标重点监管学校" in r.stdout
    else:
        assert "参与排名的学校不少于 10 所时才标出重点监管学校" in r.stdout


# ------------------------------------------------------------------ workdays
def test_workdays_lines_count_both_ends_as_p401():
    from xueji_check.calendar import WorkCalendar, workdays_lines

    lines = workdays_lines(WorkCalendar(), dt.date(2024, 11, 4), dt.date(2024, 11, 7))
    assert lines[0].startswith("2024-11-04 至 2024-11-07：首尾两天都计入共 4 个工作日（资助公示期按此计算，P401）")
    assert "不含 2024-11-04、含 2024-11-07 为 3 个工作日" in lines[0] and "C201" in lines[0]
    lines = workdays_lines(WorkCalendar(), dt.date(2024, 9, 27), dt.date(2024, 10, 14))
    assert "首尾两天都计入共 9 个工作日" in lines[0] and "为 8 个工作日" in lines[0]
    assert "  2024-09-29 星期日 调休上班" in lines and "  2024-10-01 星期二 放假：国庆节" in lines


def test_workdays_lines_same_day_and_estimated_year():
    from xueji_check.calendar import WorkCalendar, workdays_lines

    same = workdays_lines(WorkCalendar(), dt.date(2024, 10, 16), dt.date(2024, 10, 16))
    assert "首尾两天都计入共 1 个工作日" in same[0] and "为 0 个工作日" in same[0]
    est = workdays_lines(WorkCalendar(), dt.date(2026, 12, 28), dt.date(2027, 1, 12))
    assert "首尾两天都计入共 11 个工作日（估计）" in est[0]
    assert "  2027-01-01 星期五 放假：元旦（估计）" in est
    # P401 counts an estimated year generously; planning goes by the listed days
    assert any("检查公示期（P401）时" in x and "安排公示期请按上面的 11 个计算" in x for x in est)
    assert est[-1].startswith("注意：") and "2027" in est[-1]


def test_p401_agrees_with_the_both_ends_count(tmp_path, cli):
    """The count `workdays` prints first is the one P401 judges by: 4 working days is too short."""
    from xueji_check.calendar import WorkCalendar, workdays_lines

    assert "共 4 个工作日" in workdays_lines(WorkCalendar(), dt.date(2024, 11, 4), dt.date(2024, 11, 7))[0]
    f = write_xlsx(tmp_path / "公示.xlsx", [["姓名", "学校", "资助类型"], ["张三", "东方技工学校", "国家助学金"]],
                   title="公示时间：2024年11月4日至2024年11月7日")
    r = cli("check", "--publicity", f, "--as-of", "2024-12-31", "--format", "csv,json")
    p401 = r.rule("P401")
    assert p401.height == 1 and "只有 4 个工作日" in p401["message"][0]


# ------------------------------------------------------------------ the sample README's table
@pytest.fixture(scope="module")
def sample_2025(tmp_path_factory):
    import shutil

    from typer.testing import CliRunner

    from xueji_check.cli import app

    d = tmp_path_factory.mktemp("sample25")
    shutil.copytree(SAMPLE, d / "sample_data")
    out = d / "out"
    res = CliRunner().invoke(app, ["check", str(d / "sample_data"), "--as-of", "2025-06-30", "--out", str(out),
                                   "--format", "csv,json"])
    return res, pl.read_csv(out / "findings.csv", infer_schema=False)


def _table_rows() -> dict[str, list[str]]:
    text = (SAMPLE / "README.md").read_text(encoding="utf-8")
    return {cells[0]: cells for line in text.splitlines()
            if re.match(r"\| [SRCAP]\d{3} \|", line) and (cells := [c.strip() for c in line.strip("|").split("|")])}


def test_sample_readme_c201_is_row_3_only(sample_2025):
    res, df = sample_2025
    assert res.exit_code == 1
    assert df.filter(pl.col("rule_id") == "C201")["row"].to_list() == ["3"]
    c201 = _table_rows()["C201"]
    assert c201[1] == "学籍异动记录 第 3 行"
    assert "休学未申报" not in c201[3] and "第 7 行" in c201[3] and "不报" in c201[3]


def test_sample_readme_rules_fire_as_of_2025_06_30(sample_2025):
    """Every rule of the table fires in the README's run, except R112, which says it needs an
    autumn-2026 check date; no rule fires that the table does not list."""
    _, df = sample_2025
    table = _table_rows()
    fired = set(df["rule_id"])
    assert fired == set(table) - {"R112"}
    assert "--as-of 2026-11-29" in table["R112"][3] and "`--as-of 2025-06-30` 时该生尚未入学，不报" in table["R112"][3]
