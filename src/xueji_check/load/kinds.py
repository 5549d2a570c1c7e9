"""Which kind a table is: headers mapped to fields through the schema aliases, the header row
searched for, and a message naming the nearest kind when none fits."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from xueji_check.load.model import RawSheet
from xueji_check.spec import KindSpec, normalise_header

HEADER_SCAN_ROWS = 60


def _row_texts(df: pl.DataFrame, n: int) -> list[list[str]]:
    head = df.head(n)
    return [["" if v is None else str(v) for v in row] for row in head.iter_rows()]


@dataclass
class HeaderGuess:
    row_index: int  # 0-based index in the raw frame
    kind: str | None
    score: int
    mapping: dict[str, str]  # field -> cN
    duplicates: list[str]


# Headers that name another thing as often as the field: a school's own 学号 beside the 学籍号,
# a 状态 of something else beside the 学籍状态. Any other header of the field is used before them.
_WEAK_HEADERS = {"学号", "状态", "注册号"}


def _alias_rank(header: str) -> int:
    """1 for a header of `_WEAK_HEADERS`, else 0: of two columns for one field, the first that is
    not weak is used. Nothing finer: in a two-row header a guardian's 姓名/身份证号 to the right
    of the student's 学生姓名/证件号码 must not win by being the field's own title."""
    return 1 if normalise_header(header) in _WEAK_HEADERS else 0


def _map_row(cells: list[str], spec: KindSpec) -> tuple[dict[str, str], list[str]]:
    """Field -> column (`cN`) of one header row, and the headers left unused because another
    column names the same field. The first column is used, unless its header is a weak one
    (`_alias_rank`) and a later one is not: a school's own 学号 column before the 学籍号 column is
    not read as the 学籍号."""
    chosen: dict[str, tuple[int, int]] = {}  # field -> (rank, column)
    dups: list[str] = []
    for i, text in enumerate(cells):
        f = spec.field_of(text)
        if f is None:
            continue
        rank = _alias_rank(text)
        if f in chosen:
            if rank < chosen[f][0]:
                dups.append(cells[chosen[f][1]].strip())
                chosen[f] = (rank, i)
            else:
                dups.append(text.strip())
            continue
        chosen[f] = (rank, i)
    mapping = {f: f"c{i}" for f, (_, i) in sorted(chosen.items(), key=lambda kv: kv[1][1])}
    return mapping, dups


TABLE_KINDS = ("roster", "changes", "aid")


def guess_header(rows: list[list[str]], kind_hint: str | None, specs: dict[str, KindSpec]) -> HeaderGuess | None:
    best: HeaderGuess | None = None
    kinds = [kind_hint] if kind_hint else list(TABLE_KINDS)
    for ri, cells in enumerate(rows):
        if sum(1 for c in cells if c.strip()) < 1:
            continue
        for k in kinds:
            mapping, dups = _map_row(cells, specs[k])
            required = set(specs[k].required_columns)
            score = len(mapping) * 2 + len(required & set(mapping))
            if best is None or score > best.score:
                best = HeaderGuess(ri, k, score, mapping, dups)
    if best is None or len(best.mapping) < (1 if kind_hint else 2):
        return None
    if not kind_hint and best.kind in TABLE_KINDS:
        # A bare file is taken for a kind only when most of its required columns are there;
        # otherwise it is reported as unrecognised (with the nearest kind), not guessed.
        required = set(specs[best.kind].required_columns)
        if required and len(required & set(best.mapping)) * 2 < len(required):
            return None
    return best



def nearest_kind_message(sheet: RawSheet, specs: dict[str, KindSpec]) -> str:
    rows = _row_texts(sheet.frame, HEADER_SCAN_ROWS)
    best = None
    for k in TABLE_KINDS:
        for cells in rows:
            mapping, _ = _map_row(cells, specs[k])
            if best is None or len(mapping) > best[1]:
                best = (k, len(mapping), cells, mapping)
    first = next((r for r in rows if any(c.strip() for c in r)), [])
    headers = "、".join(c.strip() for c in (best[2] if best and best[1] else first) if c.strip())[:200]
    if best is None:
        return "无法识别文件类型：没有任何内容"
    k, _, _, mapping = best
    spec = specs[k]
    missing = [spec.field_map[f].title for f in spec.required_columns if f not in mapping]
    return (f"无法识别文件类型。现有表头：{headers or '（无）'}；最接近「{spec.title}」，"
            f"还缺少列：{'、'.join(missing) or '（无）'}。请核对表头，或用 --{k} 等选项指明文件类型")

