"""P401–P403: publicity rules, through the real CLI on real spreadsheets."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import make_id, write_csv, write_xlsx
from xueji_check.rules.publicity import parse_period

A = make_id("20030101", seq="123")
OK_HEADERS = ["序号", "姓名", "学校", "专业", "班级", "资助类型"]


def check(cli, *args, as_of="2018-12-31"):
    return cli("check", *args, "--as-of", as_of, "--format", "csv,json")


def pub(tmp_path, title, rows=None, headers=OK_HEADERS, name="公示名单.xlsx"):
    rows = rows if rows is not None else [["1", "张三", "东方技工学校", "数控加工", "数控1班", "国家助学金"]]
    return write_xlsx(tmp_path / name, [headers, *rows], title=title)


def luhn_complete(body: str) -> str:
    digits = [int(c) for c in (body + "0")[::-1]]
    total = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits))
    return body + str((10 - total % 10) % 10)


# ------------------------------------------------------------------ P401
@pytest.mark.parametrize("text,expected", [
    ("公示时间：2018年5月2日至2018年5月8日", (dt.date(2018, 5, 2), dt.date(2018, 5, 8))),
    ("公示期：2018.5.2-2018.5.8", (dt.date(2018, 5, 2), dt.date(2018, 5, 8))),
    ("公示期为2018-11-05至11-09", (dt.date(2018, 11, 5), dt.date(2018, 11, 9))),
    ("东方技工学校2018年秋季学期助学金公示（公示时间 2018年11月5日至9日）", (dt.date(2018, 11, 5), dt.date(2018, 11, 9))),
    ("2018年秋季学期国家助学金名单", None),
    ("公示时间：2024年12月27日至1月3日", (dt.date(2024, 12, 27), dt.date(2025, 1, 3))),  # across New Year
    ("公示时间：2024年12月28日至3日", (dt.date(2024, 12, 28), dt.date(2025, 1, 3))),
    ("公示时间：2024年11月28日至2日", (dt.date(2024, 11, 28), dt.date(2024, 12, 2))),
    ("公示时间：2024年12月27日至2024年1月3日", (dt.date(2024, 12, 27), dt.date(2024, 1, 3))),  # a year written: as written
    ("公示时间：2024年5月8日至4月2日", (dt.date(2024, 5, 8), dt.date(2024, 4, 2))),  # a slip, not 11 months (review)
    ("公示时间：2024年11月8日至4日", (dt.date(2024, 11, 8), dt.date(2024, 11, 4))),
])
def test_parse_period_forms(text, expected):
    assert parse_period(text) == expected


def test_p401_weekend_spanning_five_working_days_is_enough(tmp_path, cli):
    # Wed 2018-05-02 .. Tue 2018-05-08: 5 working days around a weekend.
    f = pub(tmp_path, "东方技工学校国家助学金公示名单 公示时间：2018年5月2日至2018年5月8日")
    r = check(cli, "--publicity", f)
    assert r.rule("P401").height == 0 and "P401" not in r.json["run"]["skipped_rules"]


def test_p401_period_across_new_year_without_the_second_year(tmp_path, cli):
    f = pub(tmp_path, "东方技工学校国家助学金公示名单 公示时间：2024年12月27日至1月3日")
    r = check(cli, "--publicity", f, as_of="2025-03-01")
    assert r.rule("P401").height == 0, r.rule("P401")["message"].to_list()


def test_p401_short_period_from_title(tmp_path, cli):
    f = pub(tmp_path, "公示期：2018.5.2-2018.5.7")
    r = check(cli, "--publicity", f)
    p = r.rule("P401")
    assert p.height == 1 and p["row"][0] is None
    msg = p["message"][0]
    assert "2018-05-02 至 2018-05-07" in msg and "4 个工作日" in msg and "2018-05-08" in msg and "标题行" in msg


def test_p401_national_day_make_up_days_count(tmp_path, cli):
    # 09-28 Fri, 09-29/30 make-up working days, 10-01..07 holiday, 10-08 Mon: 4 working days.
    r = check(cli, "--publicity", pub(tmp_path, "公示"), "--publicity-start", "2018-09-28",
              "--publicity-end", "2018-10-08")
    p = r.rule("P401")
    assert p.height == 1 and "4 个工作日" in p["message"][0] and "2018-10-09" in p["message"][0]
    r2 = check(cli, "--publicity", pub(tmp_path, "公示"), "--publicity-start", "2018-11-05",
               "--publicity-end", "2018-11-09")
    assert r2.rule("P401").height == 0


def test_p401_from_columns_messy_csv(tmp_path, cli):
    f = write_csv(tmp_path / "助学金公示.csv", [
        ["姓名", "学校", "公示开始日期", "公示结束日期"],
        ["张三", "东方技工学校", "2018/11/5", "2018年11月8日"],
        ["李四", "东方技工学校", "2018/11/5", "2018年11月8日"],
    ], encoding="gbk")
    r = check(cli, "--publicity", f)
    p = r.rule("P401")
    assert p.height == 1 and "4 个工作日" in p["message"][0] and p["column"][0] == "公示结束日期"


def test_p401_skipped_without_period(tmp_path, cli):
    r = check(cli, "--publicity", pub(tmp_path, "东方技工学校助学金公示名单"))
    assert r.rule("P401").height == 0
    assert "公示期" in r.json["run"]["skipped_rules"]["P401"]
    r2 = check(cli, "--aid", write_xlsx(tmp_path / "资助.xlsx", [["身份证号", "姓名", "学期", "资助类型"],
                                                                [A, "张三", "2018秋", "免学费"]]))
    assert r2.json["run"]["skipped_rules"]["P401"] == "未提供公示名单"


# ------------------------------------------------------------------ P402
def test_p402_compliant_list_is_clean(tmp_path, cli):
    rows = [["1", "张三", "东方技工学校", "数控加工", "2018级数控1班", "国家助学金"],
            ["2", "李四", "西安市路桥技工学校", "市场营销", "2018级", "国家助学金"]]
    r = check(cli, "--publicity", pub(tmp_path, "公示时间：2018年11月5日至2018年11月9日", rows))
    assert r.rule("P402").height == 0, r.rule("P402")["message"].to_list()


def test_p402_header_and_cell_values_one_finding_per_column(tmp_path, cli):
    card = luhn_complete("621700001001234567")  # 19 digits, Luhn-valid
    headers = ["姓名", "学校", "身份证号", "出生年月", "备注", "学籍号"]
    rows = [["张三", "东方技工学校", A, "2003-01-01", "13812345678", luhn_complete("201800100000001")],
            ["李四", "东方技工学校", A[:6] + "********" + A[-4:], "2003年1月", f"卡号 {card}", "2018001"],
            ["王五", "东方技工学校", "", "", card, ""],
            ["赵六", "东方技工学校", "", "", "河南省郑州市金水区花园路12号", ""],
            ["钱七", "东方技工学校", "", "", "2002-03-04", ""]]
    r = check(cli, "--publicity", pub(tmp_path, "公示时间：2018年11月5日至2018年11月9日", rows, headers))
    p = r.rule("P402")
    msgs = p["message"].to_list()
    assert p.height == 3, msgs  # 身份证号, 出生年月, 备注 (学籍号 digits are not taken for a card)
    by = {m.split("」")[0].split("「")[-1]: m for m in msgs}
    assert set(by) == {"身份证号", "出生年月", "备注"}
    assert "表头表明该列是身份证号" in by["身份证号"] and "1 个身份证号" in by["身份证号"]
    assert "1 个手机号" in by["备注"] and "2 个银行卡号" in by["备注"] and "1 个家庭住址" in by["备注"]
    assert "1 个出生日期" in by["备注"]
    assert all(A not in m and "13812345678" not in m for m in msgs)
    assert all("教财厅函〔2017〕28号" in m for m in msgs)


def test_p402_id_values_in_an_unlabelled_column(tmp_path, cli):
    headers = ["姓名", "学校", "证明材料"]
    rows = [["张三", "东方技工学校", A], ["李四", "东方技工学校", A[:6] + A[8:17]]]  # 18 and 15 digits
    r = check(cli, "--publicity", pub(tmp_path, "公示时间：2018年11月5日至2018年11月9日", rows, headers))
    p = r.rule("P402")
    assert p.height == 1 and "2 个身份证号" in p["message"][0] and "原表第 C 列" in p["message"][0]


def test_p402_numbers_written_inside_names_and_text(tmp_path, cli):
    """An ID or a mobile inside other text is published as surely as in its own column; the near
    misses (a 学号 of 11 digits, a class, a date inside text) are not personal data."""
    headers = ["序号", "姓名", "学校", "班级", "资助类型"]
    rows = [["1", f"张三{A}", "东方技工学校", "2018级数控1班", "国家助学金"],
            ["2", "李四13812345678", "东方技工学校", "学号24010101001", "国家助学金"],
            ["3", "王五", "东方技工学校", "2018年9月1日入学 第20180901号", "国家助学金"],
            ["4", "赵六", "东方技工学校（电话0371-12345678）", "2018级", "国家助学金"]]
    r = check(cli, "--publicity", pub(tmp_path, "公示时间：2018年11月5日至2018年11月9日", rows, headers))
    p = r.rule("P402")
    assert p.height == 1 and "第 B 列「姓名」" in p["message"][0], p["message"].to_list()
    assert "1 个身份证号" in p["message"][0] and "1 个手机号" in p["message"][0] and A not in p["message"][0]


# ------------------------------------------------------------------ P403
def test_p403_recipients_missing_from_publicity(tmp_path, cli):
    aid = write_xlsx(tmp_path / "资助.xlsx", [
        ["身份证号", "姓名", "学校名称", "学期", "资助类型", "审批日期"],
        [A, "张三", "东方技工学校", "2018秋", "国家助学金", "2018-11-20"],
        [make_id("20030102", seq="133"), "李四", "东方技工学校", "2018秋", "国家助学金", "2018-11-20"],
        [make_id("20030103", seq="143"), "王五", "东方技工学校", "2018秋", "国家助学金", ""],  # not approved
        [make_id("20030104", seq="153"), "赵六", "西方技工学校", "2018秋", "国家助学金", "2018-11-20"],  # other school
        [make_id("20030105", seq="163"), "孙七", "东方技工学校", "2019春", "国家助学金", "2019-05-20"],  # other term
        [make_id("20030106", seq="173"), "李 四", "东方技工学校", "2018秋", "国家助学金", "2018-11-20"],
    ])
    rows = [["1", "张三", "东方技工学校", "数控加工", "1班", "国家助学金"]]
    f = pub(tmp_path, "东方技工学校2018年秋季学期国家助学金公示名单 公示时间：2018年11月5日至2018年11月9日", rows)
    r = check(cli, "--publicity", f, "--aid", aid)
    p = r.rule("P403")
    assert sorted(p["name"].to_list()) == ["李 四", "李四"], p  # names as typed in every output
    assert "姓名「李四」" in p["message"][0] and "东方技工学校" in p["message"][0] and "已审批" in p["message"][0]


def test_p403_school_from_title_when_no_school_column(tmp_path, cli):
    aid = write_xlsx(tmp_path / "资助.xlsx", [
        ["身份证号", "姓名", "学校名称", "学期", "资助类型"],
        [A, "张三", "东方技工学校", "2018秋", "免学费"],
        [make_id("20030102", seq="133"), "李四", "东方技工学校", "2018秋", "免学费"],
        [make_id("20030104", seq="153"), "李四", "西方技工学校", "2018秋", "免学费"],
    ])
    f = write_xlsx(tmp_path / "东方技工学校免学费公示.xlsx", [["姓名", "专业"], ["张三", "数控"], ["李四", "数控"]],
                   title="东方技工学校免学费公示名单")
    r = check(cli, "--publicity", f, "--aid", aid)
    assert r.rule("P403").height == 0, r.rule("P403")["message"].to_list()


def test_p403_matches_names_as_people_type_them(tmp_path, cli):
    """A recipient listed as 张 三 / 阿卜杜拉•艾力 / ＫＩＭ ＭＩＮＪＵＮ is the 张三 / 阿卜杜拉·艾力 / Kim Minjun of the
    aid table; a different name (张四) is still reported; a name damaged by a GBK save (王?) is left
    to the encoding warning, not reported as missing."""
    people = [("张三", "张 三"), ("阿卜杜拉·艾力", "阿卜杜拉•艾力"), ("Kim Minjun", "ＫＩＭ ＭＩＮＪＵＮ"),
              ("王䶮", "王?"), ("张四", "张思")]
    aid = write_xlsx(tmp_path / "资助.xlsx", [["身份证号", "姓名", "学校名称", "学期", "资助类型"]] + [
        [make_id("20030101", seq=f"{100 + i}"), a, "东方技工学校", "2018秋", "国家助学金"] for i, (a, _) in enumerate(people)])
    rows = [[str(i + 1), b, "东方技工学校", "数控加工", "1班", "国家助学金"] for i, (_, b) in enumerate(people)]
    f = pub(tmp_path, "东方技工学校2018年秋季学期国家助学金公示名单 公示时间：2018年11月5日至2018年11月9日", rows)
    r = check(cli, "--publicity", f, "--aid", aid)
    assert r.rule("P403")["name"].to_list() == ["张四"], r.rule("P403")["message"].to_list()


def test_p403_damaged_name_in_the_aid_table_is_counted_as_unjudged(tmp_path, cli):
    aid = write_xlsx(tmp_path / "资助.xlsx", [["身份证号", "姓名", "学校名称", "学期", "资助类型"],
                                            [A, "王?", "东方技工学校", "2018秋", "国家助学金"]])
    f = pub(tmp_path, "东方技工学校2018年秋季学期国家助学金公示名单 公示时间：2018年11月5日至2018年11月9日",
            [["1", "李四", "东方技工学校", "数控", "1班", "国家助学金"]])
    r = check(cli, "--publicity", f, "--aid", aid)
    assert r.rule("P403").height == 0
    assert r.json["run"]["unjudged"]["P403"]["rows"] == 1


def test_p403_skipped_without_aid(tmp_path, cli):
    r = check(cli, "--publicity", pub(tmp_path, "公示"))
    assert r.json["run"]["skipped_rules"]["P403"] == "未提供资助申报与发放"


def test_p402_finding_names_the_column_as_written(tmp_path, cli):
    """The column of a column-level finding is the header the school wrote, even when it is not a
    canonical field of the publicity list."""
    from conftest import make_id, write_xlsx

    f = write_xlsx(tmp_path / "资助公示.xlsx", [["公示时间：2024年11月4日至2024年11月8日"], ["姓名", "学校", "手机号码"],
                                              ["甲", "东方技工学校", "13800138000"]], title="国家助学金公示")
    r = cli("check", "--publicity", f, "--as-of", "2025-01-01")
    p402 = r.rule("P402")
    assert p402["column"].to_list() == ["手机号码"]
    assert make_id() not in r.stdout


# ------------------------------------------------------------------ P401 from the footer
def test_p401_period_in_the_footer_under_the_records(tmp_path, cli):
    rows = [["1", "张三", "东方技工学校", "数控加工", "数控1班", "国家助学金"],
            ["2", "李四", "东方技工学校", "数控加工", "数控1班", "国家助学金"]]

    def run(footer_period: str, name: str):
        f = write_xlsx(tmp_path / name, [OK_HEADERS, *rows, [], [footer_period], ["监督电话：0755-12345678"],
                                         [None, None, None, "东方技工学校"]], title="东方技工学校国家助学金公示名单")
        return check(cli, "--publicity", f, as_of="2018-12-31")

    ok = run("公示时间：2018年11月5日至9日", "公示名单.xlsx")  # Mon-Fri: 5 working days
    assert ok.findings.height == 0 and "P401" not in ok.json["run"]["skipped_rules"]
    short = run("公示期：2018.11.5-2018.11.7", "公示名单2.xlsx")
    p = short.rule("P401")
    assert p.height == 1 and "3 个工作日" in p["message"][0] and "来源：表尾「公示期：2018.11.5-2018.11.7」" in p["message"][0]
    assert set(short.findings["rule_id"]) == {"P401"}


def test_p401_skip_says_where_a_period_is_looked_for(tmp_path, cli):
    f = write_xlsx(tmp_path / "公示名单.xlsx", [OK_HEADERS, ["1", "张三", "东方技工学校", "数控加工", "数控1班", "国家助学金"],
                                               ["如有异议，请向学校反映。"]], title="东方技工学校助学金公示名单")
    r = check(cli, "--publicity", f)
    assert "表尾" in r.json["run"]["skipped_rules"]["P401"] and r.findings.height == 0


# ------------------------------------------------------------------ terms and years in titles
@pytest.mark.parametrize("title", ["东方技工学校2024年下半年国家助学金公示", "东方技工学校2024/2025学年第一学期国家助学金公示",
                                   "东方技工学校2024-2025学年秋季学期国家助学金公示", "东方技工学校24秋国家助学金公示"])
def test_p403_scope_from_a_title_in_any_term_form(tmp_path, cli, title):
    """The list covers the term its title names in any form the term parser reads: a recipient of
    another term (李四, 2025春) is not reported; one of this term missing from it (王五) is."""
    aid = write_xlsx(tmp_path / "资助.xlsx", [
        ["身份证号", "姓名", "学校名称", "学期", "资助类型"],
        [A, "张三", "东方技工学校", "2024秋", "国家助学金"],
        [make_id("20030102", seq="133"), "李四", "东方技工学校", "2025春", "国家助学金"],
        [make_id("20030103", seq="143"), "王五", "东方技工学校", "2024秋", "国家助学金"]])
    f = pub(tmp_path, title + " 公示时间：2024年11月4日至2024年11月8日",
            [["1", "张三", "东方技工学校", "数控", "1班", "国家助学金"]])
    r = check(cli, "--publicity", f, "--aid", aid)
    assert r.rule("P403")["name"].to_list() == ["王五"], r.rule("P403")["message"].to_list()


def test_p401_period_without_a_year_takes_the_title_year(tmp_path, cli):
    f = pub(tmp_path, "南山技工学校2024年秋季学期国家助学金公示名单 公示时间：11月4日至11月6日")
    r = check(cli, "--publicity", f)
    p = r.rule("P401")
    assert p.height == 1 and "2024-11-04 至 2024-11-06" in p["message"][0] and "年份取自名单标题" in p["message"][0]


def test_p401_list_without_a_period_is_not_accused_whatever_the_other_lists(tmp_path, cli):
    """A list with no period (or one that cannot be read) is said about, as a warning on the
    input, and counted as not judged; it is never a P401 finding, with or without other lists."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    none = pub(tmp_path / "a", "东方技工学校国家助学金公示名单", name="东方公示.xlsx")
    odd = pub(tmp_path / "a", "西城技师学院国家助学金公示名单 公示时间：十一月四日至八日", name="西城公示.xlsx")
    full = pub(tmp_path / "b", "南山技工学校公示名单 公示时间：2024年11月4日至2024年11月8日", name="南山公示.xlsx")
    alone = cli("check", "--publicity", none, "--publicity", odd, "--as-of", "2018-12-31", "--format", "csv,json",
                out=tmp_path / "o1")
    both = cli("check", "--publicity", none, "--publicity", odd, "--publicity", full, "--as-of", "2018-12-31",
               "--format", "csv,json", out=tmp_path / "o2")
    for r in (alone, both):
        assert r.rule("P401").height == 0, r.rule("P401")["message"].to_list()
        msgs = [p["message"] for p in r.json["run"]["problems"] if p["level"] == "warning"]
        assert any("未写明公示期" in m for m in msgs) and any("十一月四日至八日" in m and "未能识别" in m for m in msgs)
    assert both.json["run"]["unjudged"]["P401"]["rows"] == 2
    assert "P401" in alone.json["run"]["skipped_rules"]


def test_p402_id_number_in_a_note_or_footer_line(tmp_path, cli):
    """A student's ID number in a note between records or in the footer is published as surely as
    in a column; the school's contact mobile and a masked ID in the footer are not reported."""
    b = make_id("20030102", seq="133")
    rows = [["1", "张三", "东方技工学校", "数控加工", "数控1班", "国家助学金"],
            [f"备注：李四（身份证号 {b}）已退学，取消资格"],
            ["2", "王五", "东方技工学校", "数控加工", "数控1班", "国家助学金"],
            ["公示时间：2018年11月5日至2018年11月9日"],
            ["联系人：王老师 13912345678"],
            [f"经核实，赵六 {A[:6]}********{A[-4:]} 不在名单中"]]
    f = pub(tmp_path, "东方技工学校国家助学金公示名单", rows)
    r = check(cli, "--publicity", f)
    p = r.rule("P402")
    assert p.height == 1, p["message"].to_list()
    m = p["message"][0]
    assert "第 4 行" in m and "1 个身份证号" in m and b not in m and int(p["row"][0]) == 4, m
    assert b not in r.stdout and "13912345678" not in r.stdout


def test_p402_note_lines_without_id_numbers_are_clean(tmp_path, cli):
    rows = [["1", "张三", "东方技工学校", "数控加工", "数控1班", "国家助学金"],
            ["公示时间：2018年11月5日至2018年11月9日"],
            ["监督电话：0371-12345678，13912345678；学校账号 6217000010012345678"],
            ["学籍号 2018001000100000 的学生已转学"]]
    r = check(cli, "--publicity", pub(tmp_path, "东方技工学校国家助学金公示名单", rows))
    assert r.rule("P402").height == 0, r.rule("P402")["message"].to_list()


def test_p402_numbers_as_they_reach_a_list_typed_split_mistyped_or_in_excel_notation(tmp_path, cli):
    """Shapes a red-team run put into 专业/年级/姓名/学校 of an aid table, which `publicity make`
    copied into a public list and P402 passed: a card inside text, a card failing its check, an ID
    with a wrong check digit (alone or inside a name), a mobile with hyphens or +86 inside text, an
    ID as Excel shows a long number. Near misses: a 学号 of 11 digits, a date range run together,
    an amount, a landline."""
    bad_id = make_id("20070315", seq="555")[:17] + ("0" if make_id("20070315", seq="555")[-1] != "0" else "1")
    headers = ["序号", "姓名", "学校", "专业", "年级"]
    rows = [["1", "张三", "东方技工学校", "数控6217259307073721731", "2024级"],
            ["2", "李四", "东方技工学校", "6217628123660458367", "2024级"],
            ["3", "王五", "东方技工学校", bad_id, "2024级"],
            ["4", "赵六", "东方技工学校", "汽修 151-1408-1254", "2024级 +8618953832589"],
            ["5", f"学生{bad_id}", "东方技工学校6217243518211710480", "3.20102200703155E+17", "2024级"],
            ["6", "学生丅3.20102200703175E+17", "东方技工学校", "数控", "2024级"]]
    r = check(cli, "--publicity", pub(tmp_path, "公示时间：2018年11月5日至2018年11月9日", rows, headers))
    by = {m.split("」")[0].split("「")[-1]: m for m in r.rule("P402")["message"].to_list()}
    assert set(by) == {"姓名", "学校", "专业", "年级"}, by
    assert "2 个银行卡号" in by["专业"] and "1 个身份证号" in by["专业"] and "1 个手机号" in by["专业"], by["专业"]
    assert "1 个以科学计数法显示的长数字" in by["专业"], by["专业"]
    assert "1 个手机号" in by["年级"] and "1 个身份证号" in by["姓名"] and "1 个银行卡号" in by["学校"], by
    assert "1 个以科学计数法显示的长数字" in by["姓名"], by["姓名"]
    near = [["1", "张三", "东方技工学校", "学号24010101001", "2024级"],
            ["2", "李四", "东方技工学校", "2024-09-01-2025-01-15", "1998/9/1-2001/7"],
            ["3", "王五", "东方技工学校（电话0371-6312-3456）", "数控 1500.00元", "2024级"]]
    r = check(cli, "--publicity", pub(tmp_path, "公示时间：2018年11月5日至2018年11月9日", near, headers))
    assert r.rule("P402").height == 0, r.rule("P402")["message"].to_list()


def test_p402_joins_digits_on_the_separators_masking_splits_on(tmp_path, cli):
    """P402 joins a number's groups on the dashes masking knows (pii.SEP_DASHES): a mobile written
    139‒1234‒5678 (figure dash) inside text is reported, as masking hides it in every output.
    Near misses: a dotted date range run together, amounts with decimals and a dash between them
    (review: 应发1500.00-300.00 was joined into a mobile), a dotted 学号 of ten digits."""
    headers = ["序号", "姓名", "学校", "专业", "年级"]
    rows = [["1", "张三", "东方技工学校", "数控 电话139\u20121234\u20125678", "2024级"],
            ["2", "李四", "东方技工学校", "汽修", "2024级"]]
    r = check(cli, "--publicity", pub(tmp_path, "公示时间：2018年11月5日至2018年11月9日", rows, headers))
    msgs = r.rule("P402")["message"].to_list()
    assert len(msgs) == 1 and "「专业」" in msgs[0] and "1 个手机号" in msgs[0], msgs
    near = [["1", "张三", "东方技工学校", "2024.09.01-2025.01.15", "应发1500.00-300.00元"],
            ["2", "李四", "东方技工学校", "学号2401.0101.01", "2024级"]]
    r = check(cli, "--publicity", pub(tmp_path, "公示时间：2018年11月5日至2018年11月9日", near, headers))
    assert r.rule("P402").height == 0, r.rule("P402")["message"].to_list()


# ------------------------------------------------------------------ P403: who is a recipient
def test_p403_refused_or_pending_applicants_are_not_expected_on_the_list(tmp_path, cli):
    """With 审批状态 and no 审批日期 column: a refused application (审核不通过, 驳回, 未通过) and one
    still 待审核 are not recipients; an approved one (审核通过, 已审批) missing from the list still is
    (赵四); a blank status cannot be judged and is counted as such."""
    aid = write_csv(tmp_path / "资助申报.csv", [
        ["学籍号", "姓名", "身份证号", "学校名称", "学期", "资助类型", "审批状态"],
        ["D1", "赵一", make_id("20080315", seq="131"), "东方技工学校", "2024秋", "国家助学金", "审核通过"],
        ["D2", "钱二", make_id("20080316", seq="151"), "东方技工学校", "2024秋", "国家助学金", " 审核不通过 "],
        ["D3", "孙三", make_id("20080317", seq="171"), "东方技工学校", "2024秋", "国家助学金", "待审核"],
        ["D4", "李四", make_id("20080318", seq="191"), "东方技工学校", "2024秋", "国家助学金", "驳回"],
        ["D5", "周五", make_id("20080319", seq="211"), "东方技工学校", "2024秋", "国家助学金", "未通过"],
        ["D6", "吴六", make_id("20080320", seq="231"), "东方技工学校", "2024秋", "国家助学金", ""],
        ["D7", "赵四", make_id("20080321", seq="251"), "东方技工学校", "2024秋", "国家助学金", "已审批"],
    ], encoding="gbk")
    f = pub(tmp_path, "东方技工学校2024年秋季学期国家助学金公示名单 公示时间：2024年11月4日至2024年11月8日",
            [["1", "赵一", "东方技工学校", "数控", "1班", "国家助学金"]])
    r = check(cli, "--publicity", f, "--aid", aid, as_of="2025-06-30")
    p = r.rule("P403")
    assert p["name"].to_list() == ["赵四"], p["message"].to_list()
    assert "已审批的受助学生" in p["message"][0]
    assert r.json["run"]["unjudged"]["P403"]["reasons"] == {"审批状态为空或无法识别（无审批日期列）": 1}


def test_p403_a_refused_status_outweighs_an_approval_date(tmp_path, cli):
    """Both columns: 审批日期 filled but 审批状态 不通过 (refused after a first approval) is not
    expected; 审批状态 已通过 without a date is (王五); no status and no date is not approved."""
    aid = write_xlsx(tmp_path / "资助.xlsx", [
        ["身份证号", "姓名", "学校名称", "学期", "资助类型", "审批日期", "审批状态"],
        [A, "张三", "东方技工学校", "2024秋", "国家助学金", "2024-10-25", "已通过"],
        [make_id("20030102", seq="133"), "李四", "东方技工学校", "2024秋", "国家助学金", "2024-10-25", "不通过"],
        [make_id("20030103", seq="143"), "王五", "东方技工学校", "2024秋", "国家助学金", "", "通过"],
        [make_id("20030104", seq="153"), "赵六", "东方技工学校", "2024秋", "国家助学金", "", ""],
        [make_id("20030105", seq="163"), "孙七", "东方技工学校", "2024秋", "国家助学金", "2024-10-25", "审核中"],
    ])
    f = pub(tmp_path, "东方技工学校2024年秋季学期国家助学金公示名单 公示时间：2024年11月4日至2024年11月8日",
            [["1", "张三", "东方技工学校", "数控", "1班", "国家助学金"]])
    r = check(cli, "--publicity", f, "--aid", aid, as_of="2025-06-30")
    assert r.rule("P403")["name"].to_list() == ["王五"], r.rule("P403")["message"].to_list()


# ------------------------------------------------------------------ P403: each school's own lists
def test_p403_a_school_is_judged_against_its_own_lists_whatever_the_other_schools_lists(tmp_path, cli):
    """东方's list covers 2024秋 only; 南山's list names no term (so all of 南山's terms). 东方's
    2025春 recipient (新生九) is no finding, with or without 南山's list or a list naming no school,
    and 东方's findings are the same in every run; a 2024秋 recipient missing from 东方's list
    (王五) and a 南山 recipient missing from 南山's (南二, any term) still are."""
    aid = write_xlsx(tmp_path / "资助申报_2024-2025.xlsx", [
        ["学籍号", "姓名", "身份证号", "学校名称", "学期", "资助类型", "审批日期"],
        ["D1", "赵一", A, "东方技工学校", "2024秋", "国家助学金", "2024-10-25"],
        ["D9", "新生九", make_id("20090315", seq="191"), "东方技工学校", "2025春", "国家助学金", "2025-04-25"],
        ["D5", "王五", make_id("20080317", seq="171"), "东方技工学校", "2024-2025学年第一学期", "国家助学金", "2024-10-25"],
        ["N1", "南一", make_id("20080415", seq="211"), "南山高级技工学校", "2024秋", "国家助学金", "2024-10-25"],
        ["N2", "南二", make_id("20080416", seq="231"), "南山高级技工学校", "2025春", "国家助学金", "2025-04-25"],
    ])
    east = pub(tmp_path / "east", "东方技工学校2024年秋季学期国家助学金公示名单 公示时间：2024年11月4日至2024年11月8日",
               [["1", "赵一", "东方技工学校", "数控", "1班", "国家助学金"]], name="资助公示_东方技工学校.xlsx")
    south = write_xlsx(tmp_path / "south" / "资助公示_南山高级技工学校.xlsx",
                       [["序号", "姓名", "专业"], ["1", "南一", "数控"]],
                       title="南山高级技工学校国家助学金受助学生公示 公示时间：2024年11月4日至2024年11月8日")
    nameless = write_xlsx(tmp_path / "other" / "公示名单.xlsx", [["序号", "姓名"], ["1", "李雷"]],
                          title="国家助学金受助学生公示 公示时间：2024年11月4日至2024年11月8日")

    def run(out, *lists):
        args = [x for f in lists for x in ("--publicity", f)]
        return cli("check", *args, "--aid", aid, "--as-of", "2025-06-30", "--format", "csv,json", out=tmp_path / out)

    alone, both, three = run("o1", east), run("o2", east, south), run("o3", east, south, nameless)

    def east_findings(r):
        p = r.rule("P403").filter(r.rule("P403")["school"] == "东方技工学校")
        return sorted(zip(p["name"].to_list(), p["message"].to_list(), strict=True))

    assert [n for n, _ in east_findings(alone)] == ["王五"], east_findings(alone)
    assert "在 1 份公示名单中均未找到" in east_findings(alone)[0][1]
    assert east_findings(both) == east_findings(alone) == east_findings(three)
    assert sorted(both.rule("P403")["name"].to_list()) == ["南二", "王五"], both.rule("P403")["message"].to_list()
    assert sorted(three.rule("P403")["name"].to_list()) == ["南二", "王五"]


# ------------------------------------------------------------------ P401: the year of a period written without one
@pytest.mark.parametrize("terms,text,expected", [
    (("2024秋",), "公示时间：1月6日至1月10日", (dt.date(2025, 1, 6), dt.date(2025, 1, 10))),  # January after an autumn term
    (("2024秋",), "公示时间：11月4日至11月8日", (dt.date(2024, 11, 4), dt.date(2024, 11, 8))),
    (("2024秋",), "公示时间：12月30日至1月6日", (dt.date(2024, 12, 30), dt.date(2025, 1, 6))),
    (("2024秋",), "公示时间：8月26日至8月30日", (dt.date(2024, 8, 26), dt.date(2024, 8, 30))),
    (("2025春",), "公示时间：3月3日至3月7日", (dt.date(2025, 3, 3), dt.date(2025, 3, 7))),
    (("2024秋", "2025春"), "公示时间：3月3日至3月7日", (dt.date(2025, 3, 3), dt.date(2025, 3, 7))),
    (("2024秋", "2025春"), "公示时间：11月4日至11月8日", (dt.date(2024, 11, 4), dt.date(2024, 11, 8))),
])
def test_parse_period_year_from_the_term(terms, text, expected):
    from xueji_check.rules.publicity import ListYear
    assert parse_period(text, ListYear(terms=terms)) == expected


@pytest.mark.parametrize("signed,text,expected", [
    (dt.date(2024, 12, 30), "公示时间：1月6日至1月10日", (dt.date(2025, 1, 6), dt.date(2025, 1, 10))),
    (dt.date(2025, 1, 3), "公示时间：12月27日至1月3日", (dt.date(2024, 12, 27), dt.date(2025, 1, 3))),
    (dt.date(2024, 11, 1), "公示时间：11月4日至11月8日", (dt.date(2024, 11, 4), dt.date(2024, 11, 8))),
])
def test_parse_period_year_nearest_the_signing_date(signed, text, expected):
    from xueji_check.rules.publicity import ListYear
    assert parse_period(text, ListYear(signed=signed, terms=("2023秋",), title=2023)) == expected


def _list_with_footer(tmp_path, name, title, footer):
    rows = [["1", "张三", "东方技工学校", "数控加工", "数控1班", "国家助学金"]]
    return write_xlsx(tmp_path / name, [OK_HEADERS, *rows, [], *[[x] if not isinstance(x, list) else x for x in footer]],
                      title=title)


def test_p401_january_period_of_an_autumn_term_list_is_in_the_next_year(tmp_path, cli):
    """A 2024秋 list publicised 1月6日至1月10日 ran Mon 2025-01-06 to Fri 01-10 (5 working days), not
    in January 2024 (Sat–Wed, 3 working days); 1月6日至1月8日 is still too short, in 2025."""
    title = "东方技工学校2024年秋季学期国家助学金（第二批）受助学生名单公示"
    ok = check(cli, "--publicity", _list_with_footer(tmp_path, "a.xlsx", title, ["公示时间：1月6日至1月10日",
                                                                                  "监督电话：0371-66881234"]),
               as_of="2025-06-30")
    assert ok.rule("P401").height == 0, ok.rule("P401")["message"].to_list()
    assert "P401" not in ok.json["run"]["skipped_rules"]
    short = check(cli, "--publicity", _list_with_footer(tmp_path, "b.xlsx", title, ["公示时间：1月6日至1月8日"]),
                  as_of="2025-06-30")
    p = short.rule("P401")
    assert p.height == 1 and "2025-01-06 至 2025-01-08" in p["message"][0] and "3 个工作日" in p["message"][0]
    assert "2024秋" in p["message"][0] and "1 月在 2025 年" in p["message"][0]


def test_p401_spring_term_list_keeps_its_year(tmp_path, cli):
    ok = check(cli, "--publicity", pub(tmp_path, "东方技工学校2025年春季学期国家助学金公示 公示时间：3月3日至3月7日"),
               as_of="2025-06-30")
    assert ok.rule("P401").height == 0, ok.rule("P401")["message"].to_list()
    short = check(cli, "--publicity", pub(tmp_path, "东方技工学校2025年春季学期国家助学金公示 公示时间：3月3日至3月5日",
                                          name="b.xlsx"), as_of="2025-06-30")
    assert short.rule("P401").height == 1 and "2025-03-03 至 2025-03-05" in short.rule("P401")["message"][0]


def test_p401_year_from_the_signing_date_under_the_list(tmp_path, cli):
    """The 落款 date (here an Excel date cell after the school's name) dates a period written
    without a year: 1月6日至1月10日 under a list signed 2024-12-30 is January 2025, whatever the
    year in the title (2024年国家助学金)."""
    title = "东方技工学校2024年国家助学金受助学生名单公示"
    footer = ["公示时间：1月6日至1月10日", "东方技工学校（盖章）", [dt.datetime(2024, 12, 30)]]
    ok = check(cli, "--publicity", _list_with_footer(tmp_path, "a.xlsx", title, footer), as_of="2025-06-30")
    assert ok.rule("P401").height == 0, ok.rule("P401")["message"].to_list()
    assert "P401" not in ok.json["run"]["skipped_rules"]
    footer = ["公示时间：1月6日至1月9日", ["东方技工学校", "2024年12月30日"]]
    short = check(cli, "--publicity", _list_with_footer(tmp_path, "b.xlsx", title, footer), as_of="2025-06-30")
    p = short.rule("P401")
    assert p.height == 1 and "2025-01-06 至 2025-01-09" in p["message"][0] and "落款日期 2024-12-30" in p["message"][0]


def test_p403_a_list_naming_a_school_spelled_otherwise_is_about_that_school_only(tmp_path, cli):
    """A list whose title names 东方技工学校 (no school column) is about the aid table's
    东方技工学校（东校区）, whose missing recipient (王五) is reported, and about no other school:
    西城's recipients (not on any list of theirs) are no finding."""
    aid = write_xlsx(tmp_path / "资助.xlsx", [
        ["身份证号", "姓名", "学校名称", "学期", "资助类型", "审批状态"],
        [A, "张三", "东方技工学校（东校区）", "2024秋", "国家助学金", "已通过"],
        [make_id("20030103", seq="143"), "王五", "东方技工学校（东校区）", "2024秋", "国家助学金", "已通过"],
        [make_id("20030104", seq="153"), "赵六", "西城技师学院", "2024秋", "国家助学金", "已通过"],
    ])
    f = write_xlsx(tmp_path / "公示.xlsx", [["序号", "姓名", "专业"], ["1", "张三", "数控"]],
                   title="东方技工学校2024年秋季学期国家助学金公示 公示时间：2024年11月4日至2024年11月8日")
    r = check(cli, "--publicity", f, "--aid", aid, as_of="2025-06-30")
    assert r.rule("P403")["name"].to_list() == ["王五"], r.rule("P403")["message"].to_list()


def test_p403_a_school_column_spelled_otherwise_matches_its_names(tmp_path, cli):
    """The list's 学校 column writes 东方技工学校 for the aid table's 东方技工学校（东校区）: its names
    match the aid table's recipients of that school (张三 is on it); 王五, missing, is reported; a
    name whose school cell is empty (李四) matches at any school."""
    aid = write_xlsx(tmp_path / "资助.xlsx", [
        ["身份证号", "姓名", "学校名称", "学期", "资助类型", "审批状态"],
        [A, "张三", "东方技工学校（东校区）", "2024秋", "国家助学金", "已通过"],
        [make_id("20030105", seq="163"), "李四", "东方技工学校（东校区）", "2024秋", "国家助学金", "已通过"],
        [make_id("20030103", seq="143"), "王五", "东方技工学校（东校区）", "2024秋", "国家助学金", "已通过"],
    ])
    f = write_xlsx(tmp_path / "公示.xlsx", [["序号", "姓名", "学校"], ["1", "张三", "东方技工学校"], ["2", "李四", None]],
                   title="2024年秋季学期国家助学金公示 公示时间：2024年11月4日至2024年11月8日")
    r = check(cli, "--publicity", f, "--aid", aid, as_of="2025-06-30")
    assert r.rule("P403")["name"].to_list() == ["王五"], r.rule("P403")["message"].to_list()


# ------------------------------------------------------------------ a list of other aid (省级助学金公示)
def _two_recipients(tmp_path):
    return write_xlsx(tmp_path / "资助.xlsx", [
        ["身份证号", "姓名", "学校名称", "学期", "资助类型"],
        [A, "张三", "东方技工学校", "2024秋", "国家助学金"],
        [make_id("20030102", seq="133"), "李四", "东方技工学校", "2024秋", "国家助学金"]])


SHORT = " 公示时间：2024年11月4日至2024年11月6日"  # 3 working days: P401 if it were judged
ROW = [["1", "王五", "东方技工学校", "数控", "1班", ""]]


def test_a_list_titled_other_aid_is_out_of_scope(tmp_path, cli):
    """Review: a list titled 省级助学金公示 was read as a list of the national grant (its 助学金): its
    short period was P401 and the national grant's recipients not on it P403. It is other aid,
    like such aid rows: no publicity rule judges it, a 提示 says so."""
    f = pub(tmp_path, "东方技工学校2024年秋季学期省级助学金公示名单" + SHORT, ROW)
    r = check(cli, "--publicity", f, "--aid", _two_recipients(tmp_path), as_of="2025-06-30")
    assert r.findings.filter(r.findings["rule_id"].str.starts_with("P")).height == 0, r.findings.select("rule_id", "message").rows()
    info = [p["message"] for p in r.json["run"]["problems"] if "公示名单的标题" in p["message"]]
    assert info == ["该公示名单的标题（或工作表名、文件名）表明公示的是通知范围以外的其他资助（省级助学金），"
                    "不属于免学费和国家助学金：其 1 行不参与公示规则"], r.json["run"]["problems"]


@pytest.mark.parametrize("title", [
    "东方技工学校2024年秋季学期国家助学金和省级助学金公示名单",  # names the national grant too
    "东方技工学校2024年秋季学期奖学金及助学金公示名单",  # a 助学金 no other-aid word qualifies
    "东方技工学校2024年秋季学期学费减免及国家奖学金公示",  # the fee waiver
    "东方技工学校2024年秋季学期助学金公示名单",
])
def test_a_list_naming_a_national_aid_beside_other_aid_is_judged(tmp_path, cli, title):
    f = pub(tmp_path, title + SHORT, ROW)
    r = check(cli, "--publicity", f, "--aid", _two_recipients(tmp_path), as_of="2025-06-30")
    assert r.rule("P401").height == 1
    assert sorted(r.rule("P403")["name"].to_list()) == ["张三", "李四"]


def test_a_list_titled_other_aid_messy(tmp_path, cli):
    """Messy: spaces inside the title's words, the other aid named only by the sheet (a generic
    title) or only by the file name (no title line); a row of such a list whose aid type column
    says 国家助学金 is still a national list's row (its recipient is found, the other reported)."""
    rec = _two_recipients(tmp_path)
    spaced = pub(tmp_path / "a", "东方技工学校 2024 年秋季学期 校 级 助学金 公示名单" + SHORT, ROW)
    by_sheet = write_xlsx(tmp_path / "b" / "资助公示.xlsx", [OK_HEADERS, *ROW], title="东方技工学校学生资助公示" + SHORT,
                          sheet="市级助学金")
    by_file = write_xlsx(tmp_path / "c" / "东方技工学校国家奖学金公示.xlsx",
                         [OK_HEADERS + ["公示开始日期", "公示结束日期"], ROW[0] + ["2024-11-04", "2024-11-06"]])
    for f in (spaced, by_sheet, by_file):
        r = check(cli, "--publicity", f, "--aid", rec, as_of="2025-06-30")
        assert r.findings.filter(r.findings["rule_id"].str.starts_with("P")).height == 0, \
            (f, r.findings.select("rule_id", "message").rows())
        assert [p for p in r.json["run"]["problems"] if "公示名单的标题" in p["message"]], f
    typed = pub(tmp_path / "d", "东方技工学校2024年秋季学期省级助学金公示名单" + SHORT,
                [["1", "张三", "东方技工学校", "数控", "1班", "国家助学金（一等）"], *ROW])
    r = check(cli, "--publicity", typed, "--aid", rec, as_of="2025-06-30")
    assert r.rule("P403")["name"].to_list() == ["李四"], r.rule("P403")["message"].to_list()
    assert r.rule("P401").height == 1


# ------------------------------------------------------------------ P403: a name counts for its list's term
AUTUMN = "东方技工学校2024年秋季学期国家助学金公示名单 公示时间：2024年11月4日至2024年11月8日"
SPRING = "东方技工学校2025年春季学期国家助学金公示名单 公示时间：2025年4月7日至2025年4月11日"


def _aid_terms(tmp_path, rows):
    return write_xlsx(tmp_path / "资助.xlsx", [["身份证号", "姓名", "学校名称", "学期", "资助类型"]] + [
        [make_id("20030101", seq=f"{100 + i}") if n != "张三" else A, n, "东方技工学校", term, "国家助学金"]
        for i, (n, term) in enumerate(rows)])


def _named(names):
    return [[str(i + 1), n, "东方技工学校", "数控", "1班", "国家助学金"] for i, n in enumerate(names)]


def test_p403_a_name_on_another_terms_list_is_not_publicised(tmp_path, cli):
    """Review: 张三's 2025春 grant counted as publicised because the 2024秋 list names him. The
    2025春 list does not: reported (his 2024秋 grant is not)."""
    aid = _aid_terms(tmp_path, [("张三", "2024秋"), ("张三", "2025春"), ("李四", "2025春")])
    autumn = pub(tmp_path / "a", AUTUMN, _named(["张三"]))
    spring = pub(tmp_path / "s", SPRING, _named(["李四"]))
    r = check(cli, "--publicity", autumn, "--publicity", spring, "--aid", aid, as_of="2025-06-30")
    p = r.rule("P403")
    assert p["name"].to_list() == ["张三"] and "2025年春季学期国家助学金" in p["message"][0], p["message"].to_list()


def test_p403_term_near_misses_keep_matching(tmp_path, cli):
    """Not reported: a list naming no term names him (any term); his term not readable in the aid
    table (S007) or the aid table without a 学期 column; he is on his own term's list too."""
    aid = _aid_terms(tmp_path, [("张三", "2024秋"), ("张三", "2025春"), ("李四", "2025春")])
    autumn = pub(tmp_path / "a", AUTUMN, _named(["张三"]))
    spring = pub(tmp_path / "s", SPRING, _named(["李四", "张三"]))
    termless = pub(tmp_path / "n", "东方技工学校国家助学金公示名单 公示时间：2025年4月7日至2025年4月11日", _named(["张三", "李四"]))
    for lists in ((autumn, spring), (autumn, termless)):
        args = [x for f in lists for x in ("--publicity", f)]
        r = check(cli, *args, "--aid", aid, as_of="2025-06-30")
        assert r.rule("P403").height == 0, (lists, r.rule("P403")["message"].to_list())
    unread = _aid_terms(tmp_path / "u", [("张三", "2024秋"), ("张三", "2025年第二学期"), ("李四", "2025春")])
    r = check(cli, "--publicity", autumn, "--publicity", pub(tmp_path / "s2", SPRING, _named(["李四"])),
              "--aid", unread, as_of="2025-06-30")
    assert r.rule("P403").height == 0, r.rule("P403")["message"].to_list()
    assert r.rule("S007")["name"].to_list() == ["张三"]


def test_p403_terms_written_otherwise_and_in_a_column(tmp_path, cli):
    """Messy: one list for both terms with a 学期 column (2024-2025学年第一学期 / 2024-2025-2), a
    title naming its term as 2024-2025学年第二学期, masked names: a name or a mask counts for the
    term of its row only. 王大伟 is on the list for 2024秋 only (as 王*伟); 张三 for both terms."""
    aid = _aid_terms(tmp_path, [("张三", "2024秋"), ("张三", "2025春"), ("王大伟", "2024秋"), ("王大伟", "2025春"),
                                ("李四", "2025春")])
    headers = OK_HEADERS + ["学期"]
    both = write_xlsx(tmp_path / "b" / "公示名单.xlsx", [headers,
                      ["1", "张三", "东方技工学校", "数控", "1班", "国家助学金", " 2024-2025学年第一学期 "],
                      ["2", "王＊伟", "东方技工学校", "数控", "1班", "国家助学金", "2024-2025学年第一学期"],
                      ["3", "张 三", "东方技工学校", "数控", "1班", "国家助学金", "2024-2025-2"]],
                      title="东方技工学校国家助学金公示名单 公示时间：2025年4月7日至2025年4月11日")
    spring = pub(tmp_path / "s", "东方技工学校2024-2025学年第二学期国家助学金公示 公示时间：2025年4月7日至2025年4月11日",
                 _named(["李四"]))
    r = check(cli, "--publicity", both, "--publicity", spring, "--aid", aid, as_of="2025-06-30")
    p = r.rule("P403")
    assert p["name"].to_list() == ["王大伟"] and "2025年春季学期" in p["message"][0], p["message"].to_list()


def test_p403_a_list_titled_for_two_terms_or_a_school_year_covers_each(tmp_path, cli):
    """A title naming 2024年秋季学期和2025年春季学期 had been read as 2025春 only (the whole title read
    as one cell): 张三's 2024秋 grant would be reported although the list names him. A school year
    (2024-2025学年) covers both its terms. Near miss: another school year's list does not."""
    aid = _aid_terms(tmp_path, [("张三", "2024秋"), ("李四", "2025春")])
    both = pub(tmp_path / "b", "东方技工学校2024年秋季学期和2025年春季学期国家助学金公示名单 "
                               "公示时间：2025年4月7日至2025年4月11日", _named(["张三", "李四"]))
    year = pub(tmp_path / "y", "东方技工学校 2024 - 2025 学年国家助学金公示名单 公示时间：2025年4月7日至2025年4月11日",
               _named(["张三", "李四"]))
    extra = pub(tmp_path / "x", AUTUMN, _named(["王五"]))  # a 2024秋 supplementary list: that term is judged
    for f in (both, year):
        r = check(cli, "--publicity", f, "--publicity", extra, "--aid", aid, as_of="2025-06-30")
        assert r.rule("P403").height == 0, (f, r.rule("P403")["message"].to_list())
    # near miss: the 2024-2025 list without 张三 reports him; a 2023-2024 list naming him does not count
    only_li = pub(tmp_path / "l", "东方技工学校2024-2025学年国家助学金公示名单 公示时间：2025年4月7日至2025年4月11日",
                  _named(["李四"]))
    other = pub(tmp_path / "o", "东方技工学校2023-2024学年国家助学金公示名单 公示时间：2024年4月8日至2024年4月12日",
                _named(["张三"]))
    r = check(cli, "--publicity", only_li, "--publicity", other, "--aid", aid, as_of="2025-06-30")
    assert r.rule("P403")["name"].to_list() == ["张三"], r.rule("P403")["message"].to_list()


def _with_note(tmp_path, heading, note, rows=ROW):
    return write_xlsx(tmp_path / "公示名单.xlsx", [[note], OK_HEADERS, *rows], title=heading)


@pytest.mark.parametrize("note", ["注：国家奖学金名单另行公示", "（注）省级助学金名单见附件", "说明：1.校级奖学金另行公示"])
def test_a_note_under_the_title_does_not_make_the_list_other_aid(tmp_path, cli, note):
    """Review: a generic heading (学生资助公示名单) over a note naming other aid (注：国家奖学金名单另行公示)
    was read as a list of that aid and dropped: its short period and the recipients missing from
    it went unreported. A note is not the heading. Near miss: a heading that names other aid
    still makes the list other aid, whatever its note says."""
    f = _with_note(tmp_path, "东方技工学校2024年秋季学期学生资助公示名单" + SHORT, note)
    r = check(cli, "--publicity", f, "--aid", _two_recipients(tmp_path), as_of="2025-06-30")
    assert r.rule("P401").height == 1, r.json["run"]["problems"]
    assert sorted(r.rule("P403")["name"].to_list()) == ["张三", "李四"]
    other = _with_note(tmp_path / "o", "东方技工学校2024年秋季学期省级助学金公示名单" + SHORT, "注：国家助学金名单另行公示")
    r = check(cli, "--publicity", other, "--aid", _two_recipients(tmp_path / "o"), as_of="2025-06-30")
    assert r.findings.filter(r.findings["rule_id"].str.starts_with("P")).height == 0, r.findings.select("rule_id", "message").rows()


@pytest.mark.parametrize(("title", "name"), [
    ("东方技工学校2024年秋季学期学生资助公示（含勤工助学）", "公示名单.xlsx"),
    ("东方技工学校2024年秋季学期慰问金及资助发放公示", "公示名单.xlsx"),
    ("东方技工学校2024年秋季学期学生资助公示名单", "学生资助（含奖学金）公示.xlsx"),  # the file names other aid
])
def test_a_list_of_student_aid_naming_other_aid_too_is_judged(tmp_path, cli, title, name):
    """Review: a list of every aid (学生资助公示（含勤工助学）) was read as a list of the other aid it
    names and dropped, with its published ID column (P402), short period (P401) and missing
    recipients (P403). 资助 keeps it in scope; a title naming it decides before the file name."""
    f = pub(tmp_path, title + SHORT, [["1", "王五", "东方技工学校", "数控", "1班", "", A]],
            headers=OK_HEADERS + ["身份证号"], name=name)
    r = check(cli, "--publicity", f, "--aid", _two_recipients(tmp_path), as_of="2025-06-30")
    assert r.rule("P401").height == 1 and r.rule("P402").height == 1, r.json["run"]["problems"]
    assert sorted(r.rule("P403")["name"].to_list()) == ["张三", "李四"]
    assert not [p for p in r.json["run"]["problems"] if "公示名单的标题" in p["message"]]


@pytest.mark.parametrize("title", [
    "东方技工学校关于2024-2025学年第一学期、第二学期国家助学金的公示",
    "东方技工学校2024-2025学年上学期和下学期国家助学金公示",
    "东方技工学校2024年秋季、2025年春季学期国家助学金公示",
])
def test_p403_a_year_list_whose_title_names_both_terms_without_years(tmp_path, cli, title):
    """Review: 第一学期、第二学期 read as 2024秋 only: 张三's 2025春 grant was reported although the
    whole-year list names him (a 2025春 list of new recipients made that term judged)."""
    aid = _aid_terms(tmp_path, [("张三", "2024秋"), ("张三", "2025春"), ("王五", "2025春")])
    year = pub(tmp_path / "y", title, _named(["张三"]))
    extra = pub(tmp_path / "x", "东方技工学校2025年春季学期国家助学金新增人员公示", _named(["王五"]))
    r = check(cli, "--publicity", year, "--publicity", extra, "--aid", aid, as_of="2025-06-30")
    assert r.rule("P403").height == 0, r.rule("P403")["message"].to_list()


def test_p403_one_mask_on_a_list_of_two_terms_stands_for_one_recipient(tmp_path, cli):
    """Review: one 王*伟 on a 2024-2025学年 list (both terms) had stood for 王大伟 in 2024秋 and for
    王小伟 in 2025春: neither reported nor counted. It is one row: two recipients fit it, not judged.
    Near misses: the same student in both terms fits one row (found); two rows, one a term, in a
    学期 column, stand for one recipient each (found)."""
    aid = _aid_terms(tmp_path, [("王大伟", "2024秋"), ("王小伟", "2025春")])
    year = "东方技工学校2024-2025学年国家助学金公示 公示时间：2025年4月7日至2025年4月11日"
    r = check(cli, "--publicity", pub(tmp_path / "y", year, _named(["王*伟"])), "--aid", aid, as_of="2025-06-30")
    assert r.rule("P403").height == 0
    assert r.json["run"]["unjudged"]["P403"]["rows"] == 2, r.json["run"]["unjudged"].get("P403")
    same = _aid_terms(tmp_path / "s", [("王大伟", "2024秋"), ("王大伟", "2025春")])
    r = check(cli, "--publicity", pub(tmp_path / "y2", year, _named(["王*伟"])), "--aid", same, as_of="2025-06-30")
    assert r.rule("P403").height == 0 and "P403" not in r.json["run"].get("unjudged", {})
    rows = write_xlsx(tmp_path / "r" / "公示名单.xlsx", [OK_HEADERS + ["学期"],
                      ["1", "王*伟", "东方技工学校", "数控", "1班", "国家助学金", "2024秋"],
                      ["2", "王*伟", "东方技工学校", "数控", "1班", "国家助学金", "2025春"]], title=year)
    r = check(cli, "--publicity", rows, "--aid", aid, as_of="2025-06-30")
    assert r.rule("P403").height == 0 and "P403" not in r.json["run"].get("unjudged", {}), \
        r.json["run"].get("unjudged", {}).get("P403")


def test_a_list_of_other_aid_published_by_an_aid_office_stays_other_aid(tmp_path, cli):
    """Review: 资助 in the publisher's name (学生资助管理中心关于…国家奖学金…的公示) had brought a list of
    other aid back into scope: a false P401. Near miss: a list of 学生资助 naming other aid too is
    still judged (the 资助 there is what it lists)."""
    f = pub(tmp_path, "东方技工学校学生资助管理中心关于2024年国家奖学金获奖学生名单的公示" + SHORT, ROW)
    r = check(cli, "--publicity", f, "--aid", _two_recipients(tmp_path), as_of="2025-06-30")
    assert r.findings.filter(r.findings["rule_id"].str.starts_with("P")).height == 0, r.findings.select("rule_id", "message").rows()
    near = pub(tmp_path / "n", "东方技工学校资助办关于2024年秋季学期学生资助（含国家奖学金）的公示" + SHORT, ROW)
    r = check(cli, "--publicity", near, "--aid", _two_recipients(tmp_path / "n"), as_of="2025-06-30")
    assert r.rule("P401").height == 1


def test_p403_one_mask_on_each_of_two_one_term_lists(tmp_path, cli):
    """Review: a 王*伟 on the 2024秋 list and one on the 2025春 list each stand for that term's 王
    (王大伟 in autumn, 王小伟 in spring): found, not "not judged" (the rows of lists titled for two
    terms are counted across the terms; these lists are for one term each)."""
    aid = _aid_terms(tmp_path, [("王大伟", "2024秋"), ("王小伟", "2025春")])
    autumn = pub(tmp_path / "a", AUTUMN, _named(["王*伟"]))
    spring = pub(tmp_path / "s", SPRING, _named(["王*伟"]))
    r = check(cli, "--publicity", autumn, "--publicity", spring, "--aid", aid, as_of="2025-06-30")
    assert r.rule("P403").height == 0 and "P403" not in r.json["run"].get("unjudged", {}), \
        r.json["run"].get("unjudged", {}).get("P403")
