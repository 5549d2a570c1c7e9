"""A kind's rows gathered into one Parquet file, kept in a `--cache` store between runs.

A province's folder holds thousands of school files; the rules would open every one of them in
every scan, so a run first gathers each kind's rows into one file (`engine._gathered`). Reading
5,000 small entries and writing 1M rows took ~3 s per kind, in every run, also when nothing had
changed. In a kept store the gathered file is an entry of its own (key ``g-<kind>-<hash>``),
keyed by exactly what it holds: the entries and tables it was gathered from (their keys already
name the input's content, the tool's code and the normalising policy), each table's id, file name
and sheet in this run, and the columns' types. The next run

- with the same tables in the same places reads that entry (verified as any entry: size and
  sha256 of its data file, the code fingerprint);
- otherwise starts from the latest gathered entry of the kind (of the two last used, the one
  holding most of this run's tables): the rows of tables it already holds are read from it (table
  ids, file names and sheets set to this run's), the rows of the other tables from their own
  entries, the two merged in table-id order (`LazyFrame.merge_sorted`) and written as a new
  gathered entry. The result is row for row what gathering every entry again
  gives (`store.scan_tables`); where that cannot be guaranteed (the tables kept are in another
  order, a column changed type, columns of two types in one kind), or where the new rows are many
  (`NEW_ROWS_SHARE`: the merge would hold them in memory), everything is gathered again.

Gathered entries are large and change every night: those no run has used for
`KEEP_GATHERED_DAYS` are removed when the store is opened (`Store.prune`).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from xueji_check.store import (
    DATA_FILE,
    ENTRIES,
    FORMAT,
    GATHERED_PREFIX,
    MANIFEST,
    Entry,
    Store,
    TableUse,
    code_fingerprint,
    layout,
    scan_tables,
)


def _table_id(u: TableUse) -> list:
    """What a table's rows are, whatever run uses it: its entry's key and its place in it. An entry
    kept only in a run's scratch folder (a file read with errors) has a folder name no later run
    has, so its rows are never taken from a gathered file."""
    return [Path(u.files[0]).parent.name, [Path(f).name for f in u.files], u.t]


def gathered_key(kind: str, uses: Sequence[TableUse], schema: dict) -> str:
    """The key of the gathered entry holding exactly the rows `store.scan_tables(uses)` gives
    (`schema`: its column types)."""
    basis = json.dumps({"format": FORMAT, "code": code_fingerprint(), "kind": kind,
                        "schema": [[c, str(t)] for c, t in schema.items()],
                        "tables": [[*_table_id(u), u.tid, u.file, u.sheet] for u in uses]},
                       ensure_ascii=False)
    return f"{GATHERED_PREFIX}{kind}-{hashlib.sha256(basis.encode('utf-8')).hexdigest()}"


def _candidates(store: Store, kind: str, skip: str) -> list[Entry]:
    """The (at most two) gathered entries of `kind` last used by a run, other than `skip`, that
    this code wrote, trusted (`Store.get`, which also marks them used). Another version's entries
    (two versions sharing a cache during an upgrade) are neither read nor removed: that version
    may be reading them."""
    found = []
    try:
        with os.scandir(store.root / ENTRIES) as it:
            for d in it:
                if d.name.startswith(f"{GATHERED_PREFIX}{kind}-") and d.name != skip:
                    try:
                        found.append((os.stat(Path(d.path) / MANIFEST).st_mtime, d.name))
                    except OSError:
                        continue
    except OSError:
        return []
    out = []
    for _, name in sorted(found, reverse=True)[:2]:
        try:
            m = json.loads((store.root / ENTRIES / name / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(m, dict) or m.get("format") != FORMAT or m.get("code") != code_fingerprint():
            continue
        entry = store.get(name)
        if entry is not None and isinstance(entry.manifest.get("gathered"), dict):
            out.append(entry)
    return out


# Rows taken from the last gathered entry are merged with the new tables' rows in table order; the
# merge holds whichever side runs ahead in memory (9M kept rows and 4.5M new ones at one end: 1 GB),
# so above this share of new rows (or this many) everything is gathered from the entries.
NEW_ROWS_SHARE = 0.2
NEW_ROWS_MAX = 1_000_000


def _from_previous(prev: Entry, uses: Sequence[TableUse], schema: dict) -> tuple[pl.LazyFrame, int] | None:
    """The rows `scan_tables(uses)` gives (`schema`: its column types) made from `prev`, a
    gathered entry, and the entries of the tables it does not hold, with the number of tables
    taken from `prev`; None where the result could differ (the tables kept in another order, a
    column of another type), or where the new rows are too many to merge (NEW_ROWS_SHARE)."""
    g = prev.manifest["gathered"]
    was = {json.dumps(t[:3], ensure_ascii=False): t[3] for t in g["tables"]}  # table → its id then
    kept_old, kept_new, files, sheets, new_uses = [], [], [], [], []
    for u in uses:
        old = was.get(json.dumps(_table_id(u), ensure_ascii=False))
        if old is None:
            new_uses.append(u)
        else:
            kept_old.append(old)
            kept_new.append(u.tid)
            files.append(u.file)
            sheets.append(u.sheet)
    if not kept_old or any(b <= a for a, b in zip(kept_old, kept_old[1:], strict=False)):
        return None  # nothing to take, or the tables kept are in another order
    new_rows = sum(u.rows or 0 for u in new_uses)
    if new_rows > min(NEW_ROWS_MAX, NEW_ROWS_SHARE * sum(u.rows or 0 for u in uses)):
        return None
    path = prev.files[0]
    old_schema = pl.read_parquet_schema(path)
    exprs = []
    for c, t in schema.items():
        if c in ("_tid", "_file", "_sheet") or old_schema.get(c) == t:
            exprs.append(pl.col(c))
        elif c not in old_schema:
            exprs.append(pl.lit(None, t).alias(c))
        elif old_schema[c] == pl.Null:
            exprs.append(pl.col(c).cast(t))
        else:
            return None  # a column of another type then: gather again
    ids = pl.LazyFrame({"_old": kept_old, "_tid": kept_new, "_file": files, "_sheet": sheets},
                       schema={"_old": pl.Int32, "_tid": pl.Int32, "_file": pl.String, "_sheet": pl.String})
    # this run's table ids, file names and sheets by a join on the old table id (an integer key:
    # the join streams and keeps nothing)
    old = (pl.scan_parquet(path).filter(pl.col("_tid").is_in(kept_old)).rename({"_tid": "_old"})
           .drop("_file", "_sheet").join(ids, on="_old", how="inner", maintain_order="left").select(exprs))
    if not new_uses:
        return old, len(kept_old)
    part = scan_tables(new_uses)
    have = part.collect_schema()
    fresh = part.select([(pl.col(c).cast(t) if c in have else pl.lit(None, t).alias(c)) for c, t in schema.items()])
    return old.merge_sorted(fresh, key="_tid"), len(kept_old)


def gather(store: Store, kind: str, uses: Sequence[TableUse], lf: pl.LazyFrame) -> pl.LazyFrame:
    """`lf` (`store.scan_tables(uses)`, the rows of one kind) as a scan of one gathered entry of
    the kept `store`: found there, made from the latest gathered entry and the tables it lacks,
    or gathered from every entry. Raises StoreError (via `engine`) when it cannot be written."""
    schema = dict(lf.collect_schema())
    key = gathered_key(kind, uses, schema)
    entry = store.get(key) if (store.root / ENTRIES / key).is_dir() else None
    if entry is not None:
        return pl.scan_parquet(entry.files[0])
    plan, most = None, 0
    if not layout(uses).conflict:
        for prev in _candidates(store, kind, key):  # the one holding most of this run's tables
            made = _from_previous(prev, uses, schema)
            if made is not None and made[1] > most:
                plan, most = made
    folder = store.new_entry()
    target = folder / DATA_FILE.format(0)
    try:
        (plan if plan is not None else lf).sink_parquet(target, compression="zstd", compression_level=1)
    except pl.exceptions.PolarsError:
        # the new tables scanned on their own can fail where the whole kind's scan does not (a
        # column null in all of them, typed in their file by another kind's table): gather whole
        if plan is None:
            raise
        target.unlink(missing_ok=True)
        lf.sink_parquet(target, compression="zstd", compression_level=1)
    tables = [[*_table_id(u), u.tid] for u in uses]
    entry = store.put(key, folder, {"gathered": {"kind": kind, "tables": tables}}, [target.name])
    return pl.scan_parquet(entry.files[0])
