"""The fraud patterns of issue 15 through the real CLI on real spreadsheets: A311 一卡多人, A312 未审批先
发放, R110 联系方式聚集, R111 证件号码不可核验, R112 新生无学籍照片; and the normalisers they stand on
(card numbers, phone numbers, addresses, photos, GB/T 2260 area codes)."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from conftest import make_id, write_csv, write_xlsx
from xueji_check import normalize as nz

AS_OF = "2025-01-01"


def luhn(body: str) -> str:
    """`body` with its Luhn check digit (a card number that passes the check)."""
    total = 0
    for i, c in enumerate(reversed(body)):
        d = int(c) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


CARD = luhn("621700123456789012")  # 19 digits
CARD2 = luhn("621700987654321098")
A = make_id("20080101", seq="123")
B = make_id("20080202", seq="133")
C = make_id("20080303", seq="143")
D = make_id("20080404", seq="153")
E = make_id("20080505", seq="163")


def table(recs: list[dict[str, str]]) -> list[list[str]]:
    headers: list[str] = []
    for r in recs:
        headers += [h for h in r if h not in headers]
    return [headers] + [[r.get(h, "") for h in headers] for r in recs]


def student(sid: str, name: str, idn: str, **kw: str) -> dict[str, str]:
    base = {"学籍号": sid, "姓名": name, "身份证号": idn, "学校名称": "东方技工学校", "学制": "3", "学习形式": "全日制",
            "入学日期": "2024-09-01", "学籍状态": "在校"}
    base.update(kw)
    return base


def grant(sid: str, name: str, idn: str, **kw: str) -> dict[str, str]:
    base = {"学籍号": sid, "姓名": name, "身份证号": idn, "学校名称": "东方技工学校", "学期": "2024秋",
            "资助类型": "国家助学金", "金额": "1000", "申报日期": "2024-10-10", "审批日期": "2024-10-25",
            "发放日期": "2024-11-20", "发放方式": "资助卡", "学生签字": "是", "资助卡号": CARD}
    base.update(kw)
    return base


def check(cli, *args, as_of: str = AS_OF, config: Path | None = None, out: Path | None = None):
    extra = ["--config", str(config)] if config else []
    return cli("check", *args, "--as-of", as_of, "--format", "csv,json", *extra, out=out)


def aid_file(tmp_path: Path, recs: list[dict[str, str]], name: str = "资助.xlsx") -> Path:
    return write_xlsx(tmp_path / "in" / name, table(recs), title="资助发放明细")


def roster_file(tmp_path: Path, recs: list[dict[str, str]], name: str = "名册.xlsx") -> Path:
    return write_xlsx(tmp_path / "in" / name, table(recs), title="学生名册")


def rows(res, rule: str) -> list[str]:
    return sorted(res.rule(rule)["row"].to_list(), key=int)


def skipped(res) -> dict[str, str]:
    return res.json["run"]["skipped_rules"]


# ================================================================== normalisers
def test_card_numbers_compare_as_digits():
    raw = [CARD, " ".join(CARD[i:i + 4] for i in range(0, 19, 4)), "-".join(CARD[i:i + 4] for i in range(0, 19, 4)),
           "".join(chr(ord(c) + 0xFEE0) for c in CARD), f"\u202d{CARD}\u202c", f'="{CARD}"', "'" + CARD]
    keys = pl.DataFrame({"v": raw}).select(nz.card_key(pl.col("v"))).to_series().to_list()
    assert keys == [CARD] * len(raw)


@pytest.mark.parametrize("value", ["无", "/", "0", "", "待办", "6217000000000000", "6217001111111111111", "0000000000000000",
                                   "1234"])
def test_placeholder_cards_have_no_key(value):
    assert pl.select(nz.card_key(pl.lit(value))).item() is None


def luhn_ok(n: str) -> bool:
    return luhn(n[:-1]) == n


def valid_with_zeros(prefix: str, length: int) -> str:
    """A Luhn-valid number of `length` digits: `prefix`, one free digit, then zeros (Excel's mark
    on a genuine card, which happens one time in ten)."""
    for d in "0123456789":
        n = (prefix + d).ljust(length, "0")
        if luhn_ok(n):
            return n
    raise AssertionError


def test_card_damage_is_excels_mark_and_a_failed_luhn():
    genuine16 = valid_with_zeros("62170012345678", 16)  # ends in 0 like a damaged one, but passes Luhn
    df = pl.DataFrame({"c": ["6.21700E+18", "6.217001234567891e+18", "6217001234567890944", "6217001234567890000",
                             CARD, genuine16, "6217 0012 3456 7890 000"],
                       "_tid": list(range(7))})
    got = df.select(nz.card_damaged(pl.col("c"))).to_series().to_list()
    assert got == [True, True, True, not luhn_ok("6217001234567890000"), False, False,
                   not luhn_ok("6217001234567890000")]


def test_a_table_with_one_damaged_card_makes_every_marked_card_damaged():
    marked = valid_with_zeros("62170012345678", 19)  # Excel's mark, Luhn-valid by chance
    assert marked.endswith("0000") and luhn_ok(marked)
    numeric = pl.DataFrame({"c": ["6.21700E+18", marked, CARD], "_tid": [1, 1, 1]})
    assert numeric.select(nz.card_damaged(pl.col("c"))).to_series().to_list() == [True, True, False]
    alone = pl.DataFrame({"c": [marked, CARD], "_tid": [2, 2]})
    assert alone.select(nz.card_damaged(pl.col("c"))).to_series().to_list() == [False, False]


@pytest.mark.parametrize("raw,expected", [
    ("13812345678", ["13812345678"]), ("138 1234 5678", ["13812345678"]), ("138-1234-5678", ["13812345678"]),
    ("+86 13812345678", ["13812345678"]), ("0086-138-1234-5678", ["13812345678"]), ("8613812345678", ["13812345678"]),
    ("１３８１２３４５６７８", ["13812345678"]), ("\u200b13812345678\ufeff", ["13812345678"]),
    ("父13812345678 母13987654321", ["13812345678", "13987654321"]), ("13812345678/13987654321", ["13812345678", "13987654321"]),
    ("13812345678，13987654321", ["13812345678", "13987654321"]), ("0371-66123456", ["037166123456"]),
    ("(0371)66123456", ["037166123456"]), ("66123456", ["66123456"]),
    ("无", []), ("/", []), ("0", []), ("13800000000", []), ("13888888888", []), ("11111111111", []),
    ("12345678", []), ("", []),
])
def test_phone_numbers(raw, expected):
    assert pl.select(nz.phone_numbers(pl.lit(raw))).item().to_list() == expected


@pytest.mark.parametrize("variants", [
    ["河南省郑州市金水区文化路12号3栋2单元501室", "郑州金水区文化路12号3幢2单元501", "金水区文化路12#3-2-501",
     "郑州市金水区文化路12号3号楼2单元501室", "河南郑州金水区文化路１２号３栋２单元５０１室", "金水区文化路12号三栋二单元501室"],
    ["北京市朝阳区建国路88号", "北京朝阳区建国路88号", "朝阳区建国路88号"],
    ["广西壮族自治区南宁市青秀区民族大道1号", "广西南宁市青秀区民族大道1号", "南宁青秀区民族大道1号"],
])
def test_address_variants_are_one_address(variants):
    keys = set(pl.DataFrame({"v": variants}).select(nz.address_key(pl.col("v"))).to_series().to_list())
    assert None not in keys
    with_city = {k for k in keys if not k.startswith("|")}
    assert len(with_city) == 1
    # written without the city: the same district and rest (R110 compares them within a school)
    assert {k.split("|", 1)[1] for k in keys} == {k.split("|", 1)[1] for k in with_city}


@pytest.mark.parametrize("a,b", [
    ("南京市鼓楼区山西路12号3栋501室", "南京市鼓楼区陕西路12号3栋501室"),  # streets named after provinces
    ("辽宁省朝阳市双塔区朝阳大街5号", "北京市朝阳区朝阳大街5号"),            # 朝阳市 is not 朝阳区
])
def test_address_near_misses_stay_apart(a, b):
    ka, kb = pl.DataFrame({"v": [a, b]}).select(nz.address_key(pl.col("v"))).to_series().to_list()
    assert ka and kb and ka != kb


@pytest.mark.parametrize("raw", ["无", "不详", "同上", "周口市郸城县汲冢镇王庄村", "周口市郸城县汲冢镇王庄村3组",
                                 "东方技工学校学生宿舍3栋201室", "郑州市金水区东方技校集体户12号", "",
                                 "郑州市二七区儿童福利院3号楼", "开封市SOS儿童村5号", "洛阳市未成年人救助保护中心2号"])
def test_addresses_that_say_nothing_about_a_household(raw):
    assert pl.select(nz.address_key(pl.lit(raw))).item() is None


def test_area_codes_of_every_gb2260_version():
    codes = pl.Series(["110103", "110104", "410105", "440305", "810000", "000000", "999999", "410198", "123456"])
    got = pl.select(nz.area_code_assigned(codes + "200801011234")).to_series().to_list()
    assert got == [True, True, True, True, True, False, False, False, False]


@pytest.mark.parametrize("raw,missing", [("", True), ("否", True), ("无", True), ("未采集", True), ("待采集", True),
                                         ("N", True), ("是", False), ("已采集", False), ("D20240001.jpg", False),
                                         ("√", False)])
def test_photo_missing(raw, missing):
    assert pl.select(nz.photo_missing(pl.lit(raw))).item() is missing


# ================================================================== A311
def test_a311_one_card_two_students_across_schools(tmp_path, cli):
    east = aid_file(tmp_path, [grant("S1", "张三", A), grant("S2", "李四", B, 资助卡号=CARD2)], "东方资助.xlsx")
    spaced = " ".join(CARD[i:i + 4] for i in range(0, 19, 4))
    west = aid_file(tmp_path, [grant("W1", "王五", C, 学校名称="西方技工学校", 资助卡号="\u202d" + spaced)], "西方资助.xlsx")
    res = check(cli, "--aid", east, "--aid", west)
    a = res.rule("A311")
    assert sorted(a["name"].to_list()) == ["张三", "王五"]
    msg = a.filter(pl.col("name") == "张三")["message"][0]
    assert "2 名不同的学生" in msg and "王五（西方技工学校 西方资助.xlsx 第 3 行）" in msg
    assert not re.search(r"\d{5,}|\*\*\*", msg) and C not in msg  # no card or ID number, not even masked
    assert all(CARD[i:i + 4] not in msg for i in range(4, 19, 4))
    assert a["column"].unique().to_list() == ["资助卡号"]
    assert res.code == 1


def test_a311_names_up_to_five_others_and_the_count(tmp_path, cli):
    ids = [make_id(f"200801{d:02d}", seq="123") for d in range(1, 9)]
    res = check(cli, "--aid", aid_file(tmp_path, [grant(f"S{i}", f"学生{i}", idn) for i, idn in enumerate(ids)]))
    a = res.rule("A311")
    assert a.height == 8
    msg = a["message"][0]
    assert "8 名不同的学生" in msg and "等共 7 人" in msg and msg.count("资助.xlsx 第") == 5


def test_a311_near_misses_same_student_and_placeholders(tmp_path, cli):
    recs = [grant("S1", "张三", A), grant("S1", "张三", A, 资助类型="免学费", 金额="2000"),  # one student, two aid types
            grant("", "张三", A, 学期="2025春", 申报日期="2025-04-01"),                   # the same, without 学籍号
            grant("S1", "张三", "", 学期="2025秋", 申报日期="2025-10-01")]                 # the same, 学籍号 only
    for i, (idn, placeholder) in enumerate([(B, "无"), (C, "无"), (D, "6217000000000000"), (E, "6217000000000000")]):
        recs.append(grant(f"P{i}", f"占位{i}", idn, 资助卡号=placeholder))
    res = check(cli, "--aid", aid_file(tmp_path, recs), as_of="2025-12-31")
    assert res.rule("A311").height == 0, res.rule("A311")["message"].to_list()


def test_a311_one_students_student_id_written_two_ways_is_one_student(tmp_path, cli):
    """The card of a student in a row with ID and 学籍号 00240003 and in a row without ID and 240003
    (Excel dropped the zeros), or D20240007 and d20240007, was called shared with 2 students, the
    student himself being the other. 学籍号 compare as in A302/R101. Near miss: another student
    (学籍号 240005, no ID) on the same card is still reported."""
    recs = [grant("00240003", "张三", A), grant("240003", "张三", "", 学期="2025春", 申报日期="2025-04-01"),
            grant("D20240007", "李四", B, 资助卡号=CARD2),
            grant(" d20240007 ", "李四", "", 学期="2025春", 申报日期="2025-04-01", 资助卡号=CARD2),
            grant("240005", "王五", "", 学期="2025春", 申报日期="2025-04-01")]
    res = check(cli, "--aid", aid_file(tmp_path, recs), as_of="2025-06-30")
    a = res.rule("A311")
    assert rows(res, "A311") == ["3", "4", "7"], a.select("row", "message").rows()
    assert all("2 名不同的学生" in m for m in a["message"]), a["message"].to_list()
    zhang = a.filter(pl.col("name") == "张三")["message"].to_list()
    assert all("王五" in m and "张三（" not in m for m in zhang), zhang


def test_a311_damaged_cards_are_s004_and_never_matched(tmp_path, cli):
    # two different students whose cards Excel turned into the same number
    path = tmp_path / "in" / "资助.xlsx"
    path.parent.mkdir(parents=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["资助发放明细"])
    ws.append(["姓名", "身份证号", "学校名称", "学期", "资助类型", "发放日期", "资助卡号"])
    ws.append(["张三", A, "东方技工学校", "2024秋", "国家助学金", "2024-11-20", 6217001234567890123])  # a number cell
    ws.append(["李四", B, "东方技工学校", "2024秋", "国家助学金", "2024-11-20", 6217001234567890124])
    ws.append(["王五", C, "东方技工学校", "2024秋", "国家助学金", "2024-11-20", "6.21700E+18"])
    ws.append(["赵六", D, "东方技工学校", "2024秋", "国家助学金", "2024-11-20", CARD])  # typed as text: fine
    wb.save(path)
    res = check(cli, "--aid", path)
    assert res.rule("A311").height == 0
    s004 = res.rule("S004")
    assert rows(res, "S004") == ["3", "4", "5"] and set(s004["column"]) == {"资助卡号"}
    assert all(m.startswith("资助卡号被 Excel 存成了数字") and not re.search(r"\d{3}", m) for m in s004["message"])
    assert res.json["run"]["unjudged"]["A311"]["reasons"] == {"资助卡号被 Excel 存成数字": 3}


def test_a311_csv_with_excel_zeros(tmp_path, cli):
    """A CSV saved from Excel writes a 19-digit number cell as 15 digits and four zeros."""
    head = ["姓名", "身份证号", "学校名称", "学期", "资助类型", "资助卡号"]
    path = write_csv(tmp_path / "资助.csv", [head, ["张三", A, "东方技工学校", "2024秋", "助学金", "6217001234567890000"],
                                            ["李四", B, "东方技工学校", "2024秋", "助学金", "6217001234567890000"]],
                     encoding="gb18030")
    res = check(cli, "--aid", path)
    assert res.rule("A311").height == 0 and rows(res, "S004") == ["2", "3"]


def test_a310_a311_a_social_security_card_column_beside_the_aid_card_column(tmp_path, cli):
    """A table with 资助卡号 and 社会保障卡号, each row filling one: the loader kept only 资助卡号 (a
    duplicate header) and A310 said the card of a row paid by 社保卡 was missing. Near misses: both
    empty (A310), a 社会保障卡号 that is another student's 资助卡号 (A311), a table with only
    社保卡号 (A311 still compares it)."""
    recs = [grant("S1", "张三", A, 发放方式="社保卡", 资助卡号="", 社会保障卡号=CARD2),
            grant("S2", "李四", B, 资助卡号=CARD, 社会保障卡号=""),
            grant("S3", "王五", C, 资助卡号="", 社会保障卡号=""),
            grant("S4", "赵六", D, 发放方式="社保卡", 资助卡号="", 社会保障卡号=CARD)]
    res = check(cli, "--aid", aid_file(tmp_path, recs))
    assert not [p for p in res.json["run"]["problems"] if "表头重复" in p["message"]], res.json["run"]["problems"]
    a310 = res.rule("A310")
    assert rows(res, "A310") == ["5"] and "资助卡号、社会保障卡号均为空" in a310["message"][0], a310["message"].to_list()
    a311 = res.rule("A311").sort("row")
    assert rows(res, "A311") == ["4", "6"] and a311["column"].to_list() == ["资助卡号", "社会保障卡号"], \
        a311.select("row", "column", "message").rows()
    only = [{k: v for k, v in r.items() if k != "资助卡号"} for r in recs[3:]] + [
        {**grant("S5", "钱七", E, 发放方式="社保卡", 社保卡号=CARD)}]
    for r in only:
        r.setdefault("社保卡号", r.pop("社会保障卡号", ""))
        r.pop("资助卡号", None)
    res2 = check(cli, "--aid", aid_file(tmp_path / "b", only))
    assert rows(res2, "A311") == ["3", "4"], res2.rule("A311")["message"].to_list()


def test_a311_a_card_shared_with_other_aid_is_seen(tmp_path, cli):
    """Review: other aid (校级助学金) is left out of every rule, so A311 no longer saw a card a national
    grant shares with another student's 校级助学金. The national row is reported, naming the other
    student's row and its aid (no card or ID number); the other-aid row itself is never reported."""
    recs = [grant("S1", "张三", A), grant("S2", "李四", B, 资助类型="校级助学金", 金额="500"),
            grant("S3", "王五", C, 资助卡号=CARD2)]
    res = check(cli, "--aid", aid_file(tmp_path, recs))
    a = res.rule("A311")
    assert rows(res, "A311") == ["3"], a.select("row", "message").rows()
    msg = a["message"][0]
    assert "2 名不同的学生" in msg and "李四（东方技工学校 资助.xlsx 第 4 行，领取的是校级助学金，不属于免学费和国家助学金）" in msg, msg
    assert not re.search(r"\d{5,}", msg) and B not in msg


def test_a311_other_aid_near_misses(tmp_path, cli):
    """Not A311: the same student's 校级助学金 on his own grant card; two students' other aid alone on
    one card (neither row is judged by the notice); a refused, unpaid other-aid application."""
    recs = [grant("S1", "张三", A), grant("S1", "张三", A, 资助类型="校级助学金", 金额="500"),
            grant("S2", "李四", B, 资助类型="省级助学金", 资助卡号=CARD2),
            grant("S3", "王五", C, 资助类型="国家奖学金", 资助卡号=CARD2),
            grant("S4", "赵六", D, 资助类型="校级助学金", 审批状态="审核不通过", 发放日期="", 审批日期="")]
    res = check(cli, "--aid", aid_file(tmp_path, recs))
    assert res.rule("A311").height == 0, res.rule("A311")["message"].to_list()


def test_a311_other_aid_card_written_otherwise(tmp_path, cli):
    """Messy: the other aid written 助学金 （校级）, its card in groups with dashes and full-width
    digits, the student's ID only through 学籍号 in another row; a card of other aid Excel stored
    as a number is not compared (S004)."""
    dashed = "－".join(CARD[i:i + 4] for i in range(0, 19, 4)).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    recs = [grant("S1", "张三", A), grant("S2", "李四", B, 资助类型="国家助学金", 资助卡号=CARD2, 学期="2025春",
                                         申报日期="2025-04-01"),
            grant("S2", "李四", "", 资助类型=" 助学金 （校级） ", 资助卡号=dashed),
            grant("S5", "钱七", E, 资助类型="校级助学金", 资助卡号="6.21700E+18")]
    res = check(cli, "--aid", aid_file(tmp_path, recs), as_of="2025-06-30")
    a = res.rule("A311")
    assert rows(res, "A311") == ["3"], a.select("row", "message").rows()
    assert "李四（东方技工学校 资助.xlsx 第 5 行，领取的是助学金 (校级)，" in a["message"][0], a["message"][0]  # as written


def test_a311_skipped_without_card_column(tmp_path, cli):
    rec = grant("S1", "张三", A)
    del rec["资助卡号"]
    res = check(cli, "--aid", aid_file(tmp_path, [rec]))
    assert skipped(res)["A311"] == "资助申报与发放缺少列：资助卡号"


# ================================================================== A312
def test_a312_paid_before_approval_and_while_pending(tmp_path, cli):
    recs = [grant("S1", "张三", A, 审批日期="2024-10-25", 发放日期="2024/10/20"),
            grant("S2", "李四", B, 审批日期="", 发放日期="2024年11月20日", 审批状态="待审核"),
            grant("S3", "王五", C, 审批日期="", 审批状态="驳回"),                         # synonym of 未通过
            grant("S4", "赵六", D, 审批日期="2024-10-25", 发放日期="2024-10-25", 审批状态="审核通过"),  # same day
            grant("S5", "钱七", E, 审批日期="", 发放日期="", 审批状态="审核中")]           # pending, not paid
    res = check(cli, "--aid", aid_file(tmp_path, recs))
    a = res.rule("A312").sort("row")
    assert a["row"].to_list() == ["3", "4", "5"]
    assert "发放日期 2024-10-20 早于审批日期 2024-10-25（早 5 天）" in a["message"][0] and a["column"][0] == "发放日期"
    assert "审批状态为「待审核」却已于 2024-11-20 发放" in a["message"][1] and a["column"][1] == "审批状态"
    assert "审批状态为「驳回」却已于" in a["message"][2]  # the cell as written
    assert res.rule("S007").height == 0


def test_a312_a_refusal_then_the_approval_is_approved(tmp_path, cli):
    """退回修改后通过 and 驳回后重新申报，已通过 end in an approval: paid, no A312. Near miss: 审核不通过（超龄）
    paid is A312."""
    recs = [grant("S1", "张三", A, 审批日期="", 审批状态="退回修改后通过"),
            grant("S2", "李四", B, 审批日期="", 审批状态="驳回后重新申报，已通过"),
            grant("S3", "王五", C, 审批日期="", 审批状态="审核不通过（超龄）"),
            grant("S4", "赵六", D, 审批日期="", 审批状态="终审不通过"),
            grant("S5", "钱七", E, 审批日期="", 审批状态="退回后再次审核未通过"),
            grant("S6", "孙八", make_id("20080606", seq="163"), 审批日期="", 审批状态="复核后不予通过"),
            grant("S7", "周九", make_id("20080707", seq="173"), 审批日期="", 审批状态="初审通过，终审不通过")]
    res = check(cli, "--aid", aid_file(tmp_path, recs))
    assert res.rule("A312")["row"].to_list() == ["5", "6", "7", "8", "9"], res.rule("A312")["message"].to_list()
    assert "「审核不通过(超龄)」" in res.rule("A312")["message"][0]  # as written, brackets half-width
    assert res.rule("S007").height == 0


def test_a312_an_approval_with_a_note_or_a_level_is_approved(tmp_path, cli):
    """A final approval with a note after it (审核通过（曾退回）, 复审通过（初审未通过）, 驳回后重新申报
    已通过（2024-10-25）), 现已通过 after a refusal, a level's approval (县级审核通过) and 已批准 are
    approved: paid, no A312 and no S007 (they had been refusals, and S007 errors). Near misses:
    不予通过（材料不全）, 未通过（已退回） and an approval whose note is another decision (审核通过（终审
    不通过）, 县级审核通过（市级退回）, 审核通过（待审批）) paid are A312; 初审通过 is no final approval: S007."""
    words = ["审核通过（曾退回）", "已通过（初审退回）", "复审通过（初审未通过）", "驳回后重新申报已通过（2024-10-25）",
             "退回补充材料，现已通过", "退回后通过(市级)", "县级审核通过", "审批通过（市人社局）", "已批准", "审核同意",
             "不予通过（材料不全）", "未通过（已退回）", "审核通过（终审不通过）", "县级审核通过（市级退回）", "审核通过（待审批）",
             "初审通过"]
    recs = [grant(f"S{i}", "张三", make_id("20080101", seq=f"{101 + 2 * i:03d}"), 审批日期="", 审批状态=w)
            for i, w in enumerate(words)]
    res = check(cli, "--aid", aid_file(tmp_path, recs))
    flagged = [words[int(r) - 3] for r in res.rule("A312")["row"].to_list()]
    assert flagged == ["不予通过（材料不全）", "未通过（已退回）", "审核通过（终审不通过）", "县级审核通过（市级退回）",
                       "审核通过（待审批）"], res.rule("A312")["message"].to_list()
    assert [words[int(r) - 3] for r in res.rule("S007")["row"].to_list()] == ["初审通过"]


def test_a312_a_pay_date_of_year_and_month_is_early_only_when_its_whole_month_is(tmp_path, cli):
    """发放日期 2024年11月 (read as the 1st) against 审批日期 2024-11-15 may be any day of November:
    not judged, counted (it had been "早 14 天"). Near miss: 2024年10月 is early by at least 15 days."""
    recs = [grant("S1", "张三", A, 审批日期="2024-11-15", 发放日期="2024年11月"),
            grant("S2", "李四", B, 审批日期="2024-11-15", 发放日期="2024.11"),
            grant("S3", "王五", C, 审批日期="2024-11-15", 发放日期="2024年10月")]
    res = check(cli, "--aid", aid_file(tmp_path, recs))
    (msg,) = res.rule("A312")["message"].to_list()
    assert "发放日期 2024年10月 早于审批日期 2024-11-15（至少早 15 天）" in msg, msg
    assert res.json["run"]["unjudged"]["A312"]["reasons"] == {"发放日期或审批日期只写了年月，无法确定先后": 2}


def test_a312_both_reasons_in_one_message(tmp_path, cli):
    res = check(cli, "--aid", aid_file(tmp_path, [grant("S1", "张三", A, 审批日期="2024-12-01", 审批状态="待审核")]))
    msg = res.rule("A312")["message"][0]
    assert "早于审批日期 2024-12-01" in msg and "审批状态为「待审核」" in msg


def test_a312_skipped_without_approval_columns(tmp_path, cli):
    rec = grant("S1", "张三", A)
    del rec["审批日期"]
    res = check(cli, "--aid", aid_file(tmp_path, [rec]))
    assert skipped(res)["A312"] == "资助表缺少列：审批日期、审批状态"
    rec = grant("S1", "张三", A)
    del rec["发放日期"]
    res = check(cli, "--aid", aid_file(tmp_path, [rec], "资助2.xlsx"), out=tmp_path / "out2")
    assert skipped(res)["A312"] == "资助申报与发放缺少列：发放日期"


# ================================================================== R110
PHONE_FORMS = ["13812345678", "138 1234 5678", "+86 138-1234-5678", "１３８１２３４５６７８", "0086 13812345678"]


def test_r110_phone_shared_by_more_than_three_students(tmp_path, cli):
    recs = [student(f"S{i}", f"学生{i}", idn, 联系电话=PHONE_FORMS[i]) for i, idn in enumerate([A, B, C, D])]
    recs.append(student("S9", "其他", E, 联系电话="13912345678"))
    res = check(cli, "--roster", roster_file(tmp_path, recs))
    r = res.rule("R110")
    assert rows(res, "R110") == ["3", "4", "5", "6"]
    msg = r.filter(pl.col("row") == "3")["message"][0]
    assert msg.startswith("联系电话与另外 3 名在校/休学学生相同（共 4 人，超过 3 人）")
    assert "学生1（东方技工学校 名册.xlsx 第 4 行）" in msg and "学生0（" not in msg
    assert "13812345678" not in msg and "1234 5678" not in msg and "不能说明学籍造假" in msg
    assert set(r["column"]) == {"联系电话"} and set(r["severity"]) == {"warning"}


def test_r110_one_of_two_numbers_in_a_cell(tmp_path, cli):
    recs = [student(f"S{i}", f"学生{i}", idn, 联系电话=f"父13812345678 母1391234567{i}") for i, idn in enumerate([A, B, C, D])]
    res = check(cli, "--roster", roster_file(tmp_path, recs))
    r = res.rule("R110")
    assert r.height == 4 and all(m.startswith("联系电话中的一个号码与另外 3 名") for m in r["message"])


def test_r110_across_schools_and_a_big_cluster(tmp_path, cli):
    ids = [make_id(f"2008{m:02d}01", seq="123") for m in range(1, 13)]
    east = [student(f"E{i}", f"东{i}", idn, 联系电话="0371-66123456") for i, idn in enumerate(ids[:6])]
    west = [student(f"W{i}", f"西{i}", idn, 学校名称="西方技工学校", 联系电话="(0371)66123456")
            for i, idn in enumerate(ids[6:])]
    res = check(cli, "--roster", roster_file(tmp_path, east, "东方.xlsx"), "--roster", roster_file(tmp_path, west, "西方.xlsx"))
    r = res.rule("R110")
    assert r.height == 12
    assert all("共 12 人" in m and "像是学校、班主任或代报名中介的电话" in m for m in r["message"])


def test_r110_local_numbers_are_compared_within_a_school(tmp_path, cli):
    east = [student(f"E{i}", f"东{i}", idn, 联系电话="66123456") for i, idn in enumerate([A, B])]
    west = [student(f"W{i}", f"西{i}", idn, 学校名称="西方技工学校", 联系电话="66123456") for i, idn in enumerate([C, D])]
    res = check(cli, "--roster", roster_file(tmp_path, east + west))
    assert res.rule("R110").height == 0


def test_r110_near_misses(tmp_path, cli):
    twins = [make_id("20090618", seq="123"), make_id("20090618", seq="224"), make_id("20070301", seq="246")]
    recs = [student(f"T{i}", f"家{i}", idn, 联系电话="139 3715 2468", 家庭住址="郑州市金水区经三路66号1栋101室")
            for i, idn in enumerate(twins)]
    # a 4th on the same phone who left school, and the 3rd student twice (R101's business): still 3 active students
    recs.append(student("T9", "离校", make_id("20080808", seq="123"), 联系电话="13937152468", 学籍状态="退学"))
    recs.append(student("T2", "家2", twins[2], 联系电话="13937152468", 学校名称="西方技工学校"))
    # placeholders and village addresses shared by many
    for i, idn in enumerate([A, B, C, D, E]):
        recs.append(student(f"P{i}", f"占{i}", idn, 联系电话=["无", "/", "13800000000", "0", ""][i],
                            家庭住址="周口市郸城县汲冢镇王庄村3组"))
    res = check(cli, "--roster", roster_file(tmp_path, recs))
    assert res.rule("R110").height == 0, res.rule("R110")["message"].to_list()


def test_r110_threshold_is_a_policy_key(tmp_path, cli):
    cfg = tmp_path / "xueji.toml"
    cfg.write_text("contact_cluster_max = 2\n", encoding="utf-8")
    twins = [make_id("20090618", seq="123"), make_id("20090618", seq="224"), make_id("20070301", seq="246")]
    recs = [student(f"T{i}", f"家{i}", idn, 家庭住址=a) for i, (idn, a) in enumerate(zip(twins, [
        "河南省郑州市金水区经三路66号1栋101室", "郑州经三路66号1幢101", "金水区经三路66#1-101"], strict=True))]
    recs[0]["家庭住址"] = "郑州市金水区经三路66号1栋101室"
    recs[1]["家庭住址"] = "郑州金水区经三路66号1幢101"
    recs[2]["家庭住址"] = "河南省郑州市金水区经三路６６#1-101"
    res = check(cli, "--roster", roster_file(tmp_path, recs), config=cfg)
    r = res.rule("R110")
    assert r.height == 3 and "（共 3 人，超过 2 人）" in r["message"][0] and set(r["column"]) == {"家庭住址"}
    assert "经三路" not in r["message"][0] and "66" not in r["message"][0]


def test_r110_skipped_without_contact_columns(tmp_path, cli):
    res = check(cli, "--roster", roster_file(tmp_path, [student("S1", "张三", A)]))
    assert skipped(res)["R110"] == "学籍名册缺少列：联系电话、家庭住址"


# ================================================================== R111
def test_r111_area_code_never_assigned(tmp_path, cli):
    recs = [student("S1", "张三", make_id("20080101", region="000000")),
            student("S2", "李四", make_id("20080101", region="410198").lower()),
            student("S3", "王五", "１２３４５６ " + make_id("20080101", region="123456")[6:]),  # full-width, a space
            student("S4", "赵六", make_id("19850101", region="110103"), 入学日期="2001-09-01"),  # 崇文区, abolished 2010
            student("S5", "钱七", make_id("20080101", region="410105")),
            student("S6", "孙八", make_id("20080101", region="330113")),  # 临平区, 2021: not in stdnum's table
            student("S7", "周九", make_id("20080101", region="330114"))]  # 钱塘区, 2021
    res = check(cli, "--roster", roster_file(tmp_path, recs))
    r = res.rule("R111").sort("row")
    assert r["row"].to_list() == ["3", "4", "5"]
    assert "很可能对应不到真实的人" in r["message"][0]
    assert "地址码 000000 不在 1980 年以来各版 GB/T 2260 行政区划代码中" in r["message"][0]
    assert all(not re.search(r"\d{18}", m) for m in r["message"])
    assert res.rule("S003").height == 0


def test_r111_birth_after_enrolment_and_temporary_student_numbers(tmp_path, cli):
    late = make_id("20240901", seq="123")
    temp = make_id("20080101", seq="155")
    recs = [student("S1", "张三", late, 入学日期="2024年8月"),           # born 2024-09-01, enrolled 2024-08
            student("S2", "李四", late, 入学日期="2024年9月"),           # same month: counted to its end, not flagged
            student("L" + temp, "王五", temp),                           # the ID column holds the L 学籍号's digits
            student("G" + A, "赵六", A),                                 # G + ID: the ordinary 学籍号
            student("J" + C, "孙七", B)]                                 # a J 学籍号 of other digits
    res = check(cli, "--roster", roster_file(tmp_path, recs), as_of="2025-06-30")
    r = res.rule("R111").sort("row")
    assert r["row"].to_list() == ["3", "5"]
    assert "出生日期 2024-09-01 晚于入学日期 2024-08-01" in r["message"][0]
    assert "L 字头学籍号相同" in r["message"][1]


def test_r111_leaves_other_documents_alone(tmp_path, cli):
    permit = make_id("20080101", region="830000")   # 台湾居民居住证
    pr2023 = make_id("20080101", region="933000")   # 2023 外国人永久居留身份证
    recs = [student("S1", "张三", permit), student("S2", "李四", pr2023, 证件类型="外国人永久居留身份证"),
            student("S3", "王五", make_id("20080101", region="000000"), 证件类型="其他"),
            student("S4", "赵六", "E12345678", 证件类型="护照")]
    res = check(cli, "--roster", roster_file(tmp_path, recs))
    assert res.rule("R111").height == 0, res.rule("R111")["message"].to_list()


def test_r111_skipped_without_roster(tmp_path, cli):
    res = check(cli, "--aid", aid_file(tmp_path, [grant("S1", "张三", A)]))
    assert skipped(res)["R111"] == "未提供学籍名册"


# ================================================================== R112
def test_r112_new_student_of_the_checked_term_without_photo(tmp_path, cli):
    recs = [student("S1", "张三", A, 入学日期="2024-09-01", 学籍照片="否"),
            student("S2", "李四", B, 入学日期="2024/9/1", 学籍照片=""),
            student("S3", "王五", C, 入学日期="2024年9月", 学籍照片="未采集"),
            student("S4", "赵六", D, 入学日期="2024-09-01", 学籍照片="D2024004.jpg"),  # a file name is a photo
            student("S5", "钱七", E, 入学日期="2023-09-01", 学籍照片="否"),             # not this term's intake
            student("S6", "孙八", make_id("20080606", seq="173"), 入学日期="2024-09-01", 学籍照片="已采集"),
            student("S7", "周九", make_id("20080707", seq="183"), 入学日期="2024-09-01", 学籍照片="", 学籍状态="退学"),
            student("S8", "吴十", make_id("20080808", seq="193"), 入学日期="2024-09-01", 学籍照片="", 学籍状态="休学")]
    res = check(cli, "--roster", roster_file(tmp_path, recs), as_of="2024-11-29")
    r = res.rule("R112").sort(pl.col("row").cast(pl.Int32))
    assert r["row"].to_list() == ["3", "4", "5", "10"]
    assert "2024 年秋季学期入学的新生" in r["message"][0] and "学籍照片为「否」" in r["message"][0]
    assert "学籍照片为空" in r["message"][1]
    assert set(r["column"]) == {"学籍照片"} and res.rule("S007").height == 0


def test_r112_term_follows_as_of_and_policy_terms(tmp_path, cli):
    recs = [student("S1", "张三", A, 入学日期="2024-09-01", 照片="否"), student("S2", "李四", B, 入学日期="2025-03-01", 照片="否")]
    path = roster_file(tmp_path, recs)
    spring = check(cli, "--roster", path, as_of="2025-04-15")
    assert rows(spring, "R112") == ["4"]
    winter = check(cli, "--roster", path, as_of="2025-02-10")  # before spring starts: still the 2024 autumn term
    assert rows(winter, "R112") == ["3"]


def test_r112_skipped_without_photo_column(tmp_path, cli):
    res = check(cli, "--roster", roster_file(tmp_path, [student("S1", "张三", A)]))
    assert skipped(res)["R112"] == "学籍名册缺少列：学籍照片"


def test_a311_one_name_known_by_id_on_one_row_and_by_student_id_on_another_is_one_student(tmp_path, cli):
    """Review: 张三's grant row has his ID and no 学籍号, his 校级助学金 row (another system's export)
    his 学籍号 and no ID: no table links the two, and A311 said the card was registered to two
    students. The only 张三 known by a document on that card is he. Near misses: 李四 known only
    by 学籍号 beside 张三 on one card is another student (A311); two 张三 with different IDs on one
    card stay two students. Messy: the name written with a space (张 三)."""
    recs = [grant("", "张三", A), grant("S1", "张 三", "", 资助类型="校级助学金", 金额="500")]
    res = check(cli, "--aid", aid_file(tmp_path, recs))
    assert res.rule("A311").height == 0, res.rule("A311")["message"].to_list()
    near = [grant("", "张三", A), grant("S2", "李四", "", 资助类型="校级助学金", 金额="500"),
            grant("", "王五", C, 资助卡号=CARD2), grant("", "王五", D, 资助卡号=CARD2)]
    res = check(cli, "--aid", aid_file(tmp_path / "n", near))
    assert rows(res, "A311") == ["3", "5", "6"], res.rule("A311").select("row", "message").rows()


def test_a311_same_name_but_nothing_else_in_common_stays_two_students(tmp_path, cli):
    """Review: the same-name merge hid cards shared by two students of one name: 张三 G001 with an ID
    and 张三 G002 without (two 学籍号: two students); 王伟 with an ID at 东方 and 王伟 known only by
    学籍号 at 西山; two 李娜 known only by 学籍号 beside one 李娜 with an ID. All stay A311."""
    cases = [
        [grant("G001", "张三", A), grant("G002", "张三", "")],
        [grant("G001", "王伟", A), grant("X777", "王伟", "", 学校名称="西山技工学校")],
        [grant("", "李娜", A), grant("S1", "李娜", ""), grant("S2", "李娜", "")],
    ]
    for i, recs in enumerate(cases):
        res = check(cli, "--aid", aid_file(tmp_path / str(i), recs))
        assert res.rule("A311").height == len(recs), (i, res.rule("A311").select("row", "message").rows())
