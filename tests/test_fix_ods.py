""".ods workbooks that would make calamine exhaust memory or loop forever are refused before
calamine reads them (load/ods.py), the run goes on with the other files; what calamine says
when it cannot open a workbook reaches the user. Hostile files run in a subprocess: without the
guard the interpreter aborts (signal 6) or hangs."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bad_inputs.cases_fix import ods_cell, ods_file, ods_row, ods_rows, ods_table, roster_ods
from conftest import ROSTER_HEADERS, make_id, roster_row, write_xlsx
from xueji_check.load.model import LoadError
from xueji_check.load.ods import OdsScan, OdsScanner, measure
from xueji_check.load.xlsx import _excel_error, read_excel_bytes

AS_OF = "2025-01-01"


def _run(*args: str | Path, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    # a separate process: without the guard calamine aborts the interpreter (exit 134) or loops
    return subprocess.run([sys.executable, "-m", "xueji_check", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def _hostile_grid(path: Path) -> Path:
    """The reviewer's file: one row repeated 9,000 times whose one non-empty cell is repeated
    10,000 times (90 million cells, under calamine's own limit of 100 million)."""
    return ods_file(path, ods_table("Sheet1", ods_row(
        '<table:table-cell table:number-columns-repeated="10000" office:value-type="float" office:value="1"/>',
        rows=9000)))


def _feed(content: str, step: int = 7):
    data = content.encode()

    def stream(sink) -> None:
        for i in range(0, len(data), step):  # tiny chunks: every token straddles a chunk boundary somewhere
            sink(data[i:i + step])

    return stream


def _scan(content: str, step: int = 7) -> OdsScan:
    """What the loader decides (load/ods.measure: a fast bound, then every cell when needed)."""
    return measure(_feed(content, step))


def _exact(content: str, step: int = 7) -> OdsScan:
    sc = OdsScanner(precise=True)
    _feed(content, step)(sc)
    return sc.close()


def _content(*tables: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?><office:document-content><office:body><office:spreadsheet>'
            + "".join(tables) + "</office:spreadsheet></office:body></office:document-content>")


# ---------------------------------------------------------------- the reviewer's case, end to end
def test_hostile_ods_is_refused_and_the_good_file_is_checked(tmp_path):
    d = tmp_path / "in"
    hostile = _hostile_grid(d / "重复单元格.ods")
    assert hostile.stat().st_size < 1500
    write_xlsx(d / "名册.xlsx", [ROSTER_HEADERS, roster_row("S1", "", make_id())])  # one planted S002
    r = _run("check", d, "--as-of", AS_OF, "--out", tmp_path / "out", "--format", "csv,json", cwd=tmp_path)
    assert r.returncode == 1, (r.returncode, r.stderr[-2000:])
    assert "重复单元格.ods" in r.stderr and "数据区域过大" in r.stderr and "Sheet1" in r.stderr
    assert "NTP9000" in r.stderr  # its farthest cell: column 10,000, row 9,000
    assert "S002" in (tmp_path / "out" / "findings.csv").read_text(encoding="utf-8-sig")


def test_spaces_written_out_are_refused(tmp_path):
    """<text:s text:c="N"/> is N spaces: a 1 KB file asks calamine for 2 GB per copy."""
    cell = ('<table:table-cell office:value-type="string"><text:p>x<text:s text:c="2000000000"/></text:p>'
            "</table:table-cell>")
    p = ods_file(tmp_path / "空格.ods", ods_table("名册", ods_row(cell)))
    r = _run("check", "--roster", p, "--as-of", AS_OF, "--out", tmp_path / "out", cwd=tmp_path)
    assert r.returncode == 2 and "空格.ods" in r.stderr and "文字读取时要展开到约" in r.stderr, r.stderr[-2000:]


def test_a_table_without_its_end_is_refused_not_looped_on(tmp_path):
    """calamine reads a table until </table:table>; at the end of the file it loops forever."""
    content = _content('<table:table table:name="名册">' + ods_row(ods_cell("姓名")))
    p = ods_file(tmp_path / "截断.ods", content=content)
    r = _run("check", "--roster", p, "--as-of", AS_OF, "--out", tmp_path / "out", cwd=tmp_path, timeout=120)
    assert r.returncode == 2 and "截断.ods" in r.stderr and "没有结束标记" in r.stderr, r.stderr[-2000:]


# ---------------------------------------------------------------- near misses: real files are read
def test_libreoffice_layout_is_read(tmp_path, cli):
    """Every row padded to column AMJ and the sheet to row 1,048,576 with empty repeats."""
    p = roster_ods(tmp_path / "名册.ods", 3, planted_empty_name=True)
    r = cli("check", "--roster", p, "--as-of", AS_OF)
    assert r.rule("S002")["row"].to_list() == ["2"], r.stderr
    # the fast first pass alone lets it through (no second, cell-by-cell pass for a plain file)
    with zipfile.ZipFile(p) as z:
        fast = OdsScanner()
        fast(z.read("content.xml"))
    scan = fast.close()
    assert scan.over() is None and scan.tables[0].grid_cells == 4 * len(ROSTER_HEADERS)


def test_a_real_grid_just_under_the_floor_is_read():
    """5,000 rows × 1,000 columns of one repeated value: 5 million cells, at the floor."""
    scan = _scan(_content(ods_table("t", ods_row(ods_cell(1, cols=1000), rows=5000))))
    assert scan.tables[0].grid_cells == 5_000_000
    assert scan.refusal() is None
    over = _scan(_content(ods_table("t", ods_row(ods_cell(1, cols=1000), rows=6000))))
    assert over.refusal() is not None and "数据区域过大" in over.refusal()


def test_a_far_cell_after_empty_repeats_counts():
    """Repeated empty rows and cells at the end are not laid out, but a value after them is."""
    tail = ods_row(ods_cell(None, cols=1024), rows=1048000)
    only_tail = _scan(_content(ods_table("t", ods_row(ods_cell("a")) + tail)))
    assert only_tail.tables[0].grid_cells == 1 and only_tail.refusal() is None
    far = _scan(_content(ods_table("t", ods_row(ods_cell("a")) + tail + ods_row(ods_cell(None, cols=5000), ods_cell("b")))))
    t = far.tables[0]
    assert t.grid_cells == 1048002 * 5001 and t.last_row == 1048002 and t.last_col == 5000
    assert "最远的单元格 GJI1048002" in far.refusal()


# ---------------------------------------------------------------- messy: what quick-xml hides, and what it does not
@pytest.mark.parametrize("hide", [
    "<!-- </table:table-row> -->", "<![CDATA[</table:table-row>]]>", "<?pi </table:table-row> ?>",
])
def test_markup_inside_comments_cdata_and_pi_does_not_hide_a_grid(hide):
    """A fake row end inside a string cell's comment, CDATA or processing instruction: calamine
    skips it and lays out the big cell after it; so does the count."""
    cell = f'<table:table-cell office:value-type="string"><text:p>a</text:p>{hide}</table:table-cell>'
    big = '<table:table-cell table:number-columns-repeated="10000" office:value="1" office:value-type="float"/>'
    scan = _scan(_content(ods_table("t", ods_row(cell, big, rows=9000))))
    assert scan.tables[0].grid_cells == 9000 * 10001 and scan.refusal() is not None


def test_quoted_attribute_values_do_not_hide_repeats():
    """`>` and a fake attribute inside another attribute's value are values, not markup."""
    cell = ('<table:table-cell table:style-name="a > b table:number-columns-repeated=\'1\'" '
            'table:number-columns-repeated="10000" office:value-type="float" office:value="1"/>')
    row = '<table:table-row table:style-name=\'x table:number-rows-repeated="1"\' table:number-rows-repeated="9000">'
    scan = _scan(_content(ods_table("t", row + cell + "</table:table-row>")))
    assert scan.tables[0].grid_cells == 90_000_000


def test_a_table_inside_a_cell_is_refused():
    inner = ods_table("x", ods_row(ods_cell("b")))
    cell = f'<table:table-cell office:value-type="string"><text:p>a</text:p>{inner}</table:table-cell>'
    scan = _scan(_content(ods_table("t", ods_row(cell))))
    assert scan.refusal() is not None and "嵌套" in scan.refusal()


def test_tables_add_up_and_the_biggest_is_named():
    """calamine keeps every table of an .ods: three grids of 2.5 million cells are refused
    together, naming the largest."""
    tables = [ods_table(n, ods_row(ods_cell(1, cols=500), rows=r)) for n, r in (("一", 5000), ("二", 5200), ("三", 5000))]
    scan = _scan(_content(*tables))
    assert [t.grid_cells for t in scan.tables] == [2_500_000, 2_600_000, 2_500_000]
    assert "工作表「二」" in scan.refusal()


def test_ods_xml_in_big_chunks_equals_small_chunks():
    body = ods_rows([ROSTER_HEADERS, *[roster_row(f"S{i}", f"学生{i}", make_id(seq=f"{i:03d}")) for i in range(50)]])
    content = _content(ods_table("a", body), ods_table("b", ods_row(ods_cell("x"), rows=3)))
    a, b = _exact(content, 1 << 30), _exact(content)
    assert a.tables == b.tables and [t.name for t in a.tables] == ["a", "b"]
    assert a.tables[0].grid_cells == 51 * len(ROSTER_HEADERS)


# ---------------------------------------------------------------- the count is calamine's own
_KINDS = st.sampled_from(["empty", "string", "float", "blank_string", "covered", "date"])


def _cell_xml(kind: str, cols: int) -> str:
    rep = f' table:number-columns-repeated="{cols}"' if cols > 1 else ""
    return {
        "empty": f"<table:table-cell{rep}/>",
        "string": f'<table:table-cell{rep} office:value-type="string"><text:p>v</text:p></table:table-cell>',
        "float": f'<table:table-cell{rep} office:value-type="float" office:value="3"/>',
        "blank_string": f'<table:table-cell{rep} office:value-type="string"/>',
        "covered": f"<table:covered-table-cell{rep}/>",
        "date": f'<table:table-cell{rep} office:value-type="date" office:date-value="2024-09-01"/>',
    }[kind]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.integers(1, 3), st.lists(st.tuples(_KINDS, st.integers(1, 3)), max_size=5)),
                     min_size=1, max_size=6), step=st.sampled_from([5, 64, 1 << 20]))
def test_extent_matches_what_calamine_lays_out(rows, step, tmp_path_factory):
    """Measured cell by cell, the grid is calamine's own (read back through calamine); the fast
    first pass is never below it."""
    body = "".join(f'<table:table-row{f" table:number-rows-repeated={chr(34)}{r}{chr(34)}" if r > 1 else ""}>'
                   + "".join(_cell_xml(k, c) for k, c in cells) + "</table:table-row>" for r, cells in rows)
    content = _content(ods_table("t", body))
    t = _exact(content, step).tables[0]
    fast = OdsScanner()
    _feed(content, step)(fast)
    f = fast.close().tables[0]
    assert f.grid_cells >= t.grid_cells and f.raw_cells >= t.raw_cells and f.last_row >= t.last_row
    assert f.last_col >= t.last_col and f.grid_bytes >= t.grid_bytes and f.raw_bytes >= t.raw_bytes
    path = ods_file(tmp_path_factory.mktemp("ods") / "t.ods", content=content)
    with path.open("rb") as fh:
        frame = read_excel_bytes(fh, "t.ods", [])[0].frame
    cells = [(i, j) for i, row in enumerate(frame.rows()) for j, v in enumerate(row) if v is not None]
    if not cells:
        assert t.grid_cells == 0
        return
    used_rows = sorted({i for i, _ in cells})
    used_cols = sorted({j for _, j in cells})
    assert (t.last_row, t.last_col) == (used_rows[-1] + 1, used_cols[-1])
    assert t.grid_cells == (used_rows[-1] - used_rows[0] + 1) * (used_cols[-1] - used_cols[0] + 1)


# ---------------------------------------------------------------- calamine's own reason reaches the user
def test_calamine_reason_is_reported(tmp_path):
    p = ods_file(tmp_path / "坏.ods", ods_table("a", "<table:table-row><!-- x -->" + ods_cell("a") + "</table:table-row>"))
    with p.open("rb") as fh, pytest.raises(LoadError) as err:
        read_excel_bytes(fh, "坏.ods", [])
    assert "Expecting 'table-cell'" in str(err.value) and "Cannot detect" not in str(err.value)


def test_cell_limit_reason_is_framed():
    msg = str(_excel_error(RuntimeError("calamine error: Ods error: Cell limit exceeded (120000000 cells requested, "
                                        "max 100000000)\nContext: ...")))
    assert msg.startswith("读取库拒绝读取该文件：单元格数超过它的上限（Ods error: Cell limit exceeded")
    assert "删除表格右侧和下方多余的行和列" in msg
