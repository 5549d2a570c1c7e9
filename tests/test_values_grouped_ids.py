"""ID numbers written in groups: dashes (and spaces) between groups of the digits are no error,
the way card numbers lose theirs (A311). Only groups that join into the 18 characters (or 15
digits) of a GB 11643 number are joined; an ID invalid once joined stays invalid."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import ROSTER_HEADERS, make_id, roster_row, write_csv, write_xlsx
from test_rules_aid import aid_row, check, files
from xueji_check.normalize import normalise_id

AS_OF = dt.date(2025, 1, 1)
IDN = make_id("20050101", "410105", "123")  # 410105200501011235


def g4(s: str, sep: str = "-") -> str:
    return sep.join(s[i:i + 4] for i in range(0, len(s), 4))


@pytest.mark.parametrize("written", [
    g4(IDN),                                          # 4101-0520-0501-0112-35
    f"{IDN[:6]}-{IDN[6:]}",                           # 410105-200501011235
    f"{IDN[:6]}-{IDN[6:14]}-{IDN[14:]}",
    f"{IDN[:6]} {IDN[6:14]} {IDN[14:]}",              # spaces (already read before)
    f"  {IDN[:6]}－{IDN[6:14]}－{IDN[14:]} ",         # full-width hyphens, spaces around
    "".join(chr(ord(c) + 0xFEE0) for c in f"{IDN[:6]}-{IDN[6:]}"),  # all full-width
    f"{IDN[:6]}—{IDN[6:14]}–{IDN[14:]}",             # em and en dash
    f"{IDN[:6]} - {IDN[6:14]} - {IDN[14:]}",          # dash with spaces around it
    f"{IDN[:6]}--{IDN[6:]}",                          # a doubled dash
])
def test_a_valid_id_written_in_groups_is_the_id(written):
    out = normalise_id([written, IDN], AS_OF)
    assert out["status"].to_list() == ["ok", "ok"], written
    assert out["id"].to_list() == [IDN, IDN]
    assert out["key"][0] == out["key"][1]
    assert out["birth"][0] == dt.date(2005, 1, 1)


def test_the_check_character_x_in_its_own_group_or_the_last_one():
    idn = "11010519491231002X"
    out = normalise_id(["110105-19491231-002X", "110105-19491231-002-x", "1101-0519-4912-3100-2X"], AS_OF)
    assert out["status"].to_list() == ["ok"] * 3
    assert out["id"].to_list() == [idn] * 3


def test_a_first_generation_15_digit_id_in_groups():
    out = normalise_id(["110105-491231-002", "110105491231002", "110105491231-002", "110105－491231002"], AS_OF)
    assert out["status"].to_list() == ["ok"] * 4
    assert out["id"].to_list() == ["11010519491231002X"] * 4


@pytest.mark.parametrize("written", [
    g4(IDN[:17]),                       # 17 digits in groups
    "138-0013-8000",                    # a phone number
    "0371-6888-8888",                   # a landline
    "A101-0520-0501-0112-35",           # a letter
    f"{IDN[:6]}-{IDN[6:]}1",            # 19 digits
    f"-{IDN}",                          # a leading dash (a negative number)
    f"{IDN}-",                          # a trailing dash
    f"{IDN[:6]}.{IDN[6:]}",             # a dot is no separator
    f"{IDN[:6]}/{IDN[6:]}",             # nor a slash
    f"{IDN[:6]}-{IDN[6:14]}-X{IDN[15:]}",  # X not last
    f"{IDN[:6]}-{IDN[6:14]}-{IDN[14]}",  # review: an 18-digit number cut to 15 (6-8-1) is no 1920 card
    "41010-5050101123",                 # 15 digits grouped unlike a first-generation card (6-6-3)
])
def test_groups_that_do_not_make_an_id_stay_invalid(written):
    out = normalise_id([written], AS_OF).row(0, named=True)
    assert out["status"] not in ("ok", "empty"), written
    assert out["id"] is None and out["key"] is None


def test_an_id_invalid_once_joined_stays_invalid():
    wrong_check = IDN[:17] + ("0" if IDN[17] != "0" else "1")
    bad_birth = "410105200502301235"  # 2005-02-30
    out = normalise_id([g4(wrong_check), f"{bad_birth[:6]}-{bad_birth[6:]}"], AS_OF)
    assert out["status"].to_list() == ["check", "birth"]
    assert out["id"].null_count() == 2


def test_roster_with_grouped_ids_has_no_s003_and_near_misses_still_do(tmp_path, cli):
    ids = [make_id(f"2005{m:02d}01", "410105", f"{m}23") for m in range(1, 5)]
    rows = [ROSTER_HEADERS,
            roster_row("G1", "张三", g4(ids[0])),
            roster_row("G2", "李四", f"{ids[1][:6]}-{ids[1][6:]}", gender="女"),
            roster_row("G3", "王五", f" {ids[2][:6]}－{ids[2][6:14]}－{ids[2][14:]} "),
            roster_row("G4", "赵六", "138-0013-8000", gender="女"),
            roster_row("G5", "孙七", g4(ids[3][:17])),
            roster_row("G6", "周八", g4(ids[3][:17] + ("0" if ids[3][17] != "0" else "1")))]
    for f in (write_xlsx(tmp_path / "名册.xlsx", rows), write_csv(tmp_path / "名册.csv", rows)):
        r = cli("check", f, "--as-of", AS_OF.isoformat(), out=tmp_path / f"out_{f.suffix[1:]}")
        s003 = r.rule("S003")
        assert s003["student_id"].to_list() == ["G4", "G5", "G6"], s003.select("row", "message").rows()
        assert "位数不对" in s003["message"][0] and "校验位" in s003["message"][2]


def test_aid_row_with_a_grouped_id_finds_its_roster_student(tmp_path, cli):
    """The roster writes the number plainly, the aid table in groups: one student (no A302, no S003)."""
    a = make_id("20030101", seq="123")
    r = check(cli, *files(tmp_path, [aid_row("", "张三", g4(a))], [roster_row("", "张三", a, school="东方技工学校")]))
    assert r.rule("S003").height == 0, r.rule("S003").select("row", "message").rows()
    assert r.rule("A302").height == 0, r.rule("A302").select("row", "message").rows()
    # near miss: a 17-digit grouped number is not joined and matches nobody
    r = check(cli, *files(tmp_path, [aid_row("", "张三", g4(a[:17]))], [roster_row("", "张三", a)]))
    assert r.rule("S003").height == 1
