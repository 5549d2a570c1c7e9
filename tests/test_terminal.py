"""Terminal summary: tables per rule and per school, colours only on a TTY, NO_COLOR, paths last."""

from __future__ import annotations

import io
import re
import sys

import polars as pl

from conftest import ROSTER_HEADERS, make_id, roster_row, write_xlsx
from xueji_check.findings import COLUMNS
from xueji_check.report import terminal

COLOUR = re.compile(r"\x1b\[(?:[\d;]*;)?(?:3[0-7]|38;[25];[\d;]+)(?:;[\d;]*)?m")  # foreground colours


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _findings() -> pl.DataFrame:
    rows = [
        {"rule_id": "S002", "severity": "error", "school": "东方技工学校[1]", "status": None},
        {"rule_id": "S005", "severity": "warning", "school": "西城技工学校", "status": None},
        {"rule_id": "S005", "severity": "warning", "school": None, "status": None},
    ]
    return pl.DataFrame([{c: r.get(c) for c in COLUMNS} for r in rows],
                        schema={c: (pl.Int64 if c == "row" else pl.String) for c in COLUMNS})


def _render(monkeypatch, *, tty: bool, no_color: str | None) -> str:
    stream = _Tty() if tty else io.StringIO()
    monkeypatch.setattr(sys, "stdout", stream)
    if no_color is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", no_color)
    con = terminal.console()
    terminal.print_summary(con, _findings(), {"C201": "未提供学籍异动记录"}, None, "", ["out/report.xlsx"], 1)
    return stream.getvalue()


def test_colours_on_tty_only_and_no_color(monkeypatch):
    assert COLOUR.search(_render(monkeypatch, tty=True, no_color=None))
    assert not COLOUR.search(_render(monkeypatch, tty=True, no_color="1"))
    plain = _render(monkeypatch, tty=False, no_color=None)
    assert "\x1b[" not in plain
    assert "按规则统计" in plain and "按学校统计" in plain
    assert "东方技工学校[1]" in plain  # markup-like text printed as is
    assert "（未注明学校）" in plain
    assert plain.rstrip().splitlines()[-1] == "输出：out/report.xlsx"


def test_school_table_is_capped(monkeypatch):
    df = pl.DataFrame({c: [None] * 20 for c in COLUMNS}, schema={c: pl.String for c in COLUMNS}).with_columns(
        rule_id=pl.lit("S002"), severity=pl.lit("error"),
        school=pl.Series([f"学校{i:02d}" for i in range(20)]))
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stdout", stream)
    terminal.print_summary(terminal.console(), df, {}, [], "", [], 1)
    out = stream.getvalue()
    assert "学校14" in out and "学校15" not in out and "另有 5 所学校" in out
    assert "与基线相比：新增 0，持续 0，已整改 0" in out


def test_cli_output_plain_paths_last_and_quiet(tmp_path, cli):
    f = write_xlsx(tmp_path / "in" / "名册.xlsx", [ROSTER_HEADERS, roster_row("Q1", "", make_id(seq="811"))])
    r = cli("check", f, "--as-of", "2025-01-01", "--format", "csv,json")
    assert r.code == 1
    assert "\x1b[" not in r.stdout
    lines = r.stdout.rstrip().splitlines()
    assert lines[-3:] == [f"输出：{r.out / n}" for n in ("findings.csv", "问题清单.csv", "findings.json")]
    assert "按规则统计" in r.stdout and "按学校统计" in r.stdout and "S002" in r.stdout
    q = cli("check", f, "--as-of", "2025-01-01", "--format", "json", "--quiet", out=tmp_path / "q")
    assert q.code == 1 and len(q.stdout.strip().splitlines()) == 1


def test_input_problems_grouped_errors_first_and_capped():
    from rich.console import Console

    from xueji_check.load import Problem

    merged = [Problem("info", f"学校{i}.xlsx", "名册", None, "有 1 处合并单元格，已把每处左上角的值填入整个合并区域")
              for i in range(2500)]
    odd = [Problem("warning", f"怪{i}.csv", None, None, f"第 {i} 种问题") for i in range(30)]
    broken = Problem("error", "坏.xlsx", None, None, "文件已损坏")
    full = "findings.json（run.problems）"
    buf = io.StringIO()
    terminal.print_problems(Console(file=buf, width=200, color_system=None), [*merged, *odd, broken], full_list=full)
    lines = buf.getvalue().splitlines()
    assert lines[0].startswith("错误：坏.xlsx")
    assert len(lines) == terminal.PROBLEMS_SHOWN + 1
    # the 2,500 identical notes would be one line, but the cap comes first: 19 warnings shown
    assert sum(line.startswith("警告") for line in lines) == terminal.PROBLEMS_SHOWN - 1
    assert lines[-1] == f"……另有 2511 条读取提示未列出，完整列表见 {full}"
    buf = io.StringIO()
    terminal.print_problems(Console(file=buf, width=400, color_system=None), merged, full_list=full)
    assert buf.getvalue().splitlines() == [
        "提示：学校0.xlsx，工作表「名册」；学校1.xlsx，工作表「名册」；学校2.xlsx，工作表「名册」 等 2500 个位置"
        f"（全部列在 {full}）：有 1 处合并单元格，已把每处左上角的值填入整个合并区域"]


def test_grouped_problems_name_every_file_when_no_report_lists_them():
    """No findings.json/report.xlsx/report.html to point at: every place is printed."""
    from rich.console import Console

    from xueji_check.load import Problem

    ps = [Problem("error", f"学校{i}.xlsx", None, None, "文件已损坏，请重新导出") for i in range(30)]
    ps += [Problem("warning", f"怪{i}.csv", None, None, f"第 {i} 种问题") for i in range(30)]
    buf = io.StringIO()
    terminal.print_problems(Console(file=buf, width=200, color_system=None), ps, full_list=None)
    text = buf.getvalue()
    for i in range(30):
        assert f"  学校{i}.xlsx\n" in text and f"怪{i}.csv" in text
    assert "另有" not in text
    assert text.splitlines()[0] == "错误：以下 30 个位置：文件已损坏，请重新导出"
