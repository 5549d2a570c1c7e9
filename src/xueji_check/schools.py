"""Which school a table belongs to, for findings that are about a whole file or column (S001,
P401, P402) and for rows whose own 学校名称 cell is empty.

In order (issue: every finding is charged to its school): the table's school column (when one
school fills it), a school named in its title lines, in its file name, in its sheet name. A school
already known from the run's data is preferred to a name guessed from the words around it. A
table of several schools is charged to （多所学校）; a table with no school anywhere to
（未注明学校）, so the per-school summary always adds up to the number of findings.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from xueji_check import normalize as nz
from xueji_check.load import Table

UNNAMED = "（未注明学校）"
SEVERAL = "（多所学校）"

# What a school's name ends with; the longest endings first.
_SUFFIX = r"(?:高级技工学校|技工学校|技师学院|技工院校|职业技术学院|职业学院|技术学院|中等职业学校|职业学校|学校|学院)"
_NAME = re.compile(r"[\u4e00-\u9fff（）()]{2,40}?" + _SUFFIX)
# Words that stand before a school's name in a title (`2024年秋季学期东方技工学校…`) and are no part of it.
_LEAD = re.compile(r"^(?:年度?|春季?|秋季?|学年度?|学期|第[一二]|[上下]半?年?|季|关于|公布|公示|下发)+")
_SPLIT = re.compile(r"[\s_\-—–·・.,，、:：;；/\\|（）()\[\]【】《》\"'“”0-9０-９]+")


def school_in_text(text: str, known: list[str]) -> str | None:
    """The school named in `text` (a title line or a file name): a school of the run's data
    (`known`, longest first) if one occurs in it, else a name ending in 学校/学院/… found in one
    of its segments, after dropping leading words such as 2024年秋季学期. None if no school."""
    if not text:
        return None
    for school in known:
        if school and school in text:
            return school
    for seg in _SPLIT.split(text):
        seg = _LEAD.sub("", seg)
        m = _NAME.search(seg)
        if m:
            return m.group(0)
    return None


def _schools_by_table(frames: dict[str, pl.DataFrame]) -> dict[int, list[str]]:
    """Table id → the distinct names of its normalised school column, computed once for all tables
    (one group-by per kind: filtering each table out of the frame was quadratic in a province's
    folder of thousands of files)."""
    out: dict[int, list[str]] = {}
    for df in frames.values():
        if "school_name" not in df.columns or "_tid" not in df.columns:
            continue
        g = df.lazy().group_by("_tid").agg(pl.col("school_name").drop_nulls().unique(maintain_order=True)).collect()
        # a table has one kind: each table id is in one frame only
        out.update(zip(g.get_column("_tid").to_list(), g.get_column("school_name").to_list(), strict=True))
    return out


def _raw_schools(t: Table) -> list[str]:
    """The distinct school names of a table's raw school column (a table that was not normalised)."""
    if "school_name" not in t.field_cols:
        return []
    s = t.raw.select(nz.clean_text(pl.col(t.field_cols["school_name"])).alias("s")).get_column("s")
    return s.drop_nulls().unique(maintain_order=True).to_list()


def table_schools(tables: list[Table], frames: dict[str, pl.DataFrame]) -> dict[int, str]:
    """Table id (the position in `tables`, as `engine.run` numbers them) → the school its file-level
    findings are charged to: one school, （多所学校） or （未注明学校）. `frames`: per kind, a frame
    with `_tid` and `school_name` (the normalised rows, or just their distinct pairs)."""
    known: set[str] = set()
    for df in frames.values():
        if "school_name" in df.columns:
            known.update(df.get_column("school_name").drop_nulls().unique().to_list())
    ordered = sorted(known, key=lambda s: (-len(s), s))
    by_table = _schools_by_table(frames)
    normalised = {k for k, df in frames.items() if "_tid" in df.columns and "school_name" in df.columns}
    out: dict[int, str] = {}
    for tid, t in enumerate(tables):
        in_column = by_table.get(tid, []) if t.kind in normalised else _raw_schools(t)
        if len(in_column) == 1:
            out[tid] = in_column[0]
            continue
        if len(in_column) > 1:
            out[tid] = SEVERAL
            continue
        found = None
        for line in t.title_lines:
            found = school_in_text(line, ordered)
            if found:
                break
        out[tid] = found or school_in_text(Path(t.file).stem, ordered) or school_in_text(t.sheet, ordered) or UNNAMED
    return out
