"""Publishing a report all-or-nothing.

Every output is written into a staging folder inside the output folder (``.xueji-tmp-*``, so
that renames stay on one disk), then `Stage.commit` replaces the earlier files in two steps:

1. each earlier file is renamed aside into the staging folder (``.old/``). A file that cannot be
   renamed (open in Excel/WPS on Windows, immutable, no permission) stops the commit before
   anything new is in place, and the files already moved are put back;
2. the new files are renamed into place; a failure puts everything back.

An output folder holds one run: the tool's own output files of an earlier run that this run does
not write (`commit`'s ``remove``: an old ``report.html`` when this run writes only csv and json) are
moved aside in step 1 like the replaced ones, so they go with the commit and come back with a
rollback. Nothing else in the folder is touched.

``commit.json`` in the staging folder lists the files being replaced and removed, ``done`` marks a
finished commit. A run killed outright (SIGKILL, power loss) leaves its staging folder; the next run into
the same output folder removes it, and if it was killed in the middle of step 1 or 2 first puts
the earlier files back (`clean_stale`). A staging folder is left alone while its run is alive:
each run holds an exclusive lock (flock) on ``lock`` inside its folder for as long as it lives.
Where locks do not work, a folder is taken as abandoned only after `STALE_AFTER` seconds.
Commits of two runs into the same folder are serialised by a lock on the folder itself (POSIX).

SIGINT and SIGTERM are held back during a commit and while the staging folder is removed, and
acted on right after (`hold_signals`). While a report is written, the system temporary folder
(TMPDIR) is not used: libraries that write temporary files (xlsxwriter) write them into the
staging folder, so a full TMPDIR cannot fail a run and nothing is left there. The staged files
are flushed to disk (fsync) before the commit and the folder after it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from xueji_check.report import OutputError, os_reason, os_todo
from xueji_check.report.owned import Checked, check_folder, refusal_message

STAGE_PREFIX = ".xueji-tmp-"
STALE_AFTER = 6 * 3600  # seconds; only for folders whose lock cannot be tested

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class Interrupted(KeyboardInterrupt):
    """SIGINT/SIGTERM acted on after a held-back block; `published` when the new report was
    already complete in place by then."""

    def __init__(self, published: bool = False) -> None:
        super().__init__()
        self.published = published


class _Held:
    published = False


def first_interrupt(signum, frame) -> None:
    """SIGINT/SIGTERM handler while a command runs (cli._guard): the first one stops the run
    (KeyboardInterrupt); any later one is noted and ignored, so that the clean-up the first one
    started (removing the temporary store, the staging folder) is not cut short. A second
    Ctrl-C is common, and `timeout -s INT` sends SIGINT twice (to the process and its group)."""
    ignore_later_interrupts()
    raise KeyboardInterrupt


def later_interrupt(signum, frame) -> None:
    """A SIGINT/SIGTERM after the first: the run is already stopping."""


def ignore_later_interrupts() -> None:
    """From now on SIGINT/SIGTERM are ignored where `first_interrupt` handled them."""
    for sig in (signal.SIGINT, getattr(signal, "SIGTERM", None)):
        if sig is None:
            continue
        with contextlib.suppress(ValueError, OSError):  # not the main thread
            if signal.getsignal(sig) is first_interrupt:
                signal.signal(sig, later_interrupt)


@contextlib.contextmanager
def hold_signals() -> Iterator[_Held]:
    """Hold SIGINT/SIGTERM back for the block, then act on them (`Interrupted`)."""
    held = _Held()
    got: list[int] = []
    prev = {}
    for sig in (signal.SIGINT, getattr(signal, "SIGTERM", None)):
        if sig is None:
            continue
        try:
            prev[sig] = signal.signal(sig, lambda s, f: got.append(s))
        except (ValueError, OSError):  # not the main thread
            pass
    try:
        yield held
    finally:
        for sig, handler in prev.items():
            signal.signal(sig, handler)
        if got:
            ignore_later_interrupts()  # the run is stopping now: see first_interrupt
            raise Interrupted(held.published)


def try_lock(fd: int) -> bool | None:
    """True when an exclusive lock on `fd` was taken, False when another process holds it,
    None when this system or disk cannot lock."""
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False
        except OSError:
            return None
    try:  # pragma: no cover - Windows
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        return True
    except OSError:  # pragma: no cover
        return False
    except ImportError:  # pragma: no cover
        return None


@contextlib.contextmanager
def _folder_lock(out: Path) -> Iterator[None]:
    """An exclusive lock on the output folder itself (POSIX; elsewhere none)."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    try:
        fd = os.open(out, os.O_RDONLY)
    except OSError:
        yield
        return
    try:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def fsync_path(path: Path, directory: bool = False) -> None:
    """Flush a file (or a folder's entries, POSIX) to disk, so that a power loss right after a
    commit cannot leave an empty new file in place of the earlier report."""
    if directory and os.name == "nt":  # pragma: no cover
        return
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _restore(stage: Path, out: Path) -> None:
    """Undo an unfinished commit recorded in `stage` (see the module doc)."""
    manifest = stage / "commit.json"
    if not manifest.is_file() or (stage / "done").exists():
        return
    record = json.loads(manifest.read_text(encoding="utf-8"))
    names = record["names"]
    old = stage / ".old"
    for name in record.get("removed", []):
        if (old / name).exists() or (old / name).is_symlink():
            os.replace(old / name, out / name)
    for name in names:
        if (old / name).exists() or (old / name).is_symlink():
            os.replace(old / name, out / name)
        elif not (stage / name).exists() and (out / name).is_file():
            # placed by the killed run where there was no earlier file
            os.replace(out / name, stage / name)


def clean_stale(out: Path) -> list[Path]:
    """Remove staging folders in `out` left by runs that no longer live (putting back the earlier
    report if a run died in the middle of replacing it). Folders of live runs are left alone.
    Returns the folders removed; a folder that cannot be removed is left for a later run."""
    removed = []
    try:
        candidates = sorted(out.glob(STAGE_PREFIX + "*"))
    except OSError:
        return removed
    for d in candidates:
        if d.is_symlink() or not d.is_dir():
            continue
        fd = None
        try:
            state = None
            if (d / "lock").is_file():
                fd = os.open(d / "lock", os.O_RDWR)
                state = try_lock(fd)
            if state is False:
                continue  # a live run
            if state is None and time.time() - d.stat().st_mtime < STALE_AFTER:
                continue  # cannot tell; maybe a live run
            with _folder_lock(out):
                _restore(d, out)
            if fd is not None:
                os.close(fd)
                fd = None
            shutil.rmtree(d)
            removed.append(d)
        except (OSError, ValueError, KeyError, TypeError):
            continue
        finally:
            if fd is not None:
                os.close(fd)
    return removed


class Stage:
    """A staging folder inside `out` for one run (use `staging`)."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.path = Path(tempfile.mkdtemp(prefix=STAGE_PREFIX, dir=out))
        self._fd: int | None = None
        self.keep = False  # set when the earlier report could not be put back: never removed
        try:
            self._fd = os.open(self.path / "lock", os.O_RDWR | os.O_CREAT, 0o600)
            os.write(self._fd, f"{os.getpid()}\n".encode())
            try_lock(self._fd)
        except OSError:
            self.close()
            raise
        (self.path / "tmp").mkdir()

    def commit(self, names: list[str], remove: Iterable[str] = (), verify: Checked | None = None) -> list[str]:
        """Replace out/NAME by the staged NAME for every name, and take away out/NAME for every
        name in `remove` that is a file (or a link) there, all or none (module doc). `remove` is
        for the tool's own output names only; a folder of that name is left alone. `verify`: what
        the run saw of the output names before it started (report.owned); a file that appeared or
        changed since is checked again, and one the tool did not write stops the commit. Returns
        the names removed. Raises OutputError (Chinese) naming the file that could not be replaced."""
        out, old = self.out, self.path / ".old"
        for name in names:
            fsync_path(self.path / name)
        with hold_signals() as held, _folder_lock(out):
            if verify is not None and (changed := verify.changed()):
                refused, _ = check_folder(out, changed)  # another run of the tool may have written them
                if refused:
                    from xueji_check.load.files import shown_path

                    raise OutputError(refusal_message(out, refused, shown_path(out)).replace(
                        "本次未运行，什么也没有写出", "本次没有写出任何报告文件（这些文件在检查期间放入或改动）"))
            for name in names:
                t = out / name
                if t.is_dir() and not t.is_symlink():
                    raise OutputError(f"{t} 是一个文件夹，报告无法写在这里；上次的报告未被改动。"
                                      "请移走或改名这个文件夹，或用 --out 换一个输出文件夹")
            stale = [n for n in dict.fromkeys(remove)
                     if n not in names and ((out / n).is_symlink() or (out / n).is_file())]
            (self.path / "commit.json").write_text(json.dumps({"names": names, "removed": stale}),
                                                   encoding="utf-8")
            old.mkdir()
            moved: list[str] = []
            placed: list[str] = []
            try:
                for name in [*names, *stale]:
                    t = out / name
                    if not (t.exists() or t.is_symlink()):
                        continue
                    try:
                        os.rename(t, old / name)
                    except OSError as exc:
                        what = "移除上次运行留下的" if name in stale else "替换"
                        raise OutputError(
                            f"无法{what} {t}：{os_reason(exc)}。本次没有写出任何报告文件，{out} 中上次的报告未被改动；"
                            "请在 Excel/WPS 等程序中关闭该文件，或解除它的只读/锁定后重新运行，或用 --out 换一个文件夹"
                        ) from exc
                    moved.append(name)
                for name in names:
                    os.replace(self.path / name, out / name)
                    placed.append(name)
            except BaseException as exc:
                try:
                    for name in reversed(placed):
                        os.replace(out / name, self.path / name)
                    for name in reversed(moved):
                        os.replace(old / name, out / name)
                except OSError as undo:
                    self.keep = True
                    raise OutputError(
                        f"替换报告时出错（{os_reason(undo)}），未能把上次的报告全部放回原处；"
                        f"上次的报告文件保存在 {old}，请把其中的文件移回 {out}") from exc
                if isinstance(exc, OSError):
                    raise OutputError(f"无法写入输出文件夹 {out}（{os_reason(exc)}），上次的报告未被改动；"
                                      f"{os_todo(exc)}，或用 --out 换一个文件夹") from exc
                raise
            (self.path / "done").touch()
            fsync_path(out, directory=True)
            held.published = True
        return stale

    def close(self) -> None:
        """Remove the staging folder (unless `keep`) and release its lock."""
        with hold_signals():
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
            if not self.keep:
                shutil.rmtree(self.path, ignore_errors=True)


@contextlib.contextmanager
def staging(out: Path) -> Iterator[Stage]:
    """Create `out` if needed, remove abandoned staging folders, and yield a fresh `Stage`;
    the system temporary folder points into the stage meanwhile. The stage is removed on the
    way out, whatever happens (SIGINT/SIGTERM included)."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"无法写入输出文件夹 {out}：它是一个文件，不是文件夹；请用 --out 给出一个文件夹")
    try:
        out.mkdir(parents=True, exist_ok=True)
        clean_stale(out)
        stage = Stage(out)
    except OSError as exc:
        raise OutputError(f"无法写入输出文件夹 {out}（{os_reason(exc)}），上次的报告未被改动；"
                          f"{os_todo(exc)}，或用 --out 换一个可写的文件夹") from exc
    saved = tempfile.tempdir
    tempfile.tempdir = str(stage.path / "tmp")
    try:
        yield stage
    finally:
        tempfile.tempdir = saved
        stage.close()
