"""Vectorised normalisers (Polars expressions) for IDs, dates, numbers, yes/no, terms, enums.

Every function takes an expression of raw text and returns an expression; nothing here loops
over rows.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

# Full-width ASCII (U+FF01..U+FF5E) and the ideographic space, mapped to half-width.
_FW = [chr(c) for c in range(0xFF01, 0xFF5F)] + ["\u3000"]
_HW = [chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)] + [" "]

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
EXCEL_EPOCH = dt.date(1899, 12, 30)

TRUE_WORDS = ["是", "y", "yes", "true", "√", "✓", "✔", "1", "有", "已", "已签字", "已上传", "在职", "对"]
FALSE_WORDS = ["否", "n", "no", "false", "×", "✗", "✘", "x", "0", "无", "未", "未签字", "未上传", "不在职", "错"]

_CN_DIGITS = {"零": "0", "〇": "0", "一": "1", "二": "2", "两": "2", "三": "3", "四": "4",
              "五": "5", "六": "6", "七": "7", "八": "8", "九": "9", "半": ".5"}


def halfwidth(e: pl.Expr) -> pl.Expr:
    return e.str.replace_many(_FW, _HW)


def clean_text(e: pl.Expr) -> pl.Expr:
    """Full-width to half-width, trim; empty string becomes null."""
    s = halfwidth(e.cast(pl.String)).str.strip_chars()
    return pl.when(s.str.len_chars() > 0).then(s)


def compact(e: pl.Expr) -> pl.Expr:
    """clean_text with every inner whitespace removed."""
    s = halfwidth(e.cast(pl.String)).str.replace_all(r"\s+", "")
    return pl.when(s.str.len_chars() > 0).then(s)


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


def add_id_columns(lf: pl.LazyFrame, raw_col: str, name: str, as_of: dt.date) -> pl.LazyFrame:
    """Normalise an ID number column of `lf` in stages (one nested expression makes the query
    optimiser slow). Adds ``name`` (18-char canonical or null), ``name__raw``, ``name__status``
    (ok, empty, numeric, length, chars, birth, check), ``name__birth`` and ``name__gender``.
    """
    s, full, chk, is15 = pl.col("_id_s"), pl.col("_id_full"), pl.col("_id_chk"), pl.col("_id_15")
    lf = lf.with_columns(compact(pl.col(raw_col)).alias(f"{name}__raw")).with_columns(
        pl.col(f"{name}__raw").str.to_uppercase().alias("_id_s"))
    lf = lf.with_columns(s.str.contains(r"^\d{15}$").alias("_id_15"))
    lf = lf.with_columns(
        pl.when(is15).then(s.str.slice(0, 6) + "19" + s.str.slice(6, 9)).otherwise(s.str.slice(0, 17)).alias("_id_body"),
    ).with_columns(check_digit(pl.col("_id_body")).alias("_id_chk"))
    # The body is the first 17 characters of the full number in every case, so its check
    # character (computed once) is what the 18th character must be.
    lf = lf.with_columns(pl.when(is15).then(pl.col("_id_body") + chk).otherwise(s).alias("_id_full"))
    # A value that survives a round trip through a float64 came from a numeric cell: the
    # trailing digits were already lost (Excel keeps 15 significant digits).
    via_float = s.cast(pl.Float64, strict=False).cast(pl.UInt64, strict=False).cast(pl.String)
    lf = lf.with_columns(
        s.str.contains(r"^\d(\.\d+)?E\+?\d+$|^\d+\.\d+$").alias("_id_sci"),
        (s.str.contains(r"^\d{18}$") & (via_float == s)).alias("_id_float"),
        full.str.contains(r"^\d{17}[\dX]$").alias("_id_shape"),
        full.str.slice(6, 8).str.to_date("%Y%m%d", strict=False).alias("_id_birth"),
        (full.str.slice(17, 1) == chk).alias("_id_check_ok"),
        (is15 | (s.str.len_chars() == 18)).alias("_id_len_ok"),
    )
    birth = pl.col("_id_birth")
    birth_ok = birth.is_not_null() & (birth >= dt.date(1900, 1, 1)) & (birth <= as_of)
    check_ok = pl.col("_id_check_ok")
    status = (
        pl.when(s.is_null()).then(pl.lit("empty"))
        .when(pl.col("_id_sci")).then(pl.lit("numeric"))
        .when(pl.col("_id_float") & ~check_ok).then(pl.lit("numeric"))
        .when(~pl.col("_id_len_ok")).then(pl.lit("length"))
        .when(~pl.col("_id_shape")).then(pl.lit("chars"))
        .when(~birth_ok).then(pl.lit("birth"))
        .when(~check_ok).then(pl.lit("check"))
        .otherwise(pl.lit("ok"))
    )
    lf = lf.with_columns(status.alias(f"{name}__status"))
    ok = pl.col(f"{name}__status") == "ok"
    gender = pl.when(full.str.slice(16, 1).cast(pl.Int32, strict=False) % 2 == 1).then(pl.lit("男")).otherwise(pl.lit("女"))
    lf = lf.with_columns(
        pl.when(ok).then(full).alias(name),
        pl.when(ok).then(birth).alias(f"{name}__birth"),
        pl.when(ok).then(gender).alias(f"{name}__gender"),
    )
    return lf.drop("_id_s", "_id_15", "_id_body", "_id_chk", "_id_full", "_id_sci", "_id_float", "_id_shape", "_id_birth",
                   "_id_check_ok", "_id_len_ok")


def normalise_id(raw: pl.Series | list, as_of: dt.date | None = None) -> pl.DataFrame:
    """Convenience for tests and small lists: a frame with id, status, birth, gender."""
    lf = pl.DataFrame({"raw": pl.Series(list(raw), dtype=pl.String)}).lazy()
    out = add_id_columns(lf, "raw", "id", as_of or dt.date.today()).collect()
    return out.select("id", status="id__status", birth="id__birth", gender="id__gender")


def mask_id(e: pl.Expr) -> pl.Expr:
    """First 6 and last 4 characters kept, the rest `*` (110105********002X)."""
    n = e.str.len_chars()
    return (
        pl.when(e.is_null()).then(None)
        .when(n > 10).then(e.str.slice(0, 6) + pl.lit("*").repeat_by(n - 10).list.join("") + e.str.slice(-4, 4))
        .otherwise(pl.lit("*").repeat_by(n).list.join(""))
    )


# ---------------------------------------------------------------- dates
def add_date_columns(lf: pl.LazyFrame, raw_col: str, name: str) -> pl.LazyFrame:
    """Parse every date format of DATA.md in stages. Adds ``name`` (pl.Date), ``name__raw``
    (cleaned text) and ``name__ym`` (year-month only, so the day is the 1st)."""
    s = pl.col(f"{name}__raw")
    lf = lf.with_columns(clean_text(pl.col(raw_col)).alias(f"{name}__raw"))
    lf = lf.with_columns(
        s.str.replace_all(r"\s+", "")
        # text with a time part: keep the date part
        .str.replace(r"^(\d{4}[-/.]\d{1,2}[-/.]\d{1,2})(T|\d{1,2}:).*$", "$1")
        .alias("_d_s")
    )
    d = pl.col("_d_s")
    lf = lf.with_columns(
        d.str.replace_all(r"[年月/.]", "-").str.replace_all(r"[日号]", "").str.strip_chars("-")
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
    lf = lf.with_columns(
        pl.coalesce(from_serial, pl.col("_d_8"), pl.col("_d_ymd")).alias(name),
        (pl.col("_d_ym") & pl.col("_d_ymd").is_not_null()).alias(f"{name}__ym"),
    )
    return lf.drop("_d_s", "_d_p", "_d_serial", "_d_8", "_d_ymd", "_d_ym")


def date_struct(raw: pl.Expr) -> pl.Expr:
    """Expression form (for scanning arbitrary cells and tests): struct of ``date`` and ``ym_only``.
    Tables use the staged `add_date_columns`."""
    s = compact(raw)
    s = s.str.replace(r"^(\d{4}[-/.]\d{1,2}[-/.]\d{1,2})(T|\d{1,2}:).*$", "$1")
    serial_days = pl.when(s.str.contains(r"^\d{5}(\.\d+)?$")).then(
        s.cast(pl.Float64, strict=False).floor().cast(pl.Int64, strict=False))
    from_serial = (pl.lit(EXCEL_EPOCH) + pl.duration(days=serial_days)).cast(pl.Date)
    compact8 = pl.when(s.str.contains(r"^\d{8}$")).then(s.str.to_date("%Y%m%d", strict=False))
    parts = (s.str.replace_all(r"[年月/.]", "-").str.replace_all(r"[日号]", "").str.strip_chars("-")
             .str.extract_groups(r"^(\d{4})-(\d{1,2})(?:-(\d{1,2}))?$"))
    y, m, d = parts.struct.field("1"), parts.struct.field("2"), parts.struct.field("3")
    ymd = pl.concat_str([y, m.str.zfill(2), d.fill_null("01").str.zfill(2)], separator="-").str.to_date(
        "%Y-%m-%d", strict=False)
    return pl.struct(date=pl.coalesce(from_serial, compact8, ymd), ym_only=y.is_not_null() & d.is_null() & ymd.is_not_null())


# ---------------------------------------------------------------- numbers, yes/no, grade
def number(raw: pl.Expr) -> pl.Expr:
    """`3`, `3年`, `三年`, `2.5年`, `两年半`, `1,000.00元` → Float64 (null when unreadable)."""
    s = compact(raw).str.replace_many(list(_CN_DIGITS), list(_CN_DIGITS.values()))
    s = s.str.replace_all(r"[,，元年¥￥]|人民币|RMB", "")
    s = s.str.replace(r"^(\d+)\.5$", "$1.5").str.replace(r"^\.5$", "0.5")
    return s.cast(pl.Float64, strict=False)


def yes_no(raw: pl.Expr) -> pl.Expr:
    s = compact(raw).str.to_lowercase()
    return (
        pl.when(s.is_in(TRUE_WORDS)).then(pl.lit(True))
        .when(s.is_in(FALSE_WORDS)).then(pl.lit(False))
        .otherwise(pl.lit(None, dtype=pl.Boolean))
    )


def grade_year(raw: pl.Expr) -> pl.Expr:
    """`一年级`, `1`, `二年级` → year of study; `2018级` (a cohort) → null."""
    s = compact(raw).str.replace_many(list(_CN_DIGITS), list(_CN_DIGITS.values()))
    n = s.str.extract(r"^(\d)(年级)?$", 1).cast(pl.Int32, strict=False)
    return n


# ---------------------------------------------------------------- terms
def term_struct(raw: pl.Expr) -> pl.Expr:
    """`2018年春季学期`, `2018春`, `2018秋季`, `2018-2019学年第一学期` (= 2018 autumn),
    `…第二学期` (= 2019 spring), `2018.09` style months. Struct of ``year``, ``season``
    (spring/autumn) and ``label`` (`2018春`)."""
    s = compact(raw)
    acad = s.str.extract_groups(r"^(\d{4})[-~至—–]+(\d{4})学?年?度?第?([一二12上下])学期")
    a_first = acad.struct.field("1").cast(pl.Int32, strict=False)
    a_sem = acad.struct.field("3")
    acad_year = pl.when(a_sem.is_in(["一", "1", "上"])).then(a_first).otherwise(a_first + 1)
    acad_season = pl.when(a_sem.is_in(["一", "1", "上"])).then(pl.lit("autumn")).otherwise(pl.lit("spring"))
    simple = s.str.extract_groups(r"^(\d{4})年?(春|秋)")
    s_year = simple.struct.field("1").cast(pl.Int32, strict=False)
    s_season = pl.when(simple.struct.field("2") == "春").then(pl.lit("spring")).when(
        simple.struct.field("2") == "秋").then(pl.lit("autumn"))
    year = pl.when(a_first.is_not_null() & a_sem.is_not_null()).then(acad_year).otherwise(s_year)
    season = pl.when(a_first.is_not_null() & a_sem.is_not_null()).then(acad_season).otherwise(s_season)
    label = year.cast(pl.String) + pl.when(season == "spring").then(pl.lit("春")).otherwise(pl.lit("秋"))
    return pl.struct(year=year, season=season, label=pl.when(year.is_not_null() & season.is_not_null()).then(label))


# ---------------------------------------------------------------- enums
def enum_value(raw: pl.Expr, values: tuple[str, ...], synonyms: dict[str, str]) -> pl.Expr:
    """Map synonyms to canonical values; values outside stay as written (S007 catches them)."""
    s = compact(raw)
    mapping = {k.replace(" ", ""): v for k, v in synonyms.items()}
    # Upper-case keys too, so `m`/`f` and full-width variants meet their synonym.
    mapping.update({k.upper(): v for k, v in mapping.items()})
    return s.replace(mapping)


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
