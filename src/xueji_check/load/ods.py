"""What calamine would build from an .ods, measured before calamine reads it.

calamine reads the whole `content.xml` of an OpenDocument spreadsheet when the file is opened,
every table (sheet) at once, and lays each table out as a dense grid from its first to its last
non-empty cell. Repeats are written out cell by cell: `table:number-rows-repeated="9000"` on a
row whose one non-empty cell has `table:number-columns-repeated="10000"` is 90 million cells
(measured with fastexcel 0.21 / calamine 0.36: a 929-byte file took 5.3 GB, then the process
aborted). A cell's text is copied into every cell it is repeated into, and `<text:s text:c="N"/>`
is written out as N spaces (a 780-byte file with text:c="2000000000" took 7.9 GB). calamine's
own limit (100 million cells per table) lets all of this through.

This module streams `content.xml` (bounded memory) and adds up, per table, what calamine would
allocate: the cells of the grid (rows × columns between the first and the last non-empty cell,
repeats included; repeated empty rows and cells at the end are not laid out, a non-empty cell
after them is), the cells of its reading buffer (each row once, its repeated cells written out),
and the bytes of text copied into them. The workbook is refused (it cannot be read sheet by sheet)
when that exceeds what its XML could plausibly hold. A table that is not closed at the end of the
file is refused too: calamine loops forever on it (measured).

The tokens are cut as quick-xml (calamine's XML reader) cuts them: comments, CDATA, processing
instructions, tags with quoted attribute values (which may hold `>`), end tags; names and
attributes are matched exactly as calamine matches them (`table:table-row`, first attribute of a
name wins). Wherever the two could differ, the count errs on the large side: a table, row or
cell element inside a cell is refused (calamine's reading of such a file depends on the cell's
type). Vectorised with Polars: one regex pass per chunk, no Python per cell.
"""

from __future__ import annotations

import codecs
import html
from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

from xueji_check.load.model import LoadError

# calamine's limits (ods.rs): rows and columns a table is cut to.
MAX_ROWS = 1_048_576
MAX_COLS = 16_384
# Bytes calamine keeps for one cell (a Data value, 32, and a formula String, 24).
CELL_BYTES = 56
# Longest run of XML that may be kept whole while waiting for its end (an unclosed comment or
# tag, a row of one table): real files have rows of a few hundred KB.
MAX_PENDING = 64 * 1024**2
_I32 = 2**31 - 1  # text:c is read as an i32
BATCH = 8 * 1024**2  # characters measured at once (each run has a fixed cost of a few dozen Polars calls)

_WS = r"[ \t\n\x0C\r]"  # what calamine's attribute reader skips (ASCII white space)
_QUOTED = r"(?:\"[^\"]*\"|'[^']*')"
# Plain markup, read fast: attributes whose values are double-quoted and hold no "<" or ">",
# and no "/" outside them (a tag closing itself is told apart). Anything else falls to the
# exact tokens below (quick-xml's own cut), so these only decide where a plain element ends.
_PLAIN_ATTRS = r'(?:[ \t\r\n](?:[^<>"/]|"[^"<>]*")*)?'
_PLAIN_CLOSED = r'(?:[ \t\r\n](?:[^<>"]|"[^"<>]*")*)?/>'
_TEXT_TAG = rf"<text:(?:p|span){_PLAIN_ATTRS}>|</text:(?:p|span)>|<text:(?:p|span){_PLAIN_CLOSED}"
# A whole cell holding only text, paragraphs and runs (most cells of a real file): one token.
_WHOLE_CELL = rf"<table:table-cell{_PLAIN_ATTRS}>(?:[^<]|{_TEXT_TAG})*</table:table-cell>"
_CLOSED_CELL = rf"<table:(?:table-cell|covered-table-cell){_PLAIN_CLOSED}"
# A whole row of such cells and self-closed cells (the first pass measures it as one token).
_SIMPLE_ROW = rf"<table:table-row{_PLAIN_ATTRS}>(?:{_WHOLE_CELL}|{_CLOSED_CELL})*</table:table-row>"
# Any other token, cut as quick-xml cuts it: a tag (quoted values may hold ">"), text, and a lone
# "<" for a token not complete yet (or never: quick-xml then stops with an error before reading
# anything after it); comments, CDATA, processing instructions, a DOCTYPE.
_TAG_TEXT = rf"<(?:[^!?>\"']|{_QUOTED})(?:[^>\"']|{_QUOTED})*>|<>|[^<]+|<"
_SPECIAL = r"<!--(?s:.*?)-->|<!\[CDATA\[(?s:.*?)\]\]>|<\?(?s:.*?)\?>|<![^\-\[][^>]*>"
# An empty cell for sure: only these attributes, their values without quotes or "<" (so that a
# repeat count found in it is its own).
_EMPTY_CELL = (r"<table:(?:table-cell|covered-table-cell)(?:[ \t\r\n]+(?:table:style-name|table:number-columns-repeated"
               r"|table:content-validation-name)[ \t\r\n]*=[ \t\r\n]*\"[^\"'<]*\")*[ \t\r\n]*/>")
_REPEAT = r"number-columns-repeated[ \t\n\x0C\r]*=[ \t\n\x0C\r]*[\"']\+?[0-9]+"
_REPEAT_FIRST = r"^<[^ \t\r\n/>]*[^>]*?[ \t\r\n]table:number-columns-repeated[ \t\r\n]*=[ \t\r\n]*\"([^\"]*)\""


def _tokens(text: str, simple_rows: bool) -> pl.Series:
    """The tokens of `text` in quick-xml's terms (a lone "<": one not complete yet); with
    `simple_rows`, a row of plain cells is one token."""
    parts = [_SIMPLE_ROW] if simple_rows else []
    parts.append(_WHOLE_CELL)
    if "<!" in text or "<?" in text:
        parts.append(_SPECIAL)
    parts.append(_TAG_TEXT)
    return pl.Series("t", [text], dtype=pl.String).str.extract_all("|".join(parts)).explode().drop_nulls()


# Attributes before the one looked for, read as calamine reads them: a key up to "=" (it holds no
# ">": that ends the tag), a quoted value.
_BEFORE = rf"(?:{_WS}*[^=>]*={_WS}*{_QUOTED})*?"
_VALUES = rf"={_WS}*{_QUOTED}"
_CLOSER = "number-columns-repeated|string-value|date-value|time-value|table:formula"

_CELLS = ("table:table-cell", "table:covered-table-cell")
# Where a run of tokens may be measured up to: after a row or a table (nothing is open there).
_SEGMENT_END = r"^</table:table[ \t\r\n]*>$|</table:table-row[ \t\r\n]*>$|^<table:table-row(?:[ \t\r\n](?s:.*))?/>$"


def _attr(names: str, key: str) -> str:
    """Regex for attribute `key` (the first one, as calamine's raw_attr) of elements `names`
    (an alternation): group 1 or 2 is its raw value."""
    return rf"^<(?:{names}){_BEFORE}{_WS}*{key}{_WS}*={_WS}*(?:\"([^\"]*)\"|'([^']*)')"


_ROWS_REPEATED = _attr("table:table-row", "table:number-rows-repeated")
_COLS_REPEATED = _attr("table:table-cell|table:covered-table-cell", "table:number-columns-repeated")
_TABLE_NAME = _attr("table:table", "table:name")
_SPACES = _attr("text:s", "text:c")
# A cell that holds a value (calamine's get_datatype: a value attribute, a string cell, a formula).
_HAS_VALUE = (rf"^<(?:table:table-cell|table:covered-table-cell){_BEFORE}{_WS}*(?:"
              rf"(?:office:value|office:string-value|office:date-value|office:time-value|office:boolean-value){_WS}*="
              rf"|office:value-type{_WS}*={_WS}*(?:\"string\"|'string')"
              rf"|table:formula{_WS}*={_WS}*(?:\"[^\"]+\"|'[^']+'))")


def _number(raw: pl.Expr, top: int) -> pl.Expr:
    """An attribute's count as calamine parses it, at most `top`: digits (a sign allowed) are
    read; a value written with entities (which calamine may decode) counts as `top`; anything
    else makes calamine stop with an error, so it counts as 1."""
    digits = raw.str.strip_chars_start("+").str.strip_chars_start("0")
    value = pl.when(digits.str.len_bytes() > 12).then(top).otherwise(digits.cast(pl.Int64, strict=False).fill_null(0))
    return (pl.when(raw.is_null()).then(1)
            .when(raw.str.contains(r"^\+?[0-9]+$")).then(pl.min_horizontal(value, pl.lit(top)))
            .when(raw.str.contains(r"^-[0-9]+$")).then(0)
            .when(raw.str.contains("&", literal=True)).then(top)
            .otherwise(1)).cast(pl.Int64)


def _value(pattern: str) -> pl.Expr:
    t = pl.col("t")
    return pl.coalesce(t.str.extract(pattern, 1), t.str.extract(pattern, 2))


def _plain_rows(df: pl.DataFrame) -> pl.DataFrame:
    """Rows read as one token each (`_SIMPLE_ROW`, columns row, tab, t): an upper bound of what
    calamine lays out for each, without looking at its cells one by one. The cells up to the last
    that is not surely empty (`_EMPTY_CELL`) count as holding values from column A on; their repeat
    counts are all found anywhere in them (more, never fewer); the empty cells at the end are
    measured exactly (the last one is not laid out); the text is the bytes of the cells that may
    hold values times their largest repeat."""
    t = pl.col("t")
    head = df.select("row", "tab", "t", rep=_number(_value(_ROWS_REPEATED), MAX_ROWS),
                     tail=t.str.extract(rf"((?:{_EMPTY_CELL})*)</table:table-row>$", 1).fill_null(""))

    def cells(e: pl.Expr) -> pl.Expr:
        return e.str.count_matches("<table:table-cell", literal=True) + e.str.count_matches(
            "<table:covered-table-cell", literal=True)

    def repeats(e: pl.Expr) -> pl.Expr:
        digits = e.str.extract_all(_REPEAT).list.eval(
            pl.element().str.extract(r"([0-9]+)$", 1).str.strip_chars_start("0"))
        return digits.list.eval(pl.when(pl.element().str.len_bytes() > 5).then(MAX_COLS)
                                .otherwise(pl.element().cast(pl.Int64, strict=False).fill_null(1).clip(1, MAX_COLS)))

    tail = pl.col("tail")
    head = head.with_columns(n=cells(t) - cells(tail), reps=repeats(t), tail_reps=repeats(tail))
    head = head.with_columns(
        own=pl.col("reps").list.head(pl.col("reps").list.len() - pl.col("tail_reps").list.len()))
    # the empty cells at the end, each with its own (first) repeat count
    ends = head.select("row", c=tail.str.extract_all(_EMPTY_CELL)).explode("c").drop_nulls().with_row_index("j") \
        .select("row", "j", w=_number(pl.col("c").str.extract(rf"{_REPEAT_FIRST}", 1), MAX_COLS))
    ends = ends.group_by("row").agg(tail_w=pl.col("w").sum(), last_w=pl.col("w").sort_by("j").last())
    out = head.join(ends, on="row", how="left").with_columns(pl.col("tail_w", "last_w").fill_null(0))
    width = pl.col("n") + (pl.col("own").list.sum().fill_null(0) - pl.col("own").list.len())
    size = (t.str.len_bytes() - tail.str.len_bytes()).cast(pl.Float64)
    return out.select(
        "row", "tab", "rep",
        first_ne=pl.when(pl.col("n") > 0).then(pl.lit(0, pl.Int64)),
        last_ne=pl.when(pl.col("n") > 0).then(width.clip(upper_bound=MAX_COLS) - 1),
        payload=pl.when(pl.col("n") > 0).then(size * pl.col("own").list.max().fill_null(1).clip(1)).otherwise(0.0),
        pushed=(width + pl.col("tail_w") - pl.col("last_w")).clip(0, MAX_COLS),
    )


@dataclass
class OdsTable:
    """What calamine would allocate for one table (sheet) of an .ods."""

    name: str
    grid_cells: int = 0  # the dense grid: rows × columns from the first to the last non-empty cell
    grid_bytes: float = 0.0  # text copied into the grid's cells
    raw_cells: int = 0  # the reading buffer: each row element once, repeated cells written out
    raw_bytes: float = 0.0
    last_row: int = 0  # the farthest non-empty cell (1-based row, 0-based column)
    last_col: int = 0


@dataclass
class _Open:
    """A table whose end has not been read yet: its counts so far."""

    name: str
    rows: int = 0  # rows laid out so far (calamine caps them at MAX_ROWS)
    payload: float = 0.0  # text bytes of the rows so far, each row times its repeats
    first: tuple[int, float] | None = None  # (rows, payload) before the first non-empty row
    last: tuple[int, float] = (0, 0.0)  # (rows, payload) up to the last non-empty row
    col_lo: int = MAX_COLS
    col_hi: int = -1
    raw_cells: int = 0
    raw_bytes: float = 0.0

    def close(self) -> OdsTable:
        if self.first is None:
            return OdsTable(self.name, raw_cells=self.raw_cells, raw_bytes=self.raw_bytes)
        rows = self.last[0] - self.first[0]
        return OdsTable(self.name, rows * (self.col_hi - self.col_lo + 1), self.last[1] - self.first[1],
                        self.raw_cells, self.raw_bytes, self.last[0], self.col_hi)


@dataclass
class OdsScan:
    """The tables of one content.xml, and whether it ended inside one."""

    xml_bytes: int = 0
    tables: list[OdsTable] = field(default_factory=list)
    unclosed: str | None = None  # the name of a table the file ends in
    nested: str | None = None  # where a table, row or cell element sits inside a cell or table

    def limit(self) -> int:
        from xueji_check.load.xlsx import DENSE_CAP, DENSE_FLOOR, XML_BYTES_PER_CELL

        return max(DENSE_FLOOR, min(DENSE_CAP, self.xml_bytes // XML_BYTES_PER_CELL))

    def over(self) -> tuple[OdsTable, str] | None:
        """The table to name and what is too much ("cells" or "text"), or None. calamine keeps
        every table's grid at once, so the grids are added up; each is compared, like an xlsx
        sheet's, with `limit()` cells. The text copied into cells, and the cells of a reading
        buffer, are held to the same limit (in cells of CELL_BYTES)."""
        if not self.tables:
            return None
        limit = self.limit()
        grid = sum(t.grid_cells for t in self.tables)
        text = sum(t.grid_bytes for t in self.tables) + max(t.raw_bytes for t in self.tables)
        if grid > limit or max(t.raw_cells for t in self.tables) > limit:
            return max(self.tables, key=lambda t: max(t.grid_cells, t.raw_cells)), "cells"
        if text > limit * CELL_BYTES:
            return max(self.tables, key=lambda t: t.grid_bytes + t.raw_bytes), "text"
        return None

    def refusal(self) -> str | None:
        """Why calamine must not read this workbook (Chinese, says what to do), or None."""
        if self.nested is not None:
            return (f"文件结构异常：{self.nested}，正常的表格文件不会这样保存，读取时可能耗尽内存，已拒绝读取该文件；"
                    "请用 WPS 或 LibreOffice 打开后另存为 .xlsx 再检查")
        if self.unclosed is not None:
            return (f"文件已损坏：工作表「{self.unclosed}」没有结束标记（content.xml 不完整），读取时会卡住，已拒绝读取该文件；"
                    "请重新导出，或用 WPS、LibreOffice 打开后另存为 .xlsx 再检查")
        found = self.over()
        if found is None:
            return None
        worst, what = found
        if what == "cells":
            from xueji_check.load.xlsx import _col_name

            cells = max(worst.grid_cells, worst.raw_cells)
            size = f"{cells / 1e8:,.1f} 亿" if cells >= 1e8 else f"{cells / 1e4:,.0f} 万"
            return (f"工作表「{worst.name}」的数据区域过大：最远的单元格 {_col_name(worst.last_col)}{worst.last_row}，"
                    f"读取时要展开约 {size}个单元格（重复的行和列被逐个展开），远超文件的实际内容，会耗尽内存，"
                    "已拒绝读取该文件（.ods 只能整个文件一起读取）；多半是整行整列误填了内容，请在 WPS 或 LibreOffice 中"
                    "删除表格右侧和下方多余的行和列，另存为 .xlsx 再检查")
        gb = (worst.grid_bytes + worst.raw_bytes) / 1024**3
        amount = f"{gb:,.1f} GB" if gb >= 1 else f"{gb * 1024:,.0f} MB"
        return (f"工作表「{worst.name}」中的文字读取时要展开到约 {amount}（重复的单元格、成串的空格被逐个展开），"
                "远超文件的实际内容，会耗尽内存，已拒绝读取该文件（.ods 只能整个文件一起读取）；请确认文件来源，"
                "或用 WPS、LibreOffice 打开后另存为 .xlsx 再检查")


class OdsScanner:
    """Stream content.xml chunk by chunk (a sink for xlsx._inflate_entry); `close()` gives the
    OdsScan. Only whole rows are measured: the XML after the last row or table end of a chunk
    waits for the next chunk (at most MAX_PENDING characters)."""

    def __init__(self, precise: bool = False) -> None:
        self.precise = precise  # every cell on its own (the second pass), else plain rows as a whole
        self.scan = OdsScan()
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending: list[str] = []
        self._pending_len = 0
        self._table: _Open | None = None  # the table being read
        self._in_cell = False  # a cell element opened and not yet closed (at the end of a segment)

    def __call__(self, chunk: bytes) -> None:
        self.scan.xml_bytes += len(chunk)
        text = self._decoder.decode(chunk)
        if not text:
            return
        tail = self._pending[-1][-32:] if self._pending else ""
        self._pending.append(text)
        self._pending_len += len(text)
        # a segment ends after a row or a table: wait for one (a long row is not read again and again)
        if "table:table" not in tail + text or self._pending_len < BATCH:
            self._check_pending()
            return
        self._run(final=False)

    def close(self) -> OdsScan:
        rest = self._decoder.decode(b"", final=True)
        if rest:
            self._pending.append(rest)
        self._run(final=True)
        if self._table is not None and self.scan.nested is None:
            self.scan.unclosed = self._table.name
        return self.scan

    def _check_pending(self) -> None:
        if self._pending_len > MAX_PENDING:
            raise LoadError("文件结构异常：content.xml 中有一段内容（一行或一个标记）超过 64 MB 仍未结束，"
                            "正常的表格文件不会这样保存，已拒绝读取该文件；请用 WPS 或 LibreOffice 打开后另存为 .xlsx 再检查")

    def _run(self, final: bool) -> None:
        text = "".join(self._pending)
        self._pending, self._pending_len = [], 0
        tokens = _tokens(text, not self.precise)
        df = pl.DataFrame({"t": tokens}).with_row_index("i")
        lone = df.filter(pl.col("t") == "<").get_column("i")
        if lone.len():  # an incomplete token: it and everything after it wait
            df = df.head(int(lone[0]))
        if not final:
            ends = df.filter(pl.col("t").str.contains(_SEGMENT_END)).get_column("i")
            df = df.head(int(ends[-1]) + 1) if ends.len() else df.clear()
        used = int(df.get_column("t").str.len_chars().sum() or 0) if df.height else 0
        if used < len(text):
            self._pending, self._pending_len = [text[used:]], len(text) - used
            if not final:
                self._check_pending()
        if df.height and self.scan.nested is None:
            self._segment(df.drop("i"))

    def _segment(self, df: pl.DataFrame) -> None:
        """Measure one run of tokens that ends after a row or table end (or at the file's end)."""
        t = pl.col("t")
        is_text = ~t.str.starts_with("<")
        df = df.filter(is_text | t.str.starts_with("<table:") | t.str.starts_with("</table:")
                       | t.str.starts_with("<text:s") | t.str.starts_with("<text:p"))
        if df.height == 0:
            return
        # an end tag's name is all between "</" and ">" less white space at its end; a start
        # tag's runs to white space (or "/" of a self-closed tag)
        n = pl.col("n")
        empty = t.str.ends_with("/>")

        def end_of(*names: str) -> pl.Expr:
            return t.str.contains(rf"^</(?:{'|'.join(names)})[ \t\r\n]*>$")

        kind = (pl.when(is_text).then(pl.lit("X"))
                .when(t.str.starts_with("</")).then(
                    pl.when(end_of("table:table")).then(pl.lit("TE"))
                    .when(end_of("table:table-row")).then(pl.lit("RE"))
                    .when(end_of(*_CELLS)).then(pl.lit("CE")))
                .when(n == "table:table").then(pl.when(empty).then(pl.lit("Ts")).otherwise(pl.lit("T")))
                .when(n == "table:table-row").then(
                    pl.when(empty).then(pl.lit("Rs"))
                    .when(t.str.ends_with("</table:table-row>")).then(pl.lit("Rw")).otherwise(pl.lit("R")))
                .when(n.is_in(_CELLS) & t.str.ends_with("</table:table-cell>")).then(pl.lit("Cw"))
                .when(n.is_in(_CELLS)).then(pl.when(empty).then(pl.lit("Cs")).otherwise(pl.lit("C")))
                .when(n == "text:s").then(pl.lit("S"))
                .when(n == "text:p").then(pl.lit("P")))
        name = t.str.extract(r"^<([^ \t\r\n/>]*)", 1)
        df = df.with_columns(n=pl.when(~is_text).then(name)).with_columns(k=kind).filter(pl.col("k").is_not_null())
        if df.height == 0:
            return
        k = pl.col("k")
        structural = k.is_in(["T", "Ts", "TE", "R", "Rs", "Rw", "RE", "C", "Cs", "Cw"])
        # Inside a cell: after a C, until its CE. Anything structural there is refused.
        df = df.with_columns(
            _open=pl.when(k == "C").then(True).when(k == "CE").then(False).forward_fill()
            .shift(1).fill_null(self._in_cell))
        bad = df.filter(structural & pl.col("_open"))
        if bad.height:
            self.scan.nested = "单元格中嵌套了表格、行或单元格"
            return
        last_open = df.select(pl.when(k == "C").then(True).when(k == "CE").then(False).drop_nulls().last()).item()
        if last_open is not None:
            self._in_cell = bool(last_open)
        df = df.with_row_index("i").with_columns(
            cell=(k.is_in(["C", "Cs", "Cw"])).cum_sum(),
            row=(k.is_in(["R", "Rs", "Rw"])).cum_sum(),
            tab=(k.is_in(["T", "Ts"])).cum_sum())
        self._tables(df)

    def _tables(self, df: pl.DataFrame) -> None:
        k = pl.col("k")
        # in a table: after T, until TE / Ts; a table start inside a table is refused
        in_table = pl.when(k == "T").then(True).when(k.is_in(["TE", "Ts"])).then(False).forward_fill() \
            .shift(1).fill_null(self._table is not None)
        df = df.with_columns(_in_table=in_table)
        if df.filter(k.is_in(["T", "Ts"]) & pl.col("_in_table")).height:
            self.scan.nested = "工作表中嵌套了工作表"
            return
        # in a row: after R, until RE / Rs / a table boundary (a segment never starts inside a row)
        in_row = pl.when(k == "R").then(True).when(k.is_in(["RE", "Rs", "Rw", "T", "Ts", "TE"])).then(False) \
            .forward_fill().shift(1).fill_null(False)
        df = df.with_columns(_in_row=in_row)
        starts = df.filter(k.is_in(["T", "Ts"])).select(
            "tab", nm=_value(_TABLE_NAME).fill_null(""), ends=(k == "Ts"))
        names = {tab: html.unescape(nm) for tab, nm, _ in starts.iter_rows()}

        # cells of rows (a cell outside a row is not read), with the text inside them
        content = df.filter(k.is_in(["X", "S", "P"]) & pl.col("_open")).select(
            "cell", b=pl.when(k == "X").then(pl.col("t").str.len_bytes().cast(pl.Float64))
            .when(k == "S").then(_number(_value(_SPACES), _I32).clip(0).cast(pl.Float64)).otherwise(1.0)
        ).group_by("cell").agg(pl.col("b").sum())
        t = pl.col("t")
        cells = df.filter(k.is_in(["C", "Cs", "Cw"]) & pl.col("_in_row") & pl.col("_in_table")).select(
            "i", "cell", "row", "t", "k", ne=t.str.contains(_HAS_VALUE))
        # the few cells with a repeat, or an attribute holding text (a string, date or time value,
        # a formula), are looked at closer; the others span one column and hold no attribute text
        closer = cells.filter(t.str.contains(_CLOSER)).select(
            "i", w=_number(_value(_COLS_REPEATED), MAX_COLS),
            # read as calamine reads attributes: a key holds no "=", so each "=" + quoted value is
            # the next attribute's value (the text is among them)
            attr=t.str.extract_all(_VALUES).list.eval(pl.element().str.len_bytes()).list.sum().cast(pl.Float64))
        cells = cells.join(closer, on="i", how="left").join(content, on="cell", how="left").select(
            "i", "cell", "row", "ne", w=pl.col("w").fill_null(1),
            # a whole cell's text: what follows its first ">", less its end tag
            b=pl.when(pl.col("ne")).then(
                pl.col("attr").fill_null(0.0) + pl.col("b").fill_null(0.0)
                + pl.when(pl.col("k") == "Cw").then(t.str.len_bytes() - t.str.find(">", literal=True) - 20)
                .otherwise(0).cast(pl.Float64)).otherwise(0.0))
        cells = cells.sort("i").with_columns(end=pl.col("w").cum_sum().over("row")).with_columns(
            start=pl.col("end") - pl.col("w"))
        cells = cells.with_columns(
            lo=pl.col("start").clip(upper_bound=MAX_COLS), hi=pl.col("end").clip(upper_bound=MAX_COLS))
        cells = cells.with_columns(pushed_ne=pl.when(pl.col("ne")).then(pl.col("hi") - pl.col("lo")).otherwise(0))
        per_row = cells.group_by("row").agg(
            total=pl.col("end").last(),
            last_empty=pl.when(pl.col("ne").last()).then(0).otherwise(pl.col("w").last()),
            first_ne=pl.col("lo").filter(pl.col("pushed_ne") > 0).min(),
            last_ne=(pl.col("hi").filter(pl.col("pushed_ne") > 0).max() - 1),
            payload=(pl.col("pushed_ne").cast(pl.Float64) * pl.col("b")).sum(),
        ).with_columns(pushed=(pl.col("total") - pl.col("last_empty")).clip(upper_bound=MAX_COLS))
        rows = df.filter(k.is_in(["R", "Rs"]) & pl.col("_in_table")).select(
            "row", "tab", rep=_number(_value(_ROWS_REPEATED), MAX_ROWS)
        ).join(per_row, on="row", how="left").select(
            "row", "tab", "rep", "first_ne", "last_ne", pl.col("pushed").fill_null(0), pl.col("payload").fill_null(0.0))
        plain = df.filter((k == "Rw") & pl.col("_in_table"))
        if plain.height:
            rows = pl.concat([rows, _plain_rows(plain).select(rows.columns)], how="vertical_relaxed")
        rows = rows.sort("row")

        # table boundaries in order: rows are added to the table open at their place
        events = df.filter(k.is_in(["T", "Ts", "TE"])).select("tab", "k").rows()
        by_tab = rows.partition_by("tab", as_dict=True, maintain_order=True)
        self._add_rows(by_tab.get((0,)))  # rows of the table open at the segment's start
        for tab, kk in events:
            if kk in ("T", "Ts"):
                self._table = _Open(names.get(tab, ""))
                self._add_rows(by_tab.get((tab,)))
            if kk in ("Ts", "TE") and self._table is not None:
                self.scan.tables.append(self._table.close())
                self._table = None

    def _add_rows(self, rows: pl.DataFrame | None) -> None:
        """Add a table's rows (in order) to the open table's counts."""
        tb = self._table
        if tb is None or rows is None or rows.height == 0:
            return
        rows = rows.with_columns(
            e=(pl.col("rep").clip(upper_bound=MAX_ROWS).cum_sum() + tb.rows).clip(upper_bound=MAX_ROWS))
        rows = rows.with_columns(s=pl.col("e").shift(1).fill_null(tb.rows))
        rows = rows.with_columns(q=(pl.col("e") - pl.col("s")).cast(pl.Float64) * pl.col("payload"))
        rows = rows.with_columns(qe=pl.col("q").cum_sum() + tb.payload)
        rows = rows.with_columns(qs=pl.col("qe") - pl.col("q"))
        ne = rows.filter(pl.col("first_ne").is_not_null())
        if ne.height:
            if tb.first is None:
                tb.first = (int(ne["s"][0]), float(ne["qs"][0]))
            tb.last = (int(ne["e"][-1]), float(ne["qe"][-1]))
            tb.col_lo = min(tb.col_lo, int(ne["first_ne"].min()))
            tb.col_hi = max(tb.col_hi, int(ne["last_ne"].max()))
        tb.rows = int(rows["e"][-1])
        tb.payload = float(rows["qe"][-1])
        tb.raw_cells += int(rows["pushed"].sum())
        tb.raw_bytes += float(rows["payload"].sum())


def measure(stream: Callable[[Callable[[bytes], None]], object]) -> OdsScan:
    """Measure a content.xml: `stream(sink)` feeds it to `sink` chunk by chunk (and may be called
    twice). Plain rows are first bounded from above as a whole; when that bound is too much, every
    cell is measured in a second pass before the file is refused."""
    scanner = OdsScanner()
    stream(scanner)
    scan = scanner.close()
    if scan.over() is not None and scan.nested is None and scan.unclosed is None:
        scanner = OdsScanner(precise=True)
        stream(scanner)
        scan = scanner.close()
    return scan
