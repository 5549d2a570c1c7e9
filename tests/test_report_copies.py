"""report.xlsx: annotated copies that show everything (issue 13 point 4): the rows above the header
in their places, file-level findings marked on the header or the period line, publicity lists with
only file-level findings copied, link text = 行号 of the target row, values keeping their type."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from conftest import ROSTER_HEADERS, make_id, roster_row, write_xlsx
from xueji_check import engine
from xueji_check.load import load_file
from xueji_check.policy import load_policy
from xueji_check.report import excel
from xueji_check.report.excel import write_report

RED = "FFC7CE"
YELLOW = "FFEB9C"
ID_A, ID_B, ID_C = make_id("20080101", seq="111"), make_id("20080202", seq="113"), make_id("20080303", seq="115")


def sheet_rows(path: Path, rows: list[list | None], sheet: str = "Sheet1") -> Path:
    """An xlsx whose row i+1 is rows[i] (None: a blank row)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for i, r in enumerate(rows, start=1):
        for j, v in enumerate(r or [], start=1):
            if v is not None:
                ws.cell(row=i, column=j, value=v)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def copy_of(wb: openpyxl.Workbook, stem: str):
    return wb[next(n for n in wb.sheetnames[3:] if n.startswith(stem))]


def links(wb: openpyxl.Workbook) -> list[tuple]:
    """(rule, link text, target sheet, target cell, 行号) of each finding in 问题清单."""
    ws = wb["问题清单"]
    header = [c.value for c in ws[1]]
    out = []
    for r in ws.iter_rows(min_row=2):
        link = r[0].hyperlink
        sheet, cell = link.location.rsplit("!", 1) if link is not None else (None, None)
        out.append((r[header.index("规则")].value, r[0].value, sheet.strip("'") if sheet else None, cell,
                    r[header.index("行号")].value))
    return out


PUB_HEADERS = ["序号", "姓名", "学校", "专业", "资助类型", "金额", "身份证号", "联系电话"]


def publicity(tmp_path: Path, *, period_in: str = "title", blank_between: bool = False) -> Path:
    """A publicity list with only file-level findings: a short period (P401) in the title or under
    the table, and an ID and a phone column (P402)."""
    rows: list[list | None] = [["东方技工学校2018年秋季学期国家助学金公示名单"]]
    if period_in == "title":
        rows.append(["公示时间：2018年5月2日至2018年5月7日"])
    rows.append(PUB_HEADERS)
    for i, (name, idn) in enumerate([("张三", ID_A), ("李四", ID_B), ("王五", ID_C)], start=1):
        if blank_between and i == 3:
            rows.append(None)
        rows.append([str(i), name, "东方技工学校", "数控加工", "国家助学金", "1000", idn, f"1380013800{i}"])
    if period_in == "footer":
        rows.append(None)
        rows.append(["公示时间：2018年5月2日至2018年5月7日，如有异议请与学生科联系。"])
    return sheet_rows(tmp_path / "in" / "助学金公示名单.xlsx", rows)


def run_publicity(cli, f: Path, *extra: str):
    r = cli("check", "--publicity", f, "--as-of", "2018-12-31", "--format", "xlsx,csv", *extra)
    assert r.code == 1, r.stdout + r.stderr
    assert set(r.findings["rule_id"]) == {"P401", "P402"} and r.findings["row"].null_count() == r.findings.height
    return r, openpyxl.load_workbook(r.out / "report.xlsx")


def test_publicity_list_with_only_file_level_findings_is_copied_and_marked(tmp_path, cli):
    r, wb = run_publicity(cli, publicity(tmp_path))
    ws = copy_of(wb, "助学金公示名单")
    # the rows above the header in their places, the header at its own row
    assert ws["C1"].value == "东方技工学校2018年秋季学期国家助学金公示名单"
    assert ws["C2"].value.startswith("公示时间：2018年5月2日")
    assert [c.value for c in ws[3]] == ["问题", "行号", *PUB_HEADERS]
    assert ws.freeze_panes == "C4" and ws.auto_filter.ref.startswith("A3:")
    # P401 marks the line that holds the period: its cell (fill, comment) and its 问题 cell
    assert ws["C2"].fill.fgColor.rgb.endswith(RED) and "P401" in ws["C2"].comment.text
    assert "4 个工作日" in ws["C2"].comment.text
    assert ws["A2"].value == "P401 公示期不足" and ws["A2"].fill.fgColor.rgb.endswith(RED)
    assert ws["C1"].fill.fill_type is None and ws["C1"].comment is None
    # P402 marks the header cell of each column it names; the other header cells keep the header look
    header = {c.value: c for c in ws[3]}
    for col in ("身份证号", "联系电话"):
        assert header[col].fill.fgColor.rgb.endswith(RED) and "P402" in header[col].comment.text, col
    assert header["姓名"].fill.fgColor.rgb.endswith("D9E1F2") and header["姓名"].comment is None
    assert header["问题"].value == "问题"
    # the links say the row they go to
    got = {(rule, text, cell) for rule, text, sheet, cell, _ in links(wb) if sheet == ws.title}
    p402_cells = {f"{header[c].column_letter}3" for c in ("身份证号", "联系电话")}
    assert got == {("P401", "第 2 行（标题）", "C2")} | {("P402", "第 3 行（表头）", c) for c in p402_cells}
    # the records: masked ID wide enough to read, the amount a number, 序号 a number
    data = {r[1].value: r for r in ws.iter_rows(min_row=4)}
    row = data[4]
    idx = {h: i for i, h in enumerate(["问题", "行号", *PUB_HEADERS])}
    assert row[idx["身份证号"]].value == ID_A[:6] + "********" + ID_A[-4:]
    assert row[idx["金额"]].value == 1000 and row[idx["金额"]].data_type == "n"
    assert row[idx["序号"]].value == 1 and row[idx["序号"]].data_type == "n"
    id_letter = row[idx["身份证号"]].column_letter
    assert ws.column_dimensions[id_letter].width >= 18


def test_period_in_footer_marks_the_footer_line_full_and_limited(tmp_path, cli):
    f = publicity(tmp_path, period_in="footer", blank_between=True)
    r, wb = run_publicity(cli, f)
    ws = copy_of(wb, "助学金公示名单")
    # rows keep their numbers: rows 5 and 7 of the input are blank, the footer is row 8
    assert ws["B3"].value == 3 and ws["B5"].value is None and ws["B6"].value == 6
    footer = ws["C8"]
    assert footer.value.startswith("公示时间：2018年5月2日") and ws["B8"].value == 8
    assert footer.fill.fgColor.rgb.endswith(RED) and "P401" in footer.comment.text
    assert ("P401", "第 8 行（表尾）", ws.title, "C8", None) in links(wb)
    # a limited copy (run above the row limit) keeps the footer under the (here no) flagged rows
    res = engine.run([], {"publicity": [f]}, load_policy(None), dt.date(2018, 12, 31))
    out = write_report(res.findings, res, {"run": {"parameters": {}}}, tmp_path / "r.xlsx", row_limit=1)
    wb = openpyxl.load_workbook(out)
    ws = copy_of(wb, "助学金公示名单")
    assert ws["B2"].value == "原行号"
    assert ws["C3"].value.startswith("公示时间") and ws["B3"].value == 8 and "P401" in ws["C3"].comment.text
    assert ("P401", "第 8 行（表尾）", ws.title, "C3", None) in links(wb)


def test_period_from_the_command_line_marks_the_header_not_the_title(tmp_path, cli):
    f = publicity(tmp_path)
    r, wb = run_publicity(cli, f, "--publicity-start", "2018-05-02", "--publicity-end", "2018-05-07")
    got = [x for x in links(wb) if x[0] == "P401"]
    assert got and got[0][1] == "第 3 行（表头）" and got[0][3] == "C3"


def test_s001_marks_the_header_first_cell_with_the_missing_columns(tmp_path, cli):
    f = sheet_rows(tmp_path / "in" / "名册.xlsx", [["2024年秋季学期学生名册"], ["学籍号", "姓名", "身份证号", "学校名称"],
                                                   ["S1", "张三", ID_A, "东方技工学校"]])
    r = cli("check", "--roster", f, "--as-of", "2025-01-01", "--format", "xlsx,csv")
    assert set(r.findings["rule_id"]) == {"S001"}
    wb = openpyxl.load_workbook(r.out / "report.xlsx")
    ws = copy_of(wb, "名册")
    cell = ws["C2"]
    assert cell.value == "学籍号" and cell.fill.fgColor.rgb.endswith(RED)
    assert "S001" in cell.comment.text and "学制" in cell.comment.text and "学习形式" in cell.comment.text
    assert links(wb)[0][:4] == ("S001", "第 2 行（表头）", ws.title, "C2")
    assert ws["C1"].value == "2024年秋季学期学生名册"


def _offset_roster(tmp_path: Path) -> Path:
    rows: list[list | None] = [["东方技工学校2024年秋季学期学生名册"], ["填报单位：东方技工学校", None, None, "填报日期：2025年1月6日"],
                               None, ROSTER_HEADERS]
    for i in range(12):
        rows.append(roster_row(f"S{i}", f"学生{i}", make_id("20080101", seq=f"{201 + 2 * i:03d}")))
        if i == 5:
            rows.append(None)
    rows[7][1] = ""  # Excel row 8: S002
    rows[12][6] = "半日制"  # Excel row 13: S007
    rows.append(["合计", None, None, None, None, None, None, None, None])
    rows.append(["制表人：王老师"])
    return sheet_rows(tmp_path / "in" / "名册.xlsx", rows)


@pytest.mark.parametrize("limit", [excel.ROW_LIMIT, 1])
def test_link_text_and_row_column_name_the_same_row(tmp_path, limit):
    """Header at row 4 under titles and a blank row, a blank row between the records, a total and
    a footer: in a full and in a limited copy, 第 N 行 goes to the copy row whose 行号 says N."""
    f = _offset_roster(tmp_path)
    res = engine.run([], {"roster": [f]}, load_policy(None), dt.date(2025, 1, 1))
    rows = sorted(res.findings["row"].drop_nulls().to_list())
    assert 8 in rows and 13 in rows
    out = write_report(res.findings, res, {"run": {"parameters": {}}}, tmp_path / "r.xlsx", row_limit=limit)
    wb = openpyxl.load_workbook(out)
    ws = copy_of(wb, "名册")
    assert ws["C1"].value == "东方技工学校2024年秋季学期学生名册" and ws["F2"].value == "填报日期：2025年1月6日"
    assert ws["A4"].value == "问题" and ws["C4"].value == ROSTER_HEADERS[0]
    seen = links(wb)
    assert len(seen) == res.findings.height
    for rule, text, sheet, cell, src_row in seen:
        assert sheet == ws.title
        target = ws[cell]
        assert text == f"第 {src_row} 行", (rule, text, cell)
        assert ws.cell(row=target.row, column=2).value == src_row
        assert rule in (target.comment.text if target.comment else ws.cell(row=target.row, column=1).value)
    if limit == 1:  # the flagged rows, then the total and the footer under the last record
        assert ws["B4"].value == "原行号"
        assert [r[1] for r in ws.iter_rows(min_row=5, values_only=True)] == [*sorted(set(rows)), 18, 19]
        assert ws.cell(row=ws.max_row, column=3).value == "制表人：王老师"
    else:
        assert ws["B4"].value == "行号" and ws.max_row == 19
        assert ws["C18"].value == "合计" and ws["C19"].value == "制表人：王老师"
        assert all(c.value is None for c in ws[11])  # the blank row stays blank


def test_values_keep_their_type(tmp_path, cli):
    headers = ROSTER_HEADERS + ["联系电话", "序号", "备注", "学校代码"]
    rows = [headers,
            roster_row("2024000000001", "张三", ID_A, years="3") + ["13800138000", "1", "007", "4101001"],
            roster_row("S2", "李四", ID_B, years="3年") + ["13900139000", "2", "1.50", "0410"],
            roster_row("S3", "王五", ID_C, years="3") + ["", "3", "12345678901234567890", "x"]]
    f = write_xlsx(tmp_path / "in" / "名册.xlsx", rows)
    for pii in ((), ("--show-pii",)):
        r = cli("check", "--roster", f, "--as-of", "2025-01-01", "--format", "xlsx", "--fail-on", "never", *pii)
        assert r.code == 0, r.stdout + r.stderr
        ws = openpyxl.load_workbook(r.out / "report.xlsx").worksheets[3]
        col = {c.value: i for i, c in enumerate(ws[1])}
        by = {row[col["姓名"]].value: row for row in ws.iter_rows(min_row=2)}
        z, li, w = by["张三"], by["李四"], by["王五"]
        assert z[col["学制"]].value == 3 and z[col["学制"]].data_type == "n"
        assert li[col["学制"]].value == "3年" and li[col["学制"]].data_type == "s"
        assert z[col["序号"]].value == 1 and z[col["序号"]].data_type == "n"
        assert li[col["备注"]].value == 1.5 and li[col["备注"]].data_type == "n"
        # text however it looks: 学籍号 and ID numbers, phone numbers, leading zeros, long digit runs
        assert z[col["学籍号"]].value == "2024000000001" and z[col["学籍号"]].data_type == "s"
        assert isinstance(z[col["身份证号"]].value, str) and z[col["身份证号"]].value.endswith(ID_A[-4:])
        assert z[col["联系电话"]].data_type == "s" and z[col["备注"]].value == "007"
        assert z[col["学校代码"]].value == "4101001" and z[col["学校代码"]].data_type == "s"
        assert w[col["备注"]].data_type == "s" and "E" not in str(w[col["备注"]].value)
        if pii:
            assert z[col["身份证号"]].value == ID_A and z[col["联系电话"]].value == "13800138000"
            assert w[col["备注"]].value == "12345678901234567890"


def test_fast_and_public_api_copies_are_the_same_bytes(tmp_path, monkeypatch):
    """Titles, footers, header marks, numbers: the Polars-rendered rows, the long (wide) path and
    xlsxwriter's public API write the same workbook."""
    f = publicity(tmp_path, period_in="footer", blank_between=True)
    g = _offset_roster(tmp_path)
    res = engine.run([], {"publicity": [f], "roster": [g]}, load_policy(None), dt.date(2018, 12, 31))
    doc = {"run": {"parameters": {}}}
    fast = write_report(res.findings, res, doc, tmp_path / "fast.xlsx")
    monkeypatch.setattr(excel, "WIDE_COPY_COLS", 0)
    wide = write_report(res.findings, res, doc, tmp_path / "wide.xlsx")
    monkeypatch.setattr(excel, "_raw_rows_supported", lambda ws: False)
    slow = write_report(res.findings, res, doc, tmp_path / "slow.xlsx")

    def parts(p: Path) -> dict[str, bytes]:
        with zipfile.ZipFile(p) as z:
            return {n: z.read(n) for n in z.namelist() if not n.startswith("docProps/")}

    a, b, c = parts(fast), parts(wide), parts(slow)
    assert sorted(a) == sorted(b) == sorted(c)
    assert [n for n in a if a[n] != c[n]] == []
    assert [n for n in a if a[n] != b[n]] == []


def test_loader_keeps_title_and_footer_rows(tmp_path):
    f = publicity(tmp_path, period_in="footer", blank_between=True)
    problems: list = []
    from xueji_check.load.model import InputFile
    from xueji_check.spec import all_kinds

    inp = InputFile(f, str(f), "publicity")
    load_file(inp, problems, all_kinds())
    t = inp.tables[0]
    assert t.header_row == 2 and t.title_rows == [1] and t.footer_rows == [8]
    assert t.footer_lines[0].startswith("公示时间")
    other = t.other_rows
    assert other["_row"].to_list() == [1, 8] and other.filter(pl.col("_row") == 8)["c0"][0].startswith("公示时间")


def test_rows_above_and_below_the_header_show_no_personal_number(tmp_path, cli):
    """Titles and footers are copied as written, but an ID or mobile number in them is masked (the
    copy must leak nothing the records themselves would not), unless --show-pii."""
    mobile = "13912345678"
    rows: list[list | None] = [[f"东方技工学校学生名册（联系人：王老师 {mobile}）"], ROSTER_HEADERS,
                               roster_row("S1", "", ID_A), roster_row("S2", "李四", ID_B),
                               [f"制表人：王老师，身份证 {ID_C}"]]
    f = sheet_rows(tmp_path / "in" / "名册.xlsx", rows)
    r = cli("check", "--roster", f, "--as-of", "2025-01-01", "--format", "xlsx")
    ws = openpyxl.load_workbook(r.out / "report.xlsx").worksheets[3]
    texts = " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)
    assert "东方技工学校学生名册（联系人：王老师 139****5678）" in texts and "制表人：王老师，身份证" in texts
    for secret in (mobile, ID_A, ID_B, ID_C):
        assert secret not in texts
    r = cli("check", "--roster", f, "--as-of", "2025-01-01", "--format", "xlsx", "--show-pii")
    ws = openpyxl.load_workbook(r.out / "report.xlsx").worksheets[3]
    texts = " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)
    assert mobile in texts and ID_C in texts


def test_period_without_a_year_marks_the_footer_line(tmp_path, cli):
    """A footer period written without a year (1月6日至1月8日 under a 2024秋 title: January 2025,
    3 working days) is marked where P401 read it, like a period with its year."""
    f = sheet_rows(tmp_path / "公示.xlsx", [
        ["东方技工学校2024年秋季学期国家助学金受助学生名单公示"],
        ["序号", "姓名", "学校", "专业", "资助类型", "金额"],
        [1, "张三", "东方技工学校", "数控", "国家助学金", 1000],
        None,
        ["公示时间：1月6日至1月8日"],
    ], sheet="公示")
    r = cli("check", "--publicity", f, "--as-of", "2025-06-30")
    assert r.rule("P401")["message"].str.contains("2025-01-06").to_list() == [True], r.findings.rows()
    wb = openpyxl.load_workbook(r.out / "report.xlsx")
    ws = copy_of(wb, "公示")
    assert ws["C5"].value.startswith("公示时间") and "P401" in ws["C5"].comment.text
    assert ("P401", "第 5 行（表尾）", ws.title, "C5", None) in links(wb)
