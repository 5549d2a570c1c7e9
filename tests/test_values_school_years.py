"""A term cell that names only a school year (2024-2025学年, 2024学年): a value a school writes on
purpose (a year's grant in one row), read as a school year, so no S007; but no term either, so the
rules that need a term do not judge the row and count it as not judged, under its own reason."""

from __future__ import annotations

import openpyxl
import polars as pl
import pytest

from conftest import ROSTER_HEADERS, make_id, roster_row, write_xlsx
from xueji_check import normalize as nz

AS_OF = ("--as-of", "2025-06-30")
AID_HEAD = ["学籍号", "姓名", "身份证号", "学校名称", "学期", "资助类型", "金额(元)", "申报日期"]
A, B, C = make_id(seq="101"), make_id(seq="103"), make_id(seq="105")
REASON = "学期只写了学年、没有写哪个学期"

SCHOOL_YEARS = {"2024-2025学年": 2024, "2024/2025学年度": 2024, "24-25学年": 2024, "2024学年": 2024,
                "2024学年度": 2024, "2024-2025学年（全年）": 2024, "2024-2025学年全年": 2024,
                # messy: full-width, spaces around and inside, Chinese numerals, other dashes
                "２０２４－２０２５学年": 2024, " 2024 - 2025 学年 ": 2024, "二〇二四-二〇二五学年": 2024,
                "2024—2025学年": 2024, "2024至2025学年": 2024}
NOT_SCHOOL_YEARS = ["2024-2026学年", "2025-2024学年", "2024-2025", "2024年", "2024", "2024-2025年度",
                    "2024-2025学年(24秋)", "2024-2025学年第三学期", "学年", "2024-2025学年上下"]


def terms(values):
    lf = pl.DataFrame({"v": values}, schema={"v": pl.String}).lazy()
    return nz.add_term_columns(lf, "v", "term").collect()


def test_a_school_year_is_read_as_one_and_not_as_a_term():
    out = terms(list(SCHOOL_YEARS))
    assert out["term__school_year"].to_list() == list(SCHOOL_YEARS.values())
    assert out["term"].null_count() == len(SCHOOL_YEARS)


@pytest.mark.parametrize("text", NOT_SCHOOL_YEARS)
def test_near_misses_are_no_school_year(text):
    out = terms([text]).row(0, named=True)
    assert out["term__school_year"] is None, text


def test_a_term_is_never_also_a_school_year():
    out = terms(["2024-2025学年第一学期", "2024学年第二学期", "2024秋"])
    assert out["term"].to_list() == ["2024秋", "2025春", "2024秋"]
    assert out["term__school_year"].null_count() == 3


def aid_row(sid, name, idn, term, amount="1000", apply="2024-10-15"):
    return [sid, name, idn, "东方技工学校", term, "国家助学金", amount, apply]


def roster(tmp_path):
    rows = [roster_row("D1", "张一", A), roster_row("D2", "李二", B), roster_row("D3", "王三", C)]
    return write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS, *rows])


def test_school_year_rows_have_no_s007_and_are_counted_as_not_judged(tmp_path, cli):
    aid = write_xlsx(tmp_path / "资助.xlsx", [AID_HEAD,
                                            aid_row("D1", "张一", A, "2024-2025学年", amount="3000"),
                                            aid_row("D1", "张一", A, " ２０２４－２０２５学年（全年）", amount="3000"),
                                            aid_row("D2", "李二", B, "2024学年", amount="2000"),
                                            aid_row("D3", "王三", C, "2024秋")])
    r = cli("check", "--roster", roster(tmp_path), "--aid", aid, *AS_OF)
    assert r.rule("S007").height == 0, r.rule("S007").select("row", "message").rows()
    # a year's amount is no amount above a term's standard; two rows of one school year are no
    # double payment in one term: neither is judged
    assert r.rule("A308").height == 0 and r.rule("A304").height == 0, r.findings.select("rule_id", "row").rows()
    unjudged = r.json["run"]["unjudged"]
    for rid in ("A303", "A304", "A305", "A306", "A307", "A308"):
        assert unjudged[rid]["reasons"] == {REASON: 3}, (rid, unjudged)
    assert f"A308 3 行（{REASON}：3 行）" in r.stdout


def test_a_school_year_that_is_none_is_still_s007_and_unreadable(tmp_path, cli):
    aid = write_xlsx(tmp_path / "资助.xlsx", [AID_HEAD,
                                            aid_row("D1", "张一", A, "2024-2026学年"),
                                            aid_row("D2", "李二", B, "2024-2025学年"),
                                            aid_row("D3", "王三", C, "2024-2025年度")])
    r = cli("check", "--roster", roster(tmp_path), "--aid", aid, *AS_OF)
    assert r.rule("S007")["row"].to_list() == ["2", "4"]
    assert r.json["run"]["unjudged"]["A308"]["reasons"] == {REASON: 1, "学期无法识别或为空": 2}


def test_money_table_shows_a_school_year_as_its_own_line(tmp_path, cli):
    aid = write_xlsx(tmp_path / "资助.xlsx", [AID_HEAD,
                                            aid_row("D1", "张一", A, "2024-2025学年", amount="2000"),
                                            aid_row("D2", "李二", B, "2024.09")])
    r = cli("check", "--roster", roster(tmp_path), "--aid", aid, *AS_OF, "--format", "xlsx")
    ws = openpyxl.load_workbook(r.out / "report.xlsx")["学校汇总"]
    terms_shown = [row[2] for row in ws.iter_rows(values_only=True)
                   if row[1] == "东方技工学校" and isinstance(row[2], str) and "学" in row[2]]
    assert sorted(terms_shown) == ["2024-2025学年", "（学期无法识别）"]
