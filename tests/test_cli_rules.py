"""Reading rules (issue 13 point 8): `xueji-check rules` never cuts text, piped or narrow;
`rules R101` shows one rule's whole documentation (any case; a prefix lists the family);
`--json` keeps its keys."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys

import pytest
from rich.cells import cell_len

from xueji_check.docs import rule_needs
from xueji_check.registry import CATALOG, load_rule_modules

load_rule_modules()


def _run(*args: str, columns: int = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": str(columns), "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "xueji_check", "rules", *args], capture_output=True, text=True,
                          env=env, timeout=120)


def _flat(text: str) -> str:
    return "".join(text.split())


def test_piped_list_has_every_rule_whole():
    r = _run()
    assert r.returncode == 0
    flat = _flat(r.stdout)
    for rule in CATALOG.values():
        assert all(_flat(part) in flat for part in (rule.what, rule.why, rule.example)), rule.id
        assert _flat(rule.clause) in flat and rule.title in flat
    assert "…" not in r.stdout.replace("……", "")  # nothing elided


def _on_a_terminal(args: list[str], columns: int) -> str:
    """Run `rules` on a pseudo-terminal `columns` wide; what the terminal shows."""
    import fcntl
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    env = {**os.environ, "COLUMNS": str(columns), "NO_COLOR": "1", "TERM": "dumb"}
    proc = subprocess.Popen([sys.executable, "-m", "xueji_check", "rules", *args], stdout=slave, stderr=slave,
                            env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=120)
    os.close(master)
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


@pytest.mark.parametrize("columns", [40, 60])
def test_narrow_terminal_wraps_and_keeps_every_character(columns):
    text = _on_a_terminal([], columns)
    assert max(cell_len(x) for x in text.splitlines()) <= columns
    flat = _flat(text)
    for rule in CATALOG.values():
        assert all(_flat(part) in flat for part in (rule.what, rule.why, rule.example)), rule.id


@pytest.mark.parametrize("arg", ["R101", "r101", " R101 "])
def test_one_rule_shows_its_whole_documentation(arg):
    r = _run(arg)
    assert r.returncode == 0, r.stderr
    rule = CATALOG["R101"]
    text = r.stdout
    assert text.startswith("R101")
    for part in (rule.title, rule.clause, rule_needs(rule), rule.doc, "错误"):
        assert _flat(part) in _flat(text), part
    assert "R102" not in text


def test_prefix_lists_the_family():
    r = _run("R1")
    ids = [ln.split()[0] for ln in r.stdout.splitlines() if ln[:1].isalpha()]
    assert ids == [rid for rid in CATALOG if rid.startswith("R1")]
    a = _run("a")
    assert [ln.split()[0] for ln in a.stdout.splitlines() if ln[:1].isalpha()] == [i for i in CATALOG if i[0] == "A"]


def test_unknown_rule_is_a_clear_error():
    r = _run("R999")
    assert r.returncode == 2 and "没有编号为「R999」的规则" in r.stderr and "R1" in r.stderr and r.stdout == ""


def test_json_keys_unchanged_and_filterable():
    r = _run("--json")
    rows = json.loads(r.stdout)
    assert [x["id"] for x in rows] == list(CATALOG)
    keys = ["id", "severity", "title", "title_en", "clause", "needs", "implemented", "doc"]
    assert all(list(x) == keys for x in rows)
    one = json.loads(_run("r101", "--json").stdout)
    assert [x["id"] for x in one] == ["R101"] and list(one[0]) == keys
