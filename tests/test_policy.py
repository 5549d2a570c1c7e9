"""The policy file xueji.toml: defaults, overrides, validation, init-config."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import make_id, roster_row, write_xlsx
from xueji_check.policy import DEFAULT_CONFIG, Policy, PolicyError, load_policy

ROSTER = ["学籍号", "姓名", "身份证号", "性别", "学校名称", "学制", "学习形式", "入学日期", "学籍状态"]


def write(tmp_path, text: str):
    p = tmp_path / "xueji.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_init_config_writes_the_defaults(tmp_path, cli):
    target = tmp_path / "xueji.toml"
    res = cli("init-config", target)
    assert res.code == 0 and target.read_text(encoding="utf-8") == DEFAULT_CONFIG
    assert "大龄" in DEFAULT_CONFIG and "[deadlines.2019]" in DEFAULT_CONFIG
    loaded = load_policy(target)
    assert loaded.differences() == {} and loaded.source == str(target)
    again = cli("init-config", target)
    assert again.code == 2 and "已存在" in again.stderr
    assert cli("init-config", target, "--force").code == 0


def test_defaults_match_rules_md():
    p = Policy()
    assert (p.over_age, p.grant_per_term, p.grant_years, p.fee_waiver_years) == (25, 1500, 2, 3)
    assert (p.change_report_workdays, p.publicity_workdays) == (10, 5)
    assert p.deadline("registration", "spring", 2024) == dt.date(2024, 4, 20)
    assert p.deadline("registration", "autumn", 2024) == dt.date(2024, 10, 20)
    assert p.deadline("aid_application", "autumn", 2018) == dt.date(2018, 10, 30)
    assert p.term_start("autumn", 2018) == dt.date(2018, 9, 1)
    assert p.term_end("spring", 2018) == dt.date(2018, 8, 31)
    assert p.term_end("autumn", 2018) == dt.date(2019, 2, 28)
    assert p.term_end("autumn", 2019) == dt.date(2020, 2, 29)


def test_per_year_deadline_override(tmp_path):
    p = load_policy(write(tmp_path, '[deadlines]\nregistration = { autumn = "11-20" }\n'
                                    '[deadlines.2019]\nregistration = { autumn = "10-25" }\n'))
    assert p.deadline("registration", "autumn", 2019) == dt.date(2019, 10, 25)
    assert p.deadline("registration", "autumn", 2020) == dt.date(2020, 11, 20)
    assert p.deadline("registration", "spring", 2019) == dt.date(2019, 4, 20)
    assert p.deadline("aid_application", "autumn", 2019) == dt.date(2019, 10, 30)


def test_leap_day_deadline_in_a_common_year(tmp_path):
    p = load_policy(write(tmp_path, '[deadlines]\nregistration = { spring = "02-29" }\n'))
    assert p.deadline("registration", "spring", 2024) == dt.date(2024, 2, 29)
    assert p.deadline("registration", "spring", 2025) == dt.date(2025, 2, 28)


def test_severity_and_selection(tmp_path):
    p = load_policy(write(tmp_path, '[severity]\nR107 = "off"\nR102 = "error"\n[rules]\nselect = ["R1", "c"]\n'))
    assert not p.rule_enabled("R107") and p.rule_enabled("R101") and p.rule_enabled("C201")
    assert not p.rule_enabled("A301")
    assert p.severity_of("R102", "warning") == "error"
    top = load_policy(write(tmp_path, 'ignore = ["R107", "A"]\n'))
    assert not top.rule_enabled("R107") and not top.rule_enabled("A305") and top.rule_enabled("R108")


def test_holidays_accept_toml_dates_and_text(tmp_path):
    p = load_policy(write(tmp_path, '[holidays]\nextra_holidays = ["2027-01-01", 2027-02-11]\n'
                                    'extra_workdays = [2027-02-20T00:00:00]\n'))
    assert p.extra_holidays == (dt.date(2027, 1, 1), dt.date(2027, 2, 11))
    assert p.extra_workdays == (dt.date(2027, 2, 20),) and type(p.extra_workdays[0]) is dt.date


@pytest.mark.parametrize(("text", "needle"), [
    ("overage = 25\n", "未知的设置项"),
    ("over_age = \"25\"\n", "类型不对"),
    ("over_age = 0\n", "正整数"),
    ("over_age = true\n", "类型不对"),
    ("[deadlines]\nregistration = { autumn = \"10-32\" }\n", "不是有效日期"),
    ("[deadlines]\nregistration = { autumn = \"2019-10-20\" }\n", "MM-DD"),
    ("[deadlines]\nregistration = { summer = \"07-20\" }\n", "spring/autumn"),
    ("[deadlines]\nenrolment = { autumn = \"10-20\" }\n", "未知的期限"),
    ("[deadlines.1800]\nregistration = { autumn = \"10-20\" }\n", "年份"),
    ("[terms]\nspring = \"09-01\"\nautumn = \"03-01\"\n", "应早于"),
    ("[bulk_changes]\nshare = 1.5\n", "bulk_changes.share"),
    ("[bulk_changes]\ncount = true\n", "bulk_changes.count"),
    ("[holidays]\nextra_holidays = [\"2027-13-01\"]\n", "不是 YYYY-MM-DD"),
    ("[holidays]\nextra = []\n", "未知的设置项"),
    ("[severity]\nR999 = \"off\"\n", "未知的规则编号"),
    ("[severity]\nR107 = \"high\"\n", "error/warning/info/off"),
    ("[rules]\nselect = [\"Z\"]\n", "不匹配任何规则编号"),
    ("[rules]\nselect = [\"\"]\n", "不匹配任何规则编号"),
    ("select = [\"R1\"]\n[rules]\nselect = [\"C\"]\n", "只保留一处"),
    ("over_age = \n", "TOML 语法错误"),
    ("over_age = 25\nname = 东方\n", "第 2 行第 8 列附近"),
    ("[severity]\nR107 = \"严重\"\n", "错误/警告/提示/关闭"),
])
def test_bad_values_are_clear_errors(tmp_path, text, needle):
    with pytest.raises(PolicyError) as err:
        load_policy(write(tmp_path, text))
    assert needle in str(err.value) and "init-config" in str(err.value)


def test_severity_in_chinese(tmp_path):
    """[severity] R107 = "警告" (or 错误/提示/关闭) is what a Chinese user writes."""
    p = load_policy(write(tmp_path, '[severity]\nR107 = "警告"\nR101 = "关闭"\nA308 = "提示"\n'))
    assert p.severity == {"R107": "warning", "R101": "off", "A308": "info"}


def test_missing_policy_file(tmp_path):
    with pytest.raises(PolicyError, match="找不到策略文件"):
        load_policy(tmp_path / "nope.toml")


def test_check_with_bad_policy_exits_2(tmp_path, cli):
    f = write_xlsx(tmp_path / "in" / "名册.xlsx", [ROSTER, roster_row("1", "张三", make_id())])
    res = cli("check", "--roster", f, "--config", write(tmp_path, "overage = 25\n"), "--as-of", "2025-01-01")
    assert res.code == 2 and "未知的设置项" in res.stderr


def test_check_respects_off_and_records_policy(tmp_path, cli):
    f = write_xlsx(tmp_path / "in" / "名册.xlsx", [ROSTER, roster_row("1", "张三", make_id("19900101"))])
    res = cli("check", "--roster", f, "--config", write(tmp_path, '[severity]\nR107 = "off"\n'), "--as-of", "2025-01-01")
    assert res.rule("R107").height == 0
    assert res.json["run"]["skipped_rules"]["R107"] == "策略文件中已关闭"
    plain = cli("check", "--roster", f, "--as-of", "2025-01-01", out=tmp_path / "out2")
    assert plain.rule("R107").height == 1


def test_policy_as_shown_masks_a_number_value_of_a_mobile_shape_only():
    shown = Policy(over_age=13912345678, publicity_workdays=5).as_json()
    assert shown["over_age"] == "139****5678" and shown["publicity_workdays"] == 5
    assert Policy().as_json()["grant_per_term"] == Policy().grant_per_term
