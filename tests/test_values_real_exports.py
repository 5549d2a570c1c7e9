"""Values of real exports that were reported as S007 (取值不在规定范围) although they are valid: roster
statuses (顶岗实习, 休学（入伍）, 学籍保留 …), terms (2024年秋季学期（24秋）, 2024-2025学年(上), 二〇二四年
秋季学期, month ranges) and amounts (1000元整, 1000（元）, 壹仟伍佰元整). Near misses stay unread: 停学,
a bracket naming another term, a month range of two terms, 壹仟伍. Through the real CLI."""

from __future__ import annotations

import polars as pl

from conftest import make_id
from test_rules_aid import A, aid_row, files
from test_rules_registration import check as check_roster
from test_rules_registration import rec, roster


def s007(res, column: str) -> dict[str, str]:
    """S007 findings on `column`: row -> message."""
    df = res.findings.filter((pl.col("rule_id") == "S007") & (pl.col("column") == column))
    return dict(zip(df["row"].to_list(), df["message"].to_list(), strict=True))


def check_aid(cli, *args, as_of="2025-06-30"):
    return cli("check", *args, "--as-of", as_of, "--format", "csv,json")


# ------------------------------------------------------------------ roster 学籍状态
STATUSES_READ = ["顶岗实习", "实习", "跟岗实习", "岗位实习", "在校-企业实习", " 在校 － 企业实习 ", "休学（入伍）",
                 "休学 (参军入伍)", "在籍在读", "注册在校", "学籍保留", "待毕业", "毕业生"]
STATUSES_UNREAD = ["停学", "休学（已复学）", "在校（停学）", "实习结束"]


def test_roster_statuses_of_real_exports_are_read_and_near_misses_stay_unread(tmp_path, cli):
    """Students on internship are registered (在校), 休学（入伍） is 休学, 学籍保留 is 保留学籍 (休学),
    待毕业 is 在校, 毕业生 is 毕业: no S007. Near misses: 停学 (a disciplinary suspension or a leave:
    not known), 休学（已复学）, 在校（停学）, 实习结束 stay S007."""
    values = STATUSES_READ + STATUSES_UNREAD
    recs = [rec(学籍号=str(i), 身份证号=make_id("20080101", seq=f"{i:03d}"), 学籍状态=v)
            for i, v in enumerate(values, start=1)]
    res = check_roster(cli, roster(tmp_path, "名册.xlsx", recs))
    got = s007(res, "学籍状态")
    first = 3  # a title row, then the header
    unread_rows = [str(first + len(STATUSES_READ) + i) for i in range(len(STATUSES_UNREAD))]
    assert sorted(got, key=int) == unread_rows, got
    assert all("不在规定范围内" in m for m in got.values())


def test_an_intern_is_on_the_register_for_the_rules(tmp_path, cli):
    """Rules that need the status judge the read status: the same student registered at two schools,
    at one 在校, at the other 顶岗实习 (在校) is R101; written 学籍保留 (休学) too. Near miss: 停学 is not
    read, so not judged (no R101), and counted among the rows R101 could not judge."""
    ids = [make_id("20080101", seq=f"{i:03d}") for i in (11, 13, 15)]
    east = roster(tmp_path, "东方.xlsx", [rec(学籍号=str(i), 身份证号=idn) for i, idn in enumerate(ids, 1)])
    west = roster(tmp_path, "西方.xlsx", [
        rec(学籍号="7", 身份证号=ids[0], 学校名称="西方技工学校", 学籍状态="顶岗实习"),
        rec(学籍号="8", 身份证号=ids[1], 学校名称="西方技工学校", 学籍状态="学籍保留"),
        rec(学籍号="9", 身份证号=ids[2], 学校名称="西方技工学校", 学籍状态="停学")])
    res = check_roster(cli, east, west)
    df = res.rule("R101").with_columns(pl.col("file").str.replace(r"^.*[\\/]", ""))
    assert sorted(zip(df["file"], df["row"], strict=True)) == [
        ("东方.xlsx", "3"), ("东方.xlsx", "4"), ("西方.xlsx", "3"), ("西方.xlsx", "4")], df.rows()
    assert res.json["run"]["unjudged"]["R101"]["rows"] == 1, res.json["run"]["unjudged"]


def test_an_intern_with_the_internship_company_as_employer_is_no_worker(tmp_path, cli):
    """学籍状态「顶岗实习」 says the company in 工作单位 is the internship's: no R103."""
    res = check_roster(cli, roster(tmp_path, "名册.xlsx", [rec(学籍状态="顶岗实习", 工作单位="某某机械有限公司")]))
    assert res.rule("R103").height == 0


# ------------------------------------------------------------------ aid 学期
TERMS_READ = {  # as written -> the term it is
    "2024年秋季学期（24秋）": "2024秋", "2024年秋季学期 ( 2024年秋 )": "2024秋", "2024-2025学年(上)": "2024秋",
    "2024-2025学年上": "2024秋", "2024－2025学年（下）": "2025春", "二〇二四年秋季学期": "2024秋",
    "二○二四年春季学期": "2024春", "2024年9月-2025年1月": "2024秋", "2024.9-2025.1": "2024秋",
    "2024.09 — 2025.01": "2024秋", "2024年9月至2025年1月": "2024秋", "2025年3月-2025年7月": "2025春",
}
TERMS_UNREAD = ["2024年秋季学期（25春）", "2025年春季学期(原2024秋补发)", "2024年9月-2025年6月", "2024年9月-2024年11月",
                "2024-2025学年(中)"]


def test_terms_of_real_exports_are_read_and_near_misses_stay_unread(tmp_path, cli):
    """Each written form is read as its term: no S007, and A304 finds the grant paid twice in a
    term when the second row writes the term another way (2024年9月-2025年1月 and 2024秋). Near
    misses stay S007: a bracket naming another term, a note of a late payment for another term
    (原2024秋补发: as 2025春 it could count a grant twice), a range of months of two terms or of
    part of one, 学年(中)."""
    people = [make_id("20080101", seq=f"{i:03d}") for i in range(1, len(TERMS_READ) + len(TERMS_UNREAD) + 1)]
    rows = [aid_row(f"S{i}", "张三", idn, term=t, apply="2025-04-10", pay="2025-05-10")
            for i, (idn, t) in enumerate(zip(people, [*TERMS_READ, *TERMS_UNREAD], strict=True))]
    rows.append(aid_row("S99", "李四", A, term="2024年9月-2025年1月", apply="2024-10-10", pay="2024-12-01"))
    rows.append(aid_row("S99", "李四", A, term="2024秋", apply="2024-10-10", pay="2024-12-01"))
    res = check_aid(cli, *files(tmp_path, rows))
    got = s007(res, "学期")
    first = 3
    unread_rows = [str(first + len(TERMS_READ) + i) for i in range(len(TERMS_UNREAD))]
    assert sorted(got, key=int) == unread_rows, got
    assert all("无法识别为学期" in m for m in got.values())
    last = first + len(TERMS_READ) + len(TERMS_UNREAD)
    a304 = res.rule("A304")
    assert sorted(a304["row"].to_list(), key=int) == [str(last), str(last + 1)], a304.rows()


def test_terms_read_as_the_term_they_name():
    """The term each form is read as (normalize.term_struct, as the aid table's column)."""
    from xueji_check import normalize as nz

    df = pl.DataFrame({"t": [*TERMS_READ, *TERMS_UNREAD]}).lazy()
    got = nz.add_term_columns(df, "t", "term").collect()
    assert dict(zip(got["t"], got["term"], strict=True)) == {**TERMS_READ, **dict.fromkeys(TERMS_UNREAD)}
    expr = pl.DataFrame({"t": [*TERMS_READ, *TERMS_UNREAD]}).select(nz.term_struct(pl.col("t")).struct.field("label"))
    assert expr.to_series().to_list() == [*TERMS_READ.values(), *[None] * len(TERMS_UNREAD)]


# ------------------------------------------------------------------ aid 金额
AMOUNTS_READ = {"1000元整": 1000, "1000（元）": 1000, "1000.00元": 1000, " 1000 元 整 ": 1000, "1,000（元）": 1000,
                "壹仟元": 1000, "壹仟元整": 1000, "壹仟": 1000, "贰仟元": 2000, "壹仟伍佰元整": 1500, "人民币壹仟伍佰元整": 1500,
                "壹仟零伍拾元": 1050}
# -1000 is a refund, read (A304 nets it); (1000) is no number: S007
AMOUNTS_UNREAD = ["壹仟伍", "壹仟伍元", "一千元", "1000元/人", "1000+500", "（1000）"]


def test_amounts_of_real_exports_are_read_and_near_misses_stay_unread(tmp_path, cli):
    """金额 written with 元整, (元), 元 or in financial uppercase numerals is read: no S007, and A308
    judges it (壹仟伍佰元整 = 1500 is within the standard; 贰仟元 as a grant is above it). Near misses
    stay S007: 壹仟伍 (colloquially 1500, literally unclear), 壹仟伍元, 一千元 (lowercase numerals with a
    place unit: not read, as before), 1000元/人, 1000+500, (1000)."""
    amounts = [*AMOUNTS_READ, *AMOUNTS_UNREAD]
    people = [make_id("20080101", seq=f"{i:03d}") for i in range(1, len(amounts) + 1)]
    rows = [aid_row(f"S{i}", "张三", idn, term="2024秋", amount=a, apply="2024-10-10")
            for i, (idn, a) in enumerate(zip(people, amounts, strict=True))]
    res = check_aid(cli, *files(tmp_path, rows))
    got = s007(res, "金额")
    first = 3
    unread = [str(first + len(AMOUNTS_READ) + i) for i in range(len(AMOUNTS_UNREAD))]
    assert sorted(got, key=int) == unread, got
    a308 = res.rule("A308")
    assert a308["row"].to_list() == [str(first + list(AMOUNTS_READ).index("贰仟元"))], a308.rows()
    assert "2000" in a308["message"][0]


def test_amounts_read_as_their_value():
    from xueji_check import normalize as nz

    values = [*AMOUNTS_READ, *AMOUNTS_UNREAD]
    got = pl.DataFrame({"v": values}).select(nz.number(pl.col("v"))).to_series().to_list()
    assert got == [*AMOUNTS_READ.values(), *[None] * len(AMOUNTS_UNREAD)]
    assert pl.select(nz.number(pl.lit("-1000"))).item() == -1000  # a refund: A304 nets it
    # financial numerals are an amount's, not a 学制's
    assert pl.select(nz.number(pl.lit("叁年"), sum_parts=True)).item() is None


def test_a_placeholder_in_a_number_cell_is_empty_text():
    """`number_raw`: the text of a number cell, null for —, /, －, 无, 暂无 (an optional amount so written
    is empty, not S007, once tables.field_exprs reads `__raw` through it; see report)."""
    from xueji_check import normalize as nz

    values = ["—", "/", "－", "无", " 暂无 ", "1000元", "0", "-1000"]
    got = pl.DataFrame({"v": values}).select(nz.number_raw(pl.col("v"))).to_series().to_list()
    assert got == [None, None, None, None, None, "1000元", "0", "-1000"]


def test_a_placeholder_in_an_optional_amount_is_empty(tmp_path, cli):
    """金额 —, /, －, 无 in the optional amount column: empty, no S007 (and no A308). Near miss: a
    required number (学制) written / is empty too: S002, not S007."""
    placeholders = ["—", "/", "－", "无", " 暂无 "]
    people = [make_id("20080101", seq=f"{i:03d}") for i in range(1, len(placeholders) + 2)]
    rows = [aid_row(f"S{i}", "张三", idn, amount=a) for i, (idn, a) in enumerate(zip(people, [*placeholders, "1000元/人"],
                                                                                   strict=False))]
    res = check_aid(cli, *files(tmp_path, rows))
    assert sorted(s007(res, "金额")) == [str(3 + len(placeholders))], s007(res, "金额")
    res = check_roster(cli, roster(tmp_path, "名册.xlsx", [rec(学制="/")]))
    assert s007(res, "学制") == {}
    assert res.rule("S002")["column"].to_list() == ["学制"]
