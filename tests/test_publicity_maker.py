"""`xueji-check publicity make`: a compliant list that passes its own P401/P402 check."""

from __future__ import annotations

import openpyxl

from conftest import ROSTER_HEADERS, make_id, roster_row, write_xlsx

A, B, C = make_id("20030101", seq="123"), make_id("20030102", seq="133"), make_id("20030103", seq="143")
AID = [["学籍号", "姓名", "身份证号", "学校名称", "学期", "资助类型", "金额", "资助卡号", "在校年级"],
       ["S1", "张三", A, "东方技工学校", "2018秋", "国家助学金", "1000", "6217000000000001", "一年级"],
       ["S2", "李四", B, "东方技工学校", "2018秋", "免学费", "2000", "", "1"],
       ["S3", "王五", C, "东方技工学校", "2019春", "国家助学金", "1000", "6217000000000002", ""]]


def roster_with(tmp_path, major=("数控加工", "数控加工", "电工")):
    headers = [*ROSTER_HEADERS, "专业", "年级", "家庭住址", "联系电话"]
    rows = [roster_row(s, n, i, enroll="2018-09-01") + [m, "2018级", "河南省郑州市金水区花园路12号", "13812345678"]
            for (s, n, i), m in zip((("S1", "张三", A), ("S2", "李四", B), ("S3", "王五", C)), major, strict=True)]
    return write_xlsx(tmp_path / "名册.xlsx", [headers, *rows], title="学生名册")


def cells(path):
    ws = openpyxl.load_workbook(path).active
    return [[v for v in r] for r in ws.iter_rows(values_only=True)]


def test_make_writes_compliant_list_that_passes_p401_p402(tmp_path, cli):
    aid = write_xlsx(tmp_path / "资助.xlsx", AID, title="东方技工学校资助申报表")
    out = tmp_path / "out" / "公示名单.xlsx"
    r = cli("publicity", "make", "--aid", aid, "--roster", roster_with(tmp_path), "--start", "2018-09-28",
            "--term", "2018秋", "--out", out)
    assert r.code == 0, r.stdout + r.stderr
    # 09-28 Fri, 09-29/30 make-up working days, holiday to 10-07: the 5th working day is 10-09.
    assert "2018-10-09" in r.stdout and "自检通过" in r.stdout
    rows = cells(out)
    assert rows[0][0] == "东方技工学校2018年秋季学期免学费和国家助学金受助学生公示名单"
    assert rows[1][0] == "公示时间：2018年9月28日至2018年10月9日（共 5 个工作日）"
    header = rows[3]
    assert header[:5] == ["序号", "姓名", "学校", "专业", "年级"], header
    text = repr(rows)
    for secret in (A, B, "13812345678", "花园路", "6217000000000001", "身份证"):
        assert secret not in text
    assert "王五" not in text  # other term filtered out
    # printed on A4 with every column (the amounts) on one page wide, the header repeated
    import openpyxl
    ws = openpyxl.load_workbook(out)["公示名单"]
    assert int(ws.page_setup.paperSize) == 9 and ws.sheet_properties.pageSetUpPr.fitToPage  # A4
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0) and ws.print_title_rows == "$4:$4"
    # The real checker agrees.
    chk = cli("check", "--publicity", out, "--as-of", "2018-12-31", "--format", "csv,json")
    assert chk.rule("P401").height == 0 and chk.rule("P402").height == 0
    assert "P401" not in chk.json["run"]["skipped_rules"] and "P402" not in chk.json["run"]["skipped_rules"]


def test_make_without_roster_and_weekend_start(tmp_path, cli):
    aid = write_xlsx(tmp_path / "资助.xlsx", AID)
    out = tmp_path / "公示.xlsx"
    r = cli("publicity", "make", "--aid", aid, "--start", "2018-11-03", "--out", out)  # a Saturday
    assert r.code == 0, r.stderr
    assert "2018-11-09" in r.stdout and "不是工作日" in r.stdout
    rows = cells(out)
    assert rows[3][:3] == ["序号", "姓名", "学校"] and "专业" not in rows[3]
    assert {r[1] for r in rows[4:]} == {"张三", "李四", "王五"}


def test_make_refuses_when_self_check_finds_sensitive_data(tmp_path, cli):
    aid = write_xlsx(tmp_path / "资助.xlsx", AID)
    out = tmp_path / "公示.xlsx"
    roster = roster_with(tmp_path, major=("数控加工", "13912345678", "电工"))  # a phone typed into 专业
    r = cli("publicity", "make", "--aid", aid, "--roster", roster, "--start", "2018-11-05", "--out", out)
    assert r.code == 2
    assert "未通过自检" in r.stderr and "P402" in r.stderr and "手机号" in r.stderr
    assert not out.exists() and not list(tmp_path.glob(".公示*"))


def test_list_with_id_column_fails_the_check(tmp_path, cli):
    f = write_xlsx(tmp_path / "公示名单.xlsx", [["姓名", "学校", "身份证号码"], ["张三", "东方技工学校", A]],
                   title="公示时间：2018年11月5日至2018年11月9日")
    r = cli("check", "--publicity", f, "--as-of", "2018-12-31", "--format", "csv,json")
    assert r.code == 1 and r.rule("P402").height == 1


def test_make_bad_inputs_exit_2(tmp_path, cli):
    aid = write_xlsx(tmp_path / "资助.xlsx", AID)
    r = cli("publicity", "make", "--aid", tmp_path / "无.xlsx", "--start", "2018-11-05", "--out", tmp_path / "o.xlsx")
    assert r.code == 2 and "文件不存在" in r.stderr
    r = cli("publicity", "make", "--aid", aid, "--start", "2018-13-05", "--out", tmp_path / "o.xlsx")
    assert r.code == 2 and "无法识别" in r.stderr
    r = cli("publicity", "make", "--aid", aid, "--start", "2018-11-05", "--term", "2030秋", "--out", tmp_path / "o.xlsx")
    assert r.code == 2 and "没有可公示的学生" in r.stderr


def test_make_lists_only_the_eligible_once_each(tmp_path, cli):
    """A student whom A301/A302/A303/A305 would flag for the term is left out and listed with the
    rule (terminal and sheet 未列入名单); duplicate aid rows are merged and A304 named; the count
    printed is the count of people; `check` reads only the list sheet back."""
    ids = {n: make_id("20030101", seq=f"{100 + i:03d}") for i, n in enumerate("甲乙丙丁戊己")}
    headers = [*ROSTER_HEADERS, "专业"]
    roster = write_xlsx(tmp_path / "名册.xlsx", [headers,
        roster_row("S1", "赵甲", ids["甲"], enroll="2018-09-01") + ["数控"],
        roster_row("S2", "钱乙", ids["乙"], enroll="2018-09-01", mode="非全日制") + ["数控"],     # A301
        roster_row("S4", "李丁", ids["丁"], enroll="2019-03-01") + ["数控"],                     # A303
        roster_row("S5", "周戊", ids["戊"], enroll="2015-09-01") + ["数控"]])                    # A305
    head = ["学籍号", "姓名", "身份证号", "学校名称", "学期", "资助类型", "金额"]
    aid = write_xlsx(tmp_path / "资助.xlsx", [head,
        ["S1", "赵甲", ids["甲"], "东方技工学校", "2018秋", "国家助学金", "1000"],
        ["S1", "赵甲", ids["甲"], "东方技工学校", "2018年秋季学期", "国家助学金", "1000"],           # A304, merged
        ["S2", "钱乙", ids["乙"], "东方技工学校", "2018秋", "国家助学金", "1000"],
        ["S3", "孙丙", ids["丙"], "东方技工学校", "2018秋", "国家助学金", "1000"],                  # A302
        ["S6", "吴己13912345678", ids["己"], "东方技工学校", "2018秋", "国家助学金", "1000"],       # A302, masked
        ["S4", "李丁", ids["丁"], "东方技工学校", "2018秋", "国家助学金", "1000"],
        ["S5", "周戊", ids["戊"], "东方技工学校", "2018秋", "国家助学金", "1000"]])
    out = tmp_path / "公示.xlsx"
    r = cli("publicity", "make", "--aid", aid, "--roster", roster, "--start", "2018-11-05", "--out", out)
    assert r.code == 0, r.stderr
    assert "（1 人）" in r.stdout
    for rule in ("A301", "A302", "A303", "A305", "A304"):
        assert rule in r.stdout, (rule, r.stdout)
    wb = openpyxl.load_workbook(out)
    listed = [row[1] for row in wb["公示名单"].iter_rows(min_row=5, values_only=True)]
    assert listed == ["赵甲"]
    left = {row[0]: row[4] for row in wb["未列入名单"].iter_rows(min_row=3, values_only=True)}
    assert left == {"钱乙": "A301", "孙丙": "A302", "李丁": "A303", "周戊": "A305", "赵甲": "A304",
                    "吴己139****5678": "A302"}, left
    assert ids["丙"] not in repr(list(wb["未列入名单"].values))  # reasons quote masked numbers only
    assert "13912345678" not in repr(list(wb["未列入名单"].values)) + r.stdout  # nor names
    chk = cli("check", "--publicity", out, "--as-of", "2018-12-31", "--format", "csv,json")
    assert [s["sheet"] for i in chk.json["run"]["inputs"] for s in i["sheets"]] == ["公示名单"]
    assert chk.rule("P401").height == 0 and chk.rule("P402").height == 0


def test_make_without_roster_says_what_it_could_not_check(tmp_path, cli):
    aid = write_xlsx(tmp_path / "资助.xlsx", AID)
    r = cli("publicity", "make", "--aid", aid, "--start", "2018-11-05", "--out", tmp_path / "o.xlsx")
    assert r.code == 0, r.stderr
    assert "A302（资助对象不在学籍名册）未能核对" in r.stdout and "--roster" in r.stdout
    assert "（3 人）" in r.stdout


def test_make_says_people_and_rows_when_a_student_has_two_aid_types(tmp_path, cli):
    idn = make_id(birth="20030405", seq="123")
    head = ["学籍号", "姓名", "身份证号", "学校名称", "学期", "资助类型", "金额"]
    aid = write_xlsx(tmp_path / "资助.xlsx", [head,
        ["S1", "赵甲", idn, "东方技工学校", "2018秋", "国家助学金", "1000"],
        ["S1", "赵甲", idn, "东方技工学校", "2018秋", "免学费", "2000"]])
    r = cli("publicity", "make", "--aid", aid, "--start", "2018-11-05", "--out", tmp_path / "o.xlsx")
    assert r.code == 0, r.stderr
    assert "（1 人，2 行：" in r.stdout


def test_a_number_typed_into_a_name_fails_the_self_check_and_the_terminal_masks_it(tmp_path, cli):
    """A name cell holding the ID as well (张三 4101…) is refused by the self-check (P402 looks for
    numbers inside text too); a left-out student whose name holds a mobile is listed on the
    terminal with it masked. The near miss: the same names without numbers make the list."""
    def run(first: str, other: str):
        aid_rows = [AID[0], ["S1", first, A, "东方技工学校", "2018秋", "国家助学金", "1000", "6217000000000001", "一年级"],
                    ["S2", "李四", B, "东方技工学校", "2018秋", "免学费", "2000", "", "1"],
                    ["X9", other, make_id("20030105", seq="153"), "东方技工学校", "2018秋", "国家助学金", "1000", "", ""]]
        out = tmp_path / f"公示{len(first)}.xlsx"
        r = cli("publicity", "make", "--aid", write_xlsx(tmp_path / "资助.xlsx", aid_rows), "--roster", roster_with(tmp_path),
                "--start", "2018-09-28", "--term", "2018秋", "--out", out)
        return r, out

    r, out = run(f"张三 {A}", "赵六 13912345678")
    assert r.code == 2 and "未通过自检" in r.stderr and "P402" in r.stderr and not out.exists(), r.stdout + r.stderr
    assert A not in r.stdout + r.stderr and "13912345678" not in r.stdout + r.stderr
    r, out = run("张三", "赵六 13912345678")  # near miss: a clean list; the one left out is listed masked
    assert r.code == 0 and out.exists(), r.stdout + r.stderr
    assert "赵六 139****5678" in r.stdout and "13912345678" not in r.stdout + r.stderr


def test_the_list_is_private_until_it_passes_its_self_check(tmp_path, monkeypatch):
    """A run killed between writing and checking left a list others could read, holding the number
    the check was about to refuse: the file is 0600 while it is checked, the umask's mode after."""
    import datetime as dt
    import os
    import stat

    from xueji_check import publicity_maker

    seen = []

    def check(path, display, policy, as_of):
        seen.append(stat.S_IMODE(os.stat(path).st_mode))
        return []

    monkeypatch.setattr(publicity_maker, "self_check", check)
    aid = write_xlsx(tmp_path / "资助.xlsx", AID, title="东方技工学校资助申报表")
    out = tmp_path / "公示名单.xlsx"
    old = os.umask(0o022)
    try:
        publicity_maker.make(aid, out, dt.date(2018, 11, 5), as_of=dt.date(2018, 12, 31))
    finally:
        os.umask(old)
    assert seen == [0o600] and stat.S_IMODE(os.stat(out).st_mode) == 0o644


def test_a_temp_file_left_by_a_killed_run_with_our_process_id_is_replaced(tmp_path):
    """In a container every run may get the same process id: the leftover of a killed run with it
    is ours to replace, not a reason to fail (review)."""
    import datetime as dt
    import os

    from xueji_check import publicity_maker

    aid = write_xlsx(tmp_path / "资助.xlsx", AID, title="东方技工学校资助申报表")
    out = tmp_path / "公示名单.xlsx"
    (tmp_path / f".{out.stem}.{os.getpid()}.tmp.xlsx").write_bytes(b"left by a killed run")
    publicity_maker.make(aid, out, dt.date(2018, 11, 5), as_of=dt.date(2018, 12, 31))
    assert out.is_file() and not (tmp_path / f".{out.stem}.{os.getpid()}.tmp.xlsx").exists()
