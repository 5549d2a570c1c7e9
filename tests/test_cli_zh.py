"""Chinese for people, stable names for programs (issue 13 point 6): the command line's own
messages and help in Chinese, no programmer types in help, Chinese kind names accepted, and the
数据 column of the reports in Chinese."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import typer

from conftest import ROSTER_HEADERS, make_id, roster_row, write_xlsx
from xueji_check.cli import app
from xueji_check.cli_zh import check_tree, wrap

ENGLISH = re.compile(r"Usage:|Options:|Arguments:|Commands:|Error:|Try '|for help|Show this message|"
                     r"\[default|\[required\]|<list|<path>|<str>|\bTEXT\b|\bPATH\b|\bINTEGER\b|\bFILE\b|"
                     r"No such|Missing|Invalid value|Got unexpected|Possible options|Did you mean|is not one of")


def _all_commands() -> list[list[str]]:
    out = [[]]

    def walk(cmd, path):
        for name, sub in getattr(cmd, "commands", {}).items():
            out.append([*path, name])
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return out


def test_every_command_uses_the_chinese_classes():
    assert check_tree(typer.main.get_command(app)) == []


@pytest.mark.parametrize("path", _all_commands(), ids=lambda p: " ".join(p) or "root")
def test_help_is_chinese_without_programmer_types(cli, path):
    r = cli(*path, "--help")
    assert r.code == 0, r.stdout + r.stderr
    assert r.stdout.startswith("用法：xueji-check"), r.stdout[:80]
    assert not ENGLISH.search(r.stdout), ENGLISH.search(r.stdout).group(0) + "\n" + r.stdout
    assert "显示本帮助后退出" in r.stdout
    if path:
        assert "选项：" in r.stdout


@pytest.mark.parametrize("path", _all_commands(), ids=lambda p: " ".join(p) or "root")
def test_short_help_option_on_every_command(cli, path):
    """-h is --help everywhere (users type it; it had been "没有 -h 这个选项")."""
    r = cli(*path, "-h")
    assert r.code == 0, r.stdout + r.stderr
    assert r.stdout == cli(*path, "--help").stdout
    assert "-h, --help" in r.stdout


def test_check_help_names_every_option_with_a_chinese_value():
    r = subprocess.run([sys.executable, "-m", "xueji_check", "check", "--help"], capture_output=True,
                       text=True, env={"COLUMNS": "60", "PATH": ""}, timeout=120)
    text = r.stdout
    for opt, meta in [("--roster", "文件"), ("--as-of", "日期"), ("--out", "文件夹"), ("--fail-on", "条件"),
                      ("--format", "格式"), ("--baseline", "文件"), ("--config", "策略文件")]:
        assert re.search(rf"{opt} {meta}\b", text), (opt, text)
    assert "（默认 xueji-report）" in text and "参数：" in text and "文件或文件夹..." in text
    # wrapped by display width, nothing cut: every line fits 60 columns, every word is there
    from rich.cells import cell_len
    assert max(cell_len(x) for x in text.splitlines()) <= 60
    flat = re.sub(r"\s+", "", text)
    assert "parquet" in flat and "never总是0" in flat and "输出问题清单与报告。" in flat
    assert not any(x.strip().startswith(("。", "，", "、", "）")) for x in text.splitlines())


@pytest.mark.parametrize(("argv", "expect"), [
    (["chek"], "没有 chek 这个命令，是否想用 check"),
    (["chekk", "sample"], "没有 chekk 这个命令"),
    (["check", "--outt", "x"], "没有 --outt 这个选项，是否想用 --out"),
    (["check", "--fail-on", "sometimes", "x"], "选项 --fail-on 的取值「sometimes」无效，可用：error、warning、new、never"),
    (["workdays"], "缺少参数「起始日期」"),
    (["workdays", "2024-01-01"], "缺少参数「结束日期」"),
    (["publicity", "make", "--start", "2024-11-04"], "缺少必需的选项 --aid"),
    (["check", "x", "--out"], "选项 --out 后面需要给出一个值"),
    (["rules", "--json=1"], "选项 --json 不带取值"),
    (["init-config", "a.toml", "b.toml"], "多余的参数：b.toml"),
    (["publicity", "mak"], "没有 mak 这个命令，是否想用 make"),
])
def test_usage_errors_are_chinese(tmp_path, monkeypatch, cli, argv, expect):
    monkeypatch.chdir(tmp_path)
    r = cli(*argv)
    assert r.code == 2
    err = r.stderr
    assert expect in err, err
    assert not ENGLISH.search(err), err
    assert err.startswith("用法：") or err.startswith("错误：")
    if err.startswith("用法："):
        assert "--help 查看帮助。" in err
    assert not list(tmp_path.iterdir())  # nothing written


def test_usage_error_of_the_installed_command(tmp_path):
    r = subprocess.run([sys.executable, "-m", "xueji_check", "check", "--fail-on", "x", "a"],
                       capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert r.returncode == 2 and "错误：选项 --fail-on 的取值「x」无效" in r.stderr and "Error" not in r.stderr


def test_wrap_keeps_every_character_and_fits():
    text = "生成合规的资助公示名单：只含姓名、学校、专业 --a-very-long-option-name-that-is-long 2024-11-04"
    lines = wrap(text, 20)
    from rich.cells import cell_len
    assert all(cell_len(x) <= 20 for x in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert wrap("一二三四五六七八九十。", 22) == ["一二三四五六七八九十。"]
    assert wrap("一二三四五六七八九十。", 20) == ["一二三四五六七八九", "十。"]  # 。 never starts a line


@pytest.mark.parametrize(("name", "title"), [
    ("roster", "学籍名册"), ("ROSTER", "学籍名册"), ("名册", "学籍名册"), ("学籍名册", "学籍名册"),
    ("异动", "学籍异动记录"), ("学籍异动", "学籍异动记录"), ("资助", "资助申报与发放"),
    ("资助申报与发放", "资助申报与发放"), ("公示", "公示名单"), ("公示名单", "公示名单"),
    ("参保", "在职参保名单"), ("在职参保", "在职参保名单"),
])
def test_schema_takes_chinese_kind_names(cli, name, title):
    r = cli("schema", name)
    assert r.code == 0 and r.stdout.startswith(f"# {title}（"), r.stdout[:80]
    assert r.stdout.count("\n# ") == 0  # one kind only


def test_schema_unknown_kind_lists_the_chinese_names(cli):
    r = cli("schema", "名单")
    assert r.code == 2 and "未知的表格类型「名单」" in r.stderr and "学籍名册（roster）" in r.stderr


def test_template_takes_a_chinese_kind_name(tmp_path, cli):
    r = cli("schema", "资助", "--template", tmp_path / "资助模板.xlsx")
    assert r.code == 0 and (tmp_path / "资助模板.xlsx").is_file()


def test_html_data_column_is_chinese(tmp_path, cli):
    f = write_xlsx(tmp_path / "in" / "名册.xlsx", [ROSTER_HEADERS, roster_row("S1", "", make_id(seq="101"))])
    r = cli("check", f, "--as-of", "2025-01-01", "--format", "html,csv")
    page = (r.out / "report.html").read_text(encoding="utf-8")
    head = page.split("问题清单（")[1]
    assert "<th>数据</th>" in head and re.search(r"<td[^>]*>学籍名册</td>", head)
    assert ">roster<" not in page
    assert r.findings["dataset"].to_list() == ["roster"]  # the contract keeps the program name
