"""Bad-input cases of the calendar area: dates in years no holiday calendar knows."""

from __future__ import annotations

from pathlib import Path

from bad_inputs.make import Case, case, xlsx
from conftest import make_id

CHANGE_HEADERS = ["学籍号", "姓名", "身份证号", "学校名称", "异动类型", "异动日期", "申报日期"]


@case
def changes_dates_in_far_years(tmp: Path) -> Case:
    """Change dates from 1900 to 9999 (typos of a year): counted with weekends (or the estimate),
    never a crash; the run summary says which years were estimated."""
    rows = [[f"S{i}", f"学生{i}", make_id("20030101", seq=f"{101 + 2 * i:03d}"), "东方技工学校", "退学", a, b]
            for i, (a, b) in enumerate([("1900-01-02", "1900-03-01"), ("2101-09-28", "2101-10-20"),
                                        ("2150-01-01", "2150-01-05"), ("9999-12-01", "9999-12-31"),
                                        ("2024-12-20", "2030-01-01")])]
    p = xlsx(tmp / "异动.xlsx", [CHANGE_HEADERS, *rows], title="东方技工学校学籍异动记录")

    def check(r, _tmp) -> None:
        note = r.json["run"]["calendar_note"]
        assert "估计" in note and "2027–2100" in note and len(note) < 200, note

    return Case(["--changes", p, "--format", "csv,json"], (0, 1), check=check)
