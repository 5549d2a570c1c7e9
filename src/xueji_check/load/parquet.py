"""A big Parquet input (a national export of millions of rows) read in slices, never whole.

A Parquet file with more than `STREAM_ROWS` rows is not read into memory as text: its header
is recognised on its first rows, where its records end is decided over the whole file in
streaming passes that collect only the few rows that may not be records
(`table.set_aside_rows`), and its rows are then read `SLICE_ROWS` at a time (Parquet reads a
slice without the rows before it), normalised and written to the store slice by slice
(`engine.load_into_store`). What the rules see is the same as for the file read whole.

Only a table this path can judge from its head is streamed: a roster, change or aid table whose
required columns are all there. A publicity or employed list (recognised by titles and
footers), a table with missing columns, or a file whose first rows match no kind is read whole,
as a smaller file is, so its messages are those of the usual path.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl

from xueji_check.load.files import shown_path
from xueji_check.load.kinds import HEADER_SCAN_ROWS
from xueji_check.load.model import LoadError, Problem, RawSheet, Table, _first_line
from xueji_check.load.table import build_table, set_aside_message, set_aside_rows

# A Parquet file with more rows than this is read in slices (`ParquetSource`).
STREAM_ROWS = 500_000
# Rows read, normalised and written at a time.
SLICE_ROWS = 500_000
# a file gone (moved, deleted, its folder no longer readable) between its slices or after them
MOVED = "文件在读取过程中被移走、删除或改了权限，请等导出完成后再检查"
# Kinds recognised by their title or footer: read whole, where those are looked at.
WHOLE_KINDS = ("publicity", "employed")


def _identity(st: os.stat_result) -> tuple[int, int, int, int]:
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


@dataclass
class ParquetSource:
    """A Parquet input read by slices: its path, its number of rows, the columns read (flat ones
    that have a text form, in file order) and the file's identity when it was checked (device,
    inode, size, mtime: the reads go through the path, and `check_unchanged` refuses a file that
    was replaced or rewritten meanwhile)."""

    path: Path
    rows: int
    names: list[str]
    identity: tuple[int, int, int, int]
    # each column's place in the file (columns are taken by position: a name may be empty, look
    # like a pattern, or be `_row`)
    positions: list[int] | None = None

    def scan(self) -> pl.LazyFrame:
        """The data rows as the loader's text frame: `_row` (the sheet row: the column names are
        row 1, the first record row 2; Int64) plus c0..cn (String). Lazy: nothing is read until
        it is collected, and a slice reads only its rows."""
        at = self.positions if self.positions is not None else list(range(len(self.names)))
        lf = pl.scan_parquet(self.path, hive_partitioning=False, glob=False).select(
            [pl.nth(p).cast(pl.String).alias(f"c{i}") for i, p in enumerate(at)])
        return lf.with_row_index("_row", offset=2).select(pl.col("_row").cast(pl.Int64), *[f"c{i}" for i in range(len(at))])

    @property
    def width(self) -> int:
        return len(self.names)

    def head(self, n: int) -> RawSheet:
        """The column names and the first `n` rows, as a RawSheet of text (row 0: the names)."""
        body = self.scan().head(n).drop("_row").collect()
        names = pl.DataFrame([self.names], schema=body.columns, orient="row")
        return RawSheet("", shown_path(self.path.stem), pl.concat([names, body]))

    def check_unchanged(self) -> None:
        """Raise LoadError when the file is no longer the one that was checked and hashed."""
        try:
            now = _identity(os.stat(self.path))
        except OSError as exc:
            raise LoadError(MOVED) from exc
        if now != self.identity:
            raise LoadError("文件在读取过程中被修改（大小或修改时间变了），请等导出完成后再检查")


@dataclass
class StreamedTable:
    """What `stream_table` found: the table (its `raw` an empty frame of its columns: the rows
    stay in the file), the source, the rows to leave out (blank and set-aside rows, sorted) and
    the number of records."""

    table: Table
    source: ParquetSource
    drop: list[int]
    records: int

    def slices(self, rows: int = 0):
        """The records, `rows` (default `SLICE_ROWS`) source rows at a time, as text frames
        (`_row` plus c0..cn), in sheet order; at least one frame, empty when there are no records."""
        step = rows or SLICE_ROWS
        header_row = self.table.header_row
        keep = pl.col("_row") > header_row
        if self.drop:
            keep = keep & ~pl.col("_row").is_in(self.drop)
        sent = False
        for start in range(0, self.source.rows, step):
            try:
                part = self.source.scan().slice(start, step).filter(keep).collect()
            except pl.exceptions.ComputeError as exc:  # a damaged page the metadata did not show
                raise LoadError(f"Parquet 文件第 {start + 2:,} 行起的数据已损坏，无法读取（{_first_line(exc)[:160]}），"
                                "请重新导出后再检查") from exc
            except OSError as exc:  # moved, deleted or made unreadable meanwhile
                raise LoadError(MOVED) from exc
            if part.height:
                sent = True
                yield part
        if not sent:
            yield self.source.scan().head(0).collect()


def stream_table(source: ParquetSource, display: str, kind_hint: str | None, specs: dict,
                 problems: list[Problem]) -> StreamedTable | None:
    """The table of a big Parquet file, found without reading it whole: the header and kind from
    its first rows (`build_table`), the rows that are not records over the whole file
    (`set_aside_rows`, streaming). None when the file should be read whole instead (no kind
    recognised from its first rows, a kind recognised by titles or footers, or required columns
    missing): the usual path then gives the usual messages. Messages about the table go to
    `problems` (header duplicates, the rows set aside)."""
    try:
        return _stream_table(source, display, kind_hint, specs, problems)
    except pl.exceptions.ComputeError as exc:  # a damaged page: the passes read every page
        raise LoadError(f"Parquet 文件已损坏，无法读取（{_first_line(exc)[:160]}），请重新导出后再检查") from exc


def _stream_table(source: ParquetSource, display: str, kind_hint: str | None, specs: dict,
                  problems: list[Problem]) -> StreamedTable | None:
    head = source.head(HEADER_SCAN_ROWS + 1)
    head.file = display
    probe: list[Problem] = []
    tbl = build_table(head, kind_hint, specs, probe)
    if tbl is None or tbl.kind in WHOLE_KINDS or tbl.missing:
        return None
    below = source.scan().filter(pl.col("_row") > tbl.header_row)
    drop, aside = set_aside_rows(below, tbl.headers, tbl.field_cols)
    problems.extend(p for p in probe if p.level != "info")  # the head's own set-aside note is replaced below
    note = set_aside_message(aside)
    if note:
        problems.append(Problem("info", display, head.sheet, None, note))
    footer = [a for a in aside if a.category in ("footer", "separator") and a.text]
    aside_rows = [a.row for a in aside]
    titles = tbl.other_rows.filter(pl.col("_row").is_in(tbl.title_rows)) if tbl.other_rows is not None else None
    other = titles
    if aside_rows:
        found = source.scan().filter(pl.col("_row").is_in(aside_rows)).collect(engine="streaming")
        other = found if titles is None else pl.concat([titles, found])
    total = source.rows + 1 - tbl.header_row  # rows below the header (the names are row 1)
    records = total - sum(1 for r in drop if r > tbl.header_row)
    table = replace(tbl, raw=source.scan().head(0).collect(), footer_lines=[a.text for a in footer],
                    footer_rows=[a.row for a in footer], other_rows=other)
    return StreamedTable(table, source, drop, records)
