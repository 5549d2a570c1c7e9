"""Never lose a user's file (issue 11, points 1-3 and 12): named outputs refuse existing files
without --force and inputs always; a report is replaced all-or-nothing, also when one file
cannot be replaced; interrupted or killed runs leave no staging folder behind; a full disk or
TMPDIR gets a Chinese message that says what to do."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROSTER_HEADERS, make_id, roster_row, write_xlsx
from xueji_check.report import publish

AS_OF = "2025-01-01"
AID = [["学籍号", "姓名", "身份证号", "学校名称", "学期", "资助类型", "金额"],
       ["S1", "张三", make_id("20030101", seq="123"), "东方技工学校", "2018秋", "国家助学金", "1000"]]


def _roster(path: Path, empty_name: bool = True) -> Path:
    return write_xlsx(path, [ROSTER_HEADERS, roster_row("S1", "" if empty_name else "甲", make_id(seq="101")),
                             roster_row("S2", "乙", make_id(seq="103"))])


def _snapshot(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()}


def _stages(out: Path) -> list[Path]:
    return sorted(out.glob(".xueji-tmp-*"))


def _no_bug_report(text: str) -> None:
    assert "Traceback" not in text and "反馈" not in text, text


# ------------------------------------------------------------------ 1. named files
def test_template_refuses_existing_file_without_force(tmp_path, cli):
    t = tmp_path / "模板.xlsx"
    t.write_bytes(b"my own work")
    r = cli("schema", "roster", "--template", t)
    assert r.code == 2 and "已存在" in r.stderr and "--force" in r.stderr
    assert t.read_bytes() == b"my own work"
    r = cli("schema", "roster", "--template", t, "--force")
    assert r.code == 0, r.stderr
    assert t.read_bytes()[:2] == b"PK"
    (tmp_path / "夹.xlsx").mkdir()
    r = cli("schema", "roster", "--template", tmp_path / "夹.xlsx", "--force")
    assert r.code == 2 and "文件夹" in r.stderr
    _no_bug_report(r.stderr)


def test_publicity_make_refuses_existing_and_input_files(tmp_path, cli):
    aid = write_xlsx(tmp_path / "资助.xlsx", AID)
    roster = _roster(tmp_path / "名册.xlsx", empty_name=False)
    before = {p: p.read_bytes() for p in (aid, roster)}
    for target, extra in ((aid, ()), (aid, ("--force",)), (roster, ("--force",))):
        r = cli("publicity", "make", "--aid", aid, "--roster", roster, "--start", "2018-11-05", "--out", target, *extra)
        assert r.code == 2 and "输入文件" in r.stderr, r.stderr
    os.link(aid, tmp_path / "硬链接.xlsx")  # another name of the same file
    r = cli("publicity", "make", "--aid", aid, "--start", "2018-11-05", "--out", tmp_path / "硬链接.xlsx", "--force")
    assert r.code == 2 and "输入文件" in r.stderr
    assert {p: p.read_bytes() for p in before} == before
    out = tmp_path / "公示.xlsx"
    out.write_bytes(b"last year's list")
    r = cli("publicity", "make", "--aid", aid, "--start", "2018-11-05", "--out", out)
    assert r.code == 2 and "已存在" in r.stderr and "--force" in r.stderr
    assert out.read_bytes() == b"last year's list"
    r = cli("publicity", "make", "--aid", aid, "--start", "2018-11-05", "--out", out, "--force")
    assert r.code == 0, r.stderr
    assert out.read_bytes()[:2] == b"PK"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_publicity_make_removes_temp_files_of_killed_runs(tmp_path, cli):
    aid = write_xlsx(tmp_path / "资助.xlsx", AID)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    left = tmp_path / f".公示.{dead.stdout.strip()}.tmp.xlsx"  # a run killed with kill -9
    left.write_bytes(b"PK half")
    live = tmp_path / f".公示.{os.getppid()}.tmp.xlsx"  # a process that lives: left alone
    live.write_bytes(b"PK other")
    other = tmp_path / ".公示.备份.tmp.xlsx"
    other.write_bytes(b"not ours")
    r = cli("publicity", "make", "--aid", aid, "--start", "2018-11-05", "--out", tmp_path / "公示.xlsx")
    assert r.code == 0, r.stderr
    assert not left.exists() and live.exists() and other.exists()


def test_init_config_refuses_folder_and_existing(tmp_path, cli):
    r = cli("init-config", tmp_path)
    assert r.code == 2 and "文件夹" in r.stderr
    _no_bug_report(r.stderr)
    cfg = tmp_path / "xueji.toml"
    cfg.write_text("# mine", encoding="utf-8")
    r = cli("init-config", cfg)
    assert r.code == 2 and cfg.read_text(encoding="utf-8") == "# mine"


def test_init_config_never_writes_over_a_spreadsheet_even_with_force(tmp_path, cli):
    """`init-config 学籍名册.xlsx --force` replaced a roster with TOML text. Near miss: an old
    policy file is replaced with --force."""
    roster = _roster(tmp_path / "学籍名册.xlsx")
    data = roster.read_bytes()
    r = cli("init-config", roster, "--force")
    assert r.code == 2 and "表格文件" in r.stderr and roster.read_bytes() == data
    cfg = tmp_path / "旧策略.toml"
    cfg.write_text("# old", encoding="utf-8")
    assert cli("init-config", cfg, "--force").code == 0 and "over_age" in cfg.read_text(encoding="utf-8")


def test_check_never_writes_over_an_input(tmp_path, cli):
    good = _roster(tmp_path / "名册.xlsx")
    data = good.read_bytes()
    # --out is the input file itself
    r = cli("check", good, "--as-of", AS_OF, out=good)
    assert r.code == 2 and "输入文件" in r.stderr and good.read_bytes() == data
    # an input whose name is one of the report's files, inside --out
    out = tmp_path / "out"
    out.mkdir()
    named = out / "findings.csv"
    named.write_text("学籍号,姓名\nS1,甲\n", encoding="utf-8")
    r = cli("check", good, "--roster", named, "--as-of", AS_OF, out=out)
    assert r.code == 2 and "输入文件" in r.stderr, r.stderr
    assert named.read_text(encoding="utf-8") == "学籍号,姓名\nS1,甲\n"
    # the same through a hard link under the report's name
    out2 = tmp_path / "out2"
    out2.mkdir()
    os.link(good, out2 / "report.xlsx")
    r = cli("check", good, "--as-of", AS_OF, out=out2)
    assert r.code == 2 and "输入文件" in r.stderr
    assert good.read_bytes() == data and (out2 / "report.xlsx").read_bytes() == data
    assert not _stages(out) and not _stages(out2)


def test_inputs_are_resolved_as_path_resolve_does(tmp_path, monkeypatch):
    """`same_file_as_any` resolves each folder once: the same paths as `Path.resolve` for files,
    links to files and to folders, relative paths, `..`, missing files and a link to a missing
    file; a link to an input is that input."""
    from xueji_check.report import _resolver, same_file_as_any

    real = tmp_path / "真" / "子"
    real.mkdir(parents=True)
    (real / "a.xlsx").write_bytes(b"a")
    (tmp_path / "folder-link").symlink_to(real)
    (real / "file-link.xlsx").symlink_to(real / "a.xlsx")
    (real / "dangling.xlsx").symlink_to(tmp_path / "nowhere.xlsx")
    monkeypatch.chdir(real)
    paths = [real / "a.xlsx", tmp_path / "folder-link" / "a.xlsx", real / "file-link.xlsx",
             Path("a.xlsx"), Path("../子/a.xlsx"), real / ".." / "子" / "a.xlsx", real / "missing.xlsx",
             real / "dangling.xlsx", tmp_path / "folder-link" / "file-link.xlsx", Path(".."), real / ".",
             tmp_path / "folder-link"]
    resolve = _resolver()
    assert [resolve(p) for p in paths] == [p.resolve() for p in paths]
    test = same_file_as_any([real / "a.xlsx"])
    assert test(tmp_path / "folder-link" / "file-link.xlsx") and test(Path("a.xlsx"))
    assert not test(real / "missing.xlsx") and not test(real / "dangling.xlsx")


def test_baseline_in_the_same_out_folder_is_replaced_after_it_is_read(tmp_path, cli):
    good = _roster(tmp_path / "名册.xlsx")
    out = tmp_path / "out"
    r1 = cli("check", good, "--as-of", AS_OF, out=out)
    fixed = _roster(tmp_path / "改后" / "名册.xlsx", empty_name=False)
    r2 = cli("check", fixed, "--as-of", AS_OF, "--baseline", out / "findings.json", out=out)
    assert r2.code in (0, 1), r2.stderr
    assert [x["rule_id"] for x in r2.json["resolved"]] == ["S002"]
    assert r1.code == 1


# ------------------------------------------------------------------ 2. all or nothing
@pytest.fixture
def immutable():
    """chattr +i a file (root only); undone afterwards."""
    made: list[Path] = []

    def make(p: Path) -> bool:
        if os.geteuid() != 0:
            return False
        if subprocess.run(["chattr", "+i", str(p)], capture_output=True).returncode != 0:
            return False
        made.append(p)
        return True

    yield make
    for p in made:
        subprocess.run(["chattr", "-i", str(p)], capture_output=True)


def _two_runs(tmp_path, cli):
    good = _roster(tmp_path / "名册.xlsx")
    out = tmp_path / "out"
    r = cli("check", good, "--as-of", AS_OF, "--format", "xlsx,csv,json,html", out=out)
    assert r.code == 1
    other = write_xlsx(tmp_path / "新" / "名册.xlsx", [ROSTER_HEADERS, roster_row("S9", "", make_id(seq="105")),
                                                       roster_row("S8", "", make_id(seq="107"))])
    return out, other


def test_immutable_report_file_leaves_every_file_unchanged(tmp_path, cli, immutable):
    out, other = _two_runs(tmp_path, cli)
    if not immutable(out / "report.xlsx"):
        pytest.skip("chattr +i needs root and a disk that supports it")
    before = _snapshot(out)
    r = cli("check", other, "--as-of", AS_OF, "--format", "xlsx,csv,json,html", out=out)
    assert r.code == 2
    assert "report.xlsx" in r.stderr and "上次的报告未被改动" in r.stderr and "没有写出任何报告文件" in r.stderr
    _no_bug_report(r.stderr)
    assert _snapshot(out) == before
    assert not _stages(out)


def test_locked_file_on_windows_is_simulated_by_a_failing_rename(tmp_path, cli, monkeypatch):
    """Excel on Windows keeps report.xlsx open: renaming it fails with a sharing violation."""
    out, other = _two_runs(tmp_path, cli)
    before = _snapshot(out)
    real = os.rename

    def rename(a, b, *args, **kw):
        if Path(a).name == "report.xlsx" and Path(a).parent == out:
            raise PermissionError(errno.EACCES, "The process cannot access the file", str(a))
        return real(a, b, *args, **kw)

    monkeypatch.setattr(publish.os, "rename", rename)
    r = cli("check", other, "--as-of", AS_OF, "--format", "xlsx,csv,json,html", out=out)
    assert r.code == 2 and "无法替换" in r.stderr and "report.xlsx" in r.stderr and "Excel" in r.stderr
    assert _snapshot(out) == before  # findings.csv and findings.json were moved aside and put back
    assert not _stages(out)


def test_failure_while_placing_new_files_puts_the_old_ones_back(tmp_path, cli, monkeypatch):
    out, other = _two_runs(tmp_path, cli)
    before = _snapshot(out)
    real = os.replace

    failed = []

    def replace(a, b, *args, **kw):
        if Path(b) == out / "report.xlsx" and ".xueji-tmp-" in str(a) and not failed:
            failed.append(b)  # the first placing of the new report.xlsx fails, the undo works
            raise OSError(errno.EIO, "I/O error", str(b))
        return real(a, b, *args, **kw)

    monkeypatch.setattr(publish.os, "replace", replace)
    r = cli("check", other, "--as-of", AS_OF, "--format", "xlsx,csv,json,html", out=out)
    assert r.code == 2 and "上次的报告未被改动" in r.stderr
    assert _snapshot(out) == before
    assert not _stages(out)


# ------------------------------------------------------------------ 3. signals and stale stages
RUNNER = r"""
import os, pathlib, signal, sys, time
from xueji_check.report import excel, publish
marker, mode = pathlib.Path(sys.argv[1]), sys.argv[2]

def slow(findings, result, doc, target, **kw):
    pathlib.Path(target).write_bytes(b"PK half-written")
    marker.write_text("writing")
    time.sleep(120)

if mode == "hang":
    excel.write_report = slow
elif mode == "die-in-commit":
    real = os.replace
    def replace(a, b):
        real(a, b)
        if ".xueji-tmp-" in str(a) and ".xueji-tmp-" not in str(b):  # one new file is in place
            os.kill(os.getpid(), signal.SIGKILL)
    publish.os.replace = replace
elif mode == "hold":
    s = publish.Stage(pathlib.Path(sys.argv[3]))
    marker.write_text(str(s.path))
    time.sleep(120)
from xueji_check.cli import app
app(sys.argv[3:], prog_name="xueji-check")
"""


def _spawn(tmp_path: Path, mode: str, *args) -> tuple[subprocess.Popen, Path]:
    marker = tmp_path / f"marker-{mode}"
    marker.unlink(missing_ok=True)
    proc = subprocess.Popen([sys.executable, "-c", RUNNER, str(marker), mode, *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, marker


def _wait_for(marker: Path, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120  # a hang guard, not a timing
    while not marker.exists():
        if proc.poll() is not None:
            pytest.fail(f"runner ended early: {proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("runner never reached the write")
        time.sleep(0.05)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_while_writing_leaves_no_staging_folder(tmp_path, cli, sig):
    out, other = _two_runs(tmp_path, cli)
    before = _snapshot(out)
    proc, marker = _spawn(tmp_path, "hang", "check", other, "--as-of", AS_OF, "--format", "xlsx,csv,json,html",
                          "--out", out)
    _wait_for(marker, proc)
    assert _stages(out)  # it is writing into its staging folder
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2 and "已中断" in err, err
    assert not _stages(out)
    assert _snapshot(out) == before


def test_signal_during_the_replacement_is_acted_on_after_it(tmp_path, cli, monkeypatch):
    """Ctrl-C or SIGTERM while files are being renamed into place: the replacement finishes (or
    is undone) first, and the message says which."""
    out, other = _two_runs(tmp_path, cli)
    real = os.replace
    sent = []

    def replace(a, b, *args, **kw):
        real(a, b, *args, **kw)
        if ".xueji-tmp-" in str(a) and Path(b).parent == out and not sent:
            sent.append(b)
            os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(publish.os, "replace", replace)
    r = cli("check", other, "--as-of", AS_OF, "--format", "xlsx,csv,json,html", out=out)
    assert sent and r.code == 2 and "新的报告在中断前已完整写出" in r.stderr, r.stderr
    assert not _stages(out)
    monkeypatch.undo()
    assert r.findings.filter(r.findings["student_id"].is_in(["S8", "S9"])).height == 2
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert {x["student_id"] for x in doc["findings"]} == {"S8", "S9"}


def test_killed_run_is_cleaned_up_by_the_next_run(tmp_path, cli):
    out, other = _two_runs(tmp_path, cli)
    proc, marker = _spawn(tmp_path, "hang", "check", other, "--as-of", AS_OF, "--out", out)
    _wait_for(marker, proc)
    proc.kill()
    proc.communicate(timeout=120)
    left = _stages(out)
    assert len(left) == 1 and (left[0] / "report.xlsx").exists()
    r = cli("check", other, "--as-of", AS_OF, out=out)
    assert r.code == 1 and r.rule("S002").height == 2
    assert not _stages(out)


def test_run_killed_while_replacing_is_rolled_back(tmp_path, cli):
    out, other = _two_runs(tmp_path, cli)
    before = _snapshot(out)
    proc, _ = _spawn(tmp_path, "die-in-commit", "check", other, "--as-of", AS_OF,
                     "--format", "xlsx,csv,json,html", "--out", out)
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    assert _snapshot(out) != before  # a mixed state on disk right now
    assert publish.clean_stale(out)
    assert _snapshot(out) == before  # the earlier report, whole
    assert not _stages(out)


def test_live_run_staging_folder_is_left_alone(tmp_path, cli):
    out, other = _two_runs(tmp_path, cli)
    proc, marker = _spawn(tmp_path, "hold", out)
    try:
        _wait_for(marker, proc)
        held = Path(marker.read_text())
        r = cli("check", other, "--as-of", AS_OF, out=out)
        assert r.code == 1
        assert held.is_dir() and (held / "lock").exists()  # another run's folder: not touched
    finally:
        proc.kill()
        proc.communicate(timeout=120)
    r = cli("check", other, "--as-of", AS_OF, out=out)
    assert r.code == 1 and not held.exists()


def test_staging_folders_without_a_lock_are_removed_only_when_old(tmp_path, cli):
    out, other = _two_runs(tmp_path, cli)
    old, fresh, mine = out / ".xueji-tmp-old", out / ".xueji-tmp-fresh", out / ".other-tool-tmp"
    for d in (old, fresh, mine):
        d.mkdir()
        (d / "report.xlsx").write_bytes(b"x")
    past = time.time() - publish.STALE_AFTER - 60
    os.utime(old, (past, past))
    os.utime(mine, (past, past))
    r = cli("check", other, "--as-of", AS_OF, out=out)
    assert r.code == 1
    assert not old.exists() and fresh.exists() and mine.exists()


# ------------------------------------------------------------------ 12. disk and TMPDIR
@pytest.fixture
def tiny_disk(tmp_path):
    """A 512 KB tmpfs (root only)."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mnt)],
                                            capture_output=True).returncode != 0:
        pytest.skip("mounting a small tmpfs needs root")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def _fill(disk: Path, leave: int = 0) -> None:
    """Fill `disk` up to `leave` bytes free."""
    st = os.statvfs(disk)
    size = max(0, st.f_bavail * st.f_frsize - leave)
    with contextlib.suppress(OSError), open(disk / "filler", "wb") as fh:
        while size > 0:
            size -= fh.write(b"\0" * min(size, 65536))


@pytest.mark.parametrize("leave", [0, 100_000])
def test_full_disk_says_so_and_keeps_the_last_report(tmp_path, cli, tiny_disk, leave):
    """No room for the staging folder (0), or room that runs out while writing (100 KB)."""
    good = _roster(tmp_path / "名册.xlsx")
    out = tiny_disk / "out"
    r = cli("check", good, "--as-of", AS_OF, "--format", "csv,json", out=out)
    assert r.code == 1
    before = _snapshot(out)
    many = tmp_path / "many.csv"
    many.write_text("\n".join([",".join(ROSTER_HEADERS)] + [",".join(roster_row(f"S{i}", "", make_id(seq=f"{i % 1000:03d}")))
                                                            for i in range(3000)]), encoding="utf-8")
    _fill(tiny_disk, leave)
    for fmt in ("csv", "json", "xlsx", "html", *(() if leave else ("parquet",))):  # parquet fits in 100 KB
        r = cli("check", many, "--as-of", AS_OF, "--format", fmt, out=out)
        assert r.code == 2, (fmt, r.stderr)
        assert "磁盘空间不足" in r.stderr and "请清理磁盘空间" in r.stderr and "上次的报告未被改动" in r.stderr, r.stderr
        _no_bug_report(r.stderr)
        assert _snapshot(out) == before and not _stages(out)


def _run_env(tmp_path: Path, env: dict, *args) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("xueji-check")
    return subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **env})


def test_full_or_missing_tmpdir_does_not_matter(tmp_path, tiny_disk):
    """The tool writes no temporary file to TMPDIR (xlsxwriter's go into the staging folder)."""
    _fill(tiny_disk)
    good = _roster(tmp_path / "名册.xlsx")
    for tmpdir in (tiny_disk, tmp_path / "没有这个文件夹"):
        out = tmp_path / f"out-{tmpdir.name}"
        p = _run_env(tmp_path, {"TMPDIR": str(tmpdir)}, "check", good, "--as-of", AS_OF, "--out", out,
                     "--format", "xlsx,csv,json,html,parquet")
        assert p.returncode == 1, p.stderr
        assert (out / "report.xlsx").exists()
    p = _run_env(tmp_path, {"TMPDIR": str(tiny_disk)}, "validate", good, "--as-of", AS_OF, "--out", tmp_path / "v")
    assert p.returncode == 1, p.stderr
    assert sorted(x.name for x in tiny_disk.iterdir()) == ["filler"]


def test_error_in_tmpdir_names_tmpdir(tmp_path, cli, monkeypatch):
    """Should a library write to the system temporary folder after all, its failure names TMPDIR."""
    from xueji_check.report import files as rfiles

    tmpdir = tmp_path / "系统临时"
    tmpdir.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmpdir))

    def full(df, target):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmpdir / "tmpab12"))

    monkeypatch.setattr(rfiles, "write_csv", full)
    r = cli("check", _roster(tmp_path / "名册.xlsx"), "--as-of", AS_OF)
    assert r.code == 2 and "TMPDIR" in r.stderr and str(tmpdir) in r.stderr and "磁盘空间不足" in r.stderr
    assert "--out" not in r.stderr
    _no_bug_report(r.stderr)


@pytest.mark.parametrize("content, expect", [
    (b"not json at all", "不是有效的 JSON"),
    (b'{"findings": [1, 2]}', "不是 xueji-check 输出的 findings.json"),
    (b"[]", "不是 xueji-check 输出的 findings.json"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe binary", "不是文本文件"),
    (b'{"findings": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}", "findings.json"),
    (b'{"findings": [{"rule_id": "S002"}]}', "没有 fingerprint"),
    (None, "是一个文件夹"),
])
def test_bad_baseline_is_explained_before_the_run(tmp_path, cli, content, expect):
    base = tmp_path / "findings.json"
    if content is None:
        base.mkdir()
    else:
        base.write_bytes(content)
    out = tmp_path / "out"
    r = cli("check", _roster(tmp_path / "名册.xlsx"), "--as-of", AS_OF, "--baseline", base, out=out)
    assert r.code == 2 and expect in r.stderr and "基线文件" in r.stderr and "请给出" in r.stderr, r.stderr
    _no_bug_report(r.stderr)
    assert "codec" not in r.stderr and "Expecting" not in r.stderr
    assert not out.exists()  # refused before the run, nothing written


def test_problems_are_listed_in_full_somewhere(tmp_path, cli):
    """A message met in many files names them, or says where the full list is."""
    d = tmp_path / "in"
    for i in range(6):
        (d / f"坏{i}.xlsx").parent.mkdir(parents=True, exist_ok=True)
        (d / f"坏{i}.xlsx").write_bytes(b"")
    _roster(d / "名册.xlsx")
    r = cli("check", d, "--as-of", AS_OF, "--format", "csv")
    assert r.code == 1, r.stderr
    for i in range(6):  # no findings.json/report.xlsx/report.html lists them: every file named
        assert f"坏{i}.xlsx" in r.stderr, r.stderr
    r = cli("check", d, "--as-of", AS_OF, "--format", "json", out=tmp_path / "o2")
    assert "全部列在 findings.json（run.problems）" in r.stderr or all(f"坏{i}.xlsx" in r.stderr for i in range(6))
    assert len(json.loads((tmp_path / "o2" / "findings.json").read_text(encoding="utf-8"))["run"]["problems"]) >= 6
