"""The term's year given only in the title: an aid sheet titled 2024年秋季学期国家助学金发放名单 whose
学期 column says only 秋季学期/秋 (or that has no 学期 column). The title's term is used only when the
title names exactly one term (or one school year); a cell must agree with the title's season."""

from __future__ import annotations

import polars as pl
import pytest

from conftest import ROSTER_HEADERS, make_id, roster_row, write_xlsx
from xueji_check import normalize as nz

AS_OF = ("--as-of", "2025-06-30")
HEAD = ["学籍号", "姓名", "身份证号", "学校名称", "学期", "资助类型", "金额(元)", "申报日期"]
A, B, C = make_id(seq="101"), make_id(seq="103"), make_id(seq="105")


@pytest.mark.parametrize(("title", "want"), [
    ("2024年秋季学期国家助学金发放名单", ("2024秋", None)),
    ("２０２４年秋季学期国家助学金发放名单", ("2024秋", None)),            # full-width digits
    ("  2024 年 秋季学期 国家助学金发放名单 ", ("2024秋", None)),           # spaces
    ("东方技工学校2025年春季学期免学费名单（制表日期：2025年3月10日）", ("2025春", None)),
    ("2024/2025学年第1学期国家助学金", ("2024秋", None)),
    ("2024年秋季学期（24秋）国家助学金", ("2024秋", None)),               # the same term twice
    ("2024-2025学年国家助学金发放名单", (None, 2024)),
    # near misses: two terms, two school years, a year alone, no term
    ("2024年秋季及2025年春季学期国家助学金", (None, None)),
    ("2024-2025学年、2025-2026学年国家助学金", (None, None)),
    ("2024年国家助学金发放名单", (None, None)),
    ("2024-2026学年国家助学金", (None, None)),
    ("东方技工学校资助发放表", (None, None)),
    # review: a second term written without its year had been lost (2024春 alone, 2024秋 alone)
    ("东方技工学校2024年春、秋季学期国家助学金发放名单", (None, None)),
    ("东方技工学校2024-2025学年第一学期、第二学期国家助学金发放名单", (None, None)),
    ("2024-2025学年第一、二学期国家助学金", (None, None)),
    ("2024-2025学年上学期和下学期国家助学金", (None, None)),
    ("2024年春秋两季国家助学金", (None, None)),
    ("2024年秋季学期（上学期）国家助学金", ("2024秋", None)),  # the same term twice is one
    ("2024年春、秋季国家助学金", (None, None)),
    # review: a batch (第二期, 第1、2期) or a class (春季高考班, 秋季入学) is no second term
    ("2024年秋季学期国家助学金第二期发放名单", ("2024秋", None)),
    ("2025年春季学期国家助学金第一期发放名单", ("2025春", None)),
    ("2024年秋季学期国家助学金 第1、2期", ("2024秋", None)),
    ("2024年秋季学期国家助学金发放名单（春季高考班）", ("2024秋", None)),
    ("2025年春季学期国家助学金发放名单（秋季入学新生）", ("2025春", None)),
])
def test_the_one_term_a_title_names(title, want):
    assert nz.title_term([title]) == want


def completed(values, label, school_year):
    df = pl.DataFrame({"v": values}, schema={"v": pl.String})
    return df.select(nz.term_from_title(pl.col("v"), label, school_year).alias("o"))["o"].to_list()


def test_season_only_cells_take_the_title_term_when_they_agree():
    cells = ["秋季学期", "秋季", "秋", " 秋 季 ", "第一学期", "第1学期", "上学期", "春季学期", "下学期", "2025春", "abc", None]
    assert completed(cells, "2024秋", None) == ["2024秋"] * 7 + ["春季学期", "下学期", "2025春", "abc", None]
    assert completed(cells, None, 2024) == ["2024秋"] * 7 + ["2025春", "2025春", "2025春", "abc", None]
    assert completed(cells, None, None) == cells


def roster(tmp_path):
    rows = [roster_row("D1", "张一", A), roster_row("D2", "李二", B), roster_row("D3", "王三", C)]
    return write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS, *rows])


def row(sid, name, idn, term, amount="1000", apply="2024-10-15"):
    return [sid, name, idn, "东方技工学校", term, "国家助学金", amount, apply]


def test_season_only_cells_under_a_one_term_title_are_read_and_judged(tmp_path, cli):
    aid = write_xlsx(tmp_path / "资助.xlsx", [HEAD,
                                            row("D1", "张一", A, "秋季学期", amount="2000"),
                                            row("D2", "李二", B, "秋"),
                                            row("D2", "李二", B, " 秋季 ", apply="2024-10-20"),
                                            row("D3", "王三", C, "2024秋")],
                     title="2024年秋季学期国家助学金发放名单")
    r = cli("check", "--roster", roster(tmp_path), "--aid", aid, *AS_OF)
    assert r.rule("S007").height == 0, r.rule("S007").select("row", "message").rows()
    assert r.rule("A308")["row"].to_list() == ["3"]             # judged as 2024秋: 2000 > 1500
    assert r.rule("A304")["row"].to_list() == ["4", "5"]        # the same term twice
    assert "2024年秋季学期" in r.rule("A304")["message"][0]
    assert "unjudged" not in r.json["run"] or not r.json["run"]["unjudged"]
    assert "「学期」列有 3 行只写了秋季/春季或第几学期" in r.stdout + r.stderr and "「2024年秋季学期」读取" in r.stdout + r.stderr


def test_a_school_year_title_gives_each_season_its_term(tmp_path, cli):
    aid = write_xlsx(tmp_path / "资助.xlsx", [HEAD,
                                            row("D1", "张一", A, "第一学期"),
                                            row("D1", "张一", A, "第二学期", apply="2025-03-10"),
                                            row("D2", "李二", B, "秋季学期"),
                                            row("D2", "李二", B, "2024秋", apply="2024-10-20")],
                     title="2024-2025学年国家助学金发放名单")
    r = cli("check", "--roster", roster(tmp_path), "--aid", aid, *AS_OF)
    assert r.rule("S007").height == 0
    # 李二's 秋季学期 is 2024秋 (rows 5, 6: twice); 张一's 第一学期 and 第二学期 are 2024秋 and 2025春
    assert r.rule("A304")["row"].to_list() == ["5", "6"]


@pytest.mark.parametrize("title", [None, "2024年秋季及2025年春季学期国家助学金发放名单", "东方技工学校2024年国家助学金发放名单"])
def test_without_one_term_in_the_title_season_only_cells_stay_unreadable(title, tmp_path, cli):
    aid = write_xlsx(tmp_path / "资助.xlsx", [HEAD, row("D1", "张一", A, "秋季学期"), row("D2", "李二", B, "秋")],
                     title=title)
    r = cli("check", "--roster", roster(tmp_path), "--aid", aid, *AS_OF)
    assert r.rule("S007")["row"].to_list() == (["2", "3"] if title is None else ["3", "4"])
    assert "只写了秋季/春季" not in r.stdout + r.stderr + r.stderr


def test_a_cell_of_the_other_season_is_not_read_as_the_title_term(tmp_path, cli):
    aid = write_xlsx(tmp_path / "资助.xlsx", [HEAD, row("D1", "张一", A, "春季学期"), row("D2", "李二", B, "秋季")],
                     title="2024年秋季学期国家助学金发放名单")
    r = cli("check", "--roster", roster(tmp_path), "--aid", aid, *AS_OF)
    assert r.rule("S007")["row"].to_list() == ["3"]
    assert "「学期」列有 1 行" in r.stdout + r.stderr


def no_term(rows):
    i = HEAD.index("学期")
    return [[v for j, v in enumerate(r) if j != i] for r in rows]


def test_an_aid_sheet_without_a_term_column_takes_the_title_term(tmp_path, cli):
    aid = write_xlsx(tmp_path / "资助.xlsx", no_term([HEAD, row("D1", "张一", A, "", amount="2000"),
                                                     row("D2", "李二", B, ""),
                                                     row("D2", "李二", B, "", apply="2024-10-20")]),
                     title=" ２０２４年秋季学期国家助学金发放名单 ")
    r = cli("check", "--roster", roster(tmp_path), "--aid", aid, *AS_OF)
    assert r.rule("S001").height == 0, r.rule("S001").select("message").rows()
    assert r.rule("A308")["row"].to_list() == ["3"]
    assert r.rule("A304")["row"].to_list() == ["4", "5"]
    assert "表中没有「学期」列，各行按标题中的学期「2024年秋季学期」检查" in r.stdout + r.stderr


@pytest.mark.parametrize("title", [None, "2024年秋季及2025年春季学期国家助学金发放名单", "2024-2025学年国家助学金发放名单",
                                   "东方技工学校2024年春、秋季学期国家助学金发放名单",
                                   "东方技工学校2024-2025学年第一学期、第二学期国家助学金发放名单"])
def test_without_one_term_in_the_title_a_missing_term_column_is_still_s001(title, tmp_path, cli):
    aid = write_xlsx(tmp_path / "资助.xlsx", no_term([HEAD, row("D1", "张一", A, "")]), title=title)
    r = cli("check", "--roster", roster(tmp_path), "--aid", aid, *AS_OF)
    assert r.rule("S001").height == 1 and "学期" in r.rule("S001")["message"][0]
    assert "各行按标题中的学期" not in r.stdout + r.stderr + r.stderr
