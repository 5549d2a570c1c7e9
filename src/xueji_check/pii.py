"""Masking of personal numbers inside free text (messages, quoted cells, names), and the cut of
long quoted values. One set of patterns, applied two ways with the same result: as Polars
expressions over a column (findings) and with `re` over one string (problems about inputs).

Shapes masked (ASCII and full-width digits alike, e.g. ``４１０１０５…``):

* ID number, 18 digits: a region code (first digit 1-9), a birth date ``YYYYMMDD`` with year
  18xx/19xx/20xx, month 01-12 and day 01-31, three digits and a check character (0-9 or X).
  15 digits: region, ``YYMMDD``, three digits. Kept: the first 6 and the last 4 characters
  (``410105********1234``), as the ID column itself (`normalize.mask_id`).
* The same 18 characters in the card's own grouping, ``410105 20080104 1241`` (a space,
  ideographic space, hyphen or dot between the groups). Kept: the first and the last group.
* Mobile number: 11 digits ``1[3-9]x xxxx xxxx``, optionally written ``139-1234-5678``,
  ``139 1234 5678`` or ``139.1234.5678`` and with a ``+86``/``0086``/``86`` prefix. Kept: the first 3
  and the last 4.
* Bank card number: a run of 16 to 19 digits, or four-digit groups separated by a space or
  hyphen (16 to 19 digits). Kept: the first 4 and the last 4. (A 统一社会信用代码 of 17 digits
  and a letter has this shape too and is masked.)
* Any longer run (20 digits or more: numbers run together, an ID inside a longer number):
  the first 4 and the last 4 kept.
* A long number shown by Excel in scientific notation (``4.10105200801011E+17``, 11 or more
  significant digits): the digits after the first are masked.

A shape must be a whole digit run: the digits just before and after are not digits, so a date
(``20240901``), an amount (``1500.00``), a 10-digit school code or an ordinary 学籍号 is left as
it is. A card number is not checked with
the Luhn sum (a regex cannot), so any 16-19 digit run is masked.

The Rust regex engine of Polars has no look-around, so each pattern captures the boundary
character before and after and puts it back; two neighbours sharing one separator
(``13912345678、13987654321``) need a second pass, which every caller makes (`PASSES`).
"""

from __future__ import annotations

import re

import polars as pl

D = "[0-9０-９]"
_NOT_D = "[^0-9０-９]"
_NZ = "[1-9１-９]"
_YYYY = "(?:[1１][89８９]|[2２][0０])" + D + "{2}"
_MM = "(?:[0０][1-9１-９]|[1１][0-2０-２])"
_CHECK = "[0-9０-９XxＸｘ]"
# a separator between digit groups: space, ideographic space, hyphen (and the dashes and minus a
# word processor puts for it: ‐ ‑ ‒ – — −), dot (`139.1234.5678`), tilde, middle dot. Not a slash
# or an underscore: dates (1998/9/1) and stamped file names (表20241015_1530) would be taken apart.
# The dashes, tildes and middle dot (SEP_DASHES) are also what rules/publicity.py (P402) joins
# digits on in text; not the dots there, where 应发1500.00-300.00 would join into a mobile.
SEP_DASHES = "\\-－\u2010\u2011\u2012\u2013\u2014\u2212～~·"
_SEP_CHARS = " \u3000.．" + SEP_DASHES
_SEP = f"[{_SEP_CHARS}]"

# (name, pattern, replacement). Group 1 is the boundary before, the last group the boundary
# after; replacements use ${n}.
_PATTERNS: list[tuple[str, str, str]] = [
    ("id18",
     f"(^|{_NOT_D})({_NZ}{D}{{5}})({_YYYY}{_MM}(?:[0０][1-9１-９]|[12１２]{D}|[3３][01０１]))({D}{{3}}{_CHECK})($|{_NOT_D})",
     "${1}${2}********${4}${5}"),
    ("id18_grouped",  # as printed on the card: 410105 20080104 1241 (one separator between groups)
     f"(^|{_NOT_D})({_NZ}{D}{{5}})({_SEP})({_YYYY}{_MM}(?:[0０][1-9１-９]|[12１２]{D}|[3３][01０１]))({_SEP})({D}{{3}}{_CHECK})($|{_NOT_D})",
     "${1}${2}${3}********${5}${6}${7}"),
    ("id18_grouped4",  # 410105 2008 0104 1241
     f"(^|{_NOT_D})({_NZ}{D}{{5}})({_SEP})({_YYYY})({_SEP})({_MM}(?:[0０][1-9１-９]|[12１２]{D}|[3３][01０１]))({_SEP})({D}{{3}}{_CHECK})($|{_NOT_D})",
     "${1}${2}${3}****${5}****${7}${8}${9}"),
    ("id15",
     f"(^|{_NOT_D})({_NZ}{D}{{5}})({D}{{2}}{_MM}[0-3０-３])({D}{{4}})($|{_NOT_D})",
     "${1}${2}*****${4}${5}"),
    ("card_grouped19",
     f"(^|{_NOT_D})({D}{{4}})((?:{_SEP}{D}{{4}}){{3}}{_SEP})({D}{{1,3}})($|{_NOT_D})",
     "${1}${2} **** **** **** ${4}${5}"),
    ("card_grouped16",
     f"(^|{_NOT_D})({D}{{4}})((?:{_SEP}{D}{{4}}){{2}}{_SEP})({D}{{4}})($|{_NOT_D})",
     "${1}${2} **** **** ${4}${5}"),
    ("card",
     f"(^|{_NOT_D})({D}{{4}})({D}{{8,11}})({D}{{4}})($|{_NOT_D})",
     "${1}${2}********${4}${5}"),
    ("card_split",  # 16-19 digits in groups of any length (621700 1234567890123); a card's first digit
     # is 3-6, so two dates run together (2024-09-01 2024-10-01) are left alone
     f"(^|{_NOT_D})([3-6３-６]{D}{{3}})((?:{_SEP}?{D}){{8,11}})({_SEP}?{D}{{4}})($|{_NOT_D})",
     "${1}${2}********${4}${5}"),
    ("long",
     f"(^|{_NOT_D})({D}{{4}})({D}{{12,}})({D}{{4}})($|{_NOT_D})",
     "${1}${2}************${4}${5}"),
    ("mobile",  # 139-1234-5678, (139)1234 5678: groups of 3, 4 and 4
     f"(^|{_NOT_D})((?:(?:[+＋]|[0０]{{2}})?[8８][6６]{_SEP}?)?[(（]?[1１][3-9３-９]{D}[)）]?)({_SEP}?{D}{{4}}{_SEP}?)({D}{{4}})($|{_NOT_D})",
     "${1}${2}****${4}${5}"),
    ("mobile56",  # 13912 345678
     f"(^|{_NOT_D})([1１][3-9３-９]{D})({D}{{2}}{_SEP}{D}{{2}})({D}{{4}})($|{_NOT_D})",
     "${1}${2}****${4}${5}"),
    ("scientific",
     f"(^|{_NOT_D})({D})([.．]{D}{{10,}})([EeＥｅ][+＋]?[1１][0-9０-９])",
     "${1}${2}.**********${4}"),
]
PASSES = 2

# The day's second digit in id15 is not checked (only its first, 0-3), so that the last four
# characters can be one group; a loose day only widens what is masked.

# IDs and mobiles: for file and folder names (张三_410105200801041241_异动申请.xlsx). Card-shaped
# runs are left alone there: a system's export is often named by a 16-19 digit timestamp, and the
# name must still find the file.
PATH_SHAPES = ("id18", "id18_grouped", "id18_grouped4", "id15", "mobile", "mobile56")

# Only IDs: for columns whose value is itself an identifier (学籍号), where an 11-digit or
# 16-digit 学籍号 must stay readable, but a G-prefixed ID number (G410105…) must not.
ID_ONLY = ("id18", "id18_grouped", "id18_grouped4", "id15")

QUOTE_LIMIT = 200
TEXT_LIMIT = 1000
_QUOTE_RE = f"「([^」]{{{QUOTE_LIMIT}}})[^」]+」"


def _py_repl(repl: str) -> str:
    return re.sub(r"\$\{(\d+)\}", r"\\g<\1>", repl)


_COMPILED = [(name, re.compile(p), _py_repl(r)) for name, p, r in _PATTERNS]
_QUOTE_PY = re.compile(_QUOTE_RE)


def mask_text(text: str, only: tuple[str, ...] | None = None) -> str:
    """Mask every ID-, mobile- and card-shaped number in one string (see the module doc)."""
    if not text:
        return text
    for name, rx, repl in _COMPILED:
        if only is not None and name not in only:
            continue
        for _ in range(PASSES):
            text = rx.sub(repl, text)
    return text


def mask_expr(e: pl.Expr, only: tuple[str, ...] | None = None) -> pl.Expr:
    """`mask_text` as a Polars expression over a String column (vectorised; nulls stay null)."""
    for name, p, repl in _PATTERNS:
        if only is not None and name not in only:
            continue
        for _ in range(PASSES):
            e = e.str.replace_all(p, repl)
    return e


# A cheap test for text that may hold a shape at all (11 or more digits and separators in a row,
# or a long mantissa): the patterns run on those rows only.
CANDIDATE = f"{D}[0-9０-９()（）{_SEP_CHARS}]{{9,}}{D}|[.．]{D}{{10}}"


def _on_rows(s: pl.Series, rows: pl.Series, fn) -> pl.Series:
    """`fn` (an expression builder) applied to the rows of `s` where `rows` is true only."""
    idx = rows.fill_null(False).arg_true()
    if idx.len() == 0:
        return s
    part = s.gather(idx).to_frame().select(fn(pl.col(s.name))).to_series()
    return s.clone().scatter(idx, part)


def mask_series(s: pl.Series, only: tuple[str, ...] | None = None) -> pl.Series:
    """`mask_expr` over a String Series, run only on the rows that may hold a shape (fast when
    few do: 1M messages without long numbers take ~0.3 s instead of ~10 s)."""
    return _on_rows(s, s.str.contains(CANDIDATE), lambda e: mask_expr(e, only))


def cut_series(s: pl.Series, limit: int = TEXT_LIMIT) -> pl.Series:
    """`cut_expr` over a String Series, run only on the rows longer than QUOTE_LIMIT."""
    return _on_rows(s, s.str.len_chars() > QUOTE_LIMIT, lambda e: cut_expr(e, limit))


def cut_text(text: str, limit: int = TEXT_LIMIT) -> str:
    """Quoted values (「…」) longer than QUOTE_LIMIT characters cut with …, then the whole text
    kept to `limit` characters (its start and its end, which says what to do)."""
    if not text or len(text) <= QUOTE_LIMIT:
        return text
    text = _QUOTE_PY.sub("「\\g<1>…」", text)
    if len(text) > limit:
        tail = limit // 4
        text = text[: limit - tail - 1] + "…" + text[-tail:]
    return text


def cut_expr(e: pl.Expr, limit: int = TEXT_LIMIT) -> pl.Expr:
    """`cut_text` as a Polars expression."""
    e = e.str.replace_all(_QUOTE_RE, "「${1}…」")
    tail = limit // 4
    n = e.str.len_chars()
    return pl.when(n > limit).then(e.str.slice(0, limit - tail - 1) + pl.lit("…") + e.str.slice(-tail)).otherwise(e)


def clip_expr(e: pl.Expr, limit: int = QUOTE_LIMIT) -> pl.Expr:
    """A short value (name, school, header) kept to `limit` characters, the cut marked with …"""
    return pl.when(e.str.len_chars() > limit).then(e.str.slice(0, limit - 1) + pl.lit("…")).otherwise(e)


def clip_text(text: str, limit: int = QUOTE_LIMIT) -> str:
    """`clip_expr` for one string."""
    return text[: limit - 1] + "…" if isinstance(text, str) and len(text) > limit else text
