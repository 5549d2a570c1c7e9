"""Formula cells without a saved value (a workbook written by a program and never opened in
Excel): a formula that is one cell reference is resolved from the values read; any other is
reported once per sheet with the fix, and its cells never yield "为空" (or any finding on that
field of that row)."""

from __future__ import annotations

import xlsxwriter

from bad_inputs.cases_xlsx import Sheet, cell, raw_xlsx, row, table_rows
from conftest import ROSTER_HEADERS, make_id
from xueji_check.load.model import Problem
from xueji_check.load.xlsx import read_excel_bytes

IDS = [make_id(seq=f"{s:03d}") for s in (101, 103, 105, 107, 109, 111, 113)]


def _student(r: int, i: int, school: str, *, years: str | None = None, name: str | None = None) -> str:
    """Row r of a roster whose header is in row 2: 学校名称 (E) is given as cell XML."""
    return row(r, cell(f"A{r}", f"S{i}"), cell(f"B{r}", name if name is not None else f"学生{i}"), cell(f"C{r}", IDS[i]),
               cell(f"D{r}", "男"), school, years or cell(f"F{r}", "3"), cell(f"G{r}", "全日制"),
               cell(f"H{r}", "2024-09-01"), cell(f"I{r}", "在校"))


def _read(path) -> tuple[list, list[Problem]]:
    problems: list[Problem] = []
    return read_excel_bytes(path.read_bytes(), path.name, problems), problems


def test_single_references_are_resolved_from_the_values_read(tmp_path):
    head = row(1, cell("A1", "学校名称："), cell("B1", "东方技工学校")) + table_rows([ROSTER_HEADERS], top=2)
    body = head + "".join(_student(3 + i, i, cell(f"E{3 + i}", formula=f))
                          for i, f in enumerate(["$B$1", "B1", "代码!A1", "'学校 代码'!$B$2", "E3", "E8", "$B1"]))
    path = raw_xlsx(tmp_path / "x.xlsx", Sheet(body),
                    Sheet(row(1, cell("A1", "东方技工学校")), name="代码"),
                    Sheet(row(2, cell("B2", "东方技工学校")), name="学校 代码"))
    sheets, problems = _read(path)
    school = sheets[0].frame.get_column("c4").to_list()[2:]
    # E8 = E8: a formula that refers to itself has no value to give
    assert school == ["东方技工学校"] * 4 + ["东方技工学校", None, "东方技工学校"]
    assert sheets[0].unknown is not None and sheets[0].unknown.rows() == [(8, "c4")]
    info = [p for p in problems if p.level == "info"]
    assert len(info) == 1 and "E3、E4、E5、E6、E7 等 6 处" in info[0].message and "E3 引用 B1" in info[0].message
    warn = [p for p in problems if p.level == "warning"]
    assert len(warn) == 1 and "E8" in warn[0].message and "WPS" in warn[0].message


def test_shared_formulas_are_shifted_to_each_cell(tmp_path):
    """A shared formula (=D3 filled down from E3): E4 refers to D4, E5 to D5."""
    body = table_rows([["h", "h", "h", "学校", "学校名称"]], top=2)
    body += row(3, cell("D3", "甲校"), '<c r="E3"><f t="shared" ref="E3:E5" si="0">D3</f><v></v></c>')
    body += row(4, cell("D4", "乙校"), '<c r="E4"><f t="shared" si="0"/></c>')
    body += row(5, cell("D5", "丙校"), '<c r="E5"><f t="shared" si="0"/><v/></c>')
    [sheet], problems = _read(raw_xlsx(tmp_path / "x.xlsx", Sheet(body)))
    assert sheet.frame.get_column("c4").to_list()[2:] == ["甲校", "乙校", "丙校"]
    assert sheet.unknown is None and [p.level for p in problems] == ["info"]


def test_other_formulas_are_reported_once_and_never_called_empty(tmp_path, cli):
    head = row(1, cell("A1", "学校名称："), cell("B1", "东方技工学校")) + table_rows([ROSTER_HEADERS], top=2)
    body = head + "".join(
        _student(3 + i, i, cell(f"E{3 + i}", formula='CONCATENATE("东方","技工学校")'),
                 years=cell(f"F{3 + i}", formula=f"LEN(B{3 + i})"))
        for i in range(6))
    body += _student(9, 6, cell("E9", "东方技工学校"), name="")  # near miss: a really empty name is still S002
    path = raw_xlsx(tmp_path / "名册.xlsx", Sheet(body))
    r = cli("check", "--roster", path, "--as-of", "2025-01-01", "--format", "csv,json")
    assert r.code == 1, r.stderr
    assert r.rule("S002")["row"].to_list() == ["9"] and r.rule("S002")["column"].to_list() == ["姓名"]
    assert r.findings.filter(r.findings["column"].is_in(["学校名称", "学制"])).height == 0
    lines = [ln for ln in r.stderr.splitlines() if "没有保存计算结果的公式" in ln]
    assert len(lines) == 1 and "E3" in lines[0] and "等 12 处" in lines[0] and "WPS" in lines[0], r.stderr


def test_formulas_with_a_saved_value_read_as_that_value(tmp_path):
    """Near miss: Excel saves each formula's value; it is read as the value, nothing reported."""
    p = tmp_path / "x.xlsx"
    wb = xlsxwriter.Workbook(str(p))
    ws = wb.add_worksheet("名册")
    ws.write_row(0, 0, ["学校", "学校名称"])
    ws.write_formula(1, 1, "=A1", None, "学校")
    ws.write_formula(2, 1, '=CONCATENATE("a","b")', None, "ab")
    wb.close()
    [sheet], problems = _read(p)
    assert sheet.frame.get_column("c1").to_list() == ["学校名称", "学校", "ab"]
    assert problems == [] and sheet.unknown is None
