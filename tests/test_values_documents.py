"""Documents other than the resident ID card (issue 12, point 3): 证件类型 decides which check a
number gets; the number is still a key (type + number) for duplicates and joins; a passport or
permit number without a type column is called what it looks like, not "位数不对"; masking hides
short numbers too."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from conftest import make_id, write_csv, write_xlsx
from xueji_check import normalize as nz
from xueji_check.normalize import check_digit_py

AS_OF = ("--as-of", "2025-01-01")
HEAD = ["学籍号", "姓名", "证件类型", "证件号码", "性别", "学校名称", "学制", "学习形式", "入学日期", "学籍状态"]
HEAD_NO_TYPE = [h for h in HEAD if h != "证件类型"]
AID_HEAD = ["姓名", "证件号码", "学校名称", "学期", "资助类型", "金额(元)", "申报日期"]


def gb(prefix: str, birth: str = "20080310", seq: str = "121") -> str:
    body = f"{prefix}{birth}{seq}"
    return body + check_digit_py(body)


NEW_PR = gb("944840")  # 2023 永居证: 9 + 受理地 + 国籍, then as GB 11643
HK_PERMIT_RESIDENCE = gb("810000")  # 港澳台居民居住证 of a Hong Kong resident


def row(sid, name, kind, number, gender="男", status="在校"):
    return [sid, name, kind, number, gender, "东方技工学校", "3", "全日制", "2024-09-01", status]


def st(values, types=None):
    return nz.normalise_id(values, dt.date(2025, 1, 1), types)


# ------------------------------------------------------------------ normaliser
def test_each_document_type_gets_its_own_check():
    values = ["E12345678", "EA1234567", "H01234567", "M0123456701", "12345678", "1234567801", "USA440108050612",
              NEW_PR, HK_PERMIT_RESIDENCE, make_id(seq="101"), "A12345", "任意编号"]
    types = ["护照", "护照", "港澳居民来往内地通行证", "港澳居民来往内地通行证", "台湾居民来往大陆通行证",
             "台湾居民来往大陆通行证", "外国人永久居留身份证", "外国人永久居留身份证", "港澳台居民居住证", "居民身份证",
             "其他", "户口簿"]
    out = st(values, types)
    assert out["status"].to_list() == ["ok"] * 10 + ["other", "other"]
    assert out["key"].to_list()[:7] == ["护照:E12345678", "护照:EA1234567", "港澳居民来往内地通行证:H01234567",
                                        "港澳居民来往内地通行证:M01234567",  # the lifelong part: renewals are one person
                                        "台湾居民来往大陆通行证:12345678", "台湾居民来往大陆通行证:12345678",
                                        "外国人永久居留身份证:USA440108050612"]
    # GB 11643 numbers are keyed as themselves, whatever the document: one number space
    assert out["key"].to_list()[7:10] == [NEW_PR, HK_PERMIT_RESIDENCE, values[9]]
    assert out["birth"].to_list()[7:9] == [dt.date(2008, 3, 10)] * 2
    assert out["birth"].to_list()[:7] == [None] * 7  # no birth date read from a passport


def test_near_miss_forms_of_each_type():
    values = ["E1234-5678", "ABCDEFGH", "C12345678", "H1234567", "1234567", "USA44010805061",
              gb("410105"), gb("944840")[:17] + ("0" if gb("944840")[17] != "0" else "1"), gb("410105"),
              "M12345678"]
    types = ["护照", "护照", "港澳居民来往内地通行证", "港澳居民来往内地通行证", "台湾居民来往大陆通行证",
             "外国人永久居留身份证", "外国人永久居留身份证", "外国人永久居留身份证", "港澳台居民居住证", "居民身份证"]
    out = st(values, types)
    assert out["status"].to_list() == ["form", "form", "form", "form", "form", "form", "form", "check", "form",
                                       "suspect"]
    assert out["id"].to_list()[:6] == [None] * 6  # a number that fails its form is no key
    # a GB-valid number under the wrong type is still that person's number
    assert out["key"][6] == values[6]


def test_without_a_type_a_passport_shape_is_suspect_and_a_plain_bad_id_is_not():
    out = st(["E12345678", "H0123456700", "USA440108050612", "4101052008", "41010520080101123X", "12345678"])
    assert out["status"].to_list() == ["suspect", "suspect", "suspect", "length", "check", "length"]
    # (an untyped H/M number of 10 digits: a 港澳 permit, keyed on its lifelong part)
    assert out["key"].to_list()[:3] == ["证件:E12345678", "证件:H01234567", "证件:USA440108050612"]


def test_an_untyped_hk_permit_with_and_without_its_renewal_count_is_one_person():
    """H12345678 and H1234567801 with no 证件类型 column: one holder (A311 had called the two rows
    of one student sharing a card two students). Near miss: H12345679 is another holder, and a
    passport-shaped E1234567801 keeps all its digits."""
    out = st(["H12345678", "H1234567801", "h12345678 02", "H12345679", "E1234567801"])
    keys = out["key"].to_list()
    assert keys[0] == keys[1] == keys[2] == "证件:H12345678", keys
    assert keys[3] == "证件:H12345679" and keys[4] == "证件:E1234567801", keys


def test_mask_short_numbers():
    vals = ["11010519491231002X", "USA440108050612", "E12345678", "H0123456700", "12345678", "123456", "12345", None,
            "\u202d11010519491231002X\u202c"]
    got = pl.DataFrame({"v": vals}).select(nz.mask_id(pl.col("v")).alias("v"))["v"].to_list()
    assert got == ["110105********002X", "USA440*****0612", "E1*****78", "H0*******00", "1******8", "1****6", "*****",
                   None, "110105********002X"]


# ------------------------------------------------------------------ through the CLI
def test_roster_with_passports_and_permits_has_no_s003_and_keeps_latin_names(tmp_path, cli):
    rows = [row("D1", "张一", "居民身份证", make_id(seq="111")),
            row("D2", "KIM MINJUN", "护照", "M12345678"),
            row("D3", "SMITH ANNA", "外国人永久居留身份证", "USA440108050612", gender="女"),
            row("D4", "黄俊熙", "港澳居民来往内地通行证", "H01234567"),
            row("D5", "陈美玲", "台湾居民来往大陆通行证", "12345678", gender="女"),
            row("D6", "Ivanov Petr", "外国人永久居留身份证", NEW_PR),
            row("D7", "何家明", "港澳台居民居住证", HK_PERMIT_RESIDENCE),
            row("D8", "Lee  Ann", "护照", "K1234-567", gender="女")]  # a bad passport number: its own message
    f = write_xlsx(tmp_path / "名册.xlsx", [HEAD, *rows])
    r = cli("check", "--roster", f, *AS_OF, "--format", "csv,json,xlsx")
    s = r.rule("S003")
    assert s["row"].to_list() == ["9"], s.select("row", "message").rows()
    assert s["message"][0] == "护照号码「K1*****67」格式不对（应为5 至 20 位字母和数字（含数字）），请与证件核对后更正"
    assert s["name"][0] == "Lee  Ann"  # the name as typed
    assert s["id_masked"][0] == "K1*****67"
    text = (r.out / "findings.json").read_text(encoding="utf-8") + r.stdout + r.stderr
    assert "M12345678" not in text and "K1234-567" not in text


def test_passport_in_id_column_without_type_says_what_it_looks_like(tmp_path, cli):
    rows = [row("D1", "KIM MINJUN", "", "M12345678")[:2] + ["M12345678", "男", "东方技工学校", "3", "全日制", "2024-09-01", "在校"],
            ["D2", "张一", "4101052008", "男", "东方技工学校", "3", "全日制", "2024-09-01", "在校"]]
    f = write_xlsx(tmp_path / "名册.xlsx", [HEAD_NO_TYPE, *rows])
    r = cli("check", "--roster", f, *AS_OF)
    msgs = r.rule("S003")["message"].to_list()
    assert "疑似护照/通行证号码，请补充证件类型列" in msgs[0] and "位数不对" not in msgs[0]
    assert "位数不对" in msgs[1]  # a short digit run is still a bad ID
    assert r.rule("S003")["name"][0] == "KIM MINJUN"


def test_type_column_present_but_cell_empty_or_resident_id(tmp_path, cli):
    rows = [row("D1", "KIM MINJUN", "", "M12345678"), row("D2", "LEE ANN", "身份证", "E12345678", gender="女")]
    f = write_xlsx(tmp_path / "名册.xlsx", [HEAD, *rows])
    r = cli("check", "--roster", f, *AS_OF)
    msgs = r.rule("S003")["message"].to_list()
    assert "请填写该行的证件类型" in msgs[0]
    assert msgs[1].startswith("证件类型为居民身份证，但号码「E1*****78」")


def test_duplicates_are_type_plus_number(tmp_path, cli):
    rows = [row("D1", "KIM MINJUN", "护照", "M12345678"),
            row("D2", "KIM MIN JUN", "普通护照", "m1234 5678"),  # same passport written differently: R101
            row("D3", "黄俊熙", "港澳居民来往内地通行证", "M12345678"),  # same characters, other document: not R101
            row("D4", "何家明", "回乡证", "H0123456701"),
            row("D5", "何家明", "港澳居民来往内地通行证", "H0123456700")]  # a renewal of the same permit: R101
    f = write_xlsx(tmp_path / "名册.xlsx", [HEAD, *rows])
    r = cli("check", "--roster", f, *AS_OF)
    r101 = r.rule("R101")
    assert sorted(r101["row"].to_list()) == ["2", "3", "5", "6"]
    assert all(m.startswith("同一护照号码") or m.startswith("同一港澳居民来往内地通行证号码") for m in r101["message"])
    assert r.rule("S003").height == 0


def test_aid_finds_passport_students_with_or_without_a_type_column(tmp_path, cli):
    roster = write_xlsx(tmp_path / "名册.xlsx", [HEAD, row("D2", "KIM MINJUN", "护照", "M12345678"),
                                                 row("D4", "黄俊熙", "港澳居民来往内地通行证", "H01234567")])
    aid = write_csv(tmp_path / "资助.csv", [AID_HEAD,
                                           ["KIM MINJUN", "M12345678", "东方技工学校", "2024秋", "国家助学金", "1000", "2024-10-15"],
                                           ["黄俊熙", "H0123456700", "东方技工学校", "2024秋", "国家助学金", "1000", "2024-10-15"],
                                           ["无此人", "E99999999", "东方技工学校", "2024秋", "国家助学金", "1000", "2024-10-15"]])
    r = cli("check", "--roster", roster, "--aid", aid, *AS_OF)
    a302 = r.rule("A302")
    assert a302["row"].to_list() == ["4"], a302.select("row", "message").rows()
    assert "按证件号码「E9*****99」" in a302["message"][0]
    assert r.rule("S008").height == 0
    # an aid row without a type whose number the roster marks as a passport is no S003; the others
    # get the suspect message once (the permit is written longer than in the roster; 无此人 is in no roster)
    assert sorted(r.rule("S003")["row"].to_list()) == ["3", "4"]
    assert all("疑似护照/通行证号码" in m for m in r.rule("S003")["message"].to_list())


def test_aid_number_the_roster_types_is_no_s003_whatever_its_shape(tmp_path, cli):
    """Passports without a letter (123456789), with letters inside (C01X00T47) and an 8-digit 台胞证
    are typed in the roster; the aid table without a type column quotes them: no S003 (only the
    letter-prefixed shapes were exempt before). Near miss: the same shapes the roster does not
    type are still reported."""
    roster = write_xlsx(tmp_path / "名册.xlsx", [HEAD, row("D1", "KIM MINJUN", "护照", "123456789"),
                                                 row("D2", "LEE", "护照", "C01X00T47"),
                                                 row("D3", "林一", "台湾居民来往大陆通行证", "01234567")])
    recs = [[n, no, "东方技工学校", "2024秋", "国家助学金", "1000", "2024-10-15"]
            for n, no in (("KIM MINJUN", "123456789"), ("LEE", "C01X00T47"), ("林一", "01234567"), ("某某", "987654321"))]
    r = cli("check", "--roster", roster, "--aid", write_csv(tmp_path / "资助.csv", [AID_HEAD, *recs]), *AS_OF)
    assert r.rule("S003")["row"].to_list() == ["5"], r.rule("S003").select("row", "message").rows()


@pytest.mark.parametrize("typed", ["护照", "PASSPORT", "因私护照"])
def test_type_synonyms(typed, tmp_path, cli):
    f = write_xlsx(tmp_path / "名册.xlsx", [HEAD, row("D2", "KIM MINJUN", typed, "E12345678")])
    r = cli("check", "--roster", f, *AS_OF)
    assert r.findings.height == 0, r.findings.select("rule_id", "message").rows()


def test_unknown_type_is_not_checked_and_not_an_error(tmp_path, cli):
    f = write_xlsx(tmp_path / "名册.xlsx", [HEAD, row("D2", "李四", "港澳通行证", "C12345678"),
                                             row("D3", "王五", "军官证", "军字第123号")])
    r = cli("check", "--roster", f, *AS_OF)
    assert r.findings.height == 0, r.findings.select("rule_id", "message").rows()


def test_an_id_the_school_masked_itself_is_said_to_be_masked(tmp_path, cli):
    from conftest import ROSTER_HEADERS, roster_row

    idn = make_id(seq="111")
    rows = [ROSTER_HEADERS, roster_row("S1", "张三", idn[:6] + "********" + idn[-4:]), roster_row("S2", "李四", "4101052008")]
    r = cli("check", "--roster", write_csv(tmp_path / "名册.csv", rows), "--as-of", "2025-01-01")
    s003 = r.findings.filter(pl.col("rule_id") == "S003").sort("row")
    assert s003["row"].to_list() == ["2", "3"]
    assert "是打了码的号码" in s003["message"][0] and "打了码" not in s003["message"][1], s003["message"].to_list()
