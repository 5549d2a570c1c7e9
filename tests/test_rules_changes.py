"""C201–C203: status-change rules, through the real CLI on real spreadsheets."""

from __future__ import annotations

from conftest import ROSTER_HEADERS, make_id, roster_row, write_csv, write_xlsx

CHANGE_HEADERS = ["学籍号", "姓名", "身份证号", "学校名称", "异动类型", "异动日期", "申报日期"]


def check(cli, *args, as_of="2019-06-30"):
    return cli("check", *args, "--as-of", as_of, "--format", "csv,json")


def changes_file(tmp_path, rows, name="异动.xlsx", title="东方技工学校学籍异动记录"):
    return write_xlsx(tmp_path / name, [CHANGE_HEADERS, *rows], title=title)


def policy(tmp_path, text):
    p = tmp_path / "xueji.toml"
    p.write_text(text, encoding="utf-8")
    return p


# ------------------------------------------------------------------ C201
def test_c201_late_report_message_has_dates_count_and_deadline(tmp_path, cli):
    a = make_id("20030101", seq="123")
    f = changes_file(tmp_path, [["S1", "张三", a, "东方技工学校", "退学", "2018-09-28", "2018-10-19"]])
    r = check(cli, "--changes", f)
    c = r.rule("C201")
    assert c.height == 1, r.stdout
    msg = c["message"][0]
    for part in ("2018-09-28", "2018-10-19", "12 个工作日", "10 个工作日", "2018-10-17"):
        assert part in msg, msg
    assert c["row"][0] == "3" and c["column"][0] == "申报日期"
    assert a not in msg and a not in "".join(c["id_masked"].to_list())


def test_c201_tenth_working_day_across_national_day_is_on_time(tmp_path, cli):
    # 2018-09-29/30 were make-up working days, 10-01..07 holidays: 10-17 is the 10th working day.
    a, b = make_id("20030101", seq="123"), make_id("20030102", seq="133")
    f = changes_file(tmp_path, [
        ["S1", "张三", a, "东方技工学校", "退学", "2018-09-28", "2018-10-17"],
        ["S2", "李四", b, "东方技工学校", "休学", "2018年9月28日", "2018/10/18"],
    ])
    r = check(cli, "--changes", f)
    c = r.rule("C201")
    assert c.height == 1 and c["student_id"][0] == "S2", c
    assert "11 个工作日" in c["message"][0]


def test_c201_dates_with_a_time_as_csv_exports_write_them(tmp_path, cli):
    """`2024/11/29 16:20` reported `2024/12/2 10:15` is one working day: the time is dropped
    before the spaces (it had read day 21 at 0:15 and reported 15 working days). Near miss: a
    report written with a time, 11 working days late, is still late."""
    a, b, c = (make_id(f"2003010{i}", seq="123") for i in (1, 2, 3))
    f = write_csv(tmp_path / "异动.csv", [CHANGE_HEADERS,
                  ["S1", "张三", a, "东方技工学校", "转专业", "2024/11/29 16:20", "2024/12/2 10:15"],
                  ["S2", "李四", b, "东方技工学校", "休学", "2024年9月2日 10:00", "2024年9月3日10时"],
                  ["S3", "王五", c, "东方技工学校", "退学", "2024/12/2 9:05", "2024/12/17 14:00"]])
    r = check(cli, "--changes", f, as_of="2025-06-30")
    assert r.rule("S006").height == 0, r.rule("S006")["message"].to_list()
    c201 = r.rule("C201")
    assert c201["student_id"].to_list() == ["S3"], c201["message"].to_list()
    assert "2024-12-02" in c201["message"][0] and "2024-12-17" in c201["message"][0], c201["message"][0]


def test_c201_month_only_dates_are_not_judged(tmp_path, cli):
    """异动日期 2024年10月 (read as the 1st for other uses) does not say how many working days passed
    before a report on 10-25: counted as not judged, not reported from 10-01. Near miss: the same
    with a full date 2024-10-01 is late."""
    a, b = make_id("20030101", seq="123"), make_id("20030102", seq="133")
    f = changes_file(tmp_path, [["S1", "张三", a, "东方技工学校", "转专业", "2024年10月", "2024-10-25"],
                                ["S2", "李四", b, "东方技工学校", "转专业", "2024-10-01", "2024-10-25"]])
    r = check(cli, "--changes", f, as_of="2025-06-30")
    assert r.rule("C201")["student_id"].to_list() == ["S2"], r.rule("C201")["message"].to_list()
    assert r.json["run"]["unjudged"]["C201"]["rows"] == 1, r.json["run"]["unjudged"]


def test_c201_an_approved_change_without_report_date_was_reported_by_its_approval(tmp_path, cli):
    """申报日期 empty, 审批日期 within the deadline: reported in time (at the latest on approval).
    Approved after the deadline: when it was reported is not known (not judged). Near miss: no
    审批日期 either, past the deadline: still reported as not reported."""
    ids = [make_id(f"2003010{i}", seq="123") for i in (1, 2, 3)]
    headers = [*CHANGE_HEADERS, "审批日期", "审批状态"]
    f = write_xlsx(tmp_path / "异动.xlsx", [headers,
                   ["S1", "张三", ids[0], "东方技工学校", "休学", "2025-03-03", "", "2025-03-06", "已通过"],
                   ["S2", "李四", ids[1], "东方技工学校", "休学", "2025-03-03", "", "2025-04-30", "已通过"],
                   ["S3", "王五", ids[2], "东方技工学校", "休学", "2025-03-03", "", "", ""]])
    r = check(cli, "--changes", f, as_of="2025-06-30")
    c = r.rule("C201")
    assert c["student_id"].to_list() == ["S3"] and "仍未申报" in c["message"][0], c["message"].to_list()
    assert r.json["run"]["unjudged"]["C201"]["rows"] == 1, r.json["run"]["unjudged"]


def test_c201_a_change_with_an_approval_status_was_reported(tmp_path, cli):
    """申报日期 and 审批日期 empty, 审批状态 待审核 / 已通过 / 审核不通过: the change was submitted for
    approval, so it was reported, on a day not known: not judged (it had been reported as 仍未申报).
    Near miss: no 审批状态 either, past the deadline: still reported as not reported."""
    ids = [make_id(f"2003010{i}", seq="123") for i in (1, 2, 3, 4)]
    headers = [*CHANGE_HEADERS, "审批日期", "审批状态"]
    f = write_xlsx(tmp_path / "异动.xlsx", [headers,
                   ["S1", "张三", ids[0], "东方技工学校", "转专业", "2025年1月24日", "", "", "待审核"],
                   ["S2", "李四", ids[1], "东方技工学校", "休学", "2025.3.3", "", "", "已通过"],
                   ["S3", "王五", ids[2], "东方技工学校", "休学", "2025.3.3", "", "", "审核不通过"],
                   ["S4", "赵六", ids[3], "东方技工学校", "休学", "2025.3.3", "", "", ""]],
                   title="东方技工学校学籍异动记录")
    r = check(cli, "--changes", f, as_of="2025-06-30")
    c = r.rule("C201")
    assert c["student_id"].to_list() == ["S4"] and "仍未申报" in c["message"][0], c["message"].to_list()
    assert r.json["run"]["unjudged"]["C201"]["rows"] == 3, r.json["run"]["unjudged"]


def test_c201_a_status_that_says_reported_or_cannot_be_read_is_no_unreported_change(tmp_path, cli):
    """审批状态 已上报 / 已提交 / 已办结 / 审批完成 / 市级审核通过 with no dates: reported (they had
    been 仍未申报 errors and S007 errors); 初审通过 (S007 cannot read it) may be as well: not
    judged. Near misses: 未上报 and an empty status, past the deadline, are still unreported."""
    words = ["已上报", "已提交", "已办结", "审批完成", "市级审核通过", "初审通过", "未上报", ""]
    headers = [*CHANGE_HEADERS, "审批日期", "审批状态"]
    rows = [[f"S{i}", "张三", make_id("20030101", seq=f"{101 + 2 * i:03d}"), "东方技工学校", "休学", "2025.3.3", "", "", w]
            for i, w in enumerate(words)]
    r = check(cli, "--changes", write_xlsx(tmp_path / "异动.xlsx", [headers, *rows], title="东方技工学校学籍异动记录"),
              as_of="2025-06-30")
    assert r.rule("C201")["student_id"].to_list() == ["S6", "S7"], r.rule("C201")["message"].to_list()
    assert r.rule("S007")["student_id"].to_list() == ["S5", "S6"], r.rule("S007")["message"].to_list()
    assert r.json["run"]["unjudged"]["C201"]["reasons"] == {
        "申报日期为空、审批状态表明已申报": 5, "申报日期为空、审批状态无法识别（S007）": 1}, r.json["run"]["unjudged"]


def test_c201_an_export_is_judged_as_of_its_export_date(tmp_path, cli):
    """The changes file says 导出日期：2025年1月6日 under its title: a 休学 of 2024-12-30 without a
    申报日期 was five working days old then, not "仍未申报…已过 100 个工作日" as of the check date
    (the export cannot show a report made after it). Near miss: a change whose deadline had passed
    by the export date is reported, as of that date, and says so."""
    a, b = make_id("20070101", seq="123"), make_id("20070102", seq="133")
    f = write_xlsx(tmp_path / "异动.xlsx", [["东方技工学校学籍异动记录"], ["导出日期：2025年1月6日 10:15"], CHANGE_HEADERS,
                                            ["S1", "张三", a, "东方技工学校", "休学", "2024-12-30", ""],
                                            ["S2", "李四", b, "东方技工学校", "退学", "2024-12-02", ""]], title=None)
    r = check(cli, "--changes", f, as_of="2025-06-30")
    (msg,) = r.rule("C201")["message"].to_list()
    assert r.rule("C201")["student_id"].to_list() == ["S2"]
    assert "截至 2025-01-06（该表的导出日期）仍未申报" in msg and "2025-06-30" not in msg, msg
    assert r.json["run"]["unjudged"]["C201"]["reasons"] == {"申报期限在该表的导出日期之后（导出后是否申报不得而知）": 1}
    # review: a 统计时间 period's first day is no export date
    g = write_xlsx(tmp_path / "异动2.xlsx", [["东方技工学校学籍异动统计表（统计时间：2024年9月1日至2024年12月31日）"], CHANGE_HEADERS,
                                             ["S3", "王五", a, "东方技工学校", "退学", "2024-10-08", ""]], title=None)
    (msg,) = check(cli, "--changes", g, as_of="2025-01-10").rule("C201")["message"].to_list()
    assert "截至 2025-01-10 仍未申报" in msg, msg


def test_c201_a_change_sent_back_and_reported_again_was_reported_when_first_reported(tmp_path, cli):
    """张三's 休学 reported on 2025-03-05 (on time), sent back (退回) and reported again on 04-01: it
    was reported in time, not 21 working days late. 王五's 休学 is on the whole school's sheet with
    its 申报日期 and on his class's sheet without one: reported, not 仍未申报. Near miss: 李四's
    退学 first reported on 04-01 is late."""
    a, b, c = make_id("20080601", seq="111"), make_id("20080602", seq="121"), make_id("20080603", seq="131")
    headers = [*CHANGE_HEADERS, "审批日期", "审批状态", "备注"]
    school = [headers,
              ["S1", "张三", a, "东方技工学校", "休学", "2025.3.3", "2025.3.5", "2025.3.10", "退回", "材料不全"],
              ["S1", "张三", a, "东方技工学校", "休学", "2025.3.3", "2025.4.1", "2025.4.3", "已通过", "重新申报"],
              ["S2", "李四", b, "东方技工学校", "退学", "2025.3.3", "2025.4.1", "2025.4.3", "已通过", ""],
              ["S3", "王五", c, "东方技工学校", "休学", "2025.3.3", "2025.3.4", "", "", ""]]
    f = write_xlsx(tmp_path / "异动.xlsx", school, title="东方技工学校学籍异动记录", sheet="全校汇总",
                   extra_sheets={"数控2401班": [headers, ["S3", "王五", c, "东方技工学校", "休学", "2025.3.3", "", "", "", ""]]})
    r = check(cli, "--changes", f, as_of="2025-06-30")
    c201 = r.rule("C201")
    assert c201["student_id"].to_list() == ["S2"], c201["message"].to_list()


def test_c201_a_table_without_a_report_date_column_is_not_called_unreported(tmp_path, cli):
    """西山's changes table has no 申报日期 column, 东方's has one: 李四's 休学 at 西山 is not judged (it
    had been reported as 仍未申报（申报日期为空）, charging 西山 with a column it never had). Near
    miss: 王五's empty 申报日期 in 东方's CSV, past the deadline, is still not reported."""
    a, b, c = make_id("20081501", seq="111"), make_id("20081502", seq="121"), make_id("20081503", seq="131")
    east = write_csv(tmp_path / "异动_东方.csv", [CHANGE_HEADERS, ["S1", "张三", a, "东方技工学校", "休学", "2025.3.3", "2025.3.4"],
                                                 ["S3", "王五", c, "东方技工学校", "退学", "2025.3.3", ""]])
    west = write_xlsx(tmp_path / "异动_西山.xlsx", [["学籍号", "姓名", "身份证号", "学校名称", "异动类型", "异动日期", "备注"],
                                                   ["X1", "李四", b, "西山技工学校", "休学", "2025.3.3", "因病"]],
                      title="西山技工学校学籍异动记录")
    r = check(cli, "--changes", east, "--changes", west, as_of="2025-06-30")
    c201 = r.rule("C201")
    assert c201["student_id"].to_list() == ["S3"] and "仍未申报" in c201["message"][0], c201["message"].to_list()
    assert r.json["run"]["unjudged"]["C201"]["reasons"] == {"所在表格没有申报日期列": 1}, r.json["run"]["unjudged"]


def test_c201_unreported_past_deadline_on_as_of(tmp_path, cli):
    a, b = make_id("20030101", seq="123"), make_id("20030102", seq="133")
    f = changes_file(tmp_path, [
        ["S1", "张三", a, "东方技工学校", "退学", "2019-06-10", ""],  # deadline 2019-06-24, as_of 06-30
        ["S2", "李四", b, "东方技工学校", "退学", "2019-06-20", ""],  # deadline in July: not yet late
    ])
    r = check(cli, "--changes", f, as_of="2019-06-30")
    c = r.rule("C201")
    assert c["student_id"].to_list() == ["S1"], c
    msg = c["message"][0]
    assert "仍未申报" in msg and "2019-06-10" in msg and "2019-06-24" in msg and "2019-06-30" in msg


def test_c201_messy_gbk_csv_with_title_rows(tmp_path, cli):
    a = make_id("20030101", seq="123")
    # Excel's "save as CSV" pads the title row with commas to the table's width.
    f = write_csv(tmp_path / "异动.csv", [["东方技工学校学籍异动记录", "", "", "", "", "", ""], [],
                                          ["学籍号", "学生姓名", " 身份证号码 ", "学校", "异动类别", "异动发生日期", "上报日期"],
                                          ["S1", "张三", a.lower(), "东方技工学校", "自动退学", "20180928", "2018.10.19"]],
                  encoding="gbk")
    r = check(cli, "--changes", f)
    assert r.rule("C201").height == 1, r.stdout + r.stderr


def test_c201_skipped_without_reported_column_or_changes(tmp_path, cli):
    a = make_id("20030101", seq="123")
    f = write_xlsx(tmp_path / "异动.xlsx", [["学籍号", "姓名", "身份证号", "学校名称", "异动类型", "异动日期"],
                                            ["S1", "张三", a, "东方技工学校", "退学", "2018-09-28"]])
    r = check(cli, "--changes", f)
    assert r.rule("C201").height == 0
    assert "申报日期" in r.json["run"]["skipped_rules"]["C201"]
    roster = write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS, roster_row("S1", "张三", a)])
    r2 = check(cli, "--roster", roster)
    assert "C201" in r2.json["run"]["skipped_rules"] and "C202" in r2.json["run"]["skipped_rules"]


def test_c201_unknown_calendar_year_is_noted(tmp_path, cli):
    a = make_id("20030101", seq="123")
    f = changes_file(tmp_path, [["S1", "张三", a, "东方技工学校", "退学", "2027-03-01", "2027-03-30"]])
    r = check(cli, "--changes", f, as_of="2027-04-30")
    c = r.rule("C201")
    assert c.height == 1 and "2027 年的节假日安排日历未收录" in c["message"][0]
    assert "2027" in r.json["run"]["calendar_note"]


# ------------------------------------------------------------------ C202
def _bulk_rows(dates, school="东方技工学校"):
    return [[f"S{i}", f"学生{i}", make_id("20030101", seq=f"{100 + i:03d}"), school, "退学", d, d]
            for i, d in enumerate(dates)]


def test_c202_count_in_sliding_window(tmp_path, cli):
    cfg = policy(tmp_path, "[bulk_changes]\ncount = 5\nshare = 0.9\nwindow = 10\n")
    # 2024-03-04 (Mon) and 2024-03-15 (Fri) are 9 working days apart: one window.
    f = changes_file(tmp_path, _bulk_rows(["2024-03-04"] * 4 + ["2024-03-15"]))
    r = check(cli, "--changes", f, "--config", cfg, as_of="2024-12-31")
    c = r.rule("C202")
    assert c.height == 1, r.stdout
    msg = c["message"][0]
    assert "东方技工学校" in msg and "最多 5 名学生" in msg and "2024-03-04" in msg and "2024-03-15" in msg
    assert c["row"][0] is None and c["school"][0] == "东方技工学校"


def test_c202_near_miss_outside_window(tmp_path, cli):
    cfg = policy(tmp_path, "[bulk_changes]\ncount = 5\nshare = 0.9\nwindow = 10\n")
    # 2024-03-18 is the 10th working day after 03-04: not in the same 10-day window.
    f = changes_file(tmp_path, _bulk_rows(["2024-03-04"] * 4 + ["2024-03-18"]))
    r = check(cli, "--changes", f, "--config", cfg, as_of="2024-12-31")
    assert r.rule("C202").height == 0


def test_c202_share_of_roster(tmp_path, cli):
    roster_rows = [roster_row(f"S{i}", f"学生{i}", make_id("20030101", seq=f"{100 + i:03d}")) for i in range(20)]
    other = [roster_row(f"T{i}", f"乙{i}", make_id("20030102", seq=f"{100 + i:03d}"), school="西方技工学校")
             for i in range(40)]
    roster = write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS, *roster_rows, *other])
    changes = changes_file(tmp_path, _bulk_rows(["2024-03-04", "2024-03-05"])
                           + _bulk_rows(["2024-03-04", "2024-03-05"], school="西方技工学校"))
    r = check(cli, "--roster", roster, "--changes", changes, as_of="2024-12-31")
    c = r.rule("C202")
    assert c["school"].to_list() == ["东方技工学校"], c  # 2/20 = 10%; 2/40 = 5% is not
    assert "20 人" in c["message"][0] and "10.0%" in c["message"][0]


def test_c202_one_change_in_a_tiny_school_is_no_batch(tmp_path, cli):
    """1 transfer among 4 students is 25 %, but no batch; 2 of 4 are (near miss)."""
    roster_rows = [roster_row(f"S{i}", f"学生{i}", make_id("20030101", seq=f"{100 + i:03d}")) for i in range(4)]
    roster = write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS, *roster_rows])
    for n, expected in ((1, 0), (2, 1)):
        changes = changes_file(tmp_path, _bulk_rows(["2024-03-04"] * n))
        assert check(cli, "--roster", roster, "--changes", changes, as_of="2024-12-31").rule("C202").height == expected


def test_c202_a_change_written_twice_or_refused_is_not_two(tmp_path, cli):
    """Of a school's 15 students, one 退学 sent back (退回) and submitted again is one change, not
    2 (13 %); the same export given twice counts each change once. Near miss: two students'
    changes on one day are two (C202)."""
    roster_rows = [roster_row(f"S{i}", f"学生{i}", make_id("20030101", seq=f"{100 + i:03d}")) for i in range(15)]
    roster = write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS, *roster_rows])
    headers = [*CHANGE_HEADERS, "审批日期", "审批状态"]
    one = roster_rows[1]
    rows = [["S1", one[1], one[2], "东方技工学校", "退学", "2025-03-03", "2025-03-05", "", "退回"],
            ["S1", one[1], one[2], "东方技工学校", "退学", "2025-03-03", "2025-03-07", "2025-03-10", "已通过"]]
    changes = write_xlsx(tmp_path / "异动.xlsx", [headers, *rows])
    r = check(cli, "--roster", roster, "--changes", changes, as_of="2025-06-30")
    assert r.rule("C202").height == 0, r.rule("C202")["message"].to_list()
    copy = write_xlsx(tmp_path / "异动_第一季度.xlsx", [headers, rows[1]])
    r = check(cli, "--roster", roster, "--changes", changes, "--changes", copy, as_of="2025-06-30")
    assert r.rule("C202").height == 0, r.rule("C202")["message"].to_list()
    two = roster_rows[2]
    rows.append(["S2", two[1], two[2], "东方技工学校", "休学", "2025-03-03", "2025-03-05", "2025-03-06", "已通过"])
    changes = write_xlsx(tmp_path / "异动.xlsx", [headers, *rows])
    c = check(cli, "--roster", roster, "--changes", changes, "--changes", copy, as_of="2025-06-30").rule("C202")
    assert c.height == 1 and "共有 2 条" in c["message"][0], c["message"].to_list()


def test_c202_counts_students_not_changes(tmp_path, cli):
    """One of 15 students 休学 on 03-03 and 复学 on 03-12: two changes, one student (6.7 %), no batch
    (it had been 2 changes, 13.3 %, reported as bulk). Near miss: a second student's 退学 in the
    window makes 2 students (13.3 %): C202, counting students."""
    roster_rows = [roster_row(f"S{i}", f"学生{i}", make_id("20030101", seq=f"{100 + i:03d}")) for i in range(15)]
    roster = write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS, *roster_rows])
    one, two = roster_rows[1], roster_rows[2]
    rows = [["S1", one[1], one[2], "东方技工学校", "休学", "2025.3.3", "2025.3.4"],
            ["S1", one[1], one[2], "东方技工学校", "复学", "2025.3.12", "2025.3.13"]]
    r = check(cli, "--roster", roster, "--changes", changes_file(tmp_path, rows), as_of="2025-06-30")
    assert r.rule("C202").height == 0, r.rule("C202")["message"].to_list()
    rows.append(["S2", two[1], two[2], "东方技工学校", "退学", "2025.3.7", "2025.3.10"])
    c = check(cli, "--roster", roster, "--changes", changes_file(tmp_path, rows), as_of="2025-06-30").rule("C202")
    assert c.height == 1 and "共有 3 条学籍异动（2 名学生）" in c["message"][0] and "最多 2 名学生" in c["message"][0], \
        c["message"].to_list()


def test_c202_skipped_without_school(tmp_path, cli):
    f = write_xlsx(tmp_path / "异动.xlsx", [["学籍号", "姓名", "异动类型", "异动日期", "申报日期"],
                                            ["S1", "张三", "退学", "2024-03-04", "2024-03-05"]])
    r = check(cli, "--changes", f, as_of="2024-12-31")
    assert "学校名称" in r.json["run"]["skipped_rules"]["C202"]


# ------------------------------------------------------------------ C203
def test_c203_roster_active_but_latest_change_is_leave(tmp_path, cli):
    a, b, c_ = make_id("20030101", seq="123"), make_id("20030102", seq="133"), make_id("20030103", seq="143")
    roster = write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS, roster_row("S1", "张三", a),
                                                 roster_row("S2", "李四", b),
                                                 roster_row("S3", "王五", c_, status="已休学")])
    changes = changes_file(tmp_path, [
        ["S1", "张三", a, "东方技工学校", "退学", "2024-10-08", "2024-10-09"],
        ["S2", "李四", b, "东方技工学校", "休学", "2024-03-04", "2024-03-05"],  # then 复学: 在校 is right
        ["S2", "李四", b, "东方技工学校", "复学", "2024-09-02", "2024-09-03"],
        ["S3", "王五", c_, "东方技工学校", "复学", "2024-09-02", "2024-09-03"],  # reverse: roster still 休学
    ])
    r = check(cli, "--roster", roster, "--changes", changes, as_of="2024-12-31")
    c = r.rule("C203").sort("row")
    assert c["student_id"].to_list() == ["S1", "S3"], c
    assert c["dataset"][0] == "roster" and c["column"][0] == "学籍状态"
    assert "退学" in c["message"][0] and "2024-10-08" in c["message"][0] and "异动.xlsx 第 3 行" in c["message"][0]
    assert "复学" in c["message"][1] and "应为「在校」" in c["message"][1]
    assert "名册状态为「已休学」" in c["message"][1], c["message"][1]  # as written, not its reading 休学


def test_c203_a_student_who_left_and_enrolled_again_is_judged_on_the_new_registration(tmp_path, cli):
    """张三 left (退学 2024-01-08, 学籍号 D1) and enrolled again in September (学籍号 D2, 在校): his
    old row says 退学, his new row was registered after that change and is right (it had been
    "名册应为退学"). Near miss: 李四's 退学 came after his only enrolment, and the roster still says
    在校: C203."""
    a, b = make_id("20070101", seq="123"), make_id("20070102", seq="133")
    roster = write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS,
                                                 roster_row("D1", "张三", a, enroll="2023-09-01", status="退学"),
                                                 roster_row("D2", "张三", a, enroll="2024-09-01"),
                                                 roster_row("D3", "李四", b, enroll="2023-09-01")])
    changes = changes_file(tmp_path, [["D1", "张三", a, "东方技工学校", "退学", "2024-01-08", "2024-01-09"],
                                      ["D3", "李四", b, "东方技工学校", "退学", "2024-01-08", "2024-01-09"]])
    r = check(cli, "--roster", roster, "--changes", changes, as_of="2024-11-30")
    assert r.rule("C203")["student_id"].to_list() == ["D3"], r.rule("C203")["message"].to_list()
    # review: a 转入 is compared with the registration it made (registered after it, by nature)
    c = make_id("20070103", seq="143")
    head = [*ROSTER_HEADERS, "注册日期"]
    roster = write_xlsx(tmp_path / "名册2.xlsx", [head, [*roster_row("D4", "王五", c, enroll="2023-09-01", status="退学"),
                                                         "2024-03-12"]])
    changes = changes_file(tmp_path, [["D4", "王五", c, "东方技工学校", "转入", "2024-03-08", "2024-03-09"]], name="异动2.xlsx")
    r = check(cli, "--roster", roster, "--changes", changes, as_of="2024-11-30")
    assert r.rule("C203")["student_id"].to_list() == ["D4"], r.rule("C203")["message"].to_list()


def test_c203_a_month_only_date_in_the_month_of_another_change_is_not_ordered(tmp_path, cli):
    """休学 2024-03-05 and 复学 written 2024年3月 (read as the 1st): which came last is not known,
    so 在校 on the roster is not called wrong (it had been, the 复学 sorting first); counted. Near
    miss: 复学 written 2024年4月 is after the 休学 for sure, and 休学 on the roster disagrees: C203."""
    a, b = make_id("20070101", seq="123"), make_id("20070102", seq="133")
    roster = write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS, roster_row("S1", "张三", a, enroll="2023-09-01"),
                                                 roster_row("S2", "李四", b, enroll="2023-09-01", status="休学")])
    changes = changes_file(tmp_path, [["S1", "张三", a, "东方技工学校", "休学", "2024-03-05", "2024-03-06"],
                                      ["S1", "张三", a, "东方技工学校", "复学", "2024年3月", "2024-03-28"],
                                      ["S2", "李四", b, "东方技工学校", "休学", "2024-03-05", "2024-03-06"],
                                      ["S2", "李四", b, "东方技工学校", "复学", "2024年4月", "2024-04-28"]])
    r = check(cli, "--roster", roster, "--changes", changes, as_of="2024-11-30")
    assert r.rule("C203")["student_id"].to_list() == ["S2"], r.rule("C203")["message"].to_list()
    assert r.json["run"]["unjudged"]["C203"]["reasons"] == {"同月的异动中有只写了年月的，无法确定哪一次在后": 1}


def test_c203_messy_ids_match_across_files(tmp_path, cli):
    a = make_id("19800101", seq="123")  # 15-digit form in the changes file
    old = a[:6] + a[8:17]
    roster = write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS, roster_row("", "张三", a)])
    changes = write_xlsx(tmp_path / "异动.xlsx", [["姓名", "身份证号", "学校名称", "异动类型", "异动日期", "申报日期"],
                                                  ["张三", old, " 东方技工学校 ", "自动退学", "2024年10月8日", "2024-10-09"]])
    r = check(cli, "--roster", roster, "--changes", changes, as_of="2024-12-31")
    assert r.rule("C203").height == 1, r.stdout


def test_c203_a_change_after_as_of_has_not_happened(tmp_path, cli):
    """休学 from 2025-09-01, checked on 2025-06-30: 在校 is right. Near miss: checked on 2025-09-30."""
    a = make_id("20090301", seq="123")
    roster = write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS, roster_row("S1", "张三", a)])
    changes = changes_file(tmp_path, [["S1", "张三", a, "东方技工学校", "休学", "2025-09-01", "2025-06-20"]])
    assert check(cli, "--roster", roster, "--changes", changes, as_of="2025-06-30").rule("C203").height == 0
    assert check(cli, "--roster", roster, "--changes", changes, as_of="2025-09-30").rule("C203").height == 1


def test_c203_a_transfer_when_the_changes_name_no_school(tmp_path, cli):
    """转出 at 甲, 在校 at 乙 (a transfer) with a changes file without a school column: not judged
    (which school's record the change is cannot be told), not an accusation of 乙. Near miss: a
    student on one school's roster only, still 在校 after 退学, is reported."""
    a, b = make_id("20090301", seq="113"), make_id("20090302", seq="123")
    roster = write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS,
                        roster_row("A1", "王一", a, school="甲技工学校", status="转出"),
                        roster_row("B9", "王一", a, school="乙技工学校"),
                        roster_row("B2", "王二", b, school="乙技工学校")])
    changes = write_xlsx(tmp_path / "异动.xlsx", [["学籍号", "姓名", "身份证号", "异动类型", "异动日期", "申报日期"],
                         ["A1", "王一", a, "转出", "2025-02-24", "2025-02-25"],
                         ["B2", "王二", b, "退学", "2025-02-24", "2025-02-25"]])
    r = check(cli, "--roster", roster, "--changes", changes, as_of="2025-06-30")
    c = r.rule("C203")
    assert c["student_id"].to_list() == ["B2"], c["message"].to_list()
    assert r.json["run"]["unjudged"]["C203"]["rows"] == 1, r.json["run"]["unjudged"]  # 王一's change
    # with a change whose date cannot be read: both reasons' rows are counted (review: one count
    # replaced the other)
    changes = write_xlsx(tmp_path / "异动.xlsx", [["学籍号", "姓名", "身份证号", "异动类型", "异动日期", "申报日期"],
                         ["A1", "王一", a, "转出", "2025-02-24", "2025-02-25"],
                         ["B2", "王二", b, "退学", "2025年13月1日", "2025-02-25"]])
    u = check(cli, "--roster", roster, "--changes", changes, as_of="2025-06-30").json["run"]["unjudged"]["C203"]
    assert u["rows"] == 2 and len(u["reasons"]) == 2, u


def test_c203_skipped_without_roster(tmp_path, cli):
    f = changes_file(tmp_path, [["S1", "张三", make_id(), "东方技工学校", "退学", "2024-10-08", "2024-10-09"]])
    r = check(cli, "--changes", f, as_of="2024-12-31")
    assert r.json["run"]["skipped_rules"]["C203"] == "未提供学籍名册"


def test_c203_a_change_at_the_school_its_title_names_is_that_schools(tmp_path, cli):
    """张三 转出 at 东方; the changes file titled 西山技工学校… (no school column) records his 转入 at
    西山: no C203 at 东方 (R108 at 东方 is still judged: the 转入 is another school's). Near miss:
    李四 退学 in 东方's own changes file, still 在校 at 东方: reported."""
    a, b = make_id("20090301", seq="133"), make_id("20090302", seq="143")
    roster = write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS,
                        roster_row("D1", "张三", a, status="转出"), roster_row("D2", "李四", b)])
    head = ["学籍号", "姓名", "身份证号", "异动类型", "异动日期", "申报日期"]
    west = write_xlsx(tmp_path / "西山.xlsx", [head, ["X1", "张三", a, "转入", "2025-03-03", "2025-03-04"]],
                      title="西山技工学校2025年春季学期学籍异动记录")
    east = write_xlsx(tmp_path / "东方.xlsx", [head, ["D2", "李四", b, "退学", "2025-03-03", "2025-03-04"]],
                      title="东方技工学校2025年春季学期学籍异动记录")
    r = check(cli, "--roster", roster, "--changes", west, "--changes", east, as_of="2025-06-30")
    assert r.rule("C203")["student_id"].to_list() == ["D2"], r.rule("C203")["message"].to_list()


def test_c203_c202_a_change_refused_in_other_words_did_not_happen(tmp_path, cli):
    """审核不通过, 审批不通过, 已驳回, 已退回, 不予批准, 审核不通过（材料不全）: refused, as the aid
    table's 审批状态 reads them; the roster's 在校 is right and no batch is counted (they had been
    S007 and counted as changes that happened). Near miss: 已通过 is reported."""
    words = ["审核不通过", "审批不通过", "已驳回", "已退回", "不予批准", "审核不通过（材料不全）", "已通过"]
    ids = [make_id("20080401", seq=f"{111 + 2 * i:03d}") for i in range(len(words))]
    roster = write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS, *[roster_row(f"S{i}", f"学生{i}", x)
                                                                   for i, x in enumerate(ids)]])
    changes = write_xlsx(tmp_path / "异动.xlsx", [[*CHANGE_HEADERS, "审核状态"], *[
        [f"S{i}", f"学生{i}", x, "东方技工学校", "退学", "2025.3.3", "2025.3.5", w] for i, (x, w) in enumerate(zip(ids, words, strict=True))]],
        title="东方技工学校学籍异动记录")
    r = check(cli, "--roster", roster, "--changes", changes, as_of="2025-06-30")
    assert r.rule("C203")["student_id"].to_list() == ["S6"], r.rule("C203")["message"].to_list()
    assert r.rule("S007").height == 0, r.rule("S007")["message"].to_list()
    assert r.rule("C202").height == 0, r.rule("C202")["message"].to_list()


def test_c203_c202_a_withdrawn_change_did_not_happen(tmp_path, cli):
    """A 退学 or 休学 withdrawn (审批状态 已撤销, 已取消, 撤回, 作废): the roster's 在校 is right and no
    batch is counted (they had been S007 and counted as changes that happened). Near miss: the
    same changes 已通过 are reported (C203 for each, C202 for the batch)."""
    words = ["已撤销", "已取消", "撤回", "学校申请作废"]
    ids = [make_id("20080501", seq=f"{111 + 2 * i:03d}") for i in range(len(words))]
    roster = write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS, *[roster_row(f"S{i}", f"学生{i}", x)
                                                                   for i, x in enumerate(ids)]])

    def run(statuses):
        changes = write_xlsx(tmp_path / "异动.xlsx", [[*CHANGE_HEADERS, "审批状态", "备注"], *[
            [f"S{i}", f"学生{i}", x, "东方技工学校", "退学", "2025.3.3", "2025.3.5", w, "学生返校"]
            for i, (x, w) in enumerate(zip(ids, statuses, strict=True))]], title="东方技工学校学籍异动记录")
        return check(cli, "--roster", roster, "--changes", changes, as_of="2025-06-30")

    r = run(words)
    assert r.rule("C203").height == 0, r.rule("C203")["message"].to_list()
    assert r.rule("C202").height == 0 and r.rule("S007").height == 0, r.findings["message"].to_list()
    r = run(["已通过"] * len(words))
    assert r.rule("C203").height == len(words) and r.rule("C202").height == 1, r.findings["message"].to_list()


def test_c201_a_late_change_on_two_sheets_is_one_finding(tmp_path, cli):
    """王五's late 休学 on the whole school's sheet and on his class's sheet is one late report, one
    finding at its first row (it had been two, charging the school twice). Near miss: 李四's late
    退学 on the same sheets is another finding."""
    a, b = make_id("20080701", seq="111"), make_id("20080702", seq="121")
    rows = [["S3", "王五", a, "东方技工学校", "休学", 45562, 45582], ["S4", "李四", b, "东方技工学校", "退学", "2024.9.27", "2024年10月17日"]]
    f = write_xlsx(tmp_path / "异动.xlsx", [CHANGE_HEADERS, *rows], title="东方技工学校学籍异动记录", sheet="全校汇总",
                   extra_sheets={"数控2401班": [CHANGE_HEADERS, *rows]})
    c = check(cli, "--changes", f, as_of="2025-06-30").rule("C201")
    assert sorted(c["student_id"].to_list()) == ["S3", "S4"], c["message"].to_list()
    assert set(c["sheet"].to_list()) == {"全校汇总"} and all("11 个工作日" in m for m in c["message"]), c


def test_c201_one_changes_late_report_is_charged_to_the_row_with_the_date_at_its_own_school(tmp_path, cli):
    """The review's cases of the rows-of-one-change grouping:
    - a class sheet without a 申报日期 column first in run order, the school's sheet with the late
      date second: the finding is on the row that holds the date it quotes;
    - 学籍号 2024001 is 李四 at 西山 (no 申报日期) and 张三 at 东方 (reported late): two students, not
      one change; 西山 is not charged with 东方's date (each school's own finding)."""
    a = make_id("20080701", seq="131")
    no_date = [h for h in CHANGE_HEADERS if h != "申报日期"]
    d = tmp_path / "in"
    write_xlsx(d / "a_班级.xlsx", [no_date, ["S3", "王五", a, "东方技工学校", "休学", "2024.9.27"]])
    write_xlsx(d / "b_全校.xlsx", [CHANGE_HEADERS, ["S3", "王五", a, "东方技工学校", "休学", "2024.9.27", "2024.10.25"]])
    c = check(cli, d, as_of="2025-06-30").rule("C201")
    assert c.select("file", "row", "column").rows() == [(str(d / "b_全校.xlsx"), "2", "申报日期")], c.rows()
    e = tmp_path / "in2"
    write_xlsx(e / "a_西山.xlsx", [CHANGE_HEADERS, ["2024001", "李四", "", "西山技工学校", "休学", "2024.9.2", ""]])
    write_xlsx(e / "b_东方.xlsx", [CHANGE_HEADERS, ["2024001", "张三", "", "东方技工学校", "休学", "2024.9.2", "2024.10.25"]])
    c = cli("check", e, "--as-of", "2025-06-30", "--format", "csv,json", out=tmp_path / "o2").rule("C201").sort("school")
    assert c["school"].to_list() == ["东方技工学校", "西山技工学校"], c.rows()
    assert "2024-10-25" in c["message"][0] and "2024-10-25" not in c["message"][1], c["message"].to_list()


def test_c203_a_change_sent_back_and_submitted_again_is_pending_not_refused(tmp_path, cli):
    """A 复学 whose 审批状态 says it was sent back (退回) or withdrawn (撤回) and submitted again, still
    in review, is pending, not refused: the roster's 在校 agrees with it (the review found a false
    C203 "名册应为休学"). Near miss: a 复学 sent back and not submitted again (退回修改) did not
    happen, so the 休学 before it is the latest change: C203."""
    x = make_id("20080601", seq="141")
    roster = write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS, roster_row("S1", "赵六", x)])

    def run(status):
        changes = write_xlsx(tmp_path / "异动.xlsx", [[*CHANGE_HEADERS, "审批状态"],
                                                      ["S1", "赵六", x, "东方技工学校", "休学", "2025.3.3", "2025.3.4", "已通过"],
                                                      ["S1", "赵六", x, "东方技工学校", "复学", "2025.5.6", "2025.5.7", status]],
                             title="东方技工学校学籍异动记录")
        return check(cli, "--roster", roster, "--changes", changes, as_of="2025-06-30")

    for status in ("退回修改后重新提交，待审核", "撤回后重新提交，待审核", "驳回后重新提交"):
        r = run(status)
        assert r.rule("C203").height == 0 and r.rule("S007").height == 0, (status, r.findings["message"].to_list())
    r = run("退回修改")
    assert r.rule("C203").height == 1, r.findings["message"].to_list()


def test_c203_a_change_awaiting_approval_has_not_taken_effect(tmp_path, cli):
    """A change 待审核 has not taken effect: 张三's only change, a 退学 待审核, with 在校 on the roster
    is no C203. 李四's roster already shows his 复学 待审核 over an approved 休学: written early,
    not judged (counted). Near misses: 王五's 退学 已通过 with 在校 is reported; 钱七's approved 退学
    entered again as 待审核, with 在校, disagrees with both and is reported (review: it was lost);
    赵六's pending 退学 followed by an approved 复学 is judged on the 复学 (在校 is right)."""
    ids = [make_id(f"2008060{i}", seq=f"1{i}3") for i in range(1, 6)]
    roster = write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS, *[roster_row(f"S{i}", n, x) for i, (n, x) in
                                                                   enumerate(zip(["张三", "李四", "王五", "赵六", "钱七"], ids, strict=True), 1)]])
    a, b, c_, d, e = ids
    changes = write_xlsx(tmp_path / "异动.xlsx", [[*CHANGE_HEADERS, "审批状态"],
                         ["S1", "张三", a, "东方技工学校", "退学", "2025.3.3", "2025.3.5", "待审核"],
                         ["S2", "李四", b, "东方技工学校", "休学", "2024.9.2", "2024.9.3", "已通过"],
                         ["S2", "李四", b, "东方技工学校", "复学", "2025.3.3", "2025.3.5", "审核中"],
                         ["S3", "王五", c_, "东方技工学校", "退学", "2025.3.3", "2025.3.5", "已通过"],
                         ["S4", "赵六", d, "东方技工学校", "退学", "2025.2.3", "2025.2.5", "待审批"],
                         ["S4", "赵六", d, "东方技工学校", "复学", "2025.3.3", "2025.3.5", "通过"],
                         ["S5", "钱七", e, "东方技工学校", "退学", "2025.1.10", "2025.1.13", "已通过"],
                         ["S5", "钱七", e, "东方技工学校", "退学", "2025.3.3", "2025.3.5", "待审核"]],
                         title="东方技工学校学籍异动记录")
    r = check(cli, "--roster", roster, "--changes", changes, as_of="2025-06-30")
    c = r.rule("C203").sort("student_id")
    assert c["student_id"].to_list() == ["S3", "S5"], c["message"].to_list()
    assert "2025-01-10" in c["message"][1], c["message"][1]  # the change in effect
    u = r.json["run"]["unjudged"]["C203"]
    assert u["rows"] == 1 and "待审核" in " ".join(u["reasons"]), u


def test_c201_knows_every_approval_status_of_the_schema():
    """C201 tells a status S007 cannot read from a known one by its own list: the schema's."""
    from xueji_check.rules.changes import APPROVAL_STATUSES
    from xueji_check.spec import load_kind

    (field,) = [f for f in load_kind("changes").fields if f.name == "approval_status"]
    assert set(APPROVAL_STATUSES) == set(field.values)
