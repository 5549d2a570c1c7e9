"""The same answer twice, and nothing lost or altered: byte-identical findings.csv, findings.json
equal but for the run times, a defined order, inputs untouched, outputs replaced whole or not at
all."""

from __future__ import annotations

import errno
import hashlib
import json
import os
from pathlib import Path

import polars as pl
import pytest

from conftest import ROSTER_HEADERS, make_id, roster_row, write_csv, write_xlsx
from xueji_check.findings import SEVERITY_ORDER

AS_OF = "2025-01-01"


def _corpus(d: Path) -> Path:
    a, b, c = make_id(seq="101"), make_id(seq="103"), make_id(birth="19900101", seq="105")
    write_xlsx(d / "名册_东方.xlsx", [ROSTER_HEADERS, roster_row("S1", "甲", a), roster_row("S2", "", b),
                                     roster_row("S3", "丙", c, mode="半日制"), roster_row("S4", "丁", a[:17] + "0"),
                                     roster_row("S5", "戊", "4.10105E+17", enroll="2024年13月")],
               title="东方技工学校学生名册")
    write_csv(d / "名册_西方.csv", [ROSTER_HEADERS, roster_row("T1", "甲", a, school="西方技工学校"),
                                   roster_row("T2", "乙", b, school="西方技工学校", status="退学")], encoding="gbk")
    write_xlsx(d / "资助.xlsx", [["学籍号", "姓名", "身份证号", "学校名称", "学期", "资助类型", "金额", "发放方式"],
                                ["S1", "甲", a, "东方技工学校", "2024秋", "国家助学金", "1000", "现金"],
                                ["S1", "甲", a, "东方技工学校", "2024秋", "国家助学金", "1000", "资助卡"],
                                ["X9", "某", make_id(seq="999"), "东方技工学校", "2024秋", "免学费", "-5", ""]])
    write_xlsx(d / "异动.xlsx", [["学籍号", "姓名", "身份证号", "学校名称", "异动类型", "异动日期", "申报日期"],
                                ["T2", "乙", b, "西方技工学校", "退学", "2024-10-08", "2024-11-20"]])
    return d


def _sha(d: Path) -> dict[str, tuple[str, int]]:
    return {p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(d.rglob("*")) if p.is_file()}


def _strip_times(doc: dict) -> dict:
    doc = json.loads(json.dumps(doc))
    for k in ("started", "ended"):
        doc["run"].pop(k, None)
    return doc


def test_two_runs_are_identical(tmp_path, cli):
    d = _corpus(tmp_path / "in")
    r1 = cli("check", d, "--as-of", AS_OF, out=tmp_path / "o1")
    r2 = cli("check", d, "--as-of", AS_OF, out=tmp_path / "o2")
    assert r1.code == r2.code and r1.code in (1, 2)
    assert r1.findings.height >= 5
    assert (r1.out / "findings.csv").read_bytes() == (r2.out / "findings.csv").read_bytes()
    assert _strip_times(r1.json) == _strip_times(r2.json)


def test_findings_order_is_severity_rule_file_row(tmp_path, cli):
    d = _corpus(tmp_path / "in")
    f = cli("check", d, "--as-of", AS_OF).findings
    keys = [(SEVERITY_ORDER[s], rule, file, sheet or "", int(row) if row else 10**9)
            for s, rule, file, sheet, row in f.select("severity", "rule_id", "file", "sheet", "row").iter_rows()]
    assert keys == sorted(keys)


def test_inputs_are_not_modified(tmp_path, cli):
    d = _corpus(tmp_path / "in")
    before = _sha(d)
    r = cli("check", d, "--as-of", AS_OF, "--format", "xlsx,csv,json,html", out=tmp_path / "out")
    assert r.code in (1, 2)
    assert _sha(d) == before
    recorded = {Path(i["path"]).name: i["sha256"] for i in r.json["run"]["inputs"]}
    assert recorded == {k: v[0] for k, v in before.items()}


def test_output_folder_inside_inputs_that_already_holds_a_report(tmp_path, cli):
    d = _corpus(tmp_path / "in")
    out = d / "xueji-report"
    r1 = cli("check", d, "--as-of", AS_OF, out=out)
    first = (out / "findings.csv").read_bytes()
    r2 = cli("check", d, "--as-of", AS_OF, out=out)
    assert r2.code == r1.code
    assert (out / "findings.csv").read_bytes() == first  # the old report was not read as input
    assert {Path(i["path"]).name for i in r2.json["run"]["inputs"]} == {
        "名册_东方.xlsx", "名册_西方.csv", "资助.xlsx", "异动.xlsx"}
    assert sorted(p.name for p in out.iterdir()) == [".xueji-check-outputs.json", "findings.csv", "findings.json",
                                                     "report.xlsx", "问题清单.csv"]


def test_existing_report_is_replaced_and_other_files_kept(tmp_path, cli):
    good = write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS, roster_row("S1", "", make_id())])
    out = tmp_path / "out"
    cli("check", good, "--as-of", "2024-01-01", out=out)  # the earlier report
    (out / "我的笔记.txt").write_text("keep me", encoding="utf-8")
    r = cli("check", good, "--as-of", AS_OF, out=out)
    assert r.code == 1 and r.rule("S002").height == 1 and r.json["run"]["as_of"] == AS_OF
    assert (out / "我的笔记.txt").read_text(encoding="utf-8") == "keep me"
    # nothing hidden is left but the record of the files written (report.owned)
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == [".xueji-check-outputs.json"]


@pytest.mark.parametrize("failure", ["disk_full", "bug"])
def test_failed_run_keeps_the_last_good_report(tmp_path, cli, monkeypatch, failure):
    from xueji_check.report import excel

    good = write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS, roster_row("S1", "", make_id())])
    out = tmp_path / "out"
    r = cli("check", good, "--as-of", AS_OF, out=out)
    assert r.code == 1
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken(findings, result, doc, target, **kw):
        Path(target).write_bytes(b"PK\x03\x04half")
        if failure == "disk_full":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        raise RuntimeError("writer bug")

    monkeypatch.setattr(excel, "write_report", broken)
    other = write_xlsx(tmp_path / "名册2.xlsx", [ROSTER_HEADERS, roster_row("S1", "甲", make_id()),
                                                 roster_row("S2", "", make_id(seq="103"))])
    r2 = cli("check", other, "--as-of", AS_OF, out=out)
    assert r2.code == 2
    assert "Traceback" not in r2.stderr
    if failure == "disk_full":
        assert "无法写入输出文件夹" in r2.stderr and "上次的报告未被改动" in r2.stderr
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert after == before  # same files, same bytes, no temp files


def test_csv_has_bom_and_fixed_columns(tmp_path, cli):
    d = _corpus(tmp_path / "in")
    r = cli("check", d, "--as-of", AS_OF)
    raw = (r.out / "findings.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    df = pl.read_csv(r.out / "findings.csv", infer_schema=False)
    assert df.columns == ["rule_id", "severity", "dataset", "file", "sheet", "row", "column", "student_id",
                          "id_masked", "name", "school", "message", "clause", "fingerprint", "status"]


def test_the_same_files_in_two_folders_give_the_same_findings_every_run(tmp_path, cli):
    """Which of two identical tables a finding about a whole school is charged to (C202's file and
    sheet) does not depend on the order a streaming join happens to produce."""
    import shutil

    sample = Path(__file__).resolve().parent.parent / "sample_data"
    for d in ("d1", "d2"):
        shutil.copytree(sample, tmp_path / d)
    # findings only (the reports are checked elsewhere; CI time)
    runs = [cli("check", tmp_path / "d1", tmp_path / "d2", "--as-of", "2025-06-30", "--format", "csv,json",
                out=tmp_path / f"o{i}") for i in range(3)]
    assert runs[0].findings.filter(pl.col("rule_id") == "C202").height > 0
    texts = {(r.out / "findings.csv").read_bytes() for r in runs}
    assert len(texts) == 1
