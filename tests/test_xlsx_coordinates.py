"""Coordinates as Excel shows them: calamine starts a sheet at its first used column, so a table
at B3 or D1 used to be read as if it began in column A. Every row number, column letter, merge,
annotated cell and link must be the sheet's own, with hidden rows and columns too."""

from __future__ import annotations

import openpyxl
import pytest

from bad_inputs.cases_xlsx import Sheet, cell, col_name, raw_xlsx, roster_table, row, table_rows
from conftest import ROSTER_HEADERS, make_id, roster_row
from xueji_check.load.model import Problem
from xueji_check.load.xlsx import read_excel_bytes

RED = "FFC7CE"


def _roster(n_good: int = 3) -> list[list]:
    rows = roster_table(n_good)
    rows.append(roster_row("S900", "", make_id(seq="901")))  # S002: 姓名 empty
    rows.append(roster_row("S901", "错号", "410105200801011234"))  # S003: bad check digit
    return rows


@pytest.mark.parametrize(("top", "left"), [(1, 0), (3, 1), (1, 3), (6, 2)])
def test_frame_row_and_column_are_excels_own(tmp_path, top, left):
    body = table_rows([["h1", "h2"], ["x", None], [None, "y"]], top=top, left=left)
    [sheet] = read_excel_bytes(raw_xlsx(tmp_path / "x.xlsx", Sheet(body)).read_bytes(), "x", [])
    df = sheet.frame
    assert df.columns == [f"c{i}" for i in range(left + 2)]
    assert df.height == top + 2
    assert df.row(top - 1)[left:] == ("h1", "h2") and df.row(top)[left] == "x" and df.row(top + 1)[left + 1] == "y"
    assert all(v is None for r in df.rows() for v in r[:left])


@pytest.mark.parametrize(("top", "left", "hidden"), [(3, 1, False), (1, 3, False), (2, 2, True)])
def test_findings_copies_and_links_point_at_the_sheets_own_cells(tmp_path, cli, top, left, hidden):
    rows = _roster()
    hidden_rows = (top + 2,) if hidden else ()
    cols = (f'<cols><col min="{left + 4}" max="{left + 4}" hidden="1"/></cols>' if hidden else "")
    body = table_rows(rows, top=top, left=left, hidden_rows=hidden_rows)
    path = raw_xlsx(tmp_path / "名册.xlsx", Sheet(body, cols=cols))
    r = cli("check", "--roster", path, "--as-of", "2025-01-01", "--format", "xlsx,csv")
    assert r.code == 1, r.stderr
    empty_row, bad_row = top + 4, top + 5  # header at `top`, three good rows, then the planted two
    assert sorted(r.rule("S002")["row"].to_list()) == [str(empty_row)]
    assert sorted(r.rule("S003")["row"].to_list()) == [str(bad_row)]

    wb = openpyxl.load_workbook(r.out / "report.xlsx")
    copy = wb[wb.sheetnames[3]]
    header = [c.value for c in copy[top]]  # the copy keeps the sheet's rows: its header at the sheet's header row
    assert header[:2] == ["问题", "行号"]
    # the copy mirrors the sheet's columns from A (empty ones too), after 问题 and 行号
    assert header[2 + left:2 + left + len(ROSTER_HEADERS)] == ROSTER_HEADERS and not any(header[2:2 + left])
    by_no = {row[1].value: row for row in copy.iter_rows(min_row=top + 1)}
    name_cell = by_no[empty_row][header.index("姓名")]
    assert name_cell.fill.fgColor.rgb.endswith(RED) and "S002" in name_cell.comment.text
    id_cell = by_no[bad_row][header.index("身份证号")]
    assert "S003" in id_cell.comment.text
    links = {(row[1].value, row[6].value): row[0].hyperlink.location for row in wb["问题清单"].iter_rows(min_row=2)}
    target = links[("S002", empty_row)]
    sheet_part, cell_ref = target.rsplit("!", 1)
    assert copy[cell_ref].coordinate == name_cell.coordinate


def test_publicity_list_from_column_b_names_the_id_column_as_excel_shows_it(tmp_path, cli):
    ids = [make_id(seq=f"{s:03d}") for s in (101, 103, 105)]
    rows = [["东方技工学校2024年秋季学期国家助学金公示名单"], ["公示时间：2024年11月4日至2024年11月8日"],
            ["序号", "姓名", "班级", "身份证号"]] + [[i + 1, f"学生{i}", "24数控1班", idn] for i, idn in enumerate(ids)]
    pub = raw_xlsx(tmp_path / "资助公示.xlsx", Sheet(table_rows(rows, left=1), name="公示"))
    roster = raw_xlsx(tmp_path / "名册.xlsx", Sheet(table_rows(roster_table(3))))
    r = cli("check", "--roster", roster, "--publicity", pub, "--as-of", "2025-01-01", "--format", "csv")
    messages = r.rule("P402")["message"].to_list()
    assert messages and all("第 E 列" in m for m in messages), messages


def test_error_cells_and_merges_are_named_by_the_sheets_own_references(tmp_path):
    body = (row(2, cell("C2", "学籍号"), cell("D2", "姓名"))
            + '<row r="3"><c r="C3" t="e"><f>1/0</f><v>#DIV/0!</v></c>' + cell("D3", "甲") + "</row>"
            + row(4, cell("C4", "S2")))
    problems: list[Problem] = []
    [sheet] = read_excel_bytes(raw_xlsx(tmp_path / "x.xlsx", Sheet(body, merges=["D3:D4"])).read_bytes(), "x", problems)
    assert sheet.frame.get_column("c3").to_list() == [None, "姓名", "甲", "甲"]
    assert any("C3（#DIV/0!）" in p.message and p.row == 3 for p in problems)


def test_col_name_helper_matches_excel():
    assert [col_name(i) for i in (0, 25, 26, 701, 702, 16383)] == ["A", "Z", "AA", "ZZ", "AAA", "XFD"]
