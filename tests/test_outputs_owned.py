"""`check --out` replaces and removes only the files it wrote (report.owned): a file of an output
name that the user put in the folder, or edited after the tool wrote it, stops the run before
anything is read (exit 2) unless --force; a folder written before the record existed is judged by
the content of each file; a file dropped into the folder during the run stops the commit."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import openpyxl
import pytest

from conftest import ROSTER_HEADERS, make_id, roster_row, write_xlsx
from xueji_check import engine
from xueji_check.report import owned

AS_OF = "2025-01-01"
ALL = "xlsx,csv,json,html,parquet"


def _roster(tmp_path: Path) -> Path:
    return write_xlsx(tmp_path / "in" / "学籍名册.xlsx",
                      [ROSTER_HEADERS, roster_row("S1", "", make_id(seq="101")),
                       roster_row("S2", "乙", make_id(seq="103"), mode="半日制")])


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def test_each_run_records_what_it_wrote(tmp_path, cli):
    r = cli("check", _roster(tmp_path), "--as-of", AS_OF, "--format", "csv,json")
    record = json.loads((r.out / owned.RECORD).read_text(encoding="utf-8"))
    assert set(record["files"]) == {"findings.csv", "问题清单.csv", "findings.json"}
    for name, entry in record["files"].items():
        assert entry == {"size": (r.out / name).stat().st_size, "sha256": owned.file_sha256(r.out / name)}
    # the rerun replaces its own files without being asked
    r2 = cli("check", _roster(tmp_path), "--as-of", "2025-02-01", "--format", "csv,json")
    assert r2.code == 1 and r2.json["run"]["as_of"] == "2025-02-01"


@pytest.mark.parametrize("name", ["report.html", "findings.csv", "report.xlsx"])
def test_a_users_file_of_an_output_name_stops_the_run(tmp_path, cli, name):
    f = _roster(tmp_path)
    out = tmp_path / "out"
    cli("check", f, "--as-of", AS_OF, "--format", "csv,json", out=out)
    (out / name).write_bytes("我的文件".encode())  # written or replaced by the user
    before = _files(out)
    r = cli("check", f, "--as-of", "2025-02-01", "--format", "csv,json", out=out)
    assert r.code == 2
    # a name the last run wrote was edited; another was put there
    why = "在本工具写出后被修改过" if name == "findings.csv" else "不是本工具写出的文件"
    assert f"{name} {why}" in r.stderr and "--force" in r.stderr, r.stderr
    assert _files(out) == before and not list(out.glob(".xueji-tmp-*"))
    # with --force the user's file goes: replaced (a name written) or removed (report.html)
    r = cli("check", f, "--as-of", "2025-02-01", "--format", "csv,json", "--force", out=out)
    assert r.code == 1
    assert not (out / name).exists() or (out / name).read_bytes() != "我的文件".encode()


def test_an_edited_report_is_not_replaced_but_an_untouched_one_is(tmp_path, cli):
    f = _roster(tmp_path)
    out = tmp_path / "out"
    cli("check", f, "--as-of", AS_OF, out=out)
    wb = openpyxl.load_workbook(out / "report.xlsx")
    wb["总览"]["A1"] = "已核对，张老师"  # opened in Excel/WPS, a note added, saved
    wb.save(out / "report.xlsx")
    edited = (out / "report.xlsx").read_bytes()
    r = cli("check", f, "--as-of", AS_OF, out=out)
    assert r.code == 2 and "report.xlsx 在本工具写出后被修改过" in r.stderr, r.stderr
    assert (out / "report.xlsx").read_bytes() == edited
    # the same file moved away: the run goes on and replaces the rest
    shutil.move(out / "report.xlsx", tmp_path / "我的批注.xlsx")
    r = cli("check", f, "--as-of", AS_OF, out=out)
    assert r.code == 1 and (out / "report.xlsx").is_file()


def test_a_folder_written_before_the_record_is_judged_by_content(tmp_path, cli):
    f = _roster(tmp_path)
    out = tmp_path / "out"
    cli("check", f, "--as-of", AS_OF, "--format", ALL, out=out)
    (out / owned.RECORD).unlink()  # as an earlier version left it
    r = cli("check", f, "--as-of", AS_OF, "--format", "csv", out=out)
    assert r.code == 1, r.stderr
    # every earlier output was recognised as the tool's: replaced or removed
    assert sorted(p.name for p in out.iterdir()) == sorted([owned.RECORD, "findings.csv", "问题清单.csv"])


@pytest.mark.parametrize("name", ["findings.csv", "问题清单.csv", "findings.json", "findings.parquet",
                                  "report.xlsx", "report.html"])
def test_without_a_record_a_file_not_like_the_tools_is_refused(tmp_path, cli, name):
    f = _roster(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    if name == "report.xlsx":  # a workbook of the user's, not the tool's sheets
        wb = openpyxl.Workbook()
        wb.active.title = "总览"
        wb.save(out / name)
    elif name == "findings.parquet":
        import polars as pl

        pl.DataFrame({"学籍号": ["S1"], "fingerprint": ["x"]}).write_parquet(out / name)
    elif name == "findings.json":
        (out / name).write_text(json.dumps({"run": {"tool": "其他工具"}}), encoding="utf-8")
    else:
        (out / name).write_text("学籍号,姓名\nS1,甲\n<title>别的报告</title>", encoding="utf-8-sig")
    before = _files(out)
    r = cli("check", f, "--as-of", AS_OF, "--format", ALL, out=out)
    assert r.code == 2 and f"{name} 不是本工具写出的文件" in r.stderr, r.stderr
    assert _files(out) == before


def test_a_link_of_an_output_name_is_refused(tmp_path, cli):
    f = _roster(tmp_path)
    out = tmp_path / "out"
    cli("check", f, "--as-of", AS_OF, "--format", "csv", out=out)
    target = tmp_path / "别处.html"
    target.write_text("mine", encoding="utf-8")
    (out / "report.html").symlink_to(target)
    r = cli("check", f, "--as-of", AS_OF, "--format", "csv", out=out)
    assert r.code == 2 and "report.html 是一个链接" in r.stderr
    assert (out / "report.html").is_symlink() and target.read_text(encoding="utf-8") == "mine"


def test_validate_refuses_too(tmp_path, cli):
    out = tmp_path / "out"
    out.mkdir()
    (out / "findings.json").write_text("{}", encoding="utf-8")
    r = cli("validate", _roster(tmp_path), "--as-of", AS_OF, out=out)
    assert r.code == 2 and "findings.json 不是本工具写出的文件" in r.stderr
    assert (out / "findings.json").read_text(encoding="utf-8") == "{}"
    r = cli("validate", _roster(tmp_path), "--as-of", AS_OF, "--force", out=out)
    assert r.code == 1 and (out / "findings.json").read_text(encoding="utf-8") != "{}"


def test_a_file_dropped_in_during_the_run_stops_the_commit(tmp_path, cli, monkeypatch):
    f = _roster(tmp_path)
    out = tmp_path / "out"
    cli("check", f, "--as-of", AS_OF, "--format", "csv,json", out=out)
    real = engine.run

    def run(*a, **kw):
        result = real(*a, **kw)
        (out / "report.html").write_text("放进来的", encoding="utf-8")  # while the run worked
        return result

    monkeypatch.setattr(engine, "run", run)
    before = {n: b for n, b in _files(out).items() if n != "report.html"}
    r = cli("check", f, "--as-of", "2025-02-01", "--format", "csv,json", out=out)
    assert r.code == 2 and "report.html 不是本工具写出的文件" in r.stderr, r.stderr
    assert "本次没有写出任何报告文件" in r.stderr
    assert (out / "report.html").read_text(encoding="utf-8") == "放进来的"
    assert {n: b for n, b in _files(out).items() if n != "report.html"} == before


def test_another_run_of_the_tool_during_the_run_does_not_stop_it(tmp_path, cli, monkeypatch):
    """Two runs into one folder: the later commit replaces the earlier run's files (its own)."""
    f = _roster(tmp_path)
    out = tmp_path / "out"
    other = tmp_path / "other"
    cli("check", f, "--as-of", AS_OF, "--format", "csv,json", out=out)
    cli("check", f, "--as-of", "2025-03-01", "--format", "csv,json,html", out=other)
    real = engine.run

    def run(*a, **kw):
        result = real(*a, **kw)
        for p in other.iterdir():  # the other run's commit lands meanwhile
            shutil.copy2(p, out / p.name)
        return result

    monkeypatch.setattr(engine, "run", run)
    r = cli("check", f, "--as-of", "2025-02-01", "--format", "csv,json", out=out)
    assert r.code == 1, r.stderr
    assert r.json["run"]["as_of"] == "2025-02-01" and not (out / "report.html").exists()


def test_a_killed_commit_is_repaired_before_the_folder_is_judged(tmp_path, cli):
    """A run killed while placing its files left the folder half new; the next run puts the
    earlier report back (publish.clean_stale) and is not refused for the half-placed file."""
    f = _roster(tmp_path)
    out = tmp_path / "out"
    cli("check", f, "--as-of", AS_OF, "--format", "csv,json", out=out)
    stage = out / ".xueji-tmp-killed"
    (stage / ".old").mkdir(parents=True)
    (stage / "lock").write_text("0\n")  # nobody holds it: its run is dead
    names = ["findings.csv", "问题清单.csv", "findings.json", owned.RECORD]
    (stage / "commit.json").write_text(json.dumps({"names": names, "removed": []}), encoding="utf-8")
    for n in names:
        os.replace(out / n, stage / ".old" / n)
    (out / "findings.csv").write_bytes(b"new, placed")  # step 2 begun, then the kill
    r = cli("check", f, "--as-of", "2025-02-01", "--format", "csv,json", out=out)
    assert r.code == 1, r.stderr
    assert r.json["run"]["as_of"] == "2025-02-01" and not list(out.glob(".xueji-tmp-*"))


def test_an_input_named_like_an_output_needs_no_force(tmp_path, cli):
    """An input in --out bearing an output name that this run does not write is left alone."""
    f = _roster(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    mine = out / "report.html"
    shutil.copy(f, tmp_path / "x.xlsx")
    mine.write_bytes((tmp_path / "x.xlsx").read_bytes())
    r = cli("check", "--roster", f, "--publicity", mine, "--as-of", AS_OF, "--format", "csv", out=out)
    assert "不是本工具写出的文件" not in r.stderr
    assert mine.read_bytes() == (tmp_path / "x.xlsx").read_bytes()


def test_check_folder_reads_no_more_than_the_head_without_a_record(tmp_path):
    """The content signatures read the first bytes only: a large foreign file is judged quickly
    and a matching header far down a file does not count."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.html").write_bytes(b" " * (owned.HEAD_BYTES + 10) + "<title>xueji-check 检查报告".encode())
    refused, _ = owned.check_folder(out, ["report.html"])
    assert refused == [("report.html", "foreign")]


def test_a_record_that_cannot_be_read_trusts_nothing(tmp_path, cli):
    """Review: a record of the wrong shape fell back to the content signatures, and an edited
    report.xlsx (still the tool's sheets) was replaced. A record that is there but unreadable makes
    every output file refused; a record deleted (a folder of an earlier version) is judged by content."""
    f = _roster(tmp_path)
    out = tmp_path / "out"
    cli("check", f, "--as-of", AS_OF, out=out)
    (out / owned.RECORD).write_text('{"tool": "xueji-check", "files": []}', encoding="utf-8")
    before = _files(out)
    r = cli("check", f, "--as-of", AS_OF, out=out)
    assert r.code == 2 and "记录文件 .xueji-check-outputs.json 无法读取" in r.stderr, r.stderr
    assert _files(out) == before


def test_a_baseline_left_in_the_folder_stays_the_tools(tmp_path, cli):
    """Review: csv only with the folder's findings.json as baseline kept that file, the new record
    did not list it, and the next run refused it as not the tool's."""
    f = _roster(tmp_path)
    out = tmp_path / "out"
    cli("check", f, "--as-of", AS_OF, out=out)
    r = cli("check", f, "--as-of", AS_OF, "--format", "csv", "--baseline", out / "findings.json", out=out)
    assert r.code == 1 and (out / "findings.json").is_file()
    r = cli("check", f, "--as-of", AS_OF, "--baseline", out / "findings.json", out=out)
    assert r.code == 1, r.stderr
    r = cli("check", f, "--as-of", AS_OF, out=out)
    assert r.code == 1, r.stderr
