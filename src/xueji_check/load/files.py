"""Which paths are read: folders are walked without leaving them, only spreadsheet files are
candidates, everything else is listed (skipped, refused or not checked) and never opened; and
how much memory a read may take.

What happens to each thing met in a folder given on the command line:

- a regular file with a spreadsheet suffix (`FOLDER_SUFFIXES`): a candidate, read;
- any other file (`.txt`, `.md`, `.pdf`, images, …): skipped by name, listed once per folder;
- Excel/WPS lock files (`~$…`) and hidden files or folders (`.…`, e.g. LibreOffice's
  `.~lock…#`, macOS `._…`): ignored, counted in the same line;
- an earlier report of this tool (a folder whose findings.json says "xueji-check"): left out;
- a symbolic link: followed only when it points inside the folder (a link to a folder is not
  followed: its target is walked anyway); a link pointing outside the folder, or to nothing,
  is not followed and is listed;
- a FIFO, device or socket: refused by its type, never opened (opening a FIFO blocks);
- a subfolder that cannot be opened: listed.

Refused candidates and unreadable subfolders are "not checked" (`NotChecked`): the run says how
many and the exit status is at least 1, so a nightly job never reports a partial run as clean.
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from xueji_check.load.model import LoadError, Problem, printable, redact
from xueji_check.pii import PATH_SHAPES, mask_text

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
# Read as delimited text. `.txt` is read when a user names the file (Excel's "Unicode 文本" and
# "文本文件(制表符分隔)" saves are .txt), but never picked from a folder: there a .txt is almost
# always a note (说明.txt, 填表说明.txt), and reading notes would turn each one into an
# "unrecognised file" that fails the run.
CSV_SUFFIXES = {".csv", ".tsv", ".txt"}
FOLDER_SUFFIXES = EXCEL_SUFFIXES | {".csv", ".tsv", ".parquet"}
REPORT_NAMES = {"findings.csv", "问题清单.csv", "findings.json", "findings.parquet", "report.xlsx", "report.html"}
NAMES_SHOWN = 20


@dataclass
class NotChecked:
    """A file (or folder) the user gave, or that is a candidate in a given folder, whose content
    was not checked: unreadable, unrecognised, refused. `reason` is Chinese."""

    path: str
    reason: str
    folder: bool = False

    def __post_init__(self) -> None:
        self.path = mask_text(printable(self.path), PATH_SHAPES)  # a name holding an ID (`shown_path`)
        self.reason = redact(printable(self.reason))


def _special_kind(mode: int) -> str | None:
    """The Chinese name of a non-regular file type, None for a regular file or a folder."""
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "命名管道（FIFO）"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "设备文件"
    if stat.S_ISSOCK(mode):
        return "套接字"
    return "特殊文件"


def special_message(kind: str) -> str:
    return f"这不是普通文件，而是{kind}，为免程序卡住未读取；请给出导出的表格文件本身"


NOT_UTF8_NAME = ("文件名不是 UTF-8 编码（常见于在 Windows 上打包、在 Linux 上解压的文件），报告中无法准确写出它，未检查；"
                 "请把文件改名（例如用 convmv 把文件名从 GBK 转为 UTF-8）后重新检查")


def shown_path(p: Path | str) -> str:
    """`p` as text that can be printed and written: a name that is not UTF-8 (its bytes kept by
    Python as lone surrogates) shows those bytes as \\xNN instead of making every output fail;
    an ID or mobile number in a file or folder name (张三_410105200801041241.xlsx) is masked
    (`pii.PATH_SHAPES`, always: the name is shown in every output and on the terminal)."""
    return mask_text(printable(os.fspath(p)), PATH_SHAPES)


def shown_paths(paths: list[Path]) -> list[str]:
    """`shown_path` of each of `paths`, kept distinct: two files whose names differ only in a
    masked number (异动_410105200801041241.xlsx, 异动_410105200901041241.xlsx) are told apart by
    a number after the second one's name (`…xlsx（2）`), so no finding or annotated copy mixes
    them."""
    out, seen = [], {}
    for p in paths:
        shown = base = shown_path(p)
        n = 1
        while seen.get(shown, p) != p:
            n += 1
            shown = f"{base}（{n}）"
        seen[shown] = p
        out.append(shown)
    return out


def refuse_given(p: Path) -> str | None:
    """Why a path named on the command line cannot be read (Chinese), or None when it can be
    tried. Symbolic links are followed (the user named the path); a FIFO, device or socket is
    refused from its type, without opening it; a path that is not UTF-8 (`shown_path`) is refused,
    so that no report names a file it cannot spell."""
    if printable(os.fspath(p)) != os.fspath(p):
        return NOT_UTF8_NAME
    try:
        st = p.stat()
    except FileNotFoundError:
        if p.is_symlink():
            return "这是一个符号链接，但它指向的文件不存在；请检查链接或直接给出文件"
        return "文件不存在，请检查路径是否正确"
    except PermissionError:
        return "无法访问该路径（权限不足），请检查权限"
    except OSError as exc:
        return f"无法访问该路径（{exc.strerror or exc}），请检查路径"
    kind = _special_kind(st.st_mode)
    if kind:
        return special_message(kind)
    target = locked_name(p.name)
    if target is not None and stat.S_ISREG(st.st_mode) and st.st_size < 4096:
        return (f"这是 Excel/WPS 或 LibreOffice 打开「…{target}」时生成的临时锁定文件，不是表格，不检查；"
                "请给出表格文件本身（名字不以 ~$ 或 .~lock. 开头的那个）")
    return None


# The marker file of a --cache folder (store.MARKER; not imported: the loader does not depend on the store).
STORE_MARKER = ".xueji-store"


def _is_report_dir(d: Path) -> bool:
    """A folder that holds an earlier xueji-check report (so it is not read back as input)."""
    marker = d / "findings.json"
    if not marker.is_file():
        return False
    try:
        with marker.open("rb") as fh:
            return b'"xueji-check"' in fh.read(4096)
    except OSError:
        return False


def _inside(target: str, root: str) -> bool:
    return target == root or target.startswith(root.rstrip(os.sep) + os.sep)


def _is_candidate_name(name: str) -> bool:
    return Path(name).suffix.lower() in FOLDER_SUFFIXES


def _is_ignored_name(name: str) -> bool:
    """Lock files of Excel/WPS (~$名册.xlsx) and LibreOffice (.~lock.名册.xlsx#), hidden files."""
    return name.startswith(("~$", "."))


def locked_name(name: str) -> str | None:
    """The workbook a lock file stands for: `~$名册.xlsx` (Excel/WPS; Excel drops the first
    characters of a long name, so this is the end of the name), `.~lock.名册.xlsx#` (LibreOffice);
    None when `name` is no lock file."""
    if name.startswith("~$") and len(name) > 2:
        return name[2:]
    if name.startswith(".~lock.") and name.endswith("#") and len(name) > 8:
        return name[7:-1]
    return None


def _open_elsewhere(lock: Path) -> str:
    """The message for a workbook with a lock file beside it (`lock`)."""
    return (f"旁边有锁定文件 {lock.name}：这个文件可能正在 Excel/WPS 中打开，检查的是它上次保存的内容，"
            "未保存的修改不在其中；请先保存并关闭它再检查")


class _Walk:
    """One folder given on the command line, walked without following links out of it."""

    def __init__(self, root: Path, problems: list[Problem], not_checked: list[NotChecked]) -> None:
        self.root = root
        self.real_root = os.path.realpath(root)
        self.problems = problems
        self.not_checked = not_checked
        self.found: list[Path] = []
        self.skipped: list[str] = []  # names that are not spreadsheets
        self.ignored = 0  # lock and hidden files
        self.locks: list[Path] = []  # lock files of Excel/WPS/LibreOffice
        self.reports: set[Path] = set()
        self.caches: set[Path] = set()

    def refuse(self, p: Path, reason: str, folder: bool = False) -> None:
        self.problems.append(Problem("error", str(p), None, None, reason))
        self.not_checked.append(NotChecked(str(p), reason, folder))

    def rel(self, p: Path) -> str:
        try:
            return str(p.relative_to(self.root))
        except ValueError:
            return str(p)

    def run(self) -> None:
        stack = [self.root]
        while stack:
            d = stack.pop()
            if os.path.isfile(os.path.join(d, STORE_MARKER)):  # a --cache folder: the tool's own data
                self.caches.add(d)
                continue
            try:
                with os.scandir(d) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError as exc:
                why = "权限不足" if isinstance(exc, PermissionError) else (exc.strerror or str(exc))
                what = "文件夹" if d == self.root else "子文件夹"
                self.refuse(d, f"无法打开这个{what}（{why}），其中的文件未检查；请检查权限后再运行", folder=True)
                continue
            subdirs = []
            for e in entries:
                p = d / e.name
                if _is_ignored_name(e.name):
                    self.ignored += 1
                    if locked_name(e.name):
                        self.locks.append(p)
                    continue
                if e.is_symlink():
                    self.link(p, e.name)
                    continue
                try:
                    is_dir = e.is_dir(follow_symlinks=False)
                except OSError:
                    is_dir = False
                if is_dir:
                    subdirs.append(p)
                    continue
                if not _is_candidate_name(e.name):
                    self.skipped.append(self.rel(p))
                    continue
                try:
                    mode = e.stat(follow_symlinks=False).st_mode
                except OSError as exc:
                    self.refuse(p, f"无法访问该文件（{exc.strerror or exc}），请检查权限")
                    continue
                kind = _special_kind(mode)
                if kind:
                    self.refuse(p, special_message(kind))
                    continue
                self.file(p)
            stack.extend(reversed(subdirs))

    def link(self, p: Path, name: str) -> None:
        target = os.path.realpath(p)
        try:
            st = os.stat(p)
        except OSError:
            if _is_candidate_name(name):
                self.refuse(p, "这是一个符号链接，但它指向的文件不存在，未检查；请检查链接或直接给出文件")
            else:
                self.skipped.append(f"{self.rel(p)}（失效的链接）")
            return
        is_dir = stat.S_ISDIR(st.st_mode)
        if not _inside(target, self.real_root):
            if is_dir or _is_candidate_name(name):
                target_word = "文件夹" if is_dir else "文件"
                unread = "文件夹，其中的文件" if is_dir else "文件"
                self.refuse(p, f"这是一个指向所给文件夹之外的符号链接，为安全起见未跟随，它指向的{unread}未检查；"
                               f"如需检查，请在命令行直接给出它指向的{target_word}", folder=is_dir)
            else:
                self.skipped.append(f"{self.rel(p)}（指向文件夹之外的链接）")
            return
        if is_dir or not _is_candidate_name(name):
            if not is_dir:
                self.skipped.append(self.rel(p))
            return  # a link to a folder inside: that folder is walked itself
        kind = _special_kind(st.st_mode)
        if kind:
            self.refuse(p, special_message(kind))
            return
        self.file(p)

    def file(self, p: Path) -> None:
        if p.name in REPORT_NAMES and _is_report_dir(p.parent):
            self.reports.add(p.parent)
            return
        self.found.append(p)

    def report(self) -> None:
        for d in sorted(self.caches):
            self.problems.append(Problem("info", str(d), None, None,
                                         "这是 xueji-check 的缓存文件夹（--cache），其中的数据不作为输入读取；"
                                         "缓存文件夹请放在要检查的文件夹之外"))
        for d in sorted(self.reports):
            self.problems.append(Problem("info", str(d), None, None,
                                         "这是之前输出的检查报告文件夹，其中的报告文件不作为输入读取"))
        if self.skipped or self.ignored:
            parts = []
            if self.skipped:
                names = "、".join(self.skipped[:NAMES_SHOWN])
                more = f" 等 {len(self.skipped)} 个" if len(self.skipped) > NAMES_SHOWN else ""
                parts.append(f"有 {len(self.skipped)} 个文件不是表格文件，未读取：{names}{more}"
                             f"（只读取 {' '.join(sorted(FOLDER_SUFFIXES))}；.txt 格式的表格请在命令行直接给出该文件）")
            if self.ignored:
                parts.append(f"{'另有' if self.skipped else '有'} {self.ignored} 个临时锁定文件或隐藏文件，已忽略")
            self.problems.append(Problem("info", str(self.root), None, None, "；".join(parts)))
        warned: set[Path] = set()
        for lock in sorted(self.locks):
            target = locked_name(lock.name) or ""
            beside = [f for f in sorted(self.found) if f.parent == lock.parent]
            # the workbook of that name; else one whose name ends so (Excel cuts a long name's start)
            hits = [f for f in beside if f.name == target] or [f for f in beside if f.name.endswith(target)]
            if len(hits) == 1 and hits[0] not in warned:
                warned.add(hits[0])
                self.problems.append(Problem("warning", str(hits[0]), None, None, _open_elsewhere(lock)))


def discover(paths: list[Path], problems: list[Problem], not_checked: list[NotChecked] | None = None) -> list[Path]:
    """The files to read, in a stable order, from the paths given on the command line.

    A folder is walked (see the module's docstring); a file is taken as given. What is not read
    becomes a Problem naming it; what should have been read but cannot be is also appended to
    `not_checked`. Never opens a file (only `stat`), never follows a link out of a folder."""
    if not_checked is None:
        not_checked = []
    out: list[Path] = []
    seen: set[Path] = set()

    def add(f: Path) -> None:
        shown = shown_path(f)
        if printable(os.fspath(f)) != os.fspath(f):
            problems.append(Problem("error", shown, None, None, NOT_UTF8_NAME))
            not_checked.append(NotChecked(shown, NOT_UTF8_NAME))
            return
        try:
            key = f.resolve()
        except OSError:
            key = f.absolute()
        if key in seen:
            return
        seen.add(key)
        out.append(f)

    for p in paths:
        why = refuse_given(p)
        if why:
            problems.append(Problem("error", shown_path(p), None, None, why))
            not_checked.append(NotChecked(shown_path(p), why))
            continue
        if p.is_dir():
            walk = _Walk(p, problems, not_checked)
            walk.run()
            walk.report()
            for f in sorted(walk.found):
                add(f)
            if not walk.found:
                problems.append(Problem("error", str(p), None, None,
                                        "文件夹中没有找到表格文件（.xlsx/.xls/.csv 等），请检查路径"))
        else:
            add(p)
    return out


# ----------------------------------------------------------------------------- memory
# How much memory reading a file takes, as a multiple of its size. Measured with
# `load_file` on roster-shaped files (peak RSS growth / file size): UTF-8 CSV 5.1-5.4,
# GB18030 CSV 6.5-6.9, UTF-16 CSV 4.7 (bytes, decoded text, UTF-8 copy and the Polars frame
# are alive together for a moment). 8 leaves a margin; the later stages (normalising, rules)
# need more again, in proportion to the rows, not to this read.
TEXT_READ_FACTOR = 8
# A Parquet file's size says little (a column of repeated values compresses 300-fold): its
# cells are counted from the metadata. Measured 28 bytes a cell (300k rows x 10 text columns).
PARQUET_BYTES_PER_CELL = 48
# Below this, no file is measured against the free memory (any machine has it).
GATE_FROM_BYTES = 32 * 1024**2


def _read_int(path: str) -> int | None:
    try:
        with open(path, encoding="ascii") as fh:
            text = fh.read().strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


def _stat_value(path: str, key: str) -> int:
    """The number after `key` in a "key value [unit]" file (/proc/meminfo, memory.stat), 0 if none."""
    try:
        with open(path, encoding="ascii") as fh:
            for line in fh:
                parts = line.split()
                if len(parts) >= 2 and parts[0] == key and parts[1].isdigit():
                    return int(parts[1])
    except (OSError, UnicodeDecodeError):
        pass
    return 0


def _cgroup_available(proc_cgroup: str = "/proc/self/cgroup", base: str = "/sys/fs/cgroup") -> list[int]:
    """Room left under the memory limits of this process's cgroups (v2 and v1), each limit
    minus what counts against it that cannot be given back (its inactive page cache can)."""
    out: list[int] = []
    try:
        with open(proc_cgroup, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return out
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, rel = parts
        if controllers == "":  # v2: the limit may sit on this group or any parent
            d = os.path.normpath(base + rel)
            while d.startswith(base):
                limit = _read_int(os.path.join(d, "memory.max"))
                used = _read_int(os.path.join(d, "memory.current"))
                if limit is not None and used is not None:
                    used -= _stat_value(os.path.join(d, "memory.stat"), "inactive_file")
                    out.append(limit - max(used, 0))
                if d == base:
                    break
                d = os.path.dirname(d)
        elif "memory" in controllers.split(","):
            for d in {os.path.normpath(base + "/memory" + rel), base + "/memory"}:
                limit = _read_int(os.path.join(d, "memory.limit_in_bytes"))
                used = _read_int(os.path.join(d, "memory.usage_in_bytes"))
                stat_file = os.path.join(d, "memory.stat")
                if limit is not None:  # a parent's limit applies too
                    limit = min(limit, _stat_value(stat_file, "hierarchical_memory_limit") or limit)
                if limit is not None and used is not None and limit < 1 << 60:
                    used -= _stat_value(stat_file, "total_inactive_file")
                    out.append(limit - max(used, 0))
    return out


def available_memory() -> int | None:
    """Bytes this process can still take before the system (or its container) kills it: the
    smallest of MemAvailable (/proc/meminfo), the room under each cgroup memory limit and the
    room under RLIMIT_AS; the free physical pages (os.sysconf) where /proc is missing; None
    where nothing is known (then no file is refused for its size)."""
    vals: list[int] = []
    kb = _stat_value("/proc/meminfo", "MemAvailable:")
    if kb:
        vals.append(kb * 1024)
    else:
        try:
            vals.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError, AttributeError):
            pass
    vals += _cgroup_available()
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY:
            vm = _stat_value("/proc/self/status", "VmSize:") * 1024
            vals.append(soft - vm)
    except (ImportError, OSError, ValueError):
        pass
    return max(min(vals), 0) if vals else None


def _human(n: float) -> str:
    return f"{n / 1024**3:,.1f} GB" if n >= 1024**3 else f"{n / 1024**2:,.0f} MB"


class _MemoryGate:
    """Admission of reads by the memory they need. A read that would not fit even alone is
    refused (LoadError); one that does not fit beside the reads in progress (the loader reads
    up to four files at once) waits for them. What the others have reserved is counted in full
    although part of it already shows in the free memory: two big files are read one after the
    other rather than both at once."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._held = 0

    @contextmanager
    def reserve(self, need: int, size: int) -> Iterator[None]:
        if need < GATE_FROM_BYTES:
            yield
            return
        with self._cond:
            while True:
                avail = available_memory()
                if avail is None or need <= avail - self._held:
                    break
                if self._held == 0:
                    raise LoadError(
                        f"文件有 {_human(size)}，读取它约需 {_human(need)} 内存，而本机（或所在容器）现在只有约 "
                        f"{_human(avail)} 可用，为免程序被系统强行终止，已拒绝读取；请把它拆分成几个较小的文件"
                        "（例如按学校或年级）后再检查，或在内存更大的机器上检查")
                self._cond.wait()
            self._held += need
        try:
            yield
        finally:
            with self._cond:
                self._held -= need
                self._cond.notify_all()


MEMORY = _MemoryGate()
