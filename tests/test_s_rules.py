"""S-rules S001-S008: each positive, a near-miss negative, and messy input."""

from __future__ import annotations

from conftest import ROSTER_HEADERS, make_id, roster_row, write_csv, write_xlsx

AS_OF = ("--as-of", "2025-06-30")
HEAD = ROSTER_HEADERS + ["出生日期"]


def run_roster(tmp_path, cli, rows, name="名册.xlsx"):
    f = write_xlsx(tmp_path / "in" / name, [HEAD, *rows])
    return cli("check", f, *AS_OF)


def row(sid="1", name="甲", idn=None, birth="2008-01-01", **kw):
    return roster_row(sid, name, idn or make_id(seq="101"), **kw) + [birth]


def test_s002_required_value_empty_positive_and_negative(tmp_path, cli):
    r = run_roster(tmp_path, cli, [row(name=""), row(sid="2", name="乙", idn=make_id(seq="103"))])
    assert r.rule("S002")["row"].to_list() == ["2"]
    assert r.rule("S002")["column"].to_list() == ["姓名"]


def test_s003_invalid_ids(tmp_path, cli):
    good = make_id(seq="101")
    bad_check = good[:17] + ("0" if good[17] != "0" else "1")
    r = run_roster(tmp_path, cli, [row(idn=bad_check), row(sid="2", idn="41010520080231123X"),
                                   row(sid="3", idn="4101052008"), row(sid="4", idn=good)])
    s = r.rule("S003")
    assert s["row"].to_list() == ["2", "3", "4"]
    assert "校验位错误" in s["message"][0] and "出生日期不存在" in s["message"][1] and "位数不对" in s["message"][2]
    # never the full number in output
    assert good[6:14] not in "".join(r.findings["message"].to_list())


def test_s004_id_stored_as_number(tmp_path, cli):
    f = write_csv(tmp_path / "名册.csv", [HEAD, row(idn="4.10105E+17"), row(sid="2", idn=make_id(seq="103"))])
    r = cli("check", f, *AS_OF)
    assert r.rule("S004")["row"].to_list() == ["2"]
    assert "S003" not in set(r.findings["rule_id"])


def test_s004_numeric_xlsx_cell(tmp_path, cli):
    r = run_roster(tmp_path, cli, [row(idn=float("410105200801011234"))])
    assert r.rule("S004").height == 1


def test_s005_birth_and_gender_disagree(tmp_path, cli):
    idn = make_id(birth="20080101", seq="101")  # odd: 男
    r = run_roster(tmp_path, cli, [row(idn=idn, birth="2008-01-02"), row(sid="2", idn=make_id(seq="103"), gender="女"),
                                   row(sid="3", idn=make_id(seq="105"), birth="2008年1月")])
    s = r.rule("S005")
    assert sorted(s["column"].to_list()) == ["出生日期", "性别"]
    assert s["severity"].unique().to_list() == ["warning"]


def test_s006_unreadable_date(tmp_path, cli):
    r = run_roster(tmp_path, cli, [row(enroll="2024年13月1日"), row(sid="2", idn=make_id(seq="103"), enroll="45536"),
                                   row(sid="3", idn=make_id(seq="105"), enroll="2024.9.1")])
    assert r.rule("S006")["row"].to_list() == ["2"]


def test_s006_a_dash_slash_or_wu_in_a_date_cell_is_no_date_not_an_unreadable_one(tmp_path, cli):
    """毕业日期 「/」「—」「无」 of students still at school: empty cells, not unreadable dates (they had
    been S006 errors); the same in the required 入学日期 is S002 (empty). Near miss: 「2024年13月1日」
    is still S006."""
    head = [*HEAD, "毕业日期"]
    rows = [row(sid=str(i), idn=make_id(seq=f"{101 + 2 * i:03d}"), enroll=e) + [g]
            for i, (e, g) in enumerate([("2024.9.1", "/"), ("2024.9.1", "—"), ("2024.9.1", "无"),
                                        ("/", ""), ("2024年13月1日", "")])]
    f = write_xlsx(tmp_path / "in" / "名册.xlsx", [head, *rows], title="东方技工学校学籍名册")
    r = cli("check", f, *AS_OF)
    assert r.rule("S006")["student_id"].to_list() == ["4"], r.rule("S006")["message"].to_list()
    s002 = r.rule("S002")
    assert s002["student_id"].to_list() == ["3"] and s002["column"].to_list() == ["入学日期"], s002["message"].to_list()


def test_s007_enum_outside(tmp_path, cli):
    r = run_roster(tmp_path, cli, [row(mode="半日制"), row(sid="2", idn=make_id(seq="103"), mode=" 全日制教育 "),
                                   row(sid="3", idn=make_id(seq="105"), status="在籍")])
    s = r.rule("S007")
    assert s["row"].to_list() == ["2"] and "半日制" in s["message"][0]


def test_s008_a_school_numbered_student_is_compared_within_its_school(tmp_path, cli):
    """学籍号 2024001 is a student of 东方 and another of 西山 (each school numbers its own): an aid
    row of 西山 known only by that number is no other name of 东方's student. Near misses: the same
    number at the same school under another name is S008; an aid table without a school column
    is compared when the number is on one school's roster only."""
    write_xlsx(tmp_path / "in" / "名册.xlsx", [HEAD, roster_row("2024001", "张三", "") + ["2008-01-01"],
                                             roster_row("2024002", "王五", "") + ["2008-02-01"]])
    write_xlsx(tmp_path / "in" / "资助.xlsx", [["学籍号", "姓名", "学校名称", "学期", "资助类型"],
                                             ["2024001", "李四", "西山技工学校", "2024秋", "国家助学金"],
                                             ["2024002", "王六", "东方技工学校", "2024秋", "国家助学金"]])
    write_xlsx(tmp_path / "in" / "资助2.xlsx", [["学籍号", "姓名", "学期", "资助类型"],
                                              ["2024001", "赵七", "2025春", "国家助学金"]])
    r = cli("check", tmp_path / "in", *AS_OF, "--format", "csv,json")
    s = r.rule("S008").sort("file")
    assert s.select("file", "row").rows() == [(str(tmp_path / "in" / "资助.xlsx"), "3"),
                                              (str(tmp_path / "in" / "资助2.xlsx"), "2")], s.rows()
    assert "王六" in s["message"][0] and "赵七" in s["message"][1]


def test_s008_name_differs_between_roster_and_aid(tmp_path, cli):
    idn = make_id(seq="101")
    write_xlsx(tmp_path / "in" / "名册.xlsx", [HEAD, row(idn=idn, name="张伟")])
    write_xlsx(tmp_path / "in" / "资助.xlsx", [["身份证号", "姓名", "学校名称", "学期", "资助类型"],
                                             [idn.lower(), "张玮", "东方技工学校", "2024秋", "国家助学金"],
                                             [idn, "张伟", "东方技工学校", "2025春", "国家助学金"]])
    r = cli("check", tmp_path / "in", *AS_OF)
    s = r.rule("S008")
    assert s["row"].to_list() == ["2"] and "张玮" in s["message"][0] and "张伟" in s["message"][0]
