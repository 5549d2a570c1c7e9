"""`xueji-check publicity ...`: tools for schools' publicity lists (公示名单)."""

from __future__ import annotations

import typer

app = typer.Typer(help="公示名单工具。示例：xueji-check publicity make --aid 资助.xlsx --start 2024-11-04 --out 公示名单.xlsx",
                  no_args_is_help=True, rich_markup_mode=None)


@app.command()
def make() -> None:
    """生成合规的资助公示名单（开发中）。"""
    typer.echo("错误：publicity make 尚未完成", err=True)
    raise typer.Exit(2)
