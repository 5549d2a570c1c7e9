"""`--cache`, the policy key `cache`, `cache clear`, and the temporary store of a run without it."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from conftest import ROSTER_HEADERS, make_id, roster_row, write_csv, write_xlsx
from xueji_check import store as st

AS_OF = "2025-06-30"


def _folder(tmp_path: Path, n: int = 3) -> Path:
    d = tmp_path / "in"
    for s in range(n):
        rows = [ROSTER_HEADERS] + [roster_row(f"S{s}{i}", f"学生{s}{i}", make_id(seq=f"{s}{i}1"),
                                              school=f"第{s}技工学校") for i in range(4)]
        rows.append(roster_row(f"S{s}9", "", "4.10105E+17", school=f"第{s}技工学校"))  # S002, S004
        write_xlsx(d / f"名册{s}.xlsx", rows)
    write_csv(d / "重复.csv", [ROSTER_HEADERS, roster_row("S00", "学生00", make_id(seq="001"), school="第9技工学校")],
              encoding="gb18030")
    return d


@pytest.fixture
def tmpdir_env(tmp_path, monkeypatch):
    """The system temporary folder of the run, to see what it leaves there."""
    t = tmp_path / "systmp"
    t.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(t))
    return t


def test_cache_reuses_files_and_keeps_findings(tmp_path, cli, tmpdir_env):
    src = _folder(tmp_path)
    cache = tmp_path / "缓存"
    first = cli("check", src, "--as-of", AS_OF, "--cache", cache, out=tmp_path / "a")
    assert first.code == 1 and "0 个文件没有变化，未重新读取；读取了 4 个文件" in first.stdout
    second = cli("check", src, "--as-of", AS_OF, "--cache", cache, out=tmp_path / "b")
    assert "4 个文件没有变化，未重新读取；读取了 0 个文件" in second.stdout
    assert (tmp_path / "a" / "findings.csv").read_bytes() == (tmp_path / "b" / "findings.csv").read_bytes()
    plain = cli("check", src, "--as-of", AS_OF, out=tmp_path / "c")
    assert "缓存" not in plain.stdout
    assert (tmp_path / "a" / "findings.csv").read_bytes() == (tmp_path / "c" / "findings.csv").read_bytes()
    assert {"R101", "S002", "S004"} <= set(first.findings["rule_id"].to_list())
    assert list(tmpdir_env.iterdir()) == []  # no temporary store left behind
    if os.name == "posix":
        assert stat.S_IMODE(cache.stat().st_mode) == 0o700
        assert all(stat.S_IMODE(p.stat().st_mode) == (0o700 if p.is_dir() else 0o600) for p in cache.rglob("*"))


def test_changed_file_is_read_again(tmp_path, cli):
    src = _folder(tmp_path)
    cache = tmp_path / "缓存"
    cli("check", src, "--as-of", AS_OF, "--cache", cache, out=tmp_path / "a")
    write_xlsx(src / "名册1.xlsx", [ROSTER_HEADERS, roster_row("S77", "新来的", make_id(seq="771"))])
    r = cli("check", src, "--as-of", AS_OF, "--cache", cache, out=tmp_path / "b")
    assert "3 个文件没有变化，未重新读取；读取了 1 个文件" in r.stdout
    cold = cli("check", src, "--as-of", AS_OF, out=tmp_path / "c")
    assert (tmp_path / "b" / "findings.csv").read_bytes() == (tmp_path / "c" / "findings.csv").read_bytes()
    assert cold.code == r.code


def test_policy_key_cache_is_relative_to_the_policy_file(tmp_path, cli, monkeypatch):
    src = _folder(tmp_path, 1)
    conf = tmp_path / "conf" / "xueji.toml"
    conf.parent.mkdir()
    conf.write_text('cache = "省缓存"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    r = cli("check", src, "--as-of", AS_OF, "--config", conf)
    assert (conf.parent / "省缓存" / st.MARKER).is_file()
    assert "缓存" in r.stdout and "没有变化" in r.stdout
    r = cli("check", src, "--as-of", AS_OF, "--config", conf)
    assert "2 个文件没有变化" in r.stdout
    r = cli("check", src, "--as-of", AS_OF, "--config", conf, "--no-cache")
    assert "没有变化" not in r.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text('cache = "  "\n', encoding="utf-8")
    r = cli("check", src, "--as-of", AS_OF, "--config", bad)
    assert r.code == 2 and "cache 应为缓存文件夹的路径" in r.stderr


def test_cache_clear_removes_only_what_the_tool_wrote(tmp_path, cli):
    src = _folder(tmp_path, 1)
    cache = tmp_path / "缓存"
    cli("check", src, "--as-of", AS_OF, "--cache", cache)
    (cache / "说明.txt").write_text("我的文件", encoding="utf-8")
    r = cli("cache", "clear", cache)
    assert r.code == 0 and "删除了 2 个输入文件的缓存数据" in r.stdout
    assert [p.name for p in cache.iterdir()] == ["说明.txt"]
    r = cli("cache", "clear", cache)
    assert r.code == 2 and "不是 xueji-check 的缓存文件夹" in r.stderr and (cache / "说明.txt").is_file()
    r = cli("cache", "clear", tmp_path / "没有这个")
    assert r.code == 2 and "不存在" in r.stderr


def test_cache_in_a_foreign_or_checked_folder_is_refused(tmp_path, cli):
    src = _folder(tmp_path, 1)
    r = cli("check", src, "--as-of", AS_OF, "--cache", src / "缓存")
    assert r.code == 2 and "在要检查的文件夹" in r.stderr and not (src / "缓存").exists()
    mine = tmp_path / "文档"
    mine.mkdir()
    (mine / "报告.docx").write_bytes(b"x")
    r = cli("check", src, "--as-of", AS_OF, "--cache", mine)
    assert r.code == 2 and "不是空文件夹" in r.stderr
    assert [p.name for p in mine.iterdir()] == ["报告.docx"]
    f = tmp_path / "一个文件"
    f.write_text("x")
    r = cli("check", src, "--as-of", AS_OF, "--cache", f)
    assert r.code == 2 and "是一个文件" in r.stderr


def test_validate_takes_the_cache_too(tmp_path, cli):
    src = _folder(tmp_path, 1)
    cache = tmp_path / "缓存"
    cli("validate", src, "--cache", cache, out=tmp_path / "a")
    r = cli("validate", src, "--cache", cache, out=tmp_path / "b")
    assert "2 个文件没有变化" in r.stdout
    assert (tmp_path / "a" / "findings.csv").read_bytes() == (tmp_path / "b" / "findings.csv").read_bytes()


@pytest.mark.skipif(os.name != "posix", reason="signals")
def test_sigterm_removes_the_temporary_store(tmp_path):
    src = tmp_path / "in"
    rows = [ROSTER_HEADERS] + [roster_row(f"S{i}", f"学生{i}", make_id(seq=f"{i % 1000:03d}")) for i in range(60_000)]
    write_csv(src / "名册.csv", rows)
    systmp = tmp_path / "systmp"
    systmp.mkdir()
    env = {**os.environ, "TMPDIR": str(systmp)}
    proc = subprocess.Popen([sys.executable, "-m", "xueji_check", "check", str(src), "--as-of", AS_OF,
                             "--out", str(tmp_path / "out"), "--quiet"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while time.time() < deadline and not list(systmp.glob(st.TEMP_PREFIX + "*/entries/*")):
        time.sleep(0.02)
        if proc.poll() is not None:
            break
    seen = list(systmp.glob(st.TEMP_PREFIX + "*"))
    assert seen, "the run made no temporary store"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2 and "已中断" in err.decode("utf-8")  # stopped, not finished
    assert list(systmp.iterdir()) == []
    assert not (tmp_path / "out" / "findings.csv").exists()


def test_a_cache_folder_inside_a_checked_folder_is_never_read_as_input(tmp_path, cli, tmpdir_env):
    """The store holds normalised rosters as Parquet: checking the folder around it later (without
    --cache) must not read them back as students (158 false R101 before this was handled)."""
    parent = tmp_path / "省"
    src = _folder(parent)
    cli("check", src, "--as-of", AS_OF, "--cache", parent / "缓存", out=tmp_path / "a")
    assert any((parent / "缓存").rglob("*.parquet"))
    around = cli("check", parent, "--as-of", AS_OF, out=tmp_path / "b")
    plain = cli("check", src, "--as-of", AS_OF, out=tmp_path / "c")
    assert around.findings.drop("file", "fingerprint").equals(plain.findings.drop("file", "fingerprint"))
    assert "缓存文件夹（--cache），其中的数据不作为输入读取" in around.stderr + around.stdout
    assert len(around.json["run"]["inputs"]) == len(plain.json["run"]["inputs"])


@pytest.mark.parametrize("failure", ["oserror", "polars"])
def test_a_full_disk_while_storing_is_said_in_chinese_and_nothing_is_written(tmp_path, cli, tmpdir_env, monkeypatch,
                                                                           failure):
    import errno

    import polars as pl

    from xueji_check import engine

    def full(*a, **k):
        if failure == "oserror":
            raise OSError(errno.ENOSPC, "No space left on device")
        raise pl.exceptions.ComputeError("parquet: failed to write: No space left on device (os error 28)")
    monkeypatch.setattr(engine, "write_entry", full)
    r = cli("check", _folder(tmp_path), "--as-of", AS_OF, out=tmp_path / "out")
    assert r.code == 2
    assert "无法写入暂存数据（磁盘空间不足）" in r.stderr and "TMPDIR" in r.stderr, r.stderr
    assert "反馈" not in r.stderr and "Error" not in r.stderr
    assert not (tmp_path / "out").exists() and list(tmpdir_env.iterdir()) == []


@pytest.mark.skipif(os.name != "posix", reason="signals")
def test_a_second_interrupt_does_not_cut_the_clean_up_short():
    """`timeout -s INT` signals the process and its group (two SIGINTs), and people press Ctrl-C
    twice: the second one came while `finally` removed the temporary store, and the store, full
    of ID numbers, stayed in the temp folder. Now the first stops the run and later ones are
    ignored until the command ends; the handlers are put back afterwards."""
    import typer

    from xueji_check import cli as cli_mod

    done = []

    def fn():
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)  # interrupted here
        finally:
            os.kill(os.getpid(), signal.SIGINT)  # a second Ctrl-C during the clean-up
            time.sleep(0.05)
            done.append("cleaned")

    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(typer.Exit) as e:
        cli_mod._guard(False, fn)
    assert e.value.exit_code == 2 and done == ["cleaned"]
    assert signal.getsignal(signal.SIGINT) is before


def test_ctrl_c_inside_a_polars_callback_is_an_interruption(capsys):
    """Ctrl-C while Polars is calling Python code reaches us as pyo3's PanicException (no
    Exception): it printed a traceback and exited 1, the code for findings. Now it is an
    interruption (exit 2); another panic is an internal error (exit 2, a Chinese message)."""
    import typer

    from xueji_check import cli as cli_mod

    class PanicException(BaseException):  # pyo3_runtime.PanicException is not importable
        pass

    def interrupted():
        raise PanicException("called `Result::unwrap()` on an `Err` value: PyErr { type: <class 'KeyboardInterrupt'> }")

    def panicked():
        raise PanicException("index out of bounds")

    for fn, said in ((interrupted, "已中断"), (panicked, "Polars 内部错误")):
        with pytest.raises(typer.Exit) as e:
            cli_mod._guard(False, fn)
        assert e.value.exit_code == 2 and said in capsys.readouterr().err
