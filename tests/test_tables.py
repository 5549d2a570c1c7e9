"""Normalising whole tables: the per-value path (big tables) gives exactly what the row-wise
path gives, and stacked small tables come out in table order with their own file, sheet, row."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xueji_check import tables as T
from xueji_check.load import Table
from xueji_check.spec import all_kinds

AS_OF = dt.date(2019, 6, 30)

AID_HEADERS = {"student_id": "c0", "name": "c1", "id_number": "c2", "term": "c3", "aid_type": "c4",
               "amount": "c5", "apply_date": "c6", "pay_date": "c7", "pay_method": "c8", "signed": "c9"}
# Messy values of every repeating type, nulls and unreadable ones included.
MESSY = [
    ["S1", "张三", "11010519491231002X", "2019年春季学期", "国家助学金", "1,000元", "2019.3.5", "43531", "助学卡", "是"],
    ["S2", "李 四", "110105491231002", "2018-2019学年第一学期", "免学费", "一千", "2019年3月", "2019/03/05", "现金", "否"],
    ["S3", "王五", "4.10105E+17", "2018秋", "助学金", "两年半", "20190305", "", "银行卡", "√"],
    ["S4", None, None, None, None, None, None, None, None, None],
    ["S5", "赵六", "110105194912310021", "下学期", "国家助学金", "abc", "2019-02-30", "2019-13-01", "支付宝", "也许"],
    ["S6", "钱七", "11010519491231002x", "2019春", "免学费", "2000", "2019-03-05 10:00", "2019.03", "助学卡", "Y"],
]


def aid_table(rows: list[list], file: str = "a.xlsx", sheet: str = "资助") -> Table:
    raw = pl.DataFrame([[r + 2 for r in range(len(rows))], *zip(*rows, strict=True)],
                       schema={"_row": pl.Int64, **{f"c{i}": pl.String for i in range(10)}}, orient="col")
    return Table("aid", file, sheet, 1, list(AID_HEADERS), dict(AID_HEADERS), raw)


def test_per_value_path_equals_row_wise(monkeypatch: pytest.MonkeyPatch) -> None:
    t = aid_table(MESSY * 50)
    spec = all_kinds()["aid"]
    row_wise = T.normalise_table(t, spec, AS_OF, 3).collect()
    monkeypatch.setattr(T, "BY_VALUE_MIN_ROWS", 1)
    by_value = T.normalise_table(t, spec, AS_OF, 3).collect()
    assert by_value.columns == row_wise.columns
    assert by_value.equals(row_wise, null_equal=True)
    # and the values are really normalised (not just equal because both are empty)
    first = by_value.row(0, named=True)
    assert (first["term"], first["amount"], first["signed"], first["pay_date"]) == \
        ("2019春", 1000.0, True, dt.date(2019, 3, 7))  # 43531 is an Excel serial
    assert by_value["aid_type"].n_unique() > 1


def test_stacked_small_tables_keep_table_order_and_identity() -> None:
    spec = all_kinds()["aid"]
    a = aid_table(MESSY[:3], "一校.xlsx")
    b = aid_table(MESSY[3:], "二校.xlsx")
    # a third table with another layout (no card/sign columns): its own stack
    cols = {k: v for k, v in AID_HEADERS.items() if k not in ("pay_method", "signed")}
    c = Table("aid", "三校.xlsx", "资助", 1, list(cols), cols, a.raw)
    big = aid_table(MESSY, "大.xlsx")
    df = T.combine([a, c, big, b], spec, AS_OF, [0, 1, 2, 3])
    assert df["_file"].to_list() == ["一校.xlsx"] * 3 + ["三校.xlsx"] * 3 + ["大.xlsx"] * 6 + ["二校.xlsx"] * 3
    assert df["_tid"].to_list() == [0] * 3 + [1] * 3 + [2] * 6 + [3] * 3
    assert df["_row"].to_list() == [2, 3, 4] * 2 + list(range(2, 8)) + [2, 3, 4]
    separately = pl.concat([T.normalise_table(t, spec, AS_OF, i).collect() for i, t in enumerate([a, c, big, b])],
                           how="diagonal_relaxed")
    assert df.drop("_key").select(separately.columns).equals(separately, null_equal=True)
    # the table without a sign column has no sign values, not "unreadable" ones
    assert df.filter(pl.col("_tid") == 1)["signed__raw"].null_count() == 3


ROSTER_POOLS = {
    "student_id": ["R1", "R2", None, " R3 "],
    "name": ["张三", "李 四", None],
    "id_type": ["居民身份证", "护照", "港澳居民来往内地通行证", "身份证", None, "其他证件", "？"],
    "id_number": ["11010519491231002X", "E12345678", None, "110105491231002"],
    "gender": ["男", "女", "M", "1", None, "未知", " 男 "],
    "birth_date": ["2003-05-01", "2003.5.1", "37742", "2003年5月", None, "2003-02-30", "五月"],
    "level": ["中级工", "高级工", "预备技师", None, "技师班", "中技"],
    "study_mode": ["全日制", "非全日制", None, "半脱产", "全日"],
    "status": ["在籍", "休学", "退学", None, "毕业", "转学 "],
    "employed": ["是", "否", None, "Y", "√", "也许"],
    "enroll_date": ["2019-09-01", "201909", "43709", None, "2019-13-01"],
    "program_years": ["3", "三年", "2.5", None, "abc"],
}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_per_value_lookup_equals_row_wise_for_roster_fields(monkeypatch: pytest.MonkeyPatch, data) -> None:
    """Each by-value field (enums, dates, numbers, booleans) looked up from its distinct values,
    a null value included, gives each row what normalising it row by row gives."""
    n = data.draw(st.integers(1, 40))
    fields = list(ROSTER_POOLS)
    cols = {f: f"c{i}" for i, f in enumerate(fields)}
    rows = [[data.draw(st.sampled_from(ROSTER_POOLS[f])) for f in fields] for _ in range(n)]
    raw = pl.DataFrame([list(range(2, n + 2)), *zip(*rows, strict=True)],
                       schema={"_row": pl.Int64, **{c: pl.String for c in cols.values()}}, orient="col")
    t = Table("roster", "r.xlsx", "学籍", 1, fields, cols, raw)
    spec = all_kinds()["roster"]
    monkeypatch.setattr(T, "BY_VALUE_MIN_ROWS", 10**9)
    row_wise = T.normalise_table(t, spec, AS_OF, 0).collect()
    monkeypatch.setattr(T, "BY_VALUE_MIN_ROWS", 1)
    by_value = T.normalise_table(t, spec, AS_OF, 0).collect()
    assert by_value.columns == row_wise.columns
    assert by_value.equals(row_wise, null_equal=True)
