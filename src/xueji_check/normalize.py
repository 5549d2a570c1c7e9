"""Vectorised normalisers (Polars expressions) for text, IDs and other documents, dates,
numbers, yes/no, terms, enums and names.

Every function takes an expression of raw text and returns an expression; nothing here loops
over rows. Every field of every table goes through `tidy` (directly or through `clean_text` /
`compact`), so what a cell really holds is decided once, here:

- invisible format characters (Unicode category Cf: zero-width space and joiners, bidi marks
  such as U+202D/U+202C, the BOM U+FEFF, the word joiner U+2060, the soft hyphen) and C0 control
  characters are removed;
- every kind of space (no-break U+00A0, U+202F, figure space U+2007, the ideographic space
  U+3000, line breaks, tabs) is one ASCII space, runs of them one space, none at either end;
- Excel's text wrappers are taken off: a whole cell `="…"` (system exports write it so that
  Excel keeps a long number as text) and a leading `'` (Excel's text prefix, written out
  literally by some exports).

The annotated copy of an input is made from the file itself, so it keeps the cell as it was.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import cache

import polars as pl

# Full-width ASCII (U+FF01..U+FF5E) and the ideographic space, mapped to half-width.
_FW = [chr(c) for c in range(0xFF01, 0xFF5F)] + ["\u3000"]
_HW = [chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)] + [" "]

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
EXCEL_EPOCH = dt.date(1899, 12, 30)

TRUE_WORDS = ["是", "y", "yes", "true", "√", "✓", "✔", "1", "有", "已", "已签字", "已签", "已签名", "已上传", "在职", "对",
              "已采集", "已拍摄", "已拍", "有照片", "已提交"]
FALSE_WORDS = ["否", "n", "no", "false", "×", "✗", "✘", "x", "0", "无", "未", "未签字", "未签", "未签名", "未上传", "不在职", "错",
               "未采集", "待采集", "未拍摄", "无照片", "未提交"]

_CN_DIGITS = {"零": "0", "〇": "0", "一": "1", "二": "2", "两": "2", "三": "3", "四": "4",
              "五": "5", "六": "6", "七": "7", "八": "8", "九": "9", "半": ".5"}

# Characters a cell may hold that nobody sees, removed: Unicode format characters (category Cf,
# Unicode 15.1: zero-width space and joiners, bidi marks and isolates, BOM, word joiner, soft
# hyphen, invisible operators, tags…) and the control characters that are not spaces.
_CF_RANGES = ((0x00AD, 0x00AD), (0x0600, 0x0605), (0x061C, 0x061C), (0x06DD, 0x06DD), (0x070F, 0x070F),
              (0x0890, 0x0891), (0x08E2, 0x08E2), (0x180E, 0x180E), (0x200B, 0x200F), (0x202A, 0x202E),
              (0x2060, 0x2064), (0x2066, 0x206F), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD),
              (0x110CD, 0x110CD), (0x13430, 0x1343F), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0001, 0xE0001),
              (0xE0020, 0xE007F))
# The other default-ignorable characters (Unicode's Default_Ignorable_Code_Point, not Cf): the
# combining grapheme joiner, variation selectors (U+FE0F after a digit hides a number from every
# pattern), Mongolian free variation selectors, Hangul fillers, Khmer inherent vowels.
IGNORABLE_RANGES = ((0x034F, 0x034F), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180D), (0x180F, 0x180F),
                    (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFFA0, 0xFFA0), (0xE0100, 0xE01EF))
_CONTROLS = (*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F, *range(0x80, 0x85), *range(0x86, 0xA0))
INVISIBLE_CHARS = [chr(c) for a, b in (*_CF_RANGES, *IGNORABLE_RANGES) for c in range(a, b + 1)] \
    + [chr(c) for c in _CONTROLS]
# Every other kind of space (Unicode White_Space), made one ASCII space: tab, line breaks, no-break
# U+00A0, U+202F, figure space U+2007, the en/em spaces, the ideographic space U+3000 …
SPACE_CHARS = ["\t", "\n", "\x0b", "\x0c", "\r", "\x85", "\xa0", "\u1680",
               *[chr(c) for c in range(0x2000, 0x200B)], "\u2028", "\u2029", "\u202f", "\u205f", "\u3000"]
INVISIBLE = "[" + "".join(f"\\x{{{ord(c):X}}}" for c in INVISIBLE_CHARS) + "]"  # the same, as a regex class
# One Aho-Corasick pass does all three (every character maps to at most one replacement).
_TIDY_FROM = [*_FW[:-1], *INVISIBLE_CHARS, *SPACE_CHARS]
_TIDY_TO = [*_HW[:-1], *[""] * len(INVISIBLE_CHARS), *[" "] * len(SPACE_CHARS)]
_TIDY_FROM_KEEP_WIDTH = [*INVISIBLE_CHARS, *SPACE_CHARS]
_TIDY_TO_KEEP_WIDTH = [*[""] * len(INVISIBLE_CHARS), *[" "] * len(SPACE_CHARS)]
# Excel text wrappers, on the trimmed cell: ="…" as the whole cell, or a leading '.
_WRAPPED = "(?s)^(?:=\"(.*)\"|'(.*))$"


def halfwidth(e: pl.Expr) -> pl.Expr:
    return e.str.replace_many(_FW, _HW)


# Text made only of printable ASCII and common CJK ideographs holds nothing `tidy` would change
# but the trim and the wrappers: a column without any other character (most columns) skips the
# character pass, and one without a leading = or ' skips the wrapper pass (`text_flags`).
_SPECIAL = r"[^\x20-\x7E\x{4E00}-\x{9FFF}]"
# Any character a wrapper starts with, anywhere in the cell: what `tidy` removes before the
# wrapper (invisible and control characters, every kind of space) may stand in front of it.
_WRAPPER_START = r"[='＝＇]"


def text_flags(lf: pl.LazyFrame, cols: list[str]) -> dict[str, dict[str, bool]]:
    """Per raw text column of `lf`: whether it holds any character `tidy` replaces (``special``)
    and any cell that may carry an Excel wrapper (``wrapped``). One scan; `tidy` with both False
    gives exactly what it gives with both True on such a column."""
    if not cols:
        return {}
    row = lf.select(
        *[pl.col(c).cast(pl.String).str.contains(_SPECIAL).any().alias(f"s{i}") for i, c in enumerate(cols)],
        *[pl.col(c).cast(pl.String).str.contains(_WRAPPER_START).any().alias(f"w{i}") for i, c in enumerate(cols)],
    ).collect().row(0, named=True)
    return {c: {"special": bool(row[f"s{i}"]), "wrapped": bool(row[f"w{i}"])} for i, c in enumerate(cols)}


def tidy(e: pl.Expr, *, to_halfwidth: bool = True, special: bool = True, wrapped: bool = True) -> pl.Expr:
    """What a cell really holds, as text: invisible characters removed, every space a plain
    space, trimmed, Excel's `="…"` and leading `'` wrappers taken off; full-width ASCII made
    half-width unless ``to_halfwidth`` is False (names keep the letters as typed). Empty text
    stays empty (callers turn it into null). ``special``/``wrapped`` False skip a pass that
    `text_flags` found has nothing to do in this column."""
    s = e.cast(pl.String)
    if special:
        src, dst = (_TIDY_FROM, _TIDY_TO) if to_halfwidth else (_TIDY_FROM_KEEP_WIDTH, _TIDY_TO_KEEP_WIDTH)
        s = s.str.replace_many(src, dst)
    s = s.str.strip_chars(" ")
    if wrapped:
        # after the half-width step: a full-width ＝＂…＂ is the same wrapper
        s = s.str.replace(_WRAPPED, "${1}${2}").str.strip_chars(" ")
    return s


def _null_if_empty(s: pl.Expr) -> pl.Expr:
    return s.replace("", None)


def clean_text(e: pl.Expr, **flags: bool) -> pl.Expr:
    """`tidy`, then empty text becomes null."""
    return _null_if_empty(tidy(e, **flags))


def compact(e: pl.Expr, **flags: bool) -> pl.Expr:
    """clean_text with every inner space removed (ID numbers, enum words, numbers)."""
    return _null_if_empty(tidy(e, **flags).str.replace_all(" ", "", literal=True))


# ---------------------------------------------------------------- ID numbers (GB 11643)
def check_digit(body17: pl.Expr) -> pl.Expr:
    """GB 11643 check character for a 17-digit string expression (integer arithmetic on the
    17 digits as one UInt64: much faster than 17 string slices)."""
    v = body17.cast(pl.UInt64, strict=False)
    total = pl.sum_horizontal([((v // 10 ** (16 - i)) % 10) * w for i, w in enumerate(ID_WEIGHTS)])
    return pl.lit(ID_CHECK_CHARS).str.slice((total % 11).cast(pl.Int64), 1)


def check_digit_py(body17: str) -> str:
    total = sum(int(c) * w for c, w in zip(body17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


# ---------------------------------------------------------------- identity documents (证件类型)
# Canonical names: the `values` of `id_type` in schemas/*.toml (their synonyms map to these).
RESIDENT_ID = "居民身份证"
RESIDENCE_PERMIT = "港澳台居民居住证"
PERMANENT_RESIDENCE = "外国人永久居留身份证"
PASSPORT = "护照"
HK_MACAO_PERMIT = "港澳居民来往内地通行证"
TAIWAN_PERMIT = "台湾居民来往大陆通行证"
OTHER_DOCUMENT = "其他"

# Document type -> (class used below, the form its number has, in a message's words).
# Sources of the forms:
# - 居民身份证: GB 11643-1999 公民身份号码 (18 characters, MOD 11-2 check character).
# - 港澳台居民居住证: 《港澳台居民居住证申领发放办法》(国办发〔2018〕81号) gives holders a 公民身份号码
#   under GB 11643; its address code is 810000 (Hong Kong), 820000 (Macao) or 830000 (Taiwan).
# - 外国人永久居留身份证: 2017 version 15 characters, 3 letters (nationality) + 12 digits; the 2023
#   version (国家移民管理局《新版外国人永久居留身份证机读信息规则》, issued from 2023-12-01) is 18
#   characters under GB 11643 with the first digit 9 (birth date at 7-14, sex at 17, MOD 11-2 check).
# - 港澳居民来往内地通行证: 公安部《港澳居民来往内地通行证号码规则》(2010): H (Hong Kong) or M (Macao)
#   and 10 digits, the first 8 the holder's lifelong number, the last 2 the renewal count; the
#   2013 card prints H/M + the 8-digit lifelong number only. The key is H/M + the lifelong number.
# - 台湾居民来往大陆通行证: since 2008-09-25 the number is the 8-digit lifelong number (公安部出入境
#   管理局, "一人一号、终身不变"); older ones add a 2-digit issue count. The key is the 8 digits.
# - 护照: ICAO Doc 9303 (machine readable travel documents): the document number is letters and
#   digits (9 in the MRZ field, longer numbers run on); Chinese passports are E/G + 8 characters.
DOCUMENTS: dict[str, tuple[str, str | None]] = {
    RESIDENT_ID: ("id", None),
    RESIDENCE_PERMIT: ("rp", "以 810000（香港）、820000（澳门）或 830000（台湾）开头的 18 位号码"),
    PERMANENT_RESIDENCE: ("pr", "3 位字母加 12 位数字（2017 年版），或以 9 开头的 18 位号码（2023 年版）"),
    PASSPORT: ("pp", "5 至 20 位字母和数字（含数字）"),
    HK_MACAO_PERMIT: ("hm", "H 或 M 加 8 位数字（旧版为 H 或 M 加 10 位数字）"),
    TAIWAN_PERMIT: ("tw", "8 位数字（旧版为 10 位数字）"),
}
# The shape of a passport or permit number (letters, then digits), read where a resident ID
# was expected: E12345678, EA1234567, H0123456700, USA440108050612.
OTHER_DOCUMENT_SHAPE = r"^[A-Z]{1,3}\d{6,12}[A-Z]?$"
# Statuses of an ID number column. S003 reports every one not in ID_USABLE_STATUSES; S004 `numeric`.
ID_USABLE_STATUSES = ("ok", "empty", "numeric", "other")


def _doc_class(t: pl.Expr) -> pl.Expr:
    out = pl.when(t.is_null()).then(pl.lit("id"))
    for doc, (cls, _form) in DOCUMENTS.items():
        out = out.when(t == doc).then(pl.lit(cls))
    return out.otherwise(pl.lit("other"))


def add_id_columns(lf: pl.LazyFrame, raw_col: str, name: str, as_of: dt.date,
                   type_col: str | None = None, flags: dict[str, bool] | None = None) -> pl.LazyFrame:
    """Normalise an ID number column of `lf` in stages (one nested expression makes the query
    optimiser slow). ``type_col`` is the normalised 证件类型 column when the table has one;
    ``flags`` what `text_flags` found in the raw column.

    Adds:
    - ``name``: the number (18-character canonical for a GB 11643 number, dashes between groups
      of its digits dropped, `id_separators_dropped`; upper case, no spaces for another document)
      or null when it cannot serve as a key;
    - ``name__key``: the person key: a valid GB 11643 number itself (resident ID, 港澳台居民居住证
      and the 2023 永居证 share that number space), else ``type:number`` (``护照:E12345678``;
      ``证件:…`` when no type is given and the value has a passport/permit shape);
    - ``name__raw`` (cleaned text), ``name__doc`` (the document type or null);
    - ``name__status``: ok, empty, numeric (Excel number, digits lost), length, chars, birth,
      check (GB 11643), form (not the form of its document type, see DOCUMENTS), suspect (no
      type, but the shape of a passport/permit number), other (a type without a form check);
    - ``name__birth`` and ``name__gender`` (from a valid GB 11643 number only).
    """
    s, full, chk, is15 = pl.col("_id_s"), pl.col("_id_full"), pl.col("_id_chk"), pl.col("_id_15")
    doc = pl.col(type_col).cast(pl.String) if type_col else pl.lit(None, pl.String)
    lf = lf.with_columns(compact(pl.col(raw_col), **(flags or {})).alias(f"{name}__raw"), doc.alias(f"{name}__doc")).with_columns(
        pl.col(f"{name}__raw").str.to_uppercase().alias("_id_w"), _doc_class(pl.col(f"{name}__doc")).alias("_id_c"))
    lf = lf.with_columns(id_separators_dropped(pl.col("_id_w")).alias("_id_s"))
    lf = lf.with_columns(s.str.contains(r"^\d{15}$").alias("_id_15"))
    lf = lf.with_columns(
        pl.when(is15).then(s.str.slice(0, 6) + "19" + s.str.slice(6, 9)).otherwise(s.str.slice(0, 17)).alias("_id_body"),
    ).with_columns(check_digit(pl.col("_id_body")).alias("_id_chk"))
    # The body is the first 17 characters of the full number in every case, so its check
    # character (computed once) is what the 18th character must be.
    lf = lf.with_columns(pl.when(is15).then(pl.col("_id_body") + chk).otherwise(s).alias("_id_full"))
    # A value that survives a round trip through a float64 came from a numeric cell: the
    # trailing digits were already lost (Excel keeps 15 significant digits).
    # (on the value as written: a number written in groups is text, not a numeric cell)
    w = pl.col("_id_w")
    via_float = w.cast(pl.Float64, strict=False).cast(pl.UInt64, strict=False).cast(pl.String)
    lf = lf.with_columns(
        w.str.contains(r"^\d(\.\d+)?E\+?\d+$|^\d+\.\d+$").alias("_id_sci"),
        (w.str.contains(r"^\d{18}$") & (via_float == w)).alias("_id_float"),
        full.str.contains(r"^\d{17}[\dX]$").alias("_id_shape"),
        full.str.slice(6, 8).str.to_date("%Y%m%d", strict=False).alias("_id_birth"),
        (full.str.slice(17, 1) == chk).alias("_id_check_ok"),
        (is15 | (s.str.len_chars() == 18)).alias("_id_len_ok"),
    )
    birth = pl.col("_id_birth")
    birth_ok = birth.is_not_null() & (birth >= dt.date(1900, 1, 1)) & (birth <= as_of)
    check_ok = pl.col("_id_check_ok")
    gb = (  # GB 11643 verdict, whatever the document type
        pl.when(s.is_null()).then(pl.lit("empty"))
        .when(pl.col("_id_sci")).then(pl.lit("numeric"))
        .when(pl.col("_id_float") & ~check_ok).then(pl.lit("numeric"))
        .when(~pl.col("_id_len_ok")).then(pl.lit("length"))
        .when(~pl.col("_id_shape")).then(pl.lit("chars"))
        .when(~birth_ok).then(pl.lit("birth"))
        .when(~check_ok).then(pl.lit("check"))
        .otherwise(pl.lit("ok"))
    )
    lf = lf.with_columns(gb.alias("_id_gb"))
    g, c = pl.col("_id_gb"), pl.col("_id_c")
    gb_ok = g == "ok"
    status = (
        pl.when(s.is_null()).then(pl.lit("empty"))
        .when(c == "id").then(
            pl.when(~gb_ok & (g != "numeric") & s.str.contains(OTHER_DOCUMENT_SHAPE)).then(pl.lit("suspect"))
            .otherwise(g))
        .when(c == "rp").then(pl.when(gb_ok & ~s.str.contains(r"^8[123]0000")).then(pl.lit("form")).otherwise(g))
        .when(c == "pr").then(
            pl.when(s.str.contains(r"^[A-Z]")).then(
                pl.when(s.str.contains(r"^[A-Z]{3}\d{12}$")).then(pl.lit("ok")).otherwise(pl.lit("form")))
            .when(gb_ok & ~s.str.starts_with("9")).then(pl.lit("form"))
            .otherwise(g))
        .when(c == "pp").then(
            pl.when(s.str.contains(r"^[A-Z0-9]{5,20}$") & s.str.contains(r"\d")).then(pl.lit("ok")).otherwise(pl.lit("form")))
        .when(c == "hm").then(pl.when(s.str.contains(r"^[HM]\d{8}(\d{2})?$")).then(pl.lit("ok")).otherwise(pl.lit("form")))
        .when(c == "tw").then(pl.when(s.str.contains(r"^\d{8}(\d{2})?$")).then(pl.lit("ok")).otherwise(pl.lit("form")))
        .otherwise(pl.when(gb_ok).then(pl.lit("ok")).otherwise(pl.lit("other")))
    )
    lf = lf.with_columns(status.alias(f"{name}__status"))
    st = pl.col(f"{name}__status")
    keyed = st.is_in(["ok", "suspect", "other"])
    # (an untyped H/M number of 10 digits is a 港澳 permit with its renewal count: H12345678 and
    # H1234567801 are one person, as A302 matches them)
    lifelong = pl.when(c == "hm").then(s.str.slice(0, 9)).when(c == "tw").then(s.str.slice(0, 8)) \
        .when((c == "id") & s.str.contains(r"^[HM]\d{10}$")).then(s.str.slice(0, 9)).otherwise(s)
    label = pl.when(c == "id").then(pl.lit("证件")).otherwise(pl.col(f"{name}__doc"))
    gender = pl.when(full.str.slice(16, 1).cast(pl.Int32, strict=False) % 2 == 1).then(pl.lit("男")).otherwise(pl.lit("女"))
    lf = lf.with_columns(
        pl.when(gb_ok).then(full).when(keyed).then(s).alias(name),
        pl.when(gb_ok).then(full).when(keyed).then(label + ":" + lifelong).alias(f"{name}__key"),
        pl.when(gb_ok).then(birth).alias(f"{name}__birth"),
        pl.when(gb_ok).then(gender).alias(f"{name}__gender"),
    )
    return lf.drop("_id_w", "_id_s", "_id_c", "_id_15", "_id_body", "_id_chk", "_id_full", "_id_sci", "_id_float", "_id_shape",
                   "_id_birth", "_id_check_ok", "_id_len_ok", "_id_gb")


# The dashes a clerk groups an ID number's digits with (4101-0520-0501-0112-34, 410105-200501011234):
# hyphen-minus (full-width － is made one by `tidy`), hyphen, non-breaking hyphen, figure dash, en
# and em dash, horizontal bar, minus sign, small hyphen-minus. Spaces are gone already (`compact`).
ID_DASHES = "[-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uFE58\uFE63]"
# Digits in groups, each group after the first one preceded by a dash (or a doubled one); the check
# character X last, in the last group or a group of its own. No dash before the first digit or after
# the last character.
_ID_GROUPED = rf"^\d+(?:{ID_DASHES}+\d+)*(?:{ID_DASHES}*X)?$"
# What the groups must make once joined: the digits of a GB 11643 number (18 characters, or the
# 15 digits of a first-generation card).
_ID_JOINED = r"^\d{17}[\dX]$|^\d{15}$"
# A first-generation card's 15 digits in groups only as its layout splits them (area 6, birth 6,
# order 3): 410105-20050101-1 is an 18-digit number cut short, not a card of 1920.
_ID_15_GROUPED = rf"^\d{{6}}{ID_DASHES}*\d{{6}}{ID_DASHES}*\d{{3}}$"


def id_separators_dropped(s: pl.Expr) -> pl.Expr:
    """An ID number's text (compact, upper case) without the dashes between groups of its digits,
    the way card numbers lose theirs (`card_text`): 4101-0520-0501-0112-34 is 410105200501011234.
    Only when the groups join into the 18 characters of a GB 11643 number (or the 15 digits of a
    first-generation card grouped as its layout, `_ID_15_GROUPED`); any other
    value is left as written (a 17-digit or 11-digit phone number in groups, letters, a leading or
    trailing dash), so it is judged, and shown, as it stands. The joined number is then judged like
    any other: one that is invalid without the dashes stays invalid."""
    joined = s.str.replace_all(ID_DASHES, "")
    layout = (joined.str.len_chars() == 18) | s.str.contains(_ID_15_GROUPED)
    return pl.when(s.str.contains(ID_DASHES) & s.str.contains(_ID_GROUPED) & joined.str.contains(_ID_JOINED)
                   & layout).then(joined).otherwise(s)


def normalise_id(raw: pl.Series | list, as_of: dt.date | None = None,
                 types: pl.Series | list | None = None) -> pl.DataFrame:
    """Convenience for tests and small lists: a frame with id, status, birth, gender, key, doc
    (``types``: the canonical 证件类型 of each value, or None for a table without that column)."""
    data = {"raw": pl.Series(list(raw), dtype=pl.String)}
    if types is not None:
        data["t"] = pl.Series(list(types), dtype=pl.String)
    lf = pl.DataFrame(data).lazy()
    out = add_id_columns(lf, "raw", "id", as_of or dt.date.today(), "t" if types is not None else None).collect()
    return out.select("id", status="id__status", birth="id__birth", gender="id__gender", key="id__key", doc="id__doc")


def mask_id(e: pl.Expr) -> pl.Expr:
    """An ID or document number with most of it hidden, enough left to find the row:
    15 characters or more (ID numbers) keep the first 6 and last 4 (110105********002X);
    9-14 characters (passports, permits) the first 2 and last 2 (E1*****78); 6-8 characters the
    first and the last (1******8); shorter ones are all `*`. Up to 6 characters without a digit (无,
    暂无, 待补充, a name typed into the column) name no document and are shown as written. Invisible
    characters, spaces and Excel wrappers are dropped first (`compact`), so a raw cell masks like
    its value."""
    e = compact(e)
    n = e.str.len_chars()

    def stars(k: pl.Expr) -> pl.Expr:
        return pl.lit("*").repeat_by(k).list.join("")

    return (
        pl.when(e.is_null()).then(None)
        .when(~e.str.contains(r"\d") & (n <= 6)).then(e)
        .when(n >= 15).then(e.str.slice(0, 6) + stars(n - 10) + e.str.slice(-4, 4))
        .when(n >= 9).then(e.str.slice(0, 2) + stars(n - 4) + e.str.slice(-2, 2))
        .when(n >= 6).then(e.str.slice(0, 1) + stars(n - 2) + e.str.slice(-1, 1))
        .otherwise(stars(n))
    )


# ---------------------------------------------------------------- dates
# What a clerk writes in a date cell that has no date (毕业日期 of a student still at school): a
# dash or slash, 无, 暂无. An empty cell, not an unreadable date (S002 when the date is required).
DATE_PLACEHOLDER = r"^(?:[\s\p{Pd}/／\\_＿、.。·]+|无|暂无)$"


def add_date_columns(lf: pl.LazyFrame, raw_col: str, name: str) -> pl.LazyFrame:
    """Parse every date format of DATA.md in stages (a day up to 1900-01-01, Excel's 0, is not
    read: `EXCEL_ZERO_DAY`). Adds ``name`` (pl.Date), ``name__raw``
    (cleaned text; null for a placeholder, `DATE_PLACEHOLDER`) and ``name__ym`` (year-month only,
    so the day is the 1st)."""
    s = pl.col(f"{name}__raw")
    text = clean_text(pl.col(raw_col))
    lf = lf.with_columns(pl.when(~text.str.contains(DATE_PLACEHOLDER)).then(text).alias(f"{name}__raw"))
    lf = lf.with_columns(
        _date_tail_dropped(_time_dropped(s).str.replace_all(r"\s+", ""))
        .alias("_d_s")
    )
    d = pl.col("_d_s")
    lf = lf.with_columns(
        _year_month_6(d)
        .str.replace_all(r"[年月/.]", "-").str.replace_all(r"[日号]", "").str.strip_chars("-")
        .str.extract_groups(r"^(\d{4})-(\d{1,2})(?:-(\d{1,2}))?$").alias("_d_p"),
        # Excel serials of realistic dates are five digits (1927-2173); `2018.9` is a year-month.
        pl.when(d.str.contains(r"^\d{5}(\.\d+)?$"))
        .then(d.cast(pl.Float64, strict=False).floor().cast(pl.Int64, strict=False)).alias("_d_serial"),
        pl.when(d.str.contains(r"^\d{8}$")).then(d.str.to_date("%Y%m%d", strict=False)).alias("_d_8"),
    )
    p = pl.col("_d_p")
    y, m, dd = p.struct.field("1"), p.struct.field("2"), p.struct.field("3")
    ymd = pl.concat_str([y, m.str.zfill(2), dd.fill_null("01").str.zfill(2)], separator="-").str.to_date(
        "%Y-%m-%d", strict=False)
    lf = lf.with_columns(ymd.alias("_d_ymd"), (y.is_not_null() & dd.is_null()).alias("_d_ym"))
    from_serial = (pl.lit(EXCEL_EPOCH) + pl.duration(days=pl.col("_d_serial"))).cast(pl.Date)
    # `2024.1`: January, or 2024.10 that Excel stored as a number and so lost its 0 (October):
    # not read (S006 says why) rather than guessed
    ymd_read = pl.when(~d.str.contains(AMBIGUOUS_MONTH)).then(pl.col("_d_ymd"))
    read = pl.coalesce(from_serial, pl.col("_d_8"), ymd_read)
    lf = lf.with_columns(
        pl.when(read > EXCEL_ZERO_DAY).then(read).alias(name),
        (pl.col("_d_ym") & ymd_read.is_not_null()).alias(f"{name}__ym"),
    )
    return lf.drop("_d_s", "_d_p", "_d_serial", "_d_8", "_d_ymd", "_d_ym")


AMBIGUOUS_MONTH = r"^\d{4}\.1$"
# 202409: a year and month written as six digits (as some systems export 入学年月), read only
# where the six digits cannot also be a day written YYMMDD (200901: 2009-01 or 2020-09-01?): such a
# value is not guessed at (S006). An Excel serial of six digits is after the year 2173.
YEAR_MONTH_6 = r"^((?:19|20)\d{2})(0[1-9]|1[0-2])$"
YYMMDD_6 = r"^\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])$"


def _year_month_6(d: pl.Expr) -> pl.Expr:
    """`d` with a six-digit year and month (`YEAR_MONTH_6`, not also a `YYMMDD_6` day) written
    2024-09."""
    return pl.when(d.str.contains(YEAR_MONTH_6) & ~d.str.contains(YYMMDD_6)).then(
        d.str.replace(YEAR_MONTH_6, "$1-$2")).otherwise(d)
# What Excel shows for a 0 or 1 in a date-formatted cell (a formula or lookup that found nothing,
# 1899-12-30/31, 1900-01-00/01): no date of a student's life. Such a day and any before it is not
# read (S006 says why), so no rule counts from it (a registration "45,646 days late").
EXCEL_ZERO_DAY = dt.date(1900, 1, 1)
EXCEL_ZERO_TEXT = r"^\s*(?:1899|1900)\D"


# A time after a date, as Excel, a CSV export or a clerk writes it: 10:15, 9:05:00.000, 10时,
# 10点30分, 下午3:00, 3:00 PM. It is removed while the spaces are still there: without them
# `2024/12/2 10:15` would read as day 21 at 0:15.
_TIME = (r"(?:(?:上午|下午|凌晨|早上|中午|晚上)\s*)?\d{1,2}(?:[:：]\d{1,2}(?:[:：]\d{1,2}(?:\.\d+)?)?"
         r"|[时点](?:\d{1,2}分?(?:\d{1,2}秒)?)?)\s*(?:[AaPp]\.?[Mm]\.?)?")
_DATE_THEN_TIME = [
    # 2024/12/2 10:15, 2024-10-1T10:30:00 (a time needs a space or a T after these forms)
    rf"^(\d{{4}}[-/.]\d{{1,2}}[-/.]\d{{1,2}})(?:\s*[Tt]\s*|\s+){_TIME}$",
    # 2024年9月2日 10:00, 2024年12月2日10时
    rf"^(\d{{4}}\s*年\s*\d{{1,2}}\s*月\s*\d{{1,2}}\s*[日号])\s*{_TIME}$",
]


def _time_dropped(s: pl.Expr) -> pl.Expr:
    """A date's cleaned text (spaces still in it) without a time written after it."""
    for pattern in _DATE_THEN_TIME:
        s = s.str.replace(pattern, "$1")
    # anything else after a time that follows a space or a T: a time zone (+08:00, +0800, Z, UTC)
    return s.str.replace(r"^(\d{4}[-/.]\d{1,2}[-/.]\d{1,2})(?:\s+|\s*[Tt]\s*)\d{1,2}[:：].*$", "$1")


def _date_tail_dropped(s: pl.Expr) -> pl.Expr:
    """A date's text (spaces already removed) without what Excel's long format or a CSV adds: the
    weekday (`2024年9月1日星期日`, `2024-09-01(周日)`) and a zero decimal part (`20240901.0`)."""
    return (s.str.replace(r"[（(]?(?:星期|周|礼拜)[一二三四五六日天][）)]?$", "")
            .str.replace(r"^(\d{8})\.0+$", "$1"))


def date_struct(raw: pl.Expr) -> pl.Expr:
    """Expression form (for scanning arbitrary cells and tests): struct of ``date`` and ``ym_only``.
    Tables use the staged `add_date_columns`."""
    s = _date_tail_dropped(_time_dropped(clean_text(raw)).str.replace_all(" ", "", literal=True))
    serial_days = pl.when(s.str.contains(r"^\d{5}(\.\d+)?$")).then(
        s.cast(pl.Float64, strict=False).floor().cast(pl.Int64, strict=False))
    from_serial = (pl.lit(EXCEL_EPOCH) + pl.duration(days=serial_days)).cast(pl.Date)
    compact8 = pl.when(s.str.contains(r"^\d{8}$")).then(s.str.to_date("%Y%m%d", strict=False))
    parts = (_year_month_6(s).str.replace_all(r"[年月/.]", "-").str.replace_all(r"[日号]", "").str.strip_chars("-")
             .str.extract_groups(r"^(\d{4})-(\d{1,2})(?:-(\d{1,2}))?$"))
    y, m, d = parts.struct.field("1"), parts.struct.field("2"), parts.struct.field("3")
    ymd = pl.concat_str([y, m.str.zfill(2), d.fill_null("01").str.zfill(2)], separator="-").str.to_date(
        "%Y-%m-%d", strict=False)
    ymd = pl.when(~s.str.contains(AMBIGUOUS_MONTH)).then(ymd)  # see add_date_columns
    read = pl.coalesce(from_serial, compact8, ymd)
    return pl.struct(date=pl.when(read > EXCEL_ZERO_DAY).then(read),
                     ym_only=y.is_not_null() & d.is_null() & ymd.is_not_null())


# ---------------------------------------------------------------- numbers, yes/no, grade
# An amount written in the uppercase numerals of financial documents (大写金额): 壹仟元, 壹仟元整,
# 壹仟伍佰元整, 贰仟元, 壹万零伍拾元, 人民币壹仟伍佰元整; up to 玖万玖仟玖佰玖拾玖. Read only in the form
# the rules of writing amounts give (every place written with its unit, 零 for a skipped place, no
# 角/分): 壹仟伍 (colloquially 1500, literally unclear) and 壹仟伍元 are not read.
_FIN_DIGITS = "壹贰叁肆伍陆柒捌玖"
_FIN_PLACES = (("万", 10000), ("仟", 1000), ("佰", 100), ("拾", 10))


def _financial_grammar() -> str:
    g = f"[{_FIN_DIGITS}]"
    tens = f"{g}拾{g}?"
    hundreds = f"{g}佰(?:{tens}|零{g})?"
    thousands = f"{g}仟(?:{hundreds}|零(?:{tens}|{g}))?"
    wan = f"{g}万(?:{thousands}|零(?:{hundreds}|{tens}|{g}))?"
    return f"^(?:人民币)?(?:{wan}|{thousands}|{hundreds}|{tens}|{g})(?:[元圆]整?|整)?$"


FINANCIAL_AMOUNT = _financial_grammar()


def _financial_amount(s: pl.Expr) -> pl.Expr:
    """An amount in financial uppercase numerals (`FINANCIAL_AMOUNT`, on compact text) as Float64,
    else null: each place's digit times its unit, plus the digit written last without a unit."""
    def digit(e: pl.Expr) -> pl.Expr:
        return e.replace_strict(list(_FIN_DIGITS), list(range(1, 10)), default=0, return_dtype=pl.Int64).fill_null(0)

    total = pl.sum_horizontal([digit(s.str.extract(f"([{_FIN_DIGITS}]){unit}", 1)) * k for unit, k in _FIN_PLACES]
                              + [digit(s.str.extract(f"([{_FIN_DIGITS}])(?:[元圆]整?|整)?$", 1))])
    return pl.when(s.str.contains(FINANCIAL_AMOUNT)).then(total.cast(pl.Float64))


def number(raw: pl.Expr, sum_parts: bool = False) -> pl.Expr:
    """`3`, `3年`, `三年`, `三年制`, `3学年`, `3（年）`, `2.5年`, `两年半`, `1,000.00元`, `1000元整`, `1000（元）`
    → Float64 (null when unreadable); without `sum_parts` also an amount in financial uppercase
    numerals (`FINANCIAL_AMOUNT`: 壹仟元整, 壹仟伍佰元整, 贰仟元). A refund (`-1000`) is read as
    written (the field's range decides), `(1000)` is not read. With `sum_parts` (a field whose schema says so: 学制), `2+1` / `2年+1年` /
    `3+2` read as the sum of the parts (two years at school and one in a company is a 学制 of three
    years); otherwise such a value is unreadable (an amount `1000+500` is not guessed at). With
    `sum_parts` also `五年一贯制` (a five-year through programme: 5) and `6个月` / `18个月` (a
    programme counted in months: 0.5, 1.5 years)."""
    s = compact(raw)
    financial = None if sum_parts else _financial_amount(s)
    if sum_parts:
        s = s.str.replace(r"一贯制$|贯通(?:培养|制)?$", "")
    s = s.str.replace_many(list(_CN_DIGITS), list(_CN_DIGITS.values()))
    # 3年制, 3学年, 3（年）; 1000（元）, 1000元整
    s = s.str.replace_all(r"学年|年制|[（(][年元][）)]|元?整$|[,，元年¥￥]|人民币|RMB", "")
    s = s.str.replace(r"^(\d+)\.5$", "$1.5").str.replace(r"^\.5$", "0.5")
    value = s.cast(pl.Float64, strict=False)
    if not sum_parts:
        return pl.coalesce(value, financial)
    parts = s.str.extract_groups(r"^(\d+(?:\.\d+)?)\+(\d+(?:\.\d+)?)$")
    total = parts.struct.field("1").cast(pl.Float64, strict=False) + parts.struct.field("2").cast(pl.Float64, strict=False)
    months = s.str.extract(r"^(\d+(?:\.\d+)?)个?月$").cast(pl.Float64, strict=False) / 12
    return pl.coalesce(value, total, months)


def number_raw(raw: pl.Expr) -> pl.Expr:
    """A number cell's text (`clean_text`), null for a placeholder that says "no value" (the
    date's `DATE_PLACEHOLDER`: `—`, `/`, `－`, `无`, `暂无`): an optional amount written so is empty,
    not an unreadable number (S007); a required one is empty (S002)."""
    text = clean_text(raw)
    return pl.when(~text.str.contains(DATE_PLACEHOLDER)).then(text)


def student_id_digits(sid: pl.Expr) -> pl.Expr:
    """A 学籍号 of digits without the leading zeros Excel drops when it stores one as a number
    (00240000 → 240000, so that both spellings meet); null for a 学籍号 with letters or of zeros
    only. A302 matches on it after the exact 学籍号; R101 compares 学籍 by it."""
    return pl.when(sid.str.contains(r"^0*[1-9]\d*$")).then(sid.str.strip_chars_start("0"))


def within(value: pl.Expr, lo: float | None, hi: float | None) -> pl.Expr:
    """Boolean: `value` lies in the closed range [lo, hi] of a number field's schema (`min`,
    `max`; a missing bound is no bound). Null where `value` is null. Used both to drop an
    out-of-range number before any rule or sum sees it (tables.field_exprs) and to report it
    (S007, schema.py), so the two always agree."""
    inside = pl.lit(True)
    if lo is not None:
        inside = inside & (value >= lo)
    if hi is not None:
        inside = inside & (value <= hi)
    return inside


def yes_no(raw: pl.Expr) -> pl.Expr:
    s = compact(raw).str.to_lowercase()
    return (
        pl.when(s.is_in(TRUE_WORDS)).then(pl.lit(True))
        .when(s.is_in(FALSE_WORDS)).then(pl.lit(False))
        .otherwise(pl.lit(None, dtype=pl.Boolean))
    )


# A name signed or typed into a 学生签字 cell (张三, 阿依古丽·买买提): 2-8 Chinese characters and name
# dots, none of the characters that write "not yet" (未签, 待签, 无, 缺).
_SIGNATURE = r"^[\p{Han}·•・.]{2,8}$"
_NOT_SIGNED = r"[未无否待不没缺空]"


def signature(raw: pl.Expr) -> pl.Expr:
    """True where a 学生签字 cell holds a name (the student signed, or the name was typed), else
    null: a cell yes_no cannot read is a signature when it looks like one (`_SIGNATURE`)."""
    s = compact(raw)
    return pl.when(s.str.contains(_SIGNATURE) & ~s.str.contains(_NOT_SIGNED)).then(pl.lit(True)) \
        .otherwise(pl.lit(None, dtype=pl.Boolean))


def grade_year(raw: pl.Expr) -> pl.Expr:
    """`一年级`, `1`, `二年级` → year of study; `2018级` (a cohort) → null."""
    s = compact(raw).str.replace_many(list(_CN_DIGITS), list(_CN_DIGITS.values()))
    n = s.str.extract(r"^(\d)(年级)?$", 1).cast(pl.Int32, strict=False)
    return n


# ---------------------------------------------------------------- terms
# The forms of a term that are read (schemas/aid.toml says the same to users). A year may be
# written with 4 digits or 2 (24 = 2024), or with 4 Chinese numerals (二〇二四年秋季学期); dashes,
# slashes, 至 and ~ between two years are one.
#   2024秋 2024年秋 2024秋季 2024年秋季学期 2024年度秋季     -> 2024 autumn (春 -> spring)
#   2024年下半年 / 2024年上半年                             -> 2024 autumn / 2024 spring
#   2024-2025学年第一学期 2024/2025学年第1学期 2024-2025学年上学期 2024-2025学年秋季学期
#   2024-2025-1 2024-2025(1) 2024-2025学年(上) 2024-2025学年上  -> 2024 autumn
#   …第二学期 …下学期 …春季学期 …(下) …学年下 2024-2025-2   -> 2025 spring
#   2024学年第一学期 / 2024学年第二学期 (the school year 2024-2025) -> 2024 autumn / 2025 spring
#   a range of months that spans one term: 2024年9月-2025年1月, 2024.9-2025.1 (from July, August or
#   September to December, January or February of the next year) -> 2024 autumn; 2025年3月-2025年7月
#   (from January, February or March to June or July of the same year) -> 2025 spring
#   a term followed by the same term again in brackets: 2024年秋季学期（24秋） -> 2024 autumn
# A school year whose two years are not consecutive (2024-2026) is not read, nor are months
# (2024.09: a month is not a term), a range of months that is not one term (2024年9月-2025年6月),
# 2024年第一学期 (without 学年 it is not clear which year), two terms in one cell (2024秋+2025春) and a
# term with a bracket naming another term (2024年秋季学期（25春）; 2025年春季学期(原2024秋补发): the row
# pays 2024秋 late, so neither term is right to read: as 2025春 it could count a grant twice).
_TERM_DASHES = ["/", "~", "～", "至", "—", "–", "－", "_", "、"]
_TERM_ACAD = (r"^(\d{4}|\d{2})-(\d{4}|\d{2})(?:学年度|学年|年度|年)?-?"
              r"(第?[一二12]学?期|[上下]学?期|[秋春]季?学?期?|[12]|\([12一二上下]\)|[上下]$)")
_TERM_SCHOOL_YEAR = r"^(\d{4}|\d{2})(?:学年度|学年)(第?[一二12]学?期|[上下]学?期|[秋春]季?学?期?)"
_TERM_HALF = r"^(\d{4}|\d{2})年?度?([上下])半年"
_TERM_SEASON = r"^(\d{4}|\d{2})年?度?([春秋])"
_TERM_MONTHS = r"^(\d{4})[年.](\d{1,2})月?-(?:(\d{4})[年.])?(\d{1,2})月?$"
_FIRST_TERM = r"[一1上秋]"
# A year in Chinese numerals at the start (二〇二四年, 二〇二四-二〇二五学年; ○ and 零 for 〇 too).
_CN_YEAR_DIGITS = {"〇": "0", "○": "0", "零": "0", "一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "六": "6",
                   "七": "7", "八": "8", "九": "9"}
_CN_YEAR = "^[" + "".join(_CN_YEAR_DIGITS) + "]{4}(?:年|学年|-)"
# A school year without its term (2024-2025学年, 2024/2025学年度, 24-25学年, 2024学年, 2024-2025学年(全年)):
# a value a school writes on purpose (a year's grant in one row), so no unreadable term (S007),
# but no term either: the rules that need a term do not judge such a row and count it as not
# judged (`SCHOOL_YEAR_ONLY`, engine.unreadable). Its two years must be consecutive.
_TERM_SCHOOL_YEAR_ONLY = (r"^(\d{4}|\d{2})(?:-(\d{4}|\d{2}))?(?:学年度|学年)"
                          r"(?:\(?(?:全年|全学年|整学年)\)?)?$")
# The reason engine.unreadable gives for such rows.
SCHOOL_YEAR_ONLY = "学期只写了学年、没有写哪个学期"
# A note in brackets at the end of a term (2024年秋季学期(24秋)): what comes before it, and the note.
_TERM_NOTE = r"^(.+?)\(([^()]+)\)$"
_TERM_PARTS = ("acad", "sy", "half", "season", "months")


def _year(e: pl.Expr) -> pl.Expr:
    y = e.cast(pl.Int32, strict=False)
    return pl.when(e.str.len_chars() == 2).then(y + 2000).otherwise(y)


def _term_text(raw: pl.Expr) -> pl.Expr:
    s = compact(raw).str.replace_many(_TERM_DASHES, ["-"] * len(_TERM_DASHES)).str.replace_all(r"-+", "-")
    s = s.str.replace_many(["（", "）"], ["(", ")"])
    return pl.when(s.str.contains(_CN_YEAR)).then(
        s.str.replace_many(list(_CN_YEAR_DIGITS), list(_CN_YEAR_DIGITS.values()))).otherwise(s)


# Two terms in one cell (2024年秋季、2025年春季; 2024秋+2025春; 2024年上半年至2024年下半年): a row of
# two terms (a year's amount, perhaps) is no term: not read, rather than read as its first one.
_TERM_ANY = r"(?:\d{4}|\d{2})年?度?(?:[春秋]|[上下]半年)"
# Two seasons or terms of a school year together: 春、秋季(学期), 春秋两季, 春季和秋季, 第一、二学期,
# 上学期和下学期 (each a capture group, for `_title_seasons`; `_term_text` has made 、 a "-").
_SEASON_PAIR = (r"([春秋])\s*(?:季\s*)?(?:学期\s*)?[、,，和及与/&+\-]?\s*([春秋])\s*(?:两|二)?\s*(?:季|学期)"
                r"|第\s*([一二12])\s*(?:学期)?\s*[、,，和及与/&+\-]\s*(?:第\s*)?([一二12])\s*学期"
                r"|([上下])\s*(?:学期)?\s*[、,，和及与/&+\-]\s*([上下])\s*学期")


def _two_terms(s: pl.Expr) -> pl.Expr:
    """Two terms in one cell: two with their years (2024年秋季、2025年春季, 2024秋+2025春), or two
    seasons together after one school year (2024-2025学年秋季、春季, 春秋两季: `_SEASON_PAIR`)."""
    return ((s.str.count_matches(_TERM_ANY) >= 2) | s.str.contains(_SEASON_PAIR)).fill_null(False)


def _term_parts(s: pl.Expr) -> dict[str, pl.Expr]:
    return {"acad": s.str.extract_groups(_TERM_ACAD), "sy": s.str.extract_groups(_TERM_SCHOOL_YEAR),
            "half": s.str.extract_groups(_TERM_HALF), "season": s.str.extract_groups(_TERM_SEASON),
            "months": s.str.extract_groups(_TERM_MONTHS)}


def _term_from_parts(acad: pl.Expr, sy: pl.Expr, half: pl.Expr, season: pl.Expr,
                     months: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(year, season, label) from the five matches of `_term_parts` (structs of groups)."""
    a1, a2, a_sem = _year(acad.struct.field("1")), _year(acad.struct.field("2")), acad.struct.field("3")
    a_first = a_sem.str.contains(_FIRST_TERM)
    a_ok = a_sem.is_not_null() & (a2 == a1 + 1)
    sy_year, sy_sem = _year(sy.struct.field("1")), sy.struct.field("2")
    sy_first = sy_sem.str.contains(_FIRST_TERM)
    half_w, season_w = half.struct.field("2"), season.struct.field("2")
    # a range of months: the term it spans, else none
    m_y1 = months.struct.field("1").cast(pl.Int32, strict=False)
    m_m1 = months.struct.field("2").cast(pl.Int32, strict=False)
    m_y2 = pl.coalesce(months.struct.field("3").cast(pl.Int32, strict=False), m_y1)
    m_m2 = months.struct.field("4").cast(pl.Int32, strict=False)
    m_autumn = m_m1.is_between(7, 9) & (((m_y2 == m_y1) & (m_m2 == 12)) | ((m_y2 == m_y1 + 1) & m_m2.is_between(1, 2)))
    m_spring = m_m1.is_between(1, 3) & (m_y2 == m_y1) & m_m2.is_between(6, 7)
    m_ok = (m_autumn | m_spring).fill_null(False)
    # a school year given but not consecutive (2024-2026学年…): not read at all
    bad_acad = a_sem.is_not_null() & ~a_ok
    year = (
        pl.when(bad_acad).then(None)
        .when(a_ok).then(pl.when(a_first).then(a1).otherwise(a2))
        .when(sy_sem.is_not_null()).then(pl.when(sy_first).then(sy_year).otherwise(sy_year + 1))
        .when(half_w.is_not_null()).then(_year(half.struct.field("1")))
        .when(season_w.is_not_null()).then(_year(season.struct.field("1")))
        .when(m_ok).then(m_y1)
    )
    autumn = (
        pl.when(bad_acad).then(None)
        .when(a_ok).then(a_first)
        .when(sy_sem.is_not_null()).then(sy_first)
        .when(half_w.is_not_null()).then(half_w == "下")
        .when(season_w.is_not_null()).then(season_w == "秋")
        .when(m_ok).then(m_autumn)
    )
    season_txt = pl.when(autumn).then(pl.lit("autumn")).when(~autumn).then(pl.lit("spring"))
    label = pl.when(year.is_not_null() & autumn.is_not_null()).then(
        year.cast(pl.String) + pl.when(autumn).then(pl.lit("秋")).otherwise(pl.lit("春")))
    return year, season_txt, label


def _term_chosen(full: pl.Expr, base: pl.Expr, note: pl.Expr, two_full: pl.Expr, two_base: pl.Expr) -> pl.Expr:
    """The label of a cell from the labels of its whole text (`full`), of the text before a bracket
    at its end (`base`) and of the bracket's content (`note`): a note that is a term must be the
    same term as the text before it (2024年秋季学期(24秋)), else the cell is not read
    (2024年秋季学期(25春)); a cell without such a note is read whole, unless it names two terms."""
    return pl.when(note.is_not_null()).then(pl.when((note == base) & ~two_base).then(base)) \
        .when(~two_full).then(full)


def _term_of_label(label: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(year, season) of a label (2024秋 -> 2024, autumn)."""
    year = label.str.slice(0, 4).cast(pl.Int32, strict=False)
    season = pl.when(label.str.ends_with("秋")).then(pl.lit("autumn")).when(label.is_not_null()).then(pl.lit("spring"))
    return year, season


def term_struct(raw: pl.Expr) -> pl.Expr:
    """A term as schools write it (the forms above) → struct of ``year``, ``season``
    (spring/autumn) and ``label`` (`2018春`); all null when the text is not one of those forms.
    Expression form (a literal, a scan of titles): `add_term_columns` on the batch (as one nested
    expression, the three readings of a cell took seconds to optimise)."""
    def batch(b: pl.Series) -> pl.Series:
        out = add_term_columns(b.cast(pl.String).to_frame("v").lazy(), "v", "t").collect()
        return out.select(pl.struct(year="t_year", season="t_season", label="t")).to_series()

    return raw.map_batches(batch, return_dtype=pl.Struct({"year": pl.Int32, "season": pl.String, "label": pl.String}))


def add_term_columns(lf: pl.LazyFrame, raw_col: str, name: str) -> pl.LazyFrame:
    """The term of a cell in stages (the nested form is slow to optimise): adds ``name__raw``
    (cleaned text), ``name`` (label `2024秋`), ``name_year``, ``name_season`` and
    ``name__school_year`` (the first year of a school year written without its term,
    `_TERM_SCHOOL_YEAR_ONLY`: 2024 for 2024-2025学年; null otherwise, and wherever ``name`` is read)."""
    texts = {"f": "_t_s", "b": "_t_b", "n": "_t_n"}
    parts = {(t, k): f"_t_{t}_{k}" for t in texts for k in _TERM_PARTS}
    lf = lf.with_columns(clean_text(pl.col(raw_col)).alias(f"{name}__raw"), _term_text(pl.col(raw_col)).alias("_t_s"))
    lf = lf.with_columns(pl.col("_t_s").str.extract_groups(_TERM_NOTE).alias("_t_note"))
    lf = lf.with_columns(pl.col("_t_note").struct.field("1").alias("_t_b"), pl.col("_t_note").struct.field("2").alias("_t_n"))
    lf = lf.with_columns(*[e.alias(parts[(t, k)]) for t, c in texts.items() for k, e in _term_parts(pl.col(c)).items()])
    lf = lf.with_columns(*[_term_from_parts(**{k: pl.col(parts[(t, k)]) for k in _TERM_PARTS})[2].alias(f"_t_{t}_label")
                           for t in texts])
    lf = lf.with_columns(_term_chosen(pl.col("_t_f_label"), pl.col("_t_b_label"), pl.col("_t_n_label"),
                                      _two_terms(pl.col("_t_s")), _two_terms(pl.col("_t_b"))).alias(name))
    year, season = _term_of_label(pl.col(name))
    sy = pl.col("_t_s").str.extract_groups(_TERM_SCHOOL_YEAR_ONLY)
    sy1, sy2 = _year(sy.struct.field("1")), _year(sy.struct.field("2"))
    school_year = pl.when(pl.col(name).is_null() & sy1.is_not_null() & (sy2.is_null() | (sy2 == sy1 + 1))).then(sy1)
    lf = lf.with_columns(year.alias(f"{name}_year"), season.alias(f"{name}_season"),
                         school_year.cast(pl.Int32).alias(f"{name}__school_year"))
    return lf.drop("_t_s", "_t_note", "_t_b", "_t_n", *parts.values(), *[f"_t_{t}_label" for t in texts])


# ---------------------------------------------------------------- the term a title names
# A term cell that names only the season or which term of the school year, not the year: 秋季学期,
# 秋季, 秋, 春季学期, 第一学期, 第2学期, 上学期, 下学期. Read only with the one term (or school year) the
# table's title names (`title_term`, `term_from_title`).
_SEASON_ONLY = r"^(?:([春秋])季?(?:学期)?|第([一二12])学?期|([上下])学?期)$"
# Where a term may start in a title: a digit that does not continue a number, a range of years or 第.
_TITLE_TERM_START = re.compile(r"(?<![0-9\-/~～至—–－第])[0-9]")
# A school year named in a title without its term (2024-2025学年国家助学金…; not 2024-2025学年第一学期).
_TITLE_SCHOOL_YEAR = re.compile(r"(?<![0-9])([0-9]{4})\s*[-/~～至—–－]\s*([0-9]{4})\s*学年(?!度?\s*(?:第|[上下春秋]))")


# The terms a title mentions, by season, whether or not a year is written with each: 秋季, 春学期,
# 上学期, 第二学期, and the second of an enumeration (春、秋季学期, 春秋两季, 第一、二学期, 上、下学期).
_TITLE_SEASONS = re.compile(
    _SEASON_PAIR +
    # one term: 秋季学期, 第二学期 (not 秋季入学, 春季高考班, 第二期: those are no terms; 2024年下学期
    # alone is the autumn of a calendar year or the spring of a school year: the parser decides)
    r"|([春秋])\s*(?:季\s*)?学期"
    r"|第\s*([一二12])\s*学期")
_AUTUMN_WORDS = frozenset("秋上一1")


def _title_seasons(text: str) -> set[str]:
    """The seasons (秋, 春) of the terms `text` mentions (`_TITLE_SEASONS`)."""
    words = {w for m in _TITLE_SEASONS.finditer(text) for w in m.groups() if w}
    return {"秋" if w in _AUTUMN_WORDS else "春" for w in words}


@cache
def _title_part_term(part: str) -> str | None:
    """The term label of one place of a title (from a digit up to the next: the school's name, before
    it, is not in it, so a province's titles share their parts and each is parsed once)."""
    return pl.select(term_struct(pl.lit(part, pl.String)).struct.field("label")).item()


def title_terms(text: str) -> tuple[set[str], set[int]]:
    """Every term a title (or file name) names, as labels (2024秋, 2025春), each place a term may
    start read up to the next one, so 2024年秋季及2025年春季 names two terms (the whole text read as
    one cell gave only the last); and the school years it names without a term (2024 for
    2024-2025学年国家助学金…, none for 2024-2025学年第一学期). Read by the same parser as the term cells.
    A title mentioning a term the labels do not hold (2024年春、秋季学期 reads as 2024春 only;
    2024-2025学年第一学期、第二学期 as 2024秋 only) names no term: nothing is guessed."""
    text = unicodedata.normalize("NFKC", text)
    starts = [m.start() for m in _TITLE_TERM_START.finditer(text)]
    parts = [text[i:j] for i, j in zip(starts, [*starts[1:], len(text)], strict=False)]
    labels = {label for label in map(_title_part_term, parts) if label is not None}
    if not _title_seasons(text) <= {label[4:] for label in labels}:
        labels = set()
    years = {int(a) for a, b in _TITLE_SCHOOL_YEAR.findall(text) if int(b) == int(a) + 1}
    return labels, years


@cache
def _title_term(text: str) -> tuple[str | None, int | None]:
    labels, years = title_terms(text)
    if labels:
        return (next(iter(labels)) if len(labels) == 1 else None), None
    return None, (next(iter(years)) if len(years) == 1 else None)


def title_term(lines: list[str] | tuple[str, ...]) -> tuple[str | None, int | None]:
    """The one term a table's title lines name, as a label (2024秋 for 2024年秋季学期国家助学金发放名单),
    else None; and when they name no term, the one school year they name (2024 for
    2024-2025学年国家助学金发放名单), else None. A title naming two terms (2024年秋季及2025年春季) or two
    school years names none: nothing is guessed. Read by the same parser as the term cells."""
    return _title_term(" ".join(lines))


def term_from_title(raw: pl.Expr, label: str | None, school_year: int | None) -> pl.Expr:
    """A term cell (raw) that names only the season or which term (`_SEASON_ONLY`: 秋季学期, 秋,
    第一学期, 上学期) written as the term of the title (`title_term`): with a title term, the cell
    must name its season (秋季学期 under 2024年秋季学期: 2024秋; 春季学期 there stays as written, S007);
    with a title school year Y, 秋/第一/上 is Y秋 and 春/第二/下 is (Y+1)春. Any other cell as written."""
    if label is None and school_year is None:
        return raw
    return term_from_title_columns(raw, pl.lit(label, pl.String), pl.lit(school_year, pl.Int32))


def term_from_title_columns(raw: pl.Expr, label: pl.Expr, school_year: pl.Expr) -> pl.Expr:
    """`term_from_title` with the title's term label and school year as columns (null: none), so a
    stack of many tables, each with its own title, is one expression (one per table made the
    plan of a province's 2,500 aid tables grow until normalising took minutes)."""
    m = _term_text(raw).str.extract_groups(_SEASON_ONLY)
    autumn = pl.coalesce(m.struct.field("1") == "秋", m.struct.field("2").is_in(["一", "1"]),
                         m.struct.field("3") == "上")
    by_year = label.is_null() & school_year.is_not_null()
    return (pl.when(label.is_not_null() & (autumn == label.str.ends_with("秋"))).then(label)
            .when(by_year & autumn).then(school_year.cast(pl.String) + "秋")
            .when(by_year & ~autumn).then((school_year + 1).cast(pl.String) + "春")
            .otherwise(raw.cast(pl.String)))


def term_words(label: str) -> str:
    """A term label in words: 2024秋 -> 2024年秋季学期."""
    return f"{label[:4]}年{label[4:]}季学期"


def school_year_words(first_year: pl.Expr) -> pl.Expr:
    """The school year starting in `first_year` (``term__school_year``) in words: 2024-2025学年."""
    y = first_year.cast(pl.Int32)
    return pl.concat_str([y.cast(pl.String), pl.lit("-"), (y + 1).cast(pl.String), pl.lit("学年")])


# ---------------------------------------------------------------- enums
def enum_value(raw: pl.Expr, values: tuple[str, ...], synonyms: dict[str, str],
               patterns: tuple[tuple[str, str], ...] = ()) -> pl.Expr:
    """Map synonyms to canonical values, then a value that is still not canonical by the first of
    `patterns` (regex, value) it contains (发现金 → 现金); values outside stay as written (S007
    catches them)."""
    s = compact(raw)
    mapping = {k.replace(" ", ""): v for k, v in synonyms.items()}
    # Upper-case keys too, so `m`/`f` and full-width variants meet their synonym.
    mapping.update({k.upper(): v for k, v in mapping.items()})
    out = s.replace(mapping)
    if not patterns:
        return out
    chain = pl.when(out.is_in(list(values))).then(out)
    for pattern, value in patterns:
        chain = chain.when(out.str.contains(pattern)).then(pl.lit(value))
    return chain.otherwise(out)


# ---------------------------------------------------------------- names
# The separator dot of minority and foreign names as people type it: middle dot U+00B7, bullet
# U+2022, hyphenation point U+2027, bullet operator U+2219, dot operator U+22C5, one dot leader
# U+2024, katakana middle dot U+30FB and its half-width U+FF65, full-width full stop U+FF0E, the
# full stop itself, Greek ano teleia U+0387, word separator middle dot U+2E31, sinological dot
# U+A78F, small full stop U+FE52; dashes and hyphens (Unicode Pd) and apostrophes are dropped
# with them (passports drop them too: O'NEIL → ONEIL), and so are `=` and `"` (Excel's ="…").
NAME_SEPARATORS = r"[\s\p{Pd}·•‧∙⋅․・･．.·⸱ꞏ﹒'’‘`=\"]"
# Variation selectors (a CJK character with an IVS is the same character for matching).
_VARIATION = r"\x{FE00}-\x{FE0F}\x{E0100}-\x{E01EF}"
_NAME_DROP = NAME_SEPARATORS[:-1] + INVISIBLE[1:-1] + _VARIATION + "]"
# What a character lost in a GBK save becomes: `?` (Excel/WPS "ANSI" save), `？`, U+FFFD (bytes
# that were not UTF-8).
NAME_DAMAGE = r"[?？\x{FFFD}]"


def name_display(raw: pl.Expr, **flags: bool) -> pl.Expr:
    """A name for every output: as typed (Latin names keep their spaces, letters keep their
    width), without invisible characters, Excel wrappers or spaces at either end; null when
    empty."""
    return _null_if_empty(tidy(raw, to_halfwidth=False, **flags))


# What `_NAME_DROP` removes from text of printable ASCII and CJK ideographs only.
_NAME_DROP_ASCII = [" ", ".", "-", "'", "`", '"', "="]


# A note in brackets after a name (张三（代领）, 李四(曾用名李思), 孙七【休学】): no name holds brackets,
# so it is a remark on the name, not part of it (after NFKC, full-width brackets are ASCII).
NAME_NOTE = r"\s*[(\[【][^()\[\]【】]*[)\]】]\s*$"


def name_key(raw: pl.Expr, *, special: bool = True, wrapped: bool = True) -> pl.Expr:
    """The canonical form of a name for matching (S008, R102, P403), never shown: NFKC (full-width
    letters and digits, compatibility ideographs), upper case, without invisible characters,
    spaces, separator dots, hyphens and apostrophes, so `阿卜杜拉·艾力`, `阿卜杜拉•艾力`,
    `阿卜杜拉.艾力`, `阿卜杜拉艾力` and `Kim Min-jun`, `KIM MINJUN`, `ＫＩＭ　ＭＩＮＪＵＮ` are one
    name each; a note in brackets after the name (`NAME_NOTE`: 张三（代领）) is dropped. Works on raw
    cells and on `name_display` output alike; null when nothing is left.
    ``special`` False (`text_flags`: only printable ASCII and CJK ideographs) takes a cheaper road
    to the same result; ``wrapped`` is not needed (= and quotes are dropped anyway)."""
    s = raw.cast(pl.String)
    if special:
        s = s.str.normalize("NFKC").str.replace(NAME_NOTE, "").str.replace_all(_NAME_DROP, "")
    else:
        s = s.str.replace(NAME_NOTE, "").str.replace_many(_NAME_DROP_ASCII, [""] * len(_NAME_DROP_ASCII))
    return _null_if_empty(s.str.to_uppercase())


def name_damaged(name: pl.Expr) -> pl.Expr:
    """True where a name holds `?`, `？` or U+FFFD: characters lost when the file was saved as
    GBK/ANSI (a name never holds them). Such a name is encoding damage, not another person."""
    return name.str.contains(NAME_DAMAGE).fill_null(False)


def name_pattern(key: pl.Expr) -> pl.Expr:
    """A damaged name key as an anchored regex: each `?`/`？` one lost character, a run of U+FFFD
    one or more (a character of several bytes may become several U+FFFD)."""
    esc = key.str.replace_all(r"([\\.+*^$()\[\]{}|])", r"\$1")
    return "^" + esc.str.replace_all(r"\x{FFFD}+", ".+").str.replace_all(r"[?？]", ".") + "$"


def id_struct(raw: pl.Expr, as_of: dt.date) -> pl.Expr:
    """Expression form for scanning arbitrary cells (e.g. P402): struct of ``id`` and
    ``status`` ("ok" or "invalid"). Flat on purpose: a nested form is slow to optimise.
    Tables use `add_id_columns`, which also tells why an ID is invalid."""
    s = compact(raw).str.to_uppercase()
    is15 = s.str.contains(r"^\d{15}$")
    is18 = s.str.contains(r"^\d{17}[\dX]$")
    b18 = s.str.slice(6, 8).str.to_date("%Y%m%d", strict=False)
    b15 = ("19" + s.str.slice(6, 6)).str.to_date("%Y%m%d", strict=False)
    ok18 = is18 & (s.str.slice(17, 1) == check_digit(s.str.slice(0, 17))) & b18.is_between(dt.date(1900, 1, 1), as_of)
    ok15 = is15 & b15.is_not_null()
    body15 = s.str.slice(0, 6) + "19" + s.str.slice(6, 9)
    ok = ok18 | ok15
    return pl.struct(
        id=pl.when(ok18).then(s).when(ok15).then(body15 + check_digit(body15)),
        status=pl.when(ok).then(pl.lit("ok")).otherwise(pl.lit("invalid")),
    )


# ---------------------------------------------------------------- GB/T 2260 area codes
# Codes in force that python-stdnum's table (2.2) lacks: 杭州 divided 余杭区 and merged 江干区 in
# April 2021 (国函〔2021〕25号); the table has the two abolished districts' end but not the two new
# ones. A student registered there would be told that no person can hold the number.
AREA_CODES_ADDED = {"330113": "临平区", "330114": "钱塘区"}


@cache
def _gb2260() -> tuple[frozenset[str], tuple[str, ...], tuple[str, ...]]:
    """(every 6-digit code, province names, prefecture names) of GB/T 2260 in every version since
    1980, from python-stdnum's `cn/loc` table (the data behind `stdnum.cn.ric.get_birth_place`,
    compiled from the Wikipedia lists of 中华人民共和国行政区划代码 with the years each code was
    in force). Read once per process."""
    from stdnum import numdb

    codes: set[str] = set()
    provinces: set[str] = set()
    prefectures: set[str] = set()
    for length, low, high, props, children in numdb.get("cn/loc").prefixes:
        if "province" in props:
            provinces.add(props["province"])
        for p in range(int(low), int(high) + 1):
            head = f"{p:0{length}d}"
            for c_len, c_low, c_high, c_props, _ in children:
                for c in range(int(c_low), int(c_high) + 1):
                    tail = f"{c:0{c_len}d}"
                    codes.add(head + tail)
                    if tail.endswith("00") and tail != "0000":  # prefecture level (地级)
                        for name in c_props.get("county", "").split(","):
                            name = re.sub(r"^\[[^\]]*\]", "", name)
                            if name and name != "市辖区":
                                prefectures.add(name)
    return frozenset(codes | set(AREA_CODES_ADDED)), tuple(sorted(provinces)), tuple(sorted(prefectures))


def area_code_assigned(id18: pl.Expr) -> pl.Expr:
    """True where the first 6 characters of an ID number are a code of GB/T 2260 in any version
    since 1980 (`_gb2260`): a code abolished since (110103 崇文区, until 2010) still counts, since a
    number once issued keeps it. Null for null input."""
    return id18.str.slice(0, 6).is_in(sorted(_gb2260()[0]))


# ---------------------------------------------------------------- bank / aid card numbers
# A bank card number (JR/T 0008《银行卡发卡行标识代码及卡号》, after ISO/IEC 7812): 13-19 digits,
# the last a Luhn check digit; UnionPay debit cards, which 中职资助卡 are, have 16-19. Written with
# spaces or dashes in groups, full-width digits, invisible characters or Excel's ="…".
_CARD_SEPARATORS = r"[\s\-_－—–]"
CARD_MIN_DIGITS, CARD_MAX_DIGITS = 12, 25  # passbook account numbers (存折) run longer than cards


def card_text(raw: pl.Expr) -> pl.Expr:
    """A card cell as its characters: `tidy`, upper case, without spaces and dashes (null when empty)."""
    return _null_if_empty(tidy(raw).str.to_uppercase().str.replace_all(_CARD_SEPARATORS, ""))


def luhn_ok(digits: pl.Expr) -> pl.Expr:
    """The Luhn (ISO/IEC 7812-1) check of a string of up to 36 digits: the digits from the right,
    every second one doubled (less 9 above 9), sum to a multiple of 10. Integer arithmetic on the
    number as two UInt64 halves of 18 digits (36 string slices per row were 30 times slower)."""
    n = digits.str.len_chars()
    low = digits.str.slice(-18, 18).cast(pl.UInt64, strict=False)
    high = pl.when(n > 18).then(digits.str.slice(0, pl.max_horizontal(n - 18, 0))).otherwise(pl.lit("0")) \
        .cast(pl.UInt64, strict=False)
    parts = []
    for half, offset in ((low, 0), (high, 18)):
        for i in range(18):
            d = (half // 10 ** i) % 10
            parts.append(d if (i + offset) % 2 == 0 else pl.when(d > 4).then(d * 2 - 9).otherwise(d * 2))
    return pl.sum_horizontal(parts) % 10 == 0


def _same_digit(d: pl.Expr) -> pl.Expr:
    """True where a non-empty digit string is one digit repeated (0000, 66666666)."""
    return (d.str.len_chars() > 0) & (d.str.strip_chars(d.str.slice(0, 1)) == "")


def _cut_columns(df: pl.DataFrame, v: str) -> pl.DataFrame:
    """Columns of the card cells `v`: _d (digits, spaces and dashes gone), _sci (scientific
    notation), _n, _placeholder, _cut (Excel's mark: what is left of a number of 16-25 digits
    after Excel kept 15 significant ones) and _mark (_cut on 16-19 digits, a card's length)."""
    df = df.with_columns(_s=compact(pl.col(v)).str.to_uppercase())
    df = df.with_columns(_d=pl.col("_s").str.replace_all(_CARD_SEPARATORS, ""),
                         _sci=pl.col("_s").str.contains(r"^\d+(\.\d+)?E\+?\d+$|^\d{12,}\.\d+$"))
    d = pl.col("_d")
    df = df.with_columns(_n=d.str.len_chars(), _zeros=d.str.len_chars() - d.str.strip_chars_end("0").str.len_chars(),
                         _via_float=d.cast(pl.Float64, strict=False).cast(pl.UInt64, strict=False).cast(pl.String),
                         _placeholder=_same_digit(d) | _same_digit(d.str.slice(6)))
    n = pl.col("_n")
    df = df.with_columns(_cut=(d.str.contains(rf"^\d{{16,{CARD_MAX_DIGITS}}}$") & ~pl.col("_placeholder") & (
        (pl.col("_zeros") >= n - 15) | ((n >= 17) & (n <= 19) & (pl.col("_via_float") == d)))).fill_null(False))
    return df.with_columns(_mark=pl.col("_cut") & (n <= 19))


def _card_damage_frame(df: pl.DataFrame) -> pl.Series:
    """`card_damaged` on a frame of the raw cells (`v`), their table (`t`) and, when given, the
    student each row is about (`p`), in stages, each materialised once (as one nested expression
    the digits were recomputed for every use)."""
    df = _cut_columns(df, "v")
    # the Luhn check only where it decides (values bearing the mark, a few in a sound column):
    # over a whole column of 1M cards its 36 digit operations took 1.2 s
    marked = df.get_column("_mark").arg_true()
    luhn = pl.repeat(True, df.height, eager=True).scatter(
        marked, df.get_column("_d").gather(marked).to_frame("_d").select(luhn_ok(pl.col("_d"))).to_series())
    df = df.with_columns(_evidence=(pl.col("_sci") | (pl.col("_mark") & ~luhn)).fill_null(False))
    shared = pl.lit(False)
    if "p" in df.columns:  # one cut value, several students (document keys; 学籍号 keys only when none)
        shared = card_shared_cut(pl.col("_cut"), pl.col("_d"), pl.col("p"))
    return df.select((pl.col("_evidence") | (pl.col("_mark") & pl.col("_evidence").any().over("t")) | shared)
                     .fill_null(False)).to_series()


def card_damaged(raw: pl.Expr, table: str | None = "_tid", person: str | None = "_key") -> pl.Expr:
    """True where a card number went through Excel as a number, so that only 15 significant
    digits are left (S004): scientific notation (`6.21700E+18`), or 16-19 digits that bear Excel's
    mark and fail the Luhn check. Excel's mark: at least n-15 trailing zeros (what Excel writes
    out for a number of n digits), or, for 17-19 digits, a value a float64 gives back unchanged
    (what a reader prints for a number cell: 6217001234567890944). A true card number passes
    Luhn, so a Luhn failure is the evidence; once a table (``table`` column; None: each value on
    its own) holds one damaged card, every value there with the mark is damaged too (the column
    was a number column, and a damaged value passes Luhn by chance one time in ten).
    A value of 16-25 digits with the mark (`card_cut`) that several students share is damaged
    too, those rows only: Excel turns a school's consecutive cards into one number, so the shared
    value is no evidence of one card serving several students (A311 must not accuse on it).
    Students are told apart by ``person`` (the student key `_key` of a combined frame: distinct
    document keys, 学籍号 keys only when no row of the value has a document); a frame without
    that column, or None, skips this. Placeholders (6217000000000000) are typed, not damaged.
    Computed in stages over the whole column (`map_batches`), vectorised."""
    t = pl.col(table) if table is not None else pl.int_range(pl.len())
    fields = [raw.cast(pl.String).alias("v"), t.alias("t")]
    if person is not None:  # the column when the frame has it (a regex selector selects none otherwise)
        fields.append(pl.col(f"^{re.escape(person)}$").cast(pl.String).name.map(lambda _: "p"))
    return pl.struct(fields).map_batches(lambda b: _card_damage_frame(b.struct.unnest()), return_dtype=pl.Boolean)


def card_cut(raw: pl.Expr) -> pl.Expr:
    """True where a card cell bears Excel's mark (see `card_damaged`): 16-25 digits whose digits
    after the 15th are all 0, or 17-19 digits a float64 gives back unchanged; not a placeholder.
    A genuine card bears it one time in ten (its check digit is 0), so the mark alone is no
    damage; it is what makes a value several students share no evidence of one card."""
    return raw.cast(pl.String).map_batches(
        lambda b: _cut_columns(b.to_frame("v"), "v").get_column("_cut"), return_dtype=pl.Boolean)


def card_mark(raw: pl.Expr) -> pl.Expr:
    """True where a card cell bears Excel's mark on a card's length (16-19 digits; `card_cut` on
    those): what `card_damaged` counts as damaged once its table holds one damaged card."""
    return raw.cast(pl.String).map_batches(
        lambda b: _cut_columns(b.to_frame("v"), "v").get_column("_mark"), return_dtype=pl.Boolean)


def card_shared_cut(cut: pl.Expr, key: pl.Expr, person: pl.Expr) -> pl.Expr:
    """True where a card value bearing Excel's mark (`cut`, from `card_cut`) is shared by several
    students: the part of `card_damaged` that needs the whole run's rows, for frames whose
    per-table damage was computed when they were stored. `key`: the card key (`card_key`);
    `person`: the student key (`_key`: document keys, 学籍号 keys `SID:` only when no row of the
    value has a document). Rows with a null key or person count for nothing."""
    doc = person.filter(person.is_not_null() & ~person.str.starts_with("SID:")).n_unique().over(key)
    sid = person.filter(person.str.starts_with("SID:")).n_unique().over(key)
    return (cut & key.is_not_null() & (pl.when(doc > 0).then(doc).otherwise(sid) > 1)).fill_null(False)


def card_damage_of(field: str, columns) -> pl.Expr:
    """`card_damaged` of card-number field `field` in a frame with `columns`: from the columns
    computed when the table was normalised (`f__damaged` per table, plus `card_shared_cut` over
    the run's rows when `f__cut`, `f__key` and `_key` are there), else computed here."""
    cols = set(columns)
    if f"{field}__damaged" not in cols:
        return card_damaged(pl.col(field))
    bad = pl.col(f"{field}__damaged")
    if {f"{field}__cut", f"{field}__key", "_key"} <= cols:
        bad = bad | card_shared_cut(pl.col(f"{field}__cut"), pl.col(f"{field}__key"), pl.col("_key"))
    return bad.fill_null(False)


def card_key(raw: pl.Expr) -> pl.Expr:
    """The card number to compare (digits only), or null when the cell holds no card number:
    empty, not 12-25 digits once spaces and dashes are gone (`无`, `待办`, `/`), or a placeholder
    (one digit repeated, or a 6-digit bank prefix followed by one digit repeated: 6217000000000000).
    Damage (`card_damaged`) is a separate question: a damaged value still has a key here."""
    d = card_text(raw)
    tail = d.str.slice(6)
    placeholder = _same_digit(d) | _same_digit(tail)
    ok = d.str.contains(rf"^\d{{{CARD_MIN_DIGITS},{CARD_MAX_DIGITS}}}$") & ~placeholder
    return pl.when(ok).then(d)


# ---------------------------------------------------------------- phone numbers
# One cell may hold several numbers (父 138…、母 139…; 138…/139…), each written with spaces or
# dashes in groups, a +86/0086 prefix, an area code in brackets: (0371)6xxxxxxx, 0371-6xxxxxxx.
_PHONE_PREFIX = r"(?:\+|00)\s*86[\s\-]*"
_PHONE_NUMBER = (r"(?:^|[^\d])("
                 r"1[3-9]\d[\s\-]{0,2}\d{4}[\s\-]{0,2}\d{4}"            # mobile, 3-4-4 grouping allowed
                 r"|[(（]{0,2}0\d{2,3}[)）]{0,2}[\s\-]{0,2}[2-9]\d{6,7}"  # landline with its area code
                 r"|[2-9]\d{6,7}"                                        # local landline
                 r")(?:[^\d]|$)")
# Numbers that stand for "no number": one digit repeated, a mobile whose 8 subscriber digits are one
# digit repeated (13800000000, 13888888888), a run of consecutive digits (12345678).
_ASCENDING = "01234567890123456789"
_DESCENDING = "98765432109876543210"


def phone_numbers(raw: pl.Expr) -> pl.Expr:
    """Every phone number of a cell as digits (list[str], empty when none): mobiles as 11 digits
    without +86/0086, landlines with their area code as 0xxx + number, local landlines as written.
    Placeholders are left out (see above)."""
    s = tidy(raw).str.replace_all(_PHONE_PREFIX, " ").str.replace(r"^86[\s\-]?(1[3-9]\d)", "$1")
    # every other character twice, so that two numbers sharing one separator both match
    s = s.str.replace_all(r"([^\d])", "$1$1")
    found = s.str.extract_all(_PHONE_NUMBER).list.eval(pl.element().str.replace_all(r"[^\d]", ""))
    return found.list.eval(pl.element().filter(
        ~_same_digit(pl.element())
        & ~(pl.element().str.contains(r"^1\d{10}$") & _same_digit(pl.element().str.slice(3)))
        & ~pl.lit(_ASCENDING).str.contains(pl.element(), literal=True)
        & ~pl.lit(_DESCENDING).str.contains(pl.element(), literal=True)
    ).unique(maintain_order=True))


def phone_is_local(number: pl.Expr) -> pl.Expr:
    """A landline number without its area code (7-8 digits): the same digits in two cities are two
    numbers, so it is compared within one school only."""
    return number.str.len_chars() <= 8


# ---------------------------------------------------------------- home addresses
# Words that make an address the school's own or a collective one (boarders' dormitories, the
# school's 集体户口 where students move their household registration) or a home that raises
# children (儿童福利院, SOS儿童村, 未成年人救助保护中心): shared by many students by nature, so not compared.
ADDRESS_COLLECTIVE = r"学校|学院|技校|技工|中专|职校|职专|校区|宿舍|集体户|福利院|儿童村|孤儿院|救助|福利中心|养育院|(?i:sos)"
# A house or room number: an address without one (only a village or street) is shared by many
# families and says nothing about who lives together.
_ADDRESS_HOUSE = r"\d+\s*(号|室|栋|单元|#|房)|\d+\s*[-－—]\s*\d+"
_CN_ONE_TO_NINE = "一二三四五六七八九"
_ADDRESS_MARKS = ["单元", "栋", "幢", "号楼", "楼", "号", "组"]
_ADDRESS_CN_FROM = [c + m for c in _CN_ONE_TO_NINE for m in _ADDRESS_MARKS]
_ADDRESS_CN_TO = [str(i + 1) + m for i in range(9) for m in _ADDRESS_MARKS]
_ADDRESS_DROP = r"[\s,，.。、:：;；'\"“”‘’()（）\[\]【】<>《》·]"


# What may follow a province or city name written without its suffix, when the name is a place
# and not the start of a street named after it (山西路, 南京路, 北京大街) or of a district that
# shares it (朝阳区 of Beijing, 朝阳市 of Liaoning).
_NOT_AFTER_SHORT_NAME = "路街道巷弄里胡区县市旗盟州"
# What may not follow a district's name: a street named after it (城区路).
_NOT_AFTER_DISTRICT = "路街道巷弄里胡"
# The four municipalities are provinces and prefectures at once: kept as the city of an address.
_MUNICIPALITIES = ("北京市", "天津市", "上海市", "重庆市")


@cache
def _gb2260_districts() -> frozenset[str]:
    """Names of urban districts (市辖区, a county-level name ending in 区) in every version of
    GB/T 2260 since 1980, from python-stdnum's `cn/loc` table (see `_gb2260`)."""
    from stdnum import numdb

    out: set[str] = set()
    for _length, _low, _high, _props, children in numdb.get("cn/loc").prefixes:
        for c_len, c_low, c_high, c_props, _ in children:
            if all(f"{c:0{c_len}d}".endswith("00") for c in range(int(c_low), int(c_high) + 1)):
                continue
            for name in c_props.get("county", "").split(","):
                name = re.sub(r"^\[[^\]]*\]", "", name)
                if name.endswith("区") and name != "市辖区":
                    out.add(name)
    return frozenset(out)


@cache
def _address_prefixes() -> tuple[str, str, str, str]:
    """Regexes for the start of an address, from `_gb2260` names: the province (with or
    without its suffix: 河南省, 河南; not the four municipalities); the prefecture (郑州市 as
    group 1, or 郑州 as group 2 and the character after it as group 3, put back); a full
    prefecture name alone (海南藏族自治州 is no 海南省); an urban district (金水区, group 1, and the
    character after it, group 2; 市辖区 before it dropped). A name without its suffix counts only
    when the next character is not one of _NOT_AFTER_SHORT_NAME; a district's only when the next
    is not one of _NOT_AFTER_DISTRICT. Generic names (县, 城区, 郊区, 省直辖…) are left out."""
    _codes, provinces, prefectures = _gb2260()
    prov_full, prov_short = set(), set()
    for p in provinces:
        p = unicodedata.normalize("NFKC", p).replace("特別行政區", "特别行政区")
        if p in _MUNICIPALITIES:
            continue
        prov_full.add(p)
        short = re.sub(r"(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)$", "", p)
        if 2 <= len(short) < len(p):
            prov_short.add(short)
    pref_full = {c for c in prefectures if len(c) >= 2 and c not in ("县", "市", "林区") and "直辖" not in c
                 and not c.endswith("行政区")} | set(_MUNICIPALITIES)
    pref_short = {c[:-1] for c in pref_full if c.endswith("市") and len(c) >= 3}
    districts = {d for d in _gb2260_districts() if len(d) >= 3}

    def alt(xs: set[str]) -> str:
        return "|".join(sorted((re.escape(x) for x in xs), key=len, reverse=True))

    nxt = f"([^{_NOT_AFTER_SHORT_NAME}])"
    return (rf"^(?:中华人民共和国|中国)?(?:{alt(prov_full)}|(?:{alt(prov_short)}){nxt})?",
            rf"^(?:({alt(pref_full)})|({alt(pref_short)}){nxt})",
            rf"^(?:{alt(pref_full)})",
            rf"^(?:市辖区)?(?:({alt(districts)})([^{_NOT_AFTER_DISTRICT}]))?")


_ADDRESS_PARTS = pl.Struct({"prefecture": pl.String, "district": pl.String, "rest": pl.String})


def _address_frame(df: pl.DataFrame) -> pl.Series:
    """`address_parts` on a frame of raw cells (`v`), in stages, each materialised once."""
    df = df.with_columns(_s=tidy(pl.col("v")).str.replace_all(_ADDRESS_DROP, ""))
    df = df.with_columns(_s=pl.col("_s").str.replace_many(_ADDRESS_CN_FROM, _ADDRESS_CN_TO).str.replace_many(
        ["号楼", "幢", "#", "＃", "房"], ["栋", "栋", "号", "号", "室"]))
    df = df.with_columns(_use=pl.col("_s").str.contains(_ADDRESS_HOUSE) & ~pl.col("_s").str.contains(ADDRESS_COLLECTIVE))
    province, prefecture, prefecture_name, district = _address_prefixes()
    s = pl.col("_s")
    df = df.with_columns(_s=pl.when(pl.col("_use") & s.str.contains(prefecture_name)).then(s)
                         .when(pl.col("_use")).then(s.str.replace(province, "$1")))
    df = df.with_columns(_p=pl.coalesce(s.str.extract(prefecture, 1), s.str.extract(prefecture, 2) + "市"),
                         _s=s.str.replace(prefecture, "$3"))
    df = df.with_columns(_d=s.str.extract(district, 1), _s=s.str.replace(district, "$2"))
    df = df.with_columns(_s=s.str.replace_all(r"(\d)\s*(?:单元|栋|号|室|楼|层|[-－—])\s*", "$1-")
                         .str.replace_all(r"-+", "-").str.strip_chars_end("-"))
    usable = (pl.col("_d").fill_null("") + s).str.len_chars() >= 6
    return df.select(pl.when(usable).then(pl.struct(prefecture="_p", district="_d", rest="_s"))).to_series()


def address_parts(raw: pl.Expr) -> pl.Expr:
    """A home address as a struct (prefecture, district, rest) to compare, or null when it says
    nothing about one household: empty or short (fewer than 6 characters left: 无, 不详, 同上),
    without a house or room number, or the school's or a collective address (ADDRESS_COLLECTIVE).
    The province is dropped (河南省郑州市… = 河南郑州… = 郑州市…); the prefecture is kept, as its
    full name (郑州 → 郑州市; a municipality is one: 北京市), null when the address names none; an
    urban district (GB/T 2260 names ending in 区) right after it is set apart, null when none (a
    county or county-level city stays in the rest: it is another town). The rest is compared
    without spaces and punctuation, with 号楼/幢 as 栋, # as 号, 房 as 室, 三单元 as 3单元, and
    12号3栋2单元501室 = 12#3-2-501 = 12-3-2-501. Which parts may be missing and still match is
    R110's business (rules/registration.py). Computed in stages over the whole column."""
    return raw.cast(pl.String).map_batches(lambda b: _address_frame(b.to_frame("v")), return_dtype=_ADDRESS_PARTS)


def address_key(raw: pl.Expr) -> pl.Expr:
    """`address_parts` as one string, prefecture|district|rest (a missing part empty): equal keys
    are one address written two ways; different cities never share one. Null when the address
    says nothing about one household."""
    def key(b: pl.Series) -> pl.Series:
        p = _address_frame(b.to_frame("v")).struct.unnest()
        return p.select(pl.concat_str([pl.col("prefecture").fill_null(""), pl.col("district").fill_null(""),
                                       pl.col("rest")], separator="|")).to_series()

    return raw.cast(pl.String).map_batches(key, return_dtype=pl.String)


# ---------------------------------------------------------------- photos
# 学籍照片 cells that mean "no photo"; any other value (是, 已采集, a file name D2024001.jpg) is a photo.
PHOTO_MISSING_WORDS = [*FALSE_WORDS, "未采集", "待采集", "未拍", "未拍照", "无照片", "没有", "缺", "缺照片", "暂无", "/",
                       "-", "--", "—"]


# A photo cell that says it is missing in more words: 照片未上传, 待上传, 缺失, 未上传照片, 无照片.
# (not 未 or 待 alone: 张未来.jpg is a photo)
PHOTO_MISSING_TEXT = r"未(?:上传|采集|拍|提交|照)|待(?:上传|采集|拍|补)|缺失|缺照|没有|^无"


def photo_missing(raw: pl.Expr) -> pl.Expr:
    """True where a photo cell is empty or says there is no photo (PHOTO_MISSING_WORDS, or
    PHOTO_MISSING_TEXT anywhere in it: 照片未上传, 待上传)."""
    s = compact(raw).str.to_lowercase()
    return s.is_null() | s.is_in(PHOTO_MISSING_WORDS) | s.str.contains(PHOTO_MISSING_TEXT).fill_null(False)
