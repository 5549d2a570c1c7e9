"""report.xlsx and report.html: the school's money at a glance (issue 15), the 数据 column in
Chinese, validate's skipped rules as one line, the files not checked and the rows not judged."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest

from conftest import ROSTER_HEADERS, make_id, roster_row, write_csv, write_xlsx

AID_HEADERS = ["学籍号", "姓名", "身份证号", "学校名称", "学期", "资助类型", "金额"]
IDS = {k: make_id(f"2008{m:02d}01", seq=f"{101 + 2 * m:03d}") for m, k in enumerate("ABCDE", start=1)}


def aid(sid: str, term: str, kind: str, amount: str | None, school: str) -> list:
    return [f"X{sid}", f"学生{sid}", IDS[sid], school, term, kind, amount]


def aid_files(tmp_path: Path) -> list[Path]:
    """Two schools, two terms, both aid types; a duplicate row (A, 东方, 2024秋, 国家助学金), an
    empty amount (C) and an amount that is no number (E)."""
    east = "东方技工学校"
    south = "南山高级技工学校"
    a = write_xlsx(tmp_path / "in" / "资助_东方.xlsx", [AID_HEADERS,
        aid("A", "2024年秋季学期", "国家助学金", "1000", east), aid("B", "2024秋", "国家助学金", "1000", east),
        aid("A", "2024秋", "国家助学金", "1000", east),
        aid("A", "2024秋", "免学费", "1500", east), aid("C", "2024秋", "免学费", None, east),
        aid("A", "2025春", "国家助学金", "1000", east)])
    b = write_xlsx(tmp_path / "in" / "资助_南山.xlsx", [AID_HEADERS,
        aid("D", "2024秋", "免学费", "1500", south), aid("E", "2024秋", "免学费", "一千五", south),
        aid("D", "2024-2025学年第二学期", "国家助学金", "1000", south), aid("E", "2025春", "国家助学金", "1000", south)])
    return [a, b]


EXPECTED = [  # school, term, 免学费 n/sum, 国家助学金 n/sum, 合计 n/sum, note
    ("东方技工学校", "2024秋", 2, 1500, 2, 3000, 3, 4500, "免学费金额未填 1 行"),
    ("东方技工学校", "2025春", None, None, 1, 1000, 1, 1000, None),
    ("南山高级技工学校", "2024秋", 2, 1500, None, None, 2, 1500, "免学费金额无法识别 1 行"),
    ("南山高级技工学校", "2025春", None, None, 2, 2000, 2, 2000, None),
    ("合计", None, 4, 3000, 4, 6000, 5, 9000, "免学费金额未填 1 行；免学费金额无法识别 1 行"),
]


@pytest.fixture(scope="module")
def money_run(tmp_path_factory):
    from typer.testing import CliRunner

    from xueji_check.cli import app

    base = tmp_path_factory.mktemp("money")
    files = aid_files(base)
    out = base / "out"
    res = CliRunner().invoke(app, ["check", "--aid", str(files[0]), "--aid", str(files[1]), "--as-of", "2025-06-30",
                                   "--out", str(out), "--format", "xlsx,html,json", "--fail-on", "never"],
                             catch_exceptions=False)
    assert res.exit_code == 0, res.stdout + res.stderr
    return out


def test_school_sheet_money_per_school_and_term(money_run):
    wb = openpyxl.load_workbook(money_run / "report.xlsx")
    ws = wb["学校汇总"]
    rows = list(ws.iter_rows(values_only=True))
    # the ranking first, unchanged: its school rows add up to the total of findings
    ranking = rows[1:next(i for i, r in enumerate(rows) if all(v is None for v in r))]
    import json

    doc = json.loads((money_run / "findings.json").read_text(encoding="utf-8"))
    assert sum(r[4] for r in ranking) == len(doc["findings"]) > 0
    start = next(i for i, r in enumerate(rows) if r[1] == "资助资金（按学校和学期：受助人数与金额）")
    assert start > len(ranking)
    head1, head2 = rows[start + 1], rows[start + 2]
    assert head1[1:4] == ("学校", "学期", "免学费") and head1[5] == "国家助学金" and head1[7] == "合计" and head1[9] == "说明"
    assert head2[3:9] == ("人数", "金额（元）") * 3
    got = [tuple(r[1:10]) for r in rows[start + 3:start + 3 + len(EXPECTED)]]
    assert got == EXPECTED
    # amounts are numbers, shown with two decimals
    cell = ws.cell(row=start + 4, column=5)
    assert cell.value == 1500 and cell.data_type == "n" and cell.number_format == "#,##0.00"
    assert any("三（五）" in str(r[1]) for r in rows[start + 3 + len(EXPECTED):] if r[1])


def test_html_money_section(money_run):
    page = (money_run / "report.html").read_text(encoding="utf-8")
    assert "<h2>资助资金（按学校和学期：受助人数与金额）</h2>" in page
    section = page.split("<h2>资助资金", 1)[1].split("<h2>", 1)[0]
    body = section.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", tr) for tr in body.split("</tr>") if "<td" in tr]
    assert len(cells) == len(EXPECTED)

    def shown(v):
        if v is None:
            return ""
        return f"{v:,.2f}" if isinstance(v, int) and v >= 1000 else str(v)

    for row, exp in zip(cells, EXPECTED, strict=True):
        school, term, fn, fs, gn, gs, an, as_, note = exp
        assert row == [school, term or "", shown(fn), f"{fs:,.2f}" if fs else "", shown(gn),
                       f"{gs:,.2f}" if gs else "", shown(an), f"{as_:,.2f}", note or ""]
    # the ranking table is still there, before it
    assert page.index("<h2>学校汇总</h2>") < page.index("<h2>资助资金")


def test_no_aid_no_money_table(tmp_path, cli):
    f = write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS, roster_row("S1", "", make_id(seq="311"))])
    r = cli("check", f, "--as-of", "2025-01-01", "--format", "xlsx,html")
    assert r.code == 1
    ws = openpyxl.load_workbook(r.out / "report.xlsx")["学校汇总"]
    assert not any("资助资金" in str(c.value) for row in ws.iter_rows() for c in row if c.value)
    assert "资助资金" not in (r.out / "report.html").read_text(encoding="utf-8")


def test_findings_sheet_dataset_in_chinese(money_run, tmp_path, cli):
    wb = openpyxl.load_workbook(money_run / "report.xlsx")
    ws = wb["问题清单"]
    header = [c.value for c in ws[1]]
    values = {r[header.index("数据")] for r in ws.iter_rows(min_row=2, values_only=True)}
    assert values == {"资助申报与发放"}
    changes = write_csv(tmp_path / "学籍异动.csv", [["学籍号", "姓名", "身份证号", "学校名称", "异动类型", "异动日期", "申报日期"],
                                                   ["S1", "张三", "123", "东方技工学校", "转学", "2024-09-02", "2024-12-30"]])
    roster = write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS, roster_row("S1", "", make_id(seq="311"))])
    r = cli("check", "--changes", changes, "--roster", roster, "--as-of", "2025-01-01", "--format", "xlsx,csv")
    ws = openpyxl.load_workbook(r.out / "report.xlsx")["问题清单"]
    values = {r[header.index("数据")] for r in ws.iter_rows(min_row=2, values_only=True)}
    assert {"学籍名册", "学籍异动记录"} <= values and not values & {"roster", "changes"}
    # the contract file keeps the codes
    assert set(r.findings["dataset"]) <= {"roster", "changes"}


def _overview(path: Path) -> list[list]:
    ws = openpyxl.load_workbook(path)["总览"]
    return [[v for v in r if v is not None] for r in ws.iter_rows(values_only=True) if any(v is not None for v in r)]


def _section(rows: list[list], title: str) -> list[list]:
    i = next(k for k, r in enumerate(rows) if r and r[0] == title)
    out = []
    for r in rows[i + 1:]:
        if len(r) == 1 and isinstance(r[0], str) and r[0] != title and (r[0].endswith("设置") or r[0] in {
                "未执行的规则", "按规则和级别统计", "未能检查的文件"} or r[0].startswith("未能判断的行")):
            break
        out.append(r)
    return out


def test_validate_overview_one_line_and_no_policy_difference(tmp_path, cli):
    f = write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS, roster_row("S1", "", make_id(seq="311"))])
    r = cli("validate", f, "--as-of", "2025-01-01", "--format", "xlsx,html,json")
    assert r.code == 1, r.stdout + r.stderr
    assert r.json["run"]["command"] == "validate"
    rows = _overview(r.out / "report.xlsx")
    assert _section(rows, "未执行的规则") == [["规则", "名称", "原因"], ["业务规则未执行（validate 只做格式校验）"]]
    assert _section(rows, "策略文件中与默认值不同的设置") == [["设置", "取值"], ["（全部为默认值）"]]
    page = (r.out / "report.html").read_text(encoding="utf-8")
    assert "业务规则未执行（validate 只做格式校验）" in page and "<td>R101</td>" not in page
    # check lists each rule it did not run, one row each
    r2 = cli("check", f, "--as-of", "2025-01-01", "--format", "xlsx")
    skipped = _section(_overview(r2.out / "report.xlsx"), "未执行的规则")
    assert "业务规则未执行（validate 只做格式校验）" not in str(skipped)


def test_overview_lists_files_not_checked_and_rows_not_judged(tmp_path, cli):
    folder = tmp_path / "in"
    write_xlsx(folder / "名册.xlsx", [ROSTER_HEADERS, roster_row("S1", "张三", "12345"),
                                     roster_row("S2", "李四", make_id(seq="313"), enroll="不详")])
    (folder / "坏文件.xlsx").write_text("not a workbook", encoding="utf-8")
    r = cli("check", folder, "--as-of", "2025-01-01", "--format", "xlsx,html,json")
    doc = r.json["run"]
    assert doc["not_checked"] and doc["unjudged"]
    rows = _overview(r.out / "report.xlsx")
    nc = _section(rows, "未能检查的文件")
    assert nc[0] == ["文件或文件夹", "原因"] and len(nc) == 1 + len(doc["not_checked"])
    assert nc[1][0].endswith("坏文件.xlsx") and "Excel" in nc[1][1]
    title = next(x[0] for x in rows if x and str(x[0]).startswith("未能判断的行"))
    uj = _section(rows, title)
    assert uj[0] == ["规则", "名称", "行数", "原因"]
    assert {x[0] for x in uj[1:]} == set(doc["unjudged"])
    first = next(x for x in uj[1:] if x[0] == sorted(doc["unjudged"])[0])
    v = doc["unjudged"][first[0]]
    assert first[2] == v["rows"] and all(k in first[3] for k in v["reasons"])
    page = (r.out / "report.html").read_text(encoding="utf-8")
    assert "<h2>未能检查的文件（1 个）</h2>" in page and "坏文件.xlsx" in page
    assert "<h2>未能判断的行</h2>" in page and all(f"<td>{rid}</td>" in page for rid in doc["unjudged"])


def test_overview_without_such_rows_has_no_such_sections(tmp_path, cli):
    f = write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS, roster_row("S1", "张三", make_id(seq="311"))])
    r = cli("check", f, "--as-of", "2025-01-01", "--format", "xlsx,html,json", "--fail-on", "never")
    assert not r.json["run"]["not_checked"] and not r.json["run"]["unjudged"]
    texts = [x[0] for x in _overview(r.out / "report.xlsx") if x]
    assert "未能检查的文件" not in texts and not any(str(t).startswith("未能判断的行") for t in texts)
    page = (r.out / "report.html").read_text(encoding="utf-8")
    assert "未能检查的文件" not in page and "未能判断的行" not in page
