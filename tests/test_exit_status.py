"""The exit status table of the README, for files named by option and found in a folder."""

from __future__ import annotations

from conftest import ROSTER_HEADERS, make_id, roster_row, write_xlsx

AS_OF = ("--as-of", "2025-01-01", "--format", "csv,json")


def _files(tmp_path):
    good = write_xlsx(tmp_path / "in" / "名册.xlsx", [ROSTER_HEADERS, roster_row("S1", "张三", make_id())])
    cols = [h for h in ROSTER_HEADERS if h != "学习形式"]
    short = write_xlsx(tmp_path / "in" / "缺列名册.xlsx",
                       [cols, [v for h, v in zip(ROSTER_HEADERS, roster_row("S2", "李四", make_id(seq="133")), strict=True)
                               if h != "学习形式"]])
    return good, short


def test_named_file_lacking_required_columns_is_exit_2_even_beside_a_good_one(tmp_path, cli):
    good, short = _files(tmp_path)
    r = cli("check", "--roster", good, "--roster", short, *AS_OF)
    assert r.code == 2, r.stderr
    assert r.rule("S001").height == 1  # the report still says what is missing


def test_same_file_found_in_a_folder_is_exit_1(tmp_path, cli):
    _files(tmp_path)
    r = cli("check", tmp_path / "in", *AS_OF)
    assert r.code == 1, r.stderr
    assert r.rule("S001").height == 1


def test_named_good_files_only_is_exit_0(tmp_path, cli):
    good, _ = _files(tmp_path)
    assert cli("check", "--roster", good, *AS_OF).code == 0
