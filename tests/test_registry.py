"""The rule registry: one rule, one room. Every rule is declared beside its implementation in
its family module; registry.py holds only the mechanism; the catalogue is complete and ordered
whoever reads it first."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROSTER_HEADERS, make_id, roster_row, write_xlsx
from xueji_check import registry
from xueji_check.registry import CATALOG, FAMILIES, declare, rule
from xueji_check.spec import all_kinds

SRC = Path(registry.__file__).resolve().parent
FAMILY_MODULE = {"S": "quality", "R": "registration", "C": "changes", "A": "aid", "P": "publicity"}


def test_catalogue_is_ordered_by_family_then_id():
    ids = list(CATALOG)
    assert ids == sorted(ids, key=lambda i: (FAMILIES.index(i[0]), i))
    assert [i[0] for i in ids] == sorted((i[0] for i in ids), key=FAMILIES.index)
    assert len(set(ids)) == len(ids) == len(CATALOG)


def test_every_rule_lives_in_its_family_module_with_its_documentation():
    for rid, r in CATALOG.items():
        assert r.module == f"xueji_check.rules.{FAMILY_MODULE[r.family]}", (rid, r.module)
        assert r.what and r.why and r.example, rid
        assert r.doc.startswith(r.what) and r.why in r.doc and r.example in r.doc
        assert r.clause.startswith(registry.NOTICE)
        if r.family == "S":
            assert r.func is None and r.implemented
        else:
            assert r.func is not None and r.func.__module__ == r.module, rid


def test_registry_module_names_no_rule():
    """Adding a rule touches its family module and tests, never registry.py."""
    text = (SRC / "registry.py").read_text(encoding="utf-8")
    assert not re.findall(r"\b[SRCAP]\d{3}\b", text.replace("R101", "", 2))  # the docstring's example only


def test_needs_name_fields_of_the_schemas():
    specs = all_kinds()
    for rid, r in CATALOG.items():
        for kind, fields in r.needs.items():
            assert kind in specs, (rid, kind)
            for f in fields:
                assert f in specs[kind].field_map, (rid, kind, f)


@pytest.mark.parametrize("first", ["xueji_check.registry", "xueji_check.rules.aid", "xueji_check.rules.publicity",
                                   "xueji_check.engine", "xueji_check.policy"])
def test_catalogue_is_complete_whatever_is_imported_first(first):
    code = (f"import importlib; importlib.import_module({first!r}); "
            "from xueji_check.registry import CATALOG; print(len(CATALOG), ','.join(CATALOG))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True).stdout
    n, ids = out.split()
    assert int(n) == len(CATALOG) and ids.split(",") == list(CATALOG)


@pytest.mark.parametrize("kw,error", [
    ({"rule_id": "X101"}, "family letter"),
    ({"rule_id": "R1011"}, "family letter"),
    ({"severity": "fatal"}, "severity"),
    ({"why": " "}, "why is empty"),
])
def test_malformed_declarations_are_refused(kw, error):
    args = dict(rule_id="R198", severity="warning", title="测试", title_en="test", clause="二（一）",
                what="检查", why="原因", example="示例")
    args.update(kw)
    with pytest.raises(ValueError, match=error):
        declare(args.pop("rule_id"), **args)
    assert "R198" not in CATALOG


def test_an_id_declared_twice_is_refused():
    with pytest.raises(ValueError, match="declared twice"):
        declare("R101", severity="error", title="重复", title_en="dup", clause="二（二）", what="a", why="b",
                example="c", module="somewhere.else")
    assert CATALOG["R101"].module == "xueji_check.rules.registration"


def test_rules_json_keeps_its_keys(cli):
    res = cli("rules", "--json")
    data = json.loads(res.stdout)
    assert [d["id"] for d in data] == list(CATALOG)
    assert all(set(d) == {"id", "severity", "title", "title_en", "clause", "needs", "implemented", "doc"} for d in data)
    r101 = next(d for d in data if d["id"] == "R101")
    assert r101["doc"] == CATALOG["R101"].doc and "为什么：" in r101["doc"]


@pytest.fixture
def extra_rule():
    """A rule added the way a family module adds one, removed again afterwards."""
    import polars as pl

    from xueji_check.findings import emit

    @rule("R199", severity="warning", title="测试规则", title_en="test rule", clause="二（一）",
          needs={"roster": ("status",)}, what="学籍状态为休学。", why="只为测试。", example="休学 → R199。")
    def on_leave(ctx):
        lf = ctx.lf("roster").filter(pl.col("status") == "休学")
        return emit(lf, "roster", pl.lit("休学"), field="status")

    yield on_leave
    registry._RULES.pop("R199", None)
    CATALOG._order = None


def test_a_rule_declared_in_a_module_runs_without_touching_anything_else(tmp_path, cli, extra_rule):
    last_r = max(i for i in CATALOG if i.startswith("R") and i != "R199")
    assert list(CATALOG).index("R199") == list(CATALOG).index(last_r) + 1
    roster = write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS, roster_row("S1", "张三", make_id(), status="休学"),
                                                roster_row("S2", "李四", make_id(seq="133"))])
    res = cli("check", "--roster", roster, "--as-of", "2025-01-01", "--format", "csv,json")
    assert res.rule("R199")["row"].to_list() == ["2"]
    assert res.rule("R199")["severity"].to_list() == ["warning"]
