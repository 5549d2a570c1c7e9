"""findings.json written from the findings frame equals what json would write from dicts."""

from __future__ import annotations

import json

import polars as pl

from xueji_check.report.files import write_json


def test_findings_json_from_frame_matches_dicts(tmp_path):
    findings = pl.DataFrame({
        "rule_id": ["R101", "S002"], "row": [3, None],
        "message": ['重复「张三」\n第二行 "引号" \u2028 \x01', "空"], "status": [None, "new"],
    })
    doc = {"run": {"tool": "xueji-check"}, "summary": {"total": 2}, "findings": [], "resolved": [{"x": 1}]}
    out = write_json(doc, tmp_path / "f.json", findings)
    back = json.loads(out.read_text(encoding="utf-8"))
    assert back == {**doc, "findings": findings.to_dicts()}
    assert list(back) == ["run", "summary", "findings", "resolved"]
    # one finding per line, so a diff of two nights' files shows findings
    lines = out.read_text(encoding="utf-8").split("\n")
    assert sum(line.startswith('{"rule_id":') for line in lines) == 2


def test_findings_json_without_findings(tmp_path):
    doc = {"run": {}, "summary": {}, "findings": []}
    back = json.loads(write_json(doc, tmp_path / "f.json", pl.DataFrame({"rule_id": []}, schema={"rule_id": pl.String}))
                      .read_text(encoding="utf-8"))
    assert back == doc


def test_findings_json_written_in_slices_is_one_array(tmp_path, monkeypatch):
    from xueji_check.report import files

    monkeypatch.setattr(files, "JSON_SLICE_ROWS", 2)
    findings = pl.DataFrame({"rule_id": [f"R{i}" for i in range(5)], "row": list(range(5))})
    doc = {"run": {}, "findings": [], "resolved": []}
    text = write_json(doc, tmp_path / "f.json", findings).read_text(encoding="utf-8")
    assert json.loads(text) == {**doc, "findings": findings.to_dicts()}
    assert sum(line.startswith('{"rule_id":') for line in text.split("\n")) == 5
