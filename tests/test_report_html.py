"""--format html: one self-contained page, everything escaped."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from conftest import ROSTER_HEADERS, make_id, roster_row, write_xlsx


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.stack: list[str] = []
        self.text: list[str] = []
        self.void = {"meta", "rect", "br", "img", "link", "input"}

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += attrs
        if tag not in self.void:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += attrs

    def handle_endtag(self, tag):
        if tag in self.void:
            return
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def test_html_report_self_contained_and_escaped(tmp_path, cli):
    evil = "<script>alert(1)</script>技工学校"
    rows = [ROSTER_HEADERS, roster_row("H1", "", make_id(seq="711"), school=evil),
            roster_row("H2", "<b>李&四</b>", make_id(seq="713"), mode="半日制"),
            roster_row("H3", "王五", make_id(seq="715"))]
    f = write_xlsx(tmp_path / "in" / "名册.xlsx", rows)
    r = cli("check", f, "--as-of", "2025-01-01", "--format", "html,json")
    assert r.code == 1, r.stdout + r.stderr
    assert not (r.out / "report.xlsx").exists() and not (r.out / "findings.csv").exists()
    page = (r.out / "report.html").read_text(encoding="utf-8")
    assert str(r.out / "report.html") in r.stdout

    p = _Collector()
    p.feed(page)
    p.close()
    assert p.stack == []  # every element closed, in order
    # nothing from the data became markup
    assert "script" not in p.tags
    assert "&lt;script&gt;alert(1)&lt;/script&gt;技工学校" in page and "&lt;b&gt;李&amp;四&lt;/b&gt;" in page
    text = "".join(p.text)
    assert evil in text and "<b>李&四</b>" in text
    # self-contained: inline style and svg, no external references
    assert "style" in p.tags and "svg" in p.tags and "rect" in p.tags
    for name, value in p.attrs:
        if name in ("src", "href"):
            raise AssertionError(f"external reference {name}={value}")
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", page)
    assert "@import" not in page and "url(" not in page
    # the sections
    for heading in ("按规则统计", "学校汇总", "问题清单（", "输入文件"):
        assert heading in page
    doc = r.json
    assert page.count('<td class="msg">') == len(doc["findings"])
    for rid in {x["rule_id"] for x in doc["findings"]}:
        assert f"<td>{rid}</td>" in page
