"""Every case of the bad-input corpus (tests/bad_inputs/make.py) through the real CLI: the
expected exit status, a Chinese message naming the file and what to do, never a traceback."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

import xueji_check.report.files as rfiles
from bad_inputs.make import AS_OF, CASES, Case, good_xlsx, put


def _run(cli, c: Case, tmp_path: Path, *extra: str):
    out = c.out or tmp_path / "out"
    return cli("check", *c.args, "--as-of", AS_OF, *extra, "--out", out, out=out)


def _no_traceback(r) -> None:
    for text in (r.stdout, r.stderr):
        assert "Traceback" not in text, text
        assert 'File "' not in text, text


@pytest.fixture
def immutable_dir():
    """Make a folder unwritable even for root (chattr +i); undone afterwards."""
    made: list[Path] = []

    def make(d: Path) -> bool:
        if os.geteuid() != 0:
            d.chmod(0o555)
            made.append(d)
            return True
        if subprocess.run(["chattr", "+i", str(d)], capture_output=True).returncode != 0:
            return False
        made.append(d)
        return True

    yield make
    for d in made:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(d)], capture_output=True)
        else:
            d.chmod(0o755)


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_case(name, tmp_path, cli, immutable_dir):
    (tmp_path / "case").mkdir()
    c = CASES[name](tmp_path / "case")
    if name == "output_folder_read_only" and not immutable_dir(c.out):
        pytest.skip("cannot make a folder read-only here")
    r = _run(cli, c, tmp_path)
    _no_traceback(r)
    assert r.code in c.codes, f"exit {r.code}\nstdout:\n{r.stdout}\nstderr:\n{r.stderr}"
    for s in c.stderr:
        assert s in r.stderr, f"{s!r} not in stderr:\n{r.stderr}"
    if r.code == 2 and not c.stderr and c.check is None:
        pytest.fail("an exit 2 case must say why")
    if c.check is not None:
        c.check(r, tmp_path)


def test_corpus_is_large_enough():
    assert len(CASES) >= 40


def test_errors_name_what_to_do(tmp_path, cli):
    """Every error line about an input names the file and says what to do (请…)."""
    for name in ("zero_byte_xlsx", "truncated_xlsx", "encrypted_xlsx", "pdf_renamed_xlsx", "zip_bomb"):
        (tmp_path / name).mkdir()
        c = CASES[name](tmp_path / name)
        r = _run(cli, c, tmp_path / name)
        lines = [ln for ln in r.stderr.splitlines() if ln.startswith("错误")]
        assert lines, r.stderr
        for ln in lines:
            assert Path(str(c.args[-1])).name in ln and "请" in ln, ln


def test_debug_shows_traceback(tmp_path, cli):
    bad = put(tmp_path / "截断.xlsx", b"PK\x03\x04broken")
    r = cli("check", bad, "--as-of", AS_OF, "--debug")
    assert r.code == 2
    assert "Traceback" in r.stderr and "截断.xlsx" in r.stderr


def test_unexpected_failure_is_one_line_without_debug(tmp_path, cli, monkeypatch):
    good = good_xlsx(tmp_path / "名册.xlsx")

    def boom(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(rfiles, "write_csv", boom)
    r = cli("check", good, "--as-of", AS_OF)
    assert r.code == 2
    assert "Traceback" not in r.stderr and "disk on fire" in r.stderr and "--debug" in r.stderr
    r = cli("check", good, "--as-of", AS_OF, "--debug")
    assert r.code == 2 and "Traceback" in r.stderr


def test_other_files_still_checked_when_one_is_bad(tmp_path, cli):
    d = tmp_path / "in"
    good_xlsx(d / "a名册.xlsx")
    put(d / "b空.xlsx", b"")
    put(d / "c.csv", b"\x00\x01\x02")
    r = cli("check", d, "--as-of", AS_OF)
    assert r.code in (0, 1), r.stderr
    readable = {Path(i["path"]).name: i["readable"] for i in r.json["run"]["inputs"]}
    assert readable == {"a名册.xlsx": True, "b空.xlsx": False, "c.csv": False}
    problems = r.json["run"]["problems"]
    assert {Path(p["file"]).name for p in problems if p["level"] == "error"} == {"b空.xlsx", "c.csv"}


def test_zip_bomb_is_refused_quickly_with_bounded_memory(tmp_path):
    import resource
    import time

    from bad_inputs.make import bomb_xlsx
    from xueji_check.load import InputFile, load_file

    p = bomb_xlsx(tmp_path / "b.xlsx", 300, lie=False)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    problems: list = []
    inp = InputFile(p, str(p), None)
    load_file(inp, problems)
    assert not inp.ok and "压缩炸弹" in problems[0].message
    assert time.perf_counter() - t0 < 30
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 200, grown_mb
