"""Years chinese-calendar does not know: the `holidays` package's China calendar, compared with
chinese-calendar day by day, and the estimate built on it (see xueji_check.calendar's docstring)."""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import polars as pl
import pytest

from conftest import make_id, write_xlsx
from xueji_check.calendar import (
    CC_MAX,
    KNOWN_MAX,
    CalendarFrame,
    WorkCalendar,
    _china,
    _lib_announced_years,
    estimate_year,
    estimate_year_most_workdays,
    year_plan,
)
from xueji_check.policy import Policy

D = dt.date


def _days(year: int):
    d = D(year, 1, 1)
    while d.year == year:
        yield d
        d += dt.timedelta(days=1)


def _real_workday(d: dt.date) -> bool:
    return chinese_calendar.is_workday(d)


def _estimate_workday(d: dt.date, est: dict[dt.date, str]) -> bool:
    return d.weekday() < 5 and d not in est


# ------------------------------------------------------------------ the package against chinese-calendar
def test_package_with_the_notices_agrees_with_chinese_calendar_every_day_2018_2026():
    years = sorted(y for y in _lib_announced_years() if 2018 <= y <= min(2026, CC_MAX))
    assert years[:8] == list(range(2018, 2026)), years  # the package carries these notices
    h = _china(list(range(years[0] - 1, years[-1] + 2)), announced=True)
    wrong = [d for y in years for d in _days(y) if h.is_working_day(d) != _real_workday(d)]
    assert wrong == []


# Per year: weekdays off in the notices that the statutory days + 补假 do not have (bridging), and
# weekend make-up workdays. What the package cannot compute for a year not yet announced.
BRIDGING = {2018: 7, 2019: 6, 2020: 9, 2021: 7, 2022: 7, 2023: 7, 2024: 8, 2025: 5, 2026: 6}
MAKEUP = {2018: 7, 2019: 6, 2020: 6, 2021: 7, 2022: 7, 2023: 7, 2024: 8, 2025: 5, 2026: 6}


@pytest.mark.parametrize("year", sorted(BRIDGING))
def test_package_without_the_notices_has_statutory_days_only(year):
    h = _china(year, announced=False)
    statutory_off = [d for d in _days(year) if d in h]
    # every statutory day and 补假 is a real day off ...
    assert [d for d in statutory_off if _real_workday(d)] == []
    # ... but the bridging days and the make-up weekends are missing
    bridging = [d for d in _days(year) if d.weekday() < 5 and not _real_workday(d) and h.is_working_day(d)]
    makeup = [d for d in _days(year) if d.weekday() >= 5 and _real_workday(d)]
    assert (len(bridging), len(makeup)) == (BRIDGING[year], MAKEUP[year])
    assert not h.weekend_workdays


def test_statutory_count_since_2025():
    # 春节 4 days (除夕..初三), 劳动节 2, 国庆 3, 元旦/清明/端午/中秋 1 each: 13 days.
    for year in (2027, 2029, 2033):
        h = _china(year, announced=False)
        names = [n for d in _days(year) for n in h.get_list(d) if "补假" not in n]
        counts = {n: names.count(n) for n in set(names)}
        assert counts == {"元旦": 1, "农历除夕": 1, "春节": 3, "清明节": 1, "劳动节": 2, "端午节": 1,
                          "中秋节": 1, "国庆节": 3}, (year, counts)


# ------------------------------------------------------------------ the estimate
@pytest.mark.parametrize("year", range(2014, 2027))
def test_estimate_never_has_a_working_day_that_was_a_real_day_off(year):
    """The estimate's working days are a subset of the real ones (2014–2026), so it never counts
    more working days in any span: a deadline from it is never earlier than the real one."""
    est = estimate_year(year)
    missed = [d for d in _days(year) if not _real_workday(d) and _estimate_workday(d, est)]
    if year == 2015:  # the one-off 抗战胜利70周年 holiday
        assert missed == [D(2015, 9, 3), D(2015, 9, 4)]
    else:
        assert missed == []
    # and it is not wildly generous: a handful of weekdays a year too many off
    extra = [d for d in _days(year) if d.weekday() < 5 and _real_workday(d) and d in est]
    assert 1 <= len(extra) <= (9 if year == 2015 else 6), extra


def test_estimated_span_counts_never_exceed_real_counts_around_breaks():
    # Every span of up to 25 days starting in the breaks' months of 2018–2026.
    for year in range(2018, 2027):
        est = estimate_year(year) | estimate_year(year + 1) if year < 2026 else estimate_year(year)
        for month in (1, 2, 4, 5, 9, 10):
            for day in range(1, 29):
                start = D(year, month, day)
                real = est_n = 0
                for i in range(1, 26):
                    d = start + dt.timedelta(days=i)
                    if d.year > 2026:
                        break
                    real += _real_workday(d)
                    est_n += _estimate_workday(d, est)
                    assert est_n <= real, (start, d)


def test_2027_national_day_and_2028_spring_festival():
    cal = WorkCalendar()
    off_2027 = [d for d in (D(2027, 9, 30) + dt.timedelta(days=i) for i in range(10)) if not cal.is_workday(d)]
    assert off_2027 == [D(2027, 10, i) for i in range(1, 10)]  # 10-01 (Fri) .. 10-08 (Fri), 10-09 (Sat)
    assert cal.holiday_name(D(2027, 10, 1)) == "国庆节（估计）"
    assert cal.holiday_name(D(2027, 10, 4)) == "国庆节补假（估计）"  # for 10-02 (Sat)
    assert cal.holiday_name(D(2027, 10, 7)) == "国庆节前后调休（估计）"
    assert cal.is_workday(D(2027, 9, 30)) and cal.is_workday(D(2027, 10, 11))
    assert not cal.is_workday(D(2027, 10, 9))  # a Saturday: make-up days cannot be known
    # 2028: 初一 is 26 January (Wed); 除夕 25 January .. 初七 2 February off.
    assert cal.holiday_name(D(2028, 1, 25)) == "农历除夕（估计）"
    assert cal.holiday_name(D(2028, 1, 26)) == "春节（估计）"
    assert cal.holiday_name(D(2028, 2, 2)) == "春节前后调休（估计）"
    assert cal.is_workday(D(2028, 1, 24)) and cal.is_workday(D(2028, 2, 3))
    assert cal.workdays_between(D(2028, 1, 24), D(2028, 2, 3)) == 1
    assert cal.nth_workday_after(D(2028, 1, 21), 3) == D(2028, 2, 4)
    assert cal.unknown_years_used == {2027, 2028}


def test_mid_autumn_next_to_national_day_is_one_break():
    cal = WorkCalendar()
    # 2034: 中秋 on Wednesday 27 September; the break runs to 8 October.
    assert cal.holiday_name(D(2034, 9, 27)) == "中秋节（估计）"
    assert [cal.is_workday(D(2034, 9, d)) for d in (26, 27, 28, 29)] == [True, False, False, False]
    assert cal.holiday_name(D(2034, 9, 28)) == "国庆节、中秋节前后调休（估计）"
    assert not cal.is_workday(D(2034, 10, 6)) and cal.is_workday(D(2034, 10, 9))
    # 2028: 中秋 on 3 October, inside 国庆.
    assert cal.holiday_name(D(2028, 10, 3)) == "中秋节、国庆节（估计）"
    assert [d for d in (D(2028, 10, 1) + dt.timedelta(days=i) for i in range(10)) if cal.is_workday(d)] \
        == [D(2028, 10, 9), D(2028, 10, 10)]
    # 2027: 中秋 on Wednesday 15 September, far from 国庆: one day, no bridge.
    assert [cal.is_workday(D(2027, 9, d)) for d in (14, 15, 16)] == [True, False, True]


def test_single_day_holidays_bridge_to_the_weekend():
    cal = WorkCalendar()
    # 2030-01-01 is a Tuesday: Monday 31 December 2029 is off too.
    assert cal.holiday_name(D(2029, 12, 31)) == "元旦前后调休（估计）"
    # 2028 清明 is Tuesday 4 April: Monday 3 April off.
    assert not cal.is_workday(D(2028, 4, 3)) and cal.is_workday(D(2028, 4, 5))
    # 2027 端午 is Wednesday 9 June: no bridge either side.
    assert [cal.is_workday(D(2027, 6, d)) for d in (8, 9, 10)] == [True, False, True]


def test_policy_overrides_the_estimate():
    pol = Policy(extra_holidays=(D(2027, 9, 30),), extra_workdays=(D(2027, 10, 8), D(2027, 10, 9)))
    cal = WorkCalendar(pol)
    assert not cal.is_workday(D(2027, 9, 30)) and cal.holiday_name(D(2027, 9, 30)) == "节假日（策略文件）"
    assert cal.is_workday(D(2027, 10, 8)) and cal.is_makeup_workday(D(2027, 10, 9))
    assert cal.holiday_name(D(2027, 10, 8)) is None
    assert not cal.is_estimated(D(2027, 10, 9)) and cal.is_estimated(D(2027, 10, 10))
    frame = cal.table(D(2027, 9, 28), D(2027, 10, 12))
    row = {r["date"]: r for r in frame.iter_rows(named=True)}
    assert row[D(2027, 10, 8)]["workday"] and not row[D(2027, 10, 8)]["estimated"]
    assert not row[D(2027, 10, 7)]["workday"] and row[D(2027, 10, 7)]["estimated"]


def test_known_years_are_not_estimated():
    cal = WorkCalendar()
    assert KNOWN_MAX >= CC_MAX >= 2026
    assert not year_plan(2027).makeup and year_plan(2027).estimated
    frame = cal.table(D(2026, 12, 25), D(2027, 1, 5))
    est = dict(zip(frame["date"].to_list(), frame["estimated"].to_list(), strict=True))
    assert not est[D(2026, 12, 31)] and est[D(2027, 1, 1)]
    assert cal.workdays_between(D(2024, 9, 27), D(2024, 10, 14)) == 8 and not cal.unknown_years_used


def test_years_the_package_does_not_compute_fall_back_to_weekends():
    assert estimate_year(2101) == {} and estimate_year(1949) == {}
    cal = WorkCalendar()
    assert cal.is_workday(D(2101, 10, 3))  # a Monday
    assert cal.workdays_between(D(9999, 12, 1), D(9999, 12, 31)) == 22
    assert cal.unknown_years_used == {2101, 9999}


def test_vectorised_matches_scalar_in_estimated_years():
    pol = Policy(extra_holidays=(D(2028, 3, 1),), extra_workdays=(D(2027, 10, 9),))
    cal = WorkCalendar(pol)
    starts = [D(2026, 11, 1) + dt.timedelta(days=i * 7) for i in range(120)]
    ends = [s + dt.timedelta(days=(i * 13) % 40) for i, s in enumerate(starts)]
    frame = CalendarFrame(cal, min(starts), max(ends))
    lf = pl.LazyFrame({"a": starts, "b": ends})
    got = frame.nth_workday_after(frame.workdays_between(lf, "a", "b", "n"), "a", 10, "d").collect()
    assert got["n"].to_list() == [cal.workdays_between(a, b) for a, b in zip(starts, ends, strict=True)]
    assert got["d"].to_list() == [cal.nth_workday_after(a, 10) for a in starts]


# ------------------------------------------------------------------ through the CLI
def test_cli_workdays_marks_estimated_days(cli):
    res = cli("workdays", "2026-12-28", "2027-01-12")
    assert res.code == 0
    assert "10 个工作日（估计）" in res.stdout
    assert "2027-01-01 星期五 放假：元旦（估计）" in res.stdout
    assert "注意" in res.stdout and "2027 年" in res.stdout and "估计" in res.stdout
    res = cli("workdays", "2027-09-28", "2027-10-12")
    assert "2027-10-06 星期三 放假：国庆节前后调休（估计）" in res.stdout
    assert "星期六 调休上班" not in res.stdout and "星期日 调休上班" not in res.stdout
    res = cli("workdays", "2026-09-28", "2026-10-12")  # known: the notice's own days, no mark
    assert "估计" not in res.stdout and "注意" not in res.stdout
    assert "2026-10-10 星期六 调休上班" in res.stdout


CHANGE_HEADERS = ["学籍号", "姓名", "身份证号", "学校名称", "异动类型", "异动日期", "申报日期"]


def _changes(tmp_path, rows):
    return write_xlsx(tmp_path / "异动.xlsx", [CHANGE_HEADERS, *rows], title="东方技工学校学籍异动记录")


def test_c201_in_an_estimated_year_counts_computed_holidays(tmp_path, cli):
    ids = [make_id("20030101", seq=f"{100 + i:03d}") for i in range(5)]
    f = _changes(tmp_path, [
        # 元旦 2027 is a Friday: 12-29..31, 01-04..08, 01-11, 01-12 = 10 working days, on time
        ["S1", "张一", ids[0], "东方技工学校", "退学", "2026-12-28", "2027-01-12"],
        # one day more: late, and the message says the count is an estimate
        ["S2", "张二", ids[1], "东方技工学校", "退学", "2026-12-28", "2027-01-13"],
        # across the estimated 国庆 2027 (10-01..08 off): 9-27..30 + 10-11..15 = 9, on time
        ["S3", "张三", ids[2], "东方技工学校", "休学", "2027-09-24", "2027-10-15"],
        # across 春节 2028 (01-25..02-02 off): 01-21, 01-24, 02-03..04, 02-07..11, 02-14 = 10, on time
        ["S4", "张四", ids[3], "东方技工学校", "退学", "2028-01-20", "2028-02-14"],
        ["S5", "张五", ids[4], "东方技工学校", "退学", "2028-01-20", "2028-02-15"],
    ])
    r = cli("check", "--changes", f, "--as-of", "2028-03-01", "--format", "csv,json")
    c = r.rule("C201")
    assert sorted(c["student_id"].to_list()) == ["S2", "S5"], r.stdout
    for msg in c["message"].to_list():
        assert "11 个工作日" in msg and "节假日安排日历未收录" in msg and "估计" in msg
    note = r.json["run"]["calendar_note"]
    assert "2027" in note and "2028" in note and "估计" in note


def test_c201_known_year_message_has_no_estimate_note(tmp_path, cli):
    f = _changes(tmp_path, [["S1", "张一", make_id("20030101", seq="123"), "东方技工学校", "退学",
                             "2025-09-26", "2025-10-21"]])
    r = cli("check", "--changes", f, "--as-of", "2025-12-01", "--format", "csv,json")
    c = r.rule("C201")
    assert c.height == 1 and "估计" not in c["message"][0] and not r.json["run"]["calendar_note"]


def test_note_writes_long_runs_of_years_as_ranges():
    cal = WorkCalendar()
    assert "2027、2028 年" in cal.note_unknown({2026, 2027, 2028})
    note = cal.note_unknown(set(range(1990, 2004)) | set(range(2027, 2101)) | {2026})
    assert "1990–2003、2027–2100 年" in note
    assert cal.unknown_years_used >= {1990, 2100}


# ------------------------------------------------------------------ the opposite bound (P401)
@pytest.mark.parametrize("year", range(2014, 2027))
def test_most_workdays_bound_never_misses_a_real_working_day(year):
    rest, makeup = estimate_year_most_workdays(year)

    def work(d):
        return d in makeup or (d.weekday() < 5 and d not in rest)
    missed = [d for d in _days(year) if _real_workday(d) and not work(d)]
    assert missed == ([D(2015, 9, 6)] if year == 2015 else [])  # the 70th-anniversary make-up day
    # statutory days and 补假 only: every one a real day off
    assert [d for d in rest if _real_workday(d)] == []
    assert all(d.weekday() >= 5 for d in makeup)


def test_for_minimums_counts_more_in_estimated_years_only():
    cal = WorkCalendar()
    lo = cal.workdays_in(D(2027, 9, 27), D(2027, 10, 8))
    hi = cal.for_minimums().workdays_in(D(2027, 9, 27), D(2027, 10, 8))
    assert (lo, hi) == (4, 7)  # 10-06..08 are bridging days in one estimate, working days in the other
    assert cal.for_minimums().workdays_in(D(2027, 10, 11), D(2027, 10, 13)) == 3
    # a weekend next to a break may be a make-up day: counted by the bound for minimums
    assert cal.for_minimums().is_workday(D(2027, 9, 26)) and not cal.is_workday(D(2027, 9, 26))
    assert not cal.for_minimums().is_workday(D(2027, 7, 17))  # a Saturday far from any break
    assert cal.unknown_years_used == {2027}  # shared with the derived calendar
    k = WorkCalendar()
    assert k.for_minimums().workdays_in(D(2025, 9, 26), D(2025, 10, 10)) == k.workdays_in(D(2025, 9, 26),
                                                                                          D(2025, 10, 10))


def test_p401_in_an_estimated_year_does_not_accuse_on_the_estimate(tmp_path, cli):
    title = "东方技工学校国家助学金公示名单"
    rows = [["序号", "姓名", "学校", "专业", "班级", "资助类型"],
            ["1", "张三", "东方技工学校", "数控加工", "数控1班", "国家助学金"]]
    f = write_xlsx(tmp_path / "公示名单.xlsx", rows, title=title)

    def run(start, end):
        return cli("check", "--publicity", f, "--publicity-start", start, "--publicity-end", end,
                   "--as-of", "2027-12-31", "--format", "csv,json")

    # across the estimated 国庆 break: 4 working days by the deadline estimate, up to 7 in reality
    assert run("2027-09-27", "2027-10-08").rule("P401").height == 0
    # 3 working days whatever the arrangement: still flagged, with the estimate noted
    p = run("2027-10-11", "2027-10-13").rule("P401")
    assert p.height == 1 and "3 个工作日" in p["message"][0] and "估计" in p["message"][0]
