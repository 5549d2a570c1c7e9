"""Normalising whole tables: the per-value path (big tables) gives exactly what the row-wise
path gives, and stacked small tables come out in table order with their own file, sheet, row."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

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
