"""Card numbers Excel cut to 15 significant digits are no evidence of "one card, several
students" (A311): a school's consecutive 16-19-digit cards stored as numbers all become one
value ending in zeros, and one time in ten that value passes the Luhn check. A value of 16+
digits whose digits after the 15th are all 0, shared by several students, is reported as damage
(S004), never as A311; a shared value without that mark still is A311."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import make_id, write_csv
from test_rules_fraud import aid_file, check, grant, luhn, roster_file, rows, student
from xueji_check import normalize as nz

CUT16 = "6217001234567810"  # what Excel keeps of 621700123456781x: passes Luhn (the case of the review)
A, B, C, D = (make_id(f"2008{m:02d}01", seq="123") for m in range(1, 5))


def luhn_ok(n: str) -> bool:
    return luhn(n[:-1]) == n


def cut_valid(prefix: str, length: int) -> str:
    """A Luhn-valid value of `length` digits bearing Excel's mark: `prefix`, one free digit, zeros."""
    for d in "0123456789":
        n = (prefix + d).ljust(length, "0")
        if luhn_ok(n):
            return n
    raise AssertionError


def test_the_reviewers_case_is_s004_not_a311(tmp_path, cli):
    assert luhn_ok(CUT16)  # so the Luhn check alone does not see the damage
    recs = [grant(f"S{i}", name, idn, 资助卡号=CUT16) for i, (name, idn) in enumerate(zip(["张三", "李四", "王五"], [A, B, C], strict=True))]
    path = aid_file(tmp_path, recs)
    # the card cells as Excel leaves them: number cells
    import openpyxl
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    col = [c.value for c in ws[2]].index("资助卡号") + 1
    for r in range(3, 6):
        ws.cell(r, col).value = int(CUT16)
    wb.save(path)
    res = check(cli, "--aid", path)
    assert res.rule("A311").height == 0, res.rule("A311")["message"].to_list()
    assert rows(res, "S004") == ["3", "4", "5"]
    assert all(m.startswith("资助卡号被 Excel 存成了数字") and CUT16 not in m for m in res.rule("S004")["message"])


def test_nineteen_digits_and_passbooks_cut_and_shared(tmp_path, cli):
    """19 digits (the last 4 zero) and a 20-digit passbook number (the last 5 zero), Luhn-valid
    or not, written with spaces and full-width digits: S004 on every row, no A311."""
    c19 = cut_valid("62170012345678", 19)
    wide = "".join(chr(ord(ch) + 0xFEE0) for ch in c19)
    book = "62170012345678900000"
    recs = [grant("S1", "张三", A, 资助卡号=c19), grant("S2", "李四", B, 资助卡号=wide),
            grant("S3", "王五", C, 资助卡号=" ".join(book[i:i + 4] for i in range(0, 20, 4))),
            grant("S4", "赵六", D, 资助卡号=book)]
    res = check(cli, "--aid", aid_file(tmp_path, recs))
    assert res.rule("A311").height == 0
    assert rows(res, "S004") == ["3", "4", "5", "6"]


def test_shared_across_two_schools_files(tmp_path, cli):
    east = aid_file(tmp_path, [grant("E1", "张三", A, 资助卡号=CUT16)], "东方资助.xlsx")
    west = aid_file(tmp_path, [grant("W1", "王五", C, 学校名称="西方技工学校", 资助卡号=CUT16)], "西方资助.xlsx")
    res = check(cli, "--aid", east, "--aid", west)
    assert res.rule("A311").height == 0
    assert sorted(f.rsplit("/", 1)[-1] for f in res.rule("S004")["file"]) == ["东方资助.xlsx", "西方资助.xlsx"]


# ---------------------------------------------------------------- near misses
def test_a_shared_value_without_the_mark_is_still_a311(tmp_path, cli):
    genuine = "6217001234567811"  # its 16th digit is no 0: Excel could not have made it
    recs = [grant("S1", "张三", A, 资助卡号=genuine), grant("S2", "李四", B, 资助卡号=genuine)]
    res = check(cli, "--aid", aid_file(tmp_path, recs))
    assert rows(res, "A311") == ["3", "4"] and res.rule("S004").height == 0


def test_one_student_with_a_marked_card_twice_is_nothing(tmp_path, cli):
    """A genuine card ending in 0 (one in ten do), the same student's grant and fee waiver."""
    recs = [grant("S1", "张三", A, 资助卡号=CUT16), grant("S1", "张三", A, 资助类型="免学费", 金额="2000", 资助卡号=CUT16),
            grant("S2", "李四", B, 资助卡号=luhn("621700123456789"))]
    res = check(cli, "--aid", aid_file(tmp_path, recs))
    assert res.rule("A311").height == 0 and res.rule("S004").height == 0


def test_fifteen_digits_are_not_cut(tmp_path, cli):
    """A 15-digit account number ending in 0 is whole (Excel keeps 15 digits): shared, it is A311."""
    n15 = "621700123456780"
    recs = [grant("S1", "张三", A, 资助卡号=n15), grant("S2", "李四", B, 资助卡号=n15)]
    res = check(cli, "--aid", aid_file(tmp_path, recs))
    assert rows(res, "A311") == ["3", "4"] and res.rule("S004").height == 0


# ---------------------------------------------------------------- messy
def test_shared_once_student_numbers_are_resolved(tmp_path, cli):
    """One row with an ID, another with only a 学籍号 that the roster ties to another student:
    two students once resolved (A311's own view), which the per-column S004 check does not see.
    Still no A311: the value is noted as suspected Excel damage."""
    roster = roster_file(tmp_path, [student("S1", "张三", A), student("S2", "李四", B)])
    aid = write_csv(tmp_path / "in" / "资助.csv", [
        ["学籍号", "姓名", "身份证号", "学校名称", "学期", "资助类型", "资助卡号"],
        ["S1", "张三", A, "东方技工学校", "2024秋", "国家助学金", CUT16],
        ["S2", "李四", "", "东方技工学校", "2024秋", "国家助学金", CUT16]])
    res = check(cli, "--roster", roster, "--aid", aid)
    assert res.rule("A311").height == 0
    reasons = res.json["run"]["unjudged"]["A311"]["reasons"]
    assert any("疑似被 Excel 存成数字而截断" in k for k in reasons), reasons


def test_card_damaged_and_card_cut_on_their_own():
    df = pl.DataFrame({"c": [CUT16, CUT16, CUT16 + "1", CUT16 + "1", "6217 0012 3456 7810", "621700123456780"],
                       "_tid": [0] * 6, "_key": ["A", "B", "C", "D", "A", "E"]})
    got = df.select(d=nz.card_damaged(pl.col("c")), c=nz.card_cut(pl.col("c")))
    assert got["c"].to_list() == [True, True, False, False, True, False]
    assert got["d"].to_list() == [True, True, False, False, True, False]
    # 学籍号 keys count only when no row of the value has a document: one student written twice
    same = pl.DataFrame({"c": [CUT16, CUT16], "_tid": [0, 0], "_key": ["A", "SID:S1"]})
    assert same.select(nz.card_damaged(pl.col("c"))).to_series().to_list() == [False, False]
    # a frame without student keys: the sharing is not looked at
    assert df.drop("_key").select(nz.card_damaged(pl.col("c"))).to_series().to_list() == [False] * 6


CARD_POOL = [CUT16, "6217001234567820", "6217001234567890000", "6217001234567890944", "6.21700E+18",
             "6217000000000000", "62170012345678901", None, "", "无", "6217 0012 3456 7810",
             "12345678901234567890123", "621700123456780", luhn("621700123456789")]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(CARD_POOL), st.integers(0, 3)), max_size=40))
def test_card_damage_judges_luhn_where_it_decides(cells):
    """The Luhn check is computed only for values bearing Excel's mark: the result is what
    judging every value gives (scientific notation, or the mark and a failed check; then every
    marked value of that table)."""
    df = pl.DataFrame({"c": [c for c, _ in cells], "_tid": [t for _, t in cells]},
                      schema={"c": pl.String, "_tid": pl.Int32})
    got = df.select(nz.card_damaged(pl.col("c"), "_tid", None)).to_series().to_list()
    cols = nz._cut_columns(df.rename({"c": "v"}), "v").with_columns(_tid=df["_tid"])
    evidence = (pl.col("_sci") | (pl.col("_mark") & ~nz.luhn_ok(pl.col("_d")))).fill_null(False)
    want = cols.select((evidence | (pl.col("_mark") & evidence.any().over("_tid"))).fill_null(False)).to_series()
    assert got == want.to_list()
