"""Privacy: ID numbers masked in every output and on the terminal unless --show-pii; phone and
address never copied into findings; the fingerprint is a salted hash that does not reveal the ID;
formula-like text planted in inputs is neutralised in CSV/XLSX."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from conftest import ROSTER_HEADERS, make_id, roster_row, write_csv, write_xlsx
from xueji_check.load import Problem, redact

AS_OF = "2025-01-01"
PHONE = "13912345678"
ADDRESS = "河南省郑州市金水区花园路88号"
EXTRA = ["家庭住址", "联系电话"]


def _ids() -> dict[str, str]:
    return {
        "a": make_id(seq="101"), "b": make_id(seq="103"), "dup": make_id(seq="105"),
        "aid_only": make_id(birth="20070505", seq="107"),
        "bad_check": make_id(seq="109")[:17] + ("0" if make_id(seq="109")[17] != "0" else "1"),
        "adult": make_id(birth="19900101", seq="111"),
    }


def _inputs(tmp: Path) -> tuple[Path, dict[str, str]]:
    ids = _ids()
    d = tmp / "in"
    rows = [
        [*roster_row("S1", "甲", ids["a"]), ADDRESS, PHONE],
        [*roster_row("S2", "", ids["b"]), ADDRESS, PHONE],  # S002
        [*roster_row("S3", "丙", ids["dup"]), ADDRESS, PHONE],
        [*roster_row("S4", "丁", ids["dup"], school="西方技工学校"), ADDRESS, PHONE],  # R101
        [*roster_row("S5", "戊", ids["bad_check"]), ADDRESS, PHONE],  # S003
        [*roster_row("S6", "己", ids["adult"]), ADDRESS, PHONE],  # R107
        [*roster_row("S7", "庚", ids["a"][:6] + ids["a"][8:]), ADDRESS, PHONE],  # 15-digit form of a
    ]
    write_xlsx(d / "名册.xlsx", [[*ROSTER_HEADERS, *EXTRA], *rows], title="东方技工学校学生名册")
    aid = [["学籍号", "姓名", "身份证号", "学校名称", "学期", "资助类型", "金额", "联系电话", "家庭住址"],
           ["S9", "辛", ids["aid_only"], "东方技工学校", "2024秋", "国家助学金", "1500", PHONE, ADDRESS]]
    write_csv(d / "资助发放.csv", aid, encoding="gbk")
    pub = [["序号", "姓名", "学校", "身份证号", "联系电话"], ["1", "甲", "东方技工学校", ids["a"], PHONE]]
    write_xlsx(d / "资助公示名单.xlsx", pub, title="2024年秋季学期国家助学金公示 公示时间：2024年11月4日至2024年11月8日")
    return d, ids


def _xlsx_text(path: Path, sheets: tuple[str, ...] | None = None) -> str:
    wb = openpyxl.load_workbook(path)
    parts = []
    for ws in wb.worksheets:
        if sheets is not None and ws.title not in sheets:
            continue
        for row in ws.iter_rows():
            for c in row:
                if c.value is not None:
                    parts.append(str(c.value))
                if c.comment is not None:
                    parts.append(c.comment.text)
    return "\n".join(parts)


def _outputs(out: Path) -> dict[str, str]:
    texts = {"findings.csv": (out / "findings.csv").read_text(encoding="utf-8-sig"),
             "findings.json": (out / "findings.json").read_text(encoding="utf-8")}
    if (out / "report.html").exists():
        texts["report.html"] = (out / "report.html").read_text(encoding="utf-8")
    if (out / "findings.parquet").exists():
        texts["findings.parquet"] = pl.read_parquet(out / "findings.parquet").write_csv()
    if (out / "report.xlsx").exists():
        texts["report.xlsx"] = _xlsx_text(out / "report.xlsx")
    return texts


def _full_forms(ids: dict[str, str]) -> list[str]:
    forms = set(ids.values())
    forms.add(ids["a"][:6] + ids["a"][8:])  # the 15-digit form as written
    return sorted(forms)


@pytest.fixture
def run(tmp_path, cli):
    d, ids = _inputs(tmp_path)

    def go(*extra: str, out: str = "out"):
        return cli("check", d, "--as-of", AS_OF, "--format", "xlsx,csv,json,html,parquet", *extra,
                   out=tmp_path / out), ids

    return go


LIST_SHEETS = ("总览", "问题清单", "学校汇总")


def test_no_full_id_in_any_output_or_terminal(run):
    r, ids = run()
    assert r.code in (1, 2), r.stderr
    assert r.findings.height >= 3
    texts = _outputs(r.out)
    if "report.xlsx" in texts:  # the annotated copies of input sheets: see the next test
        texts["report.xlsx"] = _xlsx_text(r.out / "report.xlsx", LIST_SHEETS)
    texts["terminal"] = r.stdout + r.stderr
    for where, text in texts.items():
        for idn in _full_forms(ids):
            assert idn not in text, f"full ID {idn} in {where}"
    masked = r.findings["id_masked"].drop_nulls().to_list()
    assert masked and all(re.fullmatch(r"\d{6}\*+[\dX*]{4}", m) or set(m) == {"*"} for m in masked), masked


def test_annotated_copies_mask_ids(run):
    r, ids = run()
    text = _xlsx_text(r.out / "report.xlsx")
    for idn in _full_forms(ids):
        assert idn not in text, f"full ID {idn} in an annotated copy in report.xlsx"


def test_show_pii_prints_full_ids_only_when_asked(run):
    r, ids = run("--show-pii")
    shown = set(r.findings["id_masked"].drop_nulls().to_list())
    assert ids["b"] in shown  # the S002 row keeps its ID in full


def test_phone_and_address_never_in_findings(run):
    r, ids = run("--show-pii")
    texts = _outputs(r.out)
    texts["terminal"] = r.stdout + r.stderr
    if "report.xlsx" in texts:  # the list sheets; the annotated copies are copies of the inputs
        texts["report.xlsx"] = _xlsx_text(r.out / "report.xlsx", LIST_SHEETS)
    for where, text in texts.items():
        assert PHONE not in text, f"phone in {where}"
        assert ADDRESS not in text, f"address in {where}"


def test_fingerprint_is_salted_and_does_not_reveal_the_id(run, tmp_path):
    r1, ids = run()
    f1 = r1.findings
    salt = tmp_path / "salt.toml"
    salt.write_text('fingerprint_salt = "河南省-2025-私有盐"\n', encoding="utf-8")
    r2, _ = run("--config", str(salt), out="out2")
    f2 = r2.findings
    assert f1.height == f2.height
    order = ["rule_id", "file", "row", "column", "message"]
    a = f1.sort(order, nulls_last=True)["fingerprint"].to_list()
    b = f2.sort(order, nulls_last=True)["fingerprint"].to_list()
    assert all(x != y for x, y in zip(a, b, strict=True)), "the salt must change every fingerprint"
    fps = set(f1["fingerprint"].to_list()) | set(f2["fingerprint"].to_list())
    for idn in _full_forms(ids):
        for h in (hashlib.sha256(idn.encode()).hexdigest(), hashlib.md5(idn.encode()).hexdigest(),
                  hashlib.sha1(idn.encode()).hexdigest()):
            assert not any(h.startswith(fp) or fp in h for fp in fps)
        assert not any(idn[6:14] in fp for fp in fps)


def test_fingerprint_stable_across_row_moves(tmp_path, cli):
    """The same problem in next month's export (rows moved) keeps its fingerprint."""
    idn = make_id(seq="101")
    a = write_xlsx(tmp_path / "a" / "名册.xlsx", [ROSTER_HEADERS, roster_row("S1", "", idn)])
    b = write_xlsx(tmp_path / "b" / "名册.xlsx", [ROSTER_HEADERS, roster_row("S0", "乙", make_id(seq="103")),
                                                roster_row("S1", "", idn)])
    fa = cli("check", a, "--as-of", AS_OF, out=tmp_path / "oa").rule("S002")
    fb = cli("check", b, "--as-of", AS_OF, out=tmp_path / "ob").rule("S002")
    assert fa["row"].to_list() != fb["row"].to_list()
    assert fa["fingerprint"].to_list() == fb["fingerprint"].to_list()


def test_problem_messages_mask_ids_and_phones():
    idn = make_id()
    p = Problem("error", "x.xlsx", None, None, f"现有表头：张三、{idn}、{PHONE}、{idn[:6] + idn[8:]}")
    assert idn not in p.message and PHONE not in p.message and idn[:6] + idn[8:] not in p.message
    assert idn[:6] in p.message and idn[-4:] in p.message
    assert redact("学制 3 年，2024-09-01，金额 1000") == "学制 3 年，2024-09-01，金额 1000"


def test_formula_injection_neutralised(tmp_path, cli):
    planted = ["=HYPERLINK(\"http://x\",\"点我\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "＝1+1"]
    rows = [ROSTER_HEADERS]
    for i, v in enumerate(planted):
        rows.append(roster_row(f"S{i}", v, make_id(seq=f"{101 + 2 * i:03d}"), mode="半日制",
                               school=v if i % 2 else "东方技工学校"))
    rows.append(roster_row("=1+1", "=2+2", "=3+3", school="=cmd|' /C calc'!A0"))
    f = write_csv(tmp_path / "in" / "注入.csv", rows)
    x = tmp_path / "in" / "注入.xlsx"  # text cells (not formulas) that start with = in a workbook
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(x))
    ws = wb.add_worksheet("名册")
    for ri, row in enumerate(rows):
        for ci, v in enumerate(row):
            ws.write_string(ri, ci, str(v))
    wb.close()
    f = f.parent
    r = cli("check", f, "--as-of", AS_OF)
    assert r.code == 1
    raw = (r.out / "findings.csv").read_text(encoding="utf-8-sig")
    df = pl.read_csv(r.out / "findings.csv", infer_schema=False)
    cells = [v for c in df.columns for v in df[c].drop_nulls().to_list()]
    assert any("HYPERLINK" in v for v in cells)
    for v in cells:
        assert not re.match(r"^[=+\-@\t\r＝＋－＠]", v), f"unneutralised cell {v!r}"
    assert "'=HYPERLINK" in raw
    xlsx = r.out / "report.xlsx"
    if xlsx.exists():
        wb = openpyxl.load_workbook(xlsx)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    if isinstance(c.value, str):
                        assert not re.match(r"^[=+\-@\t\r＝＋－＠]", c.value), (ws.title, c.coordinate, c.value)
                        assert c.data_type != "f", (ws.title, c.coordinate, c.value)


def test_findings_json_has_no_raw_cells(run):
    """findings.json carries masked IDs only, also in problems and parameters."""
    r, ids = run()
    doc = json.loads((r.out / "findings.json").read_text(encoding="utf-8"))
    text = json.dumps(doc, ensure_ascii=False)
    for idn in _full_forms(ids):
        assert idn not in text


def test_a_placeholder_in_the_id_column_is_shown_as_written():
    """S003 said 身份证号「*」 for a cell holding 无: up to 6 characters without a digit name no
    document and are shown. Near misses: short numbers, passports and long text stay masked."""
    import polars as pl

    from xueji_check.normalize import mask_id

    vals = ["无", "暂无", "待补充", "张三", "123", "E12345678", "四一零一零五二零零七零三一五一二三四"]
    got = pl.DataFrame({"v": vals}).select(mask_id(pl.col("v")).alias("m"))["m"].to_list()
    assert got[:4] == ["无", "暂无", "待补充", "张三"], got
    assert got[4] == "***" and got[5] == "E1*****78" and got[6].startswith("四一零一零五") and "*" in got[6], got
