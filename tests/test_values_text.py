"""What a cell really holds (issue 12, point 2): invisible format characters, every kind of space
and Excel's text wrappers never reach a key, a comparison or a message; the annotated copy keeps
the cell as it was."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import openpyxl
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROSTER_HEADERS, make_id, roster_row, write_csv, write_xlsx
from xueji_check import normalize as nz

AS_OF = ("--as-of", "2025-01-01")
AID_HEAD = ["姓名", "身份证号", "学校名称", "学期", "资助类型", "金额(元)", "申报日期"]
# Every Cf character people meet in pasted values, and C0 controls.
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202a", "\u202c", "\u202d", "\u202e",
             "\u2060", "\u2066", "\u2069", "\ufeff", "\u00ad", "\u180e", "\x01", "\x1f"]
SPACES = ["\u00a0", "\u202f", "\u2007", "\u3000", "\u2002", "\t", " "]
CF = re.compile(r"[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def tidy(values: list[str | None]) -> list[str | None]:
    return pl.DataFrame({"v": values}, schema={"v": pl.String}).select(nz.clean_text(pl.col("v")))["v"].to_list()


def test_invisible_characters_and_spaces_are_gone():
    a = make_id(seq="101")
    got = tidy([f"\u202d{a}\u202c", f"{a}\u200b", f"\ufeff{a}", f"{a[:6]}\u2060{a[6:]}", f"\u00a0{a}\u3000",
                "东方\u00ad技工学校", "东方\u00a0\u00a0技工\u2007学校", "\u200b", "\u3000"])
    assert got[:5] == [a] * 5
    assert got[5:7] == ["东方技工学校", "东方  技工 学校"]  # each space one plain space
    assert got[7:] == [None, None]  # nothing visible is empty, not a value


def test_excel_text_wrappers_are_taken_off():
    a = make_id(seq="103")
    got = tidy([f'="{a}"', f"'{a}", f' = "{a}" '.replace(" = ", "="), f"＝＂{a}＂", f"＇{a}", '=""', "'",
                "O'Neil", '="a"b"', "a'b", "''x"])
    assert got[:5] == [a] * 5
    assert got[5:7] == [None, None]
    # only a whole-cell wrapper and one leading prefix come off
    assert got[7:] == ["O'Neil", 'a"b', "a'b", "'x"]


def test_near_miss_visible_characters_stay():
    # a visible letter O in an ID, a hyphen: not invisible, so the value stays wrong
    assert tidy(["4403052008031O1013", "4403-0520"]) == ["4403052008031O1013", "4403-0520"]


ids = st.builds(lambda birth, seq: f"410105{birth:%Y%m%d}{seq:03d}",
                st.dates(dt.date(1950, 1, 1), dt.date(2015, 12, 31)), st.integers(0, 999))


@settings(max_examples=150, deadline=None)
@given(ids, st.sampled_from(INVISIBLE), st.integers(0, 18), st.sampled_from(SPACES), st.booleans())
def test_property_an_id_with_invisible_characters_is_the_same_key(body, ch, pos, space, wrap):
    idn = body + nz.check_digit_py(body)
    messy = space + idn[:pos] + ch + idn[pos:] + space
    if wrap:
        messy = f'="{messy.strip()}"'
    out = nz.normalise_id([messy], dt.date(2025, 1, 1))
    assert out["status"][0] == "ok" and out["key"][0] == idn


def _all_output_text(out) -> str:
    text = (out / "findings.csv").read_text(encoding="utf-8-sig") + (out / "findings.json").read_text(encoding="utf-8")
    return text


def test_roster_and_aid_with_invisible_characters_give_no_findings(tmp_path, cli):
    ids = [make_id(seq=f"{s:03d}") for s in (101, 103, 105, 107, 109)]
    forms = [f"\u202d{ids[0]}\u202c", f"{ids[1]}\u200b", f"\ufeff{ids[2]}", f"{ids[3][:9]}\u2060{ids[3][9:]}\u00ad",
             f"\u00a0{ids[4]}\u3000"]
    rows = [roster_row(f"S{i}", n, f, school="东方技工学校\u200b" if i == 0 else "东方技工学校")
            for i, (n, f) in enumerate(zip(["张一", "李二\u200b", "\u202d王三\u202c", "赵四", "钱五"], forms, strict=True))]
    roster = write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS, *rows])
    aid = write_xlsx(tmp_path / "资助.xlsx", [AID_HEAD, *[[n, i, "东方技工学校", "2024秋", "国家助学金", "1000", "2024-10-15"]
                                                       for n, i in zip(["张一", "李二", "王三", "赵四", "钱五"], ids, strict=True)]])
    r = cli("check", "--roster", roster, "--aid", aid, *AS_OF, "--format", "csv,json")
    assert r.findings.height == 0, r.findings.select("rule_id", "message").rows()
    assert r.code == 0


def test_invisible_characters_never_reach_a_message(tmp_path, cli):
    """A bad ID with a bidi mark: S003 quotes the number without the mark, and no output holds
    an invisible character."""
    bad = make_id(seq="101")[:17] + "0"
    bad = bad if nz.check_digit_py(bad[:17]) != "0" else bad[:17] + "1"
    rows = [roster_row("S1", "张\u200b三", f"\u202d{bad}\u202c", mode="半\u200b日制")]
    f = write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS, *rows])
    r = cli("check", "--roster", f, *AS_OF, "--format", "csv,json,xlsx")
    assert set(r.findings["rule_id"]) == {"S003", "S007"}
    text = _all_output_text(r.out)
    assert not CF.search(text), [hex(ord(c)) for c in CF.findall(text)]
    s003 = r.rule("S003")["message"][0]
    assert f"「{bad[:6]}" in s003 and "校验位错误" in s003
    assert r.rule("S007")["message"][0].startswith("学习形式「半日制」")
    assert r.rule("S003")["name"][0] == "张三"
    # the annotated copy keeps the cell as it was
    wb = openpyxl.load_workbook(r.out / "report.xlsx")
    cells = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert "张\u200b三" in cells and "半\u200b日制" in cells
    # and the ID there is masked like the value (the bidi marks do not shift the mask)
    assert f"{bad[:6]}********{bad[-4:]}" in cells


def test_csv_export_with_text_wrappers_gives_no_findings(tmp_path, cli):
    ids = [make_id(seq=f"{s:03d}") for s in (101, 103, 105)]
    rows = [roster_row("S1", "张一", f'="{ids[0]}"', years='="3"', enroll="'2024-09-01"),
            roster_row("S2", "李二", f"'{ids[1]}"),
            roster_row("'S3", "'王三", ids[2], status='="在校"')]
    f = write_csv(tmp_path / "名册_系统导出.csv", [ROSTER_HEADERS, *rows])
    r = cli("check", "--roster", f, *AS_OF)
    assert r.findings.height == 0, r.findings.select("rule_id", "message").rows()


def _text_xlsx(path, rows):
    """Every cell a text cell, even one starting with `=` (text pasted from a CSV export)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    for r, values in enumerate(rows, start=1):
        for c, v in enumerate(values, start=1):
            cell = ws.cell(r, c)
            cell.value = v
            cell.data_type = "s"
    wb.save(path)
    return path


def test_xlsx_text_cells_holding_wrappers_are_read_the_same(tmp_path, cli):
    ids = [make_id(seq=f"{s:03d}") for s in (101, 103)]
    rows = [roster_row("S1", "张一", f'="{ids[0]}"'), roster_row("S2", "李二", f"'{ids[1]}")]
    roster = _text_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS, *rows])
    aid = _text_xlsx(tmp_path / "资助.xlsx", [AID_HEAD, ["张一", ids[0], "东方技工学校", "2024秋", "国家助学金", "1000", "2024-10-15"],
                                            ["李二", f'="{ids[1]}"', "东方技工学校", "2024秋", "国家助学金", "1000", "2024-10-15"]])
    r = cli("check", "--roster", roster, "--aid", aid, *AS_OF)
    assert r.findings.height == 0, r.findings.select("rule_id", "message").rows()


def test_near_miss_a_wrapped_bad_id_is_still_reported_without_the_wrapper(tmp_path, cli):
    f = write_csv(tmp_path / "名册.csv", [ROSTER_HEADERS, roster_row("S1", "张一", '="4101052008"')])
    r = cli("check", "--roster", f, *AS_OF)
    msg = r.rule("S003")["message"][0]
    assert "位数不对" in msg and "=" not in msg and '"' not in msg


@pytest.mark.parametrize("ch", INVISIBLE)
def test_every_invisible_character_is_category_cf_or_control(ch):
    ignorable = any(a <= ord(ch) <= b for a, b in nz.IGNORABLE_RANGES)  # default-ignorable, not Cf
    assert unicodedata.category(ch) in ("Cf", "Cc") or (ignorable and unicodedata.category(ch) in ("Mn", "Lo"))
    assert tidy([f"a{ch}b"]) == ["ab"]


ALPHABET = st.sampled_from(list("ab Z09'=\"·-") + ["张", "三", "\u200b", "\u202d", "\u00a0", "\u3000", "Ａ", "＝", "＂",
                                                   "\t", "\x01", "䶮", "\ufffd"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(ALPHABET, max_size=8), min_size=1, max_size=6))
def test_property_skipping_passes_text_flags_rules_out_changes_nothing(values):
    lf = pl.LazyFrame({"v": values})
    flags = nz.text_flags(lf, ["v"])["v"]
    for fn in (nz.clean_text, nz.compact, nz.name_display, nz.name_key):
        full = lf.select(fn(pl.col("v")).alias("o")).collect()["o"].to_list()
        skipped = lf.select(fn(pl.col("v"), **flags).alias("o")).collect()["o"].to_list()
        assert skipped == full, (fn.__name__, flags)


def test_big_tables_clean_a_single_dirty_cell(tmp_path, cli, monkeypatch):
    """Above BY_VALUE_MIN_ROWS a column skips the passes it does not need: one dirty cell among
    clean ones still gets them."""
    from xueji_check import tables

    monkeypatch.setattr(tables, "BY_VALUE_MIN_ROWS", 1)
    ids = [make_id(seq=f"{s:03d}") for s in range(101, 131, 2)]
    rows = [roster_row(f"S{i}", f"学生{i}", idn) for i, idn in enumerate(ids)]
    rows[3][2] = f"\u202d{ids[3]}\u202c"
    rows[7][2] = f"'{ids[7]}"
    rows[9][1] = "学生\u200b9"
    roster = write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS, *rows])
    aid = write_xlsx(tmp_path / "资助.xlsx", [AID_HEAD, *[[f"学生{i}", idn, "东方技工学校", "2024秋", "国家助学金", "1000",
                                                        "2024-10-15"] for i, idn in enumerate(ids)]])
    r = cli("check", "--roster", roster, "--aid", aid, *AS_OF)
    assert r.findings.height == 0, r.findings.select("rule_id", "message").rows()


def test_common_spellings_of_years_status_mode_and_dates_are_read(tmp_path, cli):
    """Ways a school writes unambiguous values that were reported as out of range (S006/S007):
    三年制, 3学年, 3（年）; 已转出, 在校生; 全日制学历教育; Excel's long date with the weekday and
    20240901.0; 2+1 (two years at school, one in a company: 3). Near misses stay findings: 2~3年
    (which?) and 已转走 (not a status word)."""
    rows = [ROSTER_HEADERS,
            roster_row("S1", "张一", make_id(seq="101"), years="三年制", enroll="2024年9月1日 星期日"),
            roster_row("S2", "李二", make_id(seq="103"), years="3学年", status="在校生", enroll="20240901.0"),
            roster_row("S3", "王三", make_id(seq="105"), years="3（年）", status="已转出", mode="全日制学历教育"),
            roster_row("S4", "赵四", make_id(seq="107"), years="2~3年", status="已转走"),
            roster_row("S5", "钱五", make_id(seq="109"), years="2+1"),
            # red-team round 2: 复学/转入/保留学籍/应征入伍, 全日制（学历）, 脱产
            roster_row("S6", "孙六", make_id(seq="111"), status="复学", mode="全日制（学历）"),
            roster_row("S7", "周七", make_id(seq="113"), status="转入", mode="脱产"),
            roster_row("S8", "吴八", make_id(seq="115"), status="保留学籍"),
            roster_row("S9", "郑九", make_id(seq="117"), status="应征入伍")]
    r = cli("check", "--roster", write_csv(tmp_path / "名册.csv", rows), *AS_OF)
    bad = r.findings.filter(pl.col("rule_id").is_in(["S006", "S007"]))
    assert sorted(bad.select("row", "column").rows()) == [("5", "学制"), ("5", "学籍状态")], bad.rows()
    # the message says what may be written
    msgs = dict(zip(bad["column"].to_list(), bad["message"].to_list(), strict=True))
    assert "可填：在校、休学、退学" in msgs["学籍状态"] and "应在 0.1–8 之间" in msgs["学制"], msgs


def test_a_year_month_excel_stored_as_a_number_is_not_guessed(tmp_path, cli):
    """2024.10 typed into a number cell is the number 2024.1: read as January it made R108 say a
    registration was 173 days late. It is an S006 that says why; 2024.9 is September."""
    rows = [ROSTER_HEADERS, roster_row("S1", "张一", make_id(seq="101")), roster_row("S2", "李二", make_id(seq="103"))]
    rows[1][7], rows[2][7] = 2024.1, 2024.9
    r = cli("check", "--roster", write_xlsx(tmp_path / "名册.xlsx", rows), *AS_OF)
    s006 = r.findings.filter(pl.col("rule_id") == "S006")
    assert s006["row"].to_list() == ["2"] and "也可能是 10 月" in s006["message"][0], s006.rows()


def test_schema_patterns_are_checked_when_loaded():
    """A province's schema file: a pattern giving a value outside the field's values, or one that
    is no regular expression, is a Chinese error at load, not a failure mid-run."""
    import pytest

    from xueji_check.spec import _field_from_toml

    base = {"name": "pay_method", "type": "enum", "values": ["资助卡", "现金"]}
    assert _field_from_toml({**base, "patterns": [["资助卡", "资助卡"]]}).patterns == (("资助卡", "资助卡"),)
    with pytest.raises(ValueError, match="不在该字段的 values 中"):
        _field_from_toml({**base, "patterns": [["卡", "银行卡"]]})
    with pytest.raises(ValueError, match="不是有效的正则表达式"):
        _field_from_toml({**base, "patterns": [["(资助卡", "资助卡"]]})
