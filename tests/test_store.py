"""The column store (store.py): keys, atomic entries, what is never trusted, permissions, clear."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import polars as pl
import pytest

from conftest import ROSTER_HEADERS, make_id, roster_row, write_csv, write_xlsx
from xueji_check import store as st
from xueji_check.load import InputFile, Problem, load_file


def _loaded(path: Path, kind: str | None = None) -> tuple[InputFile, list]:
    inp = InputFile(path, str(path), kind)
    problems: list = []
    load_file(inp, problems)
    assert inp.ok and inp.tables
    return inp, problems


def _key(inp: InputFile) -> str:
    return st.entry_key(sha256=inp.sha256, size=inp.size, name=inp.path.name, kind_hint=inp.kind_hint)


def _roster(tmp_path: Path, name: str = "名册.xlsx", n: int = 3) -> Path:
    rows = [ROSTER_HEADERS] + [roster_row(f"S{i}", f"学生{i}", make_id(seq=f"{100 + i:03d}")) for i in range(n)]
    return write_xlsx(tmp_path / "in" / name, rows, title="2024年东方技工学校学籍名册")


def _entry_files(store: st.Store) -> list[Path]:
    return sorted(p for p in (store.root / st.ENTRIES).rglob("*") if p.is_file())


# ------------------------------------------------------------------ keys
def test_key_follows_content_name_kind_and_code(tmp_path, monkeypatch):
    base = dict(sha256="a" * 64, size=10, name="名册.xlsx", kind_hint=None)
    k = st.entry_key(**base)
    assert k == st.entry_key(**base)
    assert k != st.entry_key(**{**base, "sha256": "b" * 64})
    assert k != st.entry_key(**{**base, "name": "名册2.xlsx"})  # a CSV's sheet is named after its file
    assert k != st.entry_key(**{**base, "kind_hint": "roster"})
    monkeypatch.setattr(st, "code_fingerprint", lambda: "another version")
    assert k != st.entry_key(**base)


def test_key_does_not_depend_on_the_folder(tmp_path):
    a = _roster(tmp_path / "a")
    b = tmp_path / "b" / "名册.xlsx"
    b.parent.mkdir(parents=True)
    b.write_bytes(a.read_bytes())
    assert _key(_loaded(a)[0]) == _key(_loaded(b)[0])


def test_code_fingerprint_covers_the_sources_the_schemas_and_the_versions_reading_depends_on(monkeypatch):
    fp = st.code_fingerprint()
    assert len(fp) == 64 and fp == st.code_fingerprint()
    parts = st.fingerprint_parts()
    names = {p.split("=", 1)[0] for p in parts}
    assert {"python", "unicode", "polars", "fastexcel", "olefile", "python-stdnum"} <= names
    import polars
    assert f"polars={polars.__version__}" in parts
    # another version of any of them (here python-stdnum, whose area codes judge ID numbers) is
    # another fingerprint, so no entry written before is read
    other = [p if not p.startswith("python-stdnum=") else "python-stdnum=0.0" for p in parts]
    monkeypatch.setattr(st, "fingerprint_parts", lambda: other)
    st.code_fingerprint.cache_clear()
    try:
        assert st.code_fingerprint() != fp
    finally:
        monkeypatch.undo()
        st.code_fingerprint.cache_clear()
    assert st.code_fingerprint() == fp


# ------------------------------------------------------------------ round trip
def test_entry_round_trip_keeps_tables_problems_and_raw(tmp_path):
    path = _roster(tmp_path)
    inp, problems = _loaded(path)
    problems.append(Problem(
        "warning", inp.display, "Sheet1", 3, "示例提示 410105200801011234"))
    with st.Store.open(tmp_path / "cache") as store:
        key = _key(inp)
        norm = {0: inp.tables[0].raw.select("_row", pl.lit("x").alias("name"))}
        st.write_entry(store, key, inp, problems, norm)
        entry = store.get(key)
        assert entry is not None and store.hits == 1
        moved = InputFile(tmp_path / "elsewhere" / path.name, "elsewhere/名册.xlsx", None)
        tables, probs = st.read_entry(entry, moved)
    t0, t1 = inp.tables[0], tables[0]
    assert t1.file == "elsewhere/名册.xlsx"
    for f in ("kind", "sheet", "header_row", "headers", "field_cols", "title_lines", "missing", "footer_lines"):
        assert getattr(t1, f) == getattr(t0, f), f
    assert t1.raw.height == t0.raw.height and t1.raw.columns == t0.raw.columns
    assert t1.raw.collect().equals(t0.raw)
    assert t1.raw.select("_row").equals(t0.raw.select("_row"))  # runs on the scan
    assert t1.raw.row(0) == t0.raw.row(0)  # anything else: read for that call
    assert [p.file for p in probs] == ["elsewhere/名册.xlsx"] * len(problems)
    assert "410105********1234" in probs[-1].message and "200801011234" not in probs[-1].message


def test_entry_records_its_column_types_and_scans_use_them(tmp_path, monkeypatch):
    """The manifest holds the data file's column types (a warm run over 5,000 school files read
    5,000 Parquet footers for them); a scan built from it reads no footer, and one without it
    (an entry not kept) reads the file's."""
    inp, problems = _loaded(_roster(tmp_path))
    norm = {0: inp.tables[0].raw.select("_row", pl.lit("x").alias("name"), pl.lit(3).alias("n"))}
    with st.Store.open(tmp_path / "cache") as store:
        entry = st.write_entry(store, _key(inp), inp, problems, norm)
        assert dict(entry.schema()) == dict(pl.read_parquet_schema(entry.files[0]))
        assert dict(store.get(_key(inp)).schema())["n"] == pl.Int32
        (table,), _ = st.read_entry(store.get(_key(inp)), inp)
        read: list = []
        real = pl.read_parquet_schema
        monkeypatch.setattr(pl, "read_parquet_schema", lambda p: read.append(p) or real(p))
        use = st.TableUse(table.raw.files, table.raw.t, 0, "名册.xlsx", "Sheet1", table.raw.normalised, table.raw.file_schema)
        got = st.scan_tables([use]).collect()
        assert read == [] and got["n"].to_list() == [3] * 3
        bare = st.TableUse(table.raw.files, table.raw.t, 0, "名册.xlsx", "Sheet1", table.raw.normalised)
        assert st.scan_tables([bare]).collect().equals(got) and len(read) == 1


def test_small_frames_of_a_table_round_trip(tmp_path):
    path = _roster(tmp_path)
    inp, problems = _loaded(path)
    inp.tables[0].unknown = pl.DataFrame({"_row": [3], "col": ["c2"]}, schema={"_row": pl.UInt32, "col": pl.String})
    with st.Store.open(tmp_path / "cache") as store:
        st.write_entry(store, _key(inp), inp, problems, {})
        tables, _ = st.read_entry(store.get(_key(inp)), inp)
    assert tables[0].unknown.equals(inp.tables[0].unknown)
    assert tables[0].unknown.schema == inp.tables[0].unknown.schema


# ------------------------------------------------------------------ never trusted
def _stored(tmp_path: Path) -> tuple[st.Store, str, InputFile]:
    inp, problems = _loaded(_roster(tmp_path))
    store = st.Store.open(tmp_path / "cache")
    key = _key(inp)
    st.write_entry(store, key, inp, problems, {})
    assert store.get(key) is not None
    return store, key, inp


def test_corrupt_data_file_is_ignored_and_removed(tmp_path):
    store, key, _ = _stored(tmp_path)
    data = store.root / st.ENTRIES / key / "data-0.parquet"
    b = bytearray(data.read_bytes())
    b[len(b) // 2] ^= 0xFF
    data.write_bytes(bytes(b))
    assert store.get(key) is None
    assert not (store.root / st.ENTRIES / key).exists()
    store.close()


def test_truncated_or_missing_parts_are_ignored(tmp_path):
    store, key, _ = _stored(tmp_path)
    d = store.root / st.ENTRIES / key
    data = d / "data-0.parquet"
    data.write_bytes(data.read_bytes()[:-10])
    assert store.get(key) is None
    store2, key2, _ = _stored(tmp_path / "b")
    (store2.root / st.ENTRIES / key2 / st.MANIFEST).write_text('{"format": 1, "key": "', encoding="utf-8")
    assert store2.get(key2) is None
    store3, key3, _ = _stored(tmp_path / "c")
    (store3.root / st.ENTRIES / key3 / "data-0.parquet").unlink()
    assert store3.get(key3) is None
    for s in (store, store2, store3):
        s.close()


def test_entry_of_another_version_or_key_is_ignored(tmp_path, monkeypatch):
    store, key, _ = _stored(tmp_path)
    mpath = store.root / st.ENTRIES / key / st.MANIFEST
    m = json.loads(mpath.read_text(encoding="utf-8"))
    mpath.write_text(json.dumps({**m, "format": st.FORMAT + 1}), encoding="utf-8")
    assert store.get(key) is None
    store.close()
    store, key, _ = _stored(tmp_path / "b")
    monkeypatch.setattr(st, "code_fingerprint", lambda: "0" * 64)
    assert store.get(key) is None  # written by other code
    store.close()


def test_entry_under_another_key_is_not_served(tmp_path):
    store, key, _ = _stored(tmp_path)
    other = "f" * 64
    os.rename(store.root / st.ENTRIES / key, store.root / st.ENTRIES / other)
    assert store.get(other) is None
    store.close()


def test_half_written_entry_of_a_killed_run_is_never_seen_and_is_cleaned(tmp_path):
    inp, problems = _loaded(_roster(tmp_path))
    store = st.Store.open(tmp_path / "cache")
    folder = store.new_entry()  # the run dies before `put`
    (folder / "data-0.parquet").write_bytes(b"PAR1")
    run = store.scratch
    os.close(store._run_fd)  # the process is gone: its lock is free, nothing was removed
    store._run_fd = None
    assert store.get(_key(inp)) is None
    again = st.Store.open(tmp_path / "cache")
    assert not run.exists()
    assert again.get(_key(inp)) is None
    again.close()


def test_put_keeps_the_entry_another_run_wrote_first(tmp_path):
    inp, problems = _loaded(_roster(tmp_path))
    key = _key(inp)
    with st.Store.open(tmp_path / "cache") as a, st.Store.open(tmp_path / "cache") as b:
        first = st.write_entry(a, key, inp, problems, {})
        second = st.write_entry(b, key, inp, problems, {})
        assert second.path == first.path and b.get(key) is not None
        assert len(list((tmp_path / "cache" / st.ENTRIES).iterdir())) == 1


# ------------------------------------------------------------------ privacy
@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
@pytest.mark.parametrize("umask", [0o022, 0o000])
def test_store_is_private_whatever_the_umask(tmp_path, umask):
    inp, problems = _loaded(_roster(tmp_path))
    old = os.umask(umask)
    try:
        with st.Store.open(tmp_path / "cache") as store:
            st.write_entry(store, _key(inp), inp, problems, {})
            dirs = [store.root, store.root / st.ENTRIES, *(p for p in store.root.rglob("*") if p.is_dir())]
            files = [p for p in store.root.rglob("*") if p.is_file()]
            assert files
            for d in dirs:
                assert stat.S_IMODE(d.stat().st_mode) == 0o700, d
            for f in files:
                assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
    finally:
        os.umask(old)


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_existing_open_cache_folder_is_made_private(tmp_path):
    d = tmp_path / "cache"
    d.mkdir(mode=0o755)
    os.chmod(d, 0o755)
    with st.Store.open(d):
        assert stat.S_IMODE(d.stat().st_mode) == 0o700


def test_temporary_store_is_removed_at_close(tmp_path):
    inp, problems = _loaded(_roster(tmp_path))
    (tmp_path / "tmp").mkdir()
    store = st.Store.temporary(tmp_path / "tmp")
    st.write_entry(store, _key(inp), inp, problems, {})
    root = store.root
    assert root.name.startswith(st.TEMP_PREFIX) and stat.S_IMODE(root.stat().st_mode) == 0o700
    store.close()
    assert not root.exists()


def test_temporary_store_of_a_dead_run_is_removed_a_live_one_kept(tmp_path):
    base = tmp_path / "tmp"
    base.mkdir()
    live = st.Store.temporary(base)
    dead = st.Store.temporary(base)
    for attr in ("_lock_fd", "_run_fd"):  # killed: its locks are released, its folder stays
        os.close(getattr(dead, attr))
        setattr(dead, attr, None)
    dead._closed = True
    third = st.Store.temporary(base)
    assert live.root.exists() and not dead.root.exists()
    live.close()
    third.close()
    assert list(base.iterdir()) == []


def test_a_run_killed_while_removing_its_temporary_store_leaves_it_findable(tmp_path, monkeypatch):
    """A run killed (SIGKILL) half-way through removing its temporary store: the marker goes
    last, so the folder of personal data left behind still holds it, and the next run removes
    it (rmtree had removed the marker first: the data stayed in the temporary folder forever)."""
    inp, problems = _loaded(_roster(tmp_path))
    base = tmp_path / "tmp"
    base.mkdir()
    store = st.Store.temporary(base)
    st.write_entry(store, _key(inp), inp, problems, {})
    root = store.root
    removed = []
    real = st.shutil.rmtree

    def killed_after_first(path, *a, **kw):  # the kill lands after the first folder removed
        if removed:
            raise SystemExit("killed")
        removed.append(path)
        real(path, *a, **kw)

    monkeypatch.setattr(st.shutil, "rmtree", killed_after_first)
    with pytest.raises(SystemExit):
        store.close()
    monkeypatch.setattr(st.shutil, "rmtree", real)
    assert root.exists() and (root / st.MARKER).is_file() and removed
    os.utime(root, (0, 0))  # (its lock was released with the process)
    st.Store.temporary(base).close()
    assert not root.exists(), sorted(p.name for p in root.rglob("*"))


# ------------------------------------------------------------------ foreign folders and clear
def test_open_refuses_a_folder_that_is_not_a_store(tmp_path):
    d = tmp_path / "docs"
    d.mkdir()
    (d / "工作.txt").write_text("x", encoding="utf-8")
    with pytest.raises(st.StoreError, match="不是空文件夹"):
        st.Store.open(d)
    assert sorted(p.name for p in d.iterdir()) == ["工作.txt"]
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(st.StoreError, match="是一个文件"):
        st.Store.open(f)


def test_clear_removes_only_what_the_tool_wrote(tmp_path):
    store, key, _ = _stored(tmp_path)
    store.close()
    mine = tmp_path / "cache" / "我的笔记.txt"
    mine.write_text("keep", encoding="utf-8")
    n, freed = st.clear(tmp_path / "cache")
    assert n == 1 and freed > 0
    assert [p.name for p in (tmp_path / "cache").iterdir()] == ["我的笔记.txt"]
    with pytest.raises(st.StoreError, match="不是 xueji-check 的缓存"):
        st.clear(tmp_path / "cache")
    with pytest.raises(st.StoreError, match="不存在"):
        st.clear(tmp_path / "nope")


def test_clear_refuses_a_cache_a_run_is_using(tmp_path):
    """cache clear while a check runs on the folder: refused, nothing removed (the run had died
    with a bare "路径不存在"). Once the run ends, clear empties it."""
    store, key, _ = _stored(tmp_path)
    with pytest.raises(st.StoreError, match="另一次检查正在使用"):
        st.clear(tmp_path / "cache")
    assert store.get(key) is not None
    store.close()
    n, _ = st.clear(tmp_path / "cache")
    assert n == 1


def test_prune_removes_entries_unused_for_long(tmp_path):
    store, key, inp = _stored(tmp_path)
    old = 1_000_000_000
    os.utime(store.root / st.ENTRIES / key / st.MANIFEST, (old, old))
    store.close()
    with st.Store.open(tmp_path / "cache") as again:
        assert again.get(key) is None


def test_raw_text_of_a_csv_table_round_trips(tmp_path):
    rows = [ROSTER_HEADERS] + [roster_row("S1", "张三", make_id())]
    path = write_csv(tmp_path / "名册.csv", rows, encoding="gb18030")
    inp, problems = _loaded(path)
    with st.Store.open(tmp_path / "cache") as store:
        st.write_entry(store, _key(inp), inp, problems, {})
        tables, _ = st.read_entry(store.get(_key(inp)), inp)
    assert tables[0].sheet == "名册" and tables[0].raw.collect().equals(inp.tables[0].raw)


def test_clear_that_cannot_remove_everything_says_so_and_keeps_the_marker(tmp_path, monkeypatch):
    """Files clear cannot remove (no permission, a run still using them) are not called cleared:
    the marker stays, so clear can be run again, and nothing is reported as done."""
    store, key, _ = _stored(tmp_path)
    store.close()
    monkeypatch.setattr(st.shutil, "rmtree", lambda *a, **k: None)  # as if every removal failed
    with pytest.raises(st.StoreError, match="未能清空"):
        st.clear(tmp_path / "cache")
    assert (tmp_path / "cache" / st.MARKER).is_file()
    monkeypatch.undo()
    n, _ = st.clear(tmp_path / "cache")
    assert n == 1 and not (tmp_path / "cache" / st.MARKER).exists()
