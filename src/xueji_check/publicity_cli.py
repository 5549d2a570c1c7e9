"""`xueji-check publicity ...`: tools for schools' publicity lists (公示名单)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from xueji_check.cli_zh import ZhCommand, ZhGroup

app = typer.Typer(cls=ZhGroup, help="公示名单工具。\n\n示例：xueji-check publicity make --aid 资助.xlsx --start 2024-11-04 --out 公示名单.xlsx",
                  no_args_is_help=True, rich_markup_mode=None)


def _print_left_out(made) -> None:
    """The students left out (rule and reason), the duplicate rows merged, the eligibility rules
    that could not run: at most EXCLUDED_SHOWN lines; all are in the sheet 未列入名单."""
    from xueji_check.pii import mask_text
    from xueji_check.publicity_maker import EXCLUDED_SHOWN
    from xueji_check.report.terminal import safe
    from xueji_check.spec import EXCLUDED_SHEET

    lines = []
    if made.left_out is not None and made.left_out.height:
        typer.echo(f"未列入名单：{made.left_out.height} 人次不符合资助条件（详见文件中的「{EXCLUDED_SHEET}」工作表，"
                   "公示前请删除该表）")
        for name, school, term, kind, rules, why in made.left_out.iter_rows():
            lines.append(f"  {name}（{school or ''} {term or ''} {kind or ''}）{rules}：{why}")
    if made.merged is not None and made.merged.height:
        for name, school, term, kind, n in made.merged.iter_rows():
            lines.append(f"  {name}（{school or ''} {term or ''} {kind or ''}）A304：同一学期同一资助类型有 {n} 行，"
                         "名单中只列一次，请核实是否重复资助")
    for line in lines[:EXCLUDED_SHOWN]:
        typer.echo(safe(mask_text(line)))
    if len(lines) > EXCLUDED_SHOWN:
        typer.echo(f"  ……另有 {len(lines) - EXCLUDED_SHOWN} 条，见「{EXCLUDED_SHEET}」工作表")
    for u in made.unchecked or []:
        typer.echo(safe(f"提示：{u}（加 --roster 学籍名册 才能核对）" if f"未能核对：{NO_ROSTER}" in u else f"提示：{u}"))


NO_ROSTER = "未提供学籍名册"


def self_check_line(unchecked: list[str] | None) -> str:
    """The last line: P401/P402 passed, and the eligibility rules checked on every row and those
    not (or not on every row: `unchecked` lines start with the rule id), so that a list printed
    without a roster never reads as checked for eligibility."""
    from xueji_check.publicity_maker import ELIGIBILITY_RULES

    missed = [r for r in ELIGIBILITY_RULES if any(u.startswith(r) for u in unchecked or [])]
    checked = [r for r in ELIGIBILITY_RULES if r not in missed]
    line = "自检通过：公示期（P401）与个人敏感信息（P402）均符合要求"
    if checked:
        line += f"；资助资格已按 {'、'.join(checked)} 核对"
    if missed:
        line += (f"；{'、'.join(missed)} 未核对或未全部核对（见上方提示），"
                 "名单中可能有不符合资助条件的学生，公示前请人工核实")
    return line


@app.command(cls=ZhCommand)
def make(
    aid: Annotated[Path, typer.Option("--aid", metavar="文件", help="资助申报与发放表（xlsx/xls/csv）")],
    start: Annotated[str, typer.Option("--start", metavar="日期",
                                       help="公示开始日期，如 2024-11-04、2024/11/4、2024年11月4日")],
    out: Annotated[Path, typer.Option("--out", metavar="文件", help="写出的公示名单 .xlsx")] = Path("公示名单.xlsx"),
    roster: Annotated[Path | None, typer.Option("--roster", metavar="文件", help="学籍名册：核对资助资格（A301–A303 全日制、在籍，A305 按入学日期推算学年）所必需，并补充专业、年级、学校；不给时这些资格不核对或只按资助表的在校年级核对")] = None,
    term: Annotated[str | None, typer.Option("--term", metavar="学期", help="只公示该学期，如 2024秋")] = None,
    school: Annotated[str | None, typer.Option("--school", metavar="学校", help="只公示该学校")] = None,
    config: Annotated[Path | None, typer.Option("--config", metavar="策略文件",
                                                help="策略文件 xueji.toml（公示工作日数、节假日补充）")] = None,
    force: Annotated[bool, typer.Option("--force", help="覆盖已有的 --out 文件（输入文件永不覆盖）")] = False,
) -> None:
    """生成合规的资助公示名单：只含姓名、学校、专业、年级、学期、资助类型、金额，
    标题行写明覆盖规定工作日数的公示时间，写出前用 P401/P402 自检。

    示例：xueji-check publicity make --aid 资助.xlsx --roster 名册.xlsx --start 2024-11-04 --out 公示名单.xlsx
    """
    from xueji_check.cli import UsageError, _guard, parse_date
    from xueji_check.load.files import shown_path
    from xueji_check.policy import load_policy
    from xueji_check.publicity_maker import MakerError
    from xueji_check.publicity_maker import make as make_list
    from xueji_check.report import check_target

    def _run() -> int:
        first = parse_date(start, "--start")
        if out.suffix.lower() != ".xlsx":
            raise UsageError(f"--out 应为 .xlsx 文件，现为 {out}")
        # refused before anything is read: never an input, never an existing file without --force
        check_target(out, [aid, roster, config], force=force, option="--out")
        try:
            made = make_list(aid, out, first, roster_path=roster, term=term, school=school,
                             policy=load_policy(config))
        except MakerError as exc:
            raise UsageError(str(exc)) from exc
        lines = (f"，{made.lines} 行：受多种资助或多个学期资助的学生每项一行"
                 if made.lines is not None and made.lines != made.rows else "")
        typer.echo(f"已写出公示名单：{shown_path(made.path)}（{made.rows} 人{lines}）")
        _print_left_out(made)
        typer.echo(f"公示时间：{made.start} 至 {made.end}，共 {made.workdays} 个工作日（首尾两天都计入）{made.note}")
        if not made.starts_on_workday:
            typer.echo("提示：开始日期不是工作日，不计入公示的工作日数；请确认当天确实已张贴公示")
        typer.echo(self_check_line(made.unchecked))
        return 0

    raise typer.Exit(_guard(False, _run))
