"""Bad-input cases of the report area: what the annotated copies and the money table do with messy
titles, footers and amounts. Each runs through the real CLI in tests/test_bad_inputs.py."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from bad_inputs.make import Case, all_of, case, checked, csv_bytes, has_rule, put
from conftest import ROSTER_HEADERS, make_id, roster_row

MOBILE = "13912345678"


def _sheet(path: Path, rows: list[list | None]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    for i, r in enumerate(rows, start=1):
        for j, v in enumerate(r or [], start=1):
            if v is not None:
                ws.cell(row=i, column=j, value=v)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _copy(r):
    wb = openpyxl.load_workbook(r.out / "report.xlsx")
    return wb, wb.worksheets[3]


def _hostile_title_copied_safely(r, case_dir: Path) -> None:
    wb, ws = _copy(r)
    title = ws["C1"].value
    assert isinstance(title, str) and title.startswith("'=HYPERLINK") and len(title) <= 32_767
    assert "\x07" not in title and MOBILE not in title
    assert ws["A2"].value == "问题" and ws["C2"].value == ROSTER_HEADERS[0]
    for row in ws.iter_rows():
        for c in row:
            assert c.data_type != "f", c.coordinate


@case
def hostile_title_above_a_roster(t: Path) -> Case:
    """A title line that is a formula, holds a bell character and a mobile number, and is longer
    than an Excel cell: copied above the header as text, cut to Excel's limit, the number masked."""
    title = f'=HYPERLINK("http://x","点我")\x07 联系 {MOBILE} ' + "很长的标题" * 8_000
    rows = [[title], ROSTER_HEADERS, roster_row("S1", "", make_id(seq="611")), roster_row("S2", "乙", make_id(seq="613"))]
    p = put(t / "名册.csv", csv_bytes(rows).encode("utf-8-sig"))
    return Case([p], (1,), check=all_of(has_rule("S002", ["3"]), _hostile_title_copied_safely))


def _merged_title_once(r, case_dir: Path) -> None:
    wb, ws = _copy(r)
    row1 = [c.value for c in ws[1]]
    assert row1[2] == "东方技工学校2024年秋季学期学生名册" and not any(row1[3:]), row1[:12]
    assert ws["C5"].value == "合计" and ws["H5"].value == 2  # a total row keeps its numbers (学制 is a number field)


@case
def merged_title_filled_across_the_header(t: Path) -> Case:
    """A title merged over all columns (the loader fills it into every cell) shows once, as in the
    sheet; a total row under the records keeps its number."""
    title = "东方技工学校2024年秋季学期学生名册"
    rows = [[title] * len(ROSTER_HEADERS), ROSTER_HEADERS, roster_row("S1", "", make_id(seq="621")),
            roster_row("S2", "乙", make_id(seq="623")), ["合计", None, None, None, None, "2"]]
    p = _sheet(t / "名册.xlsx", rows)
    return Case([p], (1,), check=all_of(checked(rows=2), _merged_title_once))


def _money_without_amounts(r, case_dir: Path) -> None:
    wb = openpyxl.load_workbook(r.out / "report.xlsx")
    rows = list(wb["学校汇总"].iter_rows(values_only=True))
    start = next(i for i, x in enumerate(rows) if x[1] == "资助资金（按学校和学期：受助人数与金额）")
    first = rows[start + 3]
    assert first[1:4] == ("东方技工学校", "2024秋", 2) and first[4] is None
    assert "免学费金额未填 2 行" in first[rows[start + 1].index("说明")]
    page = (r.out / "report.html").read_text(encoding="utf-8")
    assert "免学费金额未填 2 行" in page


@case
def aid_without_any_amount(t: Path) -> Case:
    """An aid list whose 金额 column is empty: recipients counted, no sum invented, the note says
    how many rows have no amount."""
    rows = [["学籍号", "姓名", "身份证号", "学校名称", "学期", "资助类型", "金额"],
            ["S1", "甲", make_id(seq="631"), "东方技工学校", "2024秋", "免学费", None],
            ["S2", "乙", make_id(seq="633"), "东方技工学校", "2024秋", "免学费", ""]]
    p = _sheet(t / "资助.xlsx", rows)
    return Case(["--aid", p, "--format", "xlsx,html,json,csv", "--fail-on", "never"], (0,),
                check=_money_without_amounts)
