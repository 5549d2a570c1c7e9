"""Templates schools can fill (issue 13 point 9): `schema KIND --template F` writes text columns
for IDs and 学籍号, drop-down lists for every enumeration, date columns as dates, fitting widths, a
frozen header, a marked example row and a 填表说明 sheet from schemas/*.toml; a filled template
checks cleanly."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from rich.cells import cell_len

from conftest import make_id
from xueji_check.report.template import EXAMPLE_MARK, GUIDE_SHEET, column_letter
from xueji_check.spec import KINDS, all_kinds, normalise_header

SPECS = all_kinds()


def _template(cli, tmp_path, kind: str, name: str | None = None):
    path = tmp_path / (name or f"{SPECS[kind].title}模板.xlsx")
    r = cli("schema", kind, "--template", path)
    assert r.code == 0, r.stderr
    assert "示例行" in r.stdout and GUIDE_SHEET in r.stdout
    return path, openpyxl.load_workbook(path)


def _dimension(ws, col: int):
    """The column dimension covering column `col` (1-based); Excel stores runs of alike columns once."""
    for d in ws.column_dimensions.values():
        if d.min is not None and d.min <= col <= d.max:
            return d
    raise AssertionError(f"no width or format for column {col}")


@pytest.mark.parametrize("kind", KINDS)
def test_template_sheet_is_ready_to_fill(tmp_path, cli, kind):
    spec = SPECS[kind]
    _, wb = _template(cli, tmp_path, kind)
    assert wb.sheetnames == [spec.title, GUIDE_SHEET]
    ws = wb[spec.title]
    assert ws.freeze_panes == "A2"
    header = [c.value for c in ws[1]]
    assert header == [("*" if f.required else "") + f.title for f in spec.fields]
    example = [c.value for c in ws[2]]
    assert example[0] == EXAMPLE_MARK
    assert ws.max_row == 2
    lists = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            assert rng.min_row == 2 and rng.max_row == 1_048_576 and rng.min_col == rng.max_col
            lists[rng.min_col] = dv
    for i, f in enumerate(spec.fields):
        dim = _dimension(ws, i + 1)
        assert dim.width >= cell_len(header[i]) + 1, (f.name, dim.width)
        if i == 0:
            assert dim.width >= cell_len(EXAMPLE_MARK) / 2  # the mark fits on two lines
        if f.type in ("id_number",) or f.name == "student_id":
            assert dim.number_format == "@", f.name
            assert dim.width >= 20 or f.name == "student_id"
        if f.type == "date":
            assert "yyyy" in dim.number_format and "mm" in dim.number_format, f.name
            if i:
                assert isinstance(example[i], dt.datetime | type(None)), (f.name, example[i])
        if f.type in ("enum", "bool"):
            dv = lists[i + 1]
            assert dv.type == "list", f.name
            offered = dv.formula1.strip('"').split(",")
            assert offered == (list(f.values) if f.type == "enum" else ["是", "否"]), f.name
            if i and example[i]:
                assert example[i] in offered
        if f.type == "id_number" and i:
            assert isinstance(example[i], str) and len(example[i]) == 18


@pytest.mark.parametrize("kind", KINDS)
def test_guide_lists_every_field_and_is_never_a_table(tmp_path, cli, kind):
    spec = SPECS[kind]
    _, wb = _template(cli, tmp_path, kind)
    rows = [[c for c in r if c is not None] for r in wb[GUIDE_SHEET].iter_rows(values_only=True)]
    text = "\n".join("\t".join(map(str, r)) for r in rows)
    for i, f in enumerate(spec.fields):
        row = next(r for r in rows if r and r[0] == f"{column_letter(i)} 列：{f.title}")
        assert row[1] == ("必填" if f.required else ("必须有此列，值可以空" if f.required_column else "选填"))
        for v in f.values:
            assert v in row[3], (f.name, v)
        for a in f.aliases:
            assert a in text
    aliases = {normalise_header(a) for s in SPECS.values() for f in s.fields for a in (f.name, f.title, *f.aliases)}
    cells = [c for r in rows for c in r]
    assert not [c for c in cells if normalise_header(c) in aliases]


def _fill(path, rows_by_header: list[dict], keep_example: bool):
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    if not keep_example:
        ws.delete_rows(2)
    heads = [c.value.lstrip("*") for c in ws[1]]
    for rec in rows_by_header:
        ws.append([rec.get(h) for h in heads])
    wb.save(path)
    return path


STUDENTS = [{"学籍号": "S0001", "姓名": "李四", "身份证号": make_id("20080305", seq="113"), "性别": "男",
             "学校名称": "东方技工学校", "学制": 3, "学习形式": "全日制", "入学日期": dt.datetime(2024, 9, 1),
             "注册日期": dt.datetime(2024, 9, 20), "学籍状态": "在校", "是否在职": "否", "学籍照片": "已采集"},
            {"学籍号": "S0002", "姓名": "王芳", "身份证号": make_id("20080606", seq="124"), "性别": "女",
             "学校名称": "东方技工学校", "学制": "3", "学习形式": "全日制", "入学日期": "2024-09-01",
             "注册日期": "2024/9/20", "学籍状态": "在校", "学籍照片": "S0002.jpg"}]


def test_filled_template_checks_cleanly(tmp_path, cli):
    path, _ = _template(cli, tmp_path, "名册", "学籍名册模板.xlsx")
    _fill(path, STUDENTS, keep_example=False)
    r = cli("check", path, "--as-of", "2025-01-01", "--format", "csv,json")
    assert r.code == 0, r.stdout + r.stderr
    assert r.findings.height == 0
    sheets = r.json["run"]["inputs"][0]["sheets"]
    assert [(s["sheet"], s["kind"], s["rows"]) for s in sheets] == [("学籍名册", "roster", 2)]
    assert not r.json["run"]["problems"]


def test_example_row_is_never_read_as_data(tmp_path, cli):
    path, _ = _template(cli, tmp_path, "roster", "学籍名册模板.xlsx")
    _fill(path, STUDENTS, keep_example=True)
    r = cli("check", path, "--as-of", "2025-01-01", "--format", "csv,json")
    assert r.findings.height == 0, r.findings.select("rule_id", "row", "message").rows()
    assert r.json["run"]["inputs"][0]["sheets"][0]["rows"] == 2


def test_guide_sheet_is_skipped_with_a_kind_option(tmp_path, cli):
    path, _ = _template(cli, tmp_path, "roster", "学籍名册模板.xlsx")
    _fill(path, STUDENTS, keep_example=False)
    r = cli("check", "--roster", path, "--as-of", "2025-01-01", "--format", "csv,json")
    assert r.code == 0 and not r.json["run"]["problems"], r.stderr


def test_template_still_refuses_an_existing_file_and_non_xlsx(tmp_path, cli):
    path, _ = _template(cli, tmp_path, "aid")
    before = path.read_bytes()
    r = cli("schema", "aid", "--template", path)
    assert r.code == 2 and "已存在" in r.stderr and path.read_bytes() == before
    assert cli("schema", "aid", "--template", path, "--force").code == 0
    bad = cli("schema", "aid", "--template", tmp_path / "模板.xls")
    assert bad.code == 2 and ".xlsx" in bad.stderr


def test_an_unfilled_template_says_the_roster_has_no_rows_not_that_none_was_given(tmp_path, cli):
    """New user: checking the template itself listed every R rule as 未提供学籍名册. Near miss: the
    kinds not given at all still say 未提供."""
    tpl = tmp_path / "学籍名册模板.xlsx"
    assert cli("schema", "名册", "--template", tpl).code == 0
    r = cli("check", tpl, "--as-of", "2025-06-30")
    skipped = r.json["run"]["skipped_rules"]
    assert skipped["R101"] == "学籍名册没有数据行", skipped
    assert skipped["A302"] == "未提供资助申报与发放"
