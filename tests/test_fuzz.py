"""Hypothesis fuzzing: the normalisers never raise on any text, and random small spreadsheets
(random headers, values, encodings, formats) through the real CLI never let an exception out."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import tempfile
from pathlib import Path

import openpyxl
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from typer.testing import CliRunner

from conftest import ROSTER_HEADERS, make_id
from xueji_check import normalize as nz
from xueji_check.cli import app
from xueji_check.load import decode_text, redact
from xueji_check.report import neutralise, neutralise_text

AS_OF = dt.date(2025, 1, 1)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# Text that looks like what arrives in the files, plus anything at all.
_pieces = st.sampled_from([
    "2018", "09", "9", "01", "年", "月", "日", "-", "/", ".", " ", "\u3000", "春", "秋", "季", "学期", "第一", "第二",
    "学年", "E+17", "x", "X", "０", "１", "９", "Ｘ", "是", "否", "√", "×", "三", "年", "半", "元", ",", "¥",
    "00:00:00", "T", "#N/A", "=", "合计", "4101", "05", "200801011234",
])
messy = st.one_of(
    st.text(max_size=40),
    st.lists(_pieces, max_size=8).map("".join),
    st.integers(-10**20, 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.just(make_id()), st.just(make_id()[:17] + "0"), st.just(make_id()[:6] + make_id()[8:]),
)
column = st.lists(st.one_of(st.none(), messy), min_size=1, max_size=30)


def _apply(expr_fn, values: list) -> pl.DataFrame:
    return pl.DataFrame({"v": values}, schema={"v": pl.String}).select(expr_fn(pl.col("v")).alias("out"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(column)
def test_id_struct_never_raises(values):
    out = _apply(lambda e: nz.id_struct(e, AS_OF), values).unnest("out")
    assert out.height == len(values)
    ok = out.filter(pl.col("status") == "ok")
    for idn in ok["id"].to_list():
        assert len(idn) == 18 and nz.check_digit_py(idn[:17]) == idn[17]
    assert out["status"].null_count() == 0


@FAST
@given(column)
def test_date_struct_never_raises(values):
    out = _apply(nz.date_struct, values).unnest("out")
    assert out.height == len(values) and out.schema["date"] == pl.Date


@FAST
@given(column)
def test_term_struct_never_raises(values):
    out = _apply(nz.term_struct, values).unnest("out")
    assert out.height == len(values)
    assert set(out["season"].drop_nulls().to_list()) <= {"spring", "autumn"}


@FAST
@given(column)
def test_number_yes_no_grade_never_raise(values):
    df = pl.DataFrame({"v": values}, schema={"v": pl.String})
    out = df.select(nz.number(pl.col("v")).alias("n"), nz.yes_no(pl.col("v")).alias("b"),
                    nz.grade_year(pl.col("v")).alias("g"), nz.mask_id(pl.col("v")).alias("m"))
    assert out.schema["n"] == pl.Float64 and out.schema["b"] == pl.Boolean


@FAST
@given(column, st.lists(st.text(min_size=1, max_size=6), max_size=5), st.dictionaries(
    st.text(max_size=6), st.text(min_size=1, max_size=6), max_size=5))
def test_enum_value_never_raises(values, allowed, synonyms):
    out = _apply(lambda e: nz.enum_value(e, tuple(allowed), synonyms), values)
    assert out.height == len(values)


@FAST
@given(st.lists(st.one_of(st.none(), st.text(max_size=30)), min_size=1, max_size=20))
def test_neutralise_leaves_no_formula_start(values):
    df = neutralise(pl.DataFrame({"v": values}, schema={"v": pl.String}))
    for v in df["v"].drop_nulls().to_list():
        assert v[:1] not in ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
    for v in values:
        n = neutralise_text(v)
        assert not isinstance(n, str) or n[:1] not in ("=", "+", "-", "@", "\t", "\r")


@FAST
@given(st.binary(max_size=400))
def test_decode_text_never_raises(data):
    text, enc, lossy = decode_text(data)
    assert isinstance(text, str) and enc


@FAST
@given(st.text(max_size=60))
def test_redact_hides_every_id(prefix):
    idn = make_id()
    out = redact(prefix + idn + "。")
    assert idn not in out


# ---------------------------------------------------------------- random spreadsheets
header_pool = st.sampled_from([*ROSTER_HEADERS, "学生姓名", "证件号码", "学期", "资助类型", "金额", "异动类型",
                               "异动日期", "申报日期", "公示", "备注", "", "*身份证号\n", "学 制（年）", "合计"])
cell = st.one_of(st.none(), messy, st.integers(-10**6, 10**18), st.floats(allow_nan=False, allow_infinity=False,
                                                                           width=32))
sheet = st.integers(1, 6).flatmap(lambda w: st.tuples(
    st.lists(header_pool, min_size=w, max_size=w),
    st.lists(st.lists(cell, min_size=0, max_size=w + 1), max_size=6),
    st.one_of(st.none(), st.text(max_size=20)),
))
encodings = st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16", "utf-16-le"])
formats = st.sampled_from(["xlsx", "csv", "tsv-txt"])


def _write(path: Path, fmt: str, enc: str, headers, rows, title) -> Path:
    all_rows = ([[title]] if title else []) + [headers] + rows
    if fmt == "xlsx":
        wb = openpyxl.Workbook()
        ws = wb.active
        for r in all_rows:
            # openpyxl refuses control characters; Excel files cannot hold them either
            ws.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in r])
            for c in ws[ws.max_row]:
                if isinstance(c.value, str):
                    c.data_type = "s"  # text, never a formula
        p = path.with_suffix(".xlsx")
        wb.save(p)
        return p
    delim = "\t" if fmt == "tsv-txt" else ","
    buf = io.StringIO()
    csv.writer(buf, delimiter=delim).writerows([["" if v is None else v for v in r] for r in all_rows])
    try:
        data = buf.getvalue().encode(enc)
    except UnicodeEncodeError:
        data = buf.getvalue().encode(enc, errors="replace")
    p = path.with_suffix(".txt" if fmt == "tsv-txt" else ".csv")
    p.write_bytes(data)
    return p


@SLOW
@given(st.lists(st.tuples(sheet, formats, encodings), min_size=1, max_size=3),
       st.sampled_from([[], ["--fail-on", "warning"], ["--show-pii"], ["--format", "csv,json,html"]]))
def test_random_spreadsheets_through_the_cli(files, extra):
    tmp = Path(tempfile.mkdtemp(prefix="xueji-fuzz-"))
    try:
        d = tmp / "in"
        d.mkdir()
        written = []
        for i, ((headers, rows, title), fmt, enc) in enumerate(files):
            written.append(_write(d / f"表{i}", fmt, enc, headers, rows, title))
        res = CliRunner().invoke(app, ["check", str(d), "--as-of", "2025-01-01", "--out", str(tmp / "out"),
                                       "--quiet", *extra], catch_exceptions=True)
        assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
        assert res.exit_code in (0, 1, 2), (res.exit_code, res.stdout, res.stderr)
        assert "Traceback" not in res.stdout + res.stderr
        assert "运行失败" not in res.stderr, res.stderr  # an unexpected exception reached _guard
        if written and res.exit_code in (0, 1):
            assert (tmp / "out" / "findings.csv").exists()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
