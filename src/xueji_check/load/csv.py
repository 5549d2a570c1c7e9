"""Delimited text (CSV/TSV): bytes to text (UTF-8, BOM, UTF-16, GB18030), cleaning, parsing."""

from __future__ import annotations

import codecs
import csv
import io
import re

import polars as pl

from xueji_check.load.model import LoadError, Problem, RawSheet, _first_line


def _utf16_guess(head: bytes) -> str | None:
    """UTF-16 without a BOM: every other byte of the head is zero."""
    if len(head) >= 4 and head[1::2].count(0) > len(head) // 4 and head[0::2].count(0) < len(head) // 8:
        return "utf-16-le"
    if len(head) >= 4 and head[0::2].count(0) > len(head) // 4 and head[1::2].count(0) < len(head) // 8:
        return "utf-16-be"
    return None


UTF8_SAMPLE = 1 << 16


def _head_is_utf8(data: bytes) -> bool:
    """Whether the first 64 KB could be UTF-8 (a character cut off by the sample does not count).
    When they cannot, the whole file cannot either, so no full UTF-8 attempt is made."""
    try:
        data[:UTF8_SAMPLE].decode("utf-8")
    except UnicodeDecodeError as exc:
        return len(data) > UTF8_SAMPLE and exc.reason == "unexpected end of data"
    return True


def decode_text(data: bytes) -> tuple[str, str, bool]:
    """Return (text, encoding, lossy). UTF-8/UTF-8 BOM/UTF-16 (BOM or not), else GB18030."""
    if data.startswith(codecs.BOM_UTF8):
        text = data[3:].decode("utf-8", errors="replace")
        return text, "utf-8-sig", "\ufffd" in text
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16", errors="replace")
        return text, "utf-16", "\ufffd" in text
    utf16 = _utf16_guess(data[:4096])
    if utf16:
        return data.decode(utf16, errors="replace"), utf16, False
    if _head_is_utf8(data):
        try:
            return data.decode("utf-8"), "utf-8", False
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("gb18030"), "gb18030", False
    except UnicodeDecodeError:
        pass
    # Mostly UTF-8 with a few bad bytes, or mostly GBK with a few: keep whichever loses less.
    u = data.decode("utf-8", errors="replace")
    g = data.decode("gb18030", errors="replace")
    if u.count("\ufffd") <= g.count("\ufffd"):
        return u, "utf-8", True
    return g, "gb18030", True


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The same characters as bytes: in UTF-8 a byte below 0x80 is always a whole character, so
# deleting these bytes from UTF-8 text deletes exactly these characters.
_CONTROL_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_BARE_CR = re.compile(rb"\r(?!\n)")
_UTF8_BOM = codecs.BOM_UTF8
MAX_QUOTE_PAIRS_LOOKED_AT = 10_000


def _clean_text(text: str) -> str:
    """What every CSV goes through: no BOMs, \\n line ends, no control characters."""
    text = text.replace("\ufeff", "").replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


def _clean_utf8(raw: bytes, has_bom: bool, has_cr: bool) -> bytes:
    """`_clean_text` done on the UTF-8 bytes with as few passes as the content allows. A \\r\\n
    line end is left to Polars (it reads it as \\n); only a bare \\r, or a \\r\\n that may be inside
    a quoted cell, makes the newlines be rewritten."""
    if has_bom:
        raw = raw.replace(_UTF8_BOM, b"")
    if has_cr and (_BARE_CR.search(raw) or _cr_inside_quotes(raw)):
        raw = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    stripped = raw.translate(None, _CONTROL_BYTES)
    return stripped if len(stripped) != len(raw) else raw


def _cr_inside_quotes(raw: bytes) -> bool:
    """Whether a \\r may sit between a pair of double quotes (a quoted cell with a line break).
    Conservative: many quotes, or a quote without a partner, count as yes."""
    pos = 0
    for _ in range(MAX_QUOTE_PAIRS_LOOKED_AT):
        a = raw.find(b'"', pos)
        if a < 0:
            return False
        b = raw.find(b'"', a + 1)
        if b < 0 or raw.find(b"\r", a, b) >= 0:
            return True
        pos = b + 1
    return True


def _head_text(raw: bytes, lines: int) -> str:
    """The first `lines` lines of (clean) UTF-8 bytes as text with \\n line ends."""
    end = -1
    for _ in range(lines):
        end = raw.find(b"\n", end + 1)
        if end < 0:
            end = len(raw)
            break
    return raw[:end].decode("utf-8").replace("\r\n", "\n")


def _is_blank(data: bytes) -> bool:
    return not data[:4096].strip() and not data.strip()


def read_csv_text(data: bytes | list[bytes], display: str, stem: str, problems: list[Problem]) -> RawSheet:
    """Read a CSV/TSV as text. `data` may be handed over in a one-item list: the bytes are then
    released as soon as they have been decoded (a 150 MB file is not held through the parse)."""
    if isinstance(data, list):
        data = data.pop()
    if _is_blank(data) or data in (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        raise LoadError("文件是空的，请重新导出")
    text, enc, lossy = decode_text(data)
    if lossy:
        problems.append(Problem("warning", display, None, None,
                                f"文件中有无法识别的字节（已按 {enc.upper()} 读取，以 � 代替），请核对中文是否乱码；"
                                "最好在 Excel 中另存为「CSV UTF-8」后再检查"))
    if "\x00" in text[:4096]:
        raise LoadError("文件内容不是文本表格（含二进制数据），请用 Excel 打开后另存为 .xlsx 或 CSV 再检查")
    if not _clean_text(text[:4096]).strip() and not _clean_text(text).strip():
        raise LoadError("文件是空的，请重新导出")
    # From here on the text is handled as UTF-8 bytes (what Polars parses): the decoded string
    # is dropped as soon as it has been encoded (or not even encoded when the file is UTF-8).
    has_bom, has_cr = "\ufeff" in text, "\r" in text
    if enc == "utf-8" and not lossy:
        raw = data
    elif enc == "utf-8-sig" and not lossy:
        raw = data[3:]
    else:
        raw = text.encode("utf-8")
    del text, data
    raw = _clean_utf8(raw, has_bom, has_cr)
    first = _head_text(raw, 20)
    sep = max([",", "\t", ";", "|"], key=lambda c: first.count(c))
    if first.count(sep) == 0:
        sep = ","
    # Title lines have one field: the width is the widest record, not the first one. The head
    # gives it; spare columns catch a wider line further down without parsing the file twice
    # (only when even the spares fill up is the whole file measured and read again).
    width = _csv_width(_head_text(raw, 500), sep)
    df = _read_csv_bytes(raw, sep, width + CSV_SPARE_COLUMNS, display, problems)
    if df.width and df[:, -1].null_count() < df.height:
        full = raw.decode("utf-8").replace("\r\n", "\n")
        df = _read_csv_bytes(raw, sep, _csv_width(full, sep), display, problems)
    else:
        used = [c for c in df.columns[width:] if df[c].null_count() < df.height]
        last = max((int(c[1:]) for c in used), default=width - 1)
        df = df.select(df.columns[: last + 1])
    df = df.rename({c: f"c{i}" for i, c in enumerate(df.columns)})
    return RawSheet(display, stem, df, enc)


CSV_SPARE_COLUMNS = 16


def _read_csv_bytes(data: bytes, sep: str, width: int, display: str, problems: list[Problem]) -> pl.DataFrame:
    schema = {f"c{i}": pl.String for i in range(width)}
    try:
        return pl.read_csv(data, has_header=False, schema=schema, separator=sep, missing_columns="insert",
                           truncate_ragged_lines=True, raise_if_empty=False, quote_char='"')
    except Exception:
        try:  # a stray quote: read again without quoting rather than give up
            df = pl.read_csv(data, has_header=False, schema=schema, separator=sep, missing_columns="insert",
                             truncate_ragged_lines=True, raise_if_empty=False, quote_char=None)
            problems.append(Problem("warning", display, None, None,
                                    "文件中的引号不成对，已按不带引号的方式读取；请核对含逗号或换行的单元格"))
            return df
        except Exception as exc:
            raise LoadError(f"无法解析该 CSV 文件（{_first_line(exc)[:160]}），请用 Excel 打开后另存为 CSV（UTF-8）再检查") from exc


def _csv_width(text: str, sep: str) -> int:
    """The widest record of `text` (the head of the file, or all of it)."""
    try:
        return max((len(r) for r in csv.reader(io.StringIO(text), delimiter=sep)), default=1) or 1
    except csv.Error:  # a field beyond the csv module's limit: count separators instead
        return max(line.count(sep) for line in text.split("\n")) + 1

