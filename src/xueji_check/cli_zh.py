"""The command line's own text in Chinese: help pages and usage errors.

Typer (0.2x) vendors Click without its gettext calls, so Click's translation catalogue cannot
be used: its messages are fixed English strings. This module uses Click's structural extension
points instead, which exist in every Click 8 and in Typer's copy of it:

- `ZhContext.formatter_class` (`ZhHelpFormatter`): the usage line (用法：), the section headings
  (参数/选项/命令) and the definition lists, wrapped by display width (a Chinese character takes
  two columns) so that nothing is cut;
- `ZhCommand` / `ZhGroup` (passed as ``cls=`` to every Typer command and group): help rows built
  here from each parameter's Chinese metavar and help (no programmer types such as
  ``<list[Path]>``, no ``[default: …]``), the ``--help`` option's own text, and usage errors
  (unknown command or option, missing argument, bad value) turned into `ZhUsageError`, whose
  message is Chinese and names what to do.

`check_tree` tells whether every command of an app uses these classes (a test keeps it so).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from enum import Enum
from typing import Any

try:  # Typer >= 0.24 carries its own copy of Click
    from typer import _click as click
except ImportError:  # pragma: no cover - Typer with Click as a dependency
    import click  # type: ignore[no-redef]
from rich.cells import cell_len
from typer.core import TyperCommand, TyperGroup

HEADINGS = {"Usage": "用法", "Options": "选项", "Arguments": "参数", "Commands": "命令"}
HELP_OPTION_HELP = "显示本帮助后退出"
OPTIONS_METAVAR = "[选项]"
SUBCOMMAND_METAVAR = "命令 [参数]..."

_TOKEN = re.compile(r"[\x21-\x7e]+|\s+|.", re.S)
_NO_LINE_START = set("，。、；：！？）」』】》〉…—,.;:!?)")
_LINE_BREAK = re.compile(r"(.)?[ \t]*\n\s*(.)?")


def join_lines(text: str) -> str:
    """Lines of one paragraph joined: with a space between ASCII words, with nothing where
    either side is Chinese (a docstring's line break is no space in Chinese)."""

    def one(m: re.Match) -> str:
        a, b = m.group(1) or "", m.group(2) or ""
        return a + (" " if a.isascii() and b.isascii() and a and b else "") + b

    return _LINE_BREAK.sub(one, text)


def wrap(text: str, width: int) -> list[str]:
    """`text` (one paragraph) cut into lines of at most `width` display columns: a Chinese
    character is two columns and may end a line anywhere, a run of ASCII (a word, an option,
    a path) is kept whole unless it is longer than a line by itself. Never loses a character."""
    width = max(width, 10)
    lines: list[str] = []
    line, used = "", 0
    for tok in _TOKEN.findall(join_lines(text)):
        if tok.isspace():
            if line:
                line, used = line + " ", used + 1
            continue
        n = cell_len(tok)
        if used + n > width and line.strip():
            carry = ""
            if tok in _NO_LINE_START and len(line.rstrip()) > 1 and not line.rstrip()[-1].isascii():
                carry = line.rstrip()[-1]  # a line never starts with ，。、）…: take the character before along
                line = line.rstrip()[:-1]
            lines.append(line.rstrip())
            line, used = carry, cell_len(carry)
        while n > width:  # a single ASCII run longer than a line
            cut = width - used
            lines.append(line + tok[:cut])
            tok, line, used = tok[cut:], "", 0
            n = cell_len(tok)
        line, used = line + tok, used + n
    if line.strip():
        lines.append(line.rstrip())
    return lines


class ZhHelpFormatter(click.HelpFormatter):
    """Click's help formatter with Chinese headings and display-width wrapping."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        prefix = "用法：" if prefix is None else prefix
        head = f"{'':>{self.current_indent}}{prefix}{prog} "
        width = max(self.width - self.current_indent, 20)
        lines = wrap(args, max(width - cell_len(head), 20)) or [""]
        pad = " " * cell_len(head)
        self.write(head + lines[0] + "\n" + "".join(pad + ln + "\n" for ln in lines[1:]))

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{HEADINGS.get(heading, heading)}：\n")

    def write_text(self, text: str) -> None:
        indent = " " * self.current_indent
        paragraphs = [p for p in re.split(r"\n\s*\n", text.strip("\n")) if p.strip()]
        out = []
        for p in paragraphs:
            if p.startswith("\b"):  # Click's "do not rewrap" marker
                out.append("\n".join(indent + ln for ln in p[1:].strip("\n").splitlines()))
            else:
                out.append("\n".join(indent + ln for ln in wrap(p.strip(), self.width - self.current_indent)))
        self.write("\n\n".join(out) + "\n")

    def write_dl(self, rows: Sequence[tuple[str, str]], col_max: int = 30, col_spacing: int = 2) -> None:
        rows = list(rows)
        if not rows:
            return
        first = min(max(cell_len(t) for t, _ in rows), col_max)
        indent = " " * self.current_indent
        text_width = max(self.width - self.current_indent - first - col_spacing, 20)
        for term, text in rows:
            lines = wrap(text or "", text_width) or [""]
            if cell_len(term) <= first:
                self.write(f"{indent}{term}{' ' * (first - cell_len(term) + col_spacing)}{lines[0]}\n")
                rest = lines[1:]
            else:
                self.write(f"{indent}{term}\n")
                rest = lines if text else []
            pad = " " * (self.current_indent + first + col_spacing)
            for ln in rest:
                self.write(f"{pad}{ln}\n")


class ZhContext(click.Context):
    formatter_class = ZhHelpFormatter


# ---------------------------------------------------------------- parameters in help and usage
def _metavar(param: Any) -> str:
    return param.metavar or param.name or ""


def _default_text(param: Any) -> str | None:
    if not getattr(param, "show_default", False) or getattr(param, "is_flag", False) or param.required:
        return None
    d = param.default
    if callable(d) or d is None or d == "" or d == [] or d == ():
        return None
    if isinstance(d, Enum):
        d = d.value
    return str(d)


def _help_row(param: Any, ctx: click.Context) -> tuple[str, str] | None:
    if getattr(param, "hidden", False):
        return None
    if param.param_type_name == "argument":
        term = _metavar(param) + ("..." if param.nargs != 1 else "")
    else:
        term = ", ".join(sorted(param.opts, key=len))
        if param.secondary_opts:
            term += " / " + ", ".join(param.secondary_opts)
        if not (getattr(param, "is_flag", False) or getattr(param, "count", False)):
            term += f" {_metavar(param).upper() if param.metavar is None else param.metavar}"
    text = (getattr(param, "help", None) or "").strip()
    extra = []
    default = _default_text(param)
    if default is not None:
        extra.append(f"默认 {default}")
    if param.required:
        extra.append("必需")
    if extra:
        text += f"（{'，'.join(extra)}）"
    return term, text


def _usage_pieces(cmd: click.Command, ctx: click.Context) -> list[str]:
    pieces = [cmd.options_metavar] if cmd.options_metavar else []
    for p in cmd.get_params(ctx):
        if p.param_type_name != "argument":
            continue
        name = _metavar(p)
        name = name if p.required else f"[{name}]"
        pieces.append(name + ("..." if p.nargs != 1 else ""))
    return pieces


def _short_help(cmd: click.Command) -> str:
    """The first sentence of a command's help, whole (Click cuts it at 45 characters)."""
    if cmd.short_help:
        return cmd.short_help
    text = join_lines((cmd.help or "").strip().split("\n\n")[0]).strip()
    m = re.match(r"^(.*?。)", text)
    return m.group(1) if m else text


# ---------------------------------------------------------------- usage errors
def _option_list(names: Sequence[str]) -> str:
    return "、".join(sorted(names))


def _param_label(param: Any) -> str:
    if param is None:
        return "参数"
    if param.param_type_name == "option":
        return f"选项 {'/'.join(param.opts) or param.name}"
    return f"参数「{_metavar(param)}」"


def _choices(param: Any) -> list[str]:
    desc = getattr(param, "type_descriptor", None)
    choices = getattr(desc, "choices", None) if desc is not None else None
    if choices is None:
        choices = getattr(getattr(param, "type", None), "choices", None)
    return [c.value if isinstance(c, Enum) else str(c) for c in choices or ()]


def translate(exc: click.ClickException) -> str:
    """The Chinese message of one of Click's usage errors (by its class and attributes; the few
    errors Click raises as a plain UsageError are recognised by their fixed English text)."""
    E = click.exceptions
    if isinstance(exc, ZhUsageError):
        return exc.message
    if isinstance(exc, E.NoSuchOption):
        text = f"没有 {exc.option_name} 这个选项"
        if exc.possibilities:
            text += f"，是否想用 {_option_list(exc.possibilities)}？"
        return text
    if isinstance(exc, E.BadOptionUsage):
        opt = exc.option_name
        if "requires" in exc.message:
            return f"选项 {opt} 后面需要给出一个值"
        if "does not take a value" in exc.message:
            return f"选项 {opt} 不带取值，请只写 {opt}"
        return f"选项 {opt} 的用法不对"
    if isinstance(exc, E.MissingParameter):
        param = exc.param
        if param is not None and param.param_type_name == "option":
            return f"缺少必需的{_param_label(param)}"
        text = f"缺少{_param_label(param)}"
        choices = _choices(param)
        return text + (f"（可用：{'、'.join(choices)}）" if choices else "")
    if isinstance(exc, E.BadParameter):
        param = exc.param
        choices = _choices(param)
        m = re.search(r"'(.*?)' is not one of", exc.message)
        if choices:
            value = f"「{m.group(1)}」" if m else ""
            return f"{_param_label(param)} 的取值{value}无效，可用：{'、'.join(choices)}"
        return f"{_param_label(param)} 的取值无效"
    msg = exc.format_message()
    m = re.match(r"No such command '(.*)'", msg)
    if m:
        return f"没有 {m.group(1)} 这个命令"
    m = re.match(r"Got unexpected extra arguments?(?:\(s\))? \((.*)\)$", msg)
    if m:
        return f"多余的参数：{m.group(1)}（这个命令不接受它们）"
    if msg.startswith("Missing command"):
        return "缺少命令"
    return f"命令行有误（{msg}）"


class ZhUsageError(click.exceptions.UsageError):
    """A usage error shown in Chinese: the usage line, how to get help, the message (exit 2)."""

    def show(self, file: Any = None) -> None:
        from xueji_check.report.terminal import safe

        lines = []
        if self.ctx is not None:
            lines.append(self.ctx.get_usage())
            if self.ctx.command.get_help_option(self.ctx) is not None:
                names = self.ctx.help_option_names
                lines.append(f"运行 {self.ctx.command_path} {next((n for n in names if n.startswith('--')), names[0])}"
                             " 查看帮助。")
            lines.append("")
        lines.append(f"错误：{self.message}")
        click.echo(safe("\n".join(lines), newlines=True), file=file, err=file is None)


def _zh_error(exc: click.ClickException) -> click.ClickException:
    E = click.exceptions
    if isinstance(exc, ZhUsageError | E.NoArgsIsHelpError) or not isinstance(exc, E.UsageError):
        return exc
    return ZhUsageError(translate(exc), ctx=exc.ctx)


class _ZhMixin:
    context_class = ZhContext

    def get_help_option(self, ctx: click.Context) -> Any:
        opt = super().get_help_option(ctx)  # type: ignore[misc]
        if opt is not None:
            opt.help = HELP_OPTION_HELP
        return opt

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        return _usage_pieces(self, ctx)  # type: ignore[arg-type]

    def get_short_help_str(self, limit: int = 45) -> str:
        return _short_help(self)  # type: ignore[arg-type]

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        args, opts = [], []
        for p in self.get_params(ctx):  # type: ignore[attr-defined]
            row = _help_row(p, ctx)
            if row is not None:
                (args if p.param_type_name == "argument" else opts).append(row)
        if args:
            with formatter.section("参数"):
                formatter.write_dl(args)
        if opts:
            with formatter.section("选项"):
                formatter.write_dl(opts)

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)  # type: ignore[misc]
        except click.exceptions.ClickException as exc:
            raise _zh_error(exc) from None


class ZhCommand(_ZhMixin, TyperCommand):
    """A Typer command whose help and usage errors are Chinese (module doc)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options_metavar = OPTIONS_METAVAR


class ZhGroup(_ZhMixin, TyperGroup):
    """A Typer group whose help, command list and usage errors are Chinese (module doc)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options_metavar = OPTIONS_METAVAR
        self.subcommand_metavar = SUBCOMMAND_METAVAR

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        return [*_usage_pieces(self, ctx), self.subcommand_metavar]

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_options(ctx, formatter)
        self.format_commands(ctx, formatter)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                rows.append((name, _short_help(cmd)))
        if rows:
            with formatter.section("命令"):
                formatter.write_dl(rows)

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, Any, list[str]]:
        name = args[0]
        if self.get_command(ctx, name) is None and not ctx.resilient_parsing and not name.startswith("-"):
            near = difflib.get_close_matches(name, self.list_commands(ctx))
            text = f"没有 {name} 这个命令"
            text += f"，是否想用 {'、'.join(near)}？" if near else f"；可用的命令：{'、'.join(self.list_commands(ctx))}"
            raise ZhUsageError(text, ctx=ctx)
        try:
            return super().resolve_command(ctx, args)
        except click.exceptions.ClickException as exc:
            raise _zh_error(exc) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.exceptions.ClickException as exc:
            raise _zh_error(exc) from None


def check_tree(cmd: click.Command, path: str = "") -> list[str]:
    """Names of commands under `cmd` (a Click command built from a Typer app) that do not use
    `ZhCommand`/`ZhGroup`; empty when every help page and usage error is Chinese."""
    bad = [] if isinstance(cmd, ZhCommand | ZhGroup) else [path or cmd.name or "?"]
    for name, sub in getattr(cmd, "commands", {}).items():
        bad += check_tree(sub, f"{path} {name}".strip())
    return bad
