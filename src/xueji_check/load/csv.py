"""Delimited text (CSV/TSV): bytes to text (UTF-8, BOM, UTF-16, GB18030), cleaning, parsing."""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field

import polars as pl

from xueji_check.load.model import LoadError, Problem, RawSheet, _first_line


def _utf16_guess(head: bytes) -> str | None:
    """UTF-16 without a BOM: every other byte of the head is zero."""
    if len(head) >= 4 and head[1::2].count(0) > len(head) // 4 and head[0::2].count(0) < len(head) // 8:
        return "utf-16-le"
    if len(head) >= 4 and head[0::2].count(0) > len(head) // 4 and head[1::2].count(0) < len(head) // 8:
        return "utf-16-be"
    return None


UTF8_SAMPLE = 1 << 16  # the head looked at before a file is read whole (bytes)


@dataclass
class Decoded:
    """Text decoded from a CSV's bytes.

    `encoding` is the file's encoding (utf-8, utf-8-sig, utf-16*, gb18030), or "utf-8+gb18030"
    when lines of both are mixed. `other_lines` are the 1-based lines of the file in the other
    (minority) encoding `other`; `lossy_lines` the lines with bytes neither could read (shown
    as U+FFFD), `lossy_encoding` what those lines were read as."""

    text: str
    encoding: str
    lossy: bool = False
    other: str = ""
    other_lines: list[int] = field(default_factory=list)
    lossy_lines: list[int] = field(default_factory=list)
    lossy_encoding: str = ""


def decode_bytes(data: bytes) -> Decoded:
    """Decode a delimited-text file. UTF-16 (BOM, or zeros in every other byte) whole; UTF-8
    (with or without BOM) whole when all of it is UTF-8; GB18030 whole when the file starts
    without UTF-8 text and all of it is GB18030. Otherwise (two files joined byte for byte, or
    damaged bytes) each line is decoded on its own: UTF-8, else GB18030, and a line neither
    reads keeps whichever loses fewer characters. Never raises."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16", errors="replace")
        return Decoded(text, "utf-16", "\ufffd" in text, lossy_encoding="UTF-16")
    utf16 = _utf16_guess(data[:4096])
    if utf16:
        return Decoded(data.decode(utf16, errors="replace"), utf16)
    bom = data.startswith(codecs.BOM_UTF8)
    body = data[3:] if bom else data
    try:
        return Decoded(body.decode("utf-8"), "utf-8-sig" if bom else "utf-8")
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    # No whole line of UTF-8 text before the line UTF-8 cannot read: a GB18030 (GBK) file, the
    # usual save of Excel on Chinese Windows (a few GBK characters may happen to be valid UTF-8,
    # a whole line almost never). Only its first non-ASCII line was looked at so far.
    if not bom and body[: body.rfind(b"\n", 0, first_bad) + 1].isascii():
        try:
            text = body.decode("gb18030")
        except UnicodeDecodeError:
            pass
        else:
            # UTF-8 lines whose Chinese runs all have an even length are valid GB18030 too: a
            # UTF-8 file appended to a GBK one could pass. Its last lines tell (64 KB, cheap).
            if not _tail_is_utf8_text(body):
                return Decoded(text, "gb18030")
            del text
    return _decode_by_line(body, "utf-8-sig" if bom else "utf-8")


_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")
_WIDE = re.compile(r"[\u0800-\ufffc\U00010000-\U0010ffff]")


def _tail_is_utf8_text(body: bytes) -> bool:
    """Whether one of the last whole lines (up to 64 KB) is UTF-8 with Chinese text in it (a
    GBK line is almost never valid UTF-8 with a three-byte character)."""
    tail = body[-UTF8_SAMPLE:]
    if len(body) > UTF8_SAMPLE:
        tail = tail[tail.find(b"\n") + 1:] if b"\n" in tail else b""
    if tail.isascii():
        return False
    for line in tail.splitlines():
        if line.isascii():
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if _CJK.search(text):
            return True
    return False


def _decode_by_line(body: bytes, utf8_name: str) -> Decoded:
    """Each line on its own, in runs: the UTF-8 lines up to the next line UTF-8 cannot read are
    decoded in one call; that line alone by `_decode_line`. A line break is the same byte in
    UTF-8 and GB18030 and never part of a multi-byte character in either, so lines can be cut
    on the bytes. Line numbers count \n, \r\n and a bare \r, as the CSV reader does."""
    n = len(body)
    out: list[str] = []
    u8_ranges: list[tuple[int, int]] = []  # lines of UTF-8 runs that hold non-ASCII text
    gb_lines: list[int] = []
    lossy_lines: list[int] = []
    lossy_gb = lossy_u8 = 0
    pos, line_no = 0, 1
    while pos < n:
        run, end, bad = _utf8_run(body, pos)
        if run:
            out.append(run)
            breaks = body.count(b"\n", pos, end) + body.count(b"\r", pos, end) - body.count(b"\r\n", pos, end)
            lines = breaks if body[end - 1:end] in (b"\n", b"\r") else breaks + 1
            if not run.isascii():  # the lines from its first to its last non-ASCII character
                first = len(run) - len(run.lstrip(_ASCII))
                last = len(run.rstrip(_ASCII)) - 1
                u8_ranges.append((line_no + _breaks(run, 0, first), line_no + _breaks(run, 0, last)))
            line_no += lines
        pos = end
        if pos >= n:
            break
        line_end = _line_end(body, pos)
        line_text, kind = _decode_line(body[pos:line_end], bad - pos)
        out.append(line_text)
        if kind == "gb":
            gb_lines.append(line_no)
        elif kind == "gb-lossy":
            gb_lines.append(line_no)
            lossy_lines.append(line_no)
            lossy_gb += 1
        else:  # UTF-8 with bytes that cannot be read
            u8_ranges.append((line_no, line_no))
            lossy_lines.append(line_no)
            lossy_u8 += 1
        line_no += 1
        pos = line_end
    text = "".join(out)
    lossy_enc = "GB18030" if lossy_gb >= lossy_u8 else "UTF-8"
    u8_count = sum(b - a + 1 for a, b in u8_ranges)
    if u8_ranges and gb_lines:
        if len(gb_lines) <= u8_count:
            return Decoded(text, "utf-8+gb18030", bool(lossy_lines), "GBK（GB18030）", gb_lines, lossy_lines, lossy_enc)
        u8_lines = [i for a, b in u8_ranges for i in range(a, b + 1)]
        return Decoded(text, "utf-8+gb18030", bool(lossy_lines), "UTF-8", u8_lines, lossy_lines, lossy_enc)
    enc = "gb18030" if gb_lines else utf8_name
    return Decoded(text, enc, bool(lossy_lines), lossy_lines=lossy_lines, lossy_encoding=lossy_enc)


_ASCII = "".join(map(chr, range(128)))


def _breaks(text: str, start: int, end: int) -> int:
    """Line breaks (\n, \r\n, a bare \r) in text[start:end]."""
    return text.count("\n", start, end) + text.count("\r", start, end) - text.count("\r\n", start, end)


RUN_FIRST_WINDOW = 1 << 12
RUN_MAX_WINDOW = 1 << 24


def _utf8_run(body: bytes, pos: int) -> tuple[str, int, int]:
    """The UTF-8 text from `pos` up to the start of the first line UTF-8 cannot read: (text,
    where it ends, the first bad byte or len(body)). Decoded in windows that grow from 4 KB, so
    a line that is not UTF-8 right after `pos` costs a few KB, not a pass over the rest of the
    file (the decoder's error copies what it was given)."""
    n = len(body)
    parts: list[str] = []
    start, window = pos, RUN_FIRST_WINDOW
    mv = memoryview(body)
    while pos < n:
        stop = min(n, pos + window)
        try:
            text, used = codecs.utf_8_decode(mv[pos:stop], "strict", stop == n)
        except UnicodeDecodeError as exc:
            bad = pos + exc.start
            end = max(body.rfind(b"\n", start, bad), body.rfind(b"\r", start, bad), start - 1) + 1
            if end < pos:  # the line began in an earlier window: decode the run again up to it
                return body[start:end].decode("utf-8"), end, bad
            return "".join(parts) + body[pos:end].decode("utf-8"), end, bad
        parts.append(text)
        pos += used
        window = min(window * 2, RUN_MAX_WINDOW)
    return "".join(parts), n, n


def _line_end(body: bytes, pos: int) -> int:
    """Where the line starting at `pos` ends, its line break included (looked for in growing
    windows: a file without \r is not scanned to its end for every line)."""
    n, window = len(body), RUN_FIRST_WINDOW
    while True:
        stop = min(n, pos + window)
        ends = [i for i in (body.find(b"\n", pos, stop), body.find(b"\r", pos, stop)) if i >= 0]
        if ends:
            i = min(ends)
            return i + 2 if body[i:i + 2] == b"\r\n" else i + 1
        if stop == n:
            return n
        window *= 4


def _decode_line(line: bytes, first_bad: int) -> tuple[str, str]:
    """One line UTF-8 cannot read (its first bad byte at `first_bad`): ("…", "gb") when it is
    GB18030; ("…", "u8-lossy") when it is UTF-8 with damage, i.e. more good multi-byte
    characters than bad bytes (GB18030 text read as UTF-8 gives almost nothing but replacement
    characters); else whichever of the two loses fewer characters."""
    try:
        g = line.decode("gb18030")
    except UnicodeDecodeError:
        g = None
    if g is not None and line[:first_bad].isascii():
        return g, "gb"  # the usual GBK line: fails as UTF-8 at its first non-ASCII character
    u = line.decode("utf-8", errors="replace")
    bad = u.count("\ufffd")
    good = len(_WIDE.findall(u))  # three-byte characters (Chinese): GBK read as UTF-8 gives few
    if good > bad:
        return u, "u8-lossy"
    if g is not None:
        return g, "gb"
    g = line.decode("gb18030", errors="replace")
    if g.count("\ufffd") < bad:
        return g, "gb-lossy"
    return u, "u8-lossy"


def decode_text(data: bytes) -> tuple[str, str, bool]:
    """Return (text, encoding, lossy); see `decode_bytes`."""
    d = decode_bytes(data)
    return d.text, d.encoding, d.lossy


def line_ranges(lines: list[int], shown: int = 10) -> str:
    """[4, 5, 9] -> "4–5、9"; past `shown` ranges, "… 等 N 行"."""
    ranges: list[list[int]] = []
    for n in lines:
        if ranges and n == ranges[-1][1] + 1:
            ranges[-1][1] = n
        else:
            ranges.append([n, n])
    text = "、".join(f"{a}" if a == b else f"{a}–{b}" for a, b in ranges[:shown])
    return text + (f" 等 {len(lines)} 行" if len(ranges) > shown else "")


def binary_reason(head: bytes) -> str | None:
    """Why the head of a file given as delimited text shows it is not text (Chinese), or None.
    Looked at before the file is read whole, so a multi-GB binary file is never loaded."""
    if not head or head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _utf16_guess(head[:4096]):
        return None
    if head.startswith(b"%PDF"):
        return "实际是 PDF 文件"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        return "实际是图片"
    if head.startswith((b"Rar!", b"7z\xbc\xaf", b"\x1f\x8b")):
        return "实际是压缩包"
    if b"\x00" in head[:4096]:
        return "含二进制数据"
    return None


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


SAVE_AS_UTF8 = "最好在 Excel 中另存为「CSV UTF-8」后再检查"


def _enc_words(name: str) -> str:
    return f"{name} 编码" if name.isascii() else f"{name}编码"


def _encoding_problems(dec: Decoded, display: str, problems: list[Problem]) -> None:
    """Warnings that name the lines read in another encoding or with unreadable bytes."""
    if dec.other_lines:
        major = "UTF-8" if dec.other == "GBK（GB18030）" else "GBK（GB18030）"
        problems.append(Problem(
            "warning", display, None, None,
            f"文件混用了两种编码：第 {line_ranges(dec.other_lines)} 行是 {_enc_words(dec.other)}，其余是 {_enc_words(major)}"
            f"（常见于把两个导出文件直接拼接），已逐行识别读取；请核对这些行的中文是否正确，{SAVE_AS_UTF8}"))
    if dec.lossy_lines:
        problems.append(Problem(
            "warning", display, None, None,
            f"文件第 {line_ranges(dec.lossy_lines)} 行有无法识别的字节（已按 {dec.lossy_encoding} 读取，以 � 代替），"
            f"请核对这些行的中文是否乱码；{SAVE_AS_UTF8}"))
    elif dec.lossy:
        problems.append(Problem(
            "warning", display, None, None,
            f"文件中有无法识别的字节（已按 {dec.lossy_encoding or dec.encoding.upper()} 读取，以 � 代替），"
            f"请核对中文是否乱码；{SAVE_AS_UTF8}"))


def read_csv_text(data: bytes | list[bytes], display: str, stem: str, problems: list[Problem]) -> RawSheet:
    """Read a CSV/TSV as text. `data` may be handed over in a one-item list: the bytes are then
    released as soon as they have been decoded (a 150 MB file is not held through the parse)."""
    if isinstance(data, list):
        data = data.pop()
    if _is_blank(data) or data in (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        raise LoadError("文件是空的，请重新导出")
    why = binary_reason(data[:UTF8_SAMPLE])
    if why:
        raise LoadError(f"文件内容不是文本表格（{why}），请用 Excel 打开后另存为 .xlsx 或 CSV 再检查")
    dec = decode_bytes(data)
    text, enc, lossy = dec.text, dec.encoding, dec.lossy
    _encoding_problems(dec, display, problems)
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
    del text, data, dec
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

