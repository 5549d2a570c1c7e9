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
    return {d.name for d in (cache / st.ENTRIES).iterdir() if d.name.startswith(gathered.PREFIX)}


@pytest.fixture
def small_gather(monkeypatch):
    """Gather above two store files (a province's thousands, in small)."""
    monkeypatch.setattr(engine, "GATHER_FILES", 2)


@pytest.fixture
def paths_taken(monkeypatch):
    """How each gathered entry was made: 'reused', 'updated' (from the last one) or 'all'."""
    taken: list[tuple[str, str]] = []
    real_prev = gathered._from_previous
    real_gather = gathered.gather

    def spy_prev(prev, uses, lf, schema):
        out = real_prev(prev, uses, lf, schema)
        taken.append(("updated" if out is not None else "refused", uses[0].file))
        return out

    real_put = st.Store.put
    puts: list[str] = []

    def spy_put(self, key, *a, **k):
        puts.append(key)
        return real_put(self, key, *a, **k)

    def spy_gather(store, kind, uses, lf):
        n, written = len(taken), len(puts)
        out = real_gather(store, kind, uses, lf)
        if len(puts) == written:
            taken.append(("reused", kind))
        elif len(taken) == n:
            taken.append(("all", kind))
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
    assert [w for w, _ in paths_taken].count("updated") == 2, paths_taken
    # the same files in another folder: taken from the last entries, under their new names
    paths_taken.clear()
    moved = tmp_path / "另一个文件夹"
    shutil.copytree(src, moved)
    warm = _check_against_cold(moved, cache)
    assert [w for w, _ in paths_taken].count("updated") == 2, paths_taken
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
    assert ("updated", str(src / "学籍名册_第1技工学校.xlsx")) in paths_taken, paths_taken


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
    assert [w for w, _ in paths_taken] == ["refused", "updated"], paths_taken


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
