"""Every command in README.md is run here, so the README cannot rot."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from xueji_check.cli import app
from xueji_check.registry import markdown_table

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def readme_commands() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", README, flags=re.S)
    cmds = []
    for block in blocks:
        for line in block.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            for part in line.split("&&"):
                part = part.strip()
                if part.startswith("xueji-check"):
                    cmds.append(part)
    return cmds


def test_readme_starts_with_the_two_setup_commands():
    first = re.search(r"```bash\n(.*?)```", README, flags=re.S).group(1).strip().splitlines()
    assert first == ["pip install -e '.[test]' && xueji-check check sample_data", "pytest"]


def test_readme_rule_table_matches_registry():
    section = README.split("<!-- rules-table:start -->")[1].split("<!-- rules-table:end -->")[0].strip()
    assert section == markdown_table()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("readme")
    shutil.copytree(ROOT / "sample_data", d / "sample_data")
    return d


def test_every_readme_command_runs(workdir, monkeypatch):
    monkeypatch.chdir(workdir)
    cmds = readme_commands()
    assert len(cmds) >= 8
    runner = CliRunner()
    for cmd in cmds:
        argv = shlex.split(cmd)[1:]
        res = runner.invoke(app, argv, catch_exceptions=False)
        out = res.stdout + res.stderr
        assert "Traceback" not in out, cmd
        if argv[0] in ("check", "validate"):
            assert res.exit_code in (0, 1), f"{cmd}: exit {res.exit_code}\n{out}"
            if "--fail-on" in argv and argv[argv.index("--fail-on") + 1] in ("never", "new"):
                assert res.exit_code == 0, f"{cmd}\n{out}"
            out_dir = Path(argv[argv.index("--out") + 1]) if "--out" in argv else Path("xueji-report")
            assert (out_dir / "findings.json").is_file(), cmd
        else:
            assert res.exit_code == 0, f"{cmd}: exit {res.exit_code}\n{out}"


def test_main_command_as_installed_console_script(tmp_path):
    """The README's first command, as a user types it: exit 1, Chinese summary, outputs."""
    shutil.copytree(ROOT / "sample_data", tmp_path / "sample_data")
    exe = shutil.which("xueji-check", path=str(Path(sys.executable).parent)) or shutil.which("xueji-check")
    argv = [exe, "check", "sample_data"] if exe else [sys.executable, "-m", "xueji_check", "check", "sample_data"]
    env = dict(os.environ, NO_COLOR="1")
    res = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "共发现" in res.stdout
    assert (tmp_path / "xueji-report" / "findings.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert (tmp_path / "xueji-report" / "findings.json").is_file()
    never = subprocess.run(argv + ["--fail-on", "never", "--quiet"], cwd=tmp_path, capture_output=True, text=True,
                           env=env, timeout=300)
    assert never.returncode == 0
