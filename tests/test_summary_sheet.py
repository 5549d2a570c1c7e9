"""A sheet of totals beside the lists (汇总: 学校名称, 学期, 资助类型, 人数, 金额, a 合计 row) is no
list missing its columns: an info line, no S001 (load.is_summary_table). Near misses: a sheet
with a student column but no key (姓名 only) is still S001, and so is a list without any person
column whose sheet and headers say nothing of totals."""

from __future__ import annotations

from conftest import make_id, write_xlsx
from test_rules_aid import check

A = make_id("20030101", seq="123")
LIST = [["身份证号", "姓名", "学校名称", "学期", "资助类型", "金额", "发放日期"],
        [A, "张三", "东方技工学校", "2018秋", "国家助学金", "1000", "2018-12-01"]]


def test_a_totals_sheet_is_no_list(tmp_path, cli):
    totals = [["学校名称", "学期", "资助类型", "人数", "金额（元）"], ["东方技工学校", "2018秋", "国家助学金", "1", "1000"],
              ["合计", "", "", "1", "1000"]]
    f = write_xlsx(tmp_path / "资助.xlsx", LIST, sheet="发放明细", extra_sheets={"汇总": totals})
    r = check(cli, "--aid", f)
    assert r.rule("S001").height == 0, r.rule("S001")["message"].to_list()
    assert any("汇总表" in p["message"] and p["sheet"] == "汇总" for p in r.json["run"]["problems"])
    # headers counting people are enough, whatever the sheet's name
    f2 = write_xlsx(tmp_path / "资助2.xlsx", LIST, sheet="发放明细", extra_sheets={"Sheet2": totals})
    assert check(cli, "--aid", f2).rule("S001").height == 0


def test_a_list_missing_its_key_is_still_s001(tmp_path, cli):
    names = [["姓名", "学校名称", "学期", "资助类型", "金额"], ["李四", "东方技工学校", "2018秋", "国家助学金", "1000"]]
    f = write_xlsx(tmp_path / "资助.xlsx", LIST, sheet="发放明细", extra_sheets={"分班统计": names})
    assert check(cli, "--aid", f).rule("S001")["sheet"].to_list() == ["分班统计"]
    plain = [["学校名称", "学期", "资助类型", "金额"], ["东方技工学校", "2018秋", "国家助学金", "1000"]]
    f2 = write_xlsx(tmp_path / "资助2.xlsx", LIST, sheet="发放明细", extra_sheets={"补充": plain})
    assert check(cli, "--aid", f2).rule("S001")["sheet"].to_list() == ["补充"]
