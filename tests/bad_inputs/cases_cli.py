"""Bad-input cases of the command-line area (issue 13): dates typed on the command line, and an
output folder holding things of an earlier run. Each runs through the real CLI in
tests/test_bad_inputs.py."""

from __future__ import annotations

import os
from pathlib import Path

from bad_inputs.make import Case, all_of, case, checked, good_xlsx

CONTROL = ("\x1b", "\x07", "\x08", "\r")


def _clean_stderr(r, case_dir: Path) -> None:
    for c in CONTROL:
        assert c not in r.stderr, repr(r.stderr)


@case
def publicity_start_year_month_only(t: Path) -> Case:
    return Case([good_xlsx(t / "名册.xlsx"), "--publicity-start", "2024年11月"], (2,),
                ["--publicity-start「2024年11月」只有年和月", "2025年6月30日"])


@case
def publicity_end_hostile_text(t: Path) -> Case:
    return Case([good_xlsx(t / "名册.xlsx"), "--publicity-end", "\x1b[2J\x1b]0;x\x07 2024-11-08"], (2,),
                ["--publicity-end", "无法识别为日期"], check=_clean_stderr)


@case
def publicity_dates_in_chinese(t: Path) -> Case:
    def fn(r, case_dir: Path) -> None:
        p = r.json["run"]["parameters"]
        assert (p["publicity_start"], p["publicity_end"]) == ("2024-11-04", "2024-11-08")

    return Case([good_xlsx(t / "名册.xlsx"), "--publicity-start", "2024年11月4日", "--publicity-end", "20241108"],
                (0,), check=all_of(checked(rows=3), fn))


@case
def stale_report_is_a_link_to_an_input(t: Path) -> Case:
    """report.html in the output folder is a link to one of this run's inputs: it is the input, not
    an earlier output, so neither the link nor the input is touched (a run writing report.html
    refuses, see the outputs cases)."""
    src = good_xlsx(t / "in" / "名册.xlsx")
    data = src.read_bytes()
    out = t / "out"
    out.mkdir()
    os.symlink(src, out / "report.html")

    def fn(r, case_dir: Path) -> None:
        assert (out / "report.html").is_symlink() and src.read_bytes() == data
        assert "report.html" not in r.json["run"]["outputs"]

    return Case([src], (0,), check=all_of(checked(rows=3), fn), out=out)


@case
def output_name_taken_by_a_folder(t: Path) -> Case:
    """A folder named report.html in the output folder is not the tool's: it is left alone."""
    out = t / "out"
    (out / "report.html").mkdir(parents=True)
    (out / "report.html" / "笔记.txt").write_text("keep", encoding="utf-8")

    def fn(r, case_dir: Path) -> None:
        assert (out / "report.html" / "笔记.txt").read_text(encoding="utf-8") == "keep"

    return Case([good_xlsx(t / "in" / "名册.xlsx")], (0,), check=all_of(checked(rows=3), fn), out=out)
