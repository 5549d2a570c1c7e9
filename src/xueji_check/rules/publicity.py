"""Publicity rules 公示 (notice 三（四）): P401–P403.

A publicity list has no fixed columns, so P401/P402 work on the loaded tables (title lines,
headers, raw text cells) as well as on the normalised frame. Loops here run over tables and
columns, never over rows: cells are scanned with one Polars select per table.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from xlsxwriter.utility import xl_col_to_name

from xueji_check import normalize as nz
from xueji_check.engine import RULE_PROBLEMS, Context, note_unjudged
from xueji_check.findings import RAW_SCHEMA, emit
from xueji_check.load import Problem, Table
from xueji_check.pii import SEP_DASHES
from xueji_check.registry import rule
from xueji_check.rules.aid import PENDING, what
from xueji_check.rules.changes import student_key
from xueji_check.schools import SEVERAL, UNNAMED
from xueji_check.spec import normalise_header

ALLOWED = "姓名、学校、院系、年级、专业、班级"
# appended to the `what` of every publicity rule: the lists of other aid (engine.titled_other_aid)
OTHER_AID_LISTS = ("标题（没有写明具体资助名称、只写「资助」或什么都没写的，按工作表名、文件名）表明公示的是通知范围以外的其他资助（如 省级助学金公示、校级助学金公示、国家奖学金公示）、"
                   "且没有写明免学费或国家助学金的名单，与资助类型为其他资助的行一样不参与公示规则（名单中资助类型列写明免学费或国家助学金的行除外），"
                   "终端提示其行数；同时写明国家助学金、免学费、不加限定的助学金或泛称的资助的（如 国家助学金和省级助学金公示、奖学金及助学金公示、学生资助公示（含勤工助学））照常检查；标题下的注、说明等文字（如「注：国家奖学金名单另行公示」）不算标题。")
# ------------------------------------------------------------------ publicity period
_DATE = re.compile(r"(?:(\d{4})\s*[年./\-]\s*)?(\d{1,2})\s*[月./\-]\s*(\d{1,2})\s*[日号]?")
_DAY_ONLY = re.compile(r"^\s*(?:至|到|－|-|—|–|~|～)\s*(\d{1,2})\s*[日号]")
_PERIOD_WORD = re.compile(r"公示(?:时间|日期|期限|期间|期)")
# The longest period read as running into the next month or year when its end omits them.
WRAP_DAYS = 15


@dataclass
class Period:
    start: dt.date | None
    end: dt.date | None
    source: str  # Chinese: where the period came from
    field: str | None = None


def _mk(y: int | None, m: str, d: str) -> dt.date | None:
    if y is None:
        return None
    try:
        return dt.date(y, int(m), int(d))
    except ValueError:
        return None


def parse_period(text: str, year: int | Callable[[int, int], int | None] | None = None
                 ) -> tuple[dt.date, dt.date] | None:
    """`公示时间：2018年5月2日至2018年5月8日`, `公示期：2018.5.2-2018.5.8`, `…2018年5月2日至8日`;
    with `year` (the list's: a year, or a function of the start's month and day, `ListYear`) also
    a period written without one (`公示时间：11月4日至11月8日`). An end written without its year (or its month) that would fall
    before the start is in the next year (month) when that makes a period of at most WRAP_DAYS
    days: `2024年12月27日至1月3日` ends 2025-01-03, `12月28日至3日` on 3 January; `5月8日至4月2日`
    and `11月8日至4日` stay as written (an end before the start, reported)."""
    if "公示" not in text:
        return None
    m = _PERIOD_WORD.search(text)
    seg = text[m.end():] if m else text[text.index("公示"):]
    first = _DATE.search(seg)
    if not first or not first.group(1):
        first = next((x for x in _DATE.finditer(seg) if x.group(1)), None)
        if first is None:
            first = _DATE.search(seg) if year is not None and m is not None else None
            if first is None:
                return None
    y = int(first.group(1)) if first.group(1) else \
        year(int(first.group(2)), int(first.group(3))) if callable(year) else year
    start = _mk(y, first.group(2), first.group(3))
    rest = seg[first.end():]
    day_only = _DAY_ONLY.match(rest)
    if day_only and start:
        day = int(day_only.group(1))
        try:
            if day >= start.day:
                return start, start.replace(day=day)
            nxt = (start.replace(day=1) + dt.timedelta(days=32)).replace(day=1).replace(day=day)  # the next month
        except ValueError:
            return None
        # only a short period runs into the next month; a longer one is more likely a slip
        # (11月8日至4日), reported as ending before it starts
        return start, nxt if (nxt - start).days <= WRAP_DAYS else start.replace(day=day)
    second = _DATE.search(rest)
    if not second or start is None:
        return None
    end = _mk(int(second.group(1)) if second.group(1) else y, second.group(2), second.group(3))
    if end is not None and not second.group(1) and end < start and start.month == 12 and end.month == 1:
        wrapped = _mk(start.year + 1, second.group(2), second.group(3))  # across New Year, if short
        end = wrapped if wrapped is not None and (wrapped - start).days <= WRAP_DAYS else end
    return (start, end) if end else None


def table_tids(ctx: Context) -> dict[tuple[str, str], int]:
    if not ctx.has("publicity"):
        return {}
    df = ctx.frame("publicity")
    return {(f, s): t for f, s, t in df.select("_file", "_sheet", "_tid").unique().iter_rows()}


# 落款 (or 制表/公布日期): a line that is a date with its year, alone or after the school's name
# or a 日期 label (a note such as 张三于2024年9月1日入学 is none)
_SIGNED = re.compile(
    r"^\s*(?:[^\d:：]{0,40}?(?:学校|学院|技校|中心|公司|委员会|办公室|领导小组|工作组|教育局|人社局|局|处|科|站|部)"
    r"\s*[（(]?(?:盖章|公章|章)?[）)]?|[^\d:：]{0,10}日期\s*[:：]?)?\s*((?:19|20)\d{2})\s*[年./\-]\s*(\d{1,2})\s*[月./\-]"
    r"\s*(\d{1,2})\s*[日号]?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?\s*$")
_ACADEMIC_YEAR = re.compile(r"((?:19|20)\d{2})\s*[-－—–~～至/]\s*(?:19|20)\d{2}\s*学年")
# An autumn term (秋季学期, 第一学期) starts in late August or September and ends in January or
# February: its lists are published from September to January, so a month from August to
# December is the term's first year and one from January to July the next (a 2024秋 list
# publicised 1月6日至1月10日 ran in January 2025). A spring term (February–July) is its own year.
AUTUMN_FROM_MONTH = 8


@dataclass
class ListYear:
    """The year of a date a publicity list writes without one (`公示时间：1月6日至1月10日`), as
    a function of its month and day: by the list's 落款 date (`signed`) when it has one (the year
    that puts the date nearest to it), else by the terms its title names (`terms`, labels such
    as 2024秋: an autumn term's January–July is the next year, AUTUMN_FROM_MONTH), else by a
    school year (`academic`, the first year of 2024-2025学年: read as an autumn term), else the
    year its title writes (`title`)."""

    signed: dt.date | None = None
    terms: tuple[str, ...] = ()
    academic: int | None = None
    title: int | None = None

    def __bool__(self) -> bool:
        return bool(self.signed or self.terms or self.academic or self.title)

    def _term(self, month: int) -> str:
        """The term whose months take in `month` (autumn: August–January, spring: February–July),
        else the latest named."""
        def within(label: str) -> bool:
            return month >= AUTUMN_FROM_MONTH or month == 1 if label.endswith("秋") else 2 <= month < AUTUMN_FROM_MONTH
        return next((x for x in sorted(self.terms, reverse=True) if within(x)), max(self.terms))

    def __call__(self, month: int, day: int) -> int | None:
        if self.signed is not None:
            near = []
            for y in (self.signed.year - 1, self.signed.year, self.signed.year + 1):
                try:
                    near.append((abs((dt.date(y, month, day) - self.signed).days), -y))
                except ValueError:
                    continue
            return -min(near)[1] if near else None
        if self.terms:
            label = self._term(month)
            y = int(label[:4])
            return y + 1 if label.endswith("秋") and month < AUTUMN_FROM_MONTH else y
        if self.academic is not None:
            return self.academic + (month < AUTUMN_FROM_MONTH)
        return self.title

    def basis(self, month: int, year: int) -> str:
        """Where `year` came from, for the message (Chinese)."""
        if self.signed is not None:
            return f"（未写年份，按落款日期 {self.signed} 取 {year} 年）"
        if self.terms:
            return f"（年份取自名单标题的学期「{self._term(month)}」：{month} 月在 {year} 年）"
        if self.academic is not None:
            return f"（年份取自名单标题的「{self.academic}-{self.academic + 1}学年」：{month} 月在 {year} 年）"
        return f"（年份取自名单标题：{year} 年）"


def list_year(t: Table) -> ListYear:
    """The year of a period a publicity list writes without one (`ListYear`): from its 落款
    date (a footer or title line that is a date with its year), the terms its title or file name
    names, a school year in its title, or a year written in its title."""
    signed = None
    for line in [*t.footer_lines, *t.title_lines]:
        m = _SIGNED.match(line)
        if m and "公示" not in line:
            try:
                signed = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
                break
            except ValueError:
                continue
    terms = text_terms(_scope_text(t), school_years=False)  # a school year is `academic`, below
    title = " ".join(t.title_lines)
    academic = _ACADEMIC_YEAR.search(title)
    year = re.search(r"((?:19|20)\d{2})\s*年", title)
    return ListYear(signed, tuple(sorted(terms)), int(academic.group(1)) if academic else None,
                    int(year.group(1)) if year else None)


def text_periods(t: Table) -> list[Period]:
    """Periods written in the title lines, else in the footer lines the loader set aside below
    the table (`公示时间：2024年11月4日至2024年11月8日` under the last record), else in any cell
    mentioning 公示. A period without a year takes the list's (`list_year`), and says so."""
    out = []
    year = list_year(t)

    def read(line: str) -> tuple[dt.date, dt.date, str] | None:
        p = parse_period(line)
        if p:
            return p[0], p[1], ""
        p = parse_period(line, year) if year else None
        return (p[0], p[1], year.basis(p[0].month, p[0].year)) if p else None

    for line in t.title_lines:
        p = read(line)
        if p:
            out.append(Period(p[0], p[1], f"标题行「{line[:60]}」{p[2]}"))
    if out:
        return out
    for line in t.footer_lines:
        p = read(line)
        if p:
            out.append(Period(p[0], p[1], f"表尾「{line.strip()[:60]}」{p[2]}"))
    if out:
        return out
    cols = [c for c in t.raw.columns if c.startswith("c")]
    if not cols:
        return out
    lines = (t.raw.select(pl.concat_str([pl.col(c).fill_null("") for c in cols], separator=" ").alias("_t"))
             .filter(pl.col("_t").str.contains("公示")).head(20)["_t"].to_list())
    for line in lines:
        p = parse_period(line)
        if p:
            out.append(Period(p[0], p[1], f"表内文字「{line.strip()[:60]}」"))
    return out


def periods(ctx: Context, t: Table, tid: int) -> list[Period]:
    o_start, o_end = ctx.options.get("publicity_start"), ctx.options.get("publicity_end")
    if o_start and o_end:
        return [Period(o_start, o_end, "命令行参数 --publicity-start/--publicity-end")]
    found: list[Period] = []
    df = ctx.frame("publicity") if "publicity" in ctx.kinds() else None
    if df is not None and ("publicity_start" in df.columns or "publicity_end" in df.columns):
        sel = [pl.col(c) if c in df.columns else pl.lit(None, pl.Date).alias(c)
               for c in ("publicity_start", "publicity_end")]
        pairs = (df.filter(pl.col("_tid") == tid).select(sel).unique()
                 .filter(pl.col("publicity_start").is_not_null() | pl.col("publicity_end").is_not_null())
                 .sort(pl.all(), nulls_last=True))
        for s, e in pairs.iter_rows():
            found.append(Period(s, e, "公示开始日期/公示结束日期列", "publicity_end" if e else "publicity_start"))
    if not found or any(p.start is None or p.end is None for p in found):
        text = text_periods(t)
        if text:
            found = [Period(p.start or text[0].start, p.end or text[0].end, p.source, p.field) for p in found] or text
    if o_start or o_end:
        found = [Period(o_start or p.start, o_end or p.end, p.source + "（部分取自命令行参数）", p.field)
                 for p in found] or [Period(o_start, o_end, "命令行参数")]
    return found


def _raw_row(ctx: Context, t: Table, tid: int, message: str, key: str, field: str | None = None,
             column: str | None = None) -> dict:
    school = ctx.table_school.get(tid)
    return {"dataset": "publicity", "_file": t.file, "_sheet": t.sheet, "_row": None, "field": field,
            "student_id": None, "id_number": None, "name": None,
            "school": None if school in (None, UNNAMED) else school, "message": message,
            "key": key, "_tid": tid, "column": column}


def _frame(rows: list[dict]) -> pl.LazyFrame:
    return pl.DataFrame(rows, schema=RAW_SCHEMA, orient="row").lazy() if rows else \
        pl.DataFrame(schema=RAW_SCHEMA).lazy()


def _tkey(ctx: Context, t: Table, tid: int | None) -> str:
    """What a file-level finding on a publicity list is about, for its fingerprint: the school and
    the terms and aid types the list covers (never its file or sheet name: next month's export
    of the same list has the same key; two lists alike are numbered by findings.finalize)."""
    terms, types = title_scope(t)
    return "#".join([ctx.table_school.get(tid, UNNAMED) if tid is not None else UNNAMED,
                     "/".join(sorted(terms)), "/".join(sorted(types))])


def min_end(ctx: Context, start: dt.date) -> dt.date:
    """The last day of the shortest compliant period starting on `start` (both ends counted)."""
    return ctx.calendar.nth_workday_after(start - dt.timedelta(days=1), ctx.policy.publicity_workdays)


@rule(
    "P401", severity="error", title="公示期不足", title_en="publicity period too short",
    clause="三（四）", needs={"publicity": ()},
    what="公示期（首尾两天都算）少于 5 个工作日（publicity_workdays）。公示期取自 --publicity-start/--publicity-end、公示开始/结束日期列或标题、表尾中的「公示时间：X 月 X 日至 X 月 X 日」。"
         "公示期未写年份时，有落款日期的取离落款日期最近的年份；否则按名单标题写明的学期推定（秋季学期的 8–12 月在当年，"
         "1–7 月在下一年，如 2024 年秋季学期名单的 1 月 6 日是 2025 年 1 月 6 日；春季学期在当年），再否则取标题中的年份。"
         + OTHER_AID_LISTS,
    why="资助名单须公示不少于 5 个工作日（三（四））。",
    example="2024-11-04 至 11-07（周一至周四）只有 4 个工作日 → P401；11-04 至 11-08 不报。",
)
def short_publicity(ctx: Context) -> pl.LazyFrame | None:
    n = ctx.policy.publicity_workdays
    tids = table_tids(ctx)
    rows, any_period, without = [], False, []
    for t in ctx.tables.get("publicity", []):
        tid = tids.get((t.file, t.sheet))
        if tid is None:
            continue
        ps = periods(ctx, t, tid)
        if not ps:
            without.append(t)
            continue
        any_period = True
        for p in ps:
            key = f"{_tkey(ctx, t, tid)}#{p.start}#{p.end}"
            if p.start is None or p.end is None:
                rows.append(_raw_row(ctx, t, tid, f"只找到公示{'开始' if p.start else '结束'}日期"
                                     f"（{p.start or p.end}，来源：{p.source}），无法确定公示期；"
                                     "请写明公示起止日期（如 公示时间：2018年5月2日至2018年5月8日）", key, p.field))
                continue
            if p.end < p.start:
                rows.append(_raw_row(ctx, t, tid, f"公示结束日期 {p.end} 早于开始日期 {p.start}（来源：{p.source}），"
                                     "请核对公示期", key, p.field))
                continue
            # in a year whose holidays are estimated, the count that never makes the period look shorter
            wd = ctx.calendar.for_minimums().workdays_in(p.start, p.end)
            if wd >= n:
                continue
            note = ctx.calendar.note_unknown({p.start.year, p.end.year, min_end(ctx, p.start).year})
            rows.append(_raw_row(ctx, t, tid, (
                f"公示期 {p.start} 至 {p.end}（来源：{p.source}）只有 {wd} 个工作日，少于规定的 {n} 个工作日"
                f"（首尾两天都计入）；从 {p.start} 起应至少公示到 {min_end(ctx, p.start)}，请延长公示后再发放{note}"),
                key, p.field))
    # A list whose period is not written, or not readable, cannot be judged: said about that
    # list (never a finding, and never depending on the other lists of the run)
    for t in without:
        seen = next((ln.strip() for ln in [*t.title_lines, *t.footer_lines] if _PERIOD_WORD.search(ln)), None)
        why = (f"公示期「{seen[:60]}」未能识别，请写成 公示时间：2024年11月4日至2024年11月8日" if seen else
               "未写明公示期，请在标题行或表尾写明公示时间（如 公示时间：2024年11月4日至2024年11月8日），"
               "或用 --publicity-start/--publicity-end 指定")
        ctx.options.setdefault(RULE_PROBLEMS, []).append(Problem(
            "warning", t.file, t.sheet, None, f"该公示名单{why}；未能核对是否公示满 {n} 个工作日（P401）"))
    if without:
        ctx.options["unjudged:P401"] = {"kind": "publicity", "rows": len(without), "unit": "份名单",
                                        "reasons": {"未写明或无法识别公示期": len(without)}}
    if not any_period:
        ctx.options["skip:P401"] = ("公示名单中未找到公示期（标题行或表尾的「公示时间：…至…」、公示开始日期/公示结束日期列，"
                                    "或 --publicity-start/--publicity-end）")
        return None
    return _frame(rows)


# ------------------------------------------------------------------ sensitive data
HEADER_MEANINGS = [
    ("身份证号", re.compile(r"身份证|证件号|证件号码|公民身份|身份号码")),
    ("银行卡号", re.compile(r"银行卡|银行账|银行帐|卡号|账号|帐号")),
    ("联系电话", re.compile(r"电话|手机|联系方式")),
    ("家庭住址", re.compile(r"住址|地址|户籍地|户籍所在|居住地|通讯地")),
    ("出生日期", re.compile(r"出生|生日")),
]
_STUDENT_NO = re.compile(r"学籍号|学号|学籍编号|注册号|序号|编号")
_OTHER_DATE = re.compile(r"日期|时间|年月")
_ADDRESS = r"(省|市|县|区|旗|镇|乡).{0,30}?(\d+\s*(号|栋|幢|单元|室|楼|组|弄)|村|屯|社区|小区|街道|胡同)"
_FULL_DATE = r"^((19|20)\d{2})[-/.年](\d{1,2})[-/.月](\d{1,2})日?( 00:00(:00)?)?$|^(19|20)\d{6}$"




KINDS = ("身份证号", "手机号", "银行卡号", "出生日期", "家庭住址", "以科学计数法显示的长数字")
# 18 characters of an ID number's shape (a region, a birth date, three digits, a check character):
# published, it names a person even when its check digit is wrong (a typing error)
_ID_SHAPE = r"^[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]$"
# separators a number is written with inside text: 151-1408-1254, 139–1234–5678, (139)…: the
# dashes masking splits numbers on too (pii.SEP_DASHES); spaces are gone from compacted text. Not
# a dot (应发1500.00-300.00 would join into a mobile), a slash or an underscore (1998/9/1-2001/7).
_DIGIT_SEP = rf"(\d)[{SEP_DASHES}]+(\d)"


def sensitive_cells(cells: pl.LazyFrame, as_of: dt.date, keep: tuple[str, ...] = ()) -> pl.LazyFrame:
    """(_tid, _col, *keep, _kind) for every cell holding personal data. `cells` has `_v` (text)
    and, per column, the flags `_bank`, `_birth`, `_addr` (whether that detector applies) and
    `_ref` (reference year for birth dates); `keep` names more columns of `cells` to pass on
    (the sheet row). Cheap patterns pick the candidates first, so the costly checks (ID
    checksum, Luhn, date parsing) only see the few cells that could match."""
    cells = cells.with_columns(_s=nz.compact(pl.col("_v"))).with_columns(
        _d=pl.col("_s").str.replace_all(r"[-\s]", ""))
    s, d = pl.col("_s"), pl.col("_d")

    def tag(lf: pl.LazyFrame, kind: str) -> pl.LazyFrame:
        return lf.select("_tid", "_col", *keep, pl.lit(kind).alias("_kind"))

    phone = cells.filter(d.str.replace_all(r"[().．]", "").str.replace(r"^(?:\+|00)?86", "").str.contains(r"^1[3-9]\d{9}$"))
    numeric = cells.filter(d.str.contains(r"^\d{15,19}$|^\d{17}[Xx]$")).with_columns(
        _id=((nz.id_struct(s, as_of).struct.field("status") == "ok") & s.str.contains(r"^\d{15}$|^\d{17}[\dXx]$"))
        | d.str.contains(_ID_SHAPE))
    ids = numeric.filter(pl.col("_id"))
    # a card number that fails its check is still a card (a typing error): a UnionPay 62… number
    cards = numeric.filter(pl.col("_bank") & ~pl.col("_id") & d.str.contains(r"^\d{16,19}$")
                           & (nz.luhn_ok(d) | d.str.starts_with("62")))
    # an ID number or a card number Excel shows as 3.20102200703155E+17 (a number of 11 or more digits)
    sci = cells.filter(pl.col("_bank") & s.str.contains(
        r"^\d(?:\.\d+)?[Ee]\+?(?:1\d|[2-9]\d)$|\d\.\d{9,}[Ee]\+?(?:1\d|[2-9]\d)(?:\D|$)"))
    y = s.str.extract(r"^((19|20)\d{2})", 1).cast(pl.Int32, strict=False)
    births = cells.filter(pl.col("_birth") & s.str.contains(_FULL_DATE)).filter(
        nz.date_struct(s).struct.field("date").is_not_null() & y.is_between(pl.col("_ref") - 70, pl.col("_ref") - 12))
    addresses = cells.filter(pl.col("_addr") & s.str.contains(_ADDRESS) & (s.str.len_chars() >= 6))
    # a number written inside other text (a name cell 张三 410105…, a 学籍号 G410105…, 赵六13912345678):
    # an ID number that passes its checks, or a mobile, between non-digits
    whole = d.str.replace_all(r"[().．]", "").str.contains(r"^(?:\+|00)?(?:86)?\d{11,19}$|^\d{17}[Xx]$")
    # digits joined across the separators and brackets a number may be written with inside text
    # (a number in Excel's notation, 3.20102200703155E+17, is counted by `sci` above, not joined)
    j = (s.str.replace_all(r"\d\.\d+[Ee]\+?\d+", "#").str.replace_all(r"[()（）]", "")
         .str.replace_all(_DIGIT_SEP, "$1$2").str.replace_all(_DIGIT_SEP, "$1$2"))
    inside = cells.filter(~whole & s.str.contains(r"\d")).with_columns(_j=j).filter(pl.col("_j").str.contains(r"\d{11}"))
    jj = pl.col("_j")
    e18 = jj.str.extract(r"(?:^|\D)(\d{17}[\dXx])(?:\D|$)", 1)
    e15 = jj.str.extract(r"(?:^|\D)(\d{15})(?:\D|$)", 1)
    ids_inside = inside.with_columns(_e18=e18, _e15=e15).filter(
        pl.col("_e18").str.contains(_ID_SHAPE).fill_null(False)
        | (nz.id_struct(pl.col("_e15"), as_of).struct.field("status") == "ok").fill_null(False))
    phones_inside = inside.filter(jj.str.contains(r"(?:^|\D)(?:(?:\+|00)?86)?1[3-9]\d{9}(?:\D|$)"))
    # a card's first digit is 3-6 (UnionPay 62, Visa, Mastercard, JCB): a date range run together
    # (2024-09-01-2025-01-15 → 2024090120250115) is no card, whatever its Luhn sum
    card_e = jj.str.extract(r"(?:^|\D)([3-6]\d{15,18})(?:\D|$)", 1)
    cards_inside = inside.filter(pl.col("_bank")).with_columns(_c=card_e).filter(
        pl.col("_c").is_not_null() & ~pl.col("_c").str.contains(_ID_SHAPE)
        & (nz.luhn_ok(pl.col("_c")) | pl.col("_c").str.starts_with("62")).fill_null(False))
    return pl.concat([tag(ids, "身份证号"), tag(phone, "手机号"), tag(cards, "银行卡号"),
                      tag(births, "出生日期"), tag(addresses, "家庭住址"), tag(sci, "以科学计数法显示的长数字"),
                      tag(ids_inside, "身份证号"), tag(phones_inside, "手机号"), tag(cards_inside, "银行卡号")])


@rule(
    "P402", severity="error", title="公示了个人敏感信息", title_en="sensitive personal data published",
    clause="三（四）；教财厅函〔2017〕28号", needs={"publicity": ()},
    what="公示名单含身份证号、家庭住址、电话、出生日期、银行卡号等列，或单元格中出现身份证号、手机号、银行卡号、完整出生日期（身份证号、手机号、银行卡号写在姓名等文字中或用 -、空格分段的也算；校验位错误的身份证号、62 开头的银行卡号、Excel 以科学计数法显示的长数字也算）。每列一条，附单元格数；标题、说明、备注、表尾等表格以外的文字中出现学生身份证号的，每份名单另报一条（表尾的联系电话、学校账号是学校有意公布的，不报）。"
         + OTHER_AID_LISTS,
    why="公示只能有姓名、学校、院系、年级、专业、班级，不得泄露学生个人敏感信息（三（四）；教财厅函〔2017〕28号）。",
    example="公示名单有「身份证号」列 → P402；表尾学校公布的监督电话不是学生的手机号，不报。",
)
def sensitive_data_published(ctx: Context) -> pl.LazyFrame | None:
    """All cells of all lists in one long frame, scanned by one set of expressions; then one
    finding per column whose header or cells carry personal data."""
    tids = table_tids(ctx)
    metas, longs, where = [], [], {}
    for t in ctx.tables.get("publicity", []):
        tid = tids.get((t.file, t.sheet))
        if tid is None:
            continue
        where[tid] = t
        by_col = {v: k for k, v in t.field_cols.items()}
        ref_year = next((p.start.year for p in periods(ctx, t, tid) if p.start), ctx.as_of.year)
        cols = [c for c in t.raw.columns if c.startswith("c") and c[1:].isdigit()]
        for c in cols:
            i = int(c[1:])
            header = t.headers[i] if i < len(t.headers) else ""
            h = normalise_header(header)
            canonical = by_col.get(c)
            metas.append({
                "_tid": tid, "_col": c, "_header": header, "_canonical": canonical,
                "_meaning": next((label for label, rx in HEADER_MEANINGS if rx.search(h)), None),
                "_bank": not _STUDENT_NO.search(h),
                "_birth": canonical not in ("publicity_start", "publicity_end")
                and not (_OTHER_DATE.search(h) and not re.search("出生|生日", h)),
                "_addr": canonical not in ("name", "school_name", "aid_type", "term"),
                "_ref": ref_year,
            })
        if cols:
            longs.append(t.raw.select(pl.lit(tid, pl.Int32).alias("_tid"), *[pl.col(c).cast(pl.String) for c in cols])
                         .unpivot(index="_tid", on=cols, variable_name="_col", value_name="_v")
                         .filter(pl.col("_v").str.strip_chars().str.len_chars() > 0))
    if not metas:
        return _frame([])
    meta = pl.DataFrame(metas, schema={"_tid": pl.Int32, "_col": pl.String, "_header": pl.String,
                                       "_canonical": pl.String, "_meaning": pl.String, "_bank": pl.Boolean,
                                       "_birth": pl.Boolean, "_addr": pl.Boolean, "_ref": pl.Int32})
    cells = pl.concat(longs).lazy().join(meta.lazy().select("_tid", "_col", "_bank", "_birth", "_addr", "_ref"),
                                         on=["_tid", "_col"], how="left")
    filled = cells.group_by("_tid", "_col").agg(pl.len().alias("_filled"))
    found = sensitive_cells(cells, ctx.as_of).group_by("_tid", "_col", "_kind").len()
    kinds = [(pl.col("_kind") == k).cast(pl.UInt32).mul(pl.col("len")).sum().alias(k) for k in KINDS]
    counts = filled.join(found.group_by("_tid", "_col").agg(kinds), on=["_tid", "_col"], how="left").collect()
    hits = meta.join(counts, on=["_tid", "_col"], how="left").with_columns(
        pl.col("_filled", *KINDS).fill_null(0))
    hits = hits.filter(pl.col("_meaning").is_not_null() | pl.any_horizontal([pl.col(k) > 0 for k in KINDS]))
    rows = []
    for r in hits.iter_rows(named=True):  # one per offending column
        t = where[r["_tid"]]
        header = r["_header"]
        label = f"「{header}」" if header else "（无表头）"
        parts = []
        if r["_meaning"]:
            parts.append(f"表头表明该列是{r['_meaning']}（有内容的单元格 {r['_filled']} 个）")
        found = [f"{r[k]} 个{k}" for k in KINDS if r[k]]
        if found:
            parts.append("单元格中有 " + "、".join(found))
        msg = (f"公示名单原表第 {xl_col_to_name(int(r['_col'][1:]))} 列{label}公开了个人敏感信息：{'；'.join(parts)}。"
               f"公示只能包含{ALLOWED}（教财厅函〔2017〕28号），请删除或遮盖该列后重新公示")
        rows.append(_raw_row(ctx, t, r["_tid"], msg, f"{_tkey(ctx, t, r['_tid'])}#{r['_canonical'] or normalise_header(header or r['_col'])}", r["_canonical"],
                             column=header or None))
    rows += _ids_outside_records(ctx, where)
    return _frame(rows)


def _ids_outside_records(ctx: Context, where: dict[int, Table]) -> list[dict]:
    """P402 on a list's rows that are not records (title lines, notes between records, the
    footer: `Table.other_rows`): one finding per list that publishes a student's ID number
    there (a valid ID, alone in a cell or inside text, e.g. 备注：张三（4101…）已退学). Only ID
    numbers: a mobile or an account number in a footer is most often the school's contact or
    its own account, published on purpose. The finding lands on the first such row below the
    header (None when all are above it)."""
    longs = []
    for tid, t in where.items():
        other = t.other_rows
        if other is None or other.height == 0:
            continue
        cols = [c for c in other.columns if c.startswith("c") and c[1:].isdigit()]
        if not cols:
            continue
        longs.append(other.select(pl.lit(tid, pl.Int32).alias("_tid"), pl.col("_row").cast(pl.Int64),
                                  *[pl.col(c).cast(pl.String) for c in cols])
                     .unpivot(index=["_tid", "_row"], on=cols, variable_name="_col", value_name="_v")
                     .filter(pl.col("_v").str.strip_chars().str.len_chars() > 0))
    if not longs:
        return []
    cells = pl.concat(longs).lazy().with_columns(
        _bank=pl.lit(False), _birth=pl.lit(False), _addr=pl.lit(False), _ref=pl.lit(ctx.as_of.year, pl.Int32))
    found = (sensitive_cells(cells, ctx.as_of, keep=("_row",)).filter(pl.col("_kind") == "身份证号")
             .group_by("_tid").agg(pl.len().alias("n"), pl.col("_row").unique().sort().alias("rows"))
             .sort("_tid").collect())
    out = []
    for tid, n, sheet_rows in found.iter_rows():
        t = where[tid]
        shown = "、".join(str(r) for r in sheet_rows[:5]) + ("等" if len(sheet_rows) > 5 else "")
        msg = (f"公示名单表格以外的文字（第 {shown} 行，如标题、说明、备注或表尾）中有 {n} 个身份证号，"
               f"公开了个人敏感信息。公示只能包含{ALLOWED}（教财厅函〔2017〕28号），请删除或遮盖后重新公示")
        row = _raw_row(ctx, t, tid, msg, f"{_tkey(ctx, t, tid)}#表格以外的文字")
        below = [r for r in sheet_rows if r > t.header_row]
        row["_row"] = below[0] if below else None
        out.append(row)
    return out


# ------------------------------------------------------------------ recipients not publicised
def text_terms(text: str, school_years: bool = True) -> set[str]:
    """The terms (labels such as 2024秋) a title or file name names (`normalize.title_terms`: each
    place a term may start read up to the next one, so 2024年秋季及2025年春季 names both); when it
    names none, and `school_years`, both terms of each school year it names (2024-2025学年: 2024秋
    and 2025春)."""
    labels, years = nz.title_terms(text)
    if labels or not school_years:
        return labels
    return {f"{y}秋" for y in years} | {f"{y + 1}春" for y in years}


def _scope_text(t: Table) -> str:
    return " ".join(t.title_lines) + " " + Path(t.file).stem


def title_scope(t: Table) -> tuple[set[str], set[str]]:
    """Terms (2018秋) and aid types named in a table's title lines and file name."""
    text = _scope_text(t)
    terms = text_terms(text)
    types = set()
    if "助学金" in text:
        types.add("国家助学金")
    if "免学费" in text or "免除学费" in text:
        types.add("免学费")
    return terms, types


# `_tk` of a recipient whose term is not known (no 学期 column, or a term not read): found by a
# name on a list of any term
ANY_TERM = "*"
MAX_DAMAGED_PATTERNS = 200  # damaged names of a publicity list matched as patterns (more: a broken file)


# approval_status in schemas/aid.toml: the canonical value of an approved application (通过,
# 审核通过, 已审批… are read as it); rules.aid.PENDING names the two that are not (待审核, 未通过)
APPROVED = "已通过"


def approved_recipients(cols: list[str]) -> tuple[pl.Expr, pl.Expr | None]:
    """Which aid rows are approved recipients, expected on a publicity list (P403), from the aid
    table's columns `cols`: (a boolean expression true on those rows, an expression true on the
    rows whose approval cannot be read, or None). An application is approved when it has an
    审批日期 or its 审批状态 is 已通过, and never when its 审批状态 is 未通过 (refused: 审核不通过,
    驳回, 退回…) or 待审核 (not decided yet: the school reviews and publicises before the
    approval, so the list may still be to come). With neither column every row is a recipient;
    with a 审批状态 but no 审批日期 column, a status left blank or outside the list cannot be
    judged (notice 三（三）–三（四）: 审核、公示、审批、发放)."""
    has_date, has_status = "approved_date" in cols, "approval_status" in cols
    if not has_status:
        return (pl.col("approved_date").is_not_null() if has_date else pl.lit(True)), None
    status = pl.col("approval_status")
    said = (status == APPROVED).fill_null(False)
    refused_or_pending = status.is_in(list(PENDING)).fill_null(False)
    if has_date:
        return ~refused_or_pending & (pl.col("approved_date").is_not_null() | said), None
    return said, ~said & ~refused_or_pending


def _with_name_key(df: pl.DataFrame) -> pl.DataFrame:
    """`_nk`: the canonical name (`name__key` of the normaliser, else computed)."""
    return df.with_columns(_nk=pl.col("name__key") if "name__key" in df.columns else nz.name_key(pl.col("name")))


def list_schools(named: str | None, aid_schools: list[str]) -> list[str | None]:
    """The schools of the aid table (`aid_schools`) a publicity list naming `named` is about:
    that school; else the aid table's schools whose name holds it or is held in it (a title's
    东方技工学校 for the aid table's 东方技工学校（东校区）); none when no school is like it (a
    list about a school without recipients here is about no one else either); [None] (not
    identified) when the list names no school."""
    if named is None or named in (UNNAMED, SEVERAL):
        return [None]
    if named in aid_schools:
        return [named]
    return [x for x in aid_schools if named in x or x in named]


SCOPE_SCHEMA = {"_lid": pl.Int64, "_school": pl.String, "_terms": pl.List(pl.String), "_types": pl.List(pl.String)}


def covered(lf: pl.LazyFrame, cols: list[str], scopes: pl.DataFrame) -> pl.LazyFrame:
    """The aid rows of `lf` (columns `cols`) some publicity list is about, with `_nlists`: how many
    lists are. `scopes` has one row per list and school it names (SCOPE_SCHEMA): `_lid`, `_school`
    (an aid table's school; null when the list names none of them), `_terms`, `_types` (empty:
    any). A row is covered by a list whose term and aid type take in the row's (when the aid table
    has those columns) and whose school is the row's, or, for a school without a list of its own,
    by a list whose school is not identified. So a school's recipients are judged against its own
    lists only, whatever the lists of other schools cover (notice 三（四）: each school publicises
    its recipients). Joined on the few distinct (school, term, type) triples, not the rows."""
    keys = [c for c in ("school_name", "term", "aid_type") if c in cols]
    if not keys:
        return lf.with_columns(_nlists=pl.lit(scopes["_lid"].n_unique(), pl.UInt32))
    combos = lf.select(keys).unique()
    lists = scopes.lazy()
    if "school_name" in keys:
        own = lists.filter(pl.col("_school").is_not_null())
        with_own = scopes["_school"].drop_nulls().unique().to_list()
        parts = [combos.join(own, left_on="school_name", right_on="_school", how="inner"),
                 combos.filter(~pl.col("school_name").is_in(with_own).fill_null(False))
                 .join(lists.filter(pl.col("_school").is_null()).drop("_school"), how="cross")]
    else:
        parts = [combos.join(lists.drop("_school"), how="cross")]
    cov = pl.concat(parts, how="diagonal_relaxed")
    if "term" in keys:
        cov = cov.filter((pl.col("_terms").list.len() == 0) | pl.col("_terms").list.contains(pl.col("term")).fill_null(False))
    if "aid_type" in keys:
        cov = cov.filter((pl.col("_types").list.len() == 0)
                         | pl.col("_types").list.contains(pl.col("aid_type")).fill_null(False))
    cov = cov.group_by(keys).agg(pl.col("_lid").n_unique().alias("_nlists"))
    return lf.join(cov, on=keys, how="inner", nulls_equal=True)


# A name masked on a publicity list (人社厅发〔2018〕28号: a list carries no personal data beyond
# the name, and many lists hide part of it): 王*伟, 张*, 刘**, 欧阳*, 李＊明, 赵×, 陈○. After
# `nz.name_key` (NFKC) a full-width ＊ (or ﹡) is `*`; these are the characters that stand for a
# hidden one.
MASK_CHARS = "*×○"
MASK = f"[{MASK_CHARS}]"
# one mask character alone at the end (张*, 欧阳*, *), not a run (刘**)
_OPEN_END = f"(?:^|[^{MASK_CHARS}]){MASK}$"
# a hidden or lost character (a mask, or a character lost in a GBK save: `nz.NAME_DAMAGE`)
_HIDDEN = f"[{MASK_CHARS}?？\\x{{FFFD}}]"


def name_masked(nk: pl.Expr) -> pl.Expr:
    """True where a publicity list's name key holds a mask character (`MASK`)."""
    return nk.str.contains(MASK).fill_null(False)


def mask_parts(nk: pl.Expr, fixed: pl.Expr | None = None) -> list[pl.Expr]:
    """Of a masked name key (`name_masked`): `_first`, its first character when shown (null when
    hidden); `_len`, its length when the mask fixes it (null when it does not); `_re`, the names
    it stands for as an anchored regex. Each mask character (and each `?`/`？` of a GBK save) is
    one character, except one mask character alone at the end (张*, 欧阳*), which is one or more:
    lists write 张* for 张三 and for 张三丰 alike, and reading it as one character would report
    张三丰 as not publicised; a run at the end (刘**) is one character each. A run of U+FFFD is one
    or more characters (`nz.name_pattern`). Where `fixed` is true (a list masking every name to
    one width: `fixed_width_lists`) every run of mask characters is one or more characters: only
    the characters shown are matched (王** is 王伟 as well as 王大伟)."""
    open_end = nk.str.contains(_OPEN_END)
    esc = nk.str.replace_all(r"([\\.+^$()\[\]{}|])", r"\$1")
    body = pl.when(open_end).then(esc.str.head(-1) + ".+").otherwise(esc)
    unfixed = open_end | nk.str.contains(r"\x{FFFD}")
    if fixed is not None:
        fixed = fixed.fill_null(False)
        body = pl.when(fixed).then(esc.str.replace_all(f"{MASK}+", ".+")).otherwise(body)
        unfixed = unfixed | fixed
    pattern = "^" + body.str.replace_all(r"\x{FFFD}+", ".+").str.replace_all(f"[{MASK_CHARS}?？]", ".") + "$"
    first = nk.str.head(1)
    return [pl.when(first.str.contains(_HIDDEN)).then(None).otherwise(first).alias("_first"),
            pl.when(unfixed).then(None).otherwise(nk.str.len_chars()).cast(pl.UInt32).alias("_len"),
            pattern.alias("_re")]


# The fewest masked names a list shows before the way it masks them can be told.
FIXED_WIDTH_MIN_MASKS = 2


def fixed_width_lists(pairs: pl.DataFrame) -> pl.Series:
    """The lists (`_lid` of `pairs`: `_nk`, `_lid`, masked names only) that mask every name to one
    width, whatever its length (王伟 and 王大伟 both 王**): at least FIXED_WIDTH_MIN_MASKS masked
    names, all hiding the same number of characters at the same place, counted from the first
    mask character to the end (王**, 李**, 欧阳** alike; 王** beside 李* or 王*伟 is a list masking
    character by character). A list of three-character names masked character by character looks
    the same: matching its masks on the characters shown only finds more recipients a mask fits,
    and the rule then judges none of them (`masked_matches`)."""
    tail = pl.col("_nk").str.extract(f"({MASK}.*)$", 1).str.replace_all(f"[^{MASK_CHARS}]", "V").str.replace_all(MASK, "*")
    return (pairs.group_by("_lid").agg(pl.len().alias("_n"), tail.n_unique().alias("_shapes"))
            .filter((pl.col("_n") >= FIXED_WIDTH_MIN_MASKS) & (pl.col("_shapes") == 1))["_lid"])


def masked_matches(names: pl.LazyFrame, masks: pl.DataFrame, by_school: bool) -> pl.LazyFrame:
    """Which of `names` (`_nk`, `school_name`: recipients not found as written) a masked name of a
    publicity list stands for: one row per name so found, with `_clear` true when some mask it
    fits is one no more recipients fit than the list has rows of it. `masks` has `_nk` (the masked
    name key), `_school` (null: any school), `_rows` (the most rows one list has of it, for its
    `_pterm`) and `_rows_all` (the rows of all the lists, where a row of one stands for several
    terms: a list titled for two; null otherwise, the terms then judged apart). Joined
    on the school, the first character and the length where the mask shows them (a mask without
    one is joined without it), then the regex of `mask_parts` is checked on the few pairs; with
    `by_school` False (the aid table has no school) the school is not compared."""
    termed = "_pterm" in masks.columns and "_tk" in names.collect_schema().names()
    m = masks.with_columns(mask_parts(pl.col("_nk"), pl.col("_fixed") if "_fixed" in masks.columns else None)
                           ).rename({"_nk": "_mnk"})
    n = names.with_columns(_first=pl.col("_nk").str.head(1), _len=pl.col("_nk").str.len_chars().cast(pl.UInt32))
    if not by_school:
        m = m.with_columns(_school=pl.lit(None, pl.String))
    parts = []
    for school in (True, False):
        for first in (True, False):
            for length in (True, False):
                sub = m.filter(pl.col("_school").is_not_null() == school, pl.col("_first").is_not_null() == first,
                               pl.col("_len").is_not_null() == length)
                if sub.height == 0:
                    continue
                left = [c for c, on in (("school_name", school), ("_first", first), ("_len", length)) if on]
                right = [{"school_name": "_school"}.get(c, c) for c in left]
                sub = sub.drop([c for c in ("_first", "_len") if c not in right]).lazy()
                joined = n.join(sub, left_on=left, right_on=right, how="inner") if left else n.join(sub, how="cross")
                parts.append(joined.with_columns(_school=pl.col("school_name")) if school else joined)
    who = ["_nk", "school_name", *(["_tk"] if termed else [])]
    mask = ["_mnk", "_school", *(["_pterm"] if termed else []), *(["_fixed"] if "_fixed" in masks.columns else [])]
    if not parts:
        return names.select(*who).clear().with_columns(_clear=pl.lit(True))
    fit = pl.concat(parts, how="diagonal_relaxed").filter(pl.col("_nk").str.contains(pl.col("_re")))
    if termed:  # a mask publicised for a term stands for that term's recipients (or one of no known term)
        fit = fit.filter(pl.col("_pterm").is_null() | (pl.col("_tk") == ANY_TERM) | (pl.col("_tk") == pl.col("_pterm")))
    fit = fit.select(*who, *mask, "_rows", *(["_rows_all"] if "_rows_all" in masks.columns else []))
    student = pl.struct("_nk", "school_name")
    fit = fit.with_columns(_fits=student.n_unique().over(mask))
    clear = pl.col("_fits") <= pl.col("_rows")
    if "_rows_all" in masks.columns:  # and in all the terms of the list's rows
        fit = fit.with_columns(_fits_all=student.n_unique().over([c for c in mask if c != "_pterm"]))
        clear = clear & ((pl.col("_fits_all") <= pl.col("_rows_all")) | pl.col("_rows_all").is_null())
    return fit.group_by(who).agg(clear.any().alias("_clear"))


@rule(
    "P403", severity="warning", title="受助学生未公示", title_en="approved recipients not publicised", across=True,
    clause="三（四）", needs={"publicity": ("name",), "aid": ("name",)},
    what="资助表中已审批的受助学生不在公示名单中（按姓名 + 学校匹配，公示名单不含身份证号）。"
         "已审批指有审批日期或审批状态为已通过；审批状态为未通过（审核不通过、驳回、退回等）的申请人不是受助学生，"
         "待审核的尚未审定（公示可在审批之前），都不要求出现在公示名单中。资助表没有审批日期列时，审批状态为空或无法识别的行不判断；"
         "两列都没有时，资助表各行都算受助学生。每所学校的受助学生只与该校自己的公示名单比对，且只比对名单标题或列中写明的学期、"
         "资助类型（未写明的不限），别的学校的名单不影响该校的结果；名单写的学校与资助表写法不同的（如 东方技工学校 与 东方技工学校（东校区）），"
         "与名称相互包含的学校比对；认不出学校的名单只与没有自己名单的学校比对。"
         "名单写明学期的（标题中，或学期列；学期列有值的行按该行的学期），名单上的姓名（含打码姓名）只算该学期已公示："
         "2024 年秋季学期名单上的学生，其 2025 年春季学期的资助不因此算作已公示；名单和该行都没有写明学期、"
         "或资助表该行的学期为空或无法识别的，不按学期区分。"
         "公示名单中打码的姓名（用「*」「＊」「×」「○」代替部分字，如 王＊伟、刘＊＊、欧阳＊）与同校露出的字相同、位置相同、字数相符的受助学生算作已公示："
         "每个打码符号代表一个字（王＊伟、刘＊＊ 都是三个字），只有末尾单独一个打码符号可代表一个或几个字（张＊ 可以是 张三，也可以是 张三丰）。"
         "一份名单的打码姓名至少两个、且都遮去同样多的字、遮在同样位置的（如 王＊＊、李＊＊、欧阳＊＊，或 王＊伟、李＊国），"
         "视为不论姓名长短一律打成同样宽度，只按露出的字比对：每段连续的打码符号代表一个或几个字（王＊＊ 可以是 王伟，也可以是 王大伟）；"
         "逐字打码、姓名恰好都是三个字的名单也会这样比对，对上的学生因此可能更多。"
         "一个打码姓名能对上同校几名受助学生、而名单上这样的打码姓名少于这些学生时（名单上一个 王＊伟，受助学生有 王大伟、王小伟），"
         "无法确定公示的是谁，这几名学生都不报，计入未能判断的行数。" + OTHER_AID_LISTS,
    why="受助学生名单须经公示（三（四））；公示名单不得公开个人信息，常将姓名部分打码。",
    example="东方技工学校两名领取国家助学金的学生不在该校的公示名单中 → 各报一条；名单上写 王＊伟 的，受助学生 王大伟 不报，王大明 照报；"
            "张三只在 2024 年秋季学期的名单上，2025 年春季学期的名单上没有他 → 报他 2025 年春季学期的资助。",
)
def recipients_not_publicised(ctx: Context) -> pl.LazyFrame | None:
    pub = ctx.frame("publicity")
    acols = ctx.columns("aid")
    a_school = "school_name" in acols
    aid_schools = ctx.lf("aid").select(pl.col("school_name").drop_nulls().unique()).collect().to_series().to_list() \
        if a_school else []
    tids = table_tids(ctx)
    pairs: list[pl.DataFrame] = []
    scopes: list[dict] = []
    by_tid = pub.partition_by("_tid", as_dict=True)
    for t in ctx.tables.get("publicity", []):
        tid = tids.get((t.file, t.sheet))
        if tid is None or (tid,) not in by_tid:
            continue
        part = _with_name_key(by_tid[(tid,)])
        t_terms, t_types = title_scope(t)
        # the terms each name is publicised for: its row's 学期, else those of the list's title
        # (a name with none stands for a recipient of any term)
        row_term = pl.col("term") if "term" in part.columns else pl.lit(None, pl.String)
        part = part.with_columns(_pterm=pl.when(row_term.is_not_null()).then(pl.concat_list(row_term))
                                 .otherwise(pl.lit(sorted(t_terms) or [None], pl.List(pl.String))))
        part = part.explode("_pterm")
        names = part.select("_nk", "_pterm", "_row").drop_nulls("_nk")
        if "term" in part.columns and part["term"].drop_nulls().len():
            t_terms |= set(part["term"].drop_nulls().to_list())
        if "aid_type" in part.columns and part["aid_type"].drop_nulls().len():
            t_types |= set(part["aid_type"].drop_nulls().to_list())
        if "school_name" in part.columns and part["school_name"].drop_nulls().len():
            # each name paired with the aid table's school(s) its list's school stands for (a list
            # writing 东方技工学校 for the aid table's 东方技工学校（东校区）), as the scope is
            named_as = {named: list_schools(named, aid_schools) for named in part["school_name"].drop_nulls().unique().to_list()}
            mapping = pl.DataFrame([(k, v) for k, vs in named_as.items() for v in vs],
                                   schema={"school_name": pl.String, "_school": pl.String}, orient="row")
            # (a name whose school cell is empty matches the name at any school: not reported)
            pairs.append(part.select("_nk", "school_name", "_pterm", "_row").drop_nulls("_nk")
                         .join(mapping, on="school_name", how="left")
                         .filter(pl.col("school_name").is_null() | pl.col("_school").is_not_null())
                         .select("_nk", "_school", "_pterm", "_row", _lid=pl.lit(tid, pl.Int64)))
            schools = sorted({x for vs in named_as.values() for x in vs}, key=lambda x: (x is None, x or ""))
        else:
            # the list's school as every file-level finding takes it (title line, else file name)
            school = ctx.table_school.get(tid)
            schools = list_schools(school, aid_schools)
            pairs.append(names.select("_nk", _school=pl.lit(school if school in aid_schools else None, pl.String),
                                      _pterm=pl.col("_pterm"), _row=pl.col("_row"), _lid=pl.lit(tid, pl.Int64)))
        scopes += [{"_lid": tid, "_school": s, "_terms": sorted(t_terms), "_types": sorted(t_types)} for s in schools]
    if not pairs:
        ctx.options["skip:P403"] = "公示名单中没有姓名"
        return None
    all_pairs = pl.concat(pairs)
    pub_pairs = all_pairs.select("_nk", "_school", "_pterm").unique()
    # A masked name (王*伟, 张*: `mask_parts`) stands for the recipients it fits; the most rows one
    # list has of it (two 王*伟 on one list stand for two recipients), for a term (`_rows`) and in
    # all (`_rows_all`: one row of a list titled for two terms stands for one recipient, not one a term).
    masked = name_masked(pl.col("_nk"))
    # (on a list masking every name to one width, 王** is any 王 with a hidden name: `fixed_width_lists`)
    masked_rows = all_pairs.filter(masked)
    fixed = fixed_width_lists(masked_rows.unique(["_lid", "_nk"], keep="any"))
    masked_rows = masked_rows.with_columns(_fixed=pl.col("_lid").is_in(fixed.implode()))
    most = ["_nk", "_school", "_fixed"]
    # (`_rows_all` only where a row stands for several terms, a list titled for two: the rows of
    # all the lists, which then stand for one recipient each; else none, the terms judged apart)
    by_row = masked_rows.group_by(*most, "_lid", "_row").agg(_terms=pl.col("_pterm").n_unique())
    masks = (masked_rows.group_by(*most, "_pterm", "_lid").agg(pl.col("_row").n_unique().alias("len"))
             .group_by(*most, "_pterm").agg(pl.col("len").max().alias("_rows"))
             .join(by_row.group_by(most).agg(pl.when((pl.col("_terms") > 1).any()).then(pl.len()).alias("_rows_all")),
                   on=most, how="left", nulls_equal=True))
    pub_pairs = pub_pairs.filter(~masked)
    # A name damaged by a GBK save (王?) cannot be matched as written: its readable characters
    # are matched as a pattern, and an aid name so damaged is left to the encoding warning.
    damaged = pub_pairs.filter(nz.name_damaged(pl.col("_nk")))
    pub_pairs = pub_pairs.filter(~nz.name_damaged(pl.col("_nk")))
    aid_names = pl.col("name__key") if "name__key" in acols else nz.name_key(pl.col("name"))
    lf = ctx.lf("aid").filter(pl.col("name").is_not_null()).with_columns(_nk=aid_names)
    recipient, undecided = approved_recipients(acols)
    note_unjudged(ctx, "P403", "aid", {"姓名含乱码（?、？ 或 �）": nz.name_damaged(pl.col("name")),
                                       **({"审批状态为空或无法识别（无审批日期列）": undecided} if undecided is not None else {})})
    lf = lf.filter(~nz.name_damaged(pl.col("name")) & recipient)
    approved = "approved_date" in acols or "approval_status" in acols
    lf = covered(lf, acols, pl.DataFrame(scopes, schema=SCOPE_SCHEMA, orient="row"))
    # A name publicised for a term (`_pterm`: its row's 学期, else the list title's) stands for a
    # recipient of that term only (a 2024秋 list does not publicise the 2025春 grant); a name
    # publicised for no stated term, or a recipient whose term is not known (`_tk` "*"), matches
    # whatever the term.
    lf = lf.with_columns(_tk=pl.col("term").fill_null(ANY_TERM) if "term" in acols else pl.lit(ANY_TERM))
    any_term = pub_pairs.filter(pl.col("_pterm").is_null()).drop("_pterm")
    termed = pub_pairs.filter(pl.col("_pterm").is_not_null())
    termed = pl.concat([termed, termed.with_columns(_pterm=pl.lit(ANY_TERM))]).unique()
    for entries, tk in ((any_term, []), (termed, ["_tk"])):
        pk = ["_pterm"] if tk else []
        any_school = entries.filter(pl.col("_school").is_null()).select("_nk", *pk).unique()
        known = entries.filter(pl.col("_school").is_not_null())
        lf = lf.join(any_school.lazy(), left_on=["_nk", *tk], right_on=["_nk", *pk], how="anti")
        if a_school:
            lf = lf.join(known.lazy(), left_on=["_nk", "school_name", *tk], right_on=["_nk", "_school", *pk], how="anti")
        else:
            lf = lf.join(known.select("_nk", *pk).unique().lazy(), left_on=["_nk", *tk], right_on=["_nk", *pk],
                         how="anti")
    if damaged.height:
        patterns = damaged["_nk"].unique().head(MAX_DAMAGED_PATTERNS)
        lf = lf.filter(~pl.any_horizontal([pl.col("_nk").str.contains(p) for p in
                                           pl.select(nz.name_pattern(pl.lit(patterns))).to_series().to_list()]))
    if masks.height:
        # a recipient a masked name fits is publicised; when more recipients fit a mask than the list
        # has rows of it (王*伟 once, 王大伟 and 王小伟 both recipients), which one it stands for is
        # unknown: neither is reported, both are counted as not judged
        names = lf.select("_nk", pl.col("school_name") if a_school else pl.lit(None, pl.String).alias("school_name"),
                          "_tk")
        fits = masked_matches(names.unique(), masks, a_school)
        on = ["_nk", "school_name", "_tk"] if a_school else ["_nk", "_tk"]
        lf = lf.join(fits.select(*on, "_clear"), on=on, how="left", nulls_equal=True)
        note_unjudged(ctx, "P403", "aid", {"公示名单中的打码姓名（如 王*伟）对应不止一名受助学生，无法确定公示的是谁":
                                           ~pl.col("_clear")}, frame=lf)
        lf = lf.filter(pl.col("_clear").is_null()).drop("_clear")
    lf = lf.drop("_tk")
    who = pl.concat_str([pl.lit("姓名「"), pl.col("name"), pl.lit("」"),
                         *([pl.lit(" + 学校「"), pl.col("school_name").fill_null("未注明"), pl.lit("」")] if a_school else [])])
    msg = pl.concat_str([what(acols), pl.lit("已审批的受助学生" if approved else "的受助学生"), pl.lit("按"), who,
                         pl.lit("在 "), pl.col("_nlists").cast(pl.String),
                         pl.lit(" 份公示名单中均未找到；资助名单须经公示，请核实是否漏公示，或公示名单中的姓名、学校有误")])
    return emit(lf, "aid", msg, field="name",
                key=student_key(acols, pl.col("term") if "term" in acols else pl.lit(None),
                                pl.col("aid_type") if "aid_type" in acols else pl.lit(None)))
