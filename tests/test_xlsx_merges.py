"""Merged ranges: the top-left value fills the empty cells of its range (what a person sees),
vectorised, bounded by the sheet's cells; ranges that overlap (Excel never saves that) are
reported and left alone; hundreds of thousands of ranges take seconds."""

from __future__ import annotations

import subprocess
import sys

import polars as pl

from bad_inputs.cases_xlsx import Sheet, cell, raw_xlsx, roster_table, row, table_rows
from xueji_check.load.model import Problem
from xueji_check.load.xlsx import SheetScan, _apply_merges, read_excel_bytes


def _scan(*merges: tuple[int, int, int, int]) -> SheetScan:
    frame = pl.DataFrame(list(merges), schema={k: pl.Int64 for k in ("r0", "c0", "r1", "c1")}, orient="row")
    return SheetScan(merge_parts=[frame], merge_count=frame.height)


def _frame(rows: list[list]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={f"c{i}": pl.String for i in range(len(rows[0]))}, orient="row")


def test_top_left_value_fills_only_the_empty_cells_of_its_range():
    df = _frame([["甲", None, "x"], [None, "", "y"], [None, "已填", None], ["z", None, None]])
    out, n, warning = _apply_merges(df, _scan((0, 0, 2, 1), (0, 2, 0, 2), (3, 0, 3, 2)))
    assert warning is None and n == 2  # a one-cell range is no merge
    assert out.rows() == [("甲", "甲", "x"), ("甲", "甲", "y"), ("甲", "已填", None), ("z", "z", "z")]


def test_ranges_past_the_sheet_are_clipped_and_empty_top_left_fills_nothing():
    df = _frame([[None, "b"], ["c", None]])
    out, n, _ = _apply_merges(df, _scan((0, 0, 5, 0), (1, 0, 1_048_575, 16_383), (7, 7, 9, 9)))
    assert n == 1 and out.rows() == [(None, "b"), ("c", "c")]


def test_overlapping_ranges_are_reported_and_left_alone():
    df = _frame([["a", None], [None, None]])
    out, n, warning = _apply_merges(df, _scan(*[(0, 0, 1, 1)] * 5))
    assert n == 0 and out.equals(df) and "重叠" in warning


def test_merges_in_a_table_that_starts_at_c4_fill_the_sheets_own_cells(tmp_path):
    rows = roster_table(4)
    for r in rows[2:]:
        r[4] = None  # 学校名称 typed once, merged over the school's rows
    body = row(1, cell("C1", "名册")) + table_rows(rows, top=4, left=2)
    path = raw_xlsx(tmp_path / "x.xlsx", Sheet(body, merges=["G5:G8", "C1:K2"]))
    problems: list[Problem] = []
    [sheet] = read_excel_bytes(path.read_bytes(), path.name, problems)
    school = sheet.frame.get_column("c6").to_list()
    assert school[:4] == ["名册", "名册", None, "学校名称"]
    assert school[4:8] == ["东方技工学校"] * 4
    assert sheet.frame.get_column("c4").to_list()[1] == "名册"  # C1:K2 spreads the title over row 2
    assert any("2 处合并单元格" in p.message for p in problems)


def test_three_hundred_thousand_ranges_take_seconds_not_minutes(tmp_path):
    """A hang guard, not a timing: the old loop took minutes on this file."""
    rows = roster_table(600)
    body = table_rows(rows)
    merges = [f"J{r}:J{r + 1}" for r in range(1, 600_000, 2)]
    path = raw_xlsx(tmp_path / "m.xlsx", Sheet(body, merges=merges))
    code = ("import sys; from xueji_check.load.xlsx import read_excel_bytes; p=[]; "
            "s=read_excel_bytes(open(sys.argv[1],'rb').read(),'m',p); print(s[0].frame.shape)")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and "(601, 9)" in out.stdout, out.stderr
