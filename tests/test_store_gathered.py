"""A kind's gathered rows kept in a --cache store (`gathered`): reused when nothing changed, made
from the last gathered entry and the changed files otherwise, and always row for row what
gathering every entry again gives."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import polars as pl
import pytest

from conftest import ROSTER_HEADERS, make_id, roster_row, write_xlsx
from test_store_engine import _run, province
from xueji_check import engine, gathered
from xueji_check import store as st


def _gathered_entries(cache: Path) -> set[str]:
    return {d.name for d in (cache / st.ENTRIES).iterdir() if d.name.startswith(st.GATHERED_PREFIX)}


@pytest.fixture
def small_gather(monkeypatch, any_share):
    """Gather above two store files (a province's thousands, in small)."""
    monkeypatch.setattr(engine, "GATHER_FILES", 2)


@pytest.fixture
def any_share(monkeypatch):
    """Take rows from the last gathered entry whatever the share of new rows (a small folder's
    few files are a large share; `test_mostly_new_rows_are_gathered_whole` tests the limit)."""
    monkeypatch.setattr(gathered, "NEW_ROWS_SHARE", 1.0)


@pytest.fixture
def paths_taken(monkeypatch):
    """How each gathered entry (one per kind and run) was made, as (how, kind): 'reused' (found by
    its key), 'updated' (made from a last gathered entry), 'refused' (last entries there, none
    usable: gathered whole) or 'all' (no last entry: gathered whole)."""
    taken: list[tuple[str, str]] = []
    tried: list[bool] = []
    puts: list[str] = []
    real_prev, real_gather, real_put = gathered._from_previous, gathered.gather, st.Store.put

    def spy_prev(*a):
        out = real_prev(*a)
        tried.append(out is not None)
        return out

    def spy_put(self, key, *a, **k):
        puts.append(key)
        return real_put(self, key, *a, **k)

    def spy_gather(store, kind, uses, lf):
        tried.clear()
        written = len(puts)
        out = real_gather(store, kind, uses, lf)
        how = ("reused" if len(puts) == written else "updated" if any(tried) else "refused" if tried else "all")
        taken.append((how, kind))
        return out

    monkeypatch.setattr(st.Store, "put", spy_put)
    monkeypatch.setattr(gathered, "_from_previous", spy_prev)
    monkeypatch.setattr(gathered, "gather", spy_gather)
    monkeypatch.setattr(engine, "gather", spy_gather)
    return taken


def _check_against_cold(src: Path | list[Path], cache: Path) -> engine.RunResult:
    """A --cache run over `src` (a folder, or files in this order) whose rows (per kind) and
    findings equal a run without the store's gathered entries (a temporary store)."""
    paths = src if isinstance(src, list) else [src]
    with st.Store.open(cache) as store:
        warm = _run(paths, store=store)
        cold = _run(paths)
        assert set(warm.views) == set(cold.views) == {"roster", "aid"}
        for kind in warm.views:
            a, b = warm.scan(kind).collect(), cold.scan(kind).collect()
            assert a.height > 0 and a.schema == b.schema, kind
            assert a.equals(b, null_equal=True), kind
        assert warm.findings.equals(cold.findings, null_equal=True)
        cold.close()
    return warm


def test_gathered_rows_are_reused_then_updated_row_for_row(tmp_path, small_gather, paths_taken):
    src = province(tmp_path, schools=6)
    cache = tmp_path / "cache"
    _check_against_cold(src, cache)
    first = _gathered_entries(cache)
    assert len(first) == 2 and [w for w, _ in paths_taken] == ["all", "all"]
    # nothing changed: the same two entries, read as they are
    paths_taken.clear()
    _check_against_cold(src, cache)
    assert _gathered_entries(cache) == first and [w for w, _ in paths_taken] == ["reused", "reused"]
    # one roster workbook changed, one school's files removed, one school added
    paths_taken.clear()
    write_xlsx(src / "学籍名册_第3技工学校.xlsx",
               [ROSTER_HEADERS, roster_row("G2001", "新生", make_id(birth="20090101", seq="551"), school="第3技工学校")])
    (src / "学籍名册_第5技工学校.xlsx").unlink()
    (src / "资助_第5技工学校.csv").unlink()
    shutil.copy(province(tmp_path / "more", schools=7) / "学籍名册_第7技工学校.xlsx", src)
    _check_against_cold(src, cache)
    assert sorted(paths_taken) == [("updated", "aid"), ("updated", "roster")], paths_taken
    # the same files in another folder: taken from the last entries, under their new names
    paths_taken.clear()
    moved = tmp_path / "另一个文件夹"
    shutil.copytree(src, moved)
    warm = _check_against_cold(moved, cache)
    assert sorted(paths_taken) == [("updated", "aid"), ("updated", "roster")], paths_taken
    assert all(f.startswith(str(moved)) for f in warm.scan("roster").collect()["_file"].unique())


def test_a_column_the_last_gathered_rows_lack_is_added_empty(tmp_path, small_gather, paths_taken):
    """Schools with a phone column join a folder whose gathered rows had none: the rows taken from
    the last entry get the column empty, as gathering them again gives."""
    full = province(tmp_path, schools=6)
    src = tmp_path / "部分"
    src.mkdir()
    for f in full.iterdir():
        if f.name.endswith(("第1技工学校.xlsx", "第3技工学校.xlsx", "第5技工学校.xlsx")) or f.suffix == ".csv":
            shutil.copy(f, src)  # the odd schools' roster workbooks have the phone column, these not
    cache = tmp_path / "cache"
    first = _check_against_cold(src, cache)
    assert "phone" not in first.scan("roster").collect_schema().names()
    for f in full.iterdir():
        shutil.copy(f, src)
    paths_taken.clear()
    again = _check_against_cold(src, cache)
    assert "phone" in again.scan("roster").collect_schema().names()
    assert ("updated", "roster") in paths_taken, paths_taken


def test_tables_in_another_order_are_gathered_again(tmp_path, small_gather, paths_taken):
    src = province(tmp_path, schools=4)
    files = sorted(src.iterdir())
    cache = tmp_path / "cache"
    _check_against_cold(files, cache)
    # the same files named in another order: the first roster comes last (gathered again), the
    # aid files keep their order (taken from the last entry, under new table ids)
    assert files[0].name.startswith("学籍名册")
    paths_taken.clear()
    _check_against_cold(files[1:] + files[:1], cache)
    assert paths_taken == [("refused", "roster"), ("updated", "aid")], paths_taken


def test_a_damaged_gathered_entry_is_never_read(tmp_path, small_gather, paths_taken):
    src = province(tmp_path, schools=4)
    cache = tmp_path / "cache"
    _check_against_cold(src, cache)
    for name in _gathered_entries(cache):
        data = cache / st.ENTRIES / name / st.DATA_FILE.format(0)
        raw = bytearray(data.read_bytes())
        raw[len(raw) // 2] ^= 0xFF
        data.write_bytes(bytes(raw))
    paths_taken.clear()
    _check_against_cold(src, cache)
    assert [w for w, _ in paths_taken] == ["all", "all"]


def test_gathered_entries_not_used_for_two_days_are_pruned(tmp_path, small_gather):
    src = province(tmp_path, schools=3)
    cache = tmp_path / "cache"
    _check_against_cold(src, cache)
    old = time.time() - (st.KEEP_GATHERED_DAYS + 1) * 86400
    for d in (cache / st.ENTRIES).iterdir():
        os.utime(d / st.MANIFEST, (old, old))
    n_entries = len(list((cache / st.ENTRIES).iterdir()))
    with st.Store.open(cache) as store:
        assert not _gathered_entries(cache)
        assert len(list((cache / st.ENTRIES).iterdir())) == n_entries - 2 and store.root == cache


def test_gathered_key_names_every_table_and_type():
    files = [Path("/s/entries/k1/data-0.parquet")]
    u = st.TableUse(files, 0, 3, "a.xlsx", "Sheet1", ["name"])
    base = gathered.gathered_key("roster", [u], {"name": pl.String})
    assert base.startswith("g-roster-")
    for other in (gathered.gathered_key("aid", [u], {"name": pl.String}),
                  gathered.gathered_key("roster", [u], {"name": pl.Int64}),
                  gathered.gathered_key("roster", [st.TableUse(files, 1, 3, "a.xlsx", "Sheet1", ["name"])],
                                        {"name": pl.String}),
                  gathered.gathered_key("roster", [st.TableUse(files, 0, 4, "a.xlsx", "Sheet1", ["name"])],
                                        {"name": pl.String}),
                  gathered.gathered_key("roster", [st.TableUse(files, 0, 3, "b.xlsx", "Sheet1", ["name"])],
                                        {"name": pl.String}),
                  gathered.gathered_key("roster", [st.TableUse([Path("/s/entries/k2/data-0.parquet")], 0, 3,
                                                               "a.xlsx", "Sheet1", ["name"])], {"name": pl.String})):
        assert other != base


def test_cache_clear_counts_input_files_only(tmp_path, small_gather):
    src = province(tmp_path, schools=3)
    cache = tmp_path / "cache"
    _check_against_cold(src, cache)
    assert len(_gathered_entries(cache)) == 2
    removed, freed = st.clear(cache)
    assert removed == len(list(src.iterdir())) == 6 and freed > 0
    assert not cache.joinpath(st.ENTRIES).exists()


# ------------------------------------------------------------------ entries made by hand
def _entry(store: st.Store, key: str, tables: list[pl.DataFrame]) -> tuple[st.Entry, list[list[str]], list[int]]:
    """An entry holding `tables` (normalised columns; `_row`, `_t` added) in one data file; its
    tables' columns and row counts."""
    folder = store.new_entry()
    parts = [df.with_columns(_row=pl.int_range(pl.len(), dtype=pl.Int64) + 2, _t=pl.lit(t, pl.Int32))
             for t, df in enumerate(tables)]
    pl.concat(parts, how="diagonal_relaxed").write_parquet(folder / st.DATA_FILE.format(0))
    return (store.put(key, folder, {}, [st.DATA_FILE.format(0)]), [list(df.columns) for df in tables],
            [df.height for df in tables])


def _uses(items: list[tuple], kind: str) -> list[st.TableUse]:
    """The TableUses of `kind` for entries (`_entry` and each table's kind) in run order."""
    out, tid = [], 0
    for entry, cols, rows, kinds in items:
        for t, k in enumerate(kinds):
            if k == kind:
                out.append(st.TableUse(entry.files, t, tid, entry.key, f"表{t}", cols[t], entry.schema(),
                                       rows=rows[t]))
            tid += 1
    return out


def _gather_equals_scan(store: st.Store, uses: list[st.TableUse]) -> None:
    lf = st.scan_tables(uses)
    want = lf.collect()
    got = gathered.gather(store, "roster", uses, lf).collect()
    assert want.height and got.schema == want.schema and got.equals(want, null_equal=True)


def test_a_column_of_another_type_than_the_last_gathered_one_is_gathered_again(tmp_path, paths_taken, any_share):
    """The last gathered rows typed a column from a table no longer there: the column's type now
    comes from another table, so the rows kept are not taken from the last entry."""
    with st.Store.open(tmp_path / "c") as store:
        e1 = _entry(store, "e1", [pl.DataFrame({"name": ["甲"], "y": pl.Series([None], dtype=pl.Null)})])
        e2 = _entry(store, "e2", [pl.DataFrame({"name": ["乙"], "y": ["文本"]})])
        e3 = _entry(store, "e3", [pl.DataFrame({"name": ["丙"], "y": [7]})])
        _gather_equals_scan(store, _uses([(*e1, ["roster"]), (*e2, ["roster"])], "roster"))
        paths_taken.clear()
        _gather_equals_scan(store, _uses([(*e1, ["roster"]), (*e3, ["roster"])], "roster"))
        assert [w for w, _ in paths_taken] == ["refused"]


def test_new_tables_that_cannot_be_scanned_alone_are_gathered_with_the_rest(tmp_path, paths_taken, any_share):
    """A column null in every new roster table but typed in the same file by an aid table: the
    new tables' own scan fails where the whole kind's does not; the rows are gathered whole."""
    with st.Store.open(tmp_path / "c") as store:
        e = _entry(store, "e1", [pl.DataFrame({"name": ["a"], "y": ["s"]})])
        f1 = _entry(store, "f1", [pl.DataFrame({"name": ["b"], "y": pl.Series([None], dtype=pl.Null)})])
        f2 = _entry(store, "f2", [pl.DataFrame({"name": ["c"]}), pl.DataFrame({"name": ["d"], "y": ["aid-y"]})])
        _gather_equals_scan(store, _uses([(*e, ["roster"])], "roster"))
        paths_taken.clear()
        _gather_equals_scan(store, _uses([(*e, ["roster"]), (*f1, ["roster"]), (*f2, ["roster", "aid"])], "roster"))
        assert [w for w, _ in paths_taken] == ["updated"]


def test_the_last_gathered_rows_of_another_version_are_left_alone(tmp_path, monkeypatch):
    """Two versions of the tool sharing a cache (an upgrade): a run neither reads nor removes the
    other version's gathered entries (the other may be reading them)."""
    with st.Store.open(tmp_path / "c") as store:
        e1 = _entry(store, "e1", [pl.DataFrame({"name": ["甲"]})])
        _gather_equals_scan(store, _uses([(*e1, ["roster"])], "roster"))
        theirs = _gathered_entries(store.root)
        monkeypatch.setattr(st, "code_fingerprint", lambda: "another version")
        monkeypatch.setattr(gathered, "code_fingerprint", lambda: "another version")
        e2 = _entry(store, "e2", [pl.DataFrame({"name": ["乙"]})])
        _gather_equals_scan(store, _uses([(*e1, ["roster"]), (*e2, ["roster"])], "roster"))
        assert theirs < _gathered_entries(store.root)


def test_mostly_new_rows_are_gathered_whole(tmp_path, paths_taken):
    """Merging a few kept rows with many new ones holds the new ones in memory: above a share of
    new rows everything is gathered from the entries."""
    with st.Store.open(tmp_path / "c") as store:
        small = _entry(store, "e1", [pl.DataFrame({"name": ["甲"]})])
        big = _entry(store, "e2", [pl.DataFrame({"name": [f"学生{i}" for i in range(50)]})])
        _gather_equals_scan(store, _uses([(*small, ["roster"])], "roster"))
        paths_taken.clear()
        _gather_equals_scan(store, _uses([(*small, ["roster"]), (*big, ["roster"])], "roster"))
        assert [w for w, _ in paths_taken] == ["refused"]
