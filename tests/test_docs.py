"""The documentation shipped in the repository: generated files equal to what the code renders,
and no link from the README or docs/ to anything outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from xueji_check.docs import DOCS, render_all

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("name", sorted(DOCS))
def test_generated_doc_is_up_to_date(name):
    committed = (ROOT / "docs" / name).read_text(encoding="utf-8")
    assert committed == render_all()[name], f"docs/{name} is stale: run `python -m xueji_check.docs docs`"


def test_rule_catalogue_lists_every_rule():
    from xueji_check.registry import CATALOG

    text = render_all()["rules.md"]
    for rid, rule in CATALOG.items():
        assert f"\n## {rid}\n" in text and all(part in text for part in (rule.what, rule.why, rule.example))


def test_data_dictionary_lists_every_alias():
    from xueji_check.spec import all_kinds

    text = render_all()["data.md"]
    for spec in all_kinds().values():
        for f in spec.fields:
            assert f"`{f.name}`" in text
            for a in f.aliases:
                assert a in text


def _docs_for_users() -> list[Path]:
    return [ROOT / "README.md", ROOT / "sample_data" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("path", _docs_for_users(), ids=lambda p: str(p.relative_to(ROOT)))
def test_user_documents_point_only_inside_the_repository(path):
    text = path.read_text(encoding="utf-8")
    assert "../shared" not in text and "shared/" not in text
    for target in LINK.findall(text):
        if re.match(r"^[a-z]+://", target):
            continue
        resolved = (path.parent / target).resolve()
        assert resolved.is_relative_to(ROOT), f"{path.name} links outside the repository: {target}"
        assert resolved.exists(), f"{path.name} links to a missing file: {target}"
