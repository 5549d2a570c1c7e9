"""Red-team false findings in the registration rules (R102, R103, R108), through the real CLI."""

from __future__ import annotations

from pathlib import Path

from conftest import make_id, write_xlsx
from test_rules_registration import check, messages, rec, roster, table


def r103_by_row(res) -> dict[str, str]:
    got = res.rule("R103")
    return dict(zip(got["row"].to_list(), got["message"].to_list(), strict=True))


def employed_list(tmp_path: Path, *ids: str) -> Path:
    return write_xlsx(tmp_path / "in" / "在职参保名单.xlsx",
                      [["身份证号", "姓名", "参保单位"], *[[i, "某人", "某餐饮公司"] for i in ids]],
                      title="在职参保人员名单")


# ------------------------------------------------------------------ R103: only students on the register
def test_r103_graduates_and_dropouts_who_work_now_are_not_workers_registered_full_time(tmp_path, cli):
    """A graduate with a 就业单位 and 参保, a dropout on the 参保 list: what they do now is no
    registration of a worker as full-time. Near misses: a 在校 (written 在读) student with an
    employer, a 休学 student on the list, and a graduate whose 生源类别 (written at
    registration) is 企业职工 are still reported."""
    ids = [make_id(f"2006010{i}", seq="111") for i in range(1, 8)]
    recs = [
        rec(学籍号="1", 身份证号=ids[0], 学籍状态="毕业", 毕业日期="2025-06-20", 就业单位="郑州宇通客车股份有限公司"),
        rec(学籍号="2", 身份证号=ids[1], 学籍状态="退学", 就业单位=""),
        rec(学籍号="3", 身份证号=ids[2], 学籍状态="已毕业", 就业单位="某某机械有限公司"),  # synonym
        rec(学籍号="4", 身份证号=ids[3], 学籍状态="在读", 就业单位="某某机械有限公司"),  # synonym of 在校
        rec(学籍号="5", 身份证号=ids[4], 学籍状态="休学", 就业单位=""),
        rec(学籍号="6", 身份证号=ids[5], 学籍状态="毕业", 就业单位="", 生源类别="企业职工"),
        rec(学籍号="7", 身份证号=ids[6], 学籍状态="转出", 就业单位="", 是否在职="是"),
    ]
    emp = employed_list(tmp_path, ids[0], ids[1], ids[4])
    res = check(cli, roster(tmp_path, "名册.xlsx", recs), extra=("--employed", str(emp)))
    got = r103_by_row(res)
    assert sorted(got) == ["6", "7", "8"], got
    assert "工作单位填有「某某机械有限公司」" in got["6"]
    assert "在职参保名单" in got["7"]
    assert "生源类别为「企业职工」" in got["8"]


def test_r103_a_student_whose_status_cannot_be_read_is_not_judged_but_counted(tmp_path, cli):
    """学籍状态「停学」 is no status of the list (a disciplinary suspension or a leave): whether the
    student is on the register is unknown, so the employer is not read, and the row is counted
    among those R103 could not judge."""
    recs = [rec(学籍号="1", 学籍状态="停学", 工作单位="某某机械有限公司"),
            rec(学籍号="2", 身份证号=make_id("20070505", seq="224"), 性别="女", 工作单位="某某机械有限公司")]
    res = check(cli, roster(tmp_path, "名册.xlsx", recs))
    assert sorted(r103_by_row(res)) == ["4"], messages(res, "R103")
    assert res.json["run"]["unjudged"]["R103"]["rows"] == 1, res.json["run"]["unjudged"]


def test_r103_an_interns_or_ended_cover_on_the_list_is_no_employment(tmp_path, cli):
    """The 参保 list's 参保险种 and 参保状态: an intern's work-injury cover, a student's medical
    insurance and a cover that has stopped are no job. Near miss: 职工养老保险, 正常参保."""
    ids = [make_id(f"2007020{i}", seq="131") for i in range(1, 6)]
    recs = [rec(学籍号=str(i), 身份证号=idn, 就业单位="") for i, idn in enumerate(ids, 1)]
    emp = write_xlsx(tmp_path / "in" / "在职参保名单.xlsx", [
        ["身份证号", "姓名", "参保单位", "参保险种", "参保状态"],
        [ids[0], "某人", "某实习企业", "工伤保险（实习生）", "正常参保"],
        [ids[1], "某人", "某学校", "城乡居民基本医疗保险", "正常"],
        [ids[2], "某人", "某餐饮公司", "职工养老保险", "停保"],
        [ids[3], "某人", "某餐饮公司", "企业职工基本养老保险", "正常参保"],
    ], title="在职参保人员名单")
    res = check(cli, roster(tmp_path, "名册.xlsx", recs), extra=("--employed", str(emp)))
    got = r103_by_row(res)
    assert sorted(got) == ["6"], got  # ids[3]: the roster's title and header take rows 1-2
    assert "某餐饮公司" in got["6"]


# ------------------------------------------------------------------ R103: words that mean "no employer"
NONE_WORDS = ["否", "无工作", "暂未就业", "无。", "未就业", "／", "（无）", " 暂无工作单位 ", "无/学生", "N/A", "不在职",
              "——", "待业", "在校学生", "暂 无", "没有", "在校", "待业中", "无职业", "无业游民", "无固定职业", "家里务农"]
EMPLOYERS = ["无锡市某某机械有限公司", "无线电厂", "未来科技有限公司", "空港物流有限公司", "学生资助服务中心", "郑州宇通客车股份有限公司"]


def test_r103_no_employer_words_are_no_employer_and_names_starting_with_them_are(tmp_path, cli):
    """「否」「无工作」「暂未就业」「无。」… were reported as 工作单位填有「…」. Near misses: an employer
    whose name only starts with such a word (无锡…, 无线电厂, 未来…, 空港…, 学生资助…) is still one."""
    recs = [rec(学籍号=str(i), 身份证号=make_id("20080101", seq=f"{i:03d}"), 工作单位=w)
            for i, w in enumerate(NONE_WORDS + EMPLOYERS, start=1)]
    res = check(cli, roster(tmp_path, "名册.xlsx", recs))
    got = r103_by_row(res)
    first = len(NONE_WORDS) + 3  # the data starts on row 3 (a title row, then the header)
    assert sorted(got, key=int) == [str(r) for r in range(first, first + len(EMPLOYERS))], got
    for w in EMPLOYERS:
        assert any(f"工作单位填有「{w}」" in m for m in got.values()), w


# ------------------------------------------------------------------ R108: new students only
def late(i: int, **kw: str) -> dict[str, str]:
    """A student enrolled 2023-09-01 and registered 2024-03-12 (after the 2023-10-20 deadline)."""
    return rec(学籍号=f"G{i}", 身份证号=make_id("20070315", seq=f"{i:03d}"), 入学日期="2023年9月1日",
               注册日期="2024年3月12日", **kw)


def test_r108_a_student_whose_status_says_transferred_in_is_no_late_new_student(tmp_path, cli):
    """学籍状态「转入」 (read as 在校): registered when the transfer was made. Near miss: the same
    dates for a student 在校 are still late."""
    f = roster(tmp_path, "名册.xlsx", [late(1, 学籍状态="转入"), late(2, 学籍状态=" 系统内转入 "), late(3)])
    res = check(cli, f)
    assert res.rule("R108")["row"].to_list() == ["5"], messages(res, "R108")
    assert "逾期 144 天" in messages(res, "R108")[0]


def test_r108_a_transfer_in_change_at_this_school_exempts_the_student(tmp_path, cli):
    """A 转入 (or 系统外转入) change of the student in the changes table: not judged, also when the
    change names the student by 学籍号 only. Near misses: a 转入 change at another school, and a
    休学 change at this school, leave R108 on."""
    ids = [make_id("20070315", seq=f"{i:03d}") for i in range(1, 5)]
    f = roster(tmp_path, "名册.xlsx", [late(i) for i in range(1, 5)])
    changes = write_xlsx(tmp_path / "in" / "学籍异动记录.xlsx", [
        ["学籍号", "姓名", "身份证号", "学校名称", "异动类型", "异动日期"],
        ["G1", "张三", ids[0], "东方技工学校", "转入", "2024-03-08"],
        ["G2", "张三", "", "东方技工学校", "系统外转入", "2024-03-08"],  # by 学籍号 only
        ["G3", "张三", ids[2], "西方技工学校", "转入", "2024-03-08"],  # another school
        ["G4", "张三", ids[3], "东方技工学校", "休学", "2024-03-08"],
    ], title="学籍异动记录")
    res = check(cli, f, extra=("--changes", str(changes)))
    assert res.rule("R108")["row"].to_list() == ["5", "6"], messages(res, "R108")


# ------------------------------------------------------------------ R102: one registration listed twice
def test_r102_a_summary_sheet_repeating_the_class_sheet_is_the_same_registration(tmp_path, cli):
    """Class sheet + 全校汇总 with the same school and 学籍号; on the summary sheet one ID was saved
    as a number by Excel, another has a typo, a third 学籍号 lost its leading zero: one 学籍 each,
    no R102 (S003/S004 report the numbers). Near misses: the same person under another ID with
    another 学籍号 at the same school, or the same 学籍号 at another school, are still reported."""
    a, b, c = (make_id("20080315", seq="131"), make_id("20080720", seq="251"), make_id("20080101", seq="371"))
    typo = b[:-1] + ("1" if b[-1] != "1" else "2")
    other_c = make_id("20080101", region="110105", seq="371")

    def row(sid, name, idn, **kw):
        return rec(学籍号=sid, 姓名=name, 身份证号=idn, 出生日期=f"{str(idn)[6:10]}-{str(idn)[10:12]}-{str(idn)[12:14]}", **kw)

    cls = [row("D2024001", "张三", a), row("D2024002", "李四", b), row("0240003", "王五", c)]
    summary = [row("D2024001", "张三", int(a)), row("d2024002", "李四", typo), row(240003, "王五", c)]
    f = write_xlsx(tmp_path / "in" / "东方.xlsx", table(cls), sheet="数控2401班", extra_sheets={"全校汇总": table(summary)})
    res = check(cli, f)
    assert res.rule("R102").height == 0, messages(res, "R102")
    assert {"S003", "S004"} <= set(res.findings["rule_id"].to_list())

    near = [row("D2024009", "王五", other_c), row("0240003", "王五", other_c, 学校名称="西方技工学校")]
    g = write_xlsx(tmp_path / "in" / "东方2.xlsx", table(cls), sheet="数控2401班",
                   extra_sheets={"全校汇总": table(summary), "补录": table(near)})
    res = check(cli, g)
    got = res.rule("R102")
    assert sorted(got["sheet"].to_list()) == ["全校汇总", "数控2401班", "补录", "补录"], messages(res, "R102")
    assert set(got["name"].to_list()) == {"王五"}


def test_r102_two_valid_numbers_under_one_student_id_are_two_people(tmp_path, cli):
    """One school, one 学籍号, two valid IDs (different areas, same name, birth and gender): no
    S003/S004 explains the difference, so it may be two people on one 学籍: both rows reported."""
    a, b = make_id("20070315", seq="111"), make_id("20070315", region="410302", seq="311")
    recs = [rec(学籍号="2024001", 姓名="张三", 身份证号=a, 出生日期="2007-03-15"),
            rec(学籍号="2024001", 姓名="张三", 身份证号=b, 出生日期="2007-03-15")]
    res = check(cli, write_xlsx(tmp_path / "in" / "东方.xlsx", table(recs)))
    assert res.rule("R102").height == 2, messages(res, "R102")


def test_r108_a_transfer_in_at_another_school_or_after_the_registration_is_no_excuse(tmp_path, cli):
    """张三 registered late at 东方 and later left for 西山 (a changes file titled 西山…, no school
    column): his 转入 is 西山's, R108 at 东方 stands. 李四's 转入 at 东方 is dated after his
    registration: not what the registration was for, R108 stands. 王五 transferred in to 东方
    before registering: not judged."""
    head = ["学籍号", "姓名", "身份证号", "性别", "学校名称", "学制", "学习形式", "入学日期", "注册日期", "学籍状态"]
    a, b, c = make_id("20080301", seq="151"), make_id("20080302", seq="161"), make_id("20080303", seq="171")
    roster = write_xlsx(tmp_path / "in" / "名册.xlsx", [head,
        ["D1", "张三", a, "男", "东方技工学校", "3", "全日制", "2024-09-01", "2024-11-15", "转出"],
        ["D2", "李四", b, "男", "东方技工学校", "3", "全日制", "2024-09-01", "2024-11-15", "在校"],
        ["D3", "王五", c, "男", "东方技工学校", "3", "全日制", "2024-09-01", "2024-11-15", "在校"]])
    ch = ["学籍号", "姓名", "身份证号", "异动类型", "异动日期", "申报日期"]
    west = write_xlsx(tmp_path / "in" / "西山异动.xlsx", [ch, ["X1", "张三", a, "转入", "2025-03-03", "2025-03-04"]],
                      title="西山技工学校2025年春季学期学籍异动记录")
    east = write_xlsx(tmp_path / "in" / "东方异动.xlsx", [ch, ["D2", "李四", b, "转入", "2025-01-06", "2025-01-07"],
                                                         ["D3", "王五", c, "转入", "2024-11-11", "2024-11-12"]],
                      title="东方技工学校学籍异动记录")
    res = cli("check", "--roster", roster, "--changes", west, "--changes", east, "--as-of", "2025-06-30",
              "--format", "csv,json")
    assert sorted(res.rule("R108")["student_id"].to_list()) == ["D1", "D2"], res.rule("R108")["message"].to_list()


R108_HEAD = ["学籍号", "姓名", "身份证号", "性别", "学校名称", "学制", "学习形式", "入学日期", "注册日期", "学籍状态"]


def test_r108_a_transfer_told_by_the_old_school_is_no_new_registration(tmp_path, cli):
    """A student who came from another school, registered here long after the intake deadline,
    is no late new student when: the old school's roster says 转出/转学 for the same ID (赵一);
    a 转出 change at the old school (钱二) or this school's own 转学 change dated before the
    registration (孙三) says so. A 转入 here a few days after the registration (李四) is not judged
    (counted). Near misses: a 转出 change at this same school (周五: he left, not came), and a 转入
    two months after the registration (吴六), leave R108 standing."""
    ids = [make_id(f"2008030{i}", seq=f"{151 + 10 * i}") for i in range(1, 7)]
    names = ["赵一", "钱二", "孙三", "李四", "周五", "吴六"]
    east = [[f"D{i}", n, d, "男", "东方技工学校", "3", "全日制", "2023-09-01", "2025-03-12", "在校"]
            for i, (n, d) in enumerate(zip(names, ids, strict=True), 1)]
    west = [["X1", "赵一", ids[0], "男", "西城技工学校", "3", "全日制", "2023-09-01", "2023-10-08", "转出"]]
    r_east = write_xlsx(tmp_path / "in" / "东方名册.xlsx", [R108_HEAD, *east])
    r_west = write_xlsx(tmp_path / "in" / "西城名册.xlsx", [R108_HEAD, *west])
    ch = ["学籍号", "姓名", "身份证号", "学校名称", "异动类型", "异动日期", "申报日期"]
    changes = write_xlsx(tmp_path / "in" / "异动.xlsx", [ch,
        ["X2", "钱二", ids[1], "西城技工学校", "转出", "2025-03-05", "2025-03-06"],
        ["D3", "孙三", ids[2], "东方技工学校（本部）", "转学", "2025-03-05", "2025-03-06"],
        ["D4", "李四", ids[3], "东方技工学校", "转入", "2025-03-15", "2025-03-16"],
        ["D5", "周五", ids[4], "东方技工学校", "转出", "2025-03-05", "2025-03-06"],
        ["D6", "吴六", ids[5], "东方技工学校", "转入", "2025-05-20", "2025-05-21"]])
    res = cli("check", "--roster", r_east, "--roster", r_west, "--changes", changes, "--as-of", "2025-06-30",
              "--format", "csv,json")
    assert sorted(res.rule("R108")["name"].to_list()) == ["吴六", "周五"], messages(res, "R108")
    reasons = res.json["run"]["unjudged"]["R108"]["reasons"]
    assert reasons == {"转入本校的异动日期在注册日期之后一个月内（无法确定注册是否为这次转入办理）": 1}, reasons


def test_r108_an_enrolment_before_the_birth_is_a_wrong_date_not_a_late_registration(tmp_path, cli):
    """入学日期 2004-09-01 for a student born 2008 (a year typed wrong), registered 2024-10-10: no
    "7,295 days late" error; the row is counted as not judged and R111 names both fields without
    calling the ID fake. Near miss: the same with 入学日期 2024-09-01 and a late registration is R108."""
    a, b = make_id("20080317", seq="151"), make_id("20080318", seq="161")
    f = write_xlsx(tmp_path / "in" / "名册.xlsx", [R108_HEAD,
        ["D1", "张三", a, "男", "东方技工学校", "3", "全日制", "2004-09-01", "2024-10-10", "在校"],
        ["D2", "李四", b, "男", "东方技工学校", "3", "全日制", "2024-09-01", "2024-11-10", "在校"]])
    res = check(cli, f, as_of="2024-11-30")
    assert res.rule("R108")["student_id"].to_list() == ["D2"], messages(res, "R108")
    assert res.json["run"]["unjudged"]["R108"]["reasons"] == {"入学日期早于身份证号中的出生日期（入学日期有误）": 1}
    (msg,) = messages(res, "R111")
    assert "身份证号和入学日期至少有一个是错的" in msg and "并核对入学日期" in msg and "对应不到真实的人" not in msg, msg


def test_an_excel_zero_in_a_date_cell_is_no_date(tmp_path, cli):
    """A 0 or 1 in a date-formatted cell (a lookup that found nothing) shows as 1899-12-31 or
    1900-01-01: S006 says what it is, and no rule counts from it (it had been R108 "45,646 days
    late" and R111 "born after enrolment"). Near miss: a real date serial in the same column is read."""
    import openpyxl

    f = tmp_path / "in" / "名册.xlsx"
    f.parent.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(R108_HEAD)
    ids = [make_id("20080317", seq=f"{151 + 10 * i}") for i in range(3)]
    for i, serial in enumerate([0, 1, 45536]):
        ws.append([f"D{i}", "张三", ids[i], "男", "东方技工学校", "3", "全日制", serial, "2024-12-10", "在校"])
        ws.cell(row=i + 2, column=8).number_format = "yyyy-mm-dd"
    wb.save(f)
    res = check(cli, f, as_of="2024-12-31")
    s006 = res.rule("S006")
    assert sorted(s006["student_id"].to_list()) == ["D0", "D1"], messages(res, "S006")
    assert all("Excel 把 0 或空值显示成的日期" in m for m in s006["message"].to_list()), messages(res, "S006")
    assert res.rule("R108")["student_id"].to_list() == ["D2"], messages(res, "R108")
    assert res.rule("R111").height == 0, messages(res, "R111")


def test_ordinary_wordings_of_status_programme_length_dates_and_photos_are_read(tmp_path, cli):
    """Red team: readable values had been S006/S007 errors. 学籍状态 休学中 / 在校（走读）/ 毕业离校 /
    毕业（已离校）; 学制 五年一贯制 / 18个月; 入学日期 202409; 毕业照片 已拍照 / 照片已上传. 6个月 is half a
    year: R105 now sees it. Near misses: 在籍（保留学籍） names another status (S007), 202413 is no
    month (S006), 毕业照片 未拍照 is R109."""
    head = ["学籍号", "姓名", "身份证号", "性别", "学校名称", "学制", "学习形式", "入学日期", "学籍状态", "毕业日期", "毕业照片"]
    vals = [("3", "2024-09-01", "休学中", "", ""), ("3", "2024-09-01", "在校（走读）", "", ""),
            ("3", "2021-09-01", "毕业离校", "2024-07-01", "已拍照"), ("3", "2021-09-01", "毕业（已离校）", "2024-07-01", "照片已上传"),
            ("五年一贯制", "2024-09-01", "在校", "", ""), ("18个月", "2024-09-01", "在校", "", ""),
            ("3", "202409", "在校", "", ""), ("6个月", "2024-09-01", "在校", "", ""),
            ("3", "2024-09-01", "在籍（保留学籍）", "", ""), ("3", "202413", "在校", "", ""),
            ("3", "2021-09-01", "毕业", "2024-07-01", "未拍照"), ("3", "2021-09-01", "毕业", "2024-07-01", "照片未上传"),
            ("3", "2021-09-01", "毕业", "2024-07-01", "张未来.jpg"), ("3", "200901", "在校", "", "")]
    rows = [[f"D{i}", "张三", make_id("20080101", seq=f"{101 + 2 * i:03d}"), "男", "东方技工学校", y, "全日制", e, st, g, ph]
            for i, (y, e, st, g, ph) in enumerate(vals)]
    res = check(cli, write_xlsx(tmp_path / "in" / "名册.xlsx", [head, *rows]), as_of="2024-12-31")
    assert res.rule("S007")["student_id"].to_list() == ["D8"], messages(res, "S007")
    assert res.rule("S006")["student_id"].to_list() == ["D9", "D13"], messages(res, "S006")  # 200901: YYMMDD too
    assert res.rule("R105")["student_id"].to_list() == ["D7"], messages(res, "R105")
    assert res.rule("R109")["student_id"].to_list() == ["D10", "D11"], messages(res, "R109")
