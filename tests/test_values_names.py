"""Names as people type them (issue 12, point 6) and names damaged by a GBK save (point 7): one
canonical form for matching (S008, R102; `name_key` for P403), the name as typed in every output,
`?`/`？`/U+FFFD reported as encoding damage with the fix, never as another person."""

from __future__ import annotations

import polars as pl
import pytest

from conftest import ROSTER_HEADERS, make_id, roster_row, write_csv, write_xlsx
from xueji_check import normalize as nz

AS_OF = ("--as-of", "2025-01-01")
AID_HEAD = ["学籍号", "姓名", "身份证号", "学校名称", "学期", "资助类型", "金额(元)", "申报日期"]
DOTS = ["·", "•", "‧", "∙", "・", "．", ".", "･", "⋅", "\u2024", "\u0387", "\u2e31", "\ua78f", "\ufe52", " ", "-", "—", ""]


def keys(values):
    return pl.DataFrame({"v": values}, schema={"v": pl.String}).select(nz.name_key(pl.col("v")))["v"].to_list()


@pytest.mark.parametrize("dot", DOTS)
def test_every_separator_dot_is_one_name(dot):
    assert keys([f"阿卜杜拉{dot}艾力", f" 阿卜杜拉{dot}艾力\u200b"]) == ["阿卜杜拉艾力"] * 2


def test_latin_names_width_case_and_spaces():
    assert keys(["Kim Min-jun", "KIM MINJUN", "ＫＩＭ　ＭＩＮＪＵＮ", "kim  minjun", "O'Neil Ann", "ONEIL ANN"]) == \
        ["KIMMINJUN"] * 4 + ["ONEILANN"] * 2


def test_near_miss_different_names_stay_different():
    assert len(set(keys(["张三", "张山", "张三丰", "KIM MINJUN", "KIM MINJIN"]))) == 5


def test_display_keeps_what_was_typed():
    got = pl.DataFrame({"v": ["KIM  MINJUN", "\u202d阿卜杜拉·艾力\u202c", "ＫＩＭ", " 张三 "]}).select(
        nz.name_display(pl.col("v")))["v"].to_list()
    assert got == ["KIM  MINJUN", "阿卜杜拉·艾力", "ＫＩＭ", "张三"]


def test_damage_marks():
    got = pl.DataFrame({"v": ["张?", "张？", "张\ufffd", "张三", None]}).select(nz.name_damaged(pl.col("v")))["v"]
    assert got.to_list() == [True, True, True, False, False]


def aid_row(sid, name, idn, term="2024秋"):
    return [sid, name, idn, "东方技工学校", term, "国家助学金", "1000", "2024-10-15"]


def test_s008_ignores_how_a_name_is_typed_but_not_a_different_name(tmp_path, cli):
    ids = [make_id(seq=f"{s:03d}") for s in (101, 103, 105, 107, 109)]
    roster = write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS,
                                                 roster_row("D1", "阿卜杜拉·艾力", ids[0]),
                                                 roster_row("D2", "KIM MINJUN", ids[1]),
                                                 roster_row("D3", "张三", ids[2]),
                                                 roster_row("D4", "Lee Ann", ids[3], gender="女"),
                                                 roster_row("D5", "王五", ids[4])])
    aid = write_xlsx(tmp_path / "资助.xlsx", [AID_HEAD,
                                            aid_row("D1", "阿卜杜拉•艾力", ids[0]),
                                            aid_row("D2", "ＫＩＭ　ＭＩＮＪＵＮ", ids[1]),
                                            aid_row("D3", "张 三", ids[2]),
                                            aid_row("D4", "LEE ANN", ids[3]),
                                            aid_row("D5", "王六", ids[4])])
    r = cli("check", "--roster", roster, "--aid", aid, *AS_OF)
    s008 = r.rule("S008")
    assert s008["row"].to_list() == ["6"]
    assert s008["message"][0] == "姓名「王六」与学籍名册中同一学生的姓名「王五」不一致，请核对是否录错或冒名"


def test_s008_a_note_in_brackets_after_a_name_is_no_other_name(tmp_path, cli):
    """张三（代领）, 李四(曾用名李思), 孙七【休学】 in the aid table are the roster's 张三, 李四, 孙七 with a
    remark (they had been S008, 冒名). Near miss: 王六（代领） for the roster's 王五 is still S008."""
    names = [("张三", "张三（代领）"), ("李四", "李四(曾用名李思)"), ("孙七", "孙七【休学】"), ("王五", "王六（代领）")]
    ids = [make_id(seq=f"{s:03d}") for s in (101, 103, 105, 107)]
    roster = write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS, *[roster_row(f"D{i}", r, x)
                                                                   for i, ((r, _), x) in enumerate(zip(names, ids, strict=True))]])
    aid = write_xlsx(tmp_path / "资助.xlsx", [AID_HEAD, *[aid_row(f"D{i}", a, x)
                                                        for i, ((_, a), x) in enumerate(zip(names, ids, strict=True))]])
    s008 = cli("check", "--roster", roster, "--aid", aid, *AS_OF).rule("S008")
    assert s008["student_id"].to_list() == ["D3"], s008["message"].to_list()
    assert keys(["张三（代领）", "李四(曾用名李思)", "Kim (Min)jun", "(张三)"]) == ["张三", "李四", "KIM(MIN)JUN", None]


def test_r102_matches_canonical_names_and_outputs_the_names_as_typed(tmp_path, cli):
    a, b = make_id("20080101", seq="111"), make_id("20080101", region="440305", seq="111")
    f = write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS, roster_row("D1", "KIM MINJUN", a),
                                             roster_row("D2", "Kim Min-jun", b, school="西方技工学校")])
    r = cli("check", "--roster", f, *AS_OF)
    r102 = r.rule("R102")
    assert sorted(r102["name"].to_list()) == ["KIM MINJUN", "Kim Min-jun"]
    assert "姓名「Kim Min-jun」" in r102.filter(pl.col("row") == "2")["message"][0]


def test_gbk_damaged_names_are_encoding_damage_not_another_person(tmp_path, cli):
    ids = [make_id(seq=f"{s:03d}") for s in (101, 103, 105)]
    roster = write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS, roster_row("D1", "王䶮", ids[0]),
                                                 roster_row("D2", "李𠮷", ids[1]), roster_row("D3", "张三", ids[2])])
    # what a GBK/ANSI save makes of them: one ? per lost character, or U+FFFD
    aid = write_csv(tmp_path / "资助.csv", [AID_HEAD, aid_row("D1", "王?", ids[0]), aid_row("D2", "李\ufffd\ufffd", ids[1]),
                                           aid_row("D3", "李?", ids[2])], encoding="utf-8")
    r = cli("check", "--roster", roster, "--aid", aid, *AS_OF)
    s008 = r.rule("S008")
    # 王? and 李�� match on their legible characters; 李? is not 张三 even so
    assert s008["row"].to_list() == ["4"]
    msg = s008["message"][0]
    assert "不一致" not in msg and "GBK" in msg and "可辨认的字也不相同" in msg
    problems = [p for p in r.json["run"]["problems"] if "GBK" in p["message"]]
    assert len(problems) == 1
    assert "第 2、3、4 行" in problems[0]["message"] and "CSV UTF-8" in problems[0]["message"]
    assert problems[0]["level"] == "warning"
    assert "CSV UTF-8" in r.stderr


def test_damaged_roster_names_are_not_suspected_duplicates(tmp_path, cli):
    a, b = make_id("20080101", seq="111"), make_id("20080101", region="440305", seq="111")
    f = write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS, roster_row("D1", "王?", a), roster_row("D2", "王?", b)])
    r = cli("check", "--roster", f, *AS_OF)
    assert r.rule("R102").height == 0
    assert r.json["run"]["unjudged"]["R102"]["rows"] == 2
    problems = [p for p in r.json["run"]["problems"] if "GBK" in p["message"]]
    assert "从原系统重新导出" in problems[0]["message"]  # an xlsx: the fix names the export


def test_near_miss_question_mark_free_names_still_compared(tmp_path, cli):
    a, b = make_id("20080101", seq="111"), make_id("20080101", region="440305", seq="111")
    f = write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS, roster_row("D1", "王一", a), roster_row("D2", "王 一", b)])
    r = cli("check", "--roster", f, *AS_OF)
    assert r.rule("R102").height == 2
    assert not [p for p in r.json["run"]["problems"] if "GBK" in p["message"]]
