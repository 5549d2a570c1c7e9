"""Which files in an output folder the tool wrote, so that `check --out` replaces only its own.

`check` and `validate` replace the files that bear their output names (findings.csv, report.xlsx,
…) in ``--out`` and remove those an earlier run wrote that this run does not. A file of such a
name that the user put there, or edited after the tool wrote it, is not the tool's to replace:
the run refuses before reading anything (exit 2) unless ``--force`` is given.

How a file is known to be the tool's:

- every commit writes `RECORD` (``.xueji-check-outputs.json``) beside the report, in the same
  all-or-nothing step, with each file's size and sha256. A file listed there with the same size
  and content is the tool's; a listed file whose content differs was edited (saved in Excel/WPS);
  a file not listed was put there by someone else;
- a folder without a readable record (written by a version before the record, or the record
  deleted) is judged by content: each output name has a signature that the tool's own file of
  that name carries (`_LOOKS_OURS`), read from the file's first bytes. A file without it is not
  the tool's.

A link bearing an output name is never the tool's (the tool writes none).

`Checked` keeps what was seen of each file at the check (size, mtime, inode); the commit compares
them again under the folder lock (`Checked.changed`), so a file dropped into the folder while the
run worked is not replaced either.
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

RECORD = ".xueji-check-outputs.json"
HEAD_BYTES = 64 * 1024  # how much of a file the content signatures read


def file_sha256(path: Path) -> str:
    """The sha256 (hex) of a file's content, read in 1 MiB blocks. Raises OSError."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def record_of(folder: Path, names: Iterable[str], kept: Iterable[Path] = ()) -> dict:
    """The record of the files `names` in `folder` (a staging folder just before its commit), and
    of `kept`: output files of the folder this run leaves in place (a baseline read from it), so
    that the next run does not take them for the user's:
    ``{"tool": "xueji-check", "files": {name: {"size": bytes, "sha256": hex}}}``."""
    files = {}
    for p in [*(folder / n for n in names), *kept]:
        files[p.name] = {"size": p.stat().st_size, "sha256": file_sha256(p)}
    return {"tool": "xueji-check", "files": files}


BAD_RECORD = {"files": {}}  # a record that is there but cannot be read: lists nothing, so trusts nothing


def _read_record(out: Path) -> dict | None:
    """The folder's record; None when there is none (a folder of an earlier version: judged by
    content); `BAD_RECORD` when one is there but cannot be read or is not one (review: falling back
    to content let an edited report.xlsx be replaced), so that every output file is refused."""
    p = out / RECORD
    if not (p.exists() or p.is_symlink()):
        return None
    try:
        if p.is_symlink() or not p.is_file() or p.stat().st_size > 1 << 20:
            return BAD_RECORD
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return BAD_RECORD
    if not isinstance(doc, dict) or doc.get("tool") != "xueji-check" or not isinstance(doc.get("files"), dict):
        return BAD_RECORD
    return doc


def _head(path: Path, n: int = HEAD_BYTES) -> bytes:
    with path.open("rb") as fh:
        return fh.read(n)


def _csv_header(first: tuple[str, ...]):
    want = ",".join(first).encode()

    def test(path: Path) -> bool:
        return _head(path, 4096).removeprefix(b"\xef\xbb\xbf").startswith(want)

    return test


def _json_ours(path: Path) -> bool:
    return re.search(rb'"tool"\s*:\s*"xueji-check"', _head(path)) is not None


def _html_ours(path: Path) -> bool:
    return "<title>xueji-check 检查报告".encode() in _head(path)


def _xlsx_ours(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as z:
            info = z.getinfo("xl/workbook.xml")
            if info.file_size > 1 << 20:
                return False
            wb = z.read(info).decode("utf-8", "replace")
    except (OSError, KeyError, zipfile.BadZipFile, ValueError):
        return False
    return 'name="总览"' in wb and 'name="问题清单"' in wb


def _parquet_ours(path: Path) -> bool:
    import polars as pl

    try:
        cols = list(pl.read_parquet_schema(path))
    except Exception:  # noqa: BLE001 - any unreadable file is not ours
        return False
    return cols[:4] == ["rule_id", "severity", "dataset", "file"] and "fingerprint" in cols


# The signature each output name of the tool carries (a folder written before RECORD existed).
_LOOKS_OURS = {
    "findings.csv": _csv_header(("rule_id", "severity", "dataset", "file")),
    "问题清单.csv": _csv_header(("规则", "级别", "数据", "文件")),
    "findings.json": _json_ours,
    "findings.parquet": _parquet_ours,
    "report.xlsx": _xlsx_ours,
    "report.html": _html_ours,
}


def _stat_key(p: Path) -> tuple[int, int, int] | None:
    try:
        st = p.lstat()
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


@dataclass
class Checked:
    """What `check_folder` saw: each output name present, as (size, mtime_ns, inode)."""

    out: Path
    names: tuple[str, ...]
    seen: dict[str, tuple[int, int, int] | None] = field(default_factory=dict)

    def changed(self) -> list[str]:
        """The output names whose file appeared, went or changed since the check."""
        return [n for n in self.names if _stat_key(self.out / n) != self.seen.get(n)]


def check_folder(out: Path, names: Iterable[str]) -> tuple[list[tuple[str, str]], Checked]:
    """Which files bearing one of `names` in `out` the tool may not replace.

    Returns ``(refused, checked)``: `refused` lists (name, why) with `why` one of ``"link"``,
    ``"edited"`` (listed in the record, content changed), ``"foreign"`` (not the tool's),
    ``"record"`` (the record is there but unreadable); `checked`
    is what was seen, for the commit to compare again. A folder that does not exist holds
    nothing. Reading errors make a file foreign (it cannot be shown to be the tool's)."""
    names = tuple(names)
    checked = Checked(out, names)
    refused: list[tuple[str, str]] = []
    if not out.is_dir():
        return refused, checked
    record = _read_record(out)
    for name in names:
        p = out / name
        checked.seen[name] = key = _stat_key(p)
        if key is None:
            continue
        if p.is_symlink():
            refused.append((name, "link"))
            continue
        if not p.is_file():
            continue  # a folder of that name: the commit refuses it with its own message
        try:
            if record is BAD_RECORD:
                refused.append((name, "record"))
            elif record is not None:
                listed = record["files"].get(name)
                if not isinstance(listed, dict):
                    refused.append((name, "foreign"))
                elif listed.get("size") != key[0] or listed.get("sha256") != file_sha256(p):
                    refused.append((name, "edited"))
            elif not _LOOKS_OURS.get(name, lambda _p: False)(p):
                refused.append((name, "foreign"))
        except OSError:
            refused.append((name, "foreign"))
    return refused, checked


WHY_ZH = {"link": "是一个链接，不是本工具写出的文件",
          "edited": "在本工具写出后被修改过（可能在 Excel/WPS 中编辑并保存过）",
          "foreign": "不是本工具写出的文件",
          "record": f"无法确认是本工具写出且未被修改的（记录文件 {RECORD} 无法读取）"}


def refusal_message(out: Path, refused: list[tuple[str, str]], shown: str) -> str:
    """The Chinese message for `refused` files in the output folder `shown` (the folder's name
    as it may be printed)."""
    by_why: dict[str, list[str]] = {}
    for name, why in refused:
        by_why.setdefault(why, []).append(name)
    which = "；".join(f"{'、'.join(names)} {WHY_ZH[why]}" for why, names in by_why.items())
    return (f"输出文件夹 {shown} 中已有同名文件：{which}。为免覆盖或删除您的文件，本次未运行，什么也没有写出。"
            "请把这些文件移走或改名后重新运行，或用 --out 换一个输出文件夹；确认可以覆盖时加 --force")
