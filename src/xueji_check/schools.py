"""Which school a table belongs to, for findings that are about a whole file or column (S001,
P401, P402) and for rows whose own 学校名称 cell is empty.

In order (issue: every finding is charged to its school): the table's school column (when one
school fills it), a school named in its title lines, in its file name, in its sheet name. A school
already known from the run's data is preferred to a name guessed from the words around it. A
table of several schools is charged to （多所学校）; a table with no school anywhere to
（未注明学校）, so the per-school summary always adds up to the number of findings.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from xueji_check import normalize as nz
from xueji_check.load import Table

UNNAMED = "（未注明学校）"
SEVERAL = "（多所学校）"

# What a school's name ends with; the longest endings first.
_SUFFIX = r"(?:高级技工学校|技工学校|技师学院|技工院校|职业技术学院|职业学院|技术学院|中等职业学校|职业学校|学校|学院)"
_NAME = re.compile(r"[\u4e00-\u9fff（）()]{2,40}?" + _SUFFIX)
# Words that stand before a school's name in a title (`2024年秋季学期东方技工学校…`) and are no part of it.
_LEAD = re.compile(r"^(?:年度?|春季?|秋季?|学年度?|学期|第[一二]|[上下]半?年?|季|关于|公布|公示|下发)+")
# What separates the segments of a title or file name that a school's name cannot span.
_SEPARATORS = r"\s_\-—–·・.,，、:：;；/\\|（）()\[\]【】《》\"'“”0-9０-９"
_SEGMENT = re.compile(f"[^{_SEPARATORS}]+")


# A name made only of what every school of its kind is called (技工学校, 各技工院校, 全市技师学院):
# a title such as 甲市2024年秋季学期技工学校国家助学金受助学生名单 names no school.
# So is a name ending in 技工院校 (技工院校 is what the schools are called together: 甲市技工院校
# 学籍汇总) or holding a word that gathers schools (甲市各技工学校, 市教育局直属学校).
_KIND = r"(?:高级技工|技工|技师|职业技术|职业|技术|中等职业|中职|高职|中等|高等)?"
_GENERIC = re.compile(r"^(?:各|全|全市|全省|全区|全县|我市|本市|我省|本省|我区|本区|我校|本校|各级|各类|相关|所属|市属|省属|"
                      r"民办|公办|其他|有关|以下|上述)?" + _KIND + _SUFFIX + "$"
                      r"|技工院校$|(?:各|所有|所属|直属|相关|有关|以下|上述|其他)(?:市属|省属|民办|公办)?" + _KIND + _SUFFIX + "$")
# Words no school's name holds: what comes before them is the sender of a notice (甲市人社局关于…).
_NOT_IN_NAME = re.compile(r"关于")


# A campus or branch written in brackets after a school's name is part of it, as a school column
# writes it: 东方技工学校（西校区） (school names are compared with half-width brackets).
_BRANCH = re.compile(r"\(([\u4e00-\u9fff]{1,6}(?:校区|分校|分院)|[东南西北新老本总][校部])\)")
# The same bracketed campus at the end of a school column's value (either bracket width): one
# school's campuses share its 学籍号 (R101 and R108 compare schools without it).
CAMPUS_SUFFIX = r"[（(](?:\p{Han}{1,6}(?:校区|分校|分院)|[东南西北新老本总][校部])[）)]$"


def school_base(school: pl.Expr) -> pl.Expr:
    """Which school a row is at when a 学籍 or a transfer is compared, from a school column's
    value: without a bracketed campus at its end (东方技工学校（东校区） → 东方技工学校: a class sheet
    naming the campus and a 全校汇总 sheet naming the school are one school) and with 技校 at its
    end written out (东方技校 → 东方技工学校). The city before a name is kept: 郑州市第一技工学校 and
    开封市第一技工学校 are two schools (a place is most schools' distinguishing word)."""
    return school.str.replace(CAMPUS_SUFFIX, "").str.replace(r"技校$", "技工学校")


_CAMPUS_SUFFIX_RE = re.compile(CAMPUS_SUFFIX.replace(r"\p{Han}", "[\u4e00-\u9fff]"))  # Python's re has no \p


def school_base_text(school: str) -> str:
    """`school_base` for one name in Python (a finding of the baseline)."""
    return re.sub("技校$", "技工学校", _CAMPUS_SUFFIX_RE.sub("", school))


# What may stand right before a known school's name found inside a longer text: a place's
# ending (北城区东方技工学校), else it is part of another name (新东方技工学校 is not 东方技工学校).
_PLACE_END = "市区县省州盟旗镇乡"
# Words that join a school to what comes before it: 甲市技工院校（含东方技工学校）, 西山技工学校及东方
# 技工学校. An inclusion (含, 包括) says the text covers more than the schools it names; a
# conjunction (及, 与, …) only counts right after another school's name (和平技工学校 and
# 含山县技工学校 at the start of a text are names of their own). 暨 after a school joins its second
# name (XX技师学院暨XX高级技工学校: one institution, two plates), as a name in brackets does.
_INCLUDE = ("包括", "包含", "含")
_AND = ("以及", "及", "与", "和")
_ALIAS = ("暨",)


def _joined(text: str, pos: int) -> tuple[str | None, int]:
    """How the name starting at `pos` of `text` is joined to what comes before it, and where the
    joining word starts: ("include", i) for 甲市技工院校(含 … or …学校含 …; ("and", i) for
    西山技工学校及 …; ("alias", i) for …技师学院暨 …; (None, pos) otherwise."""
    for kind, words in (("include", _INCLUDE), ("and", _AND), ("alias", _ALIAS)):
        for w in words:
            if text.startswith(w, pos - len(w)) and pos >= len(w):
                before = text[:pos - len(w)]
                if before.endswith(("校", "院")) or (kind == "include" and before.endswith("(")):
                    return kind, pos - len(w)
    return None, pos


def _half_brackets(text: str) -> str:
    return text.replace("（", "(").replace("）", ")")


def _pattern_names(text: str) -> list[tuple[int, str]]:
    """(position, name) of every name ending in 学校/学院/… in `text` (half-width brackets),
    leading words such as 2024年秋季学期 dropped, names of a kind of school only (技工学校) left
    out, a campus in brackets right after a name kept with it (东方技工学校(西校区))."""
    out: list[tuple[int, str]] = []
    for m in _SEGMENT.finditer(_NOT_IN_NAME.sub(lambda w: " " * len(w.group(0)), text)):
        seg = _LEAD.sub("", m.group(0))
        start = m.end() - len(seg)
        for n in _NAME.finditer(seg):
            name, pos = n.group(0), start + n.start()
            for w in (*_INCLUDE, *_AND, *_ALIAS):  # a joining word is not part of the name (西山技工学校及东方技工学校)
                if name.startswith(w) and _joined(text, pos + len(w))[0] is not None:
                    name, pos = name[len(w):], pos + len(w)
                    break
            if _GENERIC.search(name):
                continue
            branch = _BRANCH.match(text, pos + len(name))
            out.append((pos, name + (branch.group(0) if branch and n.end() == len(seg) else "")))
    return out


def _joined_after(text: str, end: int) -> bool:
    """Whether a school's name ending at `end` of `text` is followed by a joining word and another
    school's name (东方技工学校和西山技工学校: 西山 named though no table of the run has it).
    Another kind of name after it (东方技工学校全日制中等职业学校…, a sub-college) is no join."""
    for w in (*_INCLUDE, *_AND):
        if text.startswith(w, end):
            m = _NAME.match(text, end + len(w))
            if m and not _GENERIC.search(m.group(0)) and not re.search(f"[{_SEPARATORS}]", m.group(0)):
                return True
    return False


def _known_at(text: str, pos: int) -> bool:
    """Whether a known school's name found at `pos` of `text` starts a name there: at the start, or
    after a character that is no Chinese character, or after a place's ending (`_PLACE_END`), or
    after a word joining it to another school (`_joined`: 含, 及 …)."""
    if pos == 0:
        return True
    before = text[pos - 1]
    return not ("\u4e00" <= before <= "\u9fff") or before in _PLACE_END or _joined(text, pos)[0] is not None


def schools_in_text(text: str, known: list[str]) -> list[str]:
    """Every school named in `text` (a title line, a file or folder name), in order: schools of
    the run's data (`known`, longest first) where they occur as a name of their own (not inside a
    longer name: 新东方技工学校 is not 东方技工学校), else names ending in 学校/学院/… (see
    `school_in_text`). Brackets are read half-width, as school names are compared; a campus in
    brackets is part of the name. A school written in brackets right after another is taken as
    the other's second name (XX技师学院（XX高级技工学校）: one institution, two plates) and not
    counted. A school joined by an inclusion (甲市技工院校（含东方技工学校）) says the text covers
    more schools than it names, and a school joined to another (西山技工学校及东方技工学校) follows
one that may not be known: `SEVERAL` is then added to the list. Shape: a list of distinct
    names (and `SEVERAL`), possibly empty."""
    if not text:
        return []
    text = _half_brackets(text)
    found: list[tuple[int, int, str]] = []  # (start, end, name)
    rest = text
    for school in known:
        if not school:
            continue
        pos = rest.find(school)
        while pos >= 0:
            if _known_at(text, pos):
                found.append((pos, pos + len(school), school))
                rest = rest[:pos] + "\x00" * len(school) + rest[pos + len(school):]
            pos = rest.find(school, pos + len(school))
    if not found:
        found = [(pos, pos + len(name), name) for pos, name in _pattern_names(text)]
    found.sort()
    names: list[str] = []
    for i, (start, _end, name) in enumerate(found):
        if i and text[found[i - 1][1]:start].strip() == "(" and text[start + len(name):].lstrip()[:1] == ")":
            continue  # a second name in brackets
        if i and _joined(text, start)[0] == "alias":
            continue  # a second name after 暨
        if name not in names:
            names.append(name)
    if names and (any(_joined(text, start)[0] in ("include", "and") for start, _end, _name in found)
                  or any(_joined_after(text, end) for _start, end, _name in found)):
        names.append(SEVERAL)  # joined to another school, named or not (含, 及 …)
    return names


def school_in_text(text: str, known: list[str]) -> str | None:
    """The school named in `text` (a title line or a file name): a school of the run's data
    (`known`, longest first) if one occurs in it, else a name ending in 学校/学院/… found in one
    of its segments, after dropping leading words such as 2024年秋季学期; a name of a kind of
    school only (技工学校, 各技工院校) is none. None if no school, `SEVERAL` if `text` names
    two or more (甲校、乙校2024年秋季学期公示)."""
    names = schools_in_text(text, known)
    if len(names) > 1:
        return SEVERAL
    return names[0] if names else None


def named_school(title_lines: list[str], file: str, sheet: str, known: list[str]) -> str | None:
    """The school a table names outside its rows: in its title lines, else its sheet name (a city's
    workbook with a sheet per school), else its file name, else (a school of the run's data only, `known`) the folder the file is in. None
    when it names none; `SEVERAL` when the first place that names a school names two."""
    for line in title_lines:
        found = school_in_text(line, known)
        if found:
            return found
    found = school_in_text(sheet, known) or school_in_text(Path(file).stem, known)
    if found:
        return found
    folder = Path(file).parent.name
    names = schools_in_text(folder, known) if folder and known else []
    return names[0] if len(names) == 1 and names[0] in known else None


def _schools_by_table(frames: dict[str, pl.DataFrame]) -> dict[int, list[str]]:
    """Table id → the distinct names of its normalised school column, computed once for all tables
    (one group-by per kind: filtering each table out of the frame was quadratic in a province's
    folder of thousands of files)."""
    out: dict[int, list[str]] = {}
    for df in frames.values():
        if "school_name" not in df.columns or "_tid" not in df.columns:
            continue
        g = df.lazy().group_by("_tid").agg(pl.col("school_name").drop_nulls().unique(maintain_order=True)).collect()
        # a table has one kind: each table id is in one frame only
        out.update(zip(g.get_column("_tid").to_list(), g.get_column("school_name").to_list(), strict=True))
    return out


def _raw_schools(t: Table) -> list[str]:
    """The distinct school names of a table's raw school column (a table that was not normalised)."""
    if "school_name" not in t.field_cols:
        return []
    s = t.raw.select(nz.compact(pl.col(t.field_cols["school_name"])).alias("s")).get_column("s")
    return s.drop_nulls().unique(maintain_order=True).to_list()


def table_schools(tables: list[Table], frames: dict[str, pl.DataFrame]) -> dict[int, str]:
    """Table id (the position in `tables`, as `engine.run` numbers them) → the school its file-level
    findings are charged to: one school, （多所学校） or （未注明学校）. `frames`: per kind, a frame
    with `_tid` and `school_name` (the normalised rows, or just their distinct pairs)."""
    known: set[str] = set()
    for df in frames.values():
        if "school_name" in df.columns:
            known.update(df.get_column("school_name").drop_nulls().unique().to_list())
    ordered = sorted(known, key=lambda s: (-len(s), s))
    by_table = _schools_by_table(frames)
    normalised = {k for k, df in frames.items() if "_tid" in df.columns and "school_name" in df.columns}
    out: dict[int, str] = {}
    for tid, t in enumerate(tables):
        # (a table refused with S001 was not normalised: its school column read raw)
        in_column = by_table.get(tid, []) if t.kind in normalised and not t.missing else _raw_schools(t)
        if len(in_column) == 1:
            out[tid] = in_column[0]
            continue
        if len(in_column) > 1:
            out[tid] = SEVERAL
            continue
        out[tid] = named_school(t.title_lines, t.file, t.sheet, ordered) or UNNAMED
    return out
