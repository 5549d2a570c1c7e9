"""Working days (工作日) under the State Council holiday arrangement.

Built on `chinese-calendar` (holidays and weekend make-up workdays). For a year the installed
package does not know, weekends only plus the policy's `[holidays]` overrides, flagged so that
every message depending on it can say so. Whole columns are handled by joining a precomputed
calendar table, never by per-row Python calls.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property

import chinese_calendar
import polars as pl
from chinese_calendar import constants as cc_constants

from xueji_check.policy import Policy

_KNOWN_YEARS = {d.year for d in cc_constants.holidays} | {d.year for d in cc_constants.workdays}
KNOWN_MIN, KNOWN_MAX = min(_KNOWN_YEARS), max(_KNOWN_YEARS)
UNKNOWN_NOTE = "（{years} 年的节假日安排日历未收录，按周末计算并使用策略文件 [holidays] 的补充）"


class WorkCalendar:
    def __init__(self, policy: Policy | None = None) -> None:
        policy = policy or Policy()
        self.extra_holidays = set(policy.extra_holidays)
        self.extra_workdays = set(policy.extra_workdays)
        self.unknown_years_used: set[int] = set()

    @staticmethod
    def year_known(year: int) -> bool:
        return KNOWN_MIN <= year <= KNOWN_MAX

    def is_workday(self, d: dt.date) -> bool:
        if d in self.extra_workdays:
            return True
        if d in self.extra_holidays:
            return False
        if self.year_known(d.year):
            return chinese_calendar.is_workday(d)
        self.unknown_years_used.add(d.year)
        return d.weekday() < 5

    def holiday_name(self, d: dt.date) -> str | None:
        if d in self.extra_workdays:
            return None
        if d in self.extra_holidays:
            return "节假日（策略文件）"
        if self.year_known(d.year):
            on_holiday, name = chinese_calendar.get_holiday_detail(d)
            if on_holiday and name:
                return _HOLIDAY_ZH.get(name, name)
        return None

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
        """One row per date: date, workday, cum (working days up to and including the date),
        known (the year is in the official calendar)."""
        first = min(first, last)
        dates = pl.date_range(first, last, "1d", eager=True).alias("date")
        df = pl.DataFrame({"date": dates})
        hol = [d for d in cc_constants.holidays if first <= d <= last]
        mk = [d for d in cc_constants.workdays if first <= d <= last]
        known = df["date"].dt.year().is_between(KNOWN_MIN, KNOWN_MAX)
        weekday = df["date"].dt.weekday() <= 5
        work = (
            pl.when(pl.col("date").is_in(sorted(self.extra_workdays))).then(True)
            .when(pl.col("date").is_in(sorted(self.extra_holidays))).then(False)
            .when(pl.col("known") & pl.col("date").is_in(mk)).then(True)
            .when(pl.col("known") & pl.col("date").is_in(hol)).then(False)
            .otherwise(pl.col("weekday"))
        )
        df = df.with_columns(known=known, weekday=weekday).with_columns(workday=work)
        return df.with_columns(cum=pl.col("workday").cast(pl.Int32).cum_sum()).drop("weekday")

    def note_unknown(self, years: set[int]) -> str:
        years = {y for y in years if not self.year_known(y)}
        if not years:
            return ""
        self.unknown_years_used |= years
        return UNKNOWN_NOTE.format(years="、".join(str(y) for y in sorted(years)))


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
        """True where a span between these dates touches a year the installed calendar does not
        know (weekends plus [holidays] only): the message should say so. Known years are one
        contiguous range, so checking the ends is enough."""
        exprs = [pl.col(c) if isinstance(c, str) else c for c in cols]
        return pl.any_horizontal([~e.dt.year().is_between(KNOWN_MIN, KNOWN_MAX) for e in exprs]).fill_null(False)
