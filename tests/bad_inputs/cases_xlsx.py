"""Bad-input cases of the workbook reader (load/xlsx.py): sheets whose extent would make
calamine allocate hundreds of GB, references past XFD1048576, cells without an r attribute,
hundreds of thousands of merged ranges, tables that do not start at A1, formula cells without a
saved value. The workbooks are written by hand (`raw_xlsx`), as a program or an attacker would."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bad_inputs.make import AS_OF, Case, all_of, case, checked, good_rows, has_rule  # noqa: E402
from conftest import ROSTER_HEADERS, make_id, roster_row  # noqa: E402

__all__ = ["AS_OF", "Sheet", "cell", "raw_xlsx", "row", "table_rows"]

_CT = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
       '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
       '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
       '<Default Extension="xml" ContentType="application/xml"/>'
       '<Override PartName="/xl/workbook.xml" '
       'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>{sheets}</Types>')
_CT_SHEET = ('<Override PartName="/xl/worksheets/sheet{i}.xml" '
             'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
         '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
         '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
         'officeDocument" Target="xl/workbook.xml"/></Relationships>')
_WB = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
       '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
       'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{sheets}</sheets></workbook>')
_WB_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>')
_WB_REL = ('<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
           'worksheet" Target="{target}"/>')


class Sheet:
    """One worksheet of a hand-written workbook: the <sheetData> body, and what goes around it."""

    def __init__(self, body: str, name: str = "学籍名册", *, merges: list[str] = (), dimension: str | None = None,
                 state: str | None = None, cols: str = "", rows_hidden: bool = False, target: str | None = None) -> None:
        self.body, self.name, self.merges, self.dimension = body, name, list(merges), dimension
        self.state, self.cols, self.target = state, cols, target

    def xml(self) -> str:
        dim = f'<dimension ref="{self.dimension}"/>' if self.dimension else ""
        merges = (f'<mergeCells count="{len(self.merges)}">' + "".join(f'<mergeCell ref="{m}"/>' for m in self.merges)
                  + "</mergeCells>") if self.merges else ""
        return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet '
                'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                f"{dim}{self.cols}<sheetData>{self.body}</sheetData>{merges}</worksheet>")


def cell(ref: str, value: object = None, *, formula: str | None = None, style: int | None = None) -> str:
    """A cell as a program writes it: text inline, numbers as numbers, a formula without a
    saved value (<f> and an empty <v>), or a styled empty cell (value None)."""
    s = f' s="{style}"' if style is not None else ""
    if formula is not None:
        return f'<c r="{ref}"{s}><f>{escape(formula)}</f><v></v></c>'
    if value is None:
        return f'<c r="{ref}"{s}/>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"{s}><v>{value}</v></c>'
    return f'<c r="{ref}"{s} t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'


def row(n: int, *cells: str, hidden: bool = False) -> str:
    h = ' hidden="1"' if hidden else ""
    return f'<row r="{n}"{h}>' + "".join(cells) + "</row>"


def col_name(i: int) -> str:
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def table_rows(rows: list[list], top: int = 1, left: int = 0, hidden_rows: tuple[int, ...] = ()) -> str:
    """<row> elements for a table whose first cell is at (top, left) (1-based row, 0-based column);
    None cells are left out."""
    out = []
    for i, values in enumerate(rows):
        r = top + i
        cells = [cell(f"{col_name(left + j)}{r}", v) for j, v in enumerate(values) if v is not None]
        out.append(row(r, *cells, hidden=r in hidden_rows))
    return "".join(out)


def raw_xlsx(path: Path, *sheets: Sheet) -> Path:
    """A minimal xlsx (no styles part, inline strings), sheet by sheet as given."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CT.format(sheets="".join(_CT_SHEET.format(i=i + 1) for i in range(len(sheets)))))
        z.writestr("_rels/.rels", _RELS)
        wb_sheets = "".join(
            f'<sheet name="{escape(s.name)}" sheetId="{i + 1}"' + (f' state="{s.state}"' if s.state else "")
            + f' r:id="rId{i + 1}"/>' for i, s in enumerate(sheets))
        z.writestr("xl/workbook.xml", _WB.format(sheets=wb_sheets))
        z.writestr("xl/_rels/workbook.xml.rels", _WB_RELS.format(rels="".join(
            _WB_REL.format(i=i + 1, target=s.target or f"worksheets/sheet{i + 1}.xml") for i, s in enumerate(sheets))))
        for i, s in enumerate(sheets):
            z.writestr(f"xl/worksheets/sheet{i + 1}.xml", s.xml())
    return path


def roster_table(n: int = 3, *, planted_empty_name: bool = False) -> list[list]:
    rows = [ROSTER_HEADERS, *good_rows(n)]
    if planted_empty_name:
        rows[1] = roster_row("S901", "", make_id(seq="901"))
    return rows


# ----------------------------------------------------------------------------- cases
@case
def far_cell_beside_good_roster(t: Path) -> Case:
    """A 2 KB workbook with a table and one value at XFD1048576 (calamine would lay out 17
    billion cells and abort the process): refused with its farthest cell named; the good roster
    beside it is checked (its planted empty name gives exit 1)."""
    body = table_rows(roster_table(2)) + row(1048576, cell("XFD1048576", "误输入"))
    raw_xlsx(t / "in" / "远处单元格.xlsx", Sheet(body))
    raw_xlsx(t / "in" / "名册.xlsx", Sheet(table_rows(roster_table(3, planted_empty_name=True))))
    return Case([t / "in"], (1, 2), ["远处单元格.xlsx", "数据区域过大", "XFD1048576"],
                check=all_of(checked(rows=3), has_rule("S002", ["2"])))


@case
def cell_reference_past_xfd(t: Path) -> Case:
    body = table_rows(roster_table(2)) + row(9, cell("ZZZZ9", "x"))
    p = raw_xlsx(t / "越界引用.xlsx", Sheet(body))
    return Case([p], (2,), ["越界引用.xlsx", "ZZZZ9", "超出了 Excel 的范围"])


@case
def cells_without_references_reaching_far(t: Path) -> Case:
    """Cells without an r attribute are placed one after another; 20,000 of them in one row and
    one more far below would make a grid of 20 billion cells."""
    body = ("<row>" + '<c t="inlineStr"><is><t>x</t></is></c>' * 20_000 + "</row>"
            + '<row r="1048576"><c t="inlineStr"><is><t>y</t></is></c></row>')
    p = raw_xlsx(t / "无坐标单元格.xlsx", Sheet(body))
    return Case([p], (2,), ["无坐标单元格.xlsx", "超出了 Excel 的范围"])


@case
def far_empty_formatted_cell_is_harmless(t: Path) -> Case:
    """Near miss: a formatted but empty cell at XFD1048576 (Ctrl+End lands there) takes no
    room: the sheet is read as usual."""
    body = table_rows(roster_table(3)) + row(1048576, cell("XFD1048576", style=1), '<c r="XFC1048576"><v></v></c>')
    p = raw_xlsx(t / "远处空格式.xlsx", Sheet(body))
    return Case([p], (0,), check=checked(rows=3))


@case
def three_hundred_thousand_merged_ranges(t: Path) -> Case:
    """300,000 mergeCell entries in a small file: read in seconds (not minutes); the one over
    学校名称 still fills its rows."""
    rows = roster_table(4)
    for r in rows[2:]:
        r[4] = None
    merges = ["E2:E5"] + [f"K{r}:L{r}" for r in range(1, 300_000)]
    p = raw_xlsx(t / "大量合并.xlsx", Sheet(table_rows(rows), merges=merges))
    return Case([p], (0,), check=all_of(checked(rows=4), has_rule("S002", absent=True)))


@case
def table_from_d3_with_merged_school(t: Path) -> Case:
    """A roster whose table starts at D3 (empty columns A-C, two title rows) with 学校名称 merged
    down four rows: every row gets the school, row numbers are Excel's."""
    rows = roster_table(4)
    for r in rows[2:]:
        r[4] = None
    body = row(1, cell("D1", "东方技工学校学生名册")) + table_rows(rows, top=3, left=3)
    p = raw_xlsx(t / "从D3开始.xlsx", Sheet(body, merges=["H4:H7"]))
    return Case([p], (0,), check=all_of(checked(rows=4), has_rule("S002", absent=True)))


@case
def formulas_without_saved_values(t: Path) -> Case:
    """A workbook written by a program: 学校名称 is =$B$1 (resolved from B1), 学制 a formula
    that cannot be resolved (reported once, never "为空")."""
    rows = [["学校名称：", "东方技工学校"], ROSTER_HEADERS]
    body = table_rows(rows)
    for i, (sid, name, idn) in enumerate([("S1", "张一", make_id(seq="101")), ("S2", "李二", make_id(seq="103"))]):
        r = 3 + i
        body += row(r, cell(f"A{r}", sid), cell(f"B{r}", name), cell(f"C{r}", idn), cell(f"D{r}", "男"),
                    cell(f"E{r}", formula="$B$1"), cell(f"F{r}", formula='IF(G3="全日制",3,2)'),
                    cell(f"G{r}", "全日制"), cell(f"H{r}", "2024-09-01"), cell(f"I{r}", "在校"))
    p = raw_xlsx(t / "程序生成.xlsx", Sheet(body))
    return Case([p], (0,), ["F3、F4", "没有保存计算结果的公式", "WPS"],
                check=all_of(checked(rows=2), has_rule("S002", absent=True)))
