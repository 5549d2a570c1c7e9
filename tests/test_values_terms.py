"""Terms as schools write them (issue 12, point 5), and the rows a rule could not judge: reported
once by an S-rule, counted per rule in findings.json `run.unjudged` and on the terminal."""

from __future__ import annotations

import polars as pl
import pytest

from conftest import ROSTER_HEADERS, make_id, roster_row, write_xlsx
from xueji_check import normalize as nz

AS_OF = ("--as-of", "2024-12-31")
AID_HEAD = ["学籍号", "姓名", "身份证号", "学校名称", "学期", "资助类型", "金额(元)", "申报日期"]
A, B, C = make_id(seq="101"), make_id(seq="103"), make_id(seq="105")

READ = {
    "2024秋": "2024秋", "2024年秋": "2024秋", "2024秋季": "2024秋", "2024年秋季学期": "2024秋", "2024秋季学期": "2024秋",
    "2024年度秋季": "2024秋", "24秋": "2024秋", "24年春季学期": "2024春", " 2024 年 秋 季 ": "2024秋",
    "2024年下半年": "2024秋", "2024年上半年": "2024春",
    "2024-2025学年第一学期": "2024秋", "2024/2025学年第1学期": "2024秋", "2024-2025学年上学期": "2024秋",
    "2024-2025学年秋季学期": "2024秋", "2024～2025学年度第一学期": "2024秋", "2024—2025学年第一学期": "2024秋",
    "2024至2025学年第一学期": "2024秋", "２０２４－２０２５学年第一学期": "2024秋", "2024-2025-1": "2024秋",
    "2024-2025(1)": "2024秋", "2024-2025（1）": "2024秋", "24-25-1": "2024秋",
    "2024-2025学年第二学期": "2025春", "2024-2025学年下学期": "2025春", "2024-2025学年春季学期": "2025春",
    "2024-2025-2": "2025春", "2024学年第一学期": "2024秋", "2024学年第二学期": "2025春", "2024学年秋季学期": "2024秋",
    "2024学年度第二学期": "2025春", "二〇二四年秋": "2024秋",
}
NOT_READ = ["2024.09", "2024-09", "2024年9月", "2024年第一学期", "2024-2026学年第一学期", "2024-2025学年", "秋季学期",
            "下学期", "2024", "2025-2024学年第一学期", "abc", ""]


def labels(values):
    return pl.DataFrame({"v": values}, schema={"v": pl.String}).select(
        nz.term_struct(pl.col("v")).struct.field("label"))["label"].to_list()


def test_every_listed_form_is_read():
    assert labels(list(READ)) == list(READ.values())


@pytest.mark.parametrize("text", NOT_READ)
def test_near_misses_are_not_guessed(text):
    assert labels([text]) == [None]


def aid_row(sid, name, idn, term, kind="国家助学金", apply="2024-10-15"):
    return [sid, name, idn, "东方技工学校", term, kind, "1000", apply]


def roster(tmp_path):
    rows = [roster_row("D1", "张一", A), roster_row("D2", "李二", B), roster_row("D3", "王三", C)]
    return write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS, *rows])


def test_double_payment_under_two_spellings_is_one_term(tmp_path, cli):
    aid = write_xlsx(tmp_path / "资助.xlsx", [AID_HEAD,
                                            aid_row("D1", "张一", A, "2024秋"),
                                            aid_row("D1", "张一", A, "2024-2025学年秋季学期", apply="2024-10-20"),
                                            aid_row("D2", "李二", B, "2024-2025-1"),
                                            aid_row("D3", "王三", C, "2024/2025学年第一学期"),
                                            aid_row("D2", "李二", B, "2024-2025-2", apply="2025-03-15")])  # spring: not twice
    r = cli("check", "--roster", roster(tmp_path), "--aid", aid, *AS_OF)
    assert r.rule("S007").height == 0
    a304 = r.rule("A304")
    assert a304["row"].to_list() == ["2", "3"]
    assert "2024年秋季学期" in a304["message"][0]
    assert "unjudged" not in r.json["run"] or not r.json["run"]["unjudged"]


def test_unreadable_term_is_reported_once_and_counted_as_not_judged(tmp_path, cli):
    aid = write_xlsx(tmp_path / "资助.xlsx", [AID_HEAD,
                                            aid_row("D1", "张一", A, "2024秋"),
                                            aid_row("D1", "张一", A, "2024年第一学期", apply="2024-10-20"),
                                            aid_row("D2", "李二", B, "2024.09"),
                                            aid_row("D3", "王三", C, "2024秋")])
    r = cli("check", "--roster", roster(tmp_path), "--aid", aid, *AS_OF)
    s007 = r.rule("S007")
    assert s007["row"].to_list() == ["3", "4"]
    assert "无法识别为学期" in s007["message"][0] and "2024-2025学年第一学期" in s007["message"][0]
    assert r.findings.filter(pl.col("row").is_in(["3", "4"]))["rule_id"].to_list() == ["S007", "S007"]  # once
    unjudged = r.json["run"]["unjudged"]
    for rid in ("A303", "A304", "A305", "A306", "A307"):
        assert unjudged[rid]["rows"] == 2, (rid, unjudged)
        assert unjudged[rid]["kind"] == "aid"
        assert unjudged[rid]["reasons"] == {"学期无法识别或为空": 2}
    assert "未能判断（" in r.stdout and "A304 2 行（学期无法识别或为空：2 行）" in r.stdout


def test_empty_term_counts_too_and_other_reasons_are_named(tmp_path, cli):
    aid = write_xlsx(tmp_path / "资助.xlsx", [AID_HEAD,
                                            aid_row("D1", "张一", A, ""),
                                            aid_row("D2", "李二", B, "2024秋", kind="助学补贴"),
                                            aid_row("", "无名", "4101052008", "2024秋")])
    r = cli("check", "--roster", roster(tmp_path), "--aid", aid, *AS_OF)
    assert r.rule("S002")["row"].to_list() == ["2"]
    a304 = r.json["run"]["unjudged"]["A304"]
    assert a304["rows"] == 3
    assert a304["reasons"] == {"学期无法识别或为空": 1, "资助类型不在规定范围或为空": 1,
                               "既没有可用的证件号码也没有学籍号": 1}


def test_roster_rules_count_unreadable_dates_and_ids(tmp_path, cli):
    rows = [roster_row("D1", "张一", A, enroll="2024年秋"), roster_row("D2", "李二", "4101052008"),
            roster_row("D3", "王三", C, mode="非全日制", enroll="九月")]
    f = write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS, *rows])
    r = cli("check", "--roster", f, *AS_OF)
    u = r.json["run"]["unjudged"]
    assert u["R101"] == {"kind": "roster", "rows": 1, "reasons": {"身份证号无效": 1}}
    # R107 concerns full-time students only: the part-time row with a bad date is not counted
    assert u["R107"]["rows"] == 2
    assert u["R107"]["reasons"] == {"证件号码无效或不是居民身份证（无出生日期）": 1, "入学日期无法识别或为空": 1}
