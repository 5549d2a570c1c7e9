"""P403 against masked names on publicity lists (王*伟, 张*, 刘**) and the aid-type wordings a
publicity list shares with the aid table (国家助学金（一等）), through the real CLI."""

from __future__ import annotations

import polars as pl
import pytest

from conftest import make_id, write_xlsx
from xueji_check.rules.publicity import mask_parts, masked_matches

TITLE = "东方技工学校2018年秋季学期国家助学金公示名单 公示时间：2018年11月5日至2018年11月9日"
HEADERS = ["序号", "姓名", "学校", "专业", "班级", "资助类型"]


def run(tmp_path, cli, recipients, listed, *, types=None, school="东方技工学校"):
    """Check an aid table of `recipients` (names, or (name, school)) against one publicity list
    of `listed` names (aid type per row from `types`, else 国家助学金)."""
    recipients = [r if isinstance(r, tuple) else (r, school) for r in recipients]
    aid = write_xlsx(tmp_path / "资助.xlsx", [["身份证号", "姓名", "学校名称", "学期", "资助类型"]] + [
        [make_id("20030101", seq=f"{100 + i}"), n, s, "2018秋", "国家助学金"] for i, (n, s) in enumerate(recipients)])
    types = types or ["国家助学金"] * len(listed)
    rows = [[str(i + 1), n, school, "数控加工", "1班", t] for i, (n, t) in enumerate(zip(listed, types, strict=True))]
    f = write_xlsx(tmp_path / "公示名单.xlsx", [HEADERS, *rows], title=TITLE)
    return cli("check", "--publicity", f, "--aid", aid, "--as-of", "2018-12-31", "--format", "csv,json")


def p403(r) -> list[str]:
    return sorted(r.rule("P403")["name"].to_list())


# ------------------------------------------------------------------ masked names
@pytest.mark.parametrize("recipient,listed", [
    ("王大伟", "王*伟"),      # one hidden character in the middle
    ("张三", "张*"),          # a single trailing mask: one character...
    ("张三丰", "张*"),        # ...or more (张* is written for 张三丰 too)
    ("刘一二", "刘**"),       # a run: one character each
    ("欧阳娜娜", "欧阳*"),    # a compound surname shown
    ("王大伟", "王×伟"),
    ("陈立", "陈○"),
])
def test_p403_masked_name_found(tmp_path, cli, recipient, listed):
    r = run(tmp_path, cli, [recipient], [listed])
    assert p403(r) == [], r.rule("P403")["message"].to_list()
    assert "P403" not in r.json["run"].get("unjudged", {})


@pytest.mark.parametrize("recipient,listed", [
    ("王大明", "王*伟"),      # a different shown character
    ("李大伟", "王*伟"),      # a different surname
    ("王伟", "王*伟"),        # shorter than the mask
    ("王大小伟", "王*伟"),    # longer: a mask in the middle is one character
    ("刘一", "刘**"),         # a run at the end is one character each: exactly three
    ("刘一二三", "刘**"),
    ("欧阳娜", "欧阳*娜"),    # one hidden character: four in all
    ("张", "张*"),            # a trailing mask hides at least one character
])
def test_p403_masked_name_near_miss_still_reported(tmp_path, cli, recipient, listed):
    """The mask does not fit: still reported, next to a recipient a mask on the same list fits
    (赵六 as 赵*), who is not."""
    r = run(tmp_path, cli, [recipient, "赵六"], [listed, "赵*"])
    assert p403(r) == [recipient], r.rule("P403")["message"].to_list()


def test_p403_masked_names_messy(tmp_path, cli):
    """Full-width ＊, spaces around and inside, a note in brackets, a mask mixed with an exact name
    on the same list: each recipient a mask fits is found; the one none fits is reported."""
    recipients = ["王大伟", "李小明", "张三丰", "赵钱孙", "孙悟空", "周八"]
    listed = [" 王＊伟 ", "李 ＊ 明", "张＊（代领）", "赵**", "孙悟空", "周*九"]
    r = run(tmp_path, cli, recipients, listed)
    assert p403(r) == ["周八"], r.rule("P403")["message"].to_list()
    assert "姓名「周八」" in r.rule("P403")["message"][0]


def test_p403_masked_name_only_at_its_own_school(tmp_path, cli):
    """A mask on 东方技工学校's list does not stand for a recipient of another school."""
    aid = write_xlsx(tmp_path / "资助.xlsx", [
        ["身份证号", "姓名", "学校名称", "学期", "资助类型"],
        [make_id("20030101", seq="101"), "王大伟", "东方技工学校", "2018秋", "国家助学金"],
        [make_id("20030101", seq="103"), "王小伟", "西方技工学校", "2018秋", "国家助学金"]])
    east = write_xlsx(tmp_path / "东方公示.xlsx", [HEADERS, ["1", "王*伟", "东方技工学校", "数控", "1班", "国家助学金"]],
                      title=TITLE)
    west = write_xlsx(tmp_path / "西方公示.xlsx", [HEADERS, ["1", "李*", "西方技工学校", "数控", "1班", "国家助学金"]],
                      title=TITLE.replace("东方", "西方"))
    r = cli("check", "--publicity", east, "--publicity", west, "--aid", aid, "--as-of", "2018-12-31",
            "--format", "csv,json")
    assert p403(r) == ["王小伟"], r.rule("P403")["message"].to_list()


def test_p403_one_mask_two_recipients_is_not_judged(tmp_path, cli):
    """One 王*伟 on the list, two recipients it fits: which one it stands for is unknown, so neither
    is reported; both are counted as not judged. Two rows of 王*伟 stand for both: judged, found."""
    r = run(tmp_path, cli, ["王大伟", "王小伟", "张三"], ["王*伟", "张三"])
    assert p403(r) == [], r.rule("P403")["message"].to_list()
    unjudged = r.json["run"]["unjudged"]["P403"]
    assert unjudged["rows"] == 2 and list(unjudged["reasons"].values()) == [2], unjudged
    r = run(tmp_path / "2", cli, ["王大伟", "王小伟", "张三"], ["王*伟", "王*伟", "张三"])
    assert p403(r) == [] and "P403" not in r.json["run"].get("unjudged", {})


def test_mask_parts_lengths():
    """The regex and join keys of each mask (no CLI)."""
    df = pl.DataFrame({"_nk": ["王*伟", "张*", "刘**", "*伟", "*", "欧阳*娜"]}).select(mask_parts(pl.col("_nk")))
    assert df["_re"].to_list() == ["^王.伟$", "^张.+$", "^刘..$", "^.伟$", "^.+$", "^欧阳.娜$"]
    assert df["_first"].to_list() == ["王", "张", "刘", None, None, "欧"]
    assert df["_len"].to_list() == [3, None, 3, 2, None, 4]
    fixed = pl.DataFrame({"_nk": ["王**", "王*伟", "*伟", "刘**"], "_f": [True, True, True, False]}).select(
        mask_parts(pl.col("_nk"), pl.col("_f")))
    assert fixed["_re"].to_list() == ["^王.+$", "^王.+伟$", "^.+伟$", "^刘..$"]
    assert fixed["_len"].to_list() == [None, None, None, 3]


def test_masked_matches_without_school_column():
    names = pl.LazyFrame({"_nk": ["王大伟", "王大明", "张三丰"], "school_name": [None, None, None]},
                         schema={"_nk": pl.String, "school_name": pl.String})
    masks = pl.DataFrame({"_nk": ["王*伟", "张*"], "_school": ["东方技工学校", None], "_rows": [1, 1]},
                         schema={"_nk": pl.String, "_school": pl.String, "_rows": pl.UInt32})
    got = masked_matches(names, masks, by_school=False).collect().sort("_nk")
    assert got["_nk"].to_list() == ["张三丰", "王大伟"] and got["_clear"].to_list() == [True, True]


# ------------------------------------------------------------------ aid types as the aid table writes them
@pytest.mark.parametrize("written", ["国家助学金（一等）", "国家助学金(一等)", "中职国家助学金", "国家助学金二档",
                                     " 国家助学金（二等） ", "助学金 一等"])
def test_publicity_reads_the_aid_tables_grant_wordings(tmp_path, cli, written):
    r = run(tmp_path, cli, ["张三"], ["张三"], types=[written])
    assert r.rule("S007").height == 0, r.rule("S007")["message"].to_list()
    assert p403(r) == []


@pytest.mark.parametrize("written", ["国家助学金（特等）", "国家助学金一等奖"])
def test_publicity_grant_near_miss_still_s007(tmp_path, cli, written):
    """A wording the aid table does not read either stays as written (S007), next to one it reads."""
    r = run(tmp_path, cli, ["张三", "李四"], ["张三", "李四"], types=[written, "国家助学金（一等）"])
    s007 = r.rule("S007")
    assert s007["name"].to_list() == ["张三"] and s007["column"].to_list() == ["资助类型"], s007["message"].to_list()


@pytest.mark.parametrize("written", ["省级助学金", "国家奖学金", "助学金（校级）"])
def test_publicity_other_aid_is_no_error(tmp_path, cli, written):
    """Aid outside the notice on a publicity list, as in the aid table (schemas out_of_scope): no
    S007; the row is counted in a 提示 and left out of the rules."""
    r = run(tmp_path, cli, ["张三", "李四"], ["张三", "李四"], types=[written, "国家助学金（一等）"])
    assert r.rule("S007").height == 0, r.rule("S007")["message"].to_list()
    assert any("其他资助" in p["message"] for p in r.json["run"]["problems"])


def test_publicity_grant_tier_scopes_the_list(tmp_path, cli):
    """A list whose title names no aid type and whose rows all say 国家助学金（一等） covers the
    national grant: a grant recipient missing from it is reported (before, the list covered only
    the unread wording, and no recipient was judged)."""
    aid = write_xlsx(tmp_path / "资助.xlsx", [
        ["身份证号", "姓名", "学校名称", "学期", "资助类型"],
        [make_id("20030101", seq="101"), "张三", "东方技工学校", "2018秋", "国家助学金"],
        [make_id("20030101", seq="103"), "李四", "东方技工学校", "2018秋", "国家助学金"]])
    f = write_xlsx(tmp_path / "公示名单.xlsx", [HEADERS, ["1", "张三", "东方技工学校", "数控", "1班", "国家助学金（一等）"]],
                   title="东方技工学校2018年秋季学期资助公示 公示时间：2018年11月5日至2018年11月9日")
    r = cli("check", "--publicity", f, "--aid", aid, "--as-of", "2018-12-31", "--format", "csv,json")
    assert r.rule("S007").height == 0 and p403(r) == ["李四"], r.findings["message"].to_list()


# ------------------------------------------------------------------ lists masking every name to one width
def test_p403_fixed_width_masks_match_the_characters_shown(tmp_path, cli):
    """Review: a list masking every name as its surname and two stars (王伟 → 王**, 张三丰 → 张**)
    reported 王伟 and 李娜 (王** read as three characters). Such a list is matched on the characters
    shown; a recipient whose surname no mask shows is still reported."""
    r = run(tmp_path, cli, ["王伟", "李娜", "张三丰", "赵六"], ["王**", "李**", "张**"])
    assert p403(r) == ["赵六"], r.rule("P403")["message"].to_list()
    assert "P403" not in r.json["run"].get("unjudged", {})


@pytest.mark.parametrize("listed", [
    ["王**", "李*"],          # a list masking character by character: 王** is three characters
    ["王**", "李娜", "张*明"],  # masks of two shapes
    ["王**", "李娜"],         # one masked name: nothing tells how the list masks
])
def test_p403_fixed_width_near_miss_character_masks(tmp_path, cli, listed):
    r = run(tmp_path, cli, ["王伟", "李娜"], listed)
    assert p403(r) == ["王伟"], r.rule("P403")["message"].to_list()


def test_p403_fixed_width_mask_fitting_two_recipients_is_not_judged(tmp_path, cli):
    """One 王** on a fixed-width list, recipients 王伟 and 王大伟 both fit it: neither reported,
    both counted as not judged (the list has one row of it); two rows of it stand for both."""
    r = run(tmp_path, cli, ["王伟", "王大伟", "李娜"], ["王**", "李**"])
    assert p403(r) == [], r.rule("P403")["message"].to_list()
    assert r.json["run"]["unjudged"]["P403"]["rows"] == 2
    r = run(tmp_path / "2", cli, ["王伟", "王大伟", "李娜"], ["王**", "王**", "李**"])
    assert p403(r) == [] and "P403" not in r.json["run"].get("unjudged", {})


def test_p403_fixed_width_masks_messy(tmp_path, cli):
    """Messy: full-width ＊ and ×, spaces, a compound surname with the same two marks (欧阳××), the
    first and last characters shown (王*伟 style) on a list of one width: matched on what is shown
    (王*伟 is 王大小伟 there). A recipient the shown characters rule out (王明 for 王*伟) is reported."""
    r = run(tmp_path, cli, ["王伟", "李娜", "欧阳娜娜", "周八"], [" 王＊＊ ", "李 ×× ", "欧阳××", "周**"])
    assert p403(r) == [], r.rule("P403")["message"].to_list()
    r = run(tmp_path / "2", cli, ["王大小伟", "李建国", "王明"], ["王*伟", "李*国", "赵*钱"])
    assert p403(r) == ["王明"], r.rule("P403")["message"].to_list()
