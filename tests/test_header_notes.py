"""A note in brackets at the end of a header that only says how to fill the column (身份证号
（18位）, 证件类型（必填）, 入学日期(格式：2024-09-01)) does not hide the column (spec.field_of);
more everyday headers are aliases (公民身份证号码, 证件类别, 资助类别, 发放学期). Near miss: a
note that says whose value it is (身份证号（监护人）) or which form (金额（大写）) is another column."""

from __future__ import annotations

from conftest import make_id, roster_row, write_xlsx
from test_rules_aid import check

A = make_id("20030101", seq="123")
B = make_id("20030102", seq="133")


def _roster(tmp_path):
    return write_xlsx(tmp_path / "名册.xlsx", [
        ["学籍号", "姓名", "身份证号", "性别", "学校名称", "学制", "学习形式", "入学日期", "学籍状态"],
        roster_row("S1", "张三", A, enroll="2018-09-01"), roster_row("S2", "李四", B, enroll="2018-09-01")])


def test_headers_with_filling_notes_are_read(tmp_path, cli):
    headers = ["学籍号", "姓名", "证件类型\n（必填）", "身份证号 \n( 18位，必填 )", "学校名称", "发放学期【必填】",
               "资助类别", "金额(元)", "发放日期（格式：2018-12-01）"]
    aid = write_xlsx(tmp_path / "资助.xlsx", [
        headers,
        ["S1", "张三", "居民身份证", A, "东方技工学校", "2018秋", "国家助学金", "1000", "2018-12-01"],
        ["S9", "KIM MINSU", "护照", "M12345678", "东方技工学校", "2018秋", "国家助学金", "1000", "2018-12-01"]])
    r = check(cli, "--aid", aid, "--roster", _roster(tmp_path))
    assert r.rule("S001").height == 0, r.rule("S001")["message"].to_list()
    assert r.rule("S003").height == 0, r.rule("S003")["message"].to_list()  # the passport is typed
    # the passport holder is on no roster: A302 judges the row (the columns were read)
    assert r.rule("A302")["name"].to_list() == ["KIM MINSU"]
    assert not [p for p in r.json["run"]["problems"] if "表头" in p["message"]]


def test_a_note_naming_whose_value_is_another_column(tmp_path, cli):
    roster = write_xlsx(tmp_path / "名册.xlsx", [
        ["学籍号", "姓名", "身份证号（监护人）", "性别", "学校名称", "学制", "学习形式", "入学日期", "学籍状态"],
        roster_row("S1", "张三", "41010519800101", enroll="2018-09-01")])
    r = check(cli, "--roster", roster)
    # the guardian's (bad) number is not read as the student's ID: no S003 on it
    assert r.rule("S003").height == 0, r.rule("S003")["message"].to_list()
    both = write_xlsx(tmp_path / "名册2.xlsx", [
        ["学籍号", "姓名", "身份证号（监护人）", "身份证号（18位）", "性别", "学校名称", "学制", "学习形式", "入学日期", "学籍状态"],
        ["S1", "张三", "41010519800101", A, "男", "东方技工学校", "3", "全日制", "2018-09-01", "在校"]])
    r = check(cli, "--roster", both)
    assert r.rule("S003").height == 0 and r.rule("S001").height == 0
    assert not [p for p in r.json["run"]["problems"] if "表头重复" in p["message"]]


def test_more_everyday_headers(tmp_path, cli):
    aid = write_xlsx(tmp_path / "资助.xlsx", [
        ["学籍号", "姓名", "公民身份证号码", "学校名称", "学年学期", "资助项目名称", "金额", "发放日期"],
        ["S1", "张三", A, "东方技工学校", "2018-2019学年第一学期", "国家助学金", "1000", "2018-12-01"]])
    r = check(cli, "--aid", aid, "--roster", _roster(tmp_path))
    assert r.rule("S001").height == 0, r.rule("S001")["message"].to_list()
    assert r.findings.filter(r.findings["rule_id"].str.starts_with("S")).height == 0, r.findings.rows()
