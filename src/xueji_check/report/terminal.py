"""The terminal summary (rich): per rule, per school, problems with inputs, output paths."""

from __future__ import annotations

import os
import re
import sys

import polars as pl
from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable

from xueji_check.findings import SEVERITY_ZH
from xueji_check.load.files import shown_path
from xueji_check.registry import CATALOG

SEV_STYLE = {"error": "red", "warning": "yellow", "info": "cyan"}


def console(stderr: bool = False) -> Console:
    """Colours only on a terminal, and never when NO_COLOR is set (https://no-color.org). Emoji
    codes (``:smile:``) are never replaced; markup is only ever used in the tool's own text."""
    stream = sys.stderr if stderr else sys.stdout
    tty = hasattr(stream, "isatty") and stream.isatty()
    return Console(stderr=stderr, no_color=bool(os.environ.get("NO_COLOR")) or not tty,
                   highlight=False, soft_wrap=not tty, width=None if tty else 120, emoji=False)


# C0 and C1 control characters (ESC starts CSI/OSC sequences; BEL, backspace, CR rewrite what
# is shown), DEL, and the bidirectional overrides/isolates that reorder what is shown.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_NL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def safe(text: object, newlines: bool = False) -> str:
    """Text from files, file names or paths, fit to print: every control character (ESC, CSI,
    OSC, BEL, backspace, CR, …) and bidi override shown as �; line breaks too unless `newlines`
    (the tool's own multi-line messages); tabs as a space."""
    text = str(text).replace("\t", " ")
    return (_UNSAFE if newlines else _UNSAFE_NL).sub("\ufffd", text)


def markup_safe(text: object) -> str:
    """`safe` text for a string that rich reads as markup: ``[red]`` printed as written."""
    return escape(safe(text))


PROBLEMS_SHOWN = 20
PLACES_SHOWN = 3


def print_problems(con: Console, problems, full_list: str | None = None) -> None:
    """Input problems, errors first. The same message in many files (a merged title row in every
    school's export) is one line naming its first PLACES_SHOWN places and how many there are; at
    most PROBLEMS_SHOWN lines, the rest counted. `full_list` names the outputs that list every
    problem (findings.json, report.xlsx, report.html); when there is none (no report written,
    or none of those formats), every place of every problem is printed here instead."""
    order = {"error": 0, "warning": 1, "info": 2}
    groups: dict[tuple[str, str], list] = {}
    for p in sorted(problems, key=lambda p: order[p.level]):
        groups.setdefault((p.level, p.message), []).append(p)
    items = list(groups.items())
    shown = items if full_list is None else items[:PROBLEMS_SHOWN]
    for (level, message), ps in shown:
        label = {"error": "错误", "warning": "警告", "info": "提示"}[level]
        if len(ps) == 1:
            where = ps[0].where()
        elif full_list is None:  # nowhere else to look: every place, one per line
            con.print(f"[{SEV_STYLE[level]}]{label}[/]：以下 {len(ps)} 个位置：{markup_safe(message)}", markup=True)
            for p in ps:
                con.print(f"  {markup_safe(p.where())}")
            continue
        else:
            names = "；".join(p.where() for p in ps[:PLACES_SHOWN])
            # 个位置, not 处: the message may count 处 of its own (有 1 处合并单元格)
            where = (f"{names}（以上 {len(ps)} 个位置都是）" if len(ps) <= PLACES_SHOWN else
                     f"{names} 等 {len(ps)} 个位置（全部列在 {full_list}）")
        con.print(f"[{SEV_STYLE[level]}]{label}[/]：{markup_safe(where)}：{markup_safe(message)}", markup=True)
    rest = sum(len(ps) for _, ps in items[len(shown):])
    if rest:
        con.print(f"……另有 {rest} 条读取提示未列出，完整列表见 {markup_safe(full_list)}")


SCHOOLS_SHOWN = 15
# The fewest schools ranked (schools with students in the roster) for the top 10% to be a school:
# among fewer, "the top 10%, at least one" labels whichever school comes first (in a school's
# self-audit, the school itself), which says nothing about it compared with others
# (report.excel.school_table).
FOCUS_MIN_SCHOOLS = 10
SCHOOLS_TITLE = ("按学校统计（按错误数排序；按每百名学生错误数的排名见 report.xlsx「学校汇总」，"
                 f"参与排名的学校不少于 {FOCUS_MIN_SCHOOLS} 所时才标出重点监管学校）")
SCHOOLS_TITLE_VALIDATE = "按学校统计（按错误数排序；validate 只做格式校验，不标重点监管学校）"


def _has_status(findings: pl.DataFrame, resolved: list | None) -> bool:
    return resolved is not None or (findings.height > 0 and findings["status"].null_count() < findings.height)


def rule_table(findings: pl.DataFrame, baseline: bool) -> RichTable | None:
    if findings.height == 0:
        return None
    per = (findings.group_by("rule_id", "severity")
           .agg(pl.len().alias("n"), (pl.col("status") == "new").sum().alias("new"),
                (pl.col("status") == "persisting").sum().alias("persisting")))
    order = {rid: i for i, rid in enumerate(CATALOG)}
    t = RichTable(title="按规则统计")
    for h in ("规则", "级别", "名称"):
        t.add_column(h)
    t.add_column("数量", justify="right")
    if baseline:
        t.add_column("新增", justify="right")
        t.add_column("持续", justify="right")
    for rid, sev, n, new, persisting in sorted(per.iter_rows(), key=lambda r: (order.get(r[0], 999), r[0])):
        title = CATALOG[rid].title if rid in CATALOG else ""
        cells = [markup_safe(rid), f"[{SEV_STYLE.get(sev, '')}]{markup_safe(SEVERITY_ZH.get(sev, sev))}[/]",
                 markup_safe(title), str(n)]
        if baseline:
            cells += [str(new), str(persisting)]
        t.add_row(*cells)
    return t


def school_table(findings: pl.DataFrame, baseline: bool, validate_only: bool = False) -> tuple[RichTable | None, int]:
    if findings.height == 0:
        return None, 0
    sevs = ("error", "warning", "info")
    agg = (findings.with_columns(pl.col("school").fill_null("（未注明学校）"))
           .group_by("school").agg(*[(pl.col("severity") == s).sum().alias(s) for s in sevs],
                                   (pl.col("status") == "new").sum().alias("new"))
           .sort(["error", "warning", "info", "school"], descending=[True, True, True, False]))
    t = RichTable(title=SCHOOLS_TITLE_VALIDATE if validate_only else SCHOOLS_TITLE)
    t.add_column("学校")
    for s in sevs:
        t.add_column(f"[{SEV_STYLE[s]}]{SEVERITY_ZH[s]}[/]", justify="right")
    if baseline:
        t.add_column("新增", justify="right")
    for school, e, w, i, new in agg.head(SCHOOLS_SHOWN).iter_rows():
        t.add_row(markup_safe(school), str(e), str(w), str(i), *([str(new)] if baseline else []))
    return t, max(0, agg.height - SCHOOLS_SHOWN)


def quiet_line(findings: pl.DataFrame, resolved: list | None, as_of: str, exit_code: int, out,
               not_checked: int = 0, unverified: int = 0) -> str:
    """The one line of --quiet: the check date, the counts per severity, the files not checked,
    with a baseline the new, persisting and resolved counts (and the earlier findings this run
    could not check again, `findings.split_unverified`), the exit status and the output folder."""
    sev = {s: n for s, n in findings.group_by("severity").len().iter_rows()}
    line = (f"xueji-check：检查基准日 {as_of}，{findings.height} 个问题（错误 {sev.get('error', 0)}，"
            f"警告 {sev.get('warning', 0)}）")
    if not_checked:
        line += f"，{not_checked} 个未能检查"
    if _has_status(findings, resolved):
        st = {s: n for s, n in findings.group_by("status").len().iter_rows()}
        line += (f"；与基线相比：新增 {st.get('new', 0)}，持续 {st.get('persisting', 0)}，"
                 f"已整改 {len(resolved or [])}")
        if unverified:
            line += f"，未能复核 {unverified}"
    return safe(f"{line}；退出码 {exit_code}，输出在 {shown_path(out)}")


VALIDATE_SKIPPED = "业务规则未执行（validate 只做格式校验）"


def skipped_lines(skipped: dict[str, str], validate_only: bool = False) -> list[str]:
    """The rules that did not run, for people: with `validate_only` one line for all the
    business rules (VALIDATE_SKIPPED) plus any S rule that did not run; otherwise one line
    naming each rule and why."""
    if validate_only:
        rest = {r: why for r, why in skipped.items() if r.startswith("S")}
        return [VALIDATE_SKIPPED] + (["未执行的规则：" + "；".join(f"{r}（{w}）" for r, w in rest.items())]
                                     if rest else [])
    return ["未执行的规则：" + "；".join(f"{r}（{w}）" for r, w in skipped.items())] if skipped else []


def print_summary(con: Console, findings: pl.DataFrame, skipped: dict[str, str], resolved: list | None,
                  calendar_note: str, outputs: list[str], exit_code: int, *, as_of: str | None = None,
                  removed: list[str] | tuple = (), validate_only: bool = False, unjudged: str = "",
                  unverified: list | None = None) -> None:
    """The run's summary: per rule, per school (capped), rules not run, the calendar note, the
    baseline comparison, the totals with the check date (检查基准日) and exit status, the outputs
    written and the earlier outputs removed from the folder; `unjudged` is the line naming rows
    some rules could not judge (engine.unjudged_line), printed after the rules not run."""
    baseline = _has_status(findings, resolved)
    t = rule_table(findings, baseline)
    if t is not None:
        con.print(t)
    st, more = school_table(findings, baseline, validate_only)
    if st is not None:
        con.print(st)
        if more:
            con.print(f"……另有 {more} 所学校，见 report.xlsx 的「学校汇总」")
    for line in skipped_lines(skipped, validate_only):
        con.print(markup_safe(line))
    if unjudged:  # rows some rules could not judge (their S-findings are listed)
        con.print(markup_safe(unjudged))
    if calendar_note:
        con.print(f"[yellow]注意[/]：{markup_safe(calendar_note.strip('（）'))}")
    if baseline:
        status = {s: n for s, n in findings.group_by("status").len().iter_rows()}
        line = (f"与基线相比：新增 [bold]{status.get('new', 0)}[/]，持续 {status.get('persisting', 0)}，"
                f"已整改 [green]{len(resolved or [])}[/]")
        per: dict[str, int] = {}
        for r in resolved or []:
            per[str(r.get("rule_id"))] = per.get(str(r.get("rule_id")), 0) + 1
        if per:
            line += "（" + "，".join(f"{markup_safe(k)} {v}" for k, v in sorted(per.items())) + "）"
        if unverified:
            # gone because its file could not be read or its rule did not run: not 已整改
            line += (f"；另有 [yellow]{len(unverified)}[/] 个上次的问题本次未能复核（所在文件未能检查或规则未运行，"
                     "不算已整改，见 findings.json 的 unverified）")
        con.print(line)
    sev = {s: n for s, n in findings.group_by("severity").len().iter_rows()}
    colour = "red" if exit_code else "green"
    day = f"检查基准日 {markup_safe(as_of)}：" if as_of else ""
    con.print(f"{day}共发现 {findings.height} 个问题：[red]错误 {sev.get('error', 0)}[/]，"
              f"[yellow]警告 {sev.get('warning', 0)}[/]，提示 {sev.get('info', 0)}。[{colour}]退出码 {exit_code}[/]。")
    if removed:
        con.print(f"已移除上次运行留下、本次未生成的文件：{markup_safe('、'.join(removed))}")
    for o in outputs:  # last, one per line, for scripts
        con.print(f"输出：{markup_safe(shown_path(o))}")
