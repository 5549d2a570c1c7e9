"""Masking inside quoted values (issue 11, points 4, 5 and 13): ID-, mobile- and card-shaped
numbers in every output and on the terminal, IDs inside 学籍号, baselines from --show-pii runs,
and long cells cut to a bounded length."""

from __future__ import annotations

import json
import re
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROSTER_HEADERS, make_id, roster_row, write_xlsx
from xueji_check.load import Problem, redact
from xueji_check.pii import QUOTE_LIMIT, cut_text, mask_expr, mask_series, mask_text

AS_OF = "2025-01-01"
FW = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


# ------------------------------------------------------------------ the shapes
@pytest.mark.parametrize("text, hidden", [
    ("身份证号「410105200801011234」无效", "410105200801011234"),
    ("G410105200801011234", "410105200801011234"),
    ("41010519900307002X 之后", "41010519900307002X"),
    ("41010519900307002x", "41010519900307002x"),
    ("旧证 410105900307123", "410105900307123"),  # 15 digits
    ("４１０１０５２００８０１０１１２３４", "４１０１０５２００８０１０１１２３４"),  # full-width
    ("电话13912345678", "13912345678"),
    ("１３９１２３４５６７８", "１３９１２３４５６７８"),
    ("139-1234-5678", "1234"),
    ("139 1234 5678", "1234"),
    ("+86 13912345678", "1234"),
    ("8613912345678", "1234"),
    ("卡号 6222021234567890123", "021234567890"),
    ("卡号 6222021234567890", "02123456"),
    ("6222 0212 3456 7890 123", "0212 3456"),
    ("6222-0212-3456-7890", "0212-3456"),
    ("一长串 41010520080101123413912345678", "2008010112341391"),  # run together
    ("Excel 存成 4.10105200801011E+17", "10105200801011"),
    ("入学日期「410105 20080104 1241」", "20080104"),  # the card's own 6-8-4 grouping
    ("410105-20080104-124X", "20080104"),
    ("410105　20080104　1241", "20080104"),  # ideographic spaces
    ("电话 139.1234.5678", "1234.5678"),
    # separators a word processor or a hand puts (red-team round 2)
    ("学籍状态「152–9827–7534」", "9827"), ("139—1234—5678", "1234"), ("139−1234−5678", "1234"),
    ("139～1234～5678", "1234"), ("139·1234·5678", "1234"),
    ("(139)1234-5678", "1234"), ("（139）12345678", "1234"), ("13912 345678", "12 34"),
    ("320102–20060211–4371", "20060211"), ("410105 2008 0104 1241", "2008 0104"),
    ("卡号 621700 1234567890123", "1234567890"),
])
def test_shapes_masked(text, hidden):
    out = mask_text(text)
    assert hidden not in out, out
    assert "*" in out
    assert pl.select(mask_expr(pl.lit(text))).item() == out


@pytest.mark.parametrize("text", [
    "2024-09-01", "20240901", "2024年9月1日", "2024-09-01 12:30:45", "20240901123045",  # dates, timestamp
    "金额 1500.00", "12345678.90", "1,234,567.89",  # amounts
    "学籍号 2024010203", "学号 S2024000123", "学籍号 24010101001",  # ordinary student numbers
    "学校标识码 4141010001", "学校代码 41001",  # school codes
    "1391234567", "139123456789", "12912345678",  # 10/12 digits, 12x is no mobile prefix
    "编号 4101052008130", "410105201301011",  # 13 digits; 15 digits whose YYMMDD (201301) is no date
    "第 3 行，共 1048576 行", "学制 3 年", "v1.2.3",
    "2024-09-01 2024-10-01", "2024/09/01-2025/01/15", "电话 0371-63123456", "2024–2025学年",  # dates, a landline
    "金额「1500/1500/750」", "1500 750 1500", "1998/9/1-2001/7", "资助发放表20241015_1530.xlsx",  # review
])
def test_near_misses_not_masked(text):
    assert mask_text(text) == text
    assert pl.select(mask_expr(pl.lit(text))).item() == text


def test_two_mobiles_and_ids_side_by_side_all_masked():
    ids = [make_id(seq=f"{i:03d}") for i in (101, 103, 105)]
    for sep in ("、", ",", "/", " ", "；"):
        text = sep.join(["13912345678", "13987654321", "15011112222"]) + sep + sep.join(ids)
        out = mask_text(text)
        assert not re.search(r"\d{7}", out), out
        assert pl.select(mask_expr(pl.lit(text))).item() == out


def test_student_id_only_ids():
    from xueji_check.pii import ID_ONLY

    assert mask_text("G410105200801011234", ID_ONLY) == "G410105********1234"
    assert mask_text("13912345678", ID_ONLY) == "13912345678"  # an 11-digit 学籍号 stays readable


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.text(alphabet="0123456789０１２３４５６７８９ -+.X、E", max_size=24),
                          st.text(max_size=6)), max_size=6).map("".join))
def test_polars_and_python_agree(text):
    """One set of patterns, two engines (Rust regex without look-around, Python re)."""
    assert pl.select(mask_expr(pl.lit(text, dtype=pl.String))).item() == mask_text(text)
    s = pl.Series("m", [text, None, "x"])
    assert mask_series(s).to_list() == [mask_text(text), None, "x"]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30), st.text(max_size=30), st.sampled_from(["id", "id15", "fw", "mobile"]))
def test_no_shape_survives_any_context(prefix, suffix, kind):
    idn = make_id(seq="123")
    value = {"id": idn, "id15": idn[:6] + idn[8:17], "fw": idn.translate(FW), "mobile": "13912345678"}[kind]
    if kind == "mobile":  # 11 digits next to more digits are a longer number, not a mobile
        prefix, suffix = prefix.rstrip("0123456789０１２３４５６７８９"), suffix.lstrip("0123456789０１２３４５６７８９")
    out = mask_text(prefix + value + suffix)
    assert value not in out
    assert pl.select(mask_expr(pl.lit(prefix + value + suffix))).item() == out


def test_problem_messages_use_the_same_shapes():
    p = Problem("warning", "x.csv", None, 3, "表头行「１３９１２３４５６７８、13987654321、6222021234567890123」")
    assert "５６７８" in p.message and "1234567" not in p.message and "３４５６" not in p.message
    assert "2123456789" not in p.message
    assert redact("2024-09-01 金额 1500.00 学籍号 2024010203") == "2024-09-01 金额 1500.00 学籍号 2024010203"


def test_cut_text_keeps_start_and_end():
    long = "x" * 5000
    msg = f"学习形式「{long}」不在规定范围内，请按规定的取值填写"
    out = cut_text(msg)
    assert len(out) < QUOTE_LIMIT + 60 and out.endswith("…」不在规定范围内，请按规定的取值填写")
    assert cut_text("短「abc」") == "短「abc」"


# ------------------------------------------------------------------ through the CLI
def _texts(out: Path) -> dict[str, str]:
    texts = {"findings.csv": (out / "findings.csv").read_text(encoding="utf-8-sig"),
             "findings.json": (out / "findings.json").read_text(encoding="utf-8"),
             "report.html": (out / "report.html").read_text(encoding="utf-8"),
             "findings.parquet": pl.read_parquet(out / "findings.parquet").write_csv()}
    wb = openpyxl.load_workbook(out / "report.xlsx")
    parts = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.value is not None:
                    parts.append(str(c.value))
                if c.comment is not None:
                    parts.append(c.comment.text)
    texts["report.xlsx"] = "\n".join(parts)
    # a number broken by an invisible character is the number a reader sees
    return {k: re.sub("[\u200b-\u200f\u2060\ufeff\u202a-\u202e\ufe00-\ufe0f\u034f]", "", v) for k, v in texts.items()}


def _shifted(tmp: Path) -> tuple[Path, dict[str, str]]:
    """A roster whose rows are shifted, so ID numbers, mobiles and a card number land in a date
    column (S006) and an enum column (S007), and a 学籍号 that holds an ID number."""
    ids = {"a": make_id(seq="101"), "b": make_id(seq="103"), "c": make_id(seq="105"), "d": make_id(seq="107"),
           "e": make_id(birth="19990101", seq="109")}
    secrets = {**ids, "m1": "13912345678", "m2": "13987654321", "card": "6222021234567890123",
               "fw": ids["e"].translate(FW), "grouped": f"{ids['a'][:6]} {ids['a'][6:14]} {ids['a'][14:]}",
               "dotted": "139.8765.4321", "zw": make_id(birth="20070707", seq="117")}
    rows = [ROSTER_HEADERS,
            roster_row("S1", "甲", make_id(seq="111")),
            ["S2", "乙", ids["b"], "男", "东方技工学校", "3", ids["a"], ids["a"], "在校"],  # S007 + S006 quote an ID
            ["S3", "丙", ids["c"], "男", "东方技工学校", "3", f"{secrets['m1']}、{secrets['m2']}",
             f"{secrets['fw']}", "在校"],  # two mobiles; a full-width ID in the date
            ["S4", "丁", ids["d"], "男", "东方技工学校", "3", f"卡号{secrets['card']}", "2024-09-01", "在校"],
            ["G" + ids["e"], "戊", ids["e"], "男", "东方技工学校", "3", "半日制", "2024-09-01", "在校"],
            ["S7", "庚", make_id(seq="115"), "男", "东方技工学校", "3", "全日制", "2024-09-01",
             f"备注 {secrets['zw'][:10]}\u200b{secrets['zw'][10:]}"],  # an ID broken by a zero-width space
            ["S6", "己", make_id(seq="113"), "男", "东方技工学校", "3", "全日制",
             f"{secrets['grouped']}", f"电话 {secrets['dotted']}"]]  # a grouped ID (S006), a dotted mobile (S007)
    f = write_xlsx(tmp / "in" / "名册.xlsx", rows, title="东方技工学校学生名册")
    return f, secrets


def test_quoted_values_masked_in_every_output_and_terminal(tmp_path, cli):
    f, secrets = _shifted(tmp_path)
    r = cli("check", f, "--as-of", AS_OF, "--format", "xlsx,csv,json,html,parquet")
    assert r.code == 1, r.stderr
    df = r.findings
    assert {"S006", "S007"} <= set(df["rule_id"].to_list())
    texts = _texts(r.out)
    # the annotated copy in report.xlsx keeps other columns as written; the list sheets and every
    # other output must not hold a single full number
    texts["terminal"] = r.stdout + r.stderr
    for where, text in texts.items():
        for name, v in secrets.items():
            assert v not in text, f"{name} {v} in {where}"
    s007 = df.filter(pl.col("rule_id") == "S007")["message"].to_list()
    assert any("139****5678、139****4321" in m for m in s007), s007
    assert df.filter(pl.col("student_id").str.starts_with("G"))["student_id"].to_list() == [
        "G" + secrets["e"][:6] + "********" + secrets["e"][-4:]]


def test_numbers_in_school_names_headers_number_cells_and_the_policy_are_masked(tmp_path, cli):
    """Hiding places a red-team run found: the school summary and money table (school name, 资助类型),
    the copy's header row, a mobile with a sign or a decimal part in a number-looking cell, a
    number split by a variation selector or a grapheme joiner, a 0086 prefix, and the policy
    (its own fingerprint salt is never shown; a mobile in aid_card_methods is masked)."""
    school = "东方技工学校13912345678"
    secrets = {"school": "13912345678", "type": "410105200801011237", "neg": "13912345670", "dec": "13912345679",
               "head": "13912345671", "vs": "13912345674", "cgj": "410105200801011245", "intl": "13912345675",
               "salt": "本省的盐-Secret-42", "card_method": "13912345676", "over_age": "13912345677"}
    rows = [[*ROSTER_HEADERS, "备注", f"电话{secrets['head']}"],
            [*roster_row("S1", "甲", make_id(seq="111"), school=school), f"-{secrets['neg']}", "1"],
            [*roster_row("S2", "乙", make_id(seq="113"), school=school), f"{secrets['dec']}.0", "2"],
            [*roster_row("S3", "丙", make_id(seq="115"), school=school, years="139\ufe0f12345674"),
             "4101052008\u034f01011245", "3"],
            [*roster_row("S4", "丁", make_id(seq="117"), school=school, mode=f"0086{secrets['intl']}"), "", "4"]]
    roster = write_xlsx(tmp_path / "in" / "名册.xlsx", rows)
    aid = write_xlsx(tmp_path / "in" / "资助.xlsx", [["学籍号", "姓名", "身份证号", "学校名称", "学期", "资助类型", "金额"],
                                                    ["S1", "甲", make_id(seq="111"), school, "2024秋", secrets["type"], "1000"]])
    policy = tmp_path / "xueji.toml"
    policy.write_text(f'fingerprint_salt = "{secrets["salt"]}"\naid_card_methods = ["资助卡", "{secrets["card_method"]}"]\n'
                      f'over_age = {secrets["over_age"]}\n',
                      encoding="utf-8")
    r = cli("check", roster, aid, "--config", policy, "--as-of", AS_OF, "--format", "xlsx,csv,json,html,parquet")
    assert r.code == 1, r.stderr
    texts = _texts(r.out)
    texts["terminal"] = r.stdout + r.stderr
    for where, text in texts.items():
        for name, v in secrets.items():
            assert v not in text, f"{name} {v} in {where}"
    assert "东方技工学校139****5678" in texts["report.xlsx"] and "（已设置，不显示；校验码 " in texts["report.xlsx"]
    assert {"S007"} <= set(r.findings["rule_id"].to_list())
    # near miss: an ordinary amount and a 学制 number in a number cell stay numbers
    wb = openpyxl.load_workbook(r.out / "report.xlsx")
    copy = next(ws for ws in wb.worksheets if ws.title not in ("总览", "问题清单", "学校汇总") and ws.max_column >= 11)
    assert copy.cell(copy.max_row, copy.max_column).value == 4


def test_show_pii_keeps_quoted_values(tmp_path, cli):
    f, secrets = _shifted(tmp_path)
    r = cli("check", f, "--as-of", AS_OF, "--show-pii")
    text = (r.out / "findings.csv").read_text(encoding="utf-8-sig")
    assert secrets["a"] in text and secrets["m1"] in text and "G" + secrets["e"] in text


def test_baseline_from_show_pii_run_is_masked_again(tmp_path, cli):
    """Everything taken from a --show-pii baseline (resolved findings) is masked in a default run."""
    f, secrets = _shifted(tmp_path)
    r1 = cli("check", f, "--as-of", AS_OF, "--show-pii", out=tmp_path / "o1")
    base = json.loads((r1.out / "findings.json").read_text(encoding="utf-8"))
    assert secrets["a"] in json.dumps(base, ensure_ascii=False)
    # a baseline whose fields hold raw numbers anywhere (as an edited or older file might)
    base["findings"].append({"rule_id": "S007", "fingerprint": "f" * 16, "message": f"旧「{secrets['m1']}」",
                             "id_masked": secrets["b"], "student_id": "G" + secrets["c"],
                             "name": secrets["d"], "school": secrets["card"], "column": secrets["m2"], "row": 7})
    base["findings"].append({"rule_id": secrets["e"], "fingerprint": "e" * 16, "file": f"{secrets['m1']}.xlsx",
                             "sheet": secrets["fw"], "clause": secrets["a"], "dataset": secrets["m2"]})
    (r1.out / "findings.json").write_text(json.dumps(base, ensure_ascii=False), encoding="utf-8")
    fixed = write_xlsx(tmp_path / "fixed" / "名册.xlsx", [ROSTER_HEADERS, roster_row("S1", "甲", make_id(seq="111"))],
                       title="东方技工学校学生名册")
    r2 = cli("check", fixed, "--as-of", AS_OF, "--baseline", r1.out / "findings.json",
             "--format", "xlsx,csv,json,html,parquet", out=tmp_path / "o2")
    assert r2.code in (0, 1), r2.stderr
    doc = r2.json
    assert len(doc["resolved"]) >= 5
    texts = _texts(r2.out)
    texts["terminal"] = r2.stdout + r2.stderr
    for where, text in texts.items():
        for name, v in secrets.items():
            assert v not in text, f"{name} {v} in {where}"
    extra = next(x for x in doc["resolved"] if x["fingerprint"] == "f" * 16)
    assert extra["id_masked"] == secrets["b"][:6] + "********" + secrets["b"][-4:]
    assert extra["row"] == 7


def test_baseline_passport_number_masked_as_this_run_masks_it(tmp_path, cli):
    """A passport number (11 characters) in a --show-pii baseline comes back masked the way this
    run masks one (first 2 and last 2), not 6 + 4."""
    f, _ = _shifted(tmp_path)
    r1 = cli("check", f, "--as-of", AS_OF, "--show-pii", "--format", "csv,json", out=tmp_path / "o1")
    base = json.loads((r1.out / "findings.json").read_text(encoding="utf-8"))
    base["findings"].append({"rule_id": "S003", "fingerprint": "p" * 16, "id_masked": "H1234567801"})
    (r1.out / "findings.json").write_text(json.dumps(base, ensure_ascii=False), encoding="utf-8")
    r2 = cli("check", f, "--as-of", AS_OF, "--baseline", r1.out / "findings.json", "--format", "csv,json",
             out=tmp_path / "o2")
    got = next(x for x in r2.json["resolved"] if x["fingerprint"] == "p" * 16)
    assert got["id_masked"] == "H1*******01", got


def test_baseline_with_odd_values_does_not_crash(tmp_path, cli):
    f, _ = _shifted(tmp_path)
    base = tmp_path / "b.json"
    base.write_text(json.dumps({"findings": [
        {"rule_id": ["x"], "fingerprint": "a" * 16, "row": "7", "message": {"k": 1}, "name": 3.5},
        {"rule_id": "S002", "fingerprint": 12},
        {"rule_id": "\x1b[31mS002", "fingerprint": "b" * 16, "message": "x" * 100_000}]}), encoding="utf-8")
    r = cli("check", f, "--as-of", AS_OF, "--baseline", base)
    assert r.code == 1, r.stderr
    res = {x["fingerprint"]: x for x in r.json["resolved"]}
    assert res["a" * 16]["rule_id"] is None and res["a" * 16]["row"] is None and res["a" * 16]["name"] == "3.5"
    assert len(res["b" * 16]["message"]) < 1100
    assert "\x1b" not in r.stdout + r.stderr


def test_huge_cell_is_cut_in_every_output(tmp_path, cli):
    """A 1 MB cell in a checked column: each finding quotes at most ~200 characters of it."""
    big = "半" * 1_000_000
    rows = [ROSTER_HEADERS] + [roster_row(f"S{i}", "甲" if i else big, make_id(seq=f"{101 + 2 * i:03d}"),
                                          mode=big, enroll=big, school="东方技工学校") for i in range(3)]
    f = write_xlsx(tmp_path / "in" / "名册.xlsx", rows)
    r = cli("check", f, "--as-of", AS_OF, "--format", "xlsx,csv,json,html,parquet")
    assert r.code == 1, r.stderr
    df = r.findings
    assert df.height >= 6
    assert df["message"].str.len_chars().max() < QUOTE_LIMIT + 100
    assert df.filter(pl.col("rule_id") == "S007")["message"].str.contains("…」").all()
    assert df["name"].str.len_chars().max() <= QUOTE_LIMIT
    for name in ("findings.csv", "findings.json", "report.html", "findings.parquet"):
        assert (r.out / name).stat().st_size < 60_000, name
    # report.xlsx holds the annotated copy of the input (a cell is cut to Excel's 32,767
    # characters there); its list sheets quote the cut message only
    wb = openpyxl.load_workbook(r.out / "report.xlsx")
    for row in wb["问题清单"].iter_rows():
        for c in row:
            assert c.value is None or len(str(c.value)) < QUOTE_LIMIT + 100
    assert len(r.stdout + r.stderr) < 20_000


def test_numbers_in_file_and_folder_names_are_masked_and_kept_apart(tmp_path, cli):
    """A file named after a student (异动申请_张三_<ID>.xlsx, a CSV whose stem is its sheet name, a
    folder named by a mobile) shows the number masked in every output and on the terminal, also
    with --show-pii (a file name is no value the user asked to see). Two files whose names
    differ only in the masked digits stay two files: each finding names its own. Near miss: a
    timestamp in an export's name (card-shaped) stays readable, so the file can be found."""
    a, b = make_id(seq="131"), make_id(birth="20070303", seq="133")  # in names only, never in cells
    twin = a[:6] + b[6:14] + a[14:]  # masks as a does
    secrets = {"file_a": a, "file_twin": twin, "csv": b, "folder": "13912345678"}
    d = tmp_path / "in" / f"联系人{secrets['folder']}"
    write_xlsx(d / f"异动申请_张三_{a}.xlsx", [ROSTER_HEADERS, roster_row("S1", "甲", make_id(seq="141") + "0")])
    write_xlsx(d / f"异动申请_张三_{twin}.xlsx", [ROSTER_HEADERS, roster_row("S2", "乙", make_id(seq="143") + "0")])
    (d / f"名册_{b}.csv").write_text(
        ",".join(ROSTER_HEADERS) + "\n" + ",".join(roster_row("S3", "丙", make_id(seq="145") + "0")) + "\n",
        encoding="utf-8")
    write_xlsx(d / "学籍导出_2024090112304512345.xlsx", [ROSTER_HEADERS, roster_row("S4", "丁", make_id(seq="147") + "0")])
    for extra in ([], ["--show-pii"]):
        r = cli("check", tmp_path / "in", "--as-of", AS_OF, "--format", "xlsx,csv,json,html,parquet", *extra,
                out=tmp_path / f"out{len(extra)}")
        texts = _texts(r.out)
        texts["terminal"] = r.stdout + r.stderr
        for where, text in texts.items():
            for name, v in secrets.items():
                assert v not in text, f"{name} {v} in {where} ({extra})"
        s003 = r.rule("S003")
        rows = dict(zip(s003["student_id"].to_list(), s003["file"].to_list(), strict=True))
        assert len(rows) == 4 and len(set(rows.values())) == 4, rows  # each file its own finding
        masked = f"异动申请_张三_{a[:6]}********{a[-4:]}.xlsx"
        pair = sorted([rows["S1"], rows["S2"]], key=len)
        assert pair[0].endswith(masked) and pair[1].endswith(masked + "（2）"), rows
        assert rows["S3"].endswith(f"名册_{b[:6]}********{b[-4:]}.csv"), rows
        assert rows["S4"].endswith("学籍导出_2024090112304512345.xlsx"), rows
        assert all("联系人139****5678" in f for f in rows.values()), rows


def test_numbers_in_the_paths_the_user_gives_are_masked(tmp_path, cli):
    """An output, baseline, policy or cache folder named after a student (报告_<ID>, a mobile in
    the policy file's name) is masked wherever the run writes or prints it: findings.json's
    parameters, the output lines, the quiet line, the cache line (as input file names are).
    Near miss: the same run's other text keeps its digits (the check date)."""
    a = make_id(seq="151")
    mobile = "13912345678"
    write_xlsx(tmp_path / "in" / "名册.xlsx", [ROSTER_HEADERS, roster_row("S1", "甲", make_id(seq="161") + "0")])
    out = tmp_path / f"报告_{a}"
    policy = tmp_path / f"策略_{mobile}.toml"
    assert cli("init-config", policy).code == 0
    cache = tmp_path / f"缓存_{a}"
    first = cli("check", tmp_path / "in", "--as-of", AS_OF, "--config", policy, "--format", "json", out=out)
    assert first.code == 1, first.stderr
    runs = [first]
    for extra in ([], ["-q"]):
        runs.append(cli("check", tmp_path / "in", "--as-of", AS_OF, "--config", policy, "--format", "json",
                        "--baseline", out / "findings.json", "--cache", cache, *extra, out=out))
    for r in runs:
        assert r.code == 1, r.stderr
        for where, text in {"terminal": r.stdout + r.stderr,
                            "findings.json": (out / "findings.json").read_text(encoding="utf-8")}.items():
            assert a not in text and mobile not in text, where
    params = json.loads((out / "findings.json").read_text(encoding="utf-8"))["run"]["parameters"]
    assert params["baseline"].endswith(f"报告_{a[:6]}********{a[-4:]}/findings.json"), params
    assert params["config"].endswith("策略_139****5678.toml"), params
    assert f"输出在 {tmp_path}/报告_{a[:6]}********{a[-4:]}" in runs[2].stdout, runs[2].stdout
    assert f"缓存 {tmp_path}/缓存_{a[:6]}********{a[-4:]}" in runs[1].stdout, runs[1].stdout
    assert AS_OF in runs[2].stdout


def test_numbers_in_sheet_names_are_masked_and_kept_apart(tmp_path, cli):
    """A workbook with a sheet per student named by the ID: the names are masked in every output
    (with --show-pii too), and two sheets whose names differ only in the masked digits stay two
    sheets (（2）), each finding on its own sheet's row."""
    a, b = make_id(seq="161"), make_id(birth="20070303", seq="163")
    twin = a[:6] + b[6:14] + a[14:]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = f"张三{a}"
    ws.append(ROSTER_HEADERS)
    ws.append(roster_row("S1", "甲", make_id(seq="171") + "0"))
    ws2 = wb.create_sheet(f"张三{twin}")
    ws2.append(ROSTER_HEADERS)
    ws2.append(roster_row("S2", "乙", make_id(seq="173") + "0"))
    ws2.append(roster_row("S3", "丙", make_id(seq="175") + "0"))
    f = tmp_path / "名册.xlsx"
    wb.save(f)
    for extra in ([], ["--show-pii"]):
        r = cli("check", f, "--as-of", AS_OF, "--format", "xlsx,csv,json,html,parquet", *extra, out=tmp_path / f"o{len(extra)}")
        texts = _texts(r.out)
        texts["terminal"] = r.stdout + r.stderr
        for where, text in texts.items():
            for v in (a, twin):
                assert v not in text, f"{v} in {where} ({extra})"
        s003 = r.rule("S003")
        sheets = dict(zip(s003["student_id"].to_list(), s003["sheet"].to_list(), strict=True))
        masked = f"张三{a[:6]}********{a[-4:]}"
        assert sheets == {"S1": masked, "S2": masked + "（2）", "S3": masked + "（2）"}, sheets


def test_numbers_in_names_the_folder_walker_reports_are_masked(tmp_path, cli):
    """What the folder walk says about files it does not read (a lock file ~$…, a broken link, a
    folder without tables) names them masked too: the review found their full numbers on the
    terminal and in findings.json, report.xlsx and report.html."""
    a, b = make_id(seq="181"), make_id(seq="183")
    d = tmp_path / "in" / "联系人13912345679"
    write_xlsx(d / f"异动申请_张三_{a}.xlsx", [ROSTER_HEADERS, roster_row("S1", "甲", make_id(seq="185"))])
    (d / f"~$异动申请_张三_{a}.xlsx").write_bytes(b"lock")
    (d / f"李四_{b}.xlsx").symlink_to(tmp_path / "nowhere.xlsx")
    (tmp_path / "in" / f"空_{b}").mkdir()
    r = cli("check", tmp_path / "in", "--as-of", AS_OF, "--format", "xlsx,csv,json,html,parquet")
    texts = _texts(r.out)
    texts["terminal"] = r.stdout + r.stderr
    for where, text in texts.items():
        for v in (a, b, "13912345679"):
            assert v not in text, f"{v} in {where}"
    assert f"李四_{b[:6]}********{b[-4:]}.xlsx" in texts["findings.json"], texts["findings.json"][:2000]
