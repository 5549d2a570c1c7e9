"""Writers of the outputs. Every file is written to a temporary name and renamed."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import polars as pl

# A text cell a spreadsheet could run as a formula: = + - @ tab CR at the start (and their
# full-width forms, which some CJK Excel builds also accept).
INJECTION = r"^[=+\-@\t\r＝＋－＠]"
# Characters XML (so xlsx) cannot hold; removed from text written to CSV/XLSX.
ILLEGAL_CHARS = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"
MAX_CELL_CHARS = 32_767


class OutputError(Exception):
    """An output cannot be written; the message is Chinese, names the file and says what to do."""


_ERRNO_ZH = {
    errno.ENOSPC: "磁盘空间不足",
    getattr(errno, "EDQUOT", -1): "超出了磁盘配额",
    errno.EROFS: "磁盘是只读的",
    errno.EACCES: "没有写入权限",
    errno.EPERM: "不允许修改（文件或文件夹被设为不可修改，或正被其他程序占用）",
    errno.EBUSY: "正被其他程序占用",
    errno.ENAMETOOLONG: "路径太长",
    errno.EIO: "磁盘读写出错",
    errno.EMFILE: "同时打开的文件太多",
    errno.ENFILE: "同时打开的文件太多",
    errno.ENOENT: "路径不存在",
    errno.ENOTDIR: "路径中有一段是文件而不是文件夹",
    errno.EISDIR: "这是一个文件夹",
    errno.EEXIST: "已存在同名的文件",
}
_TODO_ZH = {
    errno.ENOSPC: "请清理磁盘空间",
    getattr(errno, "EDQUOT", -1): "请清理空间或请管理员提高配额",
    errno.EROFS: "请换一个可写的位置",
    errno.EACCES: "请检查文件夹的权限，或换一个可写的位置",
    errno.EPERM: "请关闭正在打开它的程序（如 Excel/WPS）或解除只读后重试，或换一个位置",
    errno.EBUSY: "请关闭正在打开它的程序（如 Excel/WPS）后重试",
    errno.ENAMETOOLONG: "请换一个短一些的路径",
}


def _system_temp() -> str | None:
    """The folder Python's tempfile would use, from the environment (not `tempfile.tempdir`,
    which points into the staging folder while a report is written)."""
    for var in ("TMPDIR", "TEMP", "TMP"):
        if os.environ.get(var):
            return os.environ[var]
    if os.name != "nt":
        return "/tmp"
    try:  # pragma: no cover - Windows
        return tempfile.gettempdir()
    except OSError:  # pragma: no cover
        return None


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def temp_dir_of(path: str | os.PathLike | None, own: str | os.PathLike | None = None) -> str | None:
    """The system temporary folder (TMPDIR/TEMP) when `path` lies in it and not in `own` (the
    folder the tool was asked to write to, which may itself be under /tmp), else None."""
    tmp = _system_temp()
    if not path or not tmp:
        return None
    try:
        tmp = os.path.realpath(tmp)
        p = os.path.realpath(os.fspath(path))
        if own is not None and _within(p, os.path.realpath(os.fspath(own))):
            return None
    except (OSError, ValueError, TypeError):
        return None
    return tmp if _within(p, tmp) else None


_RUST_ERRNO = re.compile(r"\(os error (\d+)\)")


def _errno(exc: OSError) -> int | None:
    """The errno of `exc`; Polars' OSErrors carry it only in the text ("(os error 28)")."""
    if getattr(exc, "winerror", None) in (32, 33):  # ERROR_SHARING_VIOLATION / LOCK_VIOLATION
        return errno.EBUSY
    if exc.errno is not None:
        return exc.errno
    m = _RUST_ERRNO.search(str(exc))
    if m:
        return int(m.group(1))
    return errno.EACCES if isinstance(exc, PermissionError) else None


def os_reason(exc: OSError) -> str:
    """What went wrong, in Chinese, in a few words (磁盘空间不足, 没有写入权限, …)."""
    text = str(exc).strip()
    return _ERRNO_ZH.get(_errno(exc)) or exc.strerror or (text.splitlines()[0][:200] if text else type(exc).__name__)


def os_todo(exc: OSError) -> str:
    """What the user can do about `exc`, in Chinese (请清理磁盘空间, …)."""
    return _TODO_ZH.get(_errno(exc), "请检查磁盘和权限后重试")


def describe_os_error(exc: OSError, where: str | os.PathLike | None = None, *, override: bool = False) -> str:
    """`exc` in Chinese: what happened, where (the file of the error, or `where`; `where` first
    when `override`), and what to do. A failure in the system temporary folder (outside `where`)
    names TMPDIR, not the output folder."""
    code = _errno(exc)
    what = os_reason(exc)
    place = (where or exc.filename) if override else (exc.filename or where)
    tmp = temp_dir_of(exc.filename, where)
    if tmp is not None:
        return (f"临时文件夹 {tmp} {what}（由环境变量 TMPDIR 指定）；"
                f"{_TODO_ZH.get(code, '请检查它')}，或把 TMPDIR 设为空间足够、可写的文件夹后重试")
    todo = _TODO_ZH.get(code, "请检查磁盘和权限后重试")
    return f"{os.fspath(place)}：{what}；{todo}" if place else f"{what}；{todo}"


def _resolver() -> Callable[[Path], Path]:
    """`Path.resolve` for many paths in few folders, within one step of the program (links and the
    working folder taken as they are when a folder is first met): each folder resolved once
    (`Path.resolve` walks every part of a path: a province's 5,000 inputs, checked twice, took
    over a second), then only
    the last part followed when it is a symbolic link. Raises as `Path.resolve` does."""
    folders: dict[Path, Path] = {}

    def resolve(p: Path) -> Path:
        p = Path(p)
        if p.name in ("", ".", ".."):
            return p.resolve()
        parent = p.parent
        if parent not in folders:
            folders[parent] = parent.resolve()
        r = folders[parent] / p.name
        try:
            link = r.is_symlink()
        except OSError:  # a folder that cannot be searched: as `Path.resolve` would
            return p.resolve()
        return r.resolve() if link else r
    return resolve


def same_file_as_any(paths) -> Callable[[Path], bool]:
    """A test `f(a)`: True when `a` names one file with any of `paths` (as `same_file`), the
    paths resolved and stat'ed once (a province's run has thousands of inputs)."""
    resolved, inodes = set(), set()
    resolve = _resolver()
    for p in paths:
        with contextlib.suppress(OSError, RuntimeError):
            resolved.add(resolve(p))
        with contextlib.suppress(OSError, ValueError):
            st = os.stat(p)
            inodes.add((st.st_dev, st.st_ino))

    def test(a: Path) -> bool:
        with contextlib.suppress(OSError, RuntimeError):
            if resolve(a) in resolved:
                return True
        try:
            st = os.stat(a)
        except (OSError, ValueError):
            return False
        return (st.st_dev, st.st_ino) in inodes
    return test


def same_file(a: Path, b: Path) -> bool:
    """True when `a` and `b` name one file: the same resolved path, or the same inode (a hard
    link, another spelling of the path on a case-insensitive disk)."""
    try:
        if a.resolve() == b.resolve():
            return True
    except (OSError, RuntimeError):
        pass
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return False


def check_target(target: Path, inputs: Iterable[Path], *, force: bool, option: str) -> None:
    """Refuse to write `target` (a file named by the user with `option`) when it is one of the
    run's inputs (always), a folder (always), or an existing file (unless `force`)."""
    for inp in inputs:
        if inp is not None and same_file(target, inp):
            raise OutputError(f"{option} {target} 是本次的输入文件；为保护输入，不会写到输入文件上，请换一个文件名")
    if target.is_dir():
        raise OutputError(f"{option} {target} 是一个文件夹；请给出文件名，如 {target / '名单.xlsx'}")
    if (target.exists() or target.is_symlink()) and not force:
        raise OutputError(f"{target} 已存在，未写出；如要覆盖请加 --force，或换一个文件名")


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; rename it over `target` on success."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp creates 0600; give the file the mode any new file of this user gets (umask)
        umask = os.umask(0)
        os.umask(umask)
        if tmp_path.exists():
            os.chmod(tmp_path, 0o666 & ~umask)
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def neutralise(df: pl.DataFrame) -> pl.DataFrame:
    """Prefix text cells that a spreadsheet would run as a formula with a single quote, and drop
    control characters."""

    def one(c: str) -> pl.Expr:
        e = pl.col(c).str.replace_all(ILLEGAL_CHARS, "")
        return pl.when(e.str.contains(INJECTION)).then(pl.lit("'") + e).otherwise(e).alias(c)

    return df.with_columns(one(c) for c, t in df.schema.items() if t == pl.String)


_ILLEGAL_RE = re.compile(ILLEGAL_CHARS)
_INJECTION_RE = re.compile(INJECTION)


def neutralise_text(v: object) -> object:
    """One cell for a spreadsheet: formula-like text quoted, control characters dropped, cut to
    Excel's 32,767 characters."""
    if not isinstance(v, str):
        return v
    v = _ILLEGAL_RE.sub("", v)
    if _INJECTION_RE.match(v):
        v = "'" + v
    if len(v) > MAX_CELL_CHARS:
        v = v[: MAX_CELL_CHARS - 1] + "…"
    return v
