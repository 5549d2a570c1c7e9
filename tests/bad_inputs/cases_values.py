"""Bad-input cases of the value layer (normalize.py): cells that are only invisible characters or
wrappers, odd document types, unreadable terms, damaged names. None may crash; each is reported
where it is."""

from __future__ import annotations

from pathlib import Path

from bad_inputs.make import Case, case, csv_bytes, put, xlsx
from conftest import ROSTER_HEADERS, make_id, roster_row

AID_HEAD = ["姓名", "身份证号", "学校名称", "学期", "资助类型", "金额(元)", "申报日期"]
INVISIBLE = "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2066\u2069\ufeff\u00ad"
CONTROLS = "\x01\x1f\x7f"  # not allowed in xlsx; a CSV may hold them


def _findings(r) -> list[dict]:
    return r.json["findings"] if (r.out / "findings.json").exists() else []


@case
def cells_of_only_invisible_characters(t: Path) -> Case:
    """Every cell of a row holds nothing visible: the row's required values are empty (S002), no
    value is a fake student."""
    rows = [ROSTER_HEADERS, roster_row("S1", "张一", make_id(seq="101")), [INVISIBLE] * len(ROSTER_HEADERS),
            roster_row("S3", "\u3000\u00a0", f"\u202d{make_id(seq='105')}\u202c")]

    def check(r, _tmp):
        got = {(f["rule_id"], f["row"]) for f in _findings(r)}
        assert ("S002", 4) in got, got  # 姓名 of row 4 is only spaces
        assert not any(f["rule_id"] == "S003" for f in _findings(r))

    return Case([xlsx(t / "名册.xlsx", rows, title=None)], (0, 1), check=check)


@case
def wrappers_without_a_value(t: Path) -> Case:
    rows = [ROSTER_HEADERS, roster_row("S1", "张一", '=""'), roster_row("S2", "'", f"'{CONTROLS}"),
            roster_row("S3", '="="', '="""'), roster_row("S4", "李四", "'" * 40)]
    data = csv_bytes(rows).encode("utf-8")

    def check(r, _tmp):
        rules = {f["rule_id"] for f in _findings(r)}
        assert "S002" in rules

    return Case([put(t / "名册_导出.csv", data)], (1,), check=check)


@case
def id_type_column_with_odd_values(t: Path) -> Case:
    head = ROSTER_HEADERS[:2] + ["证件类型"] + ROSTER_HEADERS[2:]
    odd = ["", "护照", "123", "=SUM(A1)", "港澳居民来往内地通行证" * 50, "\u202d护照\u202c", "PASSPORT", "台胞证"]
    numbers = ["E12345678", "", "410105200801011234", "H01234567", "M1234567890", "K1234567", "e1234 5678", "1234567"]
    rows = [head] + [r[:2] + [k] + r[2:] for r, k in
                     zip([roster_row(f"S{i}", f"学生{i}", n) for i, n in enumerate(numbers)], odd, strict=True)]

    def check(r, _tmp):
        s003 = [f for f in _findings(r) if f["rule_id"] == "S003"]
        # 台胞证 1234567 (7 digits) is not its form; no passport or permit number is "位数不对"
        assert all("位数不对" not in f["message"] for f in s003 if f["row"] != 4), s003
        text = (r.out / "findings.json").read_text(encoding="utf-8")
        assert "E12345678" not in text and "M1234567890" not in text

    return Case([xlsx(t / "名册.xlsx", rows, title=None)], (0, 1), check=check)


@case
def terms_that_are_not_terms(t: Path) -> Case:
    rows = [AID_HEAD] + [["张一", make_id(seq="101"), "东方技工学校", term, "国家助学金", "1000", "2024-10-15"]
                         for term in ("2024-2025-2024-2025-1", "9999-10000学年第一学期", "00秋", "2024学年第三学期",
                                      "-1秋", "2024秋" * 1000, "\u202d2024秋\u202c", "'2024-2025-1")]

    def check(r, _tmp):
        assert "unjudged" in r.json["run"]

    return Case(["--aid", put(t / "资助.csv", csv_bytes(rows).encode("utf-8"))], (0, 1), check=check)


@case
def names_lost_in_a_gbk_save(t: Path) -> Case:
    rows = [ROSTER_HEADERS, roster_row("S1", "???", make_id(seq="101")), roster_row("S2", "？？", make_id(seq="103")),
            roster_row("S3", "\ufffd", make_id(seq="105")), roster_row("S4", "张?" * 2000, make_id(seq="107"))]
    return Case([put(t / "名册_GBK.csv", csv_bytes(rows).encode("utf-8"))], (0, 1), ["名册_GBK.csv", "CSV UTF-8"])
