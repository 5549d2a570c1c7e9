"""Command line (Typer). Parses options, calls the parts in order, sets the exit status."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import platform
import sys
import traceback
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import polars as pl
import typer

from xueji_check import __version__
from xueji_check.cli_zh import ZhCommand, ZhGroup

app = typer.Typer(
    cls=ZhGroup,
    name="xueji-check",
    help="技工院校学籍与资助合规检查（人社厅发〔2018〕28号）。\n\n示例：xueji-check check sample_data",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},  # subcommands' contexts inherit it
)


class FailOn(StrEnum):
    error = "error"
    warning = "warning"
    new = "new"
    never = "never"


class ValidateFailOn(StrEnum):
    """`validate` has no --baseline, so no `new`."""
    error = "error"
    warning = "warning"
    never = "never"


AS_OF_HELP = "检查基准日（默认今天），如 2025-06-30、2025/6/30、2025年6月30日、20250630"
FAIL_ON_HELP = ("何种问题使退出码为 1：error 有错误，warning 有错误或警告，new 有新增问题（需 --baseline），"
                "never 总是 0")
VALIDATE_FAIL_ON_HELP = "何种问题使退出码为 1：error 有错误，warning 有错误或警告，never 总是 0"
FORMAT_HELP = "输出格式，逗号分隔，可选 xlsx、csv、json、html、parquet"
CACHE_HELP = ("缓存文件夹：保存读取、规范化后的数据，下次只读取有变化的文件（其中有学生个人信息，"
              "见 README 的数据安全；可在策略文件中写 cache）")
NO_CACHE_HELP = "本次不使用缓存（即使策略文件写了 cache）"
OUT_FORCE_HELP = "--out 中已有同名文件不是本工具写出的（或写出后被修改过）时，也覆盖或删除它们"
KIND_HELP = "表格类型：学籍名册（roster）、学籍异动（changes）、资助（aid）、公示名单（publicity）、在职参保（employed）"


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


DATE_FORMS = "2025-06-30、2025-6-30、2025/6/30、2025.6.30、20250630 或 2025年6月30日"


def parse_date(text: str | None, what: str) -> dt.date | None:
    """A date typed on the command line, in every form the data cells accept (the table
    normaliser `normalize.date_struct`: 2025-6-30, 2025/6/30, 2025.6.30, 20250630, 2025年6月30日).
    A year and month only (2025-06), an Excel serial number or anything else is a UsageError
    naming `what` (e.g. "--as-of") and the accepted forms."""
    if text is None:
        return None
    from xueji_check.normalize import date_struct

    shown = text.strip()
    # a five-digit serial is a cell's storage, never what a person types
    if not shown or shown.replace(".", "", 1).isdigit() and len(shown.split(".")[0]) == 5:
        raise UsageError(f"{what}「{shown}」无法识别为日期，请写成 {DATE_FORMS}")
    got = pl.select(date_struct(pl.lit(shown, dtype=pl.String)).alias("d")).item()
    if got["date"] is not None and got["ym_only"]:
        raise UsageError(f"{what}「{shown}」只有年和月，请写出具体哪一天，如 {DATE_FORMS}")
    if got["date"] is None:
        raise UsageError(f"{what}「{shown}」无法识别为日期，请写成 {DATE_FORMS}")
    return got["date"]



def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


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


def _echo_err(text: str) -> None:
    """A message on stderr, with control and escape sequences of input-derived text removed and
    ID-, mobile- and card-shaped numbers masked (a value quoted back from a policy file or an
    option may be one)."""
    from xueji_check.pii import mask_text
    from xueji_check.report.terminal import safe

    typer.echo(safe(mask_text(text), newlines=True), err=True)


def _guard(debug: bool, fn):
    """Run fn; turn every failure into a Chinese one-line message and exit 2. SIGTERM is handled
    as Ctrl-C (KeyboardInterrupt), so that every `finally` runs and no staging folder or
    temporary file is left behind; a second signal does not cut that clean-up short
    (publish.first_interrupt)."""
    import signal

    from xueji_check.policy import PolicyError
    from xueji_check.report import OutputError, describe_os_error
    from xueji_check.report.publish import first_interrupt
    from xueji_check.store import StoreError

    previous: dict = {}
    for name in ("SIGINT", "SIGTERM"):
        with contextlib.suppress(ValueError, OSError, AttributeError):  # not the main thread / no SIGTERM
            sig = getattr(signal, name)
            previous[sig] = signal.signal(sig, first_interrupt)
    try:
        return fn()
    except typer.Exit:
        raise
    except (UsageError, PolicyError, OutputError, StoreError) as exc:
        _echo_err(f"错误：{exc}")
        raise typer.Exit(2) from None
    except KeyboardInterrupt as exc:
        _interrupted(getattr(exc, "published", False))
    except MemoryError:
        _echo_err("错误：内存不足，检查未完成。请关闭其他占用内存的程序，或把输入分成几批分别检查")
        raise typer.Exit(2) from None
    except OSError as exc:
        # a fault of the environment (disk, permissions, temporary folder), not of the tool
        if debug:
            _echo_err(traceback.format_exc())
        _echo_err(f"错误：{describe_os_error(exc)}")
        raise typer.Exit(2) from None
    except Exception as exc:
        if debug:
            _echo_err(traceback.format_exc())
        else:
            _echo_err(f"错误：运行失败（{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}）。"
                      "加 --debug 可查看详细信息，请把它和输入文件的情况一起反馈")
        raise typer.Exit(2) from None
    except BaseException as exc:
        # a Rust panic inside Polars is pyo3's PanicException, no Exception; Ctrl-C while Polars
        # was calling back into Python (a map_batches function) arrives as one
        if type(exc).__name__ != "PanicException":
            raise
        if "KeyboardInterrupt" in str(exc):
            _interrupted(False)
        if debug:
            _echo_err(traceback.format_exc())
        _echo_err("错误：运行失败（Polars 内部错误）。加 --debug 可查看详细信息，请把它和输入文件的情况一起反馈")
        raise typer.Exit(2) from None
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _interrupted(published: bool) -> NoReturn:
    """Ctrl-C or SIGTERM stopped the command: say what was written, exit 2."""
    if published:
        _echo_err("已中断；新的报告在中断前已完整写出")
    else:
        _echo_err("已中断，未写出新的文件（上次的报告和已有的文件未被改动）")
    raise typer.Exit(2) from None


@app.command(cls=ZhCommand)
def check(
    paths: Annotated[list[Path] | None, typer.Argument(metavar="文件或文件夹",
                                                       help="要检查的文件或文件夹（按表头自动识别类型）")] = None,
    roster: Annotated[list[Path] | None, typer.Option("--roster", metavar="文件", help="学籍名册文件（可多次给出）")] = None,
    changes: Annotated[list[Path] | None, typer.Option("--changes", metavar="文件", help="学籍异动记录文件")] = None,
    aid: Annotated[list[Path] | None, typer.Option("--aid", metavar="文件", help="资助申报与发放文件")] = None,
    publicity: Annotated[list[Path] | None, typer.Option("--publicity", metavar="文件", help="公示名单文件")] = None,
    employed: Annotated[list[Path] | None, typer.Option("--employed", metavar="文件",
                                                        help="在职参保名单（身份证号）")] = None,
    config: Annotated[Path | None, typer.Option("--config", metavar="策略文件", help="策略文件 xueji.toml")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", metavar="日期", help=AS_OF_HELP)] = None,
    out: Annotated[Path, typer.Option("--out", metavar="文件夹", help="输出文件夹")] = Path("xueji-report"),
    fail_on: Annotated[FailOn, typer.Option("--fail-on", metavar="条件", help=FAIL_ON_HELP)] = FailOn.error,
    baseline: Annotated[Path | None, typer.Option("--baseline", metavar="文件",
                                                  help="上次的 findings.json，用于标记新增/持续/已整改")] = None,
    formats: Annotated[str, typer.Option("--format", metavar="格式", help=FORMAT_HELP)] = "xlsx,csv,json",
    publicity_start: Annotated[str | None, typer.Option("--publicity-start", metavar="日期",
                                                        help="公示开始日期（写法同 --as-of）")] = None,
    publicity_end: Annotated[str | None, typer.Option("--publicity-end", metavar="日期",
                                                      help="公示结束日期（写法同 --as-of）")] = None,
    annotate_all: Annotated[bool, typer.Option("--annotate-all", help="大文件也完整复制到批注工作簿")] = False,
    show_pii: Annotated[bool, typer.Option("--show-pii", help="输出完整的身份证号、手机号、银行卡号，原表副本中的住址等也不打码（默认打码）；只在安全环境中使用")] = False,
    cache: Annotated[Path | None, typer.Option("--cache", metavar="文件夹", help=CACHE_HELP)] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help=NO_CACHE_HELP)] = False,
    force: Annotated[bool, typer.Option("--force", help=OUT_FORCE_HELP)] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="只输出一行结果")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="出错时显示详细的调用栈")] = False,
) -> None:
    """检查导出的学籍、异动、资助、公示表格，输出问题清单与报告。

    示例：xueji-check check sample_data --as-of 2025-06-30 --out 报告
    """

    def _run() -> int:
        return _check(paths or [], {"roster": roster or [], "changes": changes or [], "aid": aid or [],
                                    "publicity": publicity or [], "employed": employed or []},
                      config, as_of, out, fail_on, baseline, formats, publicity_start, publicity_end,
                      annotate_all, show_pii, quiet, debug, cache=cache, no_cache=no_cache, force=force)

    code = _guard(debug, _run)
    raise typer.Exit(code)


# The files each format writes, in the order they are written; every name here is one the tool
# owns in an output folder (a file of that name left by an earlier run is removed: one run per folder).
OUTPUT_FILES = {"csv": ("findings.csv", "问题清单.csv"), "json": ("findings.json",),
                "parquet": ("findings.parquet",), "xlsx": ("report.xlsx",), "html": ("report.html",)}
ALL_OUTPUT_NAMES = tuple(n for names in OUTPUT_FILES.values() for n in names)


def _os_error_of(exc: BaseException) -> OSError | None:
    """The OSError behind a writer's failure (xlsxwriter wraps it in FileCreateError)."""
    if isinstance(exc, OSError):
        return exc
    for inner in (*getattr(exc, "args", ()), exc.__cause__, exc.__context__):
        if isinstance(inner, OSError):
            return inner
    return None


def output_names(fmts: set[str]) -> list[str]:
    """The file names written for the formats `fmts`, in writing order."""
    return [n for f in OUTPUT_FILES if f in fmts for n in OUTPUT_FILES[f]]


def _write_outputs(out: Path, fmts: set[str], findings, result, doc, annotate_all, policy,
                   inputs: list[Path], keep: list[Path] | None = None,
                   checked=None) -> tuple[list[str], list[str]]:
    """Write every output into a staging folder inside `out`, then replace the earlier report
    all-or-nothing (report.publish): a run that fails or is interrupted leaves the last good
    report as it was, never a half-written or mixed one. Output files of an earlier run that
    this run does not write are removed in the same step (an output folder holds one run),
    except files in `keep` (this run's inputs, such as a baseline read from the same folder).
    An output name that is one of the run's `inputs` is refused before anything is written.
    Returns the paths written and the names removed."""
    from xueji_check.report import (
        OutputError,
        describe_os_error,
        os_reason,
        os_todo,
        same_file_as_any,
        temp_dir_of,
    )
    from xueji_check.report import files as rfiles
    from xueji_check.report.owned import RECORD, record_of
    from xueji_check.report.publish import staging

    names = output_names(fmts)
    is_input = same_file_as_any(inputs)
    for name in names:
        if is_input(out / name):
            raise UsageError(f"{out / name} 是本次的输入文件，报告不能写在它上面（未写出任何报告）；"
                             "请用 --out 换一个输出文件夹")
    is_protected = same_file_as_any([*inputs, *(keep or [])])
    stale = [n for n in ALL_OUTPUT_NAMES if n not in names and not is_protected(out / n)]
    doc["run"]["outputs"] = names
    with staging(out) as stage:
        try:
            for name in names:
                target = stage.path / name
                if name == "findings.csv":
                    rfiles.write_csv(findings, target)
                elif name == "问题清单.csv":
                    rfiles.write_csv_zh(findings, target)
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
        except Exception as exc:
            oserr = _os_error_of(exc)
            if oserr is None:
                raise
            if temp_dir_of(oserr.filename, out):
                raise OutputError(f"{describe_os_error(oserr, out)}；{out} 中上次的报告未被改动") from exc
            raise OutputError(f"无法写入输出文件夹 {out}（{os_reason(oserr)}），上次的报告未被改动；"
                              f"{os_todo(oserr)}，或用 --out 换一个文件夹") from exc
        # the record of what this run wrote (report.owned), replaced with the report in one step
        kept = [out / n for n in ALL_OUTPUT_NAMES
                if n not in names and is_protected(out / n) and (out / n).is_file() and not (out / n).is_symlink()]
        (stage.path / RECORD).write_text(json.dumps(record_of(stage.path, names, kept), ensure_ascii=False, indent=1),
                                         encoding="utf-8")
        removed = stage.commit([*names, RECORD], remove=stale, verify=checked)
    return [str(out / n) for n in names], removed


def _check_out_folder(out: Path, fmts: set[str], inputs: list[Path], force: bool, baseline: Path | None = None):
    """Refuse (UsageError) when an output file to be written is one of the run's `inputs`, and,
    unless `force`, when `out` holds a file bearing an output name that the tool did not write,
    or that was edited after (report.owned); an input there is left alone and needs no `force`.
    First a killed run's half-replaced report is put back (publish.clean_stale). Returns what was
    seen, for the commit to compare again (None with `force`)."""
    from xueji_check.load.files import shown_path
    from xueji_check.report import same_file_as_any
    from xueji_check.report.owned import check_folder, refusal_message
    from xueji_check.report.publish import clean_stale

    is_input = same_file_as_any(inputs)
    for name in output_names(fmts):
        if is_input(out / name):
            raise UsageError(f"{shown_path(out / name)} 是本次的输入文件，报告不能写在它上面（未写出任何报告）；"
                             "请用 --out 换一个输出文件夹")
    if force:
        return None
    if out.is_dir():
        clean_stale(out)
    refused, checked = check_folder(out, ALL_OUTPUT_NAMES)
    # an input there is left alone, and so is the baseline: it was read whole before the run
    kept = same_file_as_any([*inputs, *([baseline] if baseline else [])])
    refused = [(n, why) for n, why in refused if not kept(out / n)]
    if refused:
        raise UsageError(refusal_message(out, refused, shown_path(out)))
    return checked


def _open_store(cache: Path | None, given: list[Path]):
    """The column store of the run: the folder of --cache (or the policy's `cache`), kept between
    runs; else a temporary one, removed when the run ends. A cache folder inside a folder to be
    checked is refused: its files would be read as inputs."""
    from xueji_check.store import Store

    if cache is None:
        return Store.temporary()
    try:
        where = cache.resolve()
    except OSError:
        where = cache
    for p in given:
        try:
            if p.is_dir() and where.is_relative_to(p.resolve()):
                raise UsageError(f"缓存文件夹 {cache} 在要检查的文件夹 {p} 之内，其中的数据会被当作输入读取；"
                                 "请把缓存文件夹放在要检查的文件夹之外")
        except OSError:
            continue
    return Store.open(cache)


def _check(paths, explicit, config, as_of, out, fail_on, baseline, formats, pub_start, pub_end,
           annotate_all, show_pii, quiet, debug: bool = False, validate_only: bool = False,
           cache: Path | None = None, no_cache: bool = False, force: bool = False) -> int:
    from dataclasses import replace

    from xueji_check import engine
    from xueji_check.findings import (
        apply_baseline,
        read_baseline,
        salt_mismatch,
        split_unverified,
        summary,
    )
    from xueji_check.load.files import shown_path
    from xueji_check.policy import load_policy
    from xueji_check.report import same_file, terminal

    started = dt.datetime.now().astimezone()
    policy = load_policy(config)
    if validate_only:
        policy = replace(policy, select=("S",), ignore=())
    as_of_date = parse_date(as_of, "--as-of") or dt.date.today()
    fmts = {f.strip().lower() for f in formats.split(",") if f.strip()}
    unknown = fmts - {"xlsx", "csv", "json", "html", "parquet"}
    if unknown:
        raise UsageError(f"--format 不认识 {'、'.join(sorted(unknown))}（可用 xlsx,csv,json,html,parquet）")
    if fail_on == FailOn.new and baseline is None:
        raise UsageError("--fail-on new 需要同时给出 --baseline 上次的 findings.json")
    if not paths and not any(explicit.values()):
        raise UsageError("没有给出要检查的文件。示例：xueji-check check sample_data")
    given = [*paths, *(p for ps in explicit.values() for p in ps), *([config] if config else [])]
    if out.exists() and not out.is_dir():
        if any(same_file(out, p) for p in given):
            raise UsageError(f"无法写入输出文件夹 {out}：它是本次的输入文件，报告不会写在输入文件上；"
                             "请用 --out 给出一个文件夹")
        raise UsageError(f"无法写入输出文件夹 {out}：它是一个文件，不是文件夹；请用 --out 给出一个文件夹")
    # files in --out that the tool did not write are refused before the run, not after minutes of work
    checked = _check_out_folder(out, fmts, given, force, baseline)
    # the baseline is read (and checked) before the run, not after minutes of work
    old = None
    if baseline is not None:
        try:
            old, old_run = read_baseline(baseline)
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
        now_mark = policy.as_json().get("fingerprint_salt", "")
        if (mark := salt_mismatch(old_run, now_mark)) is not None:
            raise UsageError(f"基线文件 {baseline} 的问题指纹用的盐与本次不同（基线：{mark}；本次：{now_mark}），"
                             "两次的指纹无法比对，比较会把全部问题算作新增、上次的全部算作已整改。"
                             "请用与基线相同的 fingerprint_salt；如是有意更换了盐，请先不加 --baseline 运行一次，以其 findings.json 作为新的基线")
    options = {"validate_only": validate_only, "publicity_start": parse_date(pub_start, "--publicity-start"),
               "publicity_end": parse_date(pub_end, "--publicity-end")}
    if cache is None and policy.cache and not no_cache:
        cache = Path(policy.cache)
    store = _open_store(cache, [*paths, *(p for ps in explicit.values() for p in ps)])
    progress = Progress(enabled=not quiet and sys.stderr.isatty())
    try:
        result = engine.run(paths, explicit, policy, as_of_date, show_pii=show_pii, options=options,
                            progress=progress, store=store)
        findings = result.findings
        resolved = unverified = None
        present = result.schools_present()  # kind -> schools with rows (the next run's baseline)
        if old is not None:
            findings, resolved = apply_baseline(findings, old, show_pii=show_pii)
            s001 = findings.filter(pl.col("rule_id") == "S001").select("file", "sheet").unique()
            resolved, unverified = split_unverified(
                resolved, result.skipped, [n.path for n in result.not_checked], [i.display for i in result.inputs],
                present=present, sheets_not_checked={(f, sh) for f, sh in s001.iter_rows() if f is not None},
                present_before=old_run.get("schools_present"))
        code = 2 if result.fatal else _exit_code(findings, fail_on, len(result.not_checked))
        progress.step("写出报告")
        ended = dt.datetime.now().astimezone()
        doc = {
            "run": {
                "tool": "xueji-check", "command": "validate" if validate_only else "check", "version": __version__, "started": started.isoformat(timespec="seconds"),
                "ended": ended.isoformat(timespec="seconds"), "as_of": as_of_date.isoformat(),
                "python": platform.python_version(),
                "parameters": {"fail_on": fail_on.value, "show_pii": show_pii, "formats": sorted(fmts),
                               "baseline": shown_path(baseline) if baseline else None,
                               "config": shown_path(config) if config else None,
                               "publicity_start": _iso(options["publicity_start"]),
                               "publicity_end": _iso(options["publicity_end"])},
                "policy": policy.as_json(),
                "inputs": [{"path": i.display, "sha256": i.sha256, "bytes": i.size, "readable": i.ok,
                            "sheets": [{"sheet": t.sheet, "kind": t.kind, "header_row": t.header_row,
                                        "rows": t.raw.height, "checked": t.checkable} for t in i.tables],
                            "rows": sum(t.raw.height for t in i.tables)} for i in result.inputs],
                "outputs": [],  # the file names written into --out (set by _write_outputs)
                "problems": [{"level": p.level, "file": p.file, "sheet": p.sheet, "row": p.row,
                              "message": p.message} for p in result.problems],
                "files_not_checked": len(result.not_checked),
                "not_checked": [{"path": n.path, "folder": n.folder, "reason": n.reason} for n in result.not_checked],
                "skipped_rules": result.skipped,
                "unjudged": result.unjudged,
                # kind -> the schools this run had rows of (findings.split_unverified of a later run)
                "schools_present": {k: sorted(v) for k, v in present.items() if v},
                "skipped_summary": "；".join(terminal.skipped_lines(result.skipped, validate_only)) or None,
                "calendar_note": result.calendar_note,
                "exit_status": code,
            },
            "summary": summary(findings, resolved, unverified),
            "findings": [],  # written from the frame by write_json
        }
        if resolved is not None:
            doc["resolved"] = resolved
            doc["unverified"] = unverified
        # Nothing could be read or checked (no finding at all, not even S001): no report is
        # written, so the last good one stays where a nightly job expects it.
        nothing_checked = result.fatal and findings.height == 0 and not any(result.tables.values())
        inputs = [i.path for i in result.inputs] + ([config] if config else [])
        outputs, removed = ([], []) if nothing_checked else _write_outputs(
            out, fmts, findings, result, doc, annotate_all, policy, inputs, keep=[baseline] if baseline else [],
            checked=checked)
    finally:
        progress.stop()
        store.close()  # a temporary store is removed (Ctrl-C and SIGTERM included: see _guard)
    con = terminal.console()
    errcon = terminal.console(stderr=True)
    full = [f"{Path(o).name}{where}" for o, where in
            ((out / "findings.json", "（run.problems）"), (out / "report.xlsx", " 的「总览」"), (out / "report.html", ""))
            if str(o) in outputs]
    terminal.print_problems(errcon, [p for p in result.problems if not quiet or p.level == "error"],
                            full_list="、".join(full) or None)
    if debug:
        for p in result.problems:
            if p.detail:
                _echo_err(f"--- {p.where()}\n{p.detail}")
    if nothing_checked:
        earlier = any((out / n).exists() for n in ALL_OUTPUT_NAMES) if out.is_dir() else False
        kept = f"{out} 中上次的报告保持不变" if earlier else f"没有创建 {out}" if not out.exists() else f"{out} 未改动"
        _echo_err(f"未写出报告：没有可以检查的数据（{kept}），请按上面的提示检查输入文件")
        return 2
    if quiet:
        typer.echo(terminal.quiet_line(findings, resolved, as_of_date.isoformat(), code, out,
                                       not_checked=len(result.not_checked), unverified=len(unverified or [])))
    else:
        if result.not_checked:
            con.print(f"[red]{_not_checked_line(result.not_checked)}[/]")
        if cache is not None:
            read = sum(1 for i in result.inputs if i.ok) - result.cache_hits
            con.print(terminal.safe(f"缓存 {shown_path(cache)}：{result.cache_hits} 个文件没有变化，未重新读取；读取了 {read} 个文件"),
                      markup=False, highlight=False)
        terminal.print_summary(con, findings, result.skipped, resolved, result.calendar_note, outputs, code,
                               as_of=as_of_date.isoformat(), removed=removed, validate_only=validate_only,
                               unjudged=engine.unjudged_line(result.unjudged), unverified=unverified)
    return code


@app.command(cls=ZhCommand)
def validate(
    paths: Annotated[list[Path], typer.Argument(metavar="文件或文件夹", help="要校验的文件或文件夹")],
    as_of: Annotated[str | None, typer.Option("--as-of", metavar="日期", help=AS_OF_HELP)] = None,
    out: Annotated[Path, typer.Option("--out", metavar="文件夹", help="输出文件夹")] = Path("xueji-report"),
    fail_on: Annotated[ValidateFailOn, typer.Option("--fail-on", metavar="条件",
                                                    help=VALIDATE_FAIL_ON_HELP)] = ValidateFailOn.error,
    formats: Annotated[str, typer.Option("--format", metavar="格式", help=FORMAT_HELP)] = "xlsx,csv,json",
    cache: Annotated[Path | None, typer.Option("--cache", metavar="文件夹", help=CACHE_HELP)] = None,
    force: Annotated[bool, typer.Option("--force", help=OUT_FORCE_HELP)] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="只输出一行结果")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="出错时显示调用栈")] = False,
) -> None:
    """只做数据格式校验（S 类规则），不运行业务规则。

    示例：xueji-check validate sample_data/学籍名册_东方技工学校.xlsx
    """
    def _run() -> int:
        return _check(paths, {}, None, as_of, out, FailOn(fail_on.value), None, formats, None, None, False, False,
                      quiet, debug, validate_only=True, cache=cache, force=force)

    raise typer.Exit(_guard(debug, _run))


def _select_rules(wanted: list[str]) -> list:
    """The rules named by `wanted` (ids or prefixes, any case: `R101`, `r101`, `R1`, `A`), in
    catalogue order; all rules when `wanted` is empty. An id or prefix that names no rule is a
    UsageError listing the families."""
    from xueji_check.registry import CATALOG

    chosen: dict[str, object] = {}
    for w in wanted:
        key = w.strip().upper()
        hits = [r for rid, r in CATALOG.items() if key and rid.startswith(key)]
        if not hits:
            fams = "、".join(dict.fromkeys(rid[0] for rid in CATALOG))
            raise UsageError(f"没有编号为「{w}」的规则。规则编号以 {fams} 开头，如 R101；"
                             "也可以只写开头几位列出一类，如 R1；xueji-check rules 列出全部规则")
        chosen.update((r.id, r) for r in hits)
    rules = list(CATALOG.values())
    return [r for r in rules if r.id in chosen] if wanted else rules


def _rule_block(r, full: bool, width: int | None) -> str:
    """One rule as text: id, severity and title, the clause and the documentation (what, why,
    example), indented;
    with `full` also the data it needs and how to switch it (the English title is in `--json`). Lines are
    wrapped at `width` display columns (None: not wrapped, e.g. piped) and never cut."""
    from xueji_check.cli_zh import wrap
    from xueji_check.docs import SEVERITY_ZH, rule_needs

    head = f"{r.id}  {SEVERITY_ZH[r.severity]}  {r.title}" + ("" if r.implemented else "（未实现）")
    body = [f"依据：{r.clause}"]
    if full:
        body.append(f"所需数据：{rule_needs(r)}")
    body += [f"说明：{r.what.strip()}", f"为什么：{r.why.strip()}", f"示例：{r.example.strip()}"]
    if full:
        body.append(f"调整：策略文件 xueji.toml 的 [severity] 可改级别或关闭（{r.id} = \"off\"），"
                    f"[rules] 的 ignore 可忽略（ignore = [\"{r.id}\"]）")
    lines = wrap(head, width) if width else [head]
    for text in body:
        parts = wrap(text, width - 6) if width else [text]
        lines += ["      " + ln for ln in parts]
    return "\n".join(lines)


@app.command(cls=ZhCommand)
def rules(
    ids: Annotated[list[str] | None, typer.Argument(
        metavar="规则编号", help="只显示这些规则的完整说明，如 R101；也可以写开头几位列出一类，如 R1、A")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出（给程序读）")] = False,
) -> None:
    """列出全部规则：编号、级别、名称、依据条款、说明。

    示例：xueji-check rules R101；xueji-check rules R1；xueji-check rules --json
    """
    import shutil

    from xueji_check.cli_zh import wrap
    from xueji_check.registry import load_rule_modules
    from xueji_check.report.terminal import safe

    def _run() -> int:
        load_rule_modules()
        chosen = _select_rules(ids or [])
        if as_json:
            typer.echo(json.dumps([{"id": r.id, "severity": r.severity, "title": r.title, "title_en": r.title_en,
                                    "clause": r.clause, "needs": {k: list(v) for k, v in r.needs.items()},
                                    "implemented": r.implemented, "doc": r.doc} for r in chosen],
                                  ensure_ascii=False, indent=1))
            return 0
        width = shutil.get_terminal_size().columns - 1 if sys.stdout.isatty() else None
        full = bool(ids)
        if not ids:
            head = f"规则目录（共 {len(chosen)} 条；xueji-check rules R101 显示一条规则的完整说明）"
            typer.echo("\n".join(wrap(head, width) if width else [head]) + "\n")
        typer.echo(safe("\n\n".join(_rule_block(r, full, width) for r in chosen), newlines=True))
        return 0

    raise typer.Exit(_guard(False, _run))


# Chinese names a person may type for a kind (besides roster/changes/aid/publicity/employed and the
# titles in schemas/*.toml)
KIND_NAMES = {"学籍名册": "roster", "名册": "roster", "学籍": "roster",
              "学籍异动": "changes", "学籍异动记录": "changes", "异动": "changes",
              "资助": "aid", "资助申报与发放": "aid", "资助申报": "aid", "资助发放": "aid",
              "公示": "publicity", "公示名单": "publicity", "资助公示": "publicity",
              "在职参保": "employed", "参保": "employed", "在职参保名单": "employed", "在职": "employed"}


def kind_of(name: str) -> str:
    """The kind named by `name`: roster/changes/aid/publicity/employed (any case), a Chinese name
    (学籍名册, 名册, 学籍异动, 异动, 资助, 公示, 在职参保, 参保, …) or a title of schemas/*.toml.
    Anything else is a UsageError listing the names."""
    from xueji_check.spec import KINDS, all_kinds

    key = name.strip()
    if key.lower() in KINDS:
        return key.lower()
    names = {**KIND_NAMES, **{s.title: k for k, s in all_kinds().items()}}
    if key in names:
        return names[key]
    listed = "；".join(f"{all_kinds()[k].title}（{k}）" for k in KINDS)
    raise UsageError(f"未知的表格类型「{name}」。可用：{listed}；如 xueji-check schema 名册")


@app.command("schema", cls=ZhCommand)
def schema_cmd(
    kind: Annotated[str | None, typer.Argument(metavar="表格类型", help=KIND_HELP)] = None,
    template: Annotated[Path | None, typer.Option("--template", metavar="文件",
                                                  help="写出供学校填写的模板 .xlsx（含下拉选项、示例行和填表说明）")] = None,
    force: Annotated[bool, typer.Option("--force", help="覆盖已有的模板文件")] = False,
) -> None:
    """显示表格的字段、是否必填、取值与表头别名，或写出供学校填写的模板。

    示例：xueji-check schema 名册；xueji-check schema roster --template 学籍名册模板.xlsx
    """
    from xueji_check.spec import KINDS, all_kinds

    def _run() -> int:
        specs = all_kinds()
        chosen = [kind_of(kind)] if kind is not None else list(KINDS)
        if template is not None:
            if kind is None:
                raise UsageError("写模板时请指定表格类型，如 xueji-check schema 名册 --template 学籍名册模板.xlsx")
            from xueji_check.report import check_target
            from xueji_check.report.template import GUIDE_SHEET, write_template

            if template.suffix.lower() != ".xlsx":
                raise UsageError(f"--template 应为 .xlsx 文件，现为 {template}")
            check_target(template, [], force=force, option="--template")
            write_template(specs[chosen[0]], template)
            from xueji_check.load.files import shown_path

            typer.echo(f"已写出模板：{shown_path(template)}（第 2 行是示例行，可删除或保留；"
                       f"每列的填写要求见工作表「{GUIDE_SHEET}」）")
            return 0
        from xueji_check.report.terminal import safe

        for k in chosen:  # schemas/*.toml may be a province's own: printed as text only
            s = specs[k]
            typer.echo(safe(f"# {s.title}（{k}）"))
            for f in s.fields:
                req = "必填" if f.required else ("必须有此列" if f.required_column else "选填")
                extra = f"；取值：{'、'.join(f.values)}" if f.values else ""
                typer.echo(safe(f"  {f.title}（{req}；字段名 {f.name}）别名：{'、'.join(f.aliases)}{extra}"))
        return 0

    raise typer.Exit(_guard(False, _run))


@app.command("init-config", cls=ZhCommand)
def init_config(
    path: Annotated[Path, typer.Argument(metavar="文件", help="写出的策略文件路径")] = Path("xueji.toml"),
    force: Annotated[bool, typer.Option("--force", help="覆盖已有文件")] = False,
) -> None:
    """写出带中文注释的默认策略文件 xueji.toml。

    示例：xueji-check init-config xueji.toml
    """
    from xueji_check.policy import DEFAULT_CONFIG
    from xueji_check.report import atomic_path, check_target

    def _run() -> int:
        from xueji_check.load.files import FOLDER_SUFFIXES

        if path.suffix.lower() in FOLDER_SUFFIXES | OTHER_DATA_SUFFIXES:
            # --force is for an old policy file: a spreadsheet named here is a slip of the hand
            raise UsageError(f"{path} 不是策略文件（{path.suffix}：表格文件、文档或报告），策略文件不会写在它上面，加不加 --force 都不写；"
                             "请给出以 .toml 结尾的文件名，如 xueji.toml")
        check_target(path, [], force=force, option="init-config")
        with atomic_path(path) as tmp:
            tmp.write_text(DEFAULT_CONFIG, encoding="utf-8")
        from xueji_check.load.files import shown_path

        typer.echo(f"已写出策略文件：{shown_path(path)}")
        return 0

    raise typer.Exit(_guard(False, _run))


# besides the inputs it reads (load.files.FOLDER_SUFFIXES): what init-config never writes a policy
# file over (reports, documents)
OTHER_DATA_SUFFIXES = {".json", ".html", ".docx", ".doc", ".pdf", ".wps", ".et"}


@app.command(cls=ZhCommand)
def workdays(
    start: Annotated[str, typer.Argument(metavar="起始日期", help="起始日期，写法同 --as-of")],
    end: Annotated[str, typer.Argument(metavar="结束日期", help="结束日期")],
    config: Annotated[Path | None, typer.Option("--config", metavar="策略文件",
                                                help="策略文件（[holidays] 补充）")] = None,
) -> None:
    """计算两个日期之间的工作日数：首尾两天都计入（资助公示期 P401 的算法），
    以及不含起始日、含结束日（学籍异动申报期限 C201 的算法），并列出其间的节假日和调休上班日。

    尚未公布放假安排的年份按估计计算，估计的日子标“（估计）”。

    示例：xueji-check workdays 2024-09-27 2024-10-14
    """
    from xueji_check.calendar import WorkCalendar, workdays_lines
    from xueji_check.policy import load_policy

    def _run() -> int:
        a = parse_date(start, "起始日期")
        b = parse_date(end, "结束日期")
        if b < a:
            raise UsageError(f"起始日期 {a} 晚于结束日期 {b}：请把较早的日期写在前面，"
                             f"如 xueji-check workdays {b} {a}")
        for line in workdays_lines(WorkCalendar(load_policy(config)), a, b):
            typer.echo(line)
        return 0

    raise typer.Exit(_guard(False, _run))


cache_app = typer.Typer(cls=ZhGroup, help="缓存文件夹（--cache）的管理。\n\n示例：xueji-check cache clear xueji-cache",
                        no_args_is_help=True, rich_markup_mode=None)


@cache_app.command("clear", cls=ZhCommand)
def cache_clear(
    folder: Annotated[Path, typer.Argument(metavar="文件夹", help="用 --cache（或策略文件的 cache）指定的缓存文件夹")],
) -> None:
    """清空缓存文件夹：删除 xueji-check 在其中保存的全部数据（含学生个人信息），文件夹中的其他文件不动。

    不是缓存文件夹的（其中没有 xueji-check 的标记文件）一律不删。

    示例：xueji-check cache clear xueji-cache
    """
    from xueji_check.store import clear

    def _run() -> int:
        n, freed = clear(folder)
        size = f"{freed / 1024**2:,.1f} MB" if freed >= 1024**2 else f"{freed / 1024:,.0f} KB"
        from xueji_check.load.files import shown_path

        typer.echo(f"已清空缓存文件夹 {shown_path(folder)}：删除了 {n} 个输入文件的缓存数据，共 {size}")
        return 0

    raise typer.Exit(_guard(False, _run))


def main() -> None:
    app()


def _register_subcommands() -> None:
    from xueji_check.publicity_cli import app as publicity_app

    app.add_typer(publicity_app, name="publicity")
    app.add_typer(cache_app, name="cache")


_register_subcommands()


if __name__ == "__main__":
    main()
