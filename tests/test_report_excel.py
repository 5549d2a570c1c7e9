"""report.xlsx: sheets, fills, comments, hyperlinks, chart, annotated copies, size limits."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

from conftest import ROSTER_HEADERS, make_id, roster_row, write_csv, write_xlsx
from xueji_check import engine
from xueji_check.cli import app
from xueji_check.policy import load_policy
from xueji_check.report.excel import FIXED, SheetNamer, write_report

RED = "FFC7CE"
YELLOW = "FFEB9C"
SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"

# Original text the annotated copy must keep exactly: lower-case x, inner space, 15 digits.
LOWER_X = next(i for i in (make_id(seq=f"{s:03d}") for s in range(501, 999, 2)) if i.endswith("X")).lower()
ODD_IDS = [LOWER_X, "4101 0520 0801 0113 1X", "410105080101131"]


def _roster_rows() -> list[list]:
    rows = [ROSTER_HEADERS]
    rows.append(roster_row("S1", "", make_id(seq="111")))  # S002 name empty (error)
    rows.append(roster_row("S2", "张三", "410105200801011234"))  # S003 bad check digit (error)
    rows.append(roster_row("S3", "李四", make_id(seq="113"), gender="女"))  # S005 gender (warning)
    rows.append(roster_row("S4", "王五", make_id(seq="115"), mode="半日制"))  # S007 (error)
    rows.append(roster_row("S5", "赵六", make_id(seq="117"), school="西城技工学校", enroll="2024-13-01"))  # S006
    for i, idn in enumerate(ODD_IDS):
        rows.append(roster_row(f"S{6 + i}", f"学生{i}", idn, school="西城技工学校"))
    for i in range(10):
        rows.append(roster_row(f"T{i}", f"同学{i}", make_id(seq=f"{201 + 2 * i:03d}"),
                               school="南山技工学校" if i % 2 else "东方技工学校"))
    return rows


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("excel")
    roster = write_xlsx(base / "in" / "学籍名册[东方]:2024.xlsx", _roster_rows(), title="2024年秋季学期学生名册")
    out = base / "out"
    res = CliRunner().invoke(app, ["check", str(roster.parent), "--as-of", "2025-01-01", "--out", str(out),
                                   "--format", "xlsx,json"], catch_exceptions=False)
    assert res.exit_code == 1, res.stdout + res.stderr
    wb = openpyxl.load_workbook(out / "report.xlsx")
    return {"wb": wb, "out": out, "roster": roster, "stdout": res.stdout}


def _annotated(wb) -> openpyxl.worksheet.worksheet.Worksheet:
    return wb[wb.sheetnames[3]]


def test_sheets_in_order_and_names_valid(report):
    names = report["wb"].sheetnames
    assert names[:3] == list(FIXED)
    assert len(names) == 4
    ann = names[3]
    assert len(ann) <= 31 and not set(ann) & set("[]:*?/\\")


def test_overview_has_facts_inputs_skipped_and_chart(report):
    ws = report["wb"]["总览"]
    texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert "检查基准日" in texts and "2025-01-01" in texts
    assert "输入文件" in texts and "未执行的规则" in texts and "按规则和级别统计" in texts
    assert "策略文件中与默认值不同的设置" in texts and "（全部为默认值）" in texts
    # the input with its row count, and a link to its annotated copy
    row = next(r for r in ws.iter_rows() if r[1].value == "Sheet1")
    assert row[4].value == len(_roster_rows()) - 1
    assert row[6].hyperlink is not None and row[6].hyperlink.location.endswith("!A1")
    # counts per rule: S002 present with its count
    s002 = next(r for r in ws.iter_rows() if r[0].value == "S002")
    assert s002[3].value == 1
    assert len(ws._charts) == 1
    chart = ws._charts[0]
    assert chart.type == "bar" and len(chart.series) == 3


def test_findings_sheet_frozen_filtered_and_linked(report):
    wb = report["wb"]
    ws = wb["问题清单"]
    assert ws.freeze_panes == "B2"
    assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:")
    header = [c.value for c in ws[1]]
    assert header[:3] == ["定位", "规则", "级别"]
    n = ws.max_row - 1
    assert n == len(report_json(report)["findings"])
    ann = _annotated(wb)
    for row in ws.iter_rows(min_row=2):
        link = row[0].hyperlink
        assert link is not None and link.location, row[1].value
        sheet, cell = link.location.rsplit("!", 1)
        assert sheet.strip("'") == ann.title
        target = ann[cell]
        rule, col = row[1].value, row[7].value
        # the link lands on the offending cell: under the finding's column (the header is row 2,
        # under the title line), in its source row, which the link's text names too
        assert ann.cell(row=2, column=target.column).value == col
        assert ann.cell(row=target.row, column=2).value == row[6].value
        assert row[0].value == f"第 {row[6].value} 行" and target.row == row[6].value
        assert rule in target.comment.text


def report_json(report) -> dict:
    import json

    return json.loads((report["out"] / "findings.json").read_text(encoding="utf-8"))


def test_annotated_copy_fills_comments_and_problem_column(report):
    ws = _annotated(report["wb"])
    assert ws["C1"].value == "2024年秋季学期学生名册" and ws["B1"].value is None  # the title line, in its place
    header = [c.value for c in ws[2]]
    assert header[:2] == ["问题", "行号"]
    assert header[2:] == ROSTER_HEADERS
    assert ws.freeze_panes == "C3"
    by_row = {r[1].value: r for r in ws.iter_rows(min_row=3)}
    col = {h: i for i, h in enumerate(header)}
    # title line is row 1, header row 2, so the first data row is Excel row 3
    empty_name = by_row[3][col["姓名"]]
    assert empty_name.fill.fgColor.rgb.endswith(RED)
    assert "S002" in empty_name.comment.text and "二（三）" in empty_name.comment.text
    bad_id = by_row[4][col["身份证号"]]
    assert bad_id.fill.fgColor.rgb.endswith(RED) and "S003" in bad_id.comment.text
    gender = by_row[5][col["性别"]]
    assert gender.fill.fgColor.rgb.endswith(YELLOW) and "S005" in gender.comment.text
    assert "S002" in by_row[3][0].value and by_row[3][0].fill.fgColor.rgb.endswith(RED)
    assert by_row[5][0].fill.fgColor.rgb.endswith(YELLOW)
    # a clean row: no fill, no comment, empty 问题
    clean = next(r for r in ws.iter_rows(min_row=3) if r[col["学籍号"]].value == "T0")
    assert clean[0].value is None and all(c.comment is None for c in clean)


def test_annotated_ids_equal_original_text_with_show_pii(report, tmp_path):
    """With --show-pii the copy holds the IDs exactly as the user typed them."""
    out = tmp_path / "pii"
    res = CliRunner().invoke(app, ["check", str(report["roster"].parent), "--as-of", "2025-01-01", "--out", str(out),
                                   "--format", "xlsx", "--show-pii"], catch_exceptions=False)
    assert res.exit_code == 1
    src = openpyxl.load_workbook(report["roster"])
    original = {r[0]: r[2] for r in src.active.iter_rows(min_row=3, values_only=True)}
    ws = _annotated(openpyxl.load_workbook(out / "report.xlsx"))
    copied = {r[2]: r[4] for r in ws.iter_rows(min_row=3, values_only=True)}
    assert copied == original
    for idn in ODD_IDS:
        assert idn in copied.values()


def test_annotated_ids_masked_by_default(report):
    """Without --show-pii the copy masks every ID (first 6 and last 4 kept), other columns as written."""
    src = openpyxl.load_workbook(report["roster"])
    original = {r[0]: r for r in src.active.iter_rows(min_row=3, values_only=True)}
    ws = _annotated(report["wb"])
    for r in ws.iter_rows(min_row=3, values_only=True):
        orig = original[r[2]]
        assert r[3] == orig[1]  # name as written
        raw = "".join(str(orig[2]).split()) if orig[2] is not None else None
        if raw and len(raw) > 10:
            assert r[4] == raw[:6] + "*" * (len(raw) - 10) + raw[-4:]


def test_school_summary_ranked_with_focus_on_top(report):
    ws = report["wb"]["学校汇总"]
    header = [c.value for c in ws[1]]
    assert header[:6] == ["排名", "学校", "重点监管", "学生数", "问题数", "每百名学生问题数"]
    assert "S 数据质量" in header
    rows = [r for r in ws.iter_rows(min_row=2, values_only=True) if r[0] is not None]
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
    assert header[6] == "每百名学生错误数"
    ranked = [(r[6], r[5]) for r in rows]  # errors per 100 students, then findings per 100
    assert ranked == sorted(ranked, reverse=True)
    # three schools: too few for a top 10% (report.terminal.FOCUS_MIN_SCHOOLS); none labelled, and why
    assert not any(r[2] for r in rows)
    assert any("只有 3 所（少于 10 所），不标重点监管学校" in str(c) for r in ws.iter_rows(values_only=True) for c in r)
    assert {r[1] for r in rows} == {"东方技工学校", "西城技工学校", "南山技工学校"}


def test_formula_injection_neutralised_everywhere(tmp_path, cli):
    rows = [ROSTER_HEADERS, roster_row("=1+2", "@SUM(A1)", make_id(seq="311"), school="+东方技工学校"),
            roster_row("X2", "", make_id(seq="313"), school="-西城技工学校")]
    f = write_csv(tmp_path / "in" / "名册.csv", rows, encoding="gbk")
    r = cli("check", f, "--as-of", "2025-01-01", "--format", "xlsx")
    assert r.code == 1, r.stdout + r.stderr
    wb = openpyxl.load_workbook(r.out / "report.xlsx")
    for ws in wb:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
                if isinstance(c.value, str):
                    assert c.value[:1] not in "=+-@", (ws.title, c.coordinate, c.value)
    ann = wb[wb.sheetnames[3]]
    assert ann["C2"].value == "'=1+2" and ann["D2"].value == "'@SUM(A1)"


def test_sheet_namer_limits_and_uniqueness():
    namer = SheetNamer()
    long = "学籍名册_" + "很长的名字" * 10
    a, b = namer(long), namer(long)
    assert len(a) <= 31 and len(b) <= 31 and a != b
    assert namer("a[b]:c*d?e/f\\g") == "a_b__c_d_e_f_g"
    assert namer("总览") != "总览"
    assert namer("Sheet") == "Sheet" and namer("SHEET").casefold() != "sheet"
    assert namer("'quoted'") == "quoted"
    assert namer("History") != "History"


def _run_engine(paths: list[Path]):
    return engine.run(paths, {}, load_policy(None), dt.date(2025, 1, 1))


def _doc(result) -> dict:
    return {"run": {"started": "2025-01-01T00:00:00", "ended": "2025-01-01T00:00:01", "as_of": "2025-01-01",
                    "version": "test", "skipped_rules": result.skipped}, "summary": {}}


def test_large_input_copies_only_flagged_rows_unless_annotate_all(tmp_path):
    rows = [ROSTER_HEADERS] + [roster_row(f"L{i}", f"学生{i}", make_id(seq=f"{(2 * i + 1) % 1000:03d}",
                                                                         birth=f"2008{1 + i % 12:02d}01"))
                               for i in range(40)]
    rows[10][1] = ""  # Excel row 11: S002
    rows[30][6] = "半日制"  # Excel row 31: S007
    f = write_xlsx(tmp_path / "名册.xlsx", rows)
    result = _run_engine([f])
    findings = result.findings
    flagged = sorted(set(findings["row"].to_list()))
    out = write_report(findings, result, _doc(result), tmp_path / "r.xlsx", row_limit=20)
    ws = openpyxl.load_workbook(out)[openpyxl.load_workbook(out).sheetnames[3]]
    assert ws["B1"].value == "原行号"
    assert [r[1] for r in ws.iter_rows(min_row=2, values_only=True)] == flagged
    assert 11 in flagged and 31 in flagged
    overview = openpyxl.load_workbook(out)["总览"]
    assert any("--annotate-all" in str(c.value) for r in overview.iter_rows() for c in r if c.value)
    full = write_report(findings, result, _doc(result), tmp_path / "full.xlsx", row_limit=20, annotate_all=True)
    ws = openpyxl.load_workbook(full)[openpyxl.load_workbook(full).sheetnames[3]]
    assert ws.max_row == 41 and ws["B1"].value == "行号"


def _school_files(tmp_path: Path, n: int, bad: set[int]) -> list[Path]:
    """n small school rosters (10 rows each); the schools in `bad` have one empty name (S002)."""
    out = []
    for k in range(n):
        rows = [ROSTER_HEADERS] + [roster_row(f"S{k}-{i}", f"学生{k}号{i}", make_id(seq=f"{(2 * (k * 10 + i) + 1) % 1000:03d}"),
                                              school=f"第{k}技工学校") for i in range(10)]
        if k in bad:
            rows[3][1] = ""  # Excel row 4
        out.append(write_xlsx(tmp_path / f"名册_{k:02d}.xlsx", rows))
    return out


def test_row_limit_counts_the_whole_run_and_skips_clean_sheets(tmp_path):
    files = _school_files(tmp_path, 6, bad={1, 4})
    result = _run_engine(files)
    out = write_report(result.findings, result, _doc(result), tmp_path / "r.xlsx", row_limit=50)  # 60 rows in all
    wb = openpyxl.load_workbook(out)
    copies = wb.sheetnames[3:]
    assert copies == ["名册_01", "名册_04"]  # only the schools with findings, flagged rows only
    assert [r[1] for r in wb["名册_01"].iter_rows(min_row=2, values_only=True)] == [4]
    notes = [str(c.value) for r in wb["总览"].iter_rows() for c in r if c.value]
    assert any("输入共 60 行" in n for n in notes)
    # under the limit every sheet is copied in full
    full = openpyxl.load_workbook(write_report(result.findings, result, _doc(result), tmp_path / "f.xlsx",
                                               row_limit=100))
    assert len(full.sheetnames[3:]) == 6 and full["名册_00"].max_row == 11


def test_annotated_copies_are_capped_with_the_worst_sheets_kept(tmp_path, monkeypatch):
    from xueji_check.report import excel

    monkeypatch.setattr(excel, "MAX_ANNOTATED_SHEETS", 2)
    files = _school_files(tmp_path, 5, bad={0, 2, 3})
    result = _run_engine(files)
    extra = result.findings.filter(pl.col("file") == str(files[3])).with_columns(fingerprint=pl.lit("x"))
    findings = pl.concat([result.findings, extra])  # school 3 has two findings: kept first
    out = write_report(findings, result, _doc(result), tmp_path / "r.xlsx", row_limit=1000)
    wb = openpyxl.load_workbook(out)
    assert len(wb.sheetnames[3:]) == 2 and "名册_03" in wb.sheetnames
    notes = [str(c.value) for r in wb["总览"].iter_rows() for c in r if c.value]
    assert any("另有 3 个工作表" in n and "最多 2 个" in n for n in notes)
    # findings of sheets without a copy have no link into the workbook
    rows = list(wb["问题清单"].iter_rows(min_row=2))
    assert rows and all(not any(c.hyperlink for c in r) for r in rows if str(files[1]) in str(r[3].value or ""))


def test_row_level_finding_fills_problem_cell_and_school_level_links_to_sheet(tmp_path):
    f = write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS, roster_row("A1", "甲", make_id(seq="411")),
                                              roster_row("A2", "乙", make_id(seq="413"))])
    result = _run_engine([f])
    extra = pl.DataFrame({
        "rule_id": ["R101", "C202"], "severity": ["error", "warning"], "dataset": ["roster", "changes"],
        "file": [str(f), str(f)], "sheet": ["Sheet1", "Sheet1"], "row": [3, None], "column": [None, None],
        "student_id": ["A2", None], "id_masked": [None, None], "name": ["乙", None],
        "school": ["东方技工学校", "东方技工学校"], "message": ["与第 2 行重复注册", "批量异动"],
        "clause": ["人社厅发〔2018〕28号 二（二）", "人社厅发〔2018〕28号 四（一）"],
        "fingerprint": ["f1", "f2"], "status": [None, None],
    }, schema=result.findings.schema)
    findings = pl.concat([result.findings, extra])
    out = write_report(findings, result, _doc(result), tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(out)
    ws = wb[wb.sheetnames[3]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[1].value == 3)
    assert "R101" in row[0].value and "与第 2 行重复注册" in row[0].value
    assert row[0].fill.fgColor.rgb.endswith(RED)
    assert "R101" in row[0].comment.text and "二（二）" in row[0].comment.text
    assert all(c.fill.fill_type is None for c in row[2:])
    links = {r[1].value: (r[0].value, r[0].hyperlink.location) for r in wb["问题清单"].iter_rows(min_row=2)}
    assert links["R101"] == ("第 3 行", f"{links['R101'][1].split('!')[0]}!A3")
    # a finding without a row marks the header row's first cell, with its comment
    assert links["C202"][0] == "第 1 行（表头）" and links["C202"][1].endswith("!C1")
    assert ws["C1"].fill.fgColor.rgb.endswith(YELLOW) and "C202" in ws["C1"].comment.text
    assert ws["A1"].value == "问题"


def test_report_without_findings(tmp_path):
    f = write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS, roster_row("A1", "甲", make_id(seq="411"))])
    result = _run_engine([f])
    empty = result.findings.clear()
    wb = openpyxl.load_workbook(write_report(empty, result, _doc(result), tmp_path / "r.xlsx"))
    assert wb.sheetnames[:3] == list(FIXED) and wb["问题清单"].max_row == 1
    assert len(wb["总览"]._charts) == 0


@pytest.mark.skipif(not any(SAMPLE.glob("*.xls*")), reason="sample_data not built")
def test_sample_data_report(tmp_path, cli):
    r = cli("check", SAMPLE, "--as-of", "2025-06-30", "--format", "xlsx,json", "--fail-on", "never")
    assert r.code == 0, r.stdout + r.stderr
    wb = openpyxl.load_workbook(r.out / "report.xlsx")
    doc = r.json
    sheets = [s for i in doc["run"]["inputs"] for s in i["sheets"]]
    # every input sheet has its copy, but the 在职参保 list (no finding on it: not copied)
    employed = [i for i in doc["run"]["inputs"] if "参保" in i["path"]]
    assert len(employed) == 1 and not any(i["file"] == employed[0]["path"] for i in doc["findings"] if "file" in i)
    assert wb.sheetnames[:3] == list(FIXED) and len(wb.sheetnames) == 3 + len(sheets) - 1
    assert not any("参保" in n for n in wb.sheetnames)
    assert len(wb["总览"]._charts) == 1
    ws = wb["问题清单"]
    assert ws.max_row - 1 == len(doc["findings"])
    assert any(r[0].hyperlink for r in ws.iter_rows(min_row=2))
    fills = comments = 0
    for name in wb.sheetnames[3:]:
        for row in wb[name].iter_rows(min_row=2):
            for c in row[2:]:
                fills += c.fill.fill_type == "solid"
                comments += c.comment is not None
    assert fills and comments


@pytest.mark.skipif(shutil.which("libreoffice") is None and shutil.which("soffice") is None,
                    reason="LibreOffice not installed")
def test_libreoffice_opens_report(report, tmp_path):
    exe = shutil.which("libreoffice") or shutil.which("soffice")
    src = tmp_path / "report.xlsx"
    shutil.copy(report["out"] / "report.xlsx", src)
    proc = subprocess.run([exe, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
                           "--outdir", str(tmp_path), str(src)], capture_output=True, text=True, timeout=300)
    pdf = tmp_path / "report.pdf"
    assert proc.returncode == 0 and pdf.exists() and pdf.stat().st_size > 1000, proc.stdout + proc.stderr
    assert pdf.read_bytes()[:5] == b"%PDF-"


def _parts(path: Path) -> dict[str, bytes]:
    import zipfile

    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if not n.startswith("docProps/")}


def test_fast_links_and_comments_equal_public_api(tmp_path, monkeypatch):
    """Rows, hyperlinks, comments and VML drawings rendered by Polars are byte for byte what
    xlsxwriter's public API writes, and read back as the right text, targets and fills."""
    from xueji_check.report import excel

    f = write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS, roster_row("A1", "甲", make_id(seq="411")),
                                              roster_row("A2", "乙", make_id(seq="413")),
                                              roster_row("A3", "丙", make_id(seq="415"))])
    g = write_xlsx(tmp_path / "名册2.xlsx", [ROSTER_HEADERS, roster_row("B1", "丁", make_id(seq="417"))])
    result = _run_engine([f, g])
    shown = {Path(t.file).name: t.file for i in result.inputs for t in i.tables}
    awkward = [" lead & <tag>", "trail\r\n_x0041_ ", "\uffff\t\"q\"", "普通说明"]
    extra = pl.DataFrame({
        "rule_id": ["S002", "R101", "S005", "R107", "S002"], "severity": ["error", "error", "warning", "warning", "error"],
        "dataset": ["roster"] * 5, "file": [shown[f.name]] * 4 + [shown[g.name]], "sheet": ["Sheet1"] * 5,
        "row": [2, 2, 3, 4, 2], "column": ["姓名", None, "性别", "姓名", "姓名"],
        "student_id": ["A1", "A1", "A2", "A3", "B1"], "id_masked": [None] * 5, "name": ["甲", "甲", "乙", "丙", "丁"],
        "school": ["东方技工学校"] * 5, "message": [*awkward, "空"], "clause": ["二（三）"] * 5,
        "fingerprint": [f"f{i}" for i in range(5)], "status": [None] * 5,
    }, schema=result.findings.schema)
    findings = pl.concat([result.findings, extra])
    used = []
    real = excel._comment_parts
    monkeypatch.setattr(excel, "_comment_parts", lambda *a: used.append(1) or real(*a))
    fast = write_report(findings, result, _doc(result), tmp_path / "fast.xlsx")
    assert len(used) == 2  # both annotated copies had their comments pre-rendered
    monkeypatch.setattr(excel, "_raw_rows_supported", lambda ws: False)
    slow = write_report(findings, result, _doc(result), tmp_path / "slow.xlsx")
    a, b = _parts(fast), _parts(slow)
    assert sorted(a) == sorted(b)
    assert [n for n in a if a[n] != b[n]] == []

    wb = openpyxl.load_workbook(fast)
    ws = wb[wb.sheetnames[3]]
    header = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[1].value == 2)
    name = row[header.index("姓名")]
    assert name.fill.fgColor.rgb.endswith(RED)
    assert "S002" in name.comment.text and " lead & <tag>" in name.comment.text
    # openpyxl does not undo xlsxwriter's _xHHHH_ escapes (Excel does): CR, and _x0041_ kept as text
    assert "R101" in row[0].comment.text and "trail_x000D_\n_x005F_x0041_ " in row[0].comment.text
    gender = next(r for r in ws.iter_rows(min_row=2) if r[1].value == 3)[header.index("性别")]
    assert gender.fill.fgColor.rgb.endswith(YELLOW) and "_xFFFF_\t\"q\"" in gender.comment.text
    links = [(r[0].value, r[0].hyperlink.location, r[1].value, r[6].value, r[7].value)
             for r in wb["问题清单"].iter_rows(min_row=2) if r[0].hyperlink is not None]
    assert len(links) == wb["问题清单"].max_row - 1
    for show, location, rule, src_row, col in links:
        sheet, cell = location.rsplit("!", 1)
        target = wb[sheet.strip("'").replace("''", "'")][cell]
        assert show == f"第 {src_row} 行"
        assert rule in target.comment.text
        assert wb[sheet.strip("'")].cell(row=target.row, column=2).value == src_row
        if col:
            assert wb[sheet.strip("'")].cell(row=1, column=target.column).value == col


def test_comment_boxes_placed_as_xlsxwriter_places_them(tmp_path):
    """Pre-rendered comments (_register_comments + _Packager) against write_comment, on two sheets,
    with more than 1024 comments (a VML idmap of two blocks) and rows at Excel's bottom edge."""
    import xlsxwriter

    from xueji_check.report import excel

    spots = [(r, c, f"说明 {r}/{c} <&>", 20 + 16 * (r % 7)) for r in range(1, 600) for c in (0, 3)]
    spots += [(r, 2, "edge", 36) for r in range(excel.EXCEL_MAX_ROWS - 4, excel.EXCEL_MAX_ROWS)]
    out = []
    for fast in (True, False):
        path = tmp_path / f"c{fast}.xlsx"
        wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        if fast:
            wb._get_packager = excel._Packager
        for n, share in enumerate((spots, spots[:50])):
            ws = wb.add_worksheet(f"s{n}")
            ws.set_column(0, 0, 40)
            ws.set_column(1, 1, 7)
            ws.set_column(2, 9, 14)
            frame = pl.DataFrame(share, schema={"_r": pl.Int64, "_c": pl.Int64, "_comment": pl.String,
                                                "_comment_h": pl.Int64}, orient="row")
            if fast:
                assert excel._comments_supported(ws)
                excel._register_comments(ws, frame, True)
            else:
                for r, c, text, h in share:
                    ws.write_comment(r, c, text, {**excel.COMMENT_OPTIONS, "height": h})
        wb.close()
        out.append(_parts(path))
    fast_parts, api = out
    names = [n for n in api if "comments" in n or "vml" in n or "_rels" in n or n == "[Content_Types].xml"]
    assert len([n for n in names if n.endswith(".vml")]) == 2
    assert b'data="1,2"' in api["xl/drawings/vmlDrawing1.vml"]
    for n in names:
        assert fast_parts.get(n) == api[n], n


def test_school_ranking_puts_errors_before_warnings():
    """A school with more errors per 100 students ranks above one whose warnings (which only ask
    to verify) make its total higher; at equal error rates the total decides."""
    from types import SimpleNamespace

    from xueji_check.report.excel import school_table

    roster = pl.DataFrame({"school_name": ["甲校"] * 100 + ["乙校"] * 100 + ["丙校"] * 100,
                           "_key": [f"k{i}" for i in range(300)]})
    def f(school, severity, n):
        return [{"school": school, "severity": severity, "rule_id": "R101" if severity == "error" else "R110",
                 "status": None}] * n
    rows = f("甲校", "error", 12) + f("甲校", "warning", 76) + f("乙校", "error", 21) + f("乙校", "warning", 65) \
        + f("丙校", "error", 12) + f("丙校", "warning", 10)
    findings = pl.DataFrame(rows, schema={"school": pl.String, "severity": pl.String, "rule_id": pl.String,
                                          "status": pl.String})
    t = school_table(findings, SimpleNamespace(frames={"roster": roster}))
    assert t["school"].to_list() == ["乙校", "甲校", "丙校"]
    assert t["per100"].to_list() == [86.0, 88.0, 22.0] and t["err100"].to_list() == [21.0, 12.0, 12.0]
    assert t["focus"].to_list() == [False, False, False]  # three schools: too few to label one
