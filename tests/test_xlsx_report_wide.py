"""report.xlsx for very wide inputs: annotated copies stay within Excel's 16,384 columns (a note
on 总览 says what was cut), a finding on a column past the cut points at its row's 问题 cell,
and wide copies are rendered from one long frame, byte for byte as the usual path."""

from __future__ import annotations

import datetime as dt
import re
import zipfile

import openpyxl

import xueji_check.report.excel as rx
from conftest import ROSTER_HEADERS, make_id, roster_row, write_csv
from xueji_check import engine
from xueji_check.policy import load_policy

RED = "FFC7CE"


def _wide_csv(path, extra: int, *, roster_first: bool = True):
    pad = [f"附加{i}" for i in range(extra)]
    rows = [ROSTER_HEADERS + pad if roster_first else pad + ROSTER_HEADERS]
    for i in range(1, 4):
        r = roster_row(f"S{i}", "" if i == 2 else f"学生{i}", make_id(seq=f"{100 + i:03d}"),
                       gender="男" if (100 + i) % 2 else "女")
        vals = [f"v{j}" for j in range(extra)]
        rows.append(r + vals if roster_first else vals + r)
    return write_csv(path, rows)


def test_a_copy_wider_than_excel_is_cut_with_a_note(tmp_path, cli):
    src = _wide_csv(tmp_path / "宽表.csv", 20_000)
    r = cli("check", "--roster", src, "--as-of", "2025-01-01", "--format", "xlsx,csv")
    assert r.code == 1, r.stderr
    with zipfile.ZipFile(r.out / "report.xlsx") as z:
        sheet4 = z.read("xl/worksheets/sheet4.xml").decode()
    assert re.search(r'<dimension ref="A1:XFD4"', sheet4)
    assert not re.search(r'<c r="(?:XF[E-Z]|X[G-Z][A-Z]|[Y-Z][A-Z]{2}|[A-Z]{4})\d', sheet4)
    wb = openpyxl.load_workbook(r.out / "report.xlsx")
    copy = wb[wb.sheetnames[3]]
    assert copy.max_column == 16_384 and copy.cell(1, 16_384).value == "附加16372"
    name = copy.cell(3, 2 + ROSTER_HEADERS.index("姓名") + 1)
    assert name.fill.fgColor.rgb.endswith(RED) and "S002" in name.comment.text
    notes = [row[1] for row in wb["总览"].iter_rows(values_only=True) if row[0] == "说明"]
    assert any("列数上限" in n and "16,382" in n and "3,627" in n for n in notes), notes


def test_a_finding_on_a_column_past_the_cut_points_at_its_rows_problem_cell(tmp_path, cli):
    src = _wide_csv(tmp_path / "宽表.csv", 17_000, roster_first=False)
    r = cli("check", "--roster", src, "--as-of", "2025-01-01", "--format", "xlsx,csv")
    wb = openpyxl.load_workbook(r.out / "report.xlsx")
    copy = wb[wb.sheetnames[3]]
    [link] = [row[0].hyperlink.location for row in wb["问题清单"].iter_rows(min_row=2) if row[1].value == "S002"]
    assert link.endswith("!A3")
    problem = copy["A3"]
    assert "S002" in problem.value and problem.fill.fgColor.rgb.endswith(RED)
    assert "S002" in problem.comment.text  # its item is in the row's comment, the cell is not in the copy


# personal numbers typed into a free-text cell, in the shapes pii.py masks (grouped, separated,
# full-width, an invisible character inside)
SHAPES = ["联系 139-1234-5678", "身份证 410105 20080104 1241", "卡号 6222 0212 3456 7890 123",
          "４１０１０５２００８０１０４１２４１", "110101\u200b200801041241", "+86 139 1234 5678"]


def test_wide_copies_are_written_as_the_usual_path_writes_them(tmp_path, monkeypatch):
    """Same workbook from both paths: escapes, whitespace, masking (the ID column, the personal
    columns, numbers of any shape in other cells), styled empty cells, the rows above the header
    and below the records."""
    rows = [["某技工学校学籍名册 联系人 13912345678"], ROSTER_HEADERS + ["家庭住址", "联系电话", "备注"] + [f"附加{i}" for i in range(30)]]
    for i in range(1, 40):
        r = roster_row(f"S{i}", "" if i % 7 == 0 else f"学生{i}", make_id(seq=f"{100 + i:03d}") if i % 5 else "12345",
                       gender="男" if (100 + i) % 2 else "女")
        rows.append(r + [f"北京市 {i}号 ", "13812345678", SHAPES[i % len(SHAPES)]]
                    + [(f" v{j}&<x_x0041_\r" if (i + j) % 3 else "") for j in range(30)])
    rows.append(["制表人：王老师 13912345678 身份证 410105 20080104 1241"])
    src = write_csv(tmp_path / "x.csv", rows)
    policy = load_policy(None)
    res = engine.run([], {"roster": [src]}, policy, dt.date(2025, 1, 1))
    doc = {"run": {"parameters": {}}}
    assert res.findings.height > 5
    rx.write_report(res.findings, res, doc, tmp_path / "usual.xlsx", policy=policy)
    monkeypatch.setattr(rx, "WIDE_COPY_COLS", 0)
    rx.write_report(res.findings, res, doc, tmp_path / "wide.xlsx", policy=policy)
    with zipfile.ZipFile(tmp_path / "usual.xlsx") as a, zipfile.ZipFile(tmp_path / "wide.xlsx") as b:
        assert a.namelist() == b.namelist()
        for n in a.namelist():
            if n.startswith("xl/"):
                assert a.read(n) == b.read(n), n
        shown = b.read("xl/worksheets/sheet4.xml").decode()
    for leak in ("1234-5678", "1234 5678", "20080104", "3456 7890", "２００８０１０４", "13912345678", "13812345678"):
        assert leak not in shown, leak
    assert "139****5678" in shown and "410105 ******** 1241" in shown and "6222 **** **** **** 123" in shown
