"""Working days (工作日) under the State Council holiday arrangement.

Where the days come from, in order:

1. The policy file's ``[holidays]`` keys (``extra_holidays``, ``extra_workdays``) override every
   other source, for every year.
2. ``chinese-calendar``: the State Council notices (国务院办公厅关于…部分节假日安排的通知), every
   holiday and every weekend make-up workday (调休上班), for the years it knows (2004 to
   ``KNOWN_MAX``).
3. A year chinese-calendar does not know but whose notice the ``holidays`` package already carries
   (its China calendar lists the announced days off and the make-up weekends): that arrangement,
   as announced. Compared with chinese-calendar on every day of 2018–2026 they agree exactly
   (tests/test_calendar_estimate.py), so such a year counts as known, not estimated.
4. Any other year (typically next year before the notice is out in November/December, or a
   year far ahead): an **estimate**, marked as such in the run summary, in every message that
   depended on it and in ``xueji-check workdays``.

The estimate (``estimate_year``) is built from what can be known before the notice:

* the statutory days of the 全国年节及纪念日放假办法 as the ``holidays`` package computes them for
  any year: 元旦 1 January; 春节 农历除夕 to 正月初三 (4 days since 2025; 初一–初三 before);
  清明 by the solar term; 劳动节 1–2 May (2 days since 2025); 端午 and 中秋 by the lunar
  calendar; 国庆 1–3 October;
* the substitute day (补假) that the same 办法 gives for a statutory day falling on a Saturday or
  Sunday (the package puts it on the next working day);
* **plus every weekday that the State Council has made a rest day around them in the notices of
  2014 to 2026** (the years of the 2013 and 2024 versions of the 办法), as a window per holiday
  that holds all of those years' weekdays off:

  - 春节: 除夕 to 初七 (the real break was 7–9 days inside it, weekends included: 2024 初一..初八
    (初八 a Saturday), 2025 除夕..初七, 2026 the Sunday before 除夕..初七);
  - 劳动节: 30 April to 5 May (the real break: 3–5 days, 29 April to 5 May);
  - 国庆节: 1 to 8 October; when 中秋 falls between 27 September and 8 October the two are one
    break, from 中秋 (or 1 October) to 8 October or the day after 中秋 (2012, 2017, 2020, 2023
    and 2025 joined them);
  - 元旦, 清明, 端午 and a separate 中秋 on a Tuesday also make the Monday a rest day, on a
    Thursday also the Friday (the 3-day break the notices have given every such year since 2014).

* no weekend make-up workdays: they cannot be known, so every Saturday and Sunday stays a rest day.

Why this direction. The deadline rules count working days (C201: a change must be reported
within ``change_report_workdays`` working days). An estimate with too few rest days counts too
many working days and would make a school's report look late when under the real arrangement it
was on time: a false accusation, which is worse for an inspector than a missed warning. The
estimate therefore takes the widest break the notices have given and drops the make-up
Saturdays/Sundays: every day that is a working day in the estimate was a working day in the real
calendar of each year 2014–2026 (checked day by day in the tests; the one exception is the
one-off 抗战胜利70周年 holiday of 3–4 September 2015), so for any span the estimate counts at most as
many working days as the real calendar, and a deadline computed from it is never earlier. The
statutory days alone would not do: 2025's 国庆 break was 1–8 October, the statutory days plus 补假
only 1–3 and 6 October (中秋), so a report made on 10 October would look 2 working days later than
it was. The price, measured on 2014–2026: the estimate has 1–6 weekdays a year too many off (9 in
2015, when 中秋 on 27 September was not joined to 国庆) and misses the 5–8 make-up
Saturdays/Sundays, so in an estimated year the tool may miss a report that was a few days late
around a break. Years the package does not compute (before 1950, after 2100) have weekends only,
still marked as estimated.

The other direction: a minimum-length check (P401, 公示满 5 个工作日) must not count too few
working days, or a publicity period spanning a break would look shorter than it was. For it
``WorkCalendar.for_minimums()`` uses the opposite bound (``estimate_year_most_workdays``): only the
statutory days and 补假 are days off, and every Saturday/Sunday within 8 days of a break counts as a
possible make-up workday (all make-up days of 2014–2026 but 2015's one-off lay that close). It is
loose (about 35 weekend days a year counted as working), so in an estimated year P401 flags only
a period that is short whatever the arrangement turns out to be; its advice (公示到哪天) still comes
from the deadline estimate, the later date. Both carry the estimate note.

What differs between the ``holidays`` package and chinese-calendar (2018–2026, every day): with the
State Council notices it carries, nothing. Without them (its computation for a year not yet
announced) it has the statutory days and their 补假, every one of them a real day off, and lacks
per year the 5–9 bridging weekdays of the notices (春节 and 国庆 2 each, 3 in 2020; 劳动节 1–2; a
Monday or Friday next to a Tuesday or Thursday holiday) and all 5–8 make-up workdays;
``tests/test_calendar_estimate.py`` pins these numbers.

Whole columns are handled by joining a precomputed calendar table (``CalendarFrame``), never by
per-row Python calls.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache, cached_property

import chinese_calendar
import polars as pl
from chinese_calendar import constants as cc_constants

from xueji_check.policy import Policy

_CC_YEARS = {d.year for d in cc_constants.holidays} | {d.year for d in cc_constants.workdays}
CC_MIN, CC_MAX = min(_CC_YEARS), max(_CC_YEARS)
UNKNOWN_NOTE = ("（{years} 年的节假日安排日历未收录，工作日为估计值：法定节假日按公历和农历推算，"
                "春节、国庆等前后按往年调休范围从宽计为放假，不计调休上班日；"
                "可在策略文件 [holidays] 中补正）")
ESTIMATED = "估计"  # the mark on a day's name in an estimated year


def _lib_announced_years() -> set[int]:
    """Years whose State Council notice the installed `holidays` package carries (its China
    calendar's substituted days off and make-up weekends). Empty if the package's layout changed."""
    try:
        from holidays.countries.china import ChinaStaticHolidays
    except ImportError:  # pragma: no cover - the dependency is declared
        return set()
    return {y for y in getattr(ChinaStaticHolidays, "special_public_holidays", {}) if isinstance(y, int)}


def _known_max() -> int:
    top = CC_MAX
    announced = _lib_announced_years()
    while top + 1 in announced:
        top += 1
    return top


KNOWN_MIN = CC_MIN
KNOWN_MAX = _known_max()


@dataclass(frozen=True)
class YearPlan:
    """The rest days and make-up workdays of one year outside chinese-calendar.

    rest: every day off that is not a plain weekend, and the weekend days of a holiday, with its
    Chinese name (weekday names end in （估计） when estimated); makeup: weekend days that are
    working days; estimated: True when the year's notice is not known (see the module docstring).
    """

    year: int
    rest: dict[dt.date, str]
    makeup: frozenset[dt.date]
    estimated: bool


def _china(years: int | list[int], announced: bool):
    """The `holidays` package's China calendar (Chinese names). Without `announced`, the State
    Council's substituted days and make-up weekends are left out: only the statutory days and
    their 补假, which is all the package can compute for a year not yet announced."""
    import holidays

    if announced:
        return holidays.China(years=years, language="zh_CN")
    h = holidays.China(language="zh_CN")
    h.special_public_holidays = {}
    h.special_public_holidays_observed = {}
    h.weekend_workdays = set()
    for y in [years] if isinstance(years, int) else years:
        _ = dt.date(y, 1, 1) in h  # populate the year
    return h


def _base(name: str) -> str:
    return name.split("（", 1)[0]


def estimate_year(year: int) -> dict[dt.date, str]:
    """The estimated rest days (not plain weekends) of `year` with their names, for a year whose
    notice is not known: statutory days and 补假 from the `holidays` package, plus the bridging
    windows of the module docstring. Weekend days are included only where they are statutory
    (they are rest days anyway). Pure function of the year; works for known years too (the tests
    compare it with the real arrangement)."""
    out: dict[dt.date, str] = {}

    def put(d: dt.date, name: str) -> None:
        if d.year == year and d not in out:
            out[d] = name

    def bridge(d: dt.date, name: str) -> None:
        if d.weekday() < 5:
            put(d, f"{name}前后调休（{ESTIMATED}）")

    # Statutory days of this year; 元旦 of next year may bridge back to 31 December.
    h = _china([year, year + 1] if year < dt.MAXYEAR else [year], announced=False)
    if not any(d.year == year for d in h):
        return out  # outside the years the package computes (1950 on): weekends only
    named: dict[str, list[dt.date]] = {}
    for d in sorted(h):
        names = h.get_list(d)
        for n in names:
            if "补假" not in n:
                named.setdefault(_base(n), []).append(d)
        if d.year == year:
            put(d, "、".join(dict.fromkeys(
                f"{_base(n)}补假" if "补假" in n else _base(n) for n in names)) + f"（{ESTIMATED}）")

    def first(name: str, y: int) -> dt.date | None:
        ds = [d for d in named.get(name, []) if d.year == y]
        return min(ds) if ds else None

    spring = first("春节", year)
    if spring:
        for i in range(-1, 8):  # 除夕 to 初七
            bridge(spring + dt.timedelta(days=i), "春节")
    for i in range(6):  # 30 April to 5 May
        bridge(dt.date(year, 4, 30) + dt.timedelta(days=i), "劳动节")
    mid_autumn = first("中秋节", year)
    oct1, oct8 = dt.date(year, 10, 1), dt.date(year, 10, 8)
    joined = mid_autumn is not None and dt.date(year, 9, 27) <= mid_autumn <= oct8
    lo = min(mid_autumn, oct1) if joined else oct1
    hi = max(oct8, mid_autumn + dt.timedelta(days=1)) if joined else oct8
    for i in range((hi - lo).days + 1):
        bridge(lo + dt.timedelta(days=i), "国庆节" if not joined else "国庆节、中秋节")
    singles = [("元旦", first("元旦", year)), ("清明节", first("清明节", year)),
               ("端午节", first("端午节", year))]
    if year < dt.MAXYEAR:
        singles.append(("元旦", first("元旦", year + 1)))
    if not joined:
        singles.append(("中秋节", mid_autumn))
    for name, d in singles:
        if d is None:
            continue
        if d.weekday() == 1:
            bridge(d - dt.timedelta(days=1), name)
        elif d.weekday() == 3:
            bridge(d + dt.timedelta(days=1), name)
    return out


MAKEUP_REACH = 8  # days: every make-up weekend of 2014–2026 but 2015's one-off lay this near a break


def estimate_year_most_workdays(year: int) -> tuple[dict[dt.date, str], frozenset[dt.date]]:
    """The opposite bound, for minimum-length checks (P401): (rest, makeup) where rest is only
    the statutory days and their 补假 (each a real day off in every year 2014–2026) and makeup
    every other Saturday/Sunday within MAKEUP_REACH days of a break of `estimate_year` (the
    notices' make-up weekends all lay there). A span never has fewer working days under it than
    under the real calendar (checked on 2014–2026 in the tests)."""
    near = {**estimate_year(year - 1), **estimate_year(year), **estimate_year(year + 1)} \
        if dt.MINYEAR < year < dt.MAXYEAR else estimate_year(year)
    rest = {d: n for d, n in estimate_year(year).items() if "调休" not in n}
    makeup: set[dt.date] = set()
    for d in near:
        for i in range(-MAKEUP_REACH, MAKEUP_REACH + 1):
            m = d + dt.timedelta(days=i)
            if m.year == year and m.weekday() >= 5 and m not in rest:
                makeup.add(m)
    return rest, frozenset(makeup)


@cache
def year_plan(year: int, most_workdays: bool = False) -> YearPlan:
    """The plan of a year outside chinese-calendar: the `holidays` package's announced
    arrangement if it carries the year's notice, else the estimate (`estimate_year`, or with
    `most_workdays` the opposite bound `estimate_year_most_workdays`)."""
    if year in _lib_announced_years():
        h = _china([year, year + 1], announced=True)
        rest = {d: "、".join(_base(n) for n in h.get_list(d)) for d in sorted(h) if d.year == year}
        makeup = frozenset(d for d in h.weekend_workdays if d.year == year)
        return YearPlan(year, rest, makeup, estimated=False)
    if most_workdays:
        rest, makeup = estimate_year_most_workdays(year)
        return YearPlan(year, rest, makeup, estimated=True)
    return YearPlan(year, estimate_year(year), frozenset(), estimated=True)


class WorkCalendar:
    """Working days for a run: chinese-calendar, the `holidays` package for the years it does
    not know, the policy's [holidays] overrides on top. `unknown_years_used` collects the
    estimated years a computation touched (for the run summary)."""

    def __init__(self, policy: Policy | None = None, *, most_workdays: bool = False) -> None:
        policy = policy or Policy()
        self.policy = policy
        self.most_workdays = most_workdays
        self.extra_holidays = set(policy.extra_holidays)
        self.extra_workdays = set(policy.extra_workdays)
        self.unknown_years_used: set[int] = set()

    def for_minimums(self) -> WorkCalendar:
        """The same calendar with the opposite estimate (`estimate_year_most_workdays`), for a
        check that a period lasted at least N working days (P401): in an estimated year it never
        counts fewer working days than the real calendar would. Known years are unchanged; the
        estimated years it touches are recorded in this calendar's `unknown_years_used`."""
        other = WorkCalendar(self.policy, most_workdays=True)
        other.unknown_years_used = self.unknown_years_used
        return other

    @staticmethod
    def year_known(year: int) -> bool:
        """True when the year's real arrangement is known (not estimated)."""
        return KNOWN_MIN <= year <= KNOWN_MAX

    @staticmethod
    def _in_cc(year: int) -> bool:
        return CC_MIN <= year <= CC_MAX

    def is_workday(self, d: dt.date) -> bool:
        if d in self.extra_workdays:
            return True
        if d in self.extra_holidays:
            return False
        if self._in_cc(d.year):
            return chinese_calendar.is_workday(d)
        plan = year_plan(d.year, self.most_workdays)
        if plan.estimated:
            self.unknown_years_used.add(d.year)
        if d in plan.makeup:
            return True
        if d in plan.rest:
            return False
        return d.weekday() < 5

    def is_estimated(self, d: dt.date) -> bool:
        """True when the day's status comes from the estimate (not the policy file, not a notice)."""
        return not (d in self.extra_workdays or d in self.extra_holidays or self.year_known(d.year))

    def holiday_name(self, d: dt.date) -> str | None:
        """The Chinese name of a day off other than a plain weekend (None for a working day or a
        plain weekend); an estimated day's name ends in （估计）."""
        if d in self.extra_workdays:
            return None
        if d in self.extra_holidays:
            return "节假日（策略文件）"
        if self._in_cc(d.year):
            on_holiday, name = chinese_calendar.get_holiday_detail(d)
            if on_holiday and name:
                return _HOLIDAY_ZH.get(name, name)
            return None
        plan = year_plan(d.year, self.most_workdays)
        if d in plan.makeup:
            return None
        return plan.rest.get(d)

    def is_makeup_workday(self, d: dt.date) -> bool:
        return d.weekday() >= 5 and self.is_workday(d)

    def mark_used(self, *dates: pl.Series) -> set[int]:
        """Record the unknown years among whole date columns a rule depends on (for the run
        summary); return them. One pass over each column, no per-row Python."""
        years: set[int] = set()
        for s in dates:
            ys = s.dt.year().drop_nulls().unique()
            years |= {y for y in ys.to_list() if not self.year_known(y)}
        self.unknown_years_used |= years
        return years

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after `start` (exclusive) up to `end` (inclusive); negative if end < start."""
        if end < start:
            return -self.workdays_between(end, start)
        if not self.year_known(start.year) or not self.year_known(end.year):
            self.unknown_years_used.update(y for y in range(start.year, end.year + 1) if not self.year_known(y))
        return sum(1 for i in range(1, (end - start).days + 1) if self.is_workday(start + dt.timedelta(days=i)))

    def nth_workday_after(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day after `start` (start itself not counted)."""
        d, count = start, 0
        while count < n:
            d += dt.timedelta(days=1)
            if self.is_workday(d):
                count += 1
        return d

    def workdays_in(self, first: dt.date, last: dt.date) -> int:
        """Working days in the closed range [first, last]."""
        return self.workdays_between(first - dt.timedelta(days=1), last)

    # ------------------------------------------------------------ vectorised
    def table(self, first: dt.date, last: dt.date) -> pl.DataFrame:
        """One row per date from `first` to `last`: date, workday, cum (working days up to and
        including the date), known (the year's real arrangement is known), estimated (the day's
        status is an estimate: an unknown year and not set by the policy file)."""
        first, last = min(first, last), max(first, last)
        df = pl.DataFrame({"date": pl.date_range(first, last, "1d", eager=True)})
        rest: list[dt.date] = [d for d in cc_constants.holidays if first <= d <= last]
        make: list[dt.date] = [d for d in cc_constants.workdays if first <= d <= last]
        for y in range(first.year, last.year + 1):
            if not self._in_cc(y):
                plan = year_plan(y, self.most_workdays)
                rest += [d for d in plan.rest if first <= d <= last]
                make += [d for d in plan.makeup if first <= d <= last]
        policy = sorted(self.extra_workdays | self.extra_holidays)
        date = pl.col("date")
        work = (
            pl.when(date.is_in(sorted(self.extra_workdays))).then(True)
            .when(date.is_in(sorted(self.extra_holidays))).then(False)
            .when(date.is_in(sorted(make))).then(True)
            .when(date.is_in(sorted(rest))).then(False)
            .otherwise(date.dt.weekday() <= 5)
        )
        known = date.dt.year().is_between(KNOWN_MIN, KNOWN_MAX)
        return df.with_columns(
            workday=work, known=known, estimated=~known & ~date.is_in(policy),
        ).with_columns(cum=pl.col("workday").cast(pl.Int32).cum_sum()).select(
            "date", "workday", "cum", "known", "estimated")

    def note_unknown(self, years: set[int]) -> str:
        """The estimate note (Chinese, in full-width brackets) for the estimated years among
        `years`, registered for the run summary; empty text if none. Runs of 3 or more years
        are written as a range (2027–2100)."""
        years = {y for y in years if not self.year_known(y)}
        if not years:
            return ""
        self.unknown_years_used |= years
        return UNKNOWN_NOTE.format(years=year_list(years))


WEEKDAYS_ZH = "一二三四五六日"


def workdays_lines(cal: WorkCalendar, start: dt.date, end: dt.date) -> list[str]:
    """What `xueji-check workdays START END` prints (start <= end): the working days from `start`
    to `end` counted both ways the rules count them — both ends included, as P401 counts a
    publicity period, and `start` left out, as C201 counts the working days after a change — then
    the holidays and make-up working days from `start` to `end`, and the notes on estimated years.
    A school planning a 公示期 reads the first count: the second alone would tell it one day short
    of what P401 counts. In an estimated year both counts use the listed days (the estimate with
    the fewer working days: safe to plan a period of at least N days by); P401 itself counts
    with `for_minimums` (never fewer), and a note says so when that gives more."""
    both = cal.workdays_in(start, end)
    after = cal.workdays_between(start, end)
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    est = "（估计）" if any(cal.is_estimated(d) for d in days) else ""
    lines = [f"{start} 至 {end}：首尾两天都计入共 {both} 个工作日{est}（资助公示期按此计算，P401）；"
             f"不含 {start}、含 {end} 为 {after} 个工作日{est}（学籍异动申报期限按此计算：自异动发生次日起算，C201）"]
    for d in days:
        name = cal.holiday_name(d)
        if name:
            lines.append(f"  {d} 星期{WEEKDAYS_ZH[d.weekday()]} 放假：{name}")
        elif cal.is_makeup_workday(d):
            lines.append(f"  {d} 星期{WEEKDAYS_ZH[d.weekday()]} 调休上班")
    generous = cal.for_minimums().workdays_in(start, end) if est else both
    if generous != both:
        lines.append(f"注意：检查公示期（P401）时，估计的年份按不会误判公示天数不足的方向估计，这段时间计为 {generous} 个工作日；"
                     f"安排公示期请按上面的 {both} 个计算，以免国务院公布放假安排后天数不足")
    note = cal.note_unknown(set(cal.unknown_years_used) | {start.year, end.year})
    if note:
        lines.append("注意：" + note.strip("（）"))
    return lines


def year_list(years: set[int]) -> str:
    """2027、2028 or 1990–2003、2027–2100: sorted years, runs of 3 or more as ranges."""
    out: list[str] = []
    ys = sorted(years)
    i = 0
    while i < len(ys):
        j = i
        while j + 1 < len(ys) and ys[j + 1] == ys[j] + 1:
            j += 1
        out.append(f"{ys[i]}–{ys[j]}" if j - i >= 2 else "、".join(str(y) for y in ys[i:j + 1]))
        i = j + 1
    return "、".join(out)


_HOLIDAY_ZH = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节", "Dragon Boat Festival": "端午节", "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节", "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


class CalendarFrame:
    """A calendar table covering a run's dates, for joins."""

    def __init__(self, cal: WorkCalendar, first: dt.date, last: dt.date) -> None:
        self.cal = cal
        self.first = first - dt.timedelta(days=400)
        self.last = last + dt.timedelta(days=400)

    @cached_property
    def frame(self) -> pl.DataFrame:
        return self.cal.table(self.first, self.last)

    def workdays_between(self, lf: pl.LazyFrame, start: str, end: str, out: str) -> pl.LazyFrame:
        """Add `out`: working days from `start` (exclusive) to `end` (inclusive)."""
        cal = self.frame.lazy().select("date", "cum")
        lf = lf.join(cal.rename({"date": start, "cum": "_c0"}), on=start, how="left", maintain_order="left")
        lf = lf.join(cal.rename({"date": end, "cum": "_c1"}), on=end, how="left", maintain_order="left")
        return lf.with_columns((pl.col("_c1") - pl.col("_c0")).alias(out)).drop("_c0", "_c1")

    def nth_workday_after(self, lf: pl.LazyFrame, start: str, n: int | pl.Expr, out: str) -> pl.LazyFrame:
        """Add `out`: the n-th working day after `start`."""
        cal = self.frame.lazy()
        work = cal.filter(pl.col("workday")).select(pl.col("cum").alias("_target"), pl.col("date").alias(out))
        lf = lf.join(cal.select(pl.col("date").alias(start), pl.col("cum").alias("_c0")), on=start, how="left",
                     maintain_order="left")
        lf = lf.with_columns(_target=(pl.col("_c0") + n).cast(pl.Int32))
        return lf.join(work, on="_target", how="left", maintain_order="left").drop("_c0", "_target")

    def workdays_in(self, lf: pl.LazyFrame, first: str, last: str, out: str) -> pl.LazyFrame:
        cal = self.frame.lazy().select("date", "cum", "workday")
        lf = lf.join(cal.rename({"date": first, "cum": "_c0", "workday": "_w0"}), on=first, how="left",
                     maintain_order="left")
        lf = lf.join(cal.select(pl.col("date").alias(last), pl.col("cum").alias("_c1")), on=last, how="left",
                     maintain_order="left")
        return lf.with_columns(
            (pl.col("_c1") - pl.col("_c0") + pl.col("_w0").cast(pl.Int32)).alias(out)
        ).drop("_c0", "_c1", "_w0")

    @staticmethod
    def estimated(*cols: str | pl.Expr) -> pl.Expr:
        """True where a span between these dates touches a year whose arrangement is estimated
        (see the module docstring): the message should say so. Known years are one contiguous
        range, so checking the ends is enough."""
        exprs = [pl.col(c) if isinstance(c, str) else c for c in cols]
        return pl.any_horizontal([~e.dt.year().is_between(KNOWN_MIN, KNOWN_MAX) for e in exprs]).fill_null(False)
