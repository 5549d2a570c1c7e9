"""--baseline: new / persisting / resolved, and --fail-on new (回头看)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from conftest import ROSTER_HEADERS, make_id, roster_row, write_xlsx
from xueji_check.findings import apply_baseline, summary
from xueji_check.registry import CATALOG


def _rows(fixed: bool = False, extra: bool = False) -> list[list]:
    rows = [ROSTER_HEADERS,
            roster_row("B1", "" if not fixed else "钱七", make_id(seq="611")),  # S002 until fixed
            roster_row("B2", "孙八", make_id(seq="613"), mode="半日制"),  # S007 stays
            roster_row("B3", "周九", make_id(seq="615"), school="西城技工学校")]
    if extra:
        rows.append(roster_row("B4", "吴十", "410105200801011234", school="西城技工学校"))  # S003, new
    return rows


@pytest.fixture
def first(tmp_path, cli):
    f = write_xlsx(tmp_path / "run1" / "名册.xlsx", _rows(), title="东方技工学校学生名册")
    r = cli("check", f, "--as-of", "2025-01-01", out=tmp_path / "out1")
    assert r.code == 1, r.stdout + r.stderr
    return f, r


def test_second_run_all_persisting(tmp_path, cli, first):
    f, r1 = first
    r2 = cli("check", f, "--as-of", "2025-01-01", "--baseline", r1.out / "findings.json", "--fail-on", "new",
             "--format", "xlsx,csv,json,html", out=tmp_path / "out2")
    assert r2.code == 0, r2.stdout + r2.stderr
    doc = r2.json
    assert doc["findings"] and {x["status"] for x in doc["findings"]} == {"persisting"}
    assert doc["resolved"] == [] and doc["summary"]["resolved"] == 0
    assert doc["summary"]["per_status"] == {"new": 0, "persisting": len(doc["findings"])}
    assert set(r2.findings["status"].to_list()) == {"persisting"}
    assert "新增 0" in r2.stdout and "已整改 0" in r2.stdout
    wb = openpyxl.load_workbook(r2.out / "report.xlsx")
    overview = [str(c.value) for row in wb["总览"].iter_rows() for c in row if c.value is not None]
    assert "与基线（上次检查）比较" in overview
    statuses = {row[15].value for row in wb["问题清单"].iter_rows(min_row=2)}
    assert statuses == {"持续"}


def test_fixed_row_is_resolved_and_fail_on_new(tmp_path, cli, first):
    f, r1 = first
    old = r1.json["findings"]
    s002 = [x for x in old if x["rule_id"] == "S002"]
    assert len(s002) == 1
    # fix the empty name in a copy of the input; move the rows down by one (a new title line),
    # which must not matter: fingerprints do not depend on row numbers
    fixed = tmp_path / "run2" / "名册.xlsx"
    fixed.parent.mkdir()
    shutil.copy(f, fixed)
    wb = openpyxl.load_workbook(fixed)
    ws = wb.active
    assert ws["A3"].value == "B1" and ws["B3"].value is None
    ws["B3"] = "钱七"
    ws.insert_rows(1)
    ws["A1"] = "2025年春季学期"
    wb.save(fixed)
    r2 = cli("check", fixed, "--as-of", "2025-01-01", "--baseline", r1.out / "findings.json",
             "--fail-on", "new", "--format", "xlsx,csv,json,html", out=tmp_path / "out2")
    assert r2.code == 0, r2.stdout + r2.stderr  # errors remain, but none is new
    doc = r2.json
    assert [x["fingerprint"] for x in doc["resolved"]] == [s002[0]["fingerprint"]]
    assert doc["resolved"][0]["status"] == "resolved" and doc["resolved"][0]["rule_id"] == "S002"
    assert doc["summary"]["resolved"] == 1
    assert {x["status"] for x in doc["findings"]} == {"persisting"}
    assert len(doc["findings"]) == len(old) - 1
    assert "已整改 1" in r2.stdout
    wb = openpyxl.load_workbook(r2.out / "report.xlsx")
    rows = [[c.value for c in row] for row in wb["总览"].iter_rows()]
    assert ["已整改（上次有，本次没有）", 1] == rows[next(i for i, r in enumerate(rows)
                                                   if r[0] == "已整改（上次有，本次没有）")][:2]
    assert any(r[0] == "S002" and r[6] == s002[0]["message"] for r in rows)  # listed under 已整改的问题
    html = (r2.out / "report.html").read_text(encoding="utf-8")
    assert "已整改（上次有、本次没有）：1 项" in html

    # a new problem makes --fail-on new fail, and only it is `new`
    worse = tmp_path / "run3" / "名册.xlsx"
    write_xlsx(worse, _rows(fixed=True, extra=True), title="东方技工学校学生名册")
    r3 = cli("check", worse, "--as-of", "2025-01-01", "--baseline", r2.out / "findings.json",
             "--fail-on", "new", out=tmp_path / "out3")
    assert r3.code == 1, r3.stdout + r3.stderr
    new = r3.findings.filter(pl.col("status") == "new")
    assert new["rule_id"].to_list() == ["S003"]
    assert "新增 1" in r3.stdout


def test_findings_of_a_file_that_could_not_be_read_tonight_are_not_resolved(tmp_path, cli, first):
    """Tonight's export of the same name is damaged (not a workbook): last night's findings in it
    are gone because nothing was read, not because they were fixed. They are listed apart
    (`unverified`, with the reason), counted on the terminal and in report.xlsx, and no
    `resolved` entry claims them. The same for a rule that did not run tonight (R103 without the
    在职参保名单). Near miss: a finding fixed in a file that was read is resolved."""
    f, r1 = first
    tonight = tmp_path / "run2"
    tonight.mkdir()
    fixed = write_xlsx(tonight / "西城名册.xlsx", [ROSTER_HEADERS, roster_row("W1", "郑一", make_id(seq="617"),
                                                                              school="西城技工学校")],
                       title="西城技工学校学生名册")
    (tonight / f.name).write_bytes(b"PK\x03\x04 truncated")
    old = json.loads((r1.out / "findings.json").read_text(encoding="utf-8"))
    gone_rule = {**old["findings"][0], "rule_id": "R103", "fingerprint": "f" * 64}
    # fixed in 西城's roster, read tonight (its school has rows tonight; its rule compares no files)
    gone_fixed = {**old["findings"][0], "file": str(fixed), "school": "西城技工学校", "fingerprint": "e" * 64}
    assert not CATALOG[gone_fixed["rule_id"]].across
    old["findings"] += [gone_rule, gone_fixed]
    base = tmp_path / "基线.json"
    base.write_text(json.dumps(old, ensure_ascii=False), encoding="utf-8")
    r2 = cli("check", tonight, "--as-of", "2025-01-01", "--baseline", base, "--format", "xlsx,json",
             out=tmp_path / "out2")
    doc = r2.json
    assert [r["fingerprint"] for r in doc["resolved"]] == ["e" * 64], doc["resolved"]
    n = len(old["findings"]) - 1
    reasons = sorted(u["reason"] for u in doc["unverified"])
    assert len(reasons) == n and reasons.count("本次该文件未能检查") == n - 1, reasons
    assert any(r.startswith("本次未运行 R103：") for r in reasons), reasons
    assert doc["summary"]["unverified"] == n and doc["summary"]["resolved"] == 1
    assert "已整改 1" in r2.stdout and f"另有 {n} 个上次的问题本次未能复核" in r2.stdout, r2.stdout
    wb = openpyxl.load_workbook(r2.out / "report.xlsx")
    overview = [str(c.value) for row in wb["总览"].iter_rows() for c in row if c.value is not None]
    assert any(v.startswith("未能复核") for v in overview), overview


def test_a_baseline_made_with_another_fingerprint_salt_is_refused(tmp_path, cli, first):
    """A province sets its own fingerprint_salt (as the README asks) while last night's run used
    the default: no fingerprint can match, and the comparison would call everything new and
    everything resolved. Refused (exit 2) with both marks named and what to do, not a silent
    "63 new, 63 resolved". Near miss: the same own salt on both nights compares."""
    f, r1 = first
    own = tmp_path / "xueji.toml"
    own.write_text('fingerprint_salt = "本省自己的盐-8f3a"\n', encoding="utf-8")
    r2 = cli("check", f, "--as-of", "2025-01-01", "--config", own, "--baseline", r1.out / "findings.json",
             out=tmp_path / "out2")
    assert r2.code == 2, r2.stdout + r2.stderr
    assert "盐与本次不同" in r2.stderr and "基线：xueji-check" in r2.stderr and "校验码" in r2.stderr, r2.stderr
    assert "本省自己的盐" not in r2.stdout + r2.stderr
    r3 = cli("check", f, "--as-of", "2025-01-01", "--config", own, "--format", "json", out=tmp_path / "out3")
    r4 = cli("check", f, "--as-of", "2025-01-01", "--config", own, "--baseline", r3.out / "findings.json",
             "--fail-on", "new", out=tmp_path / "out4")
    assert r4.code == 0 and r4.json["summary"]["per_status"]["new"] == 0, r4.stdout + r4.stderr


def test_bad_baseline_exits_2(tmp_path, cli, first):
    f, _ = first
    bad = tmp_path / "bad.json"
    for text in ("not json", "[]", '{"findings": [1, 2]}'):
        bad.write_text(text, encoding="utf-8")
        r = cli("check", f, "--as-of", "2025-01-01", "--baseline", bad, out=tmp_path / "o")
        assert r.code == 2, (text, r.stdout, r.stderr)
        assert "基线" in r.stderr


def test_a_baseline_cut_inside_a_character_is_called_truncated(tmp_path, cli, first):
    """findings.json cut in the middle of a Chinese character: "被截断", not "不是文本文件，可能选错了
    文件". Near miss: a binary file still is "不是文本文件"."""
    f, r1 = first
    raw = (r1.out / "findings.json").read_bytes()
    cut = raw[: raw.index("东方".encode()) + 1]
    bad = tmp_path / "cut.json"
    bad.write_bytes(cut)
    r = cli("check", f, "--as-of", "2025-01-01", "--baseline", bad, out=tmp_path / "o")
    assert r.code == 2 and "被截断" in r.stderr, r.stderr
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    r = cli("check", f, "--as-of", "2025-01-01", "--baseline", bad, out=tmp_path / "o")
    assert r.code == 2 and "不是文本文件" in r.stderr, r.stderr


def _frame(fps: list[str]) -> pl.DataFrame:
    return pl.DataFrame({"rule_id": ["S002"] * len(fps), "severity": ["error"] * len(fps),
                         "school": ["甲校"] * len(fps), "fingerprint": fps,
                         "status": pl.Series([None] * len(fps), dtype=pl.String)})


def test_apply_baseline_unit(tmp_path):
    base = tmp_path / "findings.json"
    base.write_text(json.dumps({"findings": [
        {"rule_id": "S002", "fingerprint": "a", "message": "旧"}, {"rule_id": "S003", "fingerprint": "b"},
        {"rule_id": "S003", "fingerprint": "b"}, {"rule_id": "S004", "fingerprint": None}]}), encoding="utf-8")
    df, resolved = apply_baseline(_frame(["a", "c"]), base)
    assert df["status"].to_list() == ["persisting", "new"]
    assert [r["fingerprint"] for r in resolved] == ["b"]  # once, nulls ignored
    s = summary(df, resolved)
    assert s["per_status"] == {"new": 1, "persisting": 1} and s["resolved"] == 1
    assert s["per_rule_status"]["S003"] == {"new": 0, "persisting": 0, "resolved": 1}
    # no findings at all: status counts are still reported
    empty, res = apply_baseline(_frame([]), base)
    assert summary(empty, res)["per_status"] == {"new": 0, "persisting": 0}
    assert "per_status" not in summary(_frame(["a"]))


def test_split_unverified_matches_a_file_name_only_when_it_is_unique_tonight():
    """西城/名册.xlsx unreadable tonight says nothing of last night's findings in 东方/名册.xlsx when
    tonight also reads a 名册.xlsx: the name is not unique, so only the whole path counts. Near
    miss: last night's 昨晚/异动.xlsx is the same export as tonight's unreadable 今晚/异动.xlsx."""
    from xueji_check.findings import split_unverified

    old = [{"rule_id": "S002", "file": "/昨晚/东方/名册.xlsx", "fingerprint": "a"},
           {"rule_id": "S002", "file": "/昨晚/异动.xlsx", "fingerprint": "b"},
           {"rule_id": "S002", "file": "/今晚/西城/名册.xlsx", "fingerprint": "c"}]
    inputs = ["/今晚/东方/名册.xlsx", "/今晚/西城/名册.xlsx", "/今晚/异动.xlsx"]
    kept, unverified = split_unverified(old, {}, ["/今晚/西城/名册.xlsx", "/今晚/异动.xlsx"], inputs)
    assert [r["fingerprint"] for r in kept] == ["a"]
    assert [r["fingerprint"] for r in unverified] == ["b", "c"]


def test_data_missing_tonight_is_not_resolved(tmp_path, cli):
    """A school's roster not sent tonight: its own roster findings, the aid findings that need a
    roster there (A301–A303), and the findings of rules that compare across schools (R101 at
    another school, A305) are 未能复核, none 已整改; the exit status does not pretend otherwise.
    Near miss: the same data again leaves nothing resolved or unverified."""
    src = Path(__file__).parents[1] / "sample_data"
    d1, d2 = tmp_path / "d1", tmp_path / "d2"
    shutil.copytree(src, d1)
    shutil.copytree(src, d2)
    (d2 / "学籍名册_东方技工学校.xlsx").unlink()
    cli("check", d1, "--as-of", "2025-06-30", "--fail-on", "never", out=tmp_path / "昨晚")
    base = tmp_path / "昨晚" / "findings.json"
    assert "东方技工学校" in json.loads(base.read_text(encoding="utf-8"))["run"]["schools_present"]["roster"]
    r = cli("check", d2, "--as-of", "2025-06-30", "--baseline", base, "--fail-on", "new", out=tmp_path / "今晚")
    doc = r.json
    assert doc["resolved"] == [], [(x["rule_id"], x["school"]) for x in doc["resolved"]]
    why = {(u["rule_id"], u["school"]): u["reason"] for u in doc["unverified"]}
    assert why[("R103", "东方技工学校")] == "本次没有东方技工学校的学籍名册数据"
    assert why[("A302", "东方技工学校")] == "本次没有东方技工学校的学籍名册，A302 无法复核"
    assert "东方技工学校的学籍名册" in why[("R101", "南山高级技工学校")]
    r = cli("check", d1, "--as-of", "2025-06-30", "--baseline", base, "--fail-on", "new", out=tmp_path / "又一晚")
    assert r.json["resolved"] == [] and r.json["unverified"] == [] and r.code == 0


def test_split_unverified_sheets_schools_and_rules_across():
    """Unit: a sheet skipped for missing columns (S001 tonight), a school without rows of the
    finding's data, a rule that compares across files when a file could not be read. Near misses:
    a rule of one row keeps its resolved finding when another file could not be read; a finding
    of a school present tonight is resolved; a baseline of an earlier version (no
    schools_present) tests nothing more."""
    from xueji_check.findings import split_unverified

    present = {"roster": {"东方技工学校", "南山高级技工学校"}, "aid": {"东方技工学校"}}
    old = [{"rule_id": "R103", "dataset": "roster", "file": "/d/东方.xlsx", "sheet": "一班", "school": "东方技工学校（东校区）",
            "fingerprint": "sheet"},
           {"rule_id": "R103", "dataset": "roster", "file": "/d/东方.xlsx", "sheet": "二班", "school": "东方技工学校",
            "fingerprint": "fixed"},
           {"rule_id": "R103", "dataset": "roster", "file": "/d/西城.xlsx", "sheet": "名册", "school": "西城技师学院",
            "fingerprint": "no-school"},
           {"rule_id": "A302", "dataset": "aid", "file": "/d/资助.xlsx", "sheet": "s", "school": "东方技工学校",
            "fingerprint": "a302-ok"},
           {"rule_id": "A301", "dataset": "aid", "file": "/d/资助.xlsx", "sheet": "s", "school": "南山高级技工学校",
            "fingerprint": "aid-missing"},
           {"rule_id": "R101", "dataset": "roster", "file": "/d/南山.xlsx", "sheet": "s", "school": "南山高级技工学校",
            "fingerprint": "across"}]
    kept, unv = split_unverified(old, {}, [], present=present, sheets_not_checked={("/d/东方.xlsx", "一班")})
    assert [r["fingerprint"] for r in kept] == ["fixed", "a302-ok", "across"]
    assert {r["fingerprint"]: r["reason"] for r in unv} == {
        "sheet": "本次该工作表缺少必需列，未能检查",
        "no-school": "本次没有西城技师学院的学籍名册数据",
        "aid-missing": "本次没有南山高级技工学校的资助申报与发放数据"}
    # another file unreadable: R101 (across) unverified, R103 of a present school still resolved
    kept, unv = split_unverified(old[1:2] + old[5:], {}, ["/d/坏.xlsx"], present=present)
    assert [r["fingerprint"] for r in kept] == ["fixed"]
    assert unv[0]["reason"] == "本次有 1 个文件未能检查，R101 比对的数据可能不全"
    # a school of the baseline's run gone tonight
    before = {"roster": ["东方技工学校", "南山高级技工学校", "北湖技工学校"]}
    kept, unv = split_unverified(old[1:2] + old[5:], {}, [], present=present, present_before=before)
    assert [r["fingerprint"] for r in kept] == ["fixed"]
    assert unv[0]["reason"] == "本次没有上次有的北湖技工学校的学籍名册数据，R101 比对的数据可能不全"
    kept, unv = split_unverified(old[1:2] + old[5:], {}, [], present=present, present_before=None)
    assert len(kept) == 2 and not unv


def test_split_unverified_reads_only_the_kinds_of_the_rule():
    """Review: a fixed R101 was 未能复核 because another school's 异动 file was missing; and a finding
    of a sheet of several schools got a reason naming （多所学校）. Near miss: the roster of a school
    gone tonight still makes an R101 unverified."""
    from xueji_check.findings import split_unverified
    from xueji_check.schools import SEVERAL

    present = {"roster": {"东方技工学校"}, "changes": {"东方技工学校"}}
    r101 = {"rule_id": "R101", "dataset": "roster", "file": "/d/东方.xlsx", "sheet": "s", "school": "东方技工学校",
            "fingerprint": "r101"}
    s001 = {"rule_id": "S001", "dataset": "roster", "file": "/d/全省.xlsx", "sheet": "s", "school": SEVERAL,
            "fingerprint": "s001"}
    kept, unv = split_unverified([r101, s001], {}, [], present=present,
                                 present_before={"changes": ["东方技工学校", "西城技师学院"], "roster": ["东方技工学校"]})
    assert [r["fingerprint"] for r in kept] == ["r101", "s001"] and not unv
    kept, unv = split_unverified([r101], {}, [], present=present,
                                 present_before={"roster": ["东方技工学校", "西城技师学院"]})
    assert not kept and "西城技师学院的学籍名册" in unv[0]["reason"]
