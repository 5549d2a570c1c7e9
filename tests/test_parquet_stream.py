"""A big Parquet input is read by slices (`load.parquet`), never whole: the findings, messages and
tables are the same as when the file is read whole; where the records end is decided over the
whole file; card damage found in one slice counts for the whole table; a file changed while it
is read is refused; a file the head cannot judge is read whole."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROSTER_HEADERS, make_id, roster_row
from test_table_end import ROW, frame
from xueji_check import engine
from xueji_check import store as store_mod
from xueji_check.load import parquet as pq
from xueji_check.load import table as table_mod
from xueji_check.load.model import LoadError
from xueji_check.load.table import set_aside_rows, split_records
from xueji_check.policy import load_policy
from xueji_check.spec import all_kinds

AS_OF = dt.date(2025, 6, 30)
AID_HEADERS = ["学籍号", "姓名", "身份证号", "学校名称", "学期", "资助类型", "金额", "申报日期", "发放日期", "发放方式",
               "资助卡号"]


def luhn_complete(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return body + str((10 - total % 10) % 10)


def cut_valid(prefix: str, length: int = 16) -> str:
    """A Luhn-valid card value bearing Excel's mark (zeros after the 15th digit): damage that only
    the rest of its table gives away."""
    for d in "0123456789":
        n = (prefix + d).ljust(length, "0")
        if luhn_complete(n[:-1]) == n:
            return n
    raise AssertionError


def write_parquet(path: Path, rows: list[list], names: list[str] | None = None) -> Path:
    header, body = (names, rows) if names else (rows[0], rows[1:])
    width = len(header)
    cols = {h: [(r[j] if j < len(r) else None) for r in body] for j, h in enumerate(header)}
    pl.DataFrame(cols, schema={h: pl.String for h in header}).write_parquet(path, row_group_size=5)
    assert width
    return path


def roster_parquet(d: Path) -> list[Path]:
    school = "东方技工学校"
    rows = [ROSTER_HEADERS]
    for i in range(30):
        rows.append(roster_row(f"G{i:03d}", f"学生{i}", make_id(birth=f"2007{i % 12 + 1:02d}15", seq=f"{i:02d}1"),
                               school=school, enroll="2024-09-01" if i % 4 else "2023/9/1"))
        if i == 9:
            rows.append([None] * 9)  # a blank row inside the table
        if i == 17:
            rows.append(ROSTER_HEADERS)  # the header repeated for a second block
        if i == 20:
            rows.append(["二、2024级新生"])  # a heading between blocks
    rows.append(roster_row("G900", "数字号", "4.10105E+17", school=school))
    bad = make_id(birth="20070909", seq="551")
    rows.append(roster_row("G902", "错号", bad[:-1] + ("1" if bad[-1] != "1" else "2"), school=school))  # S003
    rows.append(roster_row("G901", "学生3", make_id(birth="20070415", seq="031"), school=school))  # a duplicate
    rows.append(["合计", "32人"])
    rows.append(["制表人：王老师"])
    rows.append([None, None, None, None, "东方技工学校"])
    # a second school, its header under a title row (column names that are no header)
    names = [f"column_{j + 1}" for j in range(9)]
    other = [["西山技工学校学籍名册"], ROSTER_HEADERS]
    for i in range(14):
        other.append(roster_row(f"H{i:03d}", f"西生{i}", make_id(birth="20060301", region="420102", seq=f"{i:02d}3"),
                                school="西山技工学校", mode="全日制" if i % 5 else "业余"))
    return [write_parquet(d / "学籍名册.parquet", rows), write_parquet(d / "西山学籍.parquet", other, names)]


def aid_parquet(d: Path) -> Path:
    rows = [AID_HEADERS]
    mark = cut_valid("621700123456781")
    for i in range(30):
        idn = make_id(birth=f"2007{i % 12 + 1:02d}15", seq=f"{i:02d}1")
        card = luhn_complete(f"62170012345{i:05d}"[:18]) if i != 2 else mark  # row 2: damage no slice of its own shows
        if i == 25:
            card = "6.21700E+18"  # damage a later slice shows
        rows.append([f"G{i:03d}", f"学生{i}", idn, "东方技工学校", "2024秋", "国家助学金", "1000", "2024-10-08",
                     "2024-11-20", "资助卡", card])
    rows.append(["X000", "查无此人", make_id(birth="20060101", seq="777"), "东方技工学校", "2024秋", "国家助学金", "1500",
                 "2024-11-08", "2024-11-20", "现金", None])
    rows.append(rows[1][:])  # paid twice
    rows.append(["公示时间：2024年11月4日至2024年11月8日"])
    return write_parquet(d / "资助发放.parquet", rows)


def _run(paths, store=None) -> engine.RunResult:
    return engine.run(list(paths), {}, load_policy(None), AS_OF, store=store)


def _messages(r: engine.RunResult) -> list[tuple]:
    return sorted((p.level, p.file, p.sheet or "", p.row or 0, p.message) for p in r.problems)


def _tables(r: engine.RunResult) -> list[tuple]:
    return sorted((k, t.file, t.header_row, t.raw.height, tuple(t.footer_lines), tuple(t.title_lines),
                   tuple(t.footer_rows), 0 if t.other_rows is None else t.other_rows.height)
                  for k, ts in r.tables.items() for t in ts)


@pytest.fixture
def inputs(tmp_path) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    roster_parquet(d)
    aid_parquet(d)
    return d


@pytest.fixture
def streamed(monkeypatch):
    """Every Parquet file of more than 5 rows is read by slices of 7 rows; returns the calls."""
    calls: list[str] = []
    real = pq.stream_table

    def spy(source, display, *a, **kw):
        out = real(source, display, *a, **kw)
        name = Path(display).name
        calls.append(name if out is not None else f"whole:{name}")
        return out

    monkeypatch.setattr(pq, "STREAM_ROWS", 5)
    monkeypatch.setattr(pq, "SLICE_ROWS", 7)
    monkeypatch.setattr(pq, "stream_table", spy)
    return calls


def test_slices_give_what_the_whole_file_gives(inputs, monkeypatch, streamed, tmp_path):
    monkeypatch.setattr(pq, "STREAM_ROWS", 10**9)
    with _run([inputs]) as whole:
        want = (whole.findings, _messages(whole), _tables(whole))
    assert streamed == []
    monkeypatch.setattr(pq, "STREAM_ROWS", 5)
    with _run([inputs]) as sliced:
        got = (sliced.findings, _messages(sliced), _tables(sliced))
    assert sorted(streamed) == ["学籍名册.parquet", "西山学籍.parquet", "资助发放.parquet"]
    assert got[0].height > 0 and got[0].equals(want[0], null_equal=True)
    assert got[1] == want[1]
    assert got[2] == want[2]
    rules = set(got[0]["rule_id"].to_list())
    assert {"R101", "S003", "S004", "A304"} <= rules, rules
    # the card no slice of its own shows as damaged is S004 (its table's damage is in a later slice)
    s004 = got[0].filter(pl.col("rule_id") == "S004")
    aid = s004.filter(pl.col("file").str.ends_with("资助发放.parquet"))
    assert {4, 27} <= set(aid["row"].to_list())
    # rows set aside over the whole file: the header repeated, the heading, 合计 and the footer
    roster = next(t for t in sliced.tables["roster"] if Path(t.file).name == "学籍名册.parquet")
    assert roster.raw.height == 33 and "制表人：王老师" in roster.footer_lines
    west = next(t for t in sliced.tables["roster"] if Path(t.file).name == "西山学籍.parquet")
    assert west.header_row == 3 and west.title_lines == ["column_1 column_2 column_3 column_4 column_5 column_6 "
                                                          "column_7 column_8 column_9", "西山技工学校学籍名册"]


def test_without_spreading_the_damage_a_slice_would_miss_it(inputs, monkeypatch, streamed):
    """What `engine.one_table` is for: row 4's card shows no damage of its own."""
    monkeypatch.setattr(engine, "one_table", lambda paths, spec: None)
    with _run([inputs]) as r:
        s004 = r.findings.filter((pl.col("rule_id") == "S004") & pl.col("file").str.ends_with("资助发放.parquet"))
        assert 27 in s004["row"].to_list() and 4 not in s004["row"].to_list()


def test_a_table_written_by_slices_is_read_back_from_several_files(inputs, streamed, tmp_path):
    with store_mod.Store.open(tmp_path / "cache") as store:
        with _run([inputs], store=store) as cold:
            t = next(t for t in cold.tables["aid"])
            assert len(t.raw.files) == 5  # 34 rows, 7 at a time
            findings = cold.findings
    with store_mod.Store.open(tmp_path / "cache") as store:
        with _run([inputs], store=store) as warm:
            assert warm.cache_hits == 3
            assert warm.findings.equals(findings, null_equal=True)


def test_a_file_changed_while_it_is_read_is_refused(inputs, streamed, monkeypatch, tmp_path):
    target = inputs / "资助发放.parquet"
    real = pq.StreamedTable.slices

    def touching(self, rows=0):
        for n, part in enumerate(real(self, rows)):
            if n == 1 and self.source.path == target:
                st_ = target.stat()
                os.utime(target, ns=(st_.st_atime_ns, st_.st_mtime_ns + 10**9))
            yield part

    monkeypatch.setattr(pq.StreamedTable, "slices", touching)
    with store_mod.Store.open(tmp_path / "cache") as store:
        with _run([inputs], store=store) as r:
            errors = [p for p in r.problems if p.level == "error"]
            assert [(Path(p.file).name, p.message) for p in errors] == [
                ("资助发放.parquet", "文件在读取过程中被修改（大小或修改时间变了），请等导出完成后再检查")]
            assert "aid" not in r.tables or not r.tables["aid"]
            assert r.findings.filter(pl.col("file").str.ends_with("资助发放.parquet")).height == 0
        entries = list((tmp_path / "cache" / store_mod.ENTRIES).glob("*/" + store_mod.MANIFEST))
        assert len(entries) == 2  # the two rosters; nothing of the changed file is kept


def test_a_file_the_head_cannot_judge_is_read_whole(tmp_path, streamed):
    d = tmp_path / "in"
    d.mkdir()
    rows = [["姓名", "学校名称", "备注"]] + [[f"学生{i}", "东方技工学校", ""] for i in range(12)]
    write_parquet(d / "名单.parquet", rows)
    with _run([d]) as r:
        assert streamed == ["whole:名单.parquet"]
        assert any(p.level == "error" and Path(p.file).name == "名单.parquet" for p in r.problems)


def test_a_binary_column_that_is_no_text_is_left_out_with_a_warning(tmp_path, streamed):
    d = tmp_path / "in"
    d.mkdir()
    rows = [roster_row(f"G{i:03d}", f"学生{i}", make_id(seq=f"{i:02d}1")) for i in range(12)]
    df = pl.DataFrame({h: [r[j] for r in rows] for j, h in enumerate(ROSTER_HEADERS)})
    df = df.with_columns(照片=pl.Series([b"\xff\xd8\xff\xe0"] * 12, dtype=pl.Binary))
    df.write_parquet(d / "学籍.parquet")
    with _run([d]) as r:
        assert streamed == ["学籍.parquet"]
        warn = [p.message for p in r.problems if p.level == "warning"]
        assert any("「照片」" in m and "未读取" in m for m in warn), warn
        assert r.tables["roster"][0].raw.height == 12


def test_one_table_unifies_types_and_spreads_card_damage(tmp_path):
    spec = all_kinds()["aid"]
    a = tmp_path / "a.parquet"
    b = tmp_path / "b.parquet"
    mark = cut_valid("621700123456781")
    pl.DataFrame({"card_number": [mark, "6217001234567890128"], "card_number__damaged": [False, False],
                  "note": pl.Series([None, None], dtype=pl.Null)}).write_parquet(a)
    pl.DataFrame({"card_number": ["6.21700E+18"], "card_number__damaged": [True],
                  "note": ["x"]}).write_parquet(b)
    engine.one_table([a, b], spec)
    got = pl.read_parquet(a)
    assert got["card_number__damaged"].to_list() == [True, False]  # the mark, not the genuine card
    assert got.schema["note"] == pl.String
    untouched = b.stat().st_mtime_ns
    engine.one_table([a, b], spec)
    assert b.stat().st_mtime_ns == untouched


def test_without_damage_elsewhere_a_mark_alone_is_no_damage(tmp_path):
    spec = all_kinds()["aid"]
    a = tmp_path / "a.parquet"
    mark = cut_valid("621700123456781")
    pl.DataFrame({"card_number": [mark], "card_number__damaged": [False]}).write_parquet(a)
    engine.one_table([a, a.with_name("a.parquet")], spec)
    assert pl.read_parquet(a)["card_number__damaged"].to_list() == [False]


@given(rows=st.lists(ROW, min_size=1, max_size=12),
       fields=st.sampled_from([{}, {"name": "c1"}, {"name": "c1", "id_number": "c3"}, {"student_id": "c0"}]))
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_set_aside_rows_of_a_lazy_frame_equal_those_of_a_frame(rows, fields):
    df = frame(rows, 6)
    headers = ["序号", "姓名", "班级", "身份证号", "备注", ""]
    eager = set_aside_rows(df, headers, fields)
    if any(a.category == "table" for a in eager[1]):  # a second table: a big file is refused whole
        with pytest.raises(LoadError, match="又是一行表头"):
            set_aside_rows(df.lazy(), headers, fields)
        return
    lazy = set_aside_rows(df.lazy(), headers, fields)
    assert lazy == eager
    keep = table_mod.CANDIDATE_ROWS
    try:  # candidates read by ranges of two sheet rows
        table_mod.CANDIDATE_ROWS = 2
        assert set_aside_rows(df.lazy(), headers, fields) == eager
    finally:
        table_mod.CANDIDATE_ROWS = keep
    kept, aside = split_records(df, headers, fields)
    assert sorted(set(df["_row"].to_list()) - set(kept["_row"].to_list())) == eager[0]
    assert aside == eager[1]


def test_a_big_table_holding_a_second_table_is_refused_whole():
    """Read by streaming passes, a second table (a header in another column order) is refused with
    the reason; read whole, its rows are set aside (test_table_end)."""
    headers = ["序号", "姓名", "班级", "身份证号", "备注", ""]
    rows = [["1", "张三", "1班", make_id(seq="111")], ["姓名", "序号", "身份证号", "班级"], ["李四", "2", make_id(seq="113"), "2班"]]
    fields = {"name": "c1", "id_number": "c3"}
    assert [a.category for a in set_aside_rows(frame(rows, 6), headers, fields)[1]] == ["table", "table"]
    with pytest.raises(LoadError, match="第 3 行又是一行表头"):
        set_aside_rows(frame(rows, 6).lazy(), headers, fields)


def _roster_frame(n: int = 14) -> pl.DataFrame:
    rows = [roster_row(f"G{i:03d}", f"学生{i}", make_id(birth="20070315", seq=f"{i:02d}1")) for i in range(n)]
    return pl.DataFrame({h: [r[j] for r in rows] for j, h in enumerate(ROSTER_HEADERS)})


@pytest.mark.parametrize("extra", [
    {"在校时长": pl.Series([dt.timedelta(days=300)] * 14)},  # no text form: left out with a warning
    {"_row": list(range(14))},  # the loader's own row column name
    {"^备注.*$": ["x"] * 14},  # a name Polars would read as a pattern
    {"": ["对此名单有异议"] * 14},  # no name at all
])
def test_odd_columns_give_what_the_whole_file_gives(tmp_path, monkeypatch, extra):
    d = tmp_path / "in"
    d.mkdir()
    _roster_frame().with_columns(**{k: v for k, v in extra.items()}).write_parquet(d / "名册.parquet", row_group_size=4)
    monkeypatch.setattr(pq, "STREAM_ROWS", 10**9)
    with _run([d]) as whole:
        want = (whole.findings, _messages(whole), _tables(whole))
    monkeypatch.setattr(pq, "STREAM_ROWS", 5)
    monkeypatch.setattr(pq, "SLICE_ROWS", 4)
    with _run([d]) as sliced:
        got = (sliced.findings, _messages(sliced), _tables(sliced))
        assert sliced.tables["roster"][0].raw.height == 14
    assert got[1] == want[1] and got[2] == want[2]
    assert got[0].equals(want[0], null_equal=True)


def _damaged(path: Path) -> None:
    b = bytearray(path.read_bytes())
    footer = int.from_bytes(b[-8:-4], "little")
    at = (len(b) - 8 - footer) // 2
    for k in range(at, at + 16):
        b[k] ^= 0xFF
    path.write_bytes(bytes(b))


def test_a_damaged_page_is_named_as_such_and_the_other_files_are_checked(tmp_path, streamed):
    d = tmp_path / "in"
    d.mkdir()
    _roster_frame(40).write_parquet(d / "名册.parquet", row_group_size=4)
    _damaged(d / "名册.parquet")
    roster_parquet(d)  # two sound files beside it
    with _run([d]) as r:
        errors = [(Path(p.file).name, p.message) for p in r.problems if p.level == "error"]
        assert len(errors) == 1 and errors[0][0] == "名册.parquet", errors
        assert "已损坏" in errors[0][1] and "意外错误" not in errors[0][1]
        assert {Path(t.file).name for t in r.tables["roster"]} == {"学籍名册.parquet", "西山学籍.parquet"}


def test_a_file_removed_while_it_is_read_is_refused_alone(inputs, streamed, monkeypatch):
    target = inputs / "资助发放.parquet"
    real = pq.StreamedTable.slices

    def removing(self, rows=0):
        for n, part in enumerate(real(self, rows)):
            if n == 0 and self.source.path == target.absolute():
                target.rename(target.with_suffix(".moved"))
            yield part

    monkeypatch.setattr(pq.StreamedTable, "slices", removing)
    with _run([inputs]) as r:
        errors = [(Path(p.file).name, p.message) for p in r.problems if p.level == "error"]
        assert errors == [("资助发放.parquet", "文件在读取过程中被移走、删除或改了权限，请等导出完成后再检查")]
        assert r.tables["roster"] and r.findings.height > 0  # the other files are checked


def test_a_file_removed_after_its_last_slice_is_refused_in_the_same_words(inputs, streamed, monkeypatch):
    """Gone before the last look at it (`check_unchanged`), not while a slice was read: the same
    message as in the slices."""
    target = inputs / "资助发放.parquet"
    real = pq.ParquetSource.check_unchanged

    def removed_first(self):
        if self.path == target.absolute() and target.exists():
            target.rename(target.with_suffix(".moved"))
        return real(self)

    monkeypatch.setattr(pq.ParquetSource, "check_unchanged", removed_first)
    with _run([inputs]) as r:
        errors = [(Path(p.file).name, p.message) for p in r.problems if p.level == "error"]
        assert errors == [("资助发放.parquet", pq.MOVED)]
        assert pq.MOVED == "文件在读取过程中被移走、删除或改了权限，请等导出完成后再检查"
        assert r.tables["roster"] and r.findings.height > 0


def test_a_folder_named_tilde_is_not_the_home_folder(tmp_path, streamed, monkeypatch):
    (tmp_path / "~").mkdir()
    _roster_frame().write_parquet(tmp_path / "~" / "名册.parquet")
    monkeypatch.chdir(tmp_path)
    with _run([Path("~")]) as r:
        assert [p.message for p in r.problems if p.level == "error"] == []
        assert r.tables["roster"][0].raw.height == 14
    assert streamed == ["名册.parquet"]


def test_memory_asked_for_a_sliced_file_is_that_of_one_slice(inputs, streamed, monkeypatch):
    asked: list[int] = []
    real = engine.MEMORY.reserve

    def spy(need, size):
        asked.append(need)
        return real(need, size)

    monkeypatch.setattr(engine.MEMORY, "reserve", spy)
    with _run([inputs]):
        pass
    # 7 rows of a slice, columns of the file, the loader's per-cell estimate
    assert sorted(asked) == sorted([7 * 9 * 48, 7 * 9 * 48, 7 * 11 * 48])


def test_candidates_read_by_parts_when_every_row_is_one(tmp_path, streamed, monkeypatch):
    """An ID column whose every cell has a trailing space makes every row a candidate: they are
    read a part at a time, with the same result."""
    d = tmp_path / "in"
    d.mkdir()
    rows = [r[:2] + [r[2] + " "] + r[3:] for r in roster_parquet_rows()]
    write_parquet(d / "名册.parquet", [ROSTER_HEADERS, *rows, ["合计", "3人"], ["制表人：王老师"]])
    with _run([d]) as one:
        want = (one.findings, _messages(one), _tables(one))
    parts: list[int] = []
    real = table_mod._candidates

    def spy(*a):
        for part in real(*a):
            parts.append(part.height)
            yield part

    monkeypatch.setattr(table_mod, "CANDIDATE_ROWS", 4)
    monkeypatch.setattr(table_mod, "_candidates", spy)
    with _run([d]) as many:
        assert (many.findings, _messages(many), _tables(many))[1:] == want[1:]
        assert many.findings.equals(want[0], null_equal=True)
        assert many.tables["roster"][0].raw.height == 12
    assert len(parts) >= 3 and max(parts) <= 4


def roster_parquet_rows() -> list[list]:
    return [roster_row(f"G{i:03d}", f"学生{i}", make_id(birth="20070315", seq=f"{i:02d}1")) for i in range(12)]
