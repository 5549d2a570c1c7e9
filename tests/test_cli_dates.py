"""Dates on the command line and the check date (issue 13 point 7): every date form a data cell
accepts is accepted by --as-of, --publicity-start/--publicity-end, `publicity make --start` and
`workdays`; a year-month only value or a reversed range is a clear Chinese error (exit 2); the
检查基准日 is shown in the terminal summary and the HTML report in every mode."""

from __future__ import annotations

import pytest

from conftest import ROSTER_HEADERS, make_id, roster_row, write_xlsx

FORMS = ["2025-06-30", "2025-6-30", "2025/6/30", "2025.6.30", "20250630", "2025年6月30日", "２０２５－６－３０"]


def _roster(tmp_path):
    # enrolled 2025-06-01: a 20 October deadline, so the result depends on the check date
    return write_xlsx(tmp_path / "in" / "学籍名册.xlsx",
                      [ROSTER_HEADERS + ["注册日期"],
                       roster_row("S1", "", make_id(seq="101"), enroll="2025-06-01") + ["2025-06-29"],
                       roster_row("S2", "乙", make_id(seq="103"), enroll="2025-06-01") + [""]])


@pytest.mark.parametrize("form", FORMS)
def test_as_of_accepts_every_date_form(tmp_path, cli, form):
    f = _roster(tmp_path)
    ref = cli("check", f, "--as-of", "2025-06-30", "--format", "csv,json", out=tmp_path / "ref")
    r = cli("check", f, "--as-of", form, "--format", "csv,json", out=tmp_path / "got")
    assert r.code == ref.code == 1, r.stderr
    assert r.json["run"]["as_of"] == "2025-06-30"
    assert (r.out / "findings.csv").read_bytes() == (ref.out / "findings.csv").read_bytes()
    assert "检查基准日 2025-06-30" in r.stdout


@pytest.mark.parametrize(("form", "says"), [
    ("2025-06", "只有年和月"), ("2025年6月", "只有年和月"), ("2025.6", "只有年和月"),
    ("2025-13-01", "无法识别为日期"), ("2025-2-30", "无法识别为日期"), ("45838", "无法识别为日期"),
    ("明天", "无法识别为日期"), ("", "无法识别为日期"),
])
def test_as_of_refuses_what_is_not_a_day(tmp_path, cli, form, says):
    r = cli("check", _roster(tmp_path), "--as-of", form)
    assert r.code == 2 and f"--as-of「{form}」" in r.stderr and says in r.stderr, r.stderr
    assert "2025年6月30日" in r.stderr  # the accepted forms are named
    assert not r.out.exists()


def test_publicity_dates_accept_every_form(tmp_path, cli):
    f = write_xlsx(tmp_path / "公示名单.xlsx", [["序号", "姓名", "学校", "资助类型"],
                                             ["1", "张三", "东方技工学校", "国家助学金"]], title="公示")
    iso = cli("check", "--publicity", f, "--as-of", "2018-12-31", "--format", "json",
              "--publicity-start", "2018-09-28", "--publicity-end", "2018-10-08", out=tmp_path / "a")
    zh = cli("check", "--publicity", f, "--as-of", "2018年12月31日", "--format", "json",
             "--publicity-start", "2018年9月28日", "--publicity-end", "2018.10.8", out=tmp_path / "b")
    assert [x["message"] for x in iso.json["findings"] if x["rule_id"] == "P401"] == \
        [x["message"] for x in zh.json["findings"] if x["rule_id"] == "P401"] != []
    assert zh.json["run"]["parameters"]["publicity_start"] == "2018-09-28"
    bad = cli("check", "--publicity", f, "--publicity-start", "2018年9月", out=tmp_path / "c")
    assert bad.code == 2 and "--publicity-start「2018年9月」只有年和月" in bad.stderr


def test_publicity_make_start_accepts_every_form(tmp_path, cli):
    aid = write_xlsx(tmp_path / "资助.xlsx", [["学籍号", "姓名", "身份证号", "学校名称", "学期", "资助类型", "金额"],
                                            ["S1", "张三", make_id("20030101", seq="123"), "东方技工学校", "2018秋",
                                             "国家助学金", "1000"]])
    a = cli("publicity", "make", "--aid", aid, "--start", "2018-11-05", "--out", tmp_path / "a.xlsx")
    b = cli("publicity", "make", "--aid", aid, "--start", "2018年11月5日", "--out", tmp_path / "b.xlsx")
    assert a.code == b.code == 0, b.stderr
    assert a.stdout.replace("a.xlsx", "b.xlsx") == b.stdout
    c = cli("publicity", "make", "--aid", aid, "--start", "2018-11", "--out", tmp_path / "c.xlsx")
    assert c.code == 2 and "--start「2018-11」只有年和月" in c.stderr and not (tmp_path / "c.xlsx").exists()


@pytest.mark.parametrize(("a", "b"), [("2024年9月27日", "2024.10.16"), ("20240927", "2024/10/16")])
def test_workdays_accepts_every_form(cli, a, b):
    ref = cli("workdays", "2024-09-27", "2024-10-16")
    r = cli("workdays", a, b)
    assert r.code == 0 and r.stdout == ref.stdout and "10 个工作日" in r.stdout


def test_workdays_reversed_is_a_clear_error(cli):
    r = cli("workdays", "2024-10-16", "2024-09-27")
    assert r.code == 2
    assert "起始日期 2024-10-16 晚于结束日期 2024-09-27" in r.stderr
    assert "xueji-check workdays 2024-09-27 2024-10-16" in r.stderr and r.stdout == ""
    same = cli("workdays", "2024-10-16", "2024-10-16")
    assert same.code == 0 and "0 个工作日" in same.stdout


def test_workdays_keeps_its_estimate_marks(cli):
    r = cli("workdays", "2027年9月27日", "2027.10.12")
    assert r.code == 0 and "（估计）" in r.stdout


def test_check_date_in_every_mode(tmp_path, cli):
    f = _roster(tmp_path)
    for cmd in ("check", "validate"):
        r = cli(cmd, f, "--as-of", "2025年6月30日", "--format", "html,json", out=tmp_path / cmd)
        assert "检查基准日 2025-06-30" in r.stdout, (cmd, r.stdout)
        page = (r.out / "report.html").read_text(encoding="utf-8")
        assert "检查基准日" in page and "2025-06-30" in page.split("检查基准日")[1][:80]
