"""One run over a folder holding every file of the bad-input corpus (whatever tests/bad_inputs
CASES holds, cases about output folders left out) and one good file (issue 11, "Done when"): it
finishes, checks the good file, and exits with the status the README's table gives."""

from __future__ import annotations

import shutil
import signal
from pathlib import Path

import polars as pl
import pytest

from bad_inputs.make import AS_OF, CASES
from conftest import ROSTER_HEADERS, make_id, roster_row, write_xlsx

GOOD_SCHOOL = "语料对照技工学校"


@pytest.fixture
def corpus_folder(tmp_path) -> tuple[Path, Path, int]:
    """Every case written into its own subfolder of one folder; the good file beside them.
    Returns (folder, good file, number of cases)."""
    root = tmp_path / "全部输入"
    n = 0
    for name in sorted(CASES):
        d = root / name
        d.mkdir(parents=True)
        c = CASES[name](d)
        if c.out is not None:  # the case is about the output folder, not an input
            shutil.rmtree(d)
            continue
        n += 1
    good = write_xlsx(root / "好文件" / "对照名册.xlsx", [
        ROSTER_HEADERS,
        roster_row("G001", "对照甲", make_id(birth="20090301", seq="131"), school=GOOD_SCHOOL),
        roster_row("G002", "", make_id(birth="20090302", seq="142"), gender="女", school=GOOD_SCHOOL),
    ])
    return root, good, n


@pytest.fixture
def hang_guard():
    def boom(*_):
        raise TimeoutError("the run over the whole corpus did not finish")

    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(900)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def test_folder_of_every_bad_input_and_one_good_file(corpus_folder, cli, tmp_path, hang_guard):
    root, good, n = corpus_folder
    assert n >= 40
    r = cli("check", root, "--as-of", AS_OF, out=tmp_path / "out")
    for text in (r.stdout, r.stderr):
        assert "Traceback" not in text and "意外错误" not in text, text[-3000:]
    run = r.json["run"]

    # the good file was read and checked: its one planted problem (an empty name) is found
    (g,) = [i for i in run["inputs"] if i["path"] == str(good)]
    assert g["readable"] and g["rows"] == 2 and g["sheets"][0]["checked"]
    s002 = r.findings.filter((pl.col("rule_id") == "S002") & (pl.col("school") == GOOD_SCHOOL))
    assert s002["row"].to_list() == ["3"] and s002["file"].to_list() == [str(good)]

    # every input that could not be read is counted as not checked, and said so
    unread = {i["path"] for i in run["inputs"] if not i["readable"]}
    listed = {x["path"] for x in run["not_checked"]}
    assert unread and unread <= listed
    assert run["files_not_checked"] == len(listed) > 0
    assert f"有 {len(listed) - sum(x['folder'] for x in run['not_checked'])} 个文件" in r.stdout

    # the README's table: 2 only when the run could not be done (nothing checkable, or a kind
    # named by option unusable; no option here); otherwise 1, since files were not checked
    assert r.code == 1 and run["exit_status"] == 1, r.stdout[-2000:]

    r = cli("check", root, "--as-of", AS_OF, "--fail-on", "never", "--quiet", out=tmp_path / "out2")
    assert r.code == 0 and f"{len(listed)} 个未能检查" in r.stdout
