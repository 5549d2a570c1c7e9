"""Aid the notice does not cover (省级助学金, 国家奖学金, 勤工助学 in 资助类型): no S007, its rows
left out of every aid and publicity rule, a 提示 counting them (schemas/aid.toml out_of_scope,
engine.leave_out_of_scope). Near misses: the national aids written otherwise are still judged;
a value naming a national aid with something odd stays S007."""

from __future__ import annotations

from conftest import make_id, roster_row
from test_rules_aid import AID_HEADERS, aid_row, check, files

A = make_id("20030101", seq="123")
B = make_id("20030102", seq="133")
FAKE = make_id("20030105", seq="153")  # on no roster


def _roster():
    return [roster_row("S1", "张三", A, mode="非全日制", enroll="2018-09-01"),
            roster_row("S2", "李四", B, enroll="2018-09-01")]


def test_other_aid_is_neither_wrong_nor_judged(tmp_path, cli):
    rows = [aid_row("S1", "张三", A, kind="省级助学金"),  # part-time: A301 if it were national aid
            aid_row("S9", "王五", FAKE, kind="国家奖学金", apply="2019-06-10"),  # no roster: A302; late: A306
            aid_row("S2", "李四", B, kind="校级 助学金", method="现金"),  # cash: A309 for the grant
            aid_row("S2", "李四", B, kind="校级 助学金", method="现金"),  # twice: A304
            aid_row("S2", "李四", B, kind="助学金（省级）"),
            aid_row("S2", "李四", B, kind="勤工助学")]
    r = check(cli, *files(tmp_path, rows, _roster()))
    assert r.findings.height == 0, r.findings.select("rule_id", "message").rows()
    info = [p["message"] for p in r.json["run"]["problems"] if "其他资助" in p["message"]]
    assert len(info) == 1 and info[0].startswith("有 6 行资助类型是通知范围以外的其他资助（校级助学金 2 行"), info
    skipped = r.json["run"]["skipped_rules"]
    assert skipped["A302"] == "资助申报与发放中没有免学费或国家助学金的行（都是其他资助）"


def test_national_aid_beside_other_aid_is_still_judged(tmp_path, cli):
    rows = [aid_row("S1", "张三", A),  # part-time with the national grant: A301
            aid_row("S9", "王五", FAKE, kind="国家助学金（一等）"),  # no roster: A302
            aid_row("S2", "李四", B, kind="省级助学金"),
            aid_row("S2", "李四", B, kind="国家助学金补助")]  # names the grant: not other aid, S007
    r = check(cli, *files(tmp_path, rows, _roster()))
    assert r.rule("A301")["student_id"].to_list() == ["S1"]
    assert r.rule("A302")["student_id"].to_list() == ["S9"]
    s007 = r.rule("S007")
    assert s007["message"].to_list() == ["资助类型「国家助学金补助」不在规定范围内，可填：免学费、国家助学金"], s007
    assert "A302" not in r.json["run"]["skipped_rules"]


def test_other_aid_in_a_headerless_kind_column_order(tmp_path, cli):
    """Messy: the kind column called 资助项目, values with spaces and full-width brackets."""
    headers = [h if h != "资助类型" else "资助项目" for h in AID_HEADERS]
    rows = [aid_row("S9", "王五", FAKE, kind=" 市级 奖学金 "), aid_row("S9", "王五", FAKE, kind="助学金 （校级）")]
    r = check(cli, *files(tmp_path, rows, _roster(), aid_headers=headers))
    assert r.findings.height == 0, r.findings.select("rule_id", "message").rows()


def test_grants_that_may_be_the_national_one_are_not_dropped(tmp_path, cli):
    """Review: 技校助学金, 学校助学金, 助学金（技工院校）, 三区三州助学金, 学费补助, 生活费补助 were dropped
    as other aid, hiding a fake recipient. They stay S007, and the rules judge the row."""
    kinds = ["技校助学金", "学校助学金", "助学金（技工院校）", "三区三州助学金", "学费补助", "生活费补助"]
    rows = [aid_row("S9", "王五", FAKE, kind=k, term=t) for k, t in zip(kinds, ["2018秋", "2019春", "2019秋", "2020春",
                                                                            "2020秋", "2021春"], strict=True)]
    r = check(cli, *files(tmp_path, rows, _roster()))
    assert r.rule("S007").height == len(kinds), r.rule("S007")["message"].to_list()
    assert r.rule("A302").height == len(kinds)
    assert not any("其他资助" in p["message"] for p in r.json["run"]["problems"])
