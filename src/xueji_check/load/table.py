"""A sheet to a table: header row, title lines above it, where the records end.

Below the header, not every row is a record. A sheet as schools send it holds blank rows, 合计 and
小计 rows, class headings between blocks (`2024级数控1班`, `一、国家助学金`), a header repeated for
a second block, and under the last record a footer: the publicity period, an objection line,
contact and 监督电话 lines, 制表人/审核人, 盖章, the school name and a date as 落款, 备注/说明
paragraphs, often as one merged text line across the table. None of these is a student, so none
may give a finding; `split_records` sets them aside (their text is kept in `Table.footer_lines`,
where the publicity period is still read) and says which rows it set aside, so nothing is
dropped silently.

A row is set aside only when its shape says so (a merged line, one cell of text in the first
columns, few cells and nothing that identifies a student) or when its first cell is a footer label
(`公示时间：`, `联系人：`, `制表人：`…). A row that could be a real record with empty cells stays a
record: whatever holds a plausible name, ID number or 学籍号 in its column is a record, unless its
first cell is a footer label, the row is a merged line, or it repeats the header.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from xueji_check.load.kinds import HEADER_SCAN_ROWS, HeaderGuess, _row_texts, guess_header
from xueji_check.load.model import LoadError, Problem, RawSheet, Table
from xueji_check.pii import mask_text
from xueji_check.spec import KindSpec, normalise_header

# A total row: 合计/总计/小计 (also 本页小计, 全校合计, 总合计, …) as a label at the start of one of
# the first four cells (`合计`, `小 计：`, `合计（元）`, `合计5人`), not a name or a word that merely
# starts so (`小计明`, `会计`); further right (beside 金额), and for the labels of TOTAL_ROW_WEAK
# anywhere, only in a row that names no student.
TOTAL_ROW = (r"^(?:本页|本表|本月|本期|本学期|全校|全院|全部|全年|总|(?:截)?至本页|以上)?\s*(?:合\s*计|总\s*计|小\s*计)"
             r"(?:$|[\s:：（(\d０-９]|人|金额|数)")
# Labels a student's remark may also start with (累计2学期, 共计2次, 汇总): a total only in a row
# that names no student.
TOTAL_ROW_WEAK = (r"^(?:(?:本页|本表|本月|本期|本学期|全校|全院|全部|全年|总|(?:截)?至本页|以上)?\s*(?:累\s*计|共\s*计|汇\s*总)"
                  r"|总\s*(?:人数|金额))(?:$|[\s:：（(\d０-９]|人|金额|数)"
                  r"|^(?i:total|subtotal|grand\s*total)(?:$|[\s:：(])")  # not Sum: a Cantonese surname
# What a cell of a total row's label may start with: the cheap test every row's first cells get.
# One Aho-Corasick pass, any case; every label the patterns above accept contains one of these
# (a property test draws labels from the patterns): 总\s*人数 with any white space, NBSP included.
_TOTAL_HINT = ["计", "汇", "总人", "总金", "total", *("总" + chr(i) for i in range(0x3001) if chr(i).isspace())]
# A row under the header that explains it (a template's 栏次 row `1 2 3 …` or `甲 乙 1 2 …`, a
# row of 必填/选填, of the types （文本）/（日期）, or of units (元)): every filled cell is such a hint.
LEGEND_CELL = (r"^[（(\[【]?\s*(?i:必填|选填|可选|非必填|必录|选录|可不填|必须填写|文本|文本型|日期|日期型|数字|数值|数值型|整数"
               r"|小数|字符|字符型|元|万元|人民币元|单位\s*[:：]?\s*元|年|人|下拉选择|下拉|yyyy-mm-dd|yyyy/mm/dd|yyyymmdd"
               r"|yyyy年mm月dd日|是/否|是或否|男/女)\s*[）)\]】]?$")
# The first cell of a 栏次 row, or of a row of hints: the cheap test every row gets.
_LEGEND_FIRST = rf"^\s*[（(]?(?:\d{{1,2}}|[甲乙丙丁戊])[)）]?\s*$|{LEGEND_CELL}"

# The first cell of a footer line: a label with a colon (or a space before its value), or a phrase
# only a notice holds. Anchored at the start, so a record whose 备注 says 说明 is untouched.
_LABEL_WORDS = (
    r"公示(?:时间|日期|期限|期间|期)|联系(?:人|电话|方式|地址)|(?:监督|举报|投诉|咨询|值班|办公|监督举报)(?:电话|邮箱|方式)"
    r"|电子邮箱|邮箱|电话|制表(?:人|日期|时间)?|填表(?:人|日期|时间)?|填报(?:人|日期|时间|单位)|审核(?:人)?|审批(?:人)?"
    r"|复核(?:人)?|核对人|经办(?:人)?|\p{Han}{0,8}负责人|(?:分管)?校长|分管领导|主管领导|备注|说明|填表说明|附注|注\d?"
    r"|注意事项|特别说明|日期|地址|单位|学校|落款|制单(?:人)?|班主任|统计(?:人)?|\p{Han}{0,8}意见|\p{Han}{0,6}签(?:字|名|章)(?:确认)?"
)
# what may stand between a label and its colon: （签字）, (签章), （盖章）
_SIGN_NOTE = r"(?:[（(]\s*(?:签字|签名|签章|盖章|公章|手签|签字盖章)\s*[）)]\s*)"
_SPACED_LABELS = r"公示(?:时间|期)|联系人|联系电话|(?:监督|举报|投诉|咨询)电话|制表人|填表人|填报人|审核人|审批人|负责人|经办人"
FOOTER_LABEL = rf"^\s*(?:(?:{_LABEL_WORDS})\s*(?:{_SIGN_NOTE}?[:：]|{_SIGN_NOTE}$)|(?:{_SPACED_LABELS})\s+\S)"
FOOTER_PHRASE = (
    r"公示(?:时间|日期|期限|期间|期)|异议|(?:现予以?|予以|特此|现将[^。]{0,30})公示|公示如下|进行公示|以上(?:名单|学生|人员|情况|数据)"
    r"|(?:监督|举报|投诉|咨询|联系)电话|联系人|联系方式|盖章|公章|签章|制表人|审核人|填表人|填报人"
)
# A whole cell that is a heading word (a note block starts with it on its own line).
FOOTER_WORD = (r"^\s*(?:备注|说明|填表说明|附注|注|注意事项|特别说明|落款|盖章|（?\(?(?:公章|盖章)\)?）?"
               r"|[（(]?以下(?:无正文|空白|无内容)[）)]?)\s*[:：]?\s*$")
_FIRST_CELL = f"(?:{FOOTER_LABEL})|(?:{FOOTER_PHRASE})|(?:{FOOTER_WORD})"
# Free text: a sentence, not a value.
_PROSE = r"[。；！？!?]|[，,].{4,}|^.{20,}$"
# 落款: a date or an organisation name.
_DATE_CELL = (r"^\s*(?:(?:19|20)\d{2}\s*(?:[年./\-]\s*\d{1,2}\s*(?:[月./\-]\s*\d{1,2}\s*[日号]?|月)?|年)"
              r"|(?:(?:19|20)\d{2})?\s*年\s*\d{0,2}\s*月\s*\d{0,2}\s*日)\s*$")  # or a form's blank 年  月  日
_ORG_CELL = (r"^.{2,40}(?:学校|学院|技校|中心|公司|委员会|办公室|领导小组|工作组|教育局|人社局|局|处|科|站|部)"
             r"\s*[（(]?(?:盖章|公章|章)?[）)]?\s*$")
_NUMERIC = r"^[\d\s.,，+\-%/０-９]+$"
# A column whose cells are free text: a keyword there is a remark, not a footer label.
_REMARK_HEADER = ("备注", "说明", "附注", "其他", "原因", "情况")

# What identifies a student, by field. Checked after dropping invisible format characters.
_NAME_LIKE = (r"^(?:\p{Han}(?:\s{0,2}\p{Han}){1,5}|\p{Han}{1,10}(?:\s*[·•・．.\-]\s*\p{Han}{1,12}){1,3}"
              r"|[A-Za-z][A-Za-z .,'\-]{1,60}|\p{Han}{1,4}\s?[A-Za-z][A-Za-z .'\-]{0,40})$")
_NOT_A_STUDENT = r"(?:老师|主任|校长|书记|科长|处长|学校|学院|中心|公司|部门)$"
_CODE_LIKE = r"^[0-9A-Za-z()（）\-_.+\s]{2,40}$"

_KEY_FIELDS = ("name", "id_number", "student_id")
# Above this many columns, per-row tests over every column are one list expression, not one
# expression per column (planning those grows faster than the columns).
WIDE_COLS = 512


@dataclass
class SetAside:
    """A row below the header that is not a record. `category`: footer (after the last record; also
    a row that names no student there, such as a template's pre-numbered empty row or a sum
    without its label), separator (a heading or note between records), header (the header
    repeated), legend (a 栏次 row 1 2 3 … or a row of 必填/（文本）/(元) hints), total (合计/小计),
    example (a template's example row, first cell 示例…), table (from a header in another column
    order on: a second table on the sheet, not checked)."""

    row: int  # 1-based, as in Excel
    category: str
    hints: list[str]
    text: str


def _title_lines(rows: list[list[str]], upto: int) -> list[str]:
    return [" ".join(c.strip() for c in r if c.strip()) for r in rows[:upto] if any(c.strip() for c in r)]


def _title_rows(rows: list[list[str]], upto: int) -> list[int]:
    """The sheet row (1-based) of each line of `_title_lines(rows, upto)`."""
    return [i + 1 for i, r in enumerate(rows[:upto]) if any(c.strip() for c in r)]


def build_table(sheet: RawSheet, kind_hint: str | None, specs: dict[str, KindSpec],
                problems: list[Problem]) -> Table | None:
    """Locate the header row of a sheet, recognise its kind (or use `kind_hint`), map headers to
    fields and split the rows below into records and set-aside rows (see `split_records`).
    Returns None when no kind fits. An info Problem names the rows set aside."""
    df = sheet.frame
    if df.height == 0 or df.width == 0:
        return None
    rows = _row_texts(df, HEADER_SCAN_ROWS)
    name = Path(sheet.file).name
    kind = kind_hint
    guess: HeaderGuess | None = None
    split: tuple[pl.DataFrame, list[SetAside]] | None = None
    # Publicity and employed lists are recognised by their title/file name, not by columns.
    if kind is None:
        for special in ("publicity", "employed"):
            sp = specs[special]
            g = guess_header(rows, special, specs)
            if g is None or sp.detect_field not in g.mapping:
                continue
            titles = " ".join(_title_lines(rows, g.row_index)) + " " + name + " " + sheet.sheet
            if any(w in titles for w in sp.detect_words):
                kind, guess = special, g
                break
    if guess is None:
        guess = guess_header(rows, kind, specs)
    if kind is None and "publicity" in specs and (guess is None or _missing(specs[guess.kind], guess.mapping)):
        # A list whose footer says 公示 (the period, 现予公示) is one too, title or not; not a table
        # whose columns make a complete roster, change or aid table (its footer may mention 公示).
        g = guess_header(rows, "publicity", specs)
        if g is not None and specs["publicity"].detect_field in g.mapping:
            split = _publicity_footer_split(df, g)
            if split is not None:
                guess = g
    if guess is None:
        return None
    kind = guess.kind
    spec = specs[kind]
    headers = ["" if v is None else str(v).strip() for v in df.row(guess.row_index)]
    if guess.duplicates:
        fmap = spec.field_map
        used = {f: headers[int(c[1:])] for f, c in guess.mapping.items()}
        parts = []
        for d in guess.duplicates:
            f = spec.field_of(d)
            parts.append(f"「{d}」与「{used.get(f, '')}」都对应{fmap[f].title if f in fmap else ''}")
        problems.append(Problem("warning", sheet.file, sheet.sheet, guess.row_index + 1,
                                f"表头重复：{'；'.join(parts)}，已使用后者（靠前的列是「学号」「状态」这样常指别的内容的表头时用后面的列，否则用靠前的列）；"
                                "如用错了列，请删去或改名多余的列"))
    missing = _missing(spec, guess.mapping)
    title_lines = _title_lines(rows, guess.row_index)
    if "school_name" in missing:
        _school_outside_rows(sheet, title_lines, missing)
    if split is None:
        split = split_records(_below_header(df, guess.row_index), headers, guess.mapping,
                              second_tables=kind != "publicity")
    data, aside = split
    _term_from_title(sheet, spec, title_lines, data, guess.mapping, missing, problems)
    note = set_aside_message(aside)
    if note:
        problems.append(Problem("info", sheet.file, sheet.sheet, None, note))
    second = second_table_message(aside)
    if second:
        problems.append(Problem("warning", sheet.file, sheet.sheet, next(a.row for a in aside if a.category == "table"),
                                second))
    footer = [a for a in aside if a.category in ("footer", "separator") and a.text]
    title_rows = _title_rows(rows, guess.row_index)
    indexed = df.with_row_index("_row", offset=1).with_columns(pl.col("_row").cast(pl.Int64))
    kept = title_rows + [a.row for a in aside]
    other = indexed.filter(pl.col("_row").is_in(kept)) if kept else indexed.clear()
    return Table(kind=kind, file=sheet.file, sheet=sheet.sheet, header_row=guess.row_index + 1,
                 headers=headers, field_cols=guess.mapping, raw=data,
                 title_lines=title_lines, missing=missing,
                 footer_lines=[a.text for a in footer], title_rows=title_rows, footer_rows=[a.row for a in footer],
                 other_rows=other)


def _school_outside_rows(sheet: RawSheet, title_lines: list[str], missing: list[str]) -> None:
    """A table without its required 学校名称 column whose title, sheet name or file name names one
    school (a school's own export) is checked as that school's: school_name is taken off
    `missing` (the engine fills the rows and says so, or puts it back when the run's data makes
    the name doubtful: `engine.schools_filled`). Several schools or none: the column stays
    missing (S001)."""
    from xueji_check.schools import SEVERAL, named_school

    school = named_school(title_lines, sheet.file, sheet.sheet, [])
    if school and school != SEVERAL:
        missing.remove("school_name")


MAX_TERM_VALUES_LOOKED_AT = 1000


def _maybe_season_only(value: str) -> bool:
    """Whether a term cell may name only its season (秋季学期, 第一学期, 上学期: `normalize._SEASON_ONLY`
    decides): short once spaces and punctuation are gone, a season or 第 in it, no year. Only the
    info line's count depends on it; the cells are read in `tables` whatever it says."""
    s = _NOT_WORD.sub("", unicodedata.normalize("NFKC", value))
    return len(s) <= 6 and bool(_SEASON_WORD.search(s)) and not _YEAR_DIGITS.search(s)


_NOT_WORD = re.compile(r"[\W_]+")
_SEASON_WORD = re.compile(r"[春秋上下第]")
_YEAR_DIGITS = re.compile(r"\d\d")


def _term_from_title(sheet: RawSheet, spec: KindSpec, title_lines: list[str], data: pl.DataFrame,
                     mapping: dict[str, str], missing: list[str], problems: list[Problem]) -> None:
    """A table whose kind requires a 学期 column (aid) and whose title names one term
    (`normalize.title_term`: 2024年秋季学期国家助学金发放名单) takes its term from the title where
    the table does not give it: without the column, every row is of that term (term taken off
    `missing`; `tables.title_term_fill` fills the rows); with it, a cell that names only the season
    (秋季学期, 秋, 第一学期) is of the title's term (or, under a title naming one school year, of that
    school year's term). An info line says so, with the number of rows. A title naming two terms,
    or none, gives nothing (the column stays missing: S001; such cells stay unreadable: S007)."""
    from xueji_check import normalize as nz

    field = spec.field_map.get("term")
    if field is None or field.type != "term" or not field.required:
        return
    label, school_year = nz.title_term(title_lines)
    if label is None and school_year is None:
        return
    col = mapping.get("term")
    if col is None:
        if label is None or "term" not in missing:
            return
        missing.remove("term")
        problems.append(Problem("info", sheet.file, sheet.sheet, None,
                                f"表中没有「学期」列，各行按标题中的学期「{nz.term_words(label)}」检查；"
                                "如果不是该学期的表，请加上学期列后重新检查"))
        return
    if col not in data.columns:
        return
    # most tables write their terms whole (2018秋): their few distinct cells looked at first
    values = data.get_column(col).cast(pl.String).drop_nulls().unique().to_list()
    if not any(_maybe_season_only(v) for v in values[:MAX_TERM_VALUES_LOOKED_AT]) \
            and len(values) <= MAX_TERM_VALUES_LOOKED_AT:
        return
    read = nz.term_from_title(pl.col(col), label, school_year)
    n = data.select((read.ne_missing(pl.col(col).cast(pl.String))).sum()).item()
    if n:
        whose = f"标题中的学期「{nz.term_words(label)}」" if label is not None else \
            f"标题中的学年「{school_year}-{school_year + 1}学年」（秋季、第一、上学期为 {school_year} 年秋季学期，" \
            f"春季、第二、下学期为 {school_year + 1} 年春季学期）"
        problems.append(Problem("info", sheet.file, sheet.sheet, None,
                                f"「学期」列有 {n} 行只写了秋季/春季或第几学期、没有写年份，按{whose}读取"))


def _missing(spec: KindSpec, mapping: dict[str, str]) -> list[str]:
    """The required fields (or groups, `a/b`) of `spec` that `mapping` lacks."""
    missing = [f for f in spec.required_columns if f not in mapping]
    for group in spec.required_one_of:
        if not any(g in mapping for g in group):
            missing.append("/".join(group))
    return missing


def _below_header(df: pl.DataFrame, header_index: int) -> pl.DataFrame:
    return (df.with_row_index("_row", offset=1).slice(header_index + 1)
            .with_columns(pl.col("_row").cast(pl.Int64)))


PUBLICITY_FOOTER = r"公示(?:时间|日期|期限|期间|期)|(?:现予以?|予以|特此|现将[^。]{0,30})公示|公示如下|进行公示|公示名单"
FOOTER_SCAN_ROWS = 60


def _publicity_footer_split(df: pl.DataFrame, g: HeaderGuess) -> tuple[pl.DataFrame, list[SetAside]] | None:
    """The split of a sheet whose footer (rows set aside after the last record) says 公示, else
    None. The sheet's last rows are looked at first, so other tables cost one small regex."""
    cols = df.columns
    tail = df.slice(max(g.row_index + 1, df.height - FOOTER_SCAN_ROWS))
    if not tail.select(pl.concat_str([pl.col(c) for c in cols], separator=" ", ignore_nulls=True)
                       .str.contains(PUBLICITY_FOOTER).any()).item():
        return None
    headers = ["" if v is None else str(v).strip() for v in df.row(g.row_index)]
    split = split_records(_below_header(df, g.row_index), headers, g.mapping, second_tables=False)
    text = " ".join(a.text for a in split[1] if a.category == "footer")
    return split if pl.Series([text]).str.contains(PUBLICITY_FOOTER).item() else None


# ------------------------------------------------------------------ where the records end
def _blank_cell(c: str) -> pl.Expr:
    return pl.col(c).is_null() | (pl.col(c).str.strip_chars() == "")


def _drop_blank_and_total_rows(data: pl.DataFrame, value_cols: list[str]) -> pl.DataFrame:
    """The records of `data` without headers or fields: blank rows, total rows (合计/总计/小计 as
    a label in one of the first four cells) and footer-shaped rows dropped (see `split_records`)."""
    return split_records(data.select("_row", *value_cols), [], {})[0]


def _clean_key(c: str) -> pl.Expr:
    return pl.col(c).str.replace_all(r"\p{Cf}", "").str.strip_chars()


def _evidence(field_cols: dict[str, str], present: set[str]) -> pl.Expr:
    """Whether a row holds something that identifies a student: a plausible name, ID number (or
    other document number) or 学籍号 in its own column."""
    parts = []
    for f in _KEY_FIELDS:
        c = field_cols.get(f)
        if c is None or c not in present:
            continue
        v = _clean_key(c)
        if f == "name":
            ok = v.str.contains(_NAME_LIKE) & ~v.str.contains(_NOT_A_STUDENT)
        elif f == "id_number":
            ok = v.str.contains(_CODE_LIKE) & (v.str.count_matches(r"\d") >= 4)
        else:
            ok = v.str.contains(_CODE_LIKE) & v.str.contains(r"\d")
        parts.append(ok.fill_null(False))
    return pl.any_horizontal(parts) if parts else pl.lit(False)


# Strict forms that imply `_evidence` (each a subset of it), cheap enough for every row of a
# 1M-row table: a row without one is looked at closely, a row with one only for its first cell.
_STRICT = {"id_number": r"^[0-9]{17}[0-9Xx]$", "student_id": r"^[A-Za-z]{0,4}[0-9][0-9A-Za-z]{1,30}$",
           "name": r"^\p{Han}{2,4}$"}


def _sure_tests(field_cols: dict[str, str], present: set[str]) -> list[pl.Expr]:
    """Tests that each imply `_evidence`, cheapest first: the strict forms of the ID number, the
    学籍号 and the name, then `_evidence` itself. Each runs only on the rows the ones before left."""
    out = []
    for f in ("id_number", "student_id", "name"):
        c = field_cols.get(f)
        if c is None or c not in present:
            continue
        ok = pl.col(c).str.contains(_STRICT[f])
        if f == "name":
            ok = ok & ~pl.col(c).str.contains(_NOT_A_STUDENT)
        out.append(ok.fill_null(False))
    return [*out, _evidence(field_cols, present)] if out else []


# A template's example row: its first filled cell is the template's mark (spec.EXAMPLE_MARK) or
# starts 示例（ / 示例( / 示例： / 示例行 (a school may shorten the mark; no record starts so), or
# 例： / 样例： / 范例： before the value (例：D20240000), or is a whole （填写样例）/（样例）/ 填写示例.
_EXAMPLE_ROW = (r"^\s*(?:示例(?:[（(：:]|行)|(?:例|样例|范例|举例)\s*[：:]"
                r"|[（(]\s*(?:填写|填表)?(?:样例|范例|示例)\s*[）)]\s*$|(?:填写|填表)(?:样例|范例|示例)\s*$)")
# (a bare 范例 or 样例 is no mark: 范 is a surname)


def split_records(data: pl.DataFrame, headers: list[str], field_cols: dict[str, str], *,
                  exhaustive: bool = False, second_tables: bool = True) -> tuple[pl.DataFrame, list[SetAside]]:
    """Split the rows below a header (`_row` plus c0..cn as text) into records and rows set
    aside (see `set_aside_rows`): the records, and the rows set aside in sheet order."""
    drop, aside = set_aside_rows(data, headers, field_cols, exhaustive=exhaustive, second_tables=second_tables)
    if not drop:
        return data, aside
    return data.filter(~pl.col("_row").is_in(drop)), aside


def _collect(lf: pl.LazyFrame) -> pl.DataFrame:
    return lf.collect(engine="streaming")


def set_aside_rows(data: pl.DataFrame | pl.LazyFrame, headers: list[str], field_cols: dict[str, str], *,
                   exhaustive: bool = False, second_tables: bool = True) -> tuple[list[int], list[SetAside]]:
    """The rows below a header (`_row` plus c0..cn as text; a DataFrame, or a LazyFrame over a
    table too big to hold, scanned in streaming passes) that are not records: the sorted rows to
    drop (blank rows, dropped silently, and the rows set aside) and the rows set aside, in sheet
    order (see `_set_aside`), after a template's example rows (first filled cell 示例…, the mark
    `xueji-check schema KIND --template` writes). Only the candidate rows are ever collected from
    a LazyFrame; the result is the same as for the same rows in a DataFrame. `second_tables`
    False: a header in another column order is no second table (a publicity list: its cells are
    scanned for personal data whatever the columns, and its footer must stay its footer)."""
    lazy = isinstance(data, pl.LazyFrame)
    cols = [c for c in (data.collect_schema().names() if lazy else data.columns) if c != "_row"]
    if not cols:
        return [], []
    first = pl.coalesce([pl.col(c) for c in cols])
    example = first.str.contains(_EXAMPLE_ROW).fill_null(False)
    if lazy:
        ex_rows = _collect(data.filter(example).select("_row")).get_column("_row").to_list()
        if ex_rows:
            data = data.filter(~example)
    else:
        if data.height == 0:
            return [], []
        mask = data.select(example.alias("m")).to_series()
        ex_rows = data.get_column("_row").filter(mask).to_list() if mask.any() else []
        if ex_rows:
            data = data.filter(~mask)
    drop, aside = _set_aside(data, headers, field_cols, exhaustive=exhaustive, second_tables=second_tables)
    if ex_rows:
        aside = sorted([SetAside(r, "example", [], "") for r in ex_rows] + aside, key=lambda a: a.row)
        drop = sorted(set(drop) | set(ex_rows))
    return drop, aside


# Candidate rows collected at a time from a LazyFrame: where a column's every cell fails the
# quick test (an ID column with a trailing space everywhere), every row is a candidate, and the
# candidates are then read part by part, not the whole table at once.
CANDIDATE_ROWS = 1_000_000


def _candidates(data: pl.LazyFrame, maybe: pl.Expr, shape: pl.Expr):
    """The rows of `data` that may be set aside (`maybe`), with `_shape`, in sheet order: in one
    frame when there are at most `CANDIDATE_ROWS`, else by ranges of that many sheet rows (one
    streaming pass each)."""
    n = _collect(data.filter(maybe).select(pl.len())).item()
    if n <= CANDIDATE_ROWS:
        yield _collect(data.filter(maybe).with_columns(shape.alias("_shape")))
        return
    lo, hi = _collect(data.select(pl.col("_row").min().alias("lo"), pl.col("_row").max().alias("hi"))).row(0)
    for start in range(lo, hi + 1, CANDIDATE_ROWS):
        part = data.filter(pl.col("_row").is_between(start, start + CANDIDATE_ROWS, closed="left") & maybe)
        yield _collect(part.with_columns(shape.alias("_shape")))


def _set_aside(data: pl.DataFrame | pl.LazyFrame, headers: list[str], field_cols: dict[str, str], *,
               exhaustive: bool = False, second_tables: bool = True) -> tuple[list[int], list[SetAside]]:
    """Which rows below a header (`_row` plus c0..cn as text) are not records: the sorted rows to
    drop and the rows set aside (`SetAside`, in sheet order).

    Blank rows are dropped silently; total rows (合计/小计), rows that repeat the header, headings
    and notes between records, and the footer after the last record are set aside. Decided per
    row from its shape and words:

    - anywhere: a merged text line (every filled cell the same text), a footer label as the first
      cell (`公示时间：`, `联系人：`, `如对…有异议`; not when the row fills most of the header's
      columns and names a student), the header repeated, and, in a row that names no student, a
      footer word in any cell (盖章, 监督电话…), a sentence, or one text cell in the first columns;
    - rows of at most two cells that name no student (a school name and a date as 落款, `王老师`
      under 联系人) go with the run of non-record rows they are in when that run holds a footer's
      words (a label, a phrase, a sentence) or, after the last record, any of the above or a 落款.
      Between records, next to a mere heading, they stay records.

    A row with a plausible name, ID number or 学籍号 in its column is otherwise a record, however
    empty the rest (S002 is there for that). The cheap necessary conditions run on every row; the
    exact tests only on the few rows that may be set aside (`exhaustive=True` runs them on every
    row: the same result, slower; for tests)."""
    lazy = isinstance(data, pl.LazyFrame)
    cols = [c for c in (data.collect_schema().names() if lazy else data.columns) if c != "_row"]
    if not cols or (not lazy and data.height == 0):
        return [], []
    present = set(cols)
    named = [i for i, h in enumerate(headers) if h.strip() and f"c{i}" in present]
    key_cols = {f: c for f, c in field_cols.items() if f in _KEY_FIELDS and c in present}
    evidence = _evidence(field_cols, present)
    sure_tests = _sure_tests(field_cols, present)
    first = pl.coalesce([pl.col(c) for c in cols])
    last = pl.coalesce([pl.col(c) for c in reversed(cols)])
    if lazy:
        nulls = _collect(data.select(pl.col(cols).null_count())).row(0)
        fullest = cols[min(range(len(cols)), key=lambda i: nulls[i])]
    else:
        fullest = min(cols, key=lambda c: data.get_column(c).null_count())
    lead = cols[: min(len(cols), 4)]
    # the header repeated: one key column holding its own header text
    header_eq = [pl.col(c).str.contains(headers[int(c[1:])], literal=True).fill_null(False)
                 for c in [*key_cols.values(), *(f"c{i}" for i in named)]
                 if int(c[1:]) < len(headers) and headers[int(c[1:])]][:1]
    # a header in another column order (a second table below): two of its cells, anywhere, hold
    # header texts (one pass of a hash lookup per cell)
    texts = sorted({h.strip() for h in headers if h.strip()})
    if texts and len(cols) <= WIDE_COLS:
        header_eq.append(pl.sum_horizontal([pl.col(c).str.strip_chars().is_in(texts).fill_null(False) for c in cols]) >= 2)
    elif texts:  # one expression per column would take minutes to plan at 16,000 columns
        header_eq.append((pl.concat_list(cols).list.eval(pl.element().str.strip_chars().is_in(texts)).list.sum() >= 2)
                         .fill_null(False))
    # Every row that may be set aside has one of these (a row with none is a record): blank in the
    # fullest column, 计 in a first cell, one text only (first == last filled cell), a footer word
    # in its first cell, the header text, or nothing that surely names a student.
    shape = pl.any_horizontal(
        _blank_cell(fullest),
        pl.any_horizontal([pl.col(c).str.contains_any(_TOTAL_HINT, ascii_case_insensitive=True).fill_null(False)
                           for c in lead]),
        (first == last).fill_null(True),
        first.str.contains(_LEGEND_FIRST).fill_null(False),
        first.str.contains(_FIRST_CELL).fill_null(False),
        *header_eq,
    )
    if exhaustive:
        kept_max = None
        cand = _collect(data) if lazy else data
        cls = _classify(cand, cols, headers, named, key_cols, evidence, second_tables) if cand.height else None
    else:
        if sure_tests:
            maybe = shape | ~sure_tests[0]
        else:
            # No name/ID/学籍号 column: rows of at most three runs of cells may name no student.
            # (Whitespace-only cells count as filled here: the one place the filter is not exact.)
            few = pl.sum_horizontal([pl.col(c).is_not_null() for c in cols]) <= 3
            runs = pl.any_horizontal([(pl.col(a) == pl.col(b)).fill_null(False)
                                      for a, b in zip(cols[:-1], cols[1:], strict=True)] or [pl.lit(False)])
            # a total label in any cell (a row that names no student, as every row here, is a total
            # row with it: `_totalany`)
            if len(cols) <= WIDE_COLS:
                total_any = pl.any_horizontal([pl.col(c).str.contains_any(_TOTAL_HINT, ascii_case_insensitive=True)
                                               .fill_null(False) for c in cols])
            else:
                total_any = pl.concat_list(cols).list.eval(pl.element().str.contains_any(
                    _TOTAL_HINT, ascii_case_insensitive=True)).list.any().fill_null(False)
            maybe = shape | few | runs | total_any
        if lazy:  # streaming passes: the last row that is surely a record, then the candidates
            kept_max = _collect(data.filter(~maybe).select(pl.col("_row").max())).item()
            parts = _candidates(data, maybe, shape)
        else:
            mask = data.select(maybe.alias("m")).to_series()
            parts = [data.filter(mask).with_columns(shape.alias("_shape"))]
            kept_max = data.get_column("_row").filter(~mask).max()
        found = []
        for cand in parts:  # row by row decisions: a part at a time, each made narrow
            for test in sure_tests[1:]:  # the rows left that surely name a student are records
                sure = cand.select((~pl.col("_shape") & test).alias("m")).to_series()
                if sure.any():
                    kept_max = max(r for r in (kept_max, cand.get_column("_row").filter(sure).max()) if r is not None)
                    cand = cand.filter(~sure)
            if cand.height:
                found.append(_classify(cand.drop("_shape"), cols, headers, named, key_cols, evidence, second_tables))
        cls = pl.concat(found, how="vertical_relaxed") if found else None
    if cls is None or cls.height == 0:
        return [], []
    # From another table's header on, nothing is read as this table's records. A table too big to
    # hold (read by streaming passes) is refused whole instead: its second table's rows could be
    # millions, each kept for the report.
    tables = cls.filter(pl.col("_kind") == "table").get_column("_row")
    second: list[SetAside] = []
    if tables.len() and lazy:
        start = int(tables.min())
        head = mask_text(cls.filter(pl.col("_row") == start).get_column("_text").item() or "")[:40]
        raise LoadError(f"第 {start} 行又是一行表头（「{head}」），但列的顺序与第一行表头不同：文件中有两张表，"
                        "按一张表读会报出不实的问题，未检查；请把两张表分别导出成两个文件后再检查")
    if tables.len():
        start = int(tables.min())
        text = cls.filter(pl.col("_row") == start).get_column("_text").item() or ""
        rest = data.filter(pl.col("_row") >= start).get_column("_row").to_list()
        second = [SetAside(r, "table", [], text if r == start else "") for r in rest]
        cls = cls.filter(pl.col("_row") < start)
        if kept_max is not None and kept_max >= start:  # the last sure record above the second table
            kept_max = data.filter((pl.col("_row") < start) & ~pl.col("_row").is_in(cls.get_column("_row").to_list())
                                   ).get_column("_row").max()
    rec_rows = cls.filter(pl.col("_kind") == "record").get_column("_row")
    last_record = max([r for r in (kept_max, rec_rows.max()) if r is not None], default=0)
    # Runs of consecutive rows that are not records (the rows between two records, or after the
    # last): where a run holds a footer or note line, its few-cell rows that name no student
    # (落款, 王老师 under 联系人) go with it.
    nonrec = pl.col("_kind") != "record"
    cls = cls.sort("_row").with_columns(
        _run=(~nonrec | ~nonrec.shift(1, fill_value=False) | (pl.col("_row") != pl.col("_row").shift(1) + 1))
        .fill_null(True).cum_sum()
    ).with_columns(_noted=(pl.col("_kind") == "strong") & pl.col("_words")).with_columns(
        # a footer's words anywhere in the run, or, after the last record, any note line or 落款
        _noted=pl.col("_noted").any().over("_run")
        | ((pl.col("_row").min().over("_run") > last_record)
           & pl.col("_kind").is_in(["strong", "tail"]).any().over("_run"))
    )
    aside_rows = cls.filter(
        pl.col("_kind").is_in(["total", "strong", "header", "legend"])
        | (pl.col("_kind").is_in(["tail", "weak"]) & pl.col("_noted"))
        # after the last record, a row that names no student and has no name written: a template's
        # pre-numbered empty rows (序号 alone, or with the school filled in), a sum without its
        # label (a name the name test does not know, 阿卜杜热依木江, keeps its row a record)
        | (pl.col("_kind").is_in(["weak", "bare"]) & (pl.col("_row") > last_record) & pl.col("_nokey"))
    )
    drop = set(cls.filter(pl.col("_kind") == "blank").get_column("_row").to_list())
    aside: list[SetAside] = []
    for row, kind, hints, text in aside_rows.select("_row", "_kind", "_hints", "_text").iter_rows():
        drop.add(row)
        if kind in ("total", "header", "legend"):
            category = kind
        else:
            category = "footer" if row > last_record else "separator"
        aside.append(SetAside(row, category, list(hints or []), text or ""))
    drop.update(a.row for a in second)
    return sorted(drop), aside + second


_HINTS = [
    ("公示时间", r"公示(?:时间|日期|期限|期间|期)\s*[:：为]?\s*\d"),
    ("异议说明", r"异议"),
    ("联系人/电话", r"(?:联系人|联系方式|电话|邮箱)\s*[:：]|(?:联系人|电话)\s+\S"),
    ("制表人/审核人", r"(?:制表|审核|填表|填报|负责|经办|复核|审批)人?\s*[:：]|(?:制表|审核|填表|填报|负责|经办)人"),
    ("盖章", r"盖章|公章|签章"),
    ("签字", r"签字|签名"),
    ("备注/说明", r"^\s*(?:备注|说明|填表说明|附注|注\d?|注意事项|特别说明)\s*(?:[:：]|$)"),
]


def _classify(cand: pl.DataFrame, cols: list[str], headers: list[str], named: list[int],
              key_cols: dict[str, str], evidence: pl.Expr, second_tables: bool = True) -> pl.DataFrame:
    """Per candidate row: `_kind` (blank, total, header, table, strong, tail, weak, record), `_hints`
    (what a footer row holds, for the message) and `_text` (its distinct cells joined).

    Computed on the filled cells in long form (row, column, text): the cost follows the cells of
    the candidate rows, not the width of the sheet (16,384 columns cost no more than their data)."""
    remark = [i for i, h in enumerate(headers) if any(w in normalise_header(h) for w in _REMARK_HEADER)]
    second_named = named[1] if len(named) > 1 else (named[0] if named else 0)
    full_at = max(3, math.ceil(0.75 * max(len(named), 1)))
    hdr = pl.DataFrame({"_i": list(range(len(headers))), "_h": headers}, schema={"_i": pl.Int32, "_h": pl.String})
    texts = sorted({h.strip() for h in headers if h.strip()})
    v, i = pl.col("_v"), pl.col("_i")
    cells = (
        cand.select("_row", *cols)
        .unpivot(index="_row", on=cols, variable_name="_c", value_name="_v")
        .with_columns(_v=v.str.strip_chars())
        .filter(v.is_not_null() & (v != ""))
        .with_columns(_i=pl.col("_c").str.slice(1).cast(pl.Int32))
        .sort("_row", "_i")
        .join(hdr, on="_i", how="left")
        .with_columns(
            # a cell starts a run unless the cell to its left holds the same text (a merged range)
            _start=(v.shift(1).over("_row") != v).fill_null(True) | (i.shift(1).over("_row") != i - 1).fill_null(True),
            _remark=i.is_in(remark),
            # a 栏次 cell: (1), 2, …, or 甲 乙 before them
            _int=v.str.replace_all(r"^[（(]|[)）]$", "").cast(pl.Int64, strict=False),
            _ordw=v.str.contains(r"^[甲乙丙丁戊己庚辛壬癸]$"),
        )
    )
    per_row = cells.group_by("_row").agg(
        _n=pl.len(),
        _neff=pl.col("_start").sum(),
        _first=v.first(),
        _fidx=i.first(),
        _fremark=pl.col("_remark").first(),
        _text=v.filter(pl.col("_start")).str.join(" "),
        _hdr=(v == pl.col("_h")).fill_null(False).sum(),
        _hdrany=v.is_in(texts).sum(),
        _hdrmoved=(v.is_in(texts) & (v != pl.col("_h")).fill_null(True)).sum(),  # another column's header text
        _total=((i < 4) & v.str.contains(TOTAL_ROW)).any(),
        _totalany=(v.str.contains(TOTAL_ROW) | v.str.contains(TOTAL_ROW_WEAK)).any(),
        _kwany=(~pl.col("_remark") & (v.str.contains(FOOTER_PHRASE) | v.str.contains(FOOTER_LABEL)
                                      | v.str.contains(FOOTER_WORD))).any(),
        _prose=v.str.contains(_PROSE).any(),
        _sig=(v.str.contains(_DATE_CELL) | v.str.contains(_ORG_CELL)).all(),
        _num=(v.str.contains(_NUMERIC) & v.str.contains(r"[\d０-９]")).all(),  # a line of ---- is not a number
        _hintrow=v.str.contains(LEGEND_CELL).all(),
        # 栏次: every cell a number or 甲乙…, the numbers 1 (or 2) up in steps of one, at least three
        _seq=((pl.col("_int").is_not_null() | pl.col("_ordw")).all() & (pl.col("_int").is_not_null().sum() >= 3)
              & (pl.col("_int").drop_nulls().diff().drop_nulls() == 1).all()
              & (pl.col("_int").drop_nulls().first() <= 2)),
    )
    # no name written at all (a name the name test does not know still keeps its row); without a
    # name column, nothing to go by but `_evidence`
    nokey = (_clean_key(key_cols["name"]).fill_null("") == "") if "name" in key_cols else pl.lit(True)
    f = (cand.select("_row", _ev=evidence, _nokey=nokey).join(per_row, on="_row", how="left")
         .with_columns(pl.col("_n", "_neff", "_hdr").fill_null(0),
                       pl.col("_hdrany", "_hdrmoved").fill_null(0),
                       pl.col("_total", "_totalany", "_kwany", "_prose", "_fremark", "_hintrow", "_seq").fill_null(False),
                       pl.col("_sig", "_num").fill_null(True))
         .with_columns(
             _label=~pl.col("_fremark") & pl.col("_first").str.contains(FOOTER_LABEL).fill_null(False),
             _phrase=~pl.col("_fremark") & pl.col("_first").str.contains(FOOTER_PHRASE).fill_null(False),
             _kwword=pl.col("_first").str.contains(FOOTER_WORD).fill_null(False),
             _merged=(pl.col("_n") >= 2) & (pl.col("_neff") == 1) & ~pl.col("_num"),
         ))
    ev, n, neff = pl.col("_ev"), pl.col("_n"), pl.col("_neff")
    strong = (
        (pl.col("_merged") & ((n >= 3) | ~ev))
        | pl.col("_label")
        | (pl.col("_phrase") & ~(ev & (neff >= full_at)))
        | (pl.col("_kwword") & ((neff == 1) | ~ev))
        | (~ev & (neff <= 3) & (pl.col("_kwany") | pl.col("_prose")))
        | (~ev & (neff == 1) & (pl.col("_fidx") <= second_named) & ~pl.col("_num"))
    )
    # the header's texts, two or more in other columns: another table's header (its rows below would
    # be read under this table's columns: names as 学籍号, one student's rows as several)
    moved = (pl.col("_hdrmoved") >= 2) & pl.lit(second_tables)
    header = (pl.col("_hdr") >= 2) & (pl.col("_hdr") * 2 >= neff) & ~moved
    other_header = moved & (pl.col("_hdrany") >= 3) & (pl.col("_hdrany") * 2 >= neff)
    hints = pl.concat_list([pl.when(pl.col("_text").str.contains(rx)).then(pl.lit(label)) for label, rx in _HINTS]
                           + [pl.when(pl.col("_sig") & (neff <= 2) & ~ev).then(pl.lit("落款"))]).list.drop_nulls()
    hints = pl.when(hints.list.len() > 0).then(hints).when(pl.col("_prose")).then(pl.lit(["说明文字"])) \
        .when(pl.col("_merged")).then(pl.lit(["合并单元格中的文字"])) \
        .when(~ev & pl.col("_num")).then(pl.lit(["只有数字、没有学生信息的行"])) \
        .when(~ev & (neff <= 2) & ~pl.col("_kwany") & ~pl.col("_label") & ~pl.col("_phrase") & ~pl.col("_kwword")) \
        .then(pl.lit(["没有姓名、身份证号、学籍号的行"])).otherwise(hints)
    return f.with_columns(
        _kind=pl.when(n == 0).then(pl.lit("blank"))
        .when(pl.col("_total") | (pl.col("_totalany") & ~ev)).then(pl.lit("total"))  # 合计 beside 金额 too
        .when(header).then(pl.lit("header"))
        .when(other_header).then(pl.lit("table"))
        .when((n > 0) & (pl.col("_hintrow") | pl.col("_seq"))).then(pl.lit("legend"))
        .when(strong).then(pl.lit("strong"))
        .when(~ev & (neff <= 2) & pl.col("_sig")).then(pl.lit("tail"))
        .when(~ev & (neff <= 2) & ~pl.col("_num")).then(pl.lit("weak"))
        .when(~ev & (neff <= 3) & pl.col("_num")).then(pl.lit("bare"))  # a sum without its label, a 序号 alone
        .otherwise(pl.lit("record")),
        _hints=hints,
        _words=pl.col("_label") | pl.col("_phrase") | pl.col("_kwword") | pl.col("_kwany") | pl.col("_prose"),
    ).select("_row", "_kind", "_hints", "_text", "_words", "_nokey")


_CATEGORY = {"example": "模板的示例行", "footer": "表尾说明", "separator": "表格中间的分组标题或说明行", "header": "重复的表头行",
             "legend": "表头下的栏次号或填写说明行", "total": "合计/小计行"}


def _ranges(rows: list[int]) -> str:
    """`[9, 10, 11, 14]` -> `9–11、14`."""
    out: list[str] = []
    start = prev = None
    for r in sorted(rows):
        if prev is not None and r == prev + 1:
            prev = r
            continue
        if start is not None:
            out.append(f"{start}–{prev}" if prev != start else str(start))
        start = prev = r
    if start is not None:
        out.append(f"{start}–{prev}" if prev != start else str(start))
    return "、".join(out)


def second_table_message(aside: list[SetAside]) -> str | None:
    """The warning for a second table on the sheet (the rows of category `table`): where it starts,
    its header (masked, cut), that its rows were not checked and what to do; None without one."""
    rows = [a.row for a in aside if a.category == "table"]
    if not rows:
        return None
    head = mask_text(next((a.text for a in aside if a.category == "table" and a.text), ""))
    shown = f"（「{head[:40]}{'…' if len(head) > 40 else ''}」）" if head else ""
    return (f"第 {rows[0]} 行又是一行表头{shown}，但列的顺序与本表的表头不同：从这一行起是另一张表，"
            f"第 {_ranges(rows)} 行没有检查（按本表的列去读，会把姓名当成学籍号等，报出不实的问题）；"
            "请把另一张表移到单独的工作表，或按本表的列顺序排好，再检查")


def set_aside_message(aside: list[SetAside]) -> str | None:
    """One Chinese sentence per sheet naming the rows set aside and why:
    `第 12–16 行是表尾说明（公示时间、联系人/电话…），不作为数据行`."""
    aside = [a for a in aside if a.category != "table"]  # said by second_table_message
    if not aside:
        return None
    parts = []
    for cat in ("example", "legend", "footer", "separator", "header", "total"):
        rows = [a for a in aside if a.category == cat]
        if not rows:
            continue
        detail = ""
        if cat == "footer":
            hints: list[str] = []
            for a in rows:
                hints += [h for h in a.hints if h not in hints]
            detail = f"（{'、'.join(hints) if hints else '说明文字'}）"
        elif cat == "separator":
            # masked before it is cut: a cut ID or mobile is no longer a shape the mask knows
            example = mask_text(next((a.text for a in rows if a.text), ""))
            detail = f"（如「{example[:20]}{'…' if len(example) > 20 else ''}」）" if example else ""
        parts.append(f"第 {_ranges([a.row for a in rows])} 行是{_CATEGORY[cat]}{detail}")
    text = "；".join(parts) + "，不作为数据行检查"
    if any(a.category in ("footer", "separator") for a in aside):
        text += "；如其中有学生记录，请补全该行的姓名、身份证号，并把说明文字移到表格之外"
    return text
