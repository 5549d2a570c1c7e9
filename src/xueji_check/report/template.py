"""`xueji-check schema KIND --template F`: a workbook a school can fill in Excel/WPS.

The first sheet (named after the kind, e.g. 学籍名册, so that a publicity or employed list is
recognised by its sheet name) has the canonical headers (``*`` marks a required column), a
frozen header row, widths that fit, text format (``@``) for ID numbers, 学籍号 and every other
text column (so that Excel keeps 18 digits and leading zeros), date format for date columns,
drop-down lists (data validation) for every enumeration and yes/no column, and one example row
whose first cell is `EXAMPLE_MARK`. The second sheet, 填表说明, lists every field: its column,
whether it is required, its type, the values it accepts and the other header names it may
have. Everything comes from schemas/*.toml (`spec.KindSpec`).

No cell of 填表说明 is a header alias of any kind (each names its column letter too), so that
the sheet is never taken for a table.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rich.cells import cell_len

from xueji_check.normalize import check_digit_py
from xueji_check.report import atomic_path
from xueji_check.spec import EXAMPLE_MARK, GUIDE_SHEET, FieldSpec, KindSpec, normalise_header

TYPE_ZH = {"str": "文本", "id_number": "证件号码（文本）", "date": "日期", "number": "数值", "bool": "是/否",
           "enum": "从下拉列表中选", "term": "学期（文本）", "grade_year": "年级（文本）"}
DATE_FORMAT = "yyyy-mm-dd"
DATE_FORMS = "2024-09-01、2024/9/1、2024.9.1、20240901、2024年9月1日"
MAX_LIST_CHARS = 255  # Excel's limit for a list typed into a validation rule
TEXT_TYPES = ("str", "id_number", "term", "grade_year")

_EXAMPLE_BODY = "11010520080101001"
EXAMPLE_ID = _EXAMPLE_BODY + check_digit_py(_EXAMPLE_BODY)
EXAMPLE_TEXT = {"name": "张三", "school_name": "某某技工学校", "school_code": "1234567890", "major": "数控加工",
                "grade": "2024级", "term": "2024秋", "grade_year": "一年级", "employer": "",
                "card_number": "", "phone": "", "address": "", "student_id": "2024000001"}
# a compliant example: a full-time student of 2024 autumn, not employed, not graduated
EXAMPLE_BOOL = {"employed": "否", "graduation_photo": "", "signed": "是"}
EXAMPLE_DATE = {"birth_date": dt.date(2008, 1, 1), "enroll_date": dt.date(2024, 9, 1),
                "register_date": dt.date(2024, 9, 20), "graduation_date": None,
                "occurred_date": dt.date(2024, 11, 4), "reported_date": dt.date(2024, 11, 8),
                "approved_date": dt.date(2024, 11, 12), "apply_date": dt.date(2024, 9, 25),
                "pay_date": dt.date(2024, 12, 10), "publicity_start": dt.date(2024, 11, 4),
                "publicity_end": dt.date(2024, 11, 8)}
EXAMPLE_NUMBER = {"program_years": 3, "amount": 1000}


def column_letter(i: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def requirement(f: FieldSpec) -> str:
    """必填 (column and value), 必须有此列，可以空 (column only), or 选填."""
    return "必填" if f.required else ("必须有此列，值可以空" if f.required_column else "选填")


def choices(f: FieldSpec) -> list[str]:
    """The values a drop-down offers: the enumeration, or 是/否 for a yes/no column."""
    if f.type == "enum":
        return list(f.values)
    if f.type == "bool":
        return ["是", "否"]
    return []


def accepted(f: FieldSpec) -> str:
    """What a cell of `f` may hold, in Chinese (for 填表说明)."""
    if f.type == "enum":
        text = f"可选：{'、'.join(f.values)}"
        if f.synonyms:
            text += f"（也接受：{'、'.join(f'{a}（={b}）' for a, b in f.synonyms.items())}）"
        if f.patterns_note:
            text += f"；{f.patterns_note}"
        if f.out_of_scope_note:
            text += f"；{f.out_of_scope_note}"
        if f.open:
            text += "；也可填其他值，照原样保留"
        return text
    if f.type == "bool":
        return "可选：是、否（也接受 √、×、已、未 等）"
    if f.type == "date":
        return f"日期，如 {DATE_FORMS}"
    if f.type == "id_number":
        return "18 位居民身份证号（末位可为 X），按文本填写，不要存成数字；其他证件照原样填写"
    if f.type == "term":
        return "学期，如 2024秋、2025春、2024-2025学年第一学期"
    if f.type == "grade_year":
        return "在校年级，如 一年级、二年级、1、2"
    if f.type == "number":
        rng = ""
        if f.min is not None or f.max is not None:
            rng = f"，范围 {'' if f.min is None else f'{f.min:g}'}–{'' if f.max is None else f'{f.max:g}'}"
        return f"数值{rng}，如 {EXAMPLE_NUMBER.get(f.name, 1)}"
    return "文本"


def example_value(f: FieldSpec) -> object:
    """The example row's value of `f` (a date for a date column, a number for a number)."""
    if f.type == "id_number":
        return EXAMPLE_ID
    if f.type == "date":
        return EXAMPLE_DATE.get(f.name, dt.date(2024, 9, 1)) or ""
    if f.type == "number":
        return EXAMPLE_NUMBER.get(f.name, 1)
    if f.type == "bool":
        return EXAMPLE_BOOL.get(f.name, "是")
    if f.type == "enum":
        return choices(f)[0] if choices(f) else ""
    return EXAMPLE_TEXT.get(f.name, "")


def _not_a_header(text: str) -> str:
    """`text`, changed just enough (a full stop added) when it reads as a header of some kind, so
    that the loader never takes 填表说明 for a table (schemas/*.toml may add any alias)."""
    from xueji_check.spec import all_kinds

    aliases = {normalise_header(a) for s in all_kinds().values() for f in s.fields
               for a in (f.name, f.title, *f.aliases)}
    return text + "。" if text and normalise_header(text) in aliases else text


def guide_rows(spec: KindSpec) -> list[list[str]]:
    """The 填表说明 table: one row per field (column and header, required, type, accepted values,
    other header names), after its own header row. No cell is a header alias (`_not_a_header`)."""
    rows = [["列", "是否必填", "类型", "可填写的值", "表头也可以写作"]]
    for i, f in enumerate(spec.fields):
        others = [a for a in f.aliases if a != f.title]
        rows.append([f"{column_letter(i)} 列：{f.title}", requirement(f), TYPE_ZH.get(f.type, f.type), accepted(f),
                     ("其他写法：" + "、".join(others)) if others else ""])
    return [[_not_a_header(c) for c in r] for r in rows]


def guide_notes(spec: KindSpec) -> list[str]:
    notes = [f"{spec.title} 填表说明",
             f"第 2 行是示例，第一格写有「{EXAMPLE_MARK}」：检查时不会被当作数据，可以删除，也可以保留。",
             "从第 3 行起每行填一名学生（一条记录）；表头带 * 的列必须填写。不要合并单元格，不要在表格中间插入小计或说明行。",
             "身份证号、学籍号等列已设为文本格式，请直接输入或粘贴为“值”，不要让 Excel 存成数字（会丢失末几位）。",
             "有下拉箭头的列请从列表中选择；日期列直接输入如 2024-09-01 即可。"]
    if spec.required_one_of:
        groups = ["或".join(spec.field_map[n].title for n in g) for g in spec.required_one_of]
        notes.append("以下列至少要有一列：" + "；".join(groups) + "。")
    return notes


def _width(texts: list[object], lo: int = 8, hi: int = 48) -> int:
    return max(lo, min(hi, max((cell_len(str(t)) for t in texts if t is not None), default=0) + 2))


def write_template(spec: KindSpec, target: Path) -> Path:
    """Write the template of `spec` to `target` (.xlsx), atomically (module doc)."""
    import xlsxwriter

    with atomic_path(target) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_numbers": False, "strings_to_formulas": False,
                                            "strings_to_urls": False})
        head = wb.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1, "text_wrap": True,
                              "valign": "vcenter", "num_format": "@"})
        head_req = wb.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1, "text_wrap": True,
                                  "valign": "vcenter", "font_color": "#C00000", "num_format": "@"})
        text = wb.add_format({"num_format": "@"})
        date = wb.add_format({"num_format": DATE_FORMAT})
        mark = wb.add_format({"num_format": "@", "italic": True, "font_color": "#808080", "bg_color": "#F2F2F2",
                              "text_wrap": True, "valign": "top"})
        example = {"text": wb.add_format({"num_format": "@", "italic": True, "font_color": "#808080",
                                          "bg_color": "#F2F2F2"}),
                   "date": wb.add_format({"num_format": DATE_FORMAT, "italic": True, "font_color": "#808080",
                                          "bg_color": "#F2F2F2"}),
                   "other": wb.add_format({"italic": True, "font_color": "#808080", "bg_color": "#F2F2F2"})}
        ws = wb.add_worksheet(spec.title[:31])
        ws.freeze_panes(1, 0)
        ws.set_row(0, 30)
        ws.set_row(1, 30)  # the example mark on two lines
        last = 1_048_575
        for i, f in enumerate(spec.fields):
            title = ("*" if f.required else "") + f.title
            value = EXAMPLE_MARK if i == 0 else example_value(f)
            width = _width([title, *choices(f), "" if i == 0 else value], lo=8)
            if f.type == "id_number":
                width = max(width, 22)
            elif f.type == "date":
                width = max(width, 12)
            if i == 0:  # the example mark, wrapped on two lines
                width = max(_width([title]), cell_len(EXAMPLE_MARK) // 2 + 3)
            col_fmt = date if f.type == "date" else (text if f.type in TEXT_TYPES else None)
            ws.set_column(i, i, width, col_fmt)
            ws.write_string(0, i, title, head_req if f.required else head)
            if i and value == "":
                ws.write_blank(1, i, None, example["date" if f.type == "date" else "text"])
            elif i == 0:
                ws.write_string(1, 0, EXAMPLE_MARK, mark)
            elif isinstance(value, str):
                ws.write_string(1, i, str(value), example["text"])
            elif isinstance(value, dt.date):
                ws.write_datetime(1, i, dt.datetime.combine(value, dt.time()), example["date"])
            else:
                ws.write_number(1, i, value, example["other"])
            opts = choices(f)
            if opts and len(",".join(opts)) <= MAX_LIST_CHARS:
                ws.data_validation(1, i, last, i, {
                    "validate": "list", "source": opts,
                    "error_type": "warning" if f.open else "stop",
                    "error_title": f.title[:32],
                    "error_message": (f"请从下拉列表中选择：{'、'.join(opts)}")[:255],
                    "input_title": f.title[:32],
                    "input_message": f"可选：{'、'.join(opts)}"[:255]})
            elif f.type == "date":
                ws.data_validation(1, i, last, i, {
                    "validate": "date", "criteria": "between",
                    "minimum": dt.date(1900, 1, 1), "maximum": dt.date(2100, 12, 31),
                    "error_type": "warning", "error_title": f.title[:32],
                    "error_message": f"请填写日期，如 {DATE_FORMS}"[:255],
                    "input_title": f.title[:32], "input_message": "日期，如 2024-09-01"})
            elif f.type == "id_number":
                ws.data_validation(1, i, last, i, {
                    "validate": "any", "input_title": f.title[:32],
                    "input_message": "按文本填写 18 位号码，不要存成数字"})
        ws.activate()

        guide = wb.add_worksheet(GUIDE_SHEET)
        bold = wb.add_format({"bold": True, "font_size": 14})
        wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        ghead = wb.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1})
        plain = wb.add_format({"text_wrap": False})
        notes = guide_notes(spec)
        guide.write_string(0, 0, notes[0], bold)
        for r, n in enumerate(notes[1:], start=1):
            guide.write_string(r, 0, n, plain)  # overflows into the empty cells beside it
        top = len(notes) + 1
        rows = guide_rows(spec)
        widths = [22, 22, 16, 60, 40]
        for c, w in enumerate(widths):
            guide.set_column(c, c, w, wrap)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                guide.write_string(top + r, c, v, ghead if r == 0 else wrap)
        guide.freeze_panes(top + 1, 0)
        wb.close()
    return target
