"""An output folder holds one run (issue 13 point 5) and the CSV for people (point 6):
outputs of an earlier run that this run does not write are removed with the same all-or-nothing
commit (and come back on a rollback), nothing else in the folder is touched, findings.json lists
the files written; 问题清单.csv (Chinese headers and values) is written beside findings.csv."""

from __future__ import annotations

import csv
import errno
import io
import json
import os
from pathlib import Path

import polars as pl

from conftest import ROSTER_HEADERS, make_id, roster_row, write_xlsx
from xueji_check.findings import COLUMNS
from xueji_check.report import publish

AS_OF = "2025-01-01"


def _roster(tmp_path: Path) -> Path:
    return write_xlsx(tmp_path / "in" / "学籍名册.xlsx",
                      [ROSTER_HEADERS, roster_row("S1", "", make_id(seq="101")),
                       roster_row("S2", "乙", make_id(seq="103"), mode="半日制")])


def test_outputs_of_an_earlier_run_are_removed_and_nothing_else(tmp_path, cli):
    f = _roster(tmp_path)
    out = tmp_path / "报告"
    r = cli("check", f, "--as-of", AS_OF, "--format", "xlsx,csv,json,html,parquet", out=out)
    assert r.code == 1 and (out / "report.html").is_file() and (out / "findings.parquet").is_file()
    (out / "我的笔记.txt").write_text("keep me", encoding="utf-8")
    (out / "report.html.bak").write_text("keep me too", encoding="utf-8")
    (out / "旧报告").mkdir()
    (out / "旧报告" / "report.html").write_text("in a sub-folder", encoding="utf-8")

    r = cli("check", f, "--as-of", AS_OF, "--format", "csv,json", out=out)
    assert r.code == 1
    left = sorted(p.name for p in out.iterdir())
    assert left == sorted([".xueji-check-outputs.json", "findings.csv", "问题清单.csv", "findings.json", "我的笔记.txt",
                           "report.html.bak", "旧报告"])
    assert (out / "旧报告" / "report.html").is_file()
    assert "已移除上次运行留下、本次未生成的文件：findings.parquet、report.xlsx、report.html" in r.stdout \
        or all(n in r.stdout for n in ("findings.parquet", "report.xlsx", "report.html"))
    assert r.json["run"]["outputs"] == ["findings.csv", "问题清单.csv", "findings.json"]
    assert not list(out.glob(".xueji-tmp-*"))


def test_run_outputs_lists_every_file_written(tmp_path, cli):
    r = cli("check", _roster(tmp_path), "--as-of", AS_OF, "--format", "html,json,xlsx")
    assert r.json["run"]["outputs"] == ["findings.json", "report.xlsx", "report.html"]
    # and the record of what the run wrote (report.owned)
    assert sorted(p.name for p in r.out.iterdir()) == sorted([*r.json["run"]["outputs"], ".xueji-check-outputs.json"])


def test_a_folder_with_an_output_name_is_left_alone(tmp_path, cli):
    f = _roster(tmp_path)
    out = tmp_path / "out"
    (out / "report.html").mkdir(parents=True)
    (out / "report.html" / "index.html").write_text("x", encoding="utf-8")
    r = cli("check", f, "--as-of", AS_OF, "--format", "csv,json", out=out)
    assert r.code == 1 and (out / "report.html" / "index.html").is_file()


def test_stale_output_comes_back_when_the_commit_fails(tmp_path, cli, monkeypatch):
    f = _roster(tmp_path)
    out = tmp_path / "out"
    cli("check", f, "--as-of", AS_OF, "--format", "csv,json,html", out=out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real = os.replace
    failed = []

    def replace(a, b, *args, **kw):
        if Path(b) == out / "findings.json" and ".xueji-tmp-" in str(a) and not failed:
            failed.append(b)  # placing the new findings.json fails once; the undo works
            raise OSError(errno.EIO, "I/O error", str(b))
        return real(a, b, *args, **kw)

    monkeypatch.setattr(publish.os, "replace", replace)
    r = cli("check", f, "--as-of", "2025-02-01", "--format", "csv,json", out=out)
    monkeypatch.undo()
    assert r.code == 2 and "上次的报告未被改动" in r.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # report.html included


def test_stale_output_comes_back_after_a_killed_commit(tmp_path, cli):
    """A run killed after moving the stale report.html aside: the next run puts it back first."""
    f = _roster(tmp_path)
    out = tmp_path / "out"
    cli("check", f, "--as-of", AS_OF, "--format", "csv,json,html", out=out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    stage = out / ".xueji-tmp-killed"
    (stage / ".old").mkdir(parents=True)
    (stage / "lock").write_text("0\n")  # a lock nobody holds: its run is dead
    (stage / "commit.json").write_text(json.dumps({"names": ["findings.csv", "问题清单.csv", "findings.json"],
                                                   "removed": ["report.html"]}), encoding="utf-8")
    for n in ("findings.csv", "问题清单.csv", "findings.json", "report.html"):  # step 1 done
        os.replace(out / n, stage / ".old" / n)
    (out / "findings.csv").write_bytes(b"new, placed")  # step 2 begun, then the kill
    for n in ("问题清单.csv", "findings.json"):
        (stage / n).write_bytes(b"new, staged")
    assert publish.clean_stale(out) == [stage]
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_baseline_in_the_folder_is_an_input_and_is_kept(tmp_path, cli):
    f = _roster(tmp_path)
    out = tmp_path / "out"
    cli("check", f, "--as-of", AS_OF, "--format", "csv,json,html", out=out)
    r = cli("check", f, "--as-of", AS_OF, "--format", "csv", "--baseline", out / "findings.json", out=out)
    assert r.code == 1
    assert (out / "findings.json").is_file() and not (out / "report.html").exists()


def test_chinese_csv_beside_the_contract_csv(tmp_path, cli):
    r = cli("check", _roster(tmp_path), "--as-of", AS_OF, "--format", "csv")
    raw = (r.out / "findings.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    header = raw[3:].decode("utf-8").splitlines()[0]
    assert header.split(",") == COLUMNS  # the contract is unchanged
    zh = (r.out / "问题清单.csv").read_bytes()
    assert zh.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(zh[3:].decode("utf-8"))))
    assert rows[0] == ["规则", "级别", "数据", "文件", "工作表", "行号", "列", "学籍号", "身份证号", "姓名", "学校",
                       "问题说明", "依据", "指纹", "状态"]
    en = list(csv.DictReader(io.StringIO(raw[3:].decode("utf-8"))))
    assert len(rows) - 1 == len(en) >= 2
    for zh_row, en_row in zip(rows[1:], en, strict=True):
        assert zh_row[0] == en_row["rule_id"] and zh_row[13] in (en_row["fingerprint"], f'="{en_row["fingerprint"]}"')
        assert zh_row[1] == {"error": "错误", "warning": "警告", "info": "提示"}[en_row["severity"]]
        assert zh_row[2] == "学籍名册" and en_row["dataset"] == "roster"
        assert zh_row[8] == en_row["id_masked"] and "*" in zh_row[8]


def test_chinese_csv_keeps_codes_as_text_in_excel(tmp_path, cli):
    """Excel/WPS read 012401010012346 as a number (the 0 lost) and a 16-digit fingerprint to 15
    significant digits: in 问题清单.csv such values are ="…", which they show as the text. Near
    misses: a short number, a code with letters, and formula-like text (quoted, not wrapped)."""
    from xueji_check.report.files import as_excel_text

    df = pl.DataFrame({"a": ["012401010012346", "1469251146275629", "2024001", "S1", "=SUM(A1)", "0", None]})
    assert as_excel_text(df)["a"].to_list() == ['="012401010012346"', '="1469251146275629"', "2024001", "S1",
                                                "'=SUM(A1)", "0", None]
    rows = [ROSTER_HEADERS, roster_row("012401010012346", "", make_id(seq="101"))]
    r = cli("check", write_xlsx(tmp_path / "in" / "学籍名册.xlsx", rows), "--as-of", AS_OF, "--format", "csv")
    zh = list(csv.DictReader(io.StringIO((r.out / "问题清单.csv").read_text(encoding="utf-8-sig"))))
    en = list(csv.DictReader(io.StringIO((r.out / "findings.csv").read_text(encoding="utf-8-sig"))))
    assert zh and {x["学籍号"] for x in zh} == {'="012401010012346"'}
    assert {x["student_id"] for x in en} == {"012401010012346"}  # programs read the plain value


def test_chinese_csv_says_new_and_persisting(tmp_path, cli):
    f = _roster(tmp_path)
    first = cli("check", f, "--as-of", AS_OF, "--format", "json", out=tmp_path / "a")
    f2 = write_xlsx(tmp_path / "in2" / "学籍名册.xlsx",
                    [ROSTER_HEADERS, roster_row("S1", "", make_id(seq="101")),
                     roster_row("S2", "乙", make_id(seq="103"), mode="半日制"),
                     roster_row("S3", "", make_id(seq="105"))])
    r = cli("check", f2, "--as-of", AS_OF, "--format", "csv", "--baseline", first.out / "findings.json",
            out=tmp_path / "b")
    rows = list(csv.DictReader(io.StringIO((r.out / "问题清单.csv").read_text(encoding="utf-8-sig"))))
    assert {x["状态"] for x in rows} == {"新增", "持续"}
    assert [x["状态"] for x in rows if x["学籍号"] == "S3"] == ["新增"]
