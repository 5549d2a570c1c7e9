"""The column store between loading and the rules.

After a file is read and normalised, its tables are written once as Parquet (the normalised
columns, the raw text the annotated copy needs, file/sheet/row), with a manifest describing the
tables and the loader's messages about the file. The entry is keyed by everything that changes
what the loader and the normaliser make of the file (`Store.key`): the file's sha256 and base
name, the kind named by option, the tool's code and version, the Polars version, the schema files
and the policy keys normalising uses. `as_of` is not part of it: the only use of it in
normalising (an ID number's birth date after the check date) is applied when the entry is read
(`engine`), so a nightly job with `--as-of` today still reuses yesterday's entries.

Layout of a store folder::

    .xueji-store          marker: this folder is a store (format number); nothing else is ever
                          written into a folder without it, and `clear` removes only what it lists
    entries/<key>/        one input file: manifest.json and data-N.parquet
    runs/<id>/            one run's scratch space (in-progress entries, joined frames), locked
                          while the run lives; a dead run's folder is removed by the next run

Safety:
- An entry is written into its run's folder and renamed into `entries/` in one step, after the
  Parquet files and the manifest are complete and flushed; a reader sees a whole entry or none.
- An entry is trusted only if its manifest names this store format and key, and every data file
  has the size and sha256 the manifest records. Anything else (missing, partial, corrupt, from
  another version) is removed and rebuilt, never read.
- Folders are created 0700 and files 0600 whatever the umask: the store holds personal data.
- Without `--cache` the store is a temporary folder in the system temp dir (`Store.temporary`),
  deleted when the run ends (Ctrl-C and SIGTERM included, through the CLI's handler); folders
  left by a killed run are removed by the next run once their lock is free.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import io
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
import types
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import polars as pl

from xueji_check import __version__
from xueji_check.load.files import STORE_MARKER
from xueji_check.load.model import Table
from xueji_check.report.publish import fsync_path, try_lock

FORMAT = 2  # 2: small frames in the manifest as Arrow IPC streams
MARKER = STORE_MARKER  # load.files skips a folder holding it
ENTRIES = "entries"
RUNS = "runs"
MANIFEST = "manifest.json"
TEMP_PREFIX = "xueji-store-"
STALE_AFTER = 6 * 3600  # seconds; only where a lock cannot be tested
# Entries not used by any run for this many days are removed when a run opens the store
# (they belong to files that have changed or gone; the store holds personal data).
KEEP_DAYS = 30
# A kind's rows gathered into one file (`gathered`): a new one most nights, the last one is what
# the next run starts from; older ones are removed after this many days without use.
KEEP_GATHERED_DAYS = 2
GATHERED_PREFIX = "g-"  # the key of a gathered entry starts so; an input file's key is hex
# Policy keys whose value changes what normalising makes of a file. None today: the
# normalisers read the schema files only. A key added here is part of every entry's key.
NORMALISING_POLICY_KEYS: tuple[str, ...] = ()

DIR_MODE = 0o700
FILE_MODE = 0o600

class StoreError(Exception):
    """The store folder cannot be used; the message is Chinese and says what to do."""


# ------------------------------------------------------------------ keys
def _package_root() -> Path:
    return Path(__file__).resolve().parent


# The installed distributions besides Polars whose behaviour the normalised rows depend on: the
# readers (fastexcel/calamine, olefile for .xls containers) and python-stdnum's area codes.
# (Polars by its own version string: it is installed under other names too, polars-lts-cpu …)
READING_DISTRIBUTIONS = ("fastexcel", "olefile", "python-stdnum")


def fingerprint_parts() -> list[str]:
    """What besides the sources goes into `code_fingerprint`: the store format, the tool's version,
    Python's version and its Unicode tables (NFKC and character classes of the text normaliser),
    the versions of `READING_DISTRIBUTIONS` ("-" when one is not installed) and the table kinds
    read from the schema files."""
    from importlib import metadata

    from xueji_check.spec import all_kinds

    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "-"

    return [f"format={FORMAT}", f"version={__version__}", f"python={sys.version}",
            f"unicode={unicodedata.unidata_version}", f"polars={pl.__version__}",
            *[f"{d}={version(d)}" for d in READING_DISTRIBUTIONS],
            repr(sorted(all_kinds().items()))]


@cache
def code_fingerprint() -> str:
    """sha256 over the tool's own source files and `fingerprint_parts` (versions of the tool,
    Python, the reading libraries; the schema files' kinds). Any change to one of them makes every
    entry's key change: an entry is never read by other code than the code that wrote it."""
    h = hashlib.sha256()
    for part in fingerprint_parts():
        h.update(part.encode("utf-8"))
        h.update(b"\0")
    root = _package_root()
    for p in sorted(root.rglob("*.py")):
        h.update(str(p.relative_to(root)).encode("utf-8"))
        h.update(b"\0")
        h.update(p.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def entry_key(*, sha256: str, size: int, name: str, kind_hint: str | None, policy=None) -> str:
    """The key of one input file's entry: its content (sha256, size), its base name (a CSV's
    sheet is named after the file, and a publicity list is recognised by words in its name), the
    kind named by option (`--roster` …), the policy keys normalising uses and `code_fingerprint`."""
    pol = {k: repr(getattr(policy, k, None)) for k in NORMALISING_POLICY_KEYS}
    basis = json.dumps({"format": FORMAT, "code": code_fingerprint(), "sha256": sha256, "size": size,
                        "name": name, "kind": kind_hint, "policy": pol}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()


# ------------------------------------------------------------------ files
def _mkdir_private(path: Path) -> None:
    """Create `path` (and missing parents) with mode 0700, whatever the umask; an existing folder
    is made 0700 when this user owns it."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        os.chmod(path, DIR_MODE)


def _file_sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _fsync(path: Path) -> None:
    fsync_path(path, directory=path.is_dir())


def _write_private(path: Path, data: bytes, durable: bool = True) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), FILE_MODE)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        if durable:
            os.fsync(fh.fileno())
    os.chmod(path, FILE_MODE)


def _abandoned(folder: Path) -> bool:
    """Whether `folder` (a run folder or a temporary store) belongs to no live run: its `lock`
    file can be locked, or (where locks do not work) it is older than STALE_AFTER."""
    lock = folder / "lock"
    try:
        fd = os.open(lock, os.O_RDWR)
    except FileNotFoundError:
        try:
            return time.time() - folder.stat().st_mtime > 60  # a folder still being set up has no lock yet
        except OSError:
            return False
    except OSError:
        return False
    try:
        state = try_lock(fd)
        if state is None:
            return time.time() - folder.stat().st_mtime > STALE_AFTER
        return state
    finally:
        os.close(fd)


def _hold_signals():
    """SIGINT/SIGTERM held back while a folder is removed (report.publish.hold_signals)."""
    from xueji_check.report.publish import hold_signals

    return hold_signals()


# ------------------------------------------------------------------ frames in a manifest
def frame_to_text(df: pl.DataFrame) -> str:
    """A small frame (a table's unknown cells, its title/footer rows) as text for the manifest:
    Arrow IPC stream, base64. Types round-trip exactly (`frame_from_text`). The stream form, not
    the file form: Polars reads a file-form buffer through a lazy scan (0.5 ms a frame, 3 s of a
    warm run over 5,000 school files), a stream directly (0.01 ms)."""
    buf = io.BytesIO()
    df.write_ipc_stream(buf)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def frame_from_text(text: str) -> pl.DataFrame:
    return pl.read_ipc_stream(io.BytesIO(base64.b64decode(text)))


# ------------------------------------------------------------------ entries
@dataclass
class Entry:
    """A trusted entry: its folder, key, manifest (parsed JSON) and data files (in order)."""

    key: str
    path: Path
    manifest: dict

    @property
    def files(self) -> list[Path]:
        return [self.path / f["name"] for f in self.manifest.get("files", [])]

    def schema(self) -> Mapping[str, pl.DataType] | None:
        """The column types of the entry's first data file, as recorded when it was put (None
        when not recorded)."""
        files = self.manifest.get("files", [])
        text = files[0].get("schema") if files else None
        return _schema_from_text(text) if text else None


@lru_cache(maxsize=256)
def _schema_from_text(text: str) -> Mapping[str, pl.DataType]:
    # a folder's school files share a few layouts: each decoded once (0.14 ms a decode); shared,
    # so read-only
    return types.MappingProxyType(dict(frame_from_text(text).schema))


class Store:
    """A store folder: trusted entries by key (`get`), atomic new entries (`put`), and this run's
    scratch folder (`scratch`). Use `Store.open` (kept between runs, `--cache`) or
    `Store.temporary` (deleted by `close`)."""

    def __init__(self, root: Path, *, persistent: bool) -> None:
        self.root = root
        self.persistent = persistent
        self.hits = 0
        self.misses = 0
        self._lock_fd: int | None = None  # the temporary store's own lock
        self._run_fd: int | None = None  # this run's lock (on runs/<id>/lock)
        self._run: Path | None = None
        self._closed = False

    # ---------------------------------------------------------------- opening
    @classmethod
    def open(cls, folder: Path) -> Store:
        """The store kept in `folder` (created 0700 if missing). A folder that holds other files
        and no store marker is refused (StoreError): it is not the tool's to write in."""
        folder = Path(folder)
        if folder.exists() and not folder.is_dir():
            raise StoreError(f"缓存文件夹 {folder} 是一个文件，不是文件夹；请用 --cache 给出一个文件夹")
        try:
            if folder.is_dir() and not (folder / MARKER).is_file() and any(folder.iterdir()):
                raise StoreError(f"缓存文件夹 {folder} 不是空文件夹，也不是 xueji-check 的缓存；为免误删您的文件，"
                                 "不会在其中写入。请用 --cache 给出一个新的或空的文件夹")
            _mkdir_private(folder)
            if not (folder / MARKER).is_file():
                _write_private(folder / MARKER, json.dumps({"tool": "xueji-check", "format": FORMAT}).encode())
            store = cls(folder, persistent=True)
            store._start_run()
        except OSError as exc:
            from xueji_check.report import os_reason, os_todo

            raise StoreError(f"无法使用缓存文件夹 {folder}（{os_reason(exc)}）；{os_todo(exc)}，"
                             "或换一个缓存文件夹，或不加 --cache") from exc
        store._remove_abandoned_runs()
        store.prune()
        return store

    @classmethod
    def temporary(cls, parent: Path | None = None) -> Store:
        """A store for this run only, in the system temp folder (or `parent`): created 0700,
        locked while the run lives, removed by `close`. Temporary stores of runs that died
        (kill -9, power loss) are removed first."""
        base = Path(parent) if parent is not None else Path(tempfile.gettempdir())
        cleanup_temporary(base)
        root = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=base))
        os.chmod(root, DIR_MODE)
        store = cls(root, persistent=False)
        try:
            store._lock_fd = os.open(root / "lock", os.O_RDWR | os.O_CREAT, FILE_MODE)
            try_lock(store._lock_fd)
            _write_private(root / MARKER, json.dumps({"tool": "xueji-check", "format": FORMAT}).encode())
            store._start_run()
        except BaseException:
            store.close()
            raise
        return store

    def _start_run(self) -> None:
        runs = self.root / RUNS
        _mkdir_private(self.root / ENTRIES)
        _mkdir_private(runs)
        run = runs / f"{os.getpid()}-{secrets.token_hex(4)}"
        _mkdir_private(run)
        self._run_fd = os.open(run / "lock", os.O_RDWR | os.O_CREAT, FILE_MODE)
        try_lock(self._run_fd)
        self._run = run

    def _remove_abandoned_runs(self) -> None:
        runs = self.root / RUNS
        with contextlib.suppress(OSError):
            for d in runs.iterdir():
                if d == self._run or d.is_symlink() or not d.is_dir():
                    continue
                if _abandoned(d):
                    shutil.rmtree(d, ignore_errors=True)

    @property
    def scratch(self) -> Path:
        """This run's own folder inside the store (removed by `close`)."""
        assert self._run is not None
        return self._run

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """End the run: remove its scratch folder, and the whole store when it is temporary."""
        if self._closed:
            return
        self._closed = True
        with _hold_signals():
            for attr in ("_run_fd", "_lock_fd"):
                fd = getattr(self, attr, None)
                if fd is not None:
                    with contextlib.suppress(OSError):
                        os.close(fd)
                    setattr(self, attr, None)
            if not self.persistent:
                remove_marked_last(self.root)
            elif self._run is not None:
                shutil.rmtree(self._run, ignore_errors=True)

    # ---------------------------------------------------------------- entries
    def _entry_dir(self, key: str) -> Path:
        return self.root / ENTRIES / key

    def get(self, key: str) -> Entry | None:
        """The entry of `key` if it is whole and exactly what was written, else None (and a
        broken entry is removed, so it is rebuilt)."""
        d = self._entry_dir(key)
        if not d.is_dir():
            self.misses += 1
            return None
        try:
            manifest = json.loads((d / MANIFEST).read_text(encoding="utf-8"))
            ok = (isinstance(manifest, dict) and manifest.get("format") == FORMAT and manifest.get("key") == key
                  and manifest.get("code") == code_fingerprint() and isinstance(manifest.get("files"), list))
            if ok:
                for f in manifest["files"]:
                    p = d / f["name"]
                    if Path(f["name"]).name != f["name"] or not p.is_file() or p.stat().st_size != f["bytes"] \
                            or _file_sha256(p) != f["sha256"]:
                        ok = False
                        break
        except (OSError, ValueError, KeyError, TypeError):
            ok = False
        if not ok:
            self._discard(d)
            self.misses += 1
            return None
        if self.persistent:
            with contextlib.suppress(OSError):
                os.utime(d / MANIFEST)  # last use, for `prune`
        self.hits += 1
        return Entry(key, d, manifest)

    def reject(self, entry: Entry) -> None:
        """Remove an entry `get` returned that its reader found not to be the file's after all
        (its manifest names other content): it is rebuilt, and `put` does not keep it in place of
        the new one."""
        self.hits -= 1
        self.misses += 1
        self._discard(entry.path)

    def _discard(self, d: Path) -> None:
        """Remove a broken entry folder (renamed away first, so no reader sees half of it)."""
        try:
            aside = self.scratch / f"discard-{secrets.token_hex(4)}"
            os.rename(d, aside)
            shutil.rmtree(aside, ignore_errors=True)
        except OSError:
            shutil.rmtree(d, ignore_errors=True)

    def new_entry(self) -> Path:
        """A fresh folder (0700) in this run's scratch space to write an entry's files into; pass
        it to `put` when they are complete."""
        d = self.scratch / f"entry-{secrets.token_hex(8)}"
        _mkdir_private(d)
        return d

    def put(self, key: str, folder: Path, manifest: dict, files: Sequence[str]) -> Entry:
        """Make `folder` (from `new_entry`, holding `files`) the entry of `key`: the files are made
        0600 and (in a kept store) flushed, their sizes and sha256 recorded in the manifest, the manifest written,
        then the folder renamed into place in one step. If another run put the same key first,
        its entry is kept and this one dropped (both hold the same data)."""
        # A temporary store lives for one run and is never looked up (`get`): nothing in it is
        # flushed to disk or hashed (5,000 entries: ~20,000 fsyncs, ~5 s of a province's run).
        durable = self.persistent
        recorded = []
        for name in files:
            p = folder / name
            os.chmod(p, FILE_MODE)
            if durable:
                _fsync(p)
            # its column types, as an empty frame: a run's scans need them, and reading them from
            # 5,000 Parquet footers took a warm run 1.1 s
            recorded.append({"name": name, "bytes": p.stat().st_size,
                             "sha256": _file_sha256(p) if durable else None,
                             "schema": frame_to_text(pl.DataFrame(schema=pl.read_parquet_schema(p)))})
        full = {**manifest, "format": FORMAT, "key": key, "code": code_fingerprint(), "tool": __version__,
                "files": recorded}
        _write_private(folder / MANIFEST, json.dumps(full, ensure_ascii=False).encode("utf-8"), durable)
        if durable:
            _fsync(folder)
        target = self._entry_dir(key)
        try:
            os.rename(folder, target)
        except OSError:
            existing = self.get(key)
            if existing is not None:
                shutil.rmtree(folder, ignore_errors=True)
                return existing
            self._discard(target) if target.exists() else None
            os.rename(folder, target)
        if durable:
            _fsync(target.parent)
        return Entry(key, target, full)

    def prune(self, keep_days: int = KEEP_DAYS) -> int:
        """Remove entries no run has used for `keep_days` days, and gathered entries (`gathered`,
        names starting ``g-``) no run has used for KEEP_GATHERED_DAYS; returns how many."""
        if not self.persistent:
            return 0
        now = time.time()
        n = 0
        with contextlib.suppress(OSError):
            for d in (self.root / ENTRIES).iterdir():
                gathered = d.name.startswith(GATHERED_PREFIX)
                limit = now - (min(keep_days, KEEP_GATHERED_DAYS) if gathered else keep_days) * 86400
                try:
                    if (d / MANIFEST).stat().st_mtime < limit:
                        self._discard(d)
                        n += 1
                except FileNotFoundError:
                    if d.is_dir() and d.stat().st_mtime < limit:
                        self._discard(d)
                        n += 1
                except OSError:
                    continue
        return n


def remove_marked_last(folder: Path) -> None:
    """Remove a temporary store: its data first, then its `lock`, its marker last, then the
    folder. A run killed while it removes leaves a folder that still holds the marker, so the next
    run's `cleanup_temporary` finds and removes it (the marker first, as rmtree went, left a
    folder of personal data nothing would ever remove)."""
    try:
        children = list(folder.iterdir())
    except OSError:
        children = []
    for child in children:
        if child.name in (MARKER, "lock"):
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                child.unlink()
    for name in ("lock", MARKER):
        with contextlib.suppress(OSError):
            (folder / name).unlink()
    shutil.rmtree(folder, ignore_errors=True)


def cleanup_temporary(base: Path) -> list[Path]:
    """Remove temporary stores in `base` left by runs that no longer live."""
    removed = []
    with contextlib.suppress(OSError):
        for d in base.glob(TEMP_PREFIX + "*"):
            try:
                if d.is_symlink() or not d.is_dir() or not (d / MARKER).is_file():
                    continue
                if hasattr(os, "getuid") and d.stat().st_uid != os.getuid():
                    continue  # another user's: not ours to judge
                if _abandoned(d):
                    remove_marked_last(d)
                    removed.append(d)
            except OSError:
                continue
    return removed


def clear(folder: Path) -> tuple[int, int]:
    """Empty the store in `folder`: remove the entries, run folders and marker the tool wrote
    there; any other file in the folder is left alone. Returns (input files' entries removed,
    bytes freed).
    A folder without the store marker is refused (StoreError), so a wrong path deletes nothing."""
    folder = Path(folder)
    if not folder.is_dir():
        if folder.exists():
            raise StoreError(f"{folder} 是一个文件，不是缓存文件夹；未删除任何文件")
        raise StoreError(f"缓存文件夹 {folder} 不存在；未删除任何文件")
    if not (folder / MARKER).is_file():
        raise StoreError(f"{folder} 不是 xueji-check 的缓存文件夹（其中没有 {MARKER} 标记文件）；为免误删，未删除任何文件")
    # a run that lives holds its run folder's lock: its entries are in use (removing them under
    # it made it fail with a bare "路径不存在")
    with contextlib.suppress(OSError):
        runs = folder / RUNS
        if runs.is_dir() and not runs.is_symlink() and any(
                d.is_dir() and not d.is_symlink() and not _abandoned(d) for d in runs.iterdir()):
            raise StoreError(f"另一次检查正在使用缓存文件夹 {folder}，未删除任何文件；请等它结束后再运行 cache clear")
    entries = 0
    freed = 0
    for sub in (ENTRIES, RUNS):
        d = folder / sub
        if d.is_symlink():
            d.unlink()
            continue
        if not d.is_dir():
            continue
        for child in list(d.iterdir()):
            if sub == ENTRIES and not child.name.startswith(GATHERED_PREFIX):  # input files only
                entries += 1
            freed += _tree_size(child)
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    child.unlink()
        with contextlib.suppress(OSError):
            d.rmdir()
    left = [sub for sub in (ENTRIES, RUNS) if (folder / sub).exists() or (folder / sub).is_symlink()]
    if left:  # the marker stays, so that clear can be run again once the cause is fixed
        raise StoreError(f"缓存文件夹 {folder} 未能清空：{'、'.join(left)} 中仍有文件无法删除（可能没有权限，"
                         "或另一次检查正在使用这个缓存文件夹）；请检查权限，等其他检查结束后再运行 cache clear")
    with contextlib.suppress(OSError):
        (folder / MARKER).unlink()
    return entries, freed


def _tree_size(p: Path) -> int:
    try:
        if p.is_symlink() or p.is_file():
            return p.lstat().st_size
        return sum(f.lstat().st_size for f in p.rglob("*") if f.is_file() and not f.is_symlink())
    except OSError:
        return 0


# ------------------------------------------------------------------ tables in an entry
class NotStorable(Exception):
    """A table holds something the manifest cannot record; the file is simply not cached."""


def table_record(t, index: int) -> dict:
    """A loaded table's fields (everything but `raw`, kept in the Parquet data) as JSON: small
    frames (unknown cells, rows set aside) as Arrow IPC text. Raises NotStorable for a field of
    another kind (the file is then read again next time, never cached wrongly)."""
    out: dict = {"t": index}
    for f in dataclasses.fields(t):
        if f.name == "raw":
            continue
        v = getattr(t, f.name)
        if isinstance(v, pl.DataFrame):
            out[f.name] = {"frame": frame_to_text(v)}
        elif v is None or isinstance(v, (str, int, float, bool)):
            out[f.name] = v
        elif isinstance(v, (list, tuple)) and all(x is None or isinstance(x, (str, int, float, bool)) for x in v):
            out[f.name] = list(v)
        elif isinstance(v, dict) and all(isinstance(k, str) and (x is None or isinstance(x, (str, int, float, bool)))
                                         for k, x in v.items()):
            out[f.name] = dict(v)
        else:
            raise NotStorable(f.name)
    return out


def table_fields(record: dict) -> dict:
    """The keyword arguments of a Table rebuilt from `table_record` (without `raw`)."""
    out = {}
    for k, v in record.items():
        if k in ("t", "rows", "raw_columns", "columns", "normalised"):
            continue
        out[k] = frame_from_text(v["frame"]) if _is_frame(v) else v
    return out


def _is_frame(v) -> bool:
    return isinstance(v, dict) and set(v) == {"frame"}


class _FrameText:
    """A small frame of a manifest (`frame_to_text`), not decoded yet."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _decoded_when_read(name: str) -> property:
    def get(self):
        v = self.__dict__[name]
        if isinstance(v, _FrameText):
            v = self.__dict__[name] = frame_from_text(v.text)
        return v

    def set_(self, v) -> None:
        self.__dict__[name] = v

    return property(get, set_)


LAZY_FRAMES = ("other_rows", "unknown")


class StoredTable(Table):
    """A `load.Table` read from a store entry (`read_entry`): its small frames (`other_rows`, the
    rows that are not records, and `unknown`) are decoded from the manifest's text when first read,
    not when the entry is found: a warm run over 5,000 school files spent ~0.5 s decoding frames
    that only the annotated copy and the publicity checks read. Otherwise the same Table."""

    other_rows = _decoded_when_read("other_rows")
    unknown = _decoded_when_read("unknown")


class StoredFrame:
    """A table's raw text (`_row` plus c0..cn) kept in the store, standing in for the DataFrame
    `Table.raw` held before: `height`, `columns` and `width` come from the manifest; `lazy()` is a
    scan of the store; `select`, `with_columns`, `filter`, `head`, `slice`, `drop`, `rename` and
    `unpivot` run on that scan (reading only the columns they use); anything else reads the table
    into memory for that one call (nothing is kept: the store is where it lives)."""

    _LAZY = ("select", "with_columns", "filter", "head", "slice", "drop", "rename", "unpivot", "sort", "unique")

    def __init__(self, files: Sequence[Path], table: int, columns: list[str], height: int,
                 normalised: list[str] | None = None, schema: Mapping[str, pl.DataType] | None = None) -> None:
        self._files = [str(f) for f in files]
        self._t = table
        self._columns = list(columns)
        self._height = height
        # where the table lives, for the run's scans (`TableUse`): its entry's data files, its
        # place in them and its normalised columns (None for a table that was not normalised)
        self.files = list(files)
        self.t = table
        self.normalised = normalised
        # the column types of files[0] (every column of the data file, not only this table's raw
        # text), when the manifest has them; not `schema`, which reads the raw text like a frame
        self.file_schema = schema

    @property
    def height(self) -> int:
        return self._height

    def __len__(self) -> int:
        return self._height

    @property
    def columns(self) -> list[str]:
        return list(self._columns)

    @property
    def width(self) -> int:
        return len(self._columns)

    @property
    def shape(self) -> tuple[int, int]:
        return self._height, len(self._columns)

    def lazy(self) -> pl.LazyFrame:
        # every data file of an entry has the same columns (`write_entry`)
        return pl.scan_parquet(self._files).filter(pl.col("_t") == self._t).select(self._columns)

    def collect(self) -> pl.DataFrame:
        return self.lazy().collect()

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._LAZY:
            def run(*args, **kwargs):
                return getattr(self.lazy(), name)(*args, **kwargs).collect()
            return run
        return getattr(self.collect(), name)

    def __getitem__(self, item):
        return self.collect()[item]

    def __iter__(self) -> Iterator:
        return iter(self.collect())

    def __repr__(self) -> str:
        return f"StoredFrame(rows={self._height}, columns={len(self._columns)})"


# ------------------------------------------------------------------ one input file
DATA_FILE = "data-{}.parquet"


def write_entry(store: Store, key: str, inp, problems: list, normalised: dict[int, pl.DataFrame], *,
                keep: bool = True) -> Entry:
    """Write one input file (`load.InputFile` with its tables read) as an entry: one Parquet file
    with a row per record of each table (`_t`: the table's place in the file), holding the raw
    text (`_row`, c0..cn) and, for a table that was normalised (`normalised[_t]`, without
    `_file`/`_sheet`/`_tid`, which belong to the run), its normalised columns; and a manifest with
    the tables' other fields and the loader's messages about the file (`problems`).

    `keep=False` puts the entry in this run's scratch folder only (a file the loader had trouble
    with is read again next time). Raises NotStorable when a table cannot be recorded."""
    records, parts = [], []
    for i, t in enumerate(inp.tables):
        rec = table_record(t, i)
        norm = normalised.get(i)
        if norm is not None:
            rec["columns"] = norm.columns
        rec.update(rows=t.raw.height, raw_columns=t.raw.columns, normalised=norm is not None)
        records.append(rec)
        parts.append(_stored_rows(t.raw, norm, i, f"normalised table {i}"))
    folder = store.new_entry()
    name = DATA_FILE.format(0)
    data = pl.concat(parts, how="diagonal_relaxed") if parts else pl.DataFrame(schema={"_t": pl.Int32})
    data.write_parquet(folder / name, compression="zstd", compression_level=1)  # as small as level 3, faster
    del data, parts
    return _put_entry(store, key, inp, problems, records, folder, [name], keep)


def _stored_rows(raw: pl.DataFrame, norm: pl.DataFrame | None, t: int, what: str) -> pl.DataFrame:
    """A table's rows as an entry's data file holds them: its raw text (`_row`, c0..cn), then its
    normalised columns when it was normalised (`norm`, row for row), then `_t` (the table's place
    in its file). Raises ValueError when `norm` (`what`, for the message) has another height."""
    frame = raw
    if norm is not None:
        if norm.height != raw.height:
            raise ValueError(f"{what} has {norm.height} rows, its raw text {raw.height}")
        frame = pl.concat([raw, norm.drop("_row", strict=False)], how="horizontal")
    return frame.with_columns(_t=pl.lit(t, pl.Int32))


def _put_entry(store: Store, key: str, inp, problems: list, records: list[dict], folder: Path,
               names: list[str], keep: bool) -> Entry:
    """The entry of `inp` whose data files `names` are written in `folder`: its manifest written
    and the entry put in the store (`keep`), or left in the run's scratch folder."""
    manifest = {
        "input": {"name": inp.path.name, "sha256": inp.sha256, "size": inp.size, "kind_hint": inp.kind_hint,
                  "display": inp.display},
        "problems": [{"level": p.level, "file": p.file, "sheet": p.sheet, "row": p.row, "message": p.message,
                      "this_file": p.file == inp.display} for p in problems],
        "tables": records,
    }
    if keep:
        return store.put(key, folder, manifest, names)
    for f in names:
        os.chmod(folder / f, FILE_MODE)
    return Entry(key, folder, {**manifest, "files": [{"name": n} for n in names]})


def write_streamed_entry(store: Store, key: str, inp, problems: list, table, parts: Iterable, *,
                         keep: bool = True, finish: Callable[[list[Path]], None] | None = None) -> Entry:
    """Write a file read by slices (`load.parquet.StreamedTable`: one table) as an entry whose
    data files hold a slice each: `parts` yields (raw text, normalised frame or None) per slice,
    as `write_entry` takes them for a whole table; each is written and dropped before the next is
    made. `finish(paths)` runs on the written data files before the entry is put (what needs the
    whole table: `engine` makes the files' columns one schema and spreads card damage found in one
    slice to the others). Every data file holds the table's rows as `_t` 0, in sheet order."""
    folder = store.new_entry()
    names: list[str] = []
    rows = 0
    columns = raw_columns = None
    try:
        for k, (raw, norm) in enumerate(parts):
            if norm is not None:
                columns = columns or norm.columns
            raw_columns = raw_columns or raw.columns
            rows += raw.height
            name = DATA_FILE.format(k)
            frame = _stored_rows(raw, norm, 0, f"normalised slice {k}")
            frame.write_parquet(folder / name, compression="zstd", compression_level=1)
            names.append(name)
            del frame, raw, norm
        if finish is not None:
            finish([folder / n for n in names])
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    rec = table_record(table, 0)
    rec.update(rows=rows, raw_columns=raw_columns, normalised=columns is not None)
    if columns is not None:
        rec["columns"] = columns
    return _put_entry(store, key, inp, problems, [rec], folder, names, keep)


def read_entry(entry: Entry, inp) -> tuple[list, list]:
    """The tables of `inp` (an InputFile found in the store) as `load.Table`s whose `raw` is a
    `StoredFrame`, and the loader's messages about it, shown under the file's current name."""
    from xueji_check.load.model import Problem

    m = entry.manifest
    schema = entry.schema()
    tables = []
    for rec in m["tables"]:
        lazy = {k: _FrameText(rec[k]["frame"]) for k in LAZY_FRAMES if _is_frame(rec.get(k))}
        fields = table_fields({k: v for k, v in rec.items() if k not in lazy})
        fields.update(lazy, file=inp.display)
        raw = StoredFrame(entry.files, rec["t"], rec["raw_columns"], rec["rows"], rec.get("columns"), schema)
        tables.append(StoredTable(**fields, raw=raw))
    problems = []
    for p in m["problems"]:
        pr = Problem(p["level"], inp.display if p["this_file"] else p["file"], p["sheet"], p["row"], "")
        pr.message = p["message"]  # masked when it was recorded
        problems.append(pr)
    return tables, problems


@dataclass
class TableUse:
    """A table of this run found in an entry: where its rows are (`files`, `t`), its table id in
    the run, the file name shown for it, its sheet and its normalised columns."""

    files: list[Path]
    t: int
    tid: int
    file: str
    sheet: str
    columns: list[str]
    schema: Mapping[str, pl.DataType] | None = None  # the column types of files[0], when known (else read from the file)
    rows: int | None = None  # the table's row count, when known


def _schema_of(path: Path, cache: dict) -> dict:
    if path not in cache:
        cache[path] = dict(pl.read_parquet_schema(path))
    return cache[path]


META_COLUMNS = ("_file", "_sheet", "_row", "_tid")


@dataclass
class Layout:
    """The columns `scan_tables` gives for some tables: `names` (in order, `_key` last) and their
    types (`dtypes`: pl.Null where the column is all null in every table, None where no data file
    records it; `scan_tables` reads such a column as text); `conflict` when one column has
    two non-null types (or one entry is used by two inputs) and the tables are stacked with
    Polars' relaxed concat instead; each data file's table-id base and shown name."""

    names: list[str]
    dtypes: dict[str, pl.DataType | None]
    conflict: bool
    bases: dict[str, int]
    shown: dict[str, str]
    schemas: dict[Path, dict]


def layout(uses: Sequence[TableUse]) -> Layout:
    """The `Layout` of `uses` (the tables of one kind, in table-id order), from the column types
    recorded in the manifests (a data file's footer is read only where none was recorded)."""
    schemas: dict[Path, dict] = {}
    names: list[str] = []
    dtypes: dict[str, pl.DataType] = {}
    conflict = False
    for u in uses:
        if u.schema is not None:
            schemas.setdefault(u.files[0], u.schema)
        sch = _schema_of(u.files[0], schemas)
        for c in u.columns:
            if c in META_COLUMNS:
                continue
            dt_ = sch.get(c)
            if c not in dtypes:
                names.append(c)
                dtypes[c] = dt_
            elif dt_ != dtypes[c]:
                if dtypes[c] == pl.Null:
                    dtypes[c] = dt_
                elif dt_ != pl.Null:
                    conflict = True
    if "_key" in names:
        names.remove("_key")
        names.append("_key")
    bases: dict[str, int] = {}
    shown: dict[str, str] = {}
    for u in uses:
        for f in u.files:
            base = u.tid - u.t
            if bases.setdefault(str(f), base) != base:
                conflict = True  # one entry used by two inputs (the same file twice)
            shown[str(f)] = u.file
    return Layout(names, dtypes, conflict, bases, shown, schemas)


def scan_tables(uses: Sequence[TableUse]) -> pl.LazyFrame:
    """One lazy frame over the normalised rows of `uses` (the tables of one kind, in table-id
    order): `_file`, `_sheet`, `_row`, `_tid`, then the union of the tables' columns (`_key`
    last), missing ones null. The rows stay in the store; nothing is read until the frame is
    collected. The same as stacking the tables' normalised frames in memory."""
    lay = layout(uses)
    names, dtypes, bases, shown, schemas = lay.names, lay.dtypes, lay.bases, lay.shown, lay.schemas
    if lay.conflict or len(uses) == 1:
        parts = [_scan_one(u, schemas) for u in uses]
        lf = parts[0] if len(parts) == 1 else pl.concat(parts, how="diagonal_relaxed")
        return lf.select(*META_COLUMNS, *names)
    files = list(dict.fromkeys(str(f) for u in uses for f in u.files))
    schema = {"_t": pl.Int32, "_row": pl.Int64, **{c: (dtypes[c] or pl.String) for c in names}}
    lf = pl.scan_parquet(files, schema=schema, missing_columns="insert", extra_columns="ignore",
                         include_file_paths="_path", hive_partitioning=False, glob=False)
    # each file's table-id base and shown name by a join on the path: `replace_strict` on the
    # path column held every column of the rows in memory (7 GB gathering a national aid table
    # from 31 files; 1.3 GB with the join)
    where = pl.LazyFrame({"_path": list(bases), "_base": list(bases.values()), "_shown": [shown[f] for f in bases]},
                         schema={"_path": pl.String, "_base": pl.Int32, "_shown": pl.String})
    lf = lf.join(where, on="_path", how="left", maintain_order="left")
    sheets = pl.LazyFrame({"_tid": [u.tid for u in uses], "_sheet": [u.sheet for u in uses]},
                          schema={"_tid": pl.Int32, "_sheet": pl.String})
    lf = lf.with_columns(_tid=(pl.col("_base") + pl.col("_t")).cast(pl.Int32)) \
        .join(sheets, on="_tid", how="inner", maintain_order="left")  # this kind's tables only
    return lf.select(pl.col("_shown").alias("_file"), *META_COLUMNS[1:], *names)


def _scan_one(u: TableUse, schemas: dict) -> pl.LazyFrame:
    cols = [c for c in u.columns if c not in META_COLUMNS]
    return (pl.scan_parquet([str(f) for f in u.files], hive_partitioning=False, glob=False)
            .filter(pl.col("_t") == u.t)
            .select(pl.lit(u.file, pl.String).alias("_file"), pl.lit(u.sheet, pl.String).alias("_sheet"),
                    pl.col("_row"), pl.lit(u.tid, pl.Int32).alias("_tid"), *cols))
