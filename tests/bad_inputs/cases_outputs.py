"""Bad-input cases of the outputs area (issue 11): what the tool writes and prints. Each runs
through the real CLI in tests/test_bad_inputs.py."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from bad_inputs.make import Case, all_of, case, checked, csv_bytes, good_xlsx, has_rule, put
from conftest import ROSTER_HEADERS, make_id, roster_row

ESC = "\x1b[2J\x1b]0;x\x07\x1b[31m\x08\r:smile:[red]"
CONTROL = ("\x1b", "\x07", "\x08", "\r", "😄")


def _no_full(secrets: list[str]):
    def fn(r, case_dir: Path) -> None:
        texts = [(r.out / "findings.csv").read_text(encoding="utf-8-sig"),
                 (r.out / "findings.json").read_text(encoding="utf-8"), r.stdout, r.stderr]
        for v in secrets:
            for t in texts:
                assert v not in t, v

    return fn


def _unchanged(path: Path):
    data = path.read_bytes()

    def fn(r, case_dir: Path) -> None:
        assert path.read_bytes() == data

    return fn


def _no_stage(r, case_dir: Path) -> None:
    assert not list(r.out.glob(".xueji-tmp-*")), list(r.out.iterdir())


@case
def shifted_row_quotes_ids_mobiles_cards(t: Path) -> Case:
    idn, idn2 = make_id(seq="301"), make_id(seq="303")
    mobiles, card = ("13912345678", "13987654321"), "6222021234567890123"
    rows = [ROSTER_HEADERS, roster_row("S1", "甲", make_id(seq="305")),
            ["S2", "乙", idn2, "男", "东方技工学校", "3", idn, idn, "在校"],
            ["S3", "丙", make_id(seq="307"), "男", "东方技工学校", "3", "、".join(mobiles), card, "在校"]]
    p = put(t / "错位名册.csv", csv_bytes(rows).encode("utf-8-sig"))
    return Case([p], (1,), check=all_of(has_rule("S006"), has_rule("S007"), _no_full([idn, *mobiles, card])))


@case
def student_id_holds_an_id_number(t: Path) -> Case:
    idn = make_id(seq="311")
    rows = [ROSTER_HEADERS, roster_row("G" + idn, "", idn)]
    p = put(t / "名册.csv", csv_bytes(rows).encode("utf-8-sig"))
    return Case([p], (1,), check=all_of(has_rule("S002"), _no_full([idn])))


@case
def full_width_id_in_a_date(t: Path) -> Case:
    idn = make_id(seq="313")
    fw = idn.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    rows = [ROSTER_HEADERS, roster_row("S1", "甲", make_id(seq="315"), enroll=fw)]
    p = put(t / "名册.csv", csv_bytes(rows).encode("utf-8-sig"))
    return Case([p], (1,), check=all_of(has_rule("S006"), _no_full([idn, fw])))


@case
def megabyte_cell_quoted(t: Path) -> Case:
    big = "长" * 1_000_000
    rows = [ROSTER_HEADERS] + [roster_row(f"S{i}", "甲", make_id(seq=f"{321 + 2 * i}"), mode=big) for i in range(3)]
    p = put(t / "大格子.csv", csv_bytes(rows).encode("utf-8-sig"))

    def small(r, case_dir: Path) -> None:
        assert (r.out / "findings.csv").stat().st_size < 20_000
        assert (r.out / "findings.json").stat().st_size < 40_000
        assert r.findings["message"].str.contains("…」").any()

    return Case([p], (1,), check=all_of(has_rule("S007"), small))


@case
def escape_sequences_in_names_and_cells(t: Path) -> Case:
    name = ESC.replace("/", "")
    rows = [ROSTER_HEADERS, roster_row("S1", "", make_id(seq="331"), school=f"东方{ESC}学校")]
    put(t / f"名册{name}.csv", csv_bytes(rows).encode("utf-8-sig"))
    put(t / f"坏{name}.xlsx", b"")

    def clean(r, case_dir: Path) -> None:
        for ch in CONTROL:
            assert ch not in r.stdout + r.stderr, ch
        assert ":smile:" in r.stdout and "[red]" in r.stdout

    return Case([t], (1,), check=all_of(checked(rows=1), clean))


@case
def out_is_the_input_file(t: Path) -> Case:
    good = good_xlsx(t / "名册.xlsx")
    return Case([good], (2,), ["输入文件"], out=good, check=_unchanged(good))


@case
def input_named_like_a_report_file_in_out(t: Path) -> Case:
    good = good_xlsx(t / "名册.xlsx")
    out = t / "报告"
    named = put(out / "findings.csv", csv_bytes([ROSTER_HEADERS, roster_row("S1", "甲", make_id(seq="341"))])
                .encode("utf-8-sig"))
    return Case([good, "--roster", named], (2,), ["输入文件", "--out"], out=out,
                check=all_of(_unchanged(named), _no_stage))


@case
def baseline_not_json(t: Path) -> Case:
    base = put(t / "findings.json", b"\x00\x01 not json, truncated {")
    return Case([good_xlsx(t / "名册.xlsx"), "--baseline", base], (2,), ["基线文件", "请给出"])


@case
def baseline_is_a_folder(t: Path) -> Case:
    base = t / "上次"
    base.mkdir()
    return Case([good_xlsx(t / "名册.xlsx"), "--baseline", base], (2,), ["基线文件", "文件夹"])


@case
def baseline_binary(t: Path) -> Case:
    base = put(t / "findings.json", bytes(range(256)) * 8)
    return Case([good_xlsx(t / "名册.xlsx"), "--baseline", base], (2,), ["基线文件", "不是文本文件"])


@case
def baseline_wrong_shape(t: Path) -> Case:
    base = put(t / "findings.json", json.dumps({"findings": {"a": 1}}).encode())
    return Case([good_xlsx(t / "名册.xlsx"), "--baseline", base], (2,), ["基线文件", "findings.json"])


@case
def stale_staging_folders_in_out(t: Path) -> Case:
    """A killed run's staging folder (old, no live lock) is removed by the next run; so is a
    half-finished replacement, after the earlier report is put back."""
    good = good_xlsx(t / "名册.xlsx")
    out = t / "报告"
    plain = out / ".xueji-tmp-killed"
    put(plain / "report.xlsx", b"PK half")
    past = time.time() - 7 * 3600
    os.utime(plain, (past, past))
    half = out / ".xueji-tmp-halfway"
    put(half / "lock", b"12345\n")
    put(half / "commit.json", json.dumps({"names": ["findings.csv"]}).encode())
    put(half / ".old" / "findings.csv", b"\xef\xbb\xbfrule_id,severity,dataset,file,sheet\n")  # an earlier report's

    def cleaned(r, case_dir: Path) -> None:
        assert not plain.exists() and not half.exists()
        assert (out / "findings.csv").read_bytes().startswith(b"\xef\xbb\xbfrule_id")

    return Case([good], (0, 1), out=out, check=all_of(checked(rows=3), cleaned))
