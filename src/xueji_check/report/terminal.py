"""The terminal summary (rich): per rule, per school, problems with inputs, output paths."""

from __future__ import annotations

import os
import sys

import polars as pl
from rich.console import Console
from rich.table import Table as RichTable

from xueji_check.findings import SEVERITY_ZH
from xueji_check.registry import CATALOG

SEV_STYLE = {"error": "red", "warning": "yellow", "info": "cyan"}


def console(stderr: bool = False) -> Console:
    tty = (sys.stderr if stderr else sys.stdout).isatty()
    return Console(stderr=stderr, no_color=bool(os.environ.get("NO_COLOR")) or not tty,
                   highlight=False, soft_wrap=not tty, width=None if tty else 120)


def print_problems(con: Console, problems) -> None:
    for p in problems:
        label = {"error": "错误", "warning": "警告", "info": "提示"}[p.level]
        con.print(f"[{SEV_STYLE[p.level]}]{label}[/]：{p.where()}：{p.message}", markup=True)


def print_summary(con: Console, findings: pl.DataFrame, skipped: dict[str, str], resolved: list | None,
                  calendar_note: str, outputs: list[str], exit_code: int) -> None:
    per_rule = {r: n for r, n in findings.group_by("rule_id").len().iter_rows()}
    t = RichTable(title="按规则统计", show_lines=False)
    t.add_column("规则")
    t.add_column("级别")
    t.add_column("名称")
    t.add_column("数量", justify="right")
    for rid, rule in CATALOG.items():
        n = per_rule.get(rid, 0)
        if n:
            sev = findings.filter(pl.col("rule_id") == rid)["severity"][0]
            t.add_row(rid, f"[{SEV_STYLE.get(sev, '')}]{SEVERITY_ZH.get(sev, sev)}[/]", rule.title, str(n))
    if per_rule:
        con.print(t)
    if findings.height:
        st = RichTable(title="按学校统计")
        st.add_column("学校")
        for s in ("error", "warning", "info"):
            st.add_column(SEVERITY_ZH[s], justify="right")
        agg = (findings.with_columns(pl.col("school").fill_null("（未注明学校）"))
               .group_by("school").agg([(pl.col("severity") == s).sum().alias(s) for s in ("error", "warning", "info")])
               .sort(["error", "warning", "school"], descending=[True, True, False]))
        for school, e, w, i in agg.iter_rows():
            st.add_row(school, str(e), str(w), str(i))
        con.print(st)
    if skipped:
        con.print("未执行的规则：" + "；".join(f"{rid}（{why}）" for rid, why in skipped.items()))
    if calendar_note:
        con.print(f"[yellow]注意[/]：{calendar_note.strip('（）')}")
    if resolved is not None:
        con.print(f"与基线相比：已整改 {len(resolved)} 项")
    sev = {s: n for s, n in findings.group_by("severity").len().iter_rows()}
    con.print(f"共发现 {findings.height} 个问题：错误 {sev.get('error', 0)}，警告 {sev.get('warning', 0)}，"
              f"提示 {sev.get('info', 0)}。退出码 {exit_code}。")
    for o in outputs:
        con.print(f"输出：{o}")
