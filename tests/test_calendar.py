"""Working days against the State Council holiday notices (国务院办公厅关于…部分节假日安排的通知)."""

from __future__ import annotations

import datetime as dt
import random

import chinese_calendar
import polars as pl
import pytest

from xueji_check.calendar import KNOWN_MAX, CalendarFrame, WorkCalendar
from xueji_check.policy import Policy

D = dt.date

# (rest days, make-up workdays) per notice; Spring Festival and National Day.
NOTICES = {
    # 国办发明电〔2017〕12号: 春节 2-15..2-21, 2-11(日)、2-24(六)上班; 国庆 10-1..10-7, 9-29(六)、9-30(日)上班
    2018: ([D(2018, 2, 15), D(2018, 2, 19), D(2018, 2, 21), D(2018, 10, 1), D(2018, 10, 5), D(2018, 10, 7)],
           [D(2018, 2, 11), D(2018, 2, 24), D(2018, 9, 29), D(2018, 9, 30)]),
    # 国办发明电〔2018〕15号: 春节 2-4..2-10, 2-2(六)、2-3(日)上班; 国庆 10-1..10-7, 9-29(日)、10-12(六)上班
    2019: ([D(2019, 2, 4), D(2019, 2, 8), D(2019, 2, 10), D(2019, 10, 1), D(2019, 10, 7)],
           [D(2019, 2, 2), D(2019, 2, 3), D(2019, 9, 29), D(2019, 10, 12)]),
    # 国办发明电〔2023〕7号: 春节 2-10..2-17, 2-4(日)、2-18(日)上班; 国庆 10-1..10-7, 9-29(日)、10-12(六)上班
    2024: ([D(2024, 2, 10), D(2024, 2, 12), D(2024, 2, 16), D(2024, 2, 17), D(2024, 10, 1), D(2024, 10, 4),
            D(2024, 10, 7)],
           [D(2024, 2, 4), D(2024, 2, 18), D(2024, 9, 29), D(2024, 10, 12)]),
    # 国办发明电〔2024〕12号: 春节 1-28..2-4, 1-26(日)、2-8(六)上班; 国庆中秋 10-1..10-8, 9-28(日)、10-11(六)上班
    2025: ([D(2025, 1, 28), D(2025, 2, 3), D(2025, 2, 4), D(2025, 10, 1), D(2025, 10, 6), D(2025, 10, 8)],
           [D(2025, 1, 26), D(2025, 2, 8), D(2025, 9, 28), D(2025, 10, 11)]),
}


@pytest.mark.parametrize("year", sorted(NOTICES))
def test_official_rest_and_makeup_days(year):
    cal = WorkCalendar()
    rest, makeup = NOTICES[year]
    for d in rest:
        assert not cal.is_workday(d), d
        assert cal.holiday_name(d) in ("春节", "国庆节", "中秋节"), d
    for d in makeup:
        assert d.weekday() >= 5 and cal.is_workday(d) and cal.is_makeup_workday(d), d
    # the days right after each holiday are ordinary workdays
    after = {2018: [D(2018, 2, 22), D(2018, 10, 8)], 2019: [D(2019, 2, 11), D(2019, 10, 8)],
             2024: [D(2024, 2, 19), D(2024, 10, 8)], 2025: [D(2025, 2, 5), D(2025, 10, 9)]}[year]
    assert all(cal.is_workday(d) for d in after)
    assert not cal.unknown_years_used


@pytest.mark.parametrize(("start", "end", "expected"), [
    (D(2024, 9, 27), D(2024, 10, 14), 8),   # 9-29(日)、9-30、10-8..10-11、10-12(六)、10-14
    (D(2025, 9, 26), D(2025, 10, 15), 9),   # 9-28(日)、9-29、9-30、10-9、10-10、10-11(六)、10-13..10-15
    (D(2019, 2, 1), D(2019, 2, 15), 7),     # 2-2(六)、2-3(日)、2-11..2-15
    (D(2018, 9, 28), D(2018, 10, 8), 3),    # 9-29(六)、9-30(日)、10-8
    (D(2024, 10, 14), D(2024, 9, 27), -8),  # reversed
    (D(2024, 10, 1), D(2024, 10, 1), 0),
])
def test_workdays_between_exclusive_start_inclusive_end(start, end, expected):
    assert WorkCalendar().workdays_between(start, end) == expected


def test_nth_workday_after_from_a_rest_day():
    cal = WorkCalendar()
    # From inside the 2024 National Day break the first working day after is 10-08.
    assert cal.nth_workday_after(D(2024, 10, 5), 1) == D(2024, 10, 8)
    # chinese_calendar.find_workday counts from the first workday on/after the date: one too far.
    assert chinese_calendar.find_workday(1, D(2024, 10, 5)) == D(2024, 10, 9)
    # 10 working days after 2024-09-27 (Friday): 9-29, 9-30, 10-8..10-12, 10-14..10-16
    assert cal.nth_workday_after(D(2024, 9, 27), 10) == D(2024, 10, 16)
    assert cal.nth_workday_after(D(2025, 1, 24), 1) == D(2025, 1, 26)  # Sunday make-up day


def test_workdays_in_closed_range():
    cal = WorkCalendar()
    assert cal.workdays_in(D(2018, 11, 5), D(2018, 11, 9)) == 5  # P401's example week
    assert cal.workdays_in(D(2024, 9, 29), D(2024, 10, 12)) == 7  # both ends are make-up days
    assert cal.workdays_in(D(2018, 11, 10), D(2018, 11, 11)) == 0


def test_vectorised_matches_scalar_and_keeps_row_order():
    pol = Policy(extra_holidays=(D(2027, 1, 1), D(2027, 2, 11)), extra_workdays=(D(2027, 2, 20),))
    cal = WorkCalendar(pol)
    rng = random.Random(7)
    base = D(2017, 12, 1)
    starts = [base + dt.timedelta(days=rng.randrange(0, 3650)) for _ in range(300)]
    ends = [s + dt.timedelta(days=rng.randrange(-40, 80)) for s in starts]
    frame = CalendarFrame(cal, min(starts + ends), max(starts + ends))
    lf = pl.LazyFrame({"i": range(300), "a": starts, "b": ends})
    got = frame.workdays_between(lf, "a", "b", "n")
    got = frame.nth_workday_after(got, "a", 10, "d")
    got = frame.workdays_in(got, "a", "b", "w").collect()
    assert got["i"].to_list() == list(range(300))  # joins keep the input order
    assert got["n"].to_list() == [cal.workdays_between(a, b) for a, b in zip(starts, ends, strict=True)]
    assert got["d"].to_list() == [cal.nth_workday_after(a, 10) for a in starts]
    want_in = [cal.workdays_in(a, b) if b >= a else None for a, b in zip(starts, ends, strict=True)]
    assert [w if b >= a else None for w, a, b in zip(got["w"].to_list(), starts, ends, strict=True)] == want_in
    assert frame.frame.filter(pl.col("date") == D(2027, 2, 20))["workday"][0] is True


def test_estimated_flag_marks_spans_into_unknown_years():
    df = pl.DataFrame({"a": [D(2026, 12, 20), D(2025, 1, 1), D(2003, 6, 1)],
                       "b": [D(2027, 1, 10), D(2025, 2, 1), D(2004, 1, 1)]})
    assert df.select(CalendarFrame.estimated("a", "b"))[:, 0].to_list() == [True, False, True]


def test_unknown_year_is_estimated_and_policy_overrides_it():
    assert KNOWN_MAX < 2027
    plain = WorkCalendar()
    assert not plain.is_workday(D(2027, 1, 1))  # a Friday, but 元旦 is computed for any year
    assert plain.holiday_name(D(2027, 1, 1)) == "元旦（估计）"
    assert plain.workdays_between(D(2026, 12, 31), D(2027, 1, 8)) == 5
    assert plain.unknown_years_used == {2027}
    assert "2027" in plain.note_unknown({2026, 2027})
    pol = Policy(extra_holidays=(D(2027, 1, 4),), extra_workdays=(D(2027, 1, 1), D(2027, 1, 2)))
    cal = WorkCalendar(pol)
    assert cal.is_workday(D(2027, 1, 1)) and not cal.is_workday(D(2027, 1, 4))
    assert cal.holiday_name(D(2027, 1, 4)) == "节假日（策略文件）" and cal.holiday_name(D(2027, 1, 1)) is None
    assert cal.is_makeup_workday(D(2027, 1, 2))
    assert cal.workdays_between(D(2026, 12, 31), D(2027, 1, 8)) == 6  # +1-1 policy, +1 Saturday
    assert cal.nth_workday_after(D(2026, 12, 31), 2) == D(2027, 1, 2)
    marked = WorkCalendar().mark_used(pl.Series([D(2026, 5, 1), D(2027, 3, 1), None]))
    assert marked == {2027}


def test_cli_workdays_lists_holidays_and_makeup_days(cli):
    res = cli("workdays", "2024-09-27", "2024-10-14")
    assert res.code == 0
    assert "8 个工作日" in res.stdout
    assert "2024-09-29 星期日 调休上班" in res.stdout
    assert "2024-10-12 星期六 调休上班" in res.stdout
    assert "2024-10-01 星期二 放假：国庆节" in res.stdout
    assert "注意" not in res.stdout


def test_cli_workdays_unknown_year_with_policy_overrides(tmp_path, cli):
    cfg = tmp_path / "xueji.toml"
    cfg.write_text('[holidays]\nextra_holidays = ["2027-01-04"]\nextra_workdays = ["2027-01-02"]\n',
                   encoding="utf-8")
    res = cli("workdays", "2026-12-31", "2027-01-08", "--config", cfg)
    assert res.code == 0
    assert "5 个工作日（估计）" in res.stdout
    assert "2027-01-01 星期五 放假：元旦（估计）" in res.stdout
    assert "2027-01-04 星期一 放假：节假日（策略文件）" in res.stdout and "2027-01-02 星期六 调休上班" in res.stdout
    assert "注意" in res.stdout and "2027" in res.stdout
    res = cli("workdays", "2026-12-31", "2027-01-08")
    assert "5 个工作日" in res.stdout and "策略文件）" not in res.stdout


def test_cli_workdays_bad_date_exits_2(cli):
    res = cli("workdays", "2024-13-01", "2024-10-14")
    assert res.code == 2 and "无法识别" in res.stderr
