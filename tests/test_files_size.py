"""Size (issue 11 point 11): the head of a file is sniffed before it is read; a text file is read
bounded by its size and admitted by the memory it needs; a file too big for memory is refused
with a message naming it and what to do, and the other files are still checked. Big files are
sparse (truncate): they take no room on disk."""

from __future__ import annotations

import os
import resource
import signal
import threading
from pathlib import Path

import pytest

from conftest import ROSTER_HEADERS, make_id, roster_row, write_csv, write_xlsx
from xueji_check.load import InputFile, LoadError, load_file
from xueji_check.load import files as lfiles

AS_OF = "2025-01-01"
GB = 1024**3


@pytest.fixture(autouse=True)
def hang_guard():
    def boom(*_):
        raise TimeoutError("a big file was read instead of refused")

    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(120)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sparse(path: Path, head: bytes, size: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(head)
    os.truncate(path, size)
    assert path.stat().st_size == size
    return path


def csv_head(rows: int) -> bytes:
    body = [roster_row(f"S{i}", f"学生{i}", make_id(seq=f"{i % 900 + 100:03d}")) for i in range(rows)]
    import csv
    import io

    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows([ROSTER_HEADERS, *body])
    return buf.getvalue().encode("utf-8")


def load(p: Path) -> tuple[InputFile, list]:
    inp = InputFile(p, str(p), None)
    problems: list = []
    load_file(inp, problems)
    return inp, problems


def test_multi_gb_nul_csv_is_refused_from_its_head(tmp_path):
    p = sparse(tmp_path / "全是零.csv", b"", 8 * GB)
    before = rss_mb()
    inp, problems = load(p)
    assert not inp.ok and "二进制" in problems[0].message
    assert rss_mb() - before < 100  # the 8 GB were never read
    assert inp.size == 8 * GB


@pytest.mark.parametrize("head", [b"%PDF-1.7\n", b"\x89PNG\r\n\x1a\n", b"\x1f\x8b\x08\x00", bytes(range(256))])
def test_binary_content_named_csv_is_refused_with_what_it_is(tmp_path, head):
    p = sparse(tmp_path / "名册.csv", head, 3 * GB)
    inp, problems = load(p)
    assert not inp.ok and "不是文本表格" in problems[0].message and "另存为" in problems[0].message


def test_big_binary_named_xlsx_is_refused_before_it_is_hashed(tmp_path, monkeypatch):
    import hashlib

    monkeypatch.setattr(hashlib, "file_digest", lambda *a, **k: pytest.fail("hashed"))
    p = sparse(tmp_path / "名册.xlsx", b"", 8 * GB)
    inp, problems = load(p)
    assert not inp.ok and "不是 Excel 格式" in problems[0].message


def test_text_too_big_for_memory_is_refused_by_name_and_the_run_goes_on(tmp_path, cli):
    from bad_inputs.cases_files import too_big_for_memory

    d = tmp_path / "in"
    write_xlsx(d / "名册.xlsx", [ROSTER_HEADERS, roster_row("S1", "", make_id())])
    size = too_big_for_memory()
    sparse(d / "超大.csv", csv_head(1000), size)  # real rows first, so not refused as binary
    before = rss_mb()
    r = cli("check", d, "--as-of", AS_OF)
    assert rss_mb() - before < 300
    assert r.code == 1
    line = [ln for ln in r.stderr.splitlines() if "超大.csv" in ln]
    assert line and "内存" in line[0] and "拆分" in line[0] and "GB" in line[0], r.stderr
    assert r.rule("S002").height == 1  # the other file was checked
    assert r.json["run"]["files_not_checked"] == 1


def test_the_limit_is_the_memory_available(tmp_path, monkeypatch):
    """A 6 MB CSV needs ~48 MB: refused with 40 MB available, read with 60 MB."""
    p = tmp_path / "名册.csv"
    p.write_bytes(csv_head(60_000))
    size = p.stat().st_size
    assert size * lfiles.TEXT_READ_FACTOR >= lfiles.GATE_FROM_BYTES
    need = size * lfiles.TEXT_READ_FACTOR
    monkeypatch.setattr(lfiles, "available_memory", lambda: need - 1)
    inp, problems = load(p)
    assert not inp.ok
    msg = problems[0].message
    assert "读取它约需" in msg and "可用" in msg and "拆分" in msg
    monkeypatch.setattr(lfiles, "available_memory", lambda: need + 1)
    inp, problems = load(p)
    assert inp.ok and inp.tables[0].raw.height == 60_000
    monkeypatch.setattr(lfiles, "available_memory", lambda: None)  # unknown: not refused
    inp, _ = load(p)
    assert inp.ok


def test_small_files_are_not_measured(tmp_path, monkeypatch):
    monkeypatch.setattr(lfiles, "available_memory", lambda: pytest.fail("measured"))
    p = write_csv(tmp_path / "名册.csv", [ROSTER_HEADERS, roster_row("S1", "甲", make_id())])
    inp, _ = load(p)
    assert inp.ok


def test_reads_that_fit_alone_but_not_together_wait_instead_of_failing(monkeypatch):
    gate = lfiles._MemoryGate()
    monkeypatch.setattr(lfiles, "available_memory", lambda: 150 * 1024**2)
    need = 100 * 1024**2
    first_in, second_in, release = threading.Event(), threading.Event(), threading.Event()
    errors: list = []

    def first():
        with gate.reserve(need, need // 8):
            first_in.set()
            release.wait(10)

    def second():
        first_in.wait(10)
        try:
            with gate.reserve(need, need // 8):
                second_in.set()
        except LoadError as exc:
            errors.append(exc)

    a, b = threading.Thread(target=first), threading.Thread(target=second)
    a.start()
    b.start()
    first_in.wait(10)
    assert not second_in.wait(0.3)  # waiting for the first read
    release.set()
    a.join(10)
    b.join(10)
    assert second_in.is_set() and not errors and gate._held == 0


def test_a_read_that_cannot_fit_alone_is_refused_at_once(monkeypatch):
    gate = lfiles._MemoryGate()
    monkeypatch.setattr(lfiles, "available_memory", lambda: 50 * 1024**2)
    with pytest.raises(LoadError, match="拆分"), gate.reserve(100 * 1024**2, 12 * 1024**2):
        pass
    assert gate._held == 0


def test_a_file_that_grows_while_read_is_refused():
    import io

    from xueji_check.load import _read_whole

    fh = io.BytesIO(b"a,b\r\n1,2\r\n" + b"3,4\r\n")
    head = fh.read(4)
    with pytest.raises(LoadError, match="变大"):
        _read_whole(fh, head, 10)
    fh.seek(0)
    head = fh.read(4)
    assert _read_whole(fh, head, 15) == b"a,b\r\n1,2\r\n3,4\r\n"


def test_available_memory_is_at_most_memavailable():
    if not os.path.exists("/proc/meminfo"):
        pytest.skip("no /proc here")
    avail = lfiles.available_memory()
    mem = lfiles._stat_value("/proc/meminfo", "MemAvailable:") * 1024
    assert avail is not None and 0 < avail <= mem


def _write(p: Path, text: str) -> None:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)


def test_cgroup_v2_limit_counts_minus_inactive_cache(tmp_path):
    base = tmp_path / "cg"
    _write(tmp_path / "cgroup", "0::/job/step\n")
    _write(base / "job" / "step" / "memory.max", "max\n")
    _write(base / "job" / "step" / "memory.current", str(300 * 2**20))
    _write(base / "job" / "memory.max", str(1024 * 2**20))
    _write(base / "job" / "memory.current", str(600 * 2**20))
    _write(base / "job" / "memory.stat", f"anon 1\ninactive_file {100 * 2**20}\n")
    got = lfiles._cgroup_available(str(tmp_path / "cgroup"), str(base))
    assert got == [(1024 - 500) * 2**20]


def test_cgroup_v1_limit(tmp_path):
    base = tmp_path / "cg"
    _write(tmp_path / "cgroup", "4:memory:/docker/abc\n3:cpu:/\n")
    d = base / "memory" / "docker" / "abc"
    _write(d / "memory.limit_in_bytes", str(2 * GB))
    _write(d / "memory.usage_in_bytes", str(GB))
    _write(d / "memory.stat", f"total_inactive_file {GB // 4}\nhierarchical_memory_limit {2 * GB}\n")
    _write(base / "memory" / "memory.limit_in_bytes", "9223372036854771712")  # unlimited
    _write(base / "memory" / "memory.usage_in_bytes", "1")
    assert lfiles._cgroup_available(str(tmp_path / "cgroup"), str(base)) == [2 * GB - 3 * GB // 4]


def test_rlimit_as_is_respected():
    """In a process with `ulimit -v`, the room under it is what counts."""
    import subprocess
    import sys

    code = ("import resource; resource.setrlimit(resource.RLIMIT_AS, (4 * 1024**3, resource.RLIM_INFINITY));"
            "from xueji_check.load.files import available_memory; print(available_memory())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert 0 <= int(out.stdout) < 4 * GB
