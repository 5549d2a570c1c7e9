"""Workbooks that would make calamine lay out a grid of billions of cells (and abort the whole
process): their extent is measured from the sheet XML and they are refused before calamine
sees them; real sheets, also wide or formatted far away, are read as before."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bad_inputs.cases_xlsx import Sheet, cell, raw_xlsx, roster_table, row, table_rows
from conftest import ROSTER_HEADERS, make_id, roster_row
from xueji_check.load.model import Problem
from xueji_check.load.xlsx import (
    UNMAPPED,
    SheetScan,
    _as_text,
    _refused,
    _Scanner,
    read_excel_bytes,
    scan_zip,
)

TABLE = table_rows(roster_table(3))


def _read(path: Path) -> tuple[list, list[Problem]]:
    problems: list[Problem] = []
    with path.open("rb") as fh:
        sheets = read_excel_bytes(fh, path.name, problems)
    return sheets, problems


def test_a_far_cell_does_not_end_the_run_and_the_good_file_is_checked(tmp_path):
    """The process itself (a subprocess: an abort would take pytest with it) finishes, names
    the refused file and its farthest cell, checks the other file, and exits 1 (a finding)."""
    folder = tmp_path / "in"
    raw_xlsx(folder / "a_远处.xlsx", Sheet(TABLE + row(1048576, cell("XFD1048576", "x"))))
    raw_xlsx(folder / "b_名册.xlsx", Sheet(table_rows(roster_table(3, planted_empty_name=True))))
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "200"}
    p = subprocess.run([sys.executable, "-m", "xueji_check", "check", str(folder), "--as-of", "2025-01-01",
                        "--out", str(out), "--format", "csv,json"], capture_output=True, text=True, timeout=600, env=env)
    text = p.stdout + p.stderr
    assert p.returncode == 1, text  # README: 1 = findings at --fail-on; the far file is named, not fatal
    assert "Traceback" not in text and "panicked" not in text and "memory allocation" not in text, text
    assert "a_远处.xlsx" in text and "XFD1048576" in text and "数据区域过大" in text, text
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    by_name = {Path(i["path"]).name if "path" in i else Path(i["display"]).name: i for i in doc["run"]["inputs"]}
    good = next(i for name, i in by_name.items() if "名册" in name)
    assert good["readable"] and good["rows"] == 3


@pytest.mark.parametrize(("name", "body", "expect"), [
    ("far value", TABLE + row(1048576, cell("XFD1048576", "x")), "XFD1048576"),
    ("lower-case reference", TABLE + row(1048576, '<c r="xfd1048576" t="inlineStr"><is><t>x</t></is></c>'),
     "XFD1048576"),
    ("quotes and blanks", TABLE + "<row r = '1048576'><c  r = 'XFD1048576'\tt='inlineStr'><is><t>x</t></is></c></row>",
     "XFD1048576"),
    ("far row first", row(1048576, cell("AD1048576", "x")) + TABLE, "AD1048576"),
    ("far value in a formula cell", TABLE + row(1048576, cell("XFD1048576", formula="A1&B1")), "XFD1048576"),
    ("far down in a wide table", TABLE + row(1048576, cell("A1048576", "x")) + row(5, cell("AD5", "y")), "A1048576"),
])
def test_a_grid_past_what_the_xml_holds_is_refused_naming_its_farthest_cell(tmp_path, name, body, expect):
    sheets, problems = _read(raw_xlsx(tmp_path / "x.xlsx", Sheet(body)))
    assert sheets == []
    [p] = problems
    assert p.level == "error" and p.sheet == "学籍名册" and "数据区域过大" in p.message and expect in p.message, p.message
    assert "删除" in p.message


@pytest.mark.parametrize(("body", "expect"), [
    (TABLE + row(9, cell("ZZZZ9", "x")), "ZZZZ9"),
    (TABLE + row(9, cell("XFE9", "x")), "XFE9"),
    (TABLE + row(9, '<c r="A1048577" t="inlineStr"><is><t>x</t></is></c>'), "A1048577"),
    (TABLE + row(9, '<c r="A99999999999" t="inlineStr"><is><t>x</t></is></c>'), "A99999999999"),
    ("<row>" + '<c t="inlineStr"><is><t>x</t></is></c>' * 16_385 + "</row>", "XFE1"),
])
def test_a_reference_past_xfd1048576_is_refused(tmp_path, body, expect):
    sheets, problems = _read(raw_xlsx(tmp_path / "x.xlsx", Sheet(body)))
    assert sheets == []
    assert len(problems) == 1 and "超出了 Excel 的范围" in problems[0].message and expect in problems[0].message


def test_cells_without_references_are_placed_as_calamine_places_them(tmp_path):
    """No r on cells: one after another in the row (an empty <c/> too); a row without r follows
    the previous one. 2,000 such cells and a row far below: refused. A small such sheet: read,
    its extent exact (as calamine lays it out)."""
    far = "<row>" + '<c t="inlineStr"><is><t>x</t></is></c>' * 2_000 + "</row>" + \
          '<row r="1048576"><c t="inlineStr"><is><t>y</t></is></c></row>'
    sheets, problems = _read(raw_xlsx(tmp_path / "far.xlsx", Sheet(far)))
    assert sheets == [] and "数据区域过大" in problems[0].message
    small = ('<row r="2"><c r="B2" t="inlineStr"><is><t>a</t></is></c><c t="inlineStr"><is><t>b</t></is></c>'
             '<c s="1"/><c t="inlineStr"><is><t>d</t></is></c></row>'
             '<row><c t="inlineStr"><is><t>e</t></is></c></row>')
    path = raw_xlsx(tmp_path / "small.xlsx", Sheet(small))
    scan = scan_zip(path.read_bytes())["学籍名册"]
    assert scan.no_ref and (scan.row_bound, scan.col_bound) == (2, 4)
    [sheet], problems = _read(path)
    assert problems == [] and sheet.frame.shape == (3, 5)
    assert sheet.frame.rows() == [(None,) * 5, (None, "a", "b", None, "d"), ("e",) + (None,) * 4]


@pytest.mark.parametrize(("name", "body", "shape"), [
    ("formatted far cells", TABLE + row(1048576, cell("XFD1048576", style=1), '<c r="XFC1048576"></c>',
                                        '<c r="XFB1048576"><v></v></c>'), (4, 9)),
    ("one wide row", row(1, cell("A1", "x"), cell("XFD1", "y")), (1, 16384)),
    ("one tall column", row(1, cell("A1", "x")) + row(200_000, cell("A200000", "y")), (200_000, 1)),
    ("a lying dimension", TABLE, (4, 9)),
])
def test_near_misses_are_read_as_before(tmp_path, name, body, shape):
    dim = "A1:XFD1048576" if name == "a lying dimension" else None
    [sheet], problems = _read(raw_xlsx(tmp_path / "x.xlsx", Sheet(body, dimension=dim)))
    assert problems == [] and sheet.frame.shape == shape


def test_a_real_table_of_thousands_of_rows_and_30_columns_is_read(tmp_path):
    headers = ROSTER_HEADERS + [f"备注{i}" for i in range(21)]
    rows = [headers] + [roster_row(f"S{i}", f"学生{i}", make_id(seq=f"{i % 900 + 100:03d}")) + [f"x{i}"] * 21
                        for i in range(3000)]
    [sheet], problems = _read(raw_xlsx(tmp_path / "x.xlsx", Sheet(table_rows(rows))))
    assert problems == [] and sheet.frame.shape == (3001, 30)


def test_extent_is_the_same_whatever_the_chunks():
    body = (TABLE + row(40, cell("AD40", "x")) + '<row r="900"><c r="B900" s="2"/></row>'
            + "".join(row(r, cell(f"C{r}", "y")) for r in range(1000, 1400)))  # 3-byte pieces: kept short
    xml = Sheet(body, merges=["A1:B2"]).xml().encode()

    def scan(size: int) -> SheetScan:
        s = _Scanner()
        for i in range(0, len(xml), size):
            s(xml[i:i + size])
        return s.close()

    for size in (3, 7, 100, 4095, 4096, 4097, 9000, len(xml)):
        sc = scan(size)
        assert sc.col_bound == 29 and 1399 <= sc.row_bound <= 1_048_575, size
        assert sc.refusal() is None and sc.invalid == [] and sc.merges == [(0, 0, 1, 1)], size


def test_a_sheet_part_no_sheet_name_points_at_is_still_measured():
    """A workbook whose relationships calamine may resolve differently: a scanned part that is
    not mapped to a sheet name still keeps an unmeasured sheet from calamine."""
    bad = SheetScan(invalid=["ZZZZ1"])
    assert "ZZZZ1" in _refused({UNMAPPED + "xl/worksheets/sheet9.xml": bad}, "任意")
    assert _refused({UNMAPPED + "xl/worksheets/sheet9.xml": SheetScan()}, "任意") is None


def test_an_odd_relationship_target_is_resolved(tmp_path):
    path = raw_xlsx(tmp_path / "x.xlsx", Sheet(TABLE + row(1048576, cell("XFD1048576", "x")),
                                                target="./worksheets/../worksheets/sheet1.xml"))
    scans = scan_zip(path.read_bytes())
    assert "学籍名册" in scans and scans["学籍名册"].refusal()
    with zipfile.ZipFile(path) as z:
        assert "xl/worksheets/sheet1.xml" in z.namelist()


def test_the_other_sheets_of_the_workbook_are_still_read(tmp_path, cli):
    path = raw_xlsx(tmp_path / "两表.xlsx", Sheet(table_rows(roster_table(3)), name="名册"),
                    Sheet(row(1, cell("A1", "x")) + row(1048576, cell("XFD1048576", "y")), name="草稿", state="hidden"))
    r = cli("check", "--roster", path, "--as-of", "2025-01-01", "--format", "csv,json")
    assert r.code in (0, 1), r.stderr  # the roster is checked; the refused sheet is named
    assert "草稿" in r.stderr and "数据区域过大" in r.stderr
    [inp] = r.json["run"]["inputs"]
    assert inp["readable"] and inp["rows"] == 3


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('<c r="A1">学生姓名😀é') + ["\n"]), max_size=60), st.data())
def test_a_piece_of_sheet_xml_cut_anywhere_is_searched_as_its_whole_characters(s, data):
    """The scanner searches pieces of XML cut at any byte: a character cut in two at either end
    is left out of that piece (the overlap brings it whole into the next one), every whole
    character is searched as it is; bytes that are no UTF-8 become U+FFFD."""
    b = s.encode()
    i = data.draw(st.integers(0, len(b)))
    j = data.draw(st.integers(i, len(b)))
    assert _as_text(b[i:j]).item() == b[i:j].decode("utf-8", errors="ignore")
    bad = b[:i] + b"\xff" + b[i:]
    assert _as_text(bad).item() == bad.decode("utf-8", errors="replace")
