"""Normalisers: IDs (GB 11643), dates in every DATA.md format, numbers, yes/no, terms, enums."""

from __future__ import annotations

import datetime as dt

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from xueji_check import normalize as nz
from xueji_check.normalize import check_digit_py, normalise_id

AS_OF = dt.date(2026, 11, 29)


def one(expr, value):
    return pl.DataFrame({"v": [value]}, schema={"v": pl.String}).select(expr(pl.col("v")).alias("o"))["o"][0]


def test_known_valid_id_and_check_digit():
    # GB 11643 example: 11010519491231002X
    assert check_digit_py("11010519491231002") == "X"
    out = normalise_id(["11010519491231002X"], AS_OF).row(0, named=True)
    assert out == {"id": "11010519491231002X", "status": "ok", "birth": dt.date(1949, 12, 31), "gender": "女",
                   "key": "11010519491231002X", "doc": None}


def test_id_messy_forms_normalise_to_one_key():
    forms = ["11010519491231002x", " 110105 19491231 002X ", "１１０１０５１９４９１２３１００２Ｘ", "110105491231002"]
    out = normalise_id(forms, AS_OF)
    assert out["id"].to_list() == ["11010519491231002X"] * 4
    assert out["status"].to_list() == ["ok"] * 4


def test_id_failures_are_classified():
    out = normalise_id(["4.10105E+17", "410105200801011328", "11010519491231002", "1101051949123100AX",
                        "110105194913310028", "110105194912310021", None], AS_OF)
    assert out["status"].to_list() == ["numeric", "numeric", "length", "chars", "birth", "check", "empty"]
    assert out["id"].null_count() == 7


ids = st.builds(
    lambda region, birth, seq: f"{region}{birth:%Y%m%d}{seq:03d}",
    st.integers(110000, 659999).map(str), st.dates(dt.date(1920, 1, 1), dt.date(2020, 12, 31)), st.integers(0, 999),
)


@settings(max_examples=150, deadline=None)
@given(ids)
def test_property_any_valid_id_round_trips(body):
    idn = body + check_digit_py(body)
    out = normalise_id([idn, idn.lower(), " " + idn], AS_OF)
    assert out["status"].to_list() == ["ok"] * 3
    assert out["id"].to_list() == [idn] * 3
    assert out["birth"][0] == dt.date(int(body[6:10]), int(body[10:12]), int(body[12:14]))


@settings(max_examples=150, deadline=None)
@given(ids, st.integers(0, 9))
def test_property_a_wrong_check_digit_is_caught(body, wrong):
    good = check_digit_py(body)
    bad = str(wrong) if str(wrong) != good else ("X" if good != "X" else "0")
    assert normalise_id([body + bad], AS_OF)["status"][0] in ("check", "numeric")


@settings(max_examples=100, deadline=None)
@given(st.dates(dt.date(1950, 1, 1), dt.date(2099, 12, 31)))
def test_property_every_date_format_parses(d):
    serial = (d - dt.date(1899, 12, 30)).days
    forms = [f"{d:%Y-%m-%d}", f"{d.year}/{d.month}/{d.day}", f"{d:%Y.%m.%d}", f"{d:%Y%m%d}",
             f"{d.year}年{d.month}月{d.day}日", f"{d:%Y-%m-%d} 00:00:00", str(serial)]
    df = pl.DataFrame({"v": forms}).select(nz.date_struct(pl.col("v")).alias("s")).unnest("s")
    assert df["date"].to_list() == [d] * len(forms)
    assert not any(df["ym_only"].to_list())


def test_year_month_only_is_first_of_month_and_marked():
    df = pl.DataFrame({"v": ["2018年9月", "2018-09", "2018.9"]}).select(nz.date_struct(pl.col("v")).alias("s")).unnest("s")
    assert df["date"].to_list() == [dt.date(2018, 9, 1)] * 3
    assert df["ym_only"].to_list() == [True] * 3


def test_year_dot_one_is_january_or_october_and_not_guessed():
    """2024.10 typed into a number cell is stored as 2024.1: the month cannot be told."""
    df = pl.DataFrame({"v": ["2024.1", "2024.10", "2024.2", "2024年1月"]}).select(nz.date_struct(pl.col("v")).alias("s")).unnest("s")
    assert df["date"].to_list() == [None, dt.date(2024, 10, 1), dt.date(2024, 2, 1), dt.date(2024, 1, 1)]
    tbl = nz.add_date_columns(pl.LazyFrame({"v": ["2024.1", "2024.11"]}), "v", "d").collect()
    assert tbl["d"].to_list() == [None, dt.date(2024, 11, 1)]


def test_unreadable_dates_are_null():
    df = pl.DataFrame({"v": ["2018-13-01", "九月一日", "2018-02-30", "abc"]}).select(
        nz.date_struct(pl.col("v")).alias("s")).unnest("s")
    assert df["date"].null_count() == 4


def test_program_years_numbers():
    vals = ["3", "3年", "三年", "2.5年", "两年半", "0.5", "半年", "x"]
    got = pl.DataFrame({"v": vals}).select(nz.number(pl.col("v")))["v"].to_list()
    assert got == [3.0, 3.0, 3.0, 2.5, 2.5, 0.5, 0.5, None]


def test_program_years_in_parts_read_as_their_sum_only_where_the_field_says_so():
    vals = ["2+1", "2年+1年", "３＋２", "二+一", "2.5+0.5", "3", "2+1+1", "2-3", "+1", "1000+500"]
    df = pl.DataFrame({"v": vals})
    summed = df.select(nz.number(pl.col("v"), sum_parts=True))["v"].to_list()
    assert summed == [3.0, 3.0, 5.0, 3.0, 3.0, 3.0, None, None, 1.0, 1500.0]
    plain = df.select(nz.number(pl.col("v")))["v"].to_list()
    assert plain == [None, None, None, None, None, 3.0, None, None, 1.0, None]


def test_yes_no_words():
    vals = ["是", "Y", "√", "1", "否", "N", "×", "0", "也许", None]
    got = pl.DataFrame({"v": vals}).select(nz.yes_no(pl.col("v")).alias("v"))["v"].to_list()
    assert got == [True, True, True, True, False, False, False, False, None, None]


def test_terms():
    vals = ["2018年春季学期", "2018春", "2018秋季", "2018-2019学年第一学期", "2018-2019学年第二学期", "二〇一八", None]
    df = pl.DataFrame({"v": vals}).select(nz.term_struct(pl.col("v")).alias("t")).unnest("t")
    assert df["label"].to_list() == ["2018春", "2018春", "2018秋", "2018秋", "2019春", None, None]
    assert df["season"].to_list()[:5] == ["spring", "spring", "autumn", "autumn", "spring"]


def test_enum_synonyms_and_unknown_values_kept():
    got = pl.DataFrame({"v": ["在籍", " 正常 ", "在校", "半日制"]}).select(
        nz.enum_value(pl.col("v"), ("在校",), {"在籍": "在校", "正常": "在校"}).alias("v"))["v"].to_list()
    assert got == ["在校", "在校", "在校", "半日制"]


def test_grade_year():
    got = pl.DataFrame({"v": ["一年级", "2", "2018级", "三年级"]}).select(nz.grade_year(pl.col("v")).alias("v"))["v"].to_list()
    assert got == [1, 2, None, 3]


def test_mask_id():
    got = pl.DataFrame({"v": ["11010519491231002X", "1234", None]}).select(nz.mask_id(pl.col("v")).alias("v"))["v"].to_list()
    assert got == ["110105********002X", "****", None]


def test_yes_no_words_of_photo_columns():
    vals = ["已采集", "有照片", "已拍摄", "未采集", "待采集", "无照片", "采集中"]
    got = pl.DataFrame({"v": vals}).select(nz.yes_no(pl.col("v")).alias("v"))["v"].to_list()
    assert got == [True, True, True, False, False, False, None]


def test_dates_with_a_time_both_paths():
    """The time after a date is dropped while the spaces are there (both the staged table path and
    the expression path): a one-digit day followed by a two-digit hour is not a two-digit day. A
    date and time run together without a space is not guessed at."""
    cases = {"2024/12/2 10:15": dt.date(2024, 12, 2), "2025/3/5 14:00": dt.date(2025, 3, 5),
             "2024-10-1 10:30": dt.date(2024, 10, 1), "2024年9月2日 10:00": dt.date(2024, 9, 2),
             "2024年12月2日10时": dt.date(2024, 12, 2), "2024年9月2日10点30分": dt.date(2024, 9, 2),
             "2024/9/2 下午3:00": dt.date(2024, 9, 2), "2024/9/2 3:00 PM": dt.date(2024, 9, 2),
             "2024-10-16 00:00:00.000": dt.date(2024, 10, 16), "２０２４/１２/２ １０：１５": dt.date(2024, 12, 2),
             "2024-09-01T10:00:00+08:00": dt.date(2024, 9, 1), "2024/12/210:15": None, "2024/12/2 10": None,
             # a time zone after the time (a Parquet export's aware datetimes), found by review
             "2024-12-02 10:15:00.000000+08:00": dt.date(2024, 12, 2), "2024-12-02 10:15:00 +0800": dt.date(2024, 12, 2),
             "2024-12-2 10:15:00 UTC": dt.date(2024, 12, 2), "2024/12/2T10:15Z": dt.date(2024, 12, 2)}
    df = pl.DataFrame({"v": list(cases)})
    expr = df.select(nz.date_struct(pl.col("v")).struct.field("date"))["date"].to_list()
    staged = nz.add_date_columns(df.lazy(), "v", "d").collect()["d"].to_list()
    assert expr == list(cases.values()) and staged == list(cases.values()), (expr, staged)
