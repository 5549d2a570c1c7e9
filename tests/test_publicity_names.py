"""The aid-type wordings a publicity list shares with the aid table (国家助学金（一等）), through the
real CLI."""

from __future__ import annotations

import pytest

from conftest import make_id, write_xlsx

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


# ------------------------------------------------------------------ aid types as the aid table writes them
@pytest.mark.parametrize("written", ["国家助学金（一等）", "国家助学金(一等)", "中职国家助学金", "国家助学金二档",
                                     " 国家助学金（二等） ", "助学金 一等"])
def test_publicity_reads_the_aid_tables_grant_wordings(tmp_path, cli, written):
    r = run(tmp_path, cli, ["张三"], ["张三"], types=[written])
    assert r.rule("S007").height == 0, r.rule("S007")["message"].to_list()
    assert p403(r) == []


@pytest.mark.parametrize("written", ["国家助学金（特等）", "国家助学金一等奖", "省级助学金", "国家奖学金"])
def test_publicity_grant_near_miss_still_s007(tmp_path, cli, written):
    """A wording the aid table does not read either stays as written (S007), next to one it reads."""
    r = run(tmp_path, cli, ["张三", "李四"], ["张三", "李四"], types=[written, "国家助学金（一等）"])
    s007 = r.rule("S007")
    assert s007["name"].to_list() == ["张三"] and s007["column"].to_list() == ["资助类型"], s007["message"].to_list()


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
