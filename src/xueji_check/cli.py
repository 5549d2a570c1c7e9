"""Command line (Typer). Parses options, calls the parts in order, sets the exit status."""

from __future__ import annotations

import datetime as dt
import json
import platform
import sys
import traceback
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from xueji_check import __version__

app = typer.Typer(
    name="xueji-check",
    help="技工院校学籍与资助合规检查（人社厅发〔2018〕28号）。\n\n示例：xueji-check check sample_data",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


class FailOn(StrEnum):
    error = "error"
    warning = "warning"
    new = "new"
    never = "never"


class UsageError(Exception):
    """A bad option or argument: exit 2 with a Chinese one-line message."""


def _version(value: bool) -> None:
    if value:
        typer.echo(f"xueji-check {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="显示版本号后退出")] = False,
) -> None:
    """技工院校学籍与资助合规检查。"""


def _parse_date(text: str | None, what: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text.replace("/", "-"))
    except ValueError as exc:
        raise UsageError(f"{what}「{text}」无法识别为日期，请写成 2018-09-01 格式") from exc


class Progress:
    """Step display on stderr; silent when not a TTY or with --quiet."""

    def __init__(self, enabled: bool) -> None:
        self.status = None
        if enabled:
            from rich.console import Console

            self.status = Console(stderr=True).status("开始…")
            self.status.start()

    def step(self, label: str, total: int | None = None) -> None:
        if self.status:
            self.status.update(f"{label}…" + (f"（{total}）" if total else ""))

    def stop(self) -> None:
        if self.status:
            self.status.stop()


def _exit_code(findings: pl.DataFrame, fail_on: FailOn, not_checked: int = 0) -> int:
    """0 or 1 (2, the run could not be done, is decided by the engine). 1 when a finding is at
    or above --fail-on, or when a file given (or found in a given folder) was not checked: a
    partial run never passes as clean. --fail-on never is always 0."""
    if fail_on == FailOn.never:
        return 0
    if not_checked:
        return 1
    if fail_on == FailOn.new:
        return 1 if findings.filter(pl.col("status") == "new").height else 0
    sevs = ["error"] if fail_on == FailOn.error else ["error", "warning"]
    return 1 if findings.filter(pl.col("severity").is_in(sevs)).height else 0


def _not_checked_line(not_checked) -> str:
    """The summary's line on files not checked ("" when every file was)."""
    if not not_checked:
        return ""
    folders = sum(1 for n in not_checked if n.folder)
    files = len(not_checked) - folders
    what = "、".join(x for x in (f"{files} 个文件" if files else "", f"{folders} 个文件夹" if folders else "") if x)
    return f"有 {what}未能检查（无法读取、无法识别或被拒绝读取，原因见上面的错误提示），结果不完整"


def _guard(debug: bool, fn):
    """Run fn; turn every failure into a Chinese one-line message and exit 2."""
    from xueji_check.policy import PolicyError

    try:
        return fn()
    except typer.Exit:
        raise
    except (UsageError, PolicyError) as exc:
        typer.echo(f"错误：{exc}", err=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        typer.echo("已中断", err=True)
        raise typer.Exit(2) from None
    except Exception as exc:
        if debug:
            traceback.print_exc()
        else:
            typer.echo(f"错误：运行失败（{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}）。"
                       "加 --debug 可查看详细信息，请把它和输入文件的情况一起反馈", err=True)
        raise typer.Exit(2) from None


@app.command()
def check(
    paths: Annotated[list[Path] | None, typer.Argument(help="要检查的文件或文件夹（按表头自动识别类型）")] = None,
    roster: Annotated[list[Path] | None, typer.Option("--roster", help="学籍名册文件（可多次给出）")] = None,
    changes: Annotated[list[Path] | None, typer.Option("--changes", help="学籍异动记录文件")] = None,
    aid: Annotated[list[Path] | None, typer.Option("--aid", help="资助申报与发放文件")] = None,
    publicity: Annotated[list[Path] | None, typer.Option("--publicity", help="公示名单文件")] = None,
    employed: Annotated[list[Path] | None, typer.Option("--employed", help="在职参保名单（身份证号）")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="策略文件 xueji.toml")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="检查基准日（默认今天），如 2018-12-31")] = None,
    out: Annotated[Path, typer.Option("--out", help="输出文件夹")] = Path("xueji-report"),
    fail_on: Annotated[FailOn, typer.Option("--fail-on", help="何种问题使退出码为 1：error/warning/new/never")] = FailOn.error,
    baseline: Annotated[Path | None, typer.Option("--baseline", help="上次的 findings.json，用于标记新增/持续/已整改")] = None,
    formats: Annotated[str, typer.Option("--format", help="输出格式，逗号分隔：xlsx,csv,json,html,parquet")] = "xlsx,csv,json",
    publicity_start: Annotated[str | None, typer.Option("--publicity-start", help="公示开始日期")] = None,
    publicity_end: Annotated[str | None, typer.Option("--publicity-end", help="公示结束日期")] = None,
    annotate_all: Annotated[bool, typer.Option("--annotate-all", help="大文件也完整复制到批注工作簿")] = False,
    show_pii: Annotated[bool, typer.Option("--show-pii", help="输出完整身份证号（默认打码）")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="只输出一行结果")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="出错时显示详细的调用栈")] = False,
) -> None:
    """检查导出的学籍、异动、资助、公示表格，输出问题清单与报告。

    示例：xueji-check check sample_data --as-of 2019-06-30 --out 报告
    """

    def _run() -> int:
        return _check(paths or [], {"roster": roster or [], "changes": changes or [], "aid": aid or [],
                                    "publicity": publicity or [], "employed": employed or []},
                      config, as_of, out, fail_on, baseline, formats, publicity_start, publicity_end,
                      annotate_all, show_pii, quiet, debug)

    code = _guard(debug, _run)
    raise typer.Exit(code)


OUTPUT_FILES = {"csv": "findings.csv", "json": "findings.json", "parquet": "findings.parquet",
                "xlsx": "report.xlsx", "html": "report.html"}


def _write_outputs(out: Path, fmts: set[str], findings, result, doc, annotate_all, policy) -> list[str]:
    """Write every output into a staging folder inside `out`, then move each into place: a run
    that fails leaves the last good report as it was, never a half-written one."""
    import os
    import shutil
    import tempfile

    from xueji_check.report import files as rfiles

    try:
        if out.exists() and not out.is_dir():
            raise NotADirectoryError(20, "这是一个文件，不是文件夹")
        out.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=".xueji-tmp-", dir=out))
    except OSError as exc:
        raise UsageError(f"无法写入输出文件夹 {out}（{exc.strerror or exc}），请用 --out 换一个可写的文件夹") from exc
    try:
        names = [OUTPUT_FILES[f] for f in ("csv", "json", "parquet", "xlsx", "html") if f in fmts]
        for name in names:
            target = stage / name
            if name == "findings.csv":
                rfiles.write_csv(findings, target)
            elif name == "findings.json":
                rfiles.write_json(doc, target, findings)
            elif name == "findings.parquet":
                rfiles.write_parquet(findings, target)
            elif name == "report.xlsx":
                from xueji_check.report import excel

                excel.write_report(findings, result, doc, target, annotate_all=annotate_all, policy=policy)
            else:
                from xueji_check.report import html

                html.write_html(findings, result, doc, target)
        for name in names:
            if (out / name).is_dir():
                raise IsADirectoryError(21, f"{name} 是一个文件夹")
        for name in names:
            os.replace(stage / name, out / name)
    except OSError as exc:
        raise UsageError(f"无法写入输出文件夹 {out}（{exc.strerror or exc}），上次的报告未被改动；"
                         "请检查磁盘空间和权限，或用 --out 换一个文件夹") from exc
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return [str(out / n) for n in names]


def _check(paths, explicit, config, as_of, out, fail_on, baseline, formats, pub_start, pub_end,
           annotate_all, show_pii, quiet, debug: bool = False, validate_only: bool = False) -> int:
    from xueji_check import engine
    from xueji_check.findings import apply_baseline, summary
    from xueji_check.policy import load_policy
    from xueji_check.report import terminal

    started = dt.datetime.now().astimezone()
    policy = load_policy(config)
    as_of_date = _parse_date(as_of, "--as-of") or dt.date.today()
    fmts = {f.strip().lower() for f in formats.split(",") if f.strip()}
    unknown = fmts - {"xlsx", "csv", "json", "html", "parquet"}
    if unknown:
        raise UsageError(f"--format 不认识 {'、'.join(sorted(unknown))}（可用 xlsx,csv,json,html,parquet）")
    if baseline is not None and not baseline.is_file():
        raise UsageError(f"找不到基线文件 {baseline}（应为上次输出的 findings.json）")
    if fail_on == FailOn.new and baseline is None:
        raise UsageError("--fail-on new 需要同时给出 --baseline 上次的 findings.json")
    if not paths and not any(explicit.values()):
        raise UsageError("没有给出要检查的文件。示例：xueji-check check sample_data")
    options = {"validate_only": validate_only, "publicity_start": _parse_date(pub_start, "--publicity-start"),
               "publicity_end": _parse_date(pub_end, "--publicity-end")}
    progress = Progress(enabled=not quiet and sys.stderr.isatty())
    try:
        result = engine.run(paths, explicit, policy, as_of_date, show_pii=show_pii, options=options,
                            progress=progress)
        findings = result.findings
        resolved = None
        if baseline is not None:
            try:
                findings, resolved = apply_baseline(findings, baseline)
            except (ValueError, KeyError) as exc:
                raise UsageError(str(exc) if isinstance(exc, ValueError) else
                                 f"基线文件 {baseline} 不是有效的 findings.json") from exc
        code = 2 if result.fatal else _exit_code(findings, fail_on, len(result.not_checked))
        progress.step("写出报告")
        ended = dt.datetime.now().astimezone()
        doc = {
            "run": {
                "tool": "xueji-check", "version": __version__, "started": started.isoformat(timespec="seconds"),
                "ended": ended.isoformat(timespec="seconds"), "as_of": as_of_date.isoformat(),
                "python": platform.python_version(),
                "parameters": {"fail_on": fail_on.value, "show_pii": show_pii, "formats": sorted(fmts),
                               "baseline": str(baseline) if baseline else None,
                               "config": str(config) if config else None,
                               "publicity_start": pub_start, "publicity_end": pub_end},
                "policy": policy.as_json(),
                "inputs": [{"path": i.display, "sha256": i.sha256, "bytes": i.size, "readable": i.ok,
                            "sheets": [{"sheet": t.sheet, "kind": t.kind, "header_row": t.header_row,
                                        "rows": t.raw.height, "checked": t.checkable} for t in i.tables],
                            "rows": sum(t.raw.height for t in i.tables)} for i in result.inputs],
                "problems": [{"level": p.level, "file": p.file, "sheet": p.sheet, "row": p.row,
                              "message": p.message} for p in result.problems],
                "files_not_checked": len(result.not_checked),
                "not_checked": [{"path": n.path, "folder": n.folder, "reason": n.reason} for n in result.not_checked],
                "skipped_rules": result.skipped,
                "calendar_note": result.calendar_note,
                "exit_status": code,
            },
            "summary": summary(findings, resolved),
            "findings": [],  # written from the frame by write_json
        }
        if resolved is not None:
            doc["resolved"] = resolved
        # Nothing could be read or checked (no finding at all, not even S001): no report is
        # written, so the last good one stays where a nightly job expects it.
        nothing_checked = result.fatal and findings.height == 0 and not any(result.tables.values())
        outputs = [] if nothing_checked else _write_outputs(out, fmts, findings, result, doc, annotate_all, policy)
    finally:
        progress.stop()
    con = terminal.console()
    errcon = terminal.console(stderr=True)
    terminal.print_problems(errcon, [p for p in result.problems if not quiet or p.level == "error"])
    if debug:
        for p in result.problems:
            if p.detail:
                typer.echo(f"--- {p.where()}\n{p.detail}", err=True)
    if nothing_checked:
        typer.echo(f"未写出报告：没有可以检查的数据（{out} 中上次的报告保持不变），请按上面的提示检查输入文件", err=True)
        return 2
    if quiet:
        sev = {s: n for s, n in findings.group_by("severity").len().iter_rows()}
        missed = f"，{len(result.not_checked)} 个未能检查" if result.not_checked else ""
        typer.echo(f"xueji-check：{findings.height} 个问题（错误 {sev.get('error', 0)}，警告 {sev.get('warning', 0)}）"
                   f"{missed}，退出码 {code}，输出在 {out}")
    else:
        if result.not_checked:
            con.print(f"[red]{_not_checked_line(result.not_checked)}[/]")
        terminal.print_summary(con, findings, result.skipped, resolved, result.calendar_note, outputs, code)
    return code


@app.command()
def validate(
    paths: Annotated[list[Path], typer.Argument(help="要校验的文件或文件夹")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="基准日（默认今天）")] = None,
    out: Annotated[Path, typer.Option("--out", help="输出文件夹")] = Path("xueji-report"),
    fail_on: Annotated[FailOn, typer.Option("--fail-on", help="error/warning/never")] = FailOn.error,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="只输出一行结果")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="出错时显示调用栈")] = False,
) -> None:
    """只做数据格式校验（S 类规则），不运行业务规则。

    示例：xueji-check validate sample_data/学籍名册_东方技工学校.xlsx
    """
    def _run() -> int:
        cfg = _select_only_s()
        try:
            return _check(paths, {}, cfg, as_of, out, fail_on, None, "csv,json", None, None, False, False, quiet,
                          debug, validate_only=True)
        finally:
            cfg.unlink(missing_ok=True)

    raise typer.Exit(_guard(debug, _run))


def _select_only_s() -> Path:
    import tempfile

    fd, name = tempfile.mkstemp(suffix=".toml")
    with open(fd, "w", encoding="utf-8") as fh:
        fh.write('[rules]\nselect = ["S"]\n')
    return Path(name)


@app.command()
def rules(
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
) -> None:
    """列出全部规则：编号、级别、名称、依据条款、说明。

    示例：xueji-check rules --json
    """
    from xueji_check.registry import CATALOG, load_rule_modules

    load_rule_modules()
    if as_json:
        typer.echo(json.dumps([{"id": r.id, "severity": r.severity, "title": r.title, "title_en": r.title_en,
                                "clause": r.clause, "needs": {k: list(v) for k, v in r.needs.items()},
                                "implemented": r.implemented, "doc": r.doc} for r in CATALOG.values()],
                              ensure_ascii=False, indent=1))
        return
    from rich.table import Table as RichTable

    from xueji_check.report.terminal import console

    t = RichTable(title="规则目录")
    for h in ("编号", "级别", "名称", "依据", "说明"):
        t.add_column(h)
    for r in CATALOG.values():
        t.add_row(r.id, {"error": "错误", "warning": "警告", "info": "提示"}[r.severity],
                  r.title + ("" if r.implemented else "（未实现）"), r.clause, r.doc)
    console().print(t)


@app.command("schema")
def schema_cmd(
    kind: Annotated[str | None, typer.Argument(help="表格类型：roster/changes/aid/publicity/employed")] = None,
    template: Annotated[Path | None, typer.Option("--template", help="写出一个只有规范表头的空白模板 .xlsx")] = None,
) -> None:
    """显示表格的字段与表头别名，或写出空白模板。

    示例：xueji-check schema roster --template 学籍名册模板.xlsx
    """
    from xueji_check.spec import KINDS, all_kinds

    def _run() -> int:
        specs = all_kinds()
        if kind is not None and kind not in KINDS:
            raise UsageError(f"未知的表格类型 {kind}（可用：{', '.join(KINDS)}）")
        chosen = [kind] if kind else list(KINDS)
        if template is not None:
            if kind is None:
                raise UsageError("写模板时请指定表格类型，如 xueji-check schema roster --template 模板.xlsx")
            import openpyxl

            from xueji_check.report import atomic_path

            wb = openpyxl.Workbook()
            ws = wb.active
            ws.title = specs[kind].title
            ws.append([("*" if f.required else "") + f.title for f in specs[kind].fields])
            with atomic_path(template) as tmp:
                wb.save(tmp)
            typer.echo(f"已写出模板：{template}")
            return 0
        for k in chosen:
            s = specs[k]
            typer.echo(f"# {k}（{s.title}）")
            for f in s.fields:
                req = "必需" if f.required else ("必需列" if f.required_column else "可选")
                extra = f"；取值：{'、'.join(f.values)}" if f.values else ""
                typer.echo(f"  {f.name:18} {f.title}（{f.type}，{req}）别名：{'、'.join(f.aliases)}{extra}")
        return 0

    raise typer.Exit(_guard(False, _run))


@app.command("init-config")
def init_config(
    path: Annotated[Path, typer.Argument(help="写出的策略文件路径")] = Path("xueji.toml"),
    force: Annotated[bool, typer.Option("--force", help="覆盖已有文件")] = False,
) -> None:
    """写出带中文注释的默认策略文件 xueji.toml。

    示例：xueji-check init-config xueji.toml
    """
    from xueji_check.policy import DEFAULT_CONFIG
    from xueji_check.report import atomic_path

    if path.exists() and not force:
        typer.echo(f"错误：{path} 已存在；如要覆盖请加 --force", err=True)
        raise typer.Exit(2)
    with atomic_path(path) as tmp:
        tmp.write_text(DEFAULT_CONFIG, encoding="utf-8")
    typer.echo(f"已写出策略文件：{path}")


@app.command()
def workdays(
    start: Annotated[str, typer.Argument(help="起始日期（不计入）")],
    end: Annotated[str, typer.Argument(help="结束日期（计入）")],
    config: Annotated[Path | None, typer.Option("--config", help="策略文件（[holidays] 补充）")] = None,
) -> None:
    """计算两个日期之间的工作日数（不含起始日、含结束日），并列出其间的节假日和调休上班日。

    示例：xueji-check workdays 2024-09-27 2024-10-14
    """
    from xueji_check.calendar import WorkCalendar
    from xueji_check.policy import load_policy

    def _run() -> int:
        a = _parse_date(start, "起始日期")
        b = _parse_date(end, "结束日期")
        cal = WorkCalendar(load_policy(config))
        n = cal.workdays_between(a, b)
        typer.echo(f"{a} 至 {b}：{n} 个工作日（不含 {a}，含 {b}）")
        lo, hi = min(a, b), max(a, b)
        d = lo + dt.timedelta(days=1)
        while d <= hi:
            name = cal.holiday_name(d)
            if name:
                typer.echo(f"  {d} 星期{'一二三四五六日'[d.weekday()]} 放假：{name}")
            elif cal.is_makeup_workday(d):
                typer.echo(f"  {d} 星期{'一二三四五六日'[d.weekday()]} 调休上班")
            d += dt.timedelta(days=1)
        note = cal.note_unknown(set(cal.unknown_years_used) | {a.year, b.year})
        if note:
            typer.echo("注意：" + note.strip("（）"))
        return 0

    raise typer.Exit(_guard(False, _run))


def main() -> None:
    app()


def _register_subcommands() -> None:
    from xueji_check.publicity_cli import app as publicity_app

    app.add_typer(publicity_app, name="publicity")


_register_subcommands()


if __name__ == "__main__":
    main()
