"""sample_data shows every rule of the catalogue, at the rows sample_data/README.md names."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from xueji_check.registry import CATALOG

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    from typer.testing import CliRunner

    from xueji_check.cli import app

    d = tmp_path_factory.mktemp("sample")
    shutil.copytree(ROOT / "sample_data", d / "sample_data")
    out = d / "out"
    res = CliRunner().invoke(app, ["check", str(d / "sample_data"), "--as-of", "2026-11-29", "--out", str(out),
                                   "--format", "csv,json"])
    import polars as pl

    return res, pl.read_csv(out / "findings.csv", infer_schema=False)


def test_every_rule_fires_on_sample_data(sample_run):
    res, df = sample_run
    assert res.exit_code == 1
    fired = set(df["rule_id"])
    assert set(CATALOG) <= fired, sorted(set(CATALOG) - fired)


@pytest.mark.parametrize("rule_id,file_part,row", [
    ("S002", "东方", "4"), ("S003", "东方", "5"), ("S006", "东方", "8"), ("S007", "东方", "9"),
    ("R107", "东方", "16"), ("R108", "东方", "17"), ("C201", "异动", "3"), ("A303", "资助", "17"),
    ("A306", "资助", "21"), ("S008", "资助", "27"),
    ("R110", "东方", "39"), ("R110", "东方", "42"), ("R110", "南山", "23"), ("R110", "南山", "26"),
    ("R111", "东方", "48"), ("R112", "东方", "46"), ("A311", "资助", "3"), ("A311", "资助", "28"),
    ("A312", "资助", "29"), ("A312", "资助", "30"), ("S004", "资助", "4"),
])
def test_planted_rows_match_the_sample_readme(sample_run, rule_id, file_part, row):
    _, df = sample_run
    hits = df.filter((df["rule_id"] == rule_id) & df["file"].str.contains(file_part))
    assert row in hits["row"].to_list()
    assert f"| {rule_id} |" in (ROOT / "sample_data" / "README.md").read_text(encoding="utf-8")


def test_near_misses_do_not_fire(sample_run):
    _, df = sample_run
    assert "18" not in df.filter(df["rule_id"] == "R108")["row"].to_list()  # registered on the deadline day
    assert "4" not in df.filter(df["rule_id"] == "C201")["row"].to_list()   # 10th working day across National Day
    assert "钱晓雨" not in df.filter(df["rule_id"] == "R101")["name"].to_list()  # 转出 + 在校 elsewhere
    assert df.filter((df["rule_id"] == "P401") & df["file"].str.contains("南山")).height == 0
    # twins and their sister share a phone and an address: 3 students, not more than contact_cluster_max
    assert not {"43", "44", "45"} & set(df.filter((df["rule_id"] == "R110") & df["file"].str.contains("东方"))["row"])
    assert df.filter((df["rule_id"] == "R111") & df["file"].str.contains("西城")).height == 0  # 110103, abolished 2010
    assert "47" not in df.filter(df["rule_id"] == "R112")["row"].to_list()  # a photo file name is a photo
    assert "7" not in df.filter(df["rule_id"] == "R112")["row"].to_list()   # no photo, but not this term's intake
    a311 = df.filter(df["rule_id"] == "A311")
    assert a311["row"].sort().to_list() == ["28", "3"] and a311["sheet"].unique().to_list() == ["国家助学金"]
    assert "31" not in df.filter(df["rule_id"] == "A312")["row"].to_list()  # paid on the day of approval
    # a passport student (证件类型 护照) is no invalid ID; a footer under a publicity list is no record
    assert df.filter(df["name"] == "Kim Min Jun").height == 0
    assert df.filter(df["file"].str.contains("资助公示_南山")).height == 0


def test_sample_messages_show_no_contact_or_card_number(sample_run):
    _, df = sample_run
    for rid in ("R110", "A311"):
        assert df.filter(df["rule_id"] == rid).height >= 2, rid  # the loop below looks at real messages
        for msg in df.filter(df["rule_id"] == rid)["message"]:
            assert "13820001234" not in msg and "文化路" not in msg and not any(
                d in msg for d in ("2000 1234", "8#3-2-501"))
            assert not re.search(r"\d{9,}", msg), msg
