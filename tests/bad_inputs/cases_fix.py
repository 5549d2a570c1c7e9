"""Bad-input cases of the reviewer's fixes: .ods workbooks written by hand (as LibreOffice, WPS
or an attacker would), calamine's own reason for a workbook it cannot open, card numbers Excel
cut to 15 digits, addresses in different cities. Cases that could abort or hang the process if
the guard failed live in tests/test_fix_ods.py (run in a subprocess), not here."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bad_inputs.make import Case, all_of, case, checked, good_rows, has_rule  # noqa: E402
from conftest import ROSTER_HEADERS, make_id, roster_row  # noqa: E402

ODS_MIME = "application/vnd.oasis.opendocument.spreadsheet"
_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
       'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
       'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
       'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"')
_MANIFEST = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
             'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
             f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{ODS_MIME}"/>'
             '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
             '</manifest:manifest>')


def ods_cell(value: object = None, *, cols: int = 1) -> str:
    """A cell as LibreOffice writes it: text as a string cell, numbers as float cells, None an
    empty cell; `cols` > 1 repeats it (table:number-columns-repeated)."""
    rep = f' table:number-columns-repeated="{cols}"' if cols > 1 else ""
    if value is None:
        return f"<table:table-cell{rep}/>"
    if isinstance(value, int | float):
        return (f'<table:table-cell{rep} office:value-type="float" office:value="{value}" calcext:value-type="float">'
                f"<text:p>{value}</text:p></table:table-cell>")
    return (f'<table:table-cell{rep} office:value-type="string" calcext:value-type="string">'
            f"<text:p>{escape(str(value))}</text:p></table:table-cell>")


def ods_row(*cells: str, rows: int = 1) -> str:
    rep = f' table:number-rows-repeated="{rows}"' if rows > 1 else ""
    return f"<table:table-row{rep}>" + "".join(cells) + "</table:table-row>"


def ods_table(name: str, body: str) -> str:
    return f"<table:table table:name={quoteattr(name)}>{body}</table:table>"


def ods_rows(rows: list[list], *, tail: bool = True) -> str:
    """Rows of values as LibreOffice saves a sheet: each row ends with its empty cells up to
    column AMJ repeated, and the sheet with its empty rows up to 1,048,576 repeated."""
    out = []
    for values in rows:
        cells = [ods_cell(v) for v in values]
        if tail:
            cells.append(ods_cell(None, cols=1024 - len(values)))
        out.append(ods_row(*cells))
    if tail:
        out.append(ods_row(ods_cell(None, cols=1024), rows=1048576 - len(rows)))
    return "".join(out)


def ods_file(path: Path, *tables: str, content: str | None = None) -> Path:
    """An .ods (mimetype stored first, manifest, content.xml) with the given table elements, or
    with `content` as the whole content.xml."""
    if content is None:
        content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_NS} office:version="1.2">'
                   "<office:body><office:spreadsheet>" + "".join(tables)
                   + "</office:spreadsheet></office:body></office:document-content>")
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), ODS_MIME, compress_type=zipfile.ZIP_STORED)
        z.writestr("META-INF/manifest.xml", _MANIFEST)
        z.writestr("content.xml", content)
    return path


def roster_ods(path: Path, n: int = 3, *, planted_empty_name: bool = False) -> Path:
    rows = [ROSTER_HEADERS, *good_rows(n)]
    if planted_empty_name:
        rows[1] = roster_row("S901", "", make_id(seq="901"))
    return ods_file(path, ods_table("学籍名册", ods_rows(rows)))


# ----------------------------------------------------------------------------- cases
@case
def ods_roster_as_libreoffice_saves_it(t: Path) -> Case:
    """Near miss of the .ods guard: LibreOffice writes every sheet with its empty cells up to
    column AMJ and empty rows up to row 1,048,576 as repeats; calamine lays none of them out,
    so the file is read and checked (its planted empty name gives S002 on row 2)."""
    p = roster_ods(t / "名册.ods", 3, planted_empty_name=True)
    return Case([p], (1,), [], check=all_of(checked(rows=3), has_rule("S002", ["2"])))


@case
def ods_repeated_rows_of_a_real_table(t: Path) -> Case:
    """Near miss: identical rows saved as one repeated row (a column of 否 for 2,000 students
    and nothing else) is a small grid, read as it is."""
    rows = [ROSTER_HEADERS, *good_rows(2)]
    body = ods_rows(rows, tail=False) + ods_row(*[ods_cell(None)] * 8, ods_cell("否"), rows=2000)
    p = ods_file(t / "名册.ods", ods_table("学籍名册", body))
    return Case([p], (0, 1, 2), [], check=lambda r, d: "数据区域过大" not in r.stderr)


@case
def ods_that_calamine_cannot_parse_says_why(t: Path) -> Case:
    """A comment between two cells of a row: calamine stops with "Expecting 'table-cell'". The
    user is told that reason, not the generic "Cannot detect file format"."""
    body = ("<table:table-row><!-- 备注 -->" + ods_cell("姓名") + "</table:table-row>")
    p = ods_file(t / "名册.ods", ods_table("学籍名册", body))
    return Case([p], (2,), ["名册.ods", "Expecting", "另存为 .xlsx"],
                check=lambda r, d: "Cannot detect" not in r.stderr)


@case
def xlsx_with_a_broken_workbook_part_says_why(t: Path) -> Case:
    """An .xlsx whose workbook.xml is not XML: calamine's reason (an XML error), not "Cannot
    detect file format"."""
    p = t / "名册.xlsx"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"/>')
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/relationships"/>')
        z.writestr("xl/workbook.xml", "<workbook><sheets><sheet name='a' r:id='rId1'></workbook")
        z.writestr("xl/_rels/workbook.xml.rels", "<Relationships/>")
    return Case([p], (2,), ["名册.xlsx"], check=lambda r, d: "Cannot detect" not in r.stderr)
