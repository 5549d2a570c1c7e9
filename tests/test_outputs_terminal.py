"""Text from files and file names reaches the terminal without control or escape sequences and
without rich's emoji codes or markup (issue 11, point 7)."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from conftest import ROSTER_HEADERS, make_id, roster_row, write_csv, write_xlsx
from xueji_check.load import Problem
from xueji_check.report import terminal

AS_OF = "2025-01-01"
HOSTILE = "\x1b[2J\x1b]0;pwned\x07\x1b[31m红\x08\r\x9b31m\u202e:smile:[red]x[/red][bold]"
FILE = HOSTILE.replace("/", "")  # a file name cannot hold a slash
BAD = ("\x1b", "\x07", "\x08", "\r", "\x9b", "\u202e", "😄")


def _clean(text: str) -> None:
    for ch in BAD:
        assert ch not in text, (ch, text)


def test_safe_removes_every_control_sequence():
    out = terminal.safe(HOSTILE)
    _clean(out)
    assert ":smile:" in out and "[red]x[/red]" in out and "\ufffd" in out
    assert terminal.safe("a\nb") == "a\ufffdb" and terminal.safe("a\nb", newlines=True) == "a\nb"
    assert terminal.safe("学校\t名") == "学校 名"


def test_problems_print_hostile_names_as_text():
    buf = io.StringIO()
    con = Console(file=buf, width=300, color_system=None, emoji=False)
    terminal.print_problems(con, [Problem("error", f"坏{HOSTILE}.xlsx", f"表{HOSTILE}", 3, f"表头「{HOSTILE}」")],
                            full_list="findings.json")
    text = buf.getvalue()
    _clean(text)
    assert text.count(":smile:") == 3 and text.count("[red]x[/red]") == 3


@pytest.mark.parametrize("show_pii", [False, True])
def test_cli_terminal_has_no_escape_sequences(tmp_path, cli, show_pii):
    d = tmp_path / "in"
    # a school name and a file name with escape sequences, emoji codes and markup
    write_csv(d / f"名册{FILE}.csv", [ROSTER_HEADERS, roster_row("S1", "", make_id(seq="101"),
                                                                 school=f"东方{HOSTILE}技工学校")])
    write_xlsx(d / f"名册二{FILE}.xlsx", [ROSTER_HEADERS, roster_row("S2", "", make_id(seq="103"))])
    # an unrecognised table: its header cells are quoted in a problem message
    write_csv(d / f"杂{FILE}.csv", [[f"列{HOSTILE}", "其他"], ["1", "2"]])
    # an unreadable file, named with escape sequences
    (d / f"空{FILE}.xlsx").write_bytes(b"")
    args = ["check", d, "--as-of", AS_OF, *(["--show-pii"] if show_pii else [])]
    r = cli(*args)
    assert r.code in (1, 2), r.stderr
    text = r.stdout + r.stderr
    _clean(text)
    assert ":smile:" in text and "[red]x[/red]" in text and "[red]x[red][bold]" in text  # as written
    assert "东方" in r.stdout and "技工学校" in r.stdout
    q = cli(*args, "--quiet", out=tmp_path / "q")
    _clean(q.stdout + q.stderr)
    dbg = cli(*args, "--debug", out=tmp_path / "d")
    _clean(dbg.stdout + dbg.stderr)


def test_errors_of_other_commands_are_clean(tmp_path, cli):
    aid = write_csv(tmp_path / f"资助{FILE}.csv", [["姓名", "金额"], ["甲", "1"]])
    r = cli("publicity", "make", "--aid", aid, "--start", "2024-11-04", "--out", tmp_path / "o.xlsx")
    assert r.code == 2
    _clean(r.stdout + r.stderr)
    r = cli("check", tmp_path / f"没有{FILE}.xlsx", "--as-of", AS_OF)
    assert r.code == 2
    _clean(r.stdout + r.stderr)
    r = cli("check", aid, "--as-of", AS_OF, "--baseline", tmp_path / f"base{FILE}.json")
    assert r.code == 2 and "找不到基线文件" in r.stderr
    _clean(r.stdout + r.stderr)
