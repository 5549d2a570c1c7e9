"""A sheet to a table: header row, title lines above it, where the records end."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from xueji_check.load.kinds import HEADER_SCAN_ROWS, HeaderGuess, _row_texts, guess_header
from xueji_check.load.model import Problem, RawSheet, Table
from xueji_check.spec import KindSpec, normalise_header

TOTAL_ROW = r"^(合\s*计|总\s*计|小\s*计)"


def _title_lines(rows: list[list[str]], upto: int) -> list[str]:
    return [" ".join(c.strip() for c in r if c.strip()) for r in rows[:upto] if any(c.strip() for c in r)]


def build_table(sheet: RawSheet, kind_hint: str | None, specs: dict[str, KindSpec],
                problems: list[Problem]) -> Table | None:
    df = sheet.frame
    if df.height == 0 or df.width == 0:
        return None
    rows = _row_texts(df, HEADER_SCAN_ROWS)
    name = Path(sheet.file).name
    kind = kind_hint
    guess: HeaderGuess | None = None
    # Publicity and employed lists are recognised by their title/file name, not by columns.
    if kind is None:
        for special in ("publicity", "employed"):
            sp = specs[special]
            g = guess_header(rows, special, specs)
            if g is None or sp.detect_field not in g.mapping:
                continue
            titles = " ".join(_title_lines(rows, g.row_index)) + " " + name + " " + sheet.sheet
            if any(w in titles for w in sp.detect_words):
                kind, guess = special, g
                break
    if guess is None:
        guess = guess_header(rows, kind, specs)
    if guess is None:
        return None
    kind = guess.kind
    spec = specs[kind]
    headers = ["" if v is None else str(v).strip() for v in df.row(guess.row_index)]
    if guess.duplicates:
        fmap = spec.field_map
        used = {f: headers[int(c[1:])] for f, c in guess.mapping.items()}
        index = spec.alias_index()
        parts = []
        for d in guess.duplicates:
            f = index.get(normalise_header(d))
            parts.append(f"「{d}」与「{used.get(f, '')}」都对应{fmap[f].title if f in fmap else ''}")
        problems.append(Problem("warning", sheet.file, sheet.sheet, guess.row_index + 1,
                                f"表头重复：{'；'.join(parts)}，已使用第一次出现的列；请删去多余的列"))
    missing = [f for f in spec.required_columns if f not in guess.mapping]
    for group in spec.required_one_of:
        if not any(g in guess.mapping for g in group):
            missing.append("/".join(group))
    data = (
        df.with_row_index("_row", offset=1)
        .slice(guess.row_index + 1)
        .with_columns(pl.col("_row").cast(pl.Int64))
    )
    # all-empty columns (those left of a table that starts in column B or D) are no part of it:
    # a total row is looked for in the first cells of the table itself
    data = _drop_blank_and_total_rows(data, [c for c in df.columns if df.get_column(c).null_count() < df.height])
    return Table(kind=kind, file=sheet.file, sheet=sheet.sheet, header_row=guess.row_index + 1,
                 headers=headers, field_cols=guess.mapping, raw=data,
                 title_lines=_title_lines(rows, guess.row_index), missing=missing)


def _blank_cell(c: str) -> pl.Expr:
    return pl.col(c).is_null() | (pl.col(c).str.strip_chars() == "")


def _drop_blank_and_total_rows(data: pl.DataFrame, value_cols: list[str]) -> pl.DataFrame:
    """Drop rows whose cells are all empty and total rows (合计/总计/小计 in one of the first
    four cells). Each test first looks at a cheap necessary condition, so the exact one runs only
    on the few rows that may match instead of on every cell of the table."""
    if data.height == 0 or not value_cols:
        return data
    blank = pl.all_horizontal([_blank_cell(c) for c in value_cols])
    first = value_cols[: min(len(value_cols), 4)]
    total = pl.any_horizontal([pl.col(c).str.strip_chars().str.contains(TOTAL_ROW).fill_null(False)
                               for c in first])
    # A blank row is blank in the fullest column; a total row has 计 in one of the first cells.
    fullest = min(value_cols, key=lambda c: data.get_column(c).null_count())
    maybe_blank = _blank_cell(fullest)
    maybe_total = pl.any_horizontal([pl.col(c).str.contains("计", literal=True).fill_null(False) for c in first])
    cand = data.filter(maybe_blank | maybe_total)
    if cand.height == 0:
        return data
    drop = cand.filter(blank | total).get_column("_row")
    if drop.len() == 0:
        return data
    return data.filter(~pl.col("_row").is_in(drop.to_list()))

