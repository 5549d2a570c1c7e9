"""R1xx registration rules (学籍注册，人社厅发〔2018〕28号 二、四（一）): R101–R112.

Every rule is a pure function of the run `Context` returning a findings LazyFrame built with
`findings.emit`; all of them are Polars expressions, joins and window functions over the
normalised roster, never a Python loop over rows.
"""

from __future__ import annotations

import polars as pl

from xueji_check import normalize as nz
from xueji_check.engine import Context, note_unjudged, unreadable
from xueji_check.findings import emit
from xueji_check.normalize import mask_id, name_damaged
from xueji_check.registry import rule
from xueji_check.rules.changes import (
    multi_sheet_files,
    others_by_person,
    row_ref,
    sid_same,
    who,
    with_person,
)
from xueji_check.schools import SEVERAL, UNNAMED, school_base

ACTIVE = ("在校", "休学")
FULL_TIME = "全日制"
EMPLOYED_SOURCES = ("企业职工", "在职职工")
RESTRICTED_SOURCES = ("务农农民", "农民", "服刑人员", "服刑犯人")
TRAINING_CLASSES = ("短期培训", "职业培训")
FLEXIBLE_SYSTEMS = ("弹性学制", "学分制")
GRADUATED = "毕业"
# 工作单位 cells that mean "none": the whole cell is made of these words (暂无、未就业、暂未就业、
# 无工作单位、不在职、待业、学生…), with punctuation, symbols and spaces around or between them
# (「无。」「（无）」「无/学生」「—」) not counted. Anchored at both ends, so a name that only starts
# with such a word is an employer: 无锡某某公司, 无线电厂, 未来科技, 非凡公司, 空港物流.
_GAP = r"[\p{P}\p{S}\s]*"
_NONE_WORD = (rf"(?:(?:(?:暂时?|目前|现在?|当前|尚|还|仍){_GAP})?(?:无|没有|未|不|非)(?:固定|参加)?"
              r"(?:工作单位|就业单位|单位|就业|工作|在职|任职|上班|职业|业)?"
              r"|待就?业中?|失业|在校学生|在读学生|在校生|学生|在读|在校|游民|否|空|不详|不适用|(?:在家|家里|家中|家庭)?务农|在家"
              r"|0|null|none|nil|n/?a)")
NO_EMPLOYER = rf"(?i)^{_GAP}(?:{_NONE_WORD}{_GAP})*$"
# 工作单位 of a student placed by the school: the cell names an internship (顶岗实习, 跟岗实习,
# 实习单位：…, 认识实习) or work-study (勤工俭学, 工学交替), part of full-time study, not a job.
INTERNSHIP = r"实习|勤工俭学|工学交替"
MAX_LISTED = 5  # other rows named in a duplicate message


# ------------------------------------------------------------------ helpers
def _col(cols: list[str], name: str, dtype: pl.DataType = pl.String) -> pl.Expr:
    return pl.col(name) if name in cols else pl.lit(None, dtype=dtype)


def _written(cols: list[str], name: str) -> pl.Expr:
    """A listed value (enum) as the school wrote it (`name__raw`: 服刑犯人, 在读), so a message
    quotes the cell the user will look for, not the reading it was given (服刑人员, 在校)."""
    return pl.coalesce(pl.col(f"{name}__raw"), pl.col(name)) if f"{name}__raw" in cols else pl.col(name)


def _where(cols: list[str], multi: list[str]) -> pl.Expr:
    """`西方技工学校（名册.xlsx 第 5 行` (without the closing bracket, so callers can add; the
    sheet too for a file in `multi`, see changes.row_ref)."""
    school = _col(cols, "school_name").fill_null("（未注明学校）")
    return pl.concat_str([school, pl.lit("（"), row_ref(multi)])


def _student_key(cols: list[str], *extra: str) -> pl.Expr:
    """Fingerprint key: the student (ID, else 学籍号) at a school, never the row number.
    Null when the student has no key at all; the engine then falls back to file/row."""
    parts = [pl.col("_key"), _col(cols, "school_name").fill_null(""), *[pl.lit(x) for x in extra]]
    return pl.concat_str(parts, separator="|")


def _day(e: pl.Expr) -> pl.Expr:
    return e.dt.strftime("%Y-%m-%d")


def _num(e: pl.Expr) -> pl.Expr:
    """3.0 → "3", 2.5 → "2.5"."""
    return pl.when(e == e.round(0)).then(e.cast(pl.Int64).cast(pl.String)).otherwise(e.round(2).cast(pl.String))


def _skip(ctx: Context, rule_id: str, reason: str) -> None:
    ctx.options[f"skip:{rule_id}"] = reason
    return None


def _others_in_group(lf: pl.LazyFrame, group: list[str], desc: pl.Expr) -> pl.LazyFrame:
    """For rows sharing `group`, add `_others` (text naming up to MAX_LISTED other rows) and
    `_n_others`. Linear per group: each row drops itself from the group's first few entries."""
    lf = lf.sort([*group, "school_name", "_file", "_sheet", "_row"], nulls_last=True).with_columns(
        _desc=desc, _r=pl.int_range(pl.len()).over(group))
    groups = lf.group_by(group).agg(_descs=pl.col("_desc").head(MAX_LISTED + 1), _n=pl.len())
    lf = lf.join(groups, on=group, how="left")
    others = pl.concat_list(pl.col("_descs").list.slice(0, pl.col("_r")),
                            pl.col("_descs").list.slice(pl.col("_r") + 1)).list.head(MAX_LISTED)
    n_others = pl.col("_n") - 1
    more = pl.when(n_others > MAX_LISTED).then(pl.format("等共 {} 条", n_others)).otherwise(pl.lit(""))
    return lf.with_columns(_others=others.list.join("；") + more, _n_others=n_others)


# ------------------------------------------------------------------ R101
@rule(
    "R101", severity="error", title="重复注册学籍", title_en="duplicate registration", across=True,
    clause="二（二）二（三）", needs={"roster": ("id_number", "status")},
    what="同一证件号码在多行处于在校或休学状态（同一文件内，或跨文件、跨学校）。15 位与 18 位号码视为同一人；护照、通行证按证件类型加号码比较。每行都报，并列出其他学校和行号。"
         "同一学校同一学籍号的几行是同一个学籍列了几次（如各班工作表之外的「全校汇总」表、隐藏的旧表），不算重复注册"
         "（学籍号比较时不分字母大小写，数字学籍号开头被 Excel 去掉的 0 不计；学校名称末尾括号中的校区、分校不计，"
         "如一张表写「东方技工学校（东校区）」、汇总表写「东方技工学校」；「技校」的简写也不计，如「东方技校」与「东方技工学校」，"
         "并有一条提示列出按同一所学校处理的写法；名称前的市县名要计：「郑州市东方技工学校」与「东方技工学校」是两所学校，"
         "是同一所的请在策略文件的 [school_aliases] 中写明）。",
    why="一人只能有一个有效学籍；重复注册是虚增学生、套取资助的常见手法（二（二）、二（三））。",
    example="同一身份证号在东方技工学校在校、在西城技师学院休学 → 两行都报。一校转出、另一校在校 → 不报。",
)
def duplicate_registration(ctx: Context) -> pl.LazyFrame:
    """The same document active in more than one row, across all roster files: the same GB 11643
    number (15 and 18 digits are one), or the same type + number of another document (a passport
    and a permit with the same characters are two documents)."""
    cols = ctx.columns("roster")
    note_unjudged(ctx, "R101", "roster", unreadable("roster", cols, "id_number", "status"))
    key = "id_number__key"
    active = ctx.lf("roster").filter(pl.col("status").is_in(ACTIVE) & pl.col(key).is_not_null())
    shared = active.group_by(key).agg(_regs=_registration(cols).n_unique()).filter(pl.col("_regs") > 1).select(key)
    dups = active.join(shared, on=key, how="semi")
    if "school_name" not in cols:
        dups = dups.with_columns(school_name=pl.lit(None, pl.String))
        cols = [*cols, "school_name"]
    desc = pl.concat_str([_where(cols, multi_sheet_files(ctx)), pl.lit("，"), _written(cols, "status"), pl.lit("）")])
    dups = _others_in_group(dups, [key], desc)
    what = _document_words(cols)
    msg = pl.concat_str([
        pl.lit("同一"), what, pl.lit("另有 "), pl.col("_n_others").cast(pl.String), pl.lit(" 条在校/休学学籍："),
        pl.col("_others"), pl.lit("。本行学籍状态为「"), _written(cols, "status"),
        pl.lit("」；一人只能有一个有效学籍，请核实后注销重复学籍"),
    ])
    return emit(dups, "roster", msg, field="id_number", key=_student_key(cols))


def _registration(cols: list[str]) -> pl.Expr:
    """Which 学籍 a row is: a school and its 学籍号 (a row without a 学籍号 is a 学籍 of its own).
    The same 学籍 listed twice (a 全校汇总 sheet beside the class sheets, a hidden old copy) is no
    second one, nor is a campus named on one sheet and not on the other (`schools.school_base`:
    东方技工学校（东校区） and 东方技工学校). Without a school name, the file stands for the school: two schools' exports with
    the column left empty are two schools. 学籍号 compared as A302 does: letters in either case,
    a number's leading zeros that Excel drops in one sheet and not in another."""
    sid = _col(cols, "student_id")
    school = pl.coalesce(school_base(_col(cols, "school_name")), pl.lit("file:") + pl.col("_file"))
    sid_same = pl.coalesce(nz.student_id_digits(sid), sid.str.to_uppercase())
    return pl.when(sid.is_not_null()).then(
        pl.concat_str([school, pl.lit("|"), sid_same])).otherwise(
        pl.concat_str([pl.lit("row|"), pl.col("_file"), pl.lit("|"), pl.col("_sheet"), pl.lit("|"),
                       pl.col("_row").cast(pl.String)]))


def _document_words(cols: list[str]) -> pl.Expr:
    """身份证号, or 护照号码 (the row's document type) for a document that is not a GB 11643 number."""
    doc = _col(cols, "id_number__doc")
    other = pl.col("id_number__key").str.contains(":") & doc.is_not_null()
    return pl.when(other).then(doc + pl.lit("号码")).otherwise(pl.lit("身份证号"))


# ------------------------------------------------------------------ R102
@rule(
    "R102", severity="warning", title="疑似异号重复注册", title_en="suspected duplicate under different IDs", across=True,
    clause="二（三）", needs={"roster": ("name", "id_number", "status")},
    what="姓名、出生日期、性别相同而证件号码不同，且都在校或休学。姓名按规范形式比较（全半角、空格、间隔点不计）；因编码丢字（?）的姓名不参与。"
         "同一学校同一学籍号的几行是同一个学籍列了几次（如各班工作表之外的「全校汇总」表）：其中一行的证件号码"
         "被 Excel 存成数字或有录入错误的，不互相比较（学籍号的比较方式与 R101 相同；号码的错误由 S003、S004 报出）；"
         "两个号码都有效的照报（同一学籍号登记了两个不同的人）。",
    why="同一人用不同号码（他人证件或编造的号码）重复注册，R101 查不出来，需人工核对证件（二（三））。",
    example="南山和西城各有一名在校的「王建国」，都生于 2009-03-15、男，身份证号不同 → 两行都报。",
)
def suspected_duplicate_other_id(ctx: Context) -> pl.LazyFrame:
    """Same name (canonical form, `normalize.name_key`), birth date and gender, different
    documents, both active. Names damaged by a GBK save (`?`) are left out: two damaged names
    can look alike without being alike."""
    cols = ctx.columns("roster")
    registration = _registration(cols)
    if "school_name" not in cols:
        cols = [*cols, "school_name"]
    birth = pl.coalesce(_col(cols, "id_number__birth", pl.Date), _col(cols, "birth_date", pl.Date))
    gender = pl.coalesce(_col(cols, "id_number__gender"), _col(cols, "gender"))
    ident = pl.coalesce(_col(cols, "id_number__key"), _col(cols, "id_number__raw"))
    shown = pl.coalesce(pl.col("id_number"), _col(cols, "id_number__raw"))
    damaged = name_damaged(pl.col("name"))
    note_unjudged(ctx, "R102", "roster", {"姓名含编码损坏的字符（?）": damaged & pl.col("status").is_in(ACTIVE)})
    # a number S003/S004 report (Excel's number, a typo): the same registration's other row is
    # the same person, not a second one
    bad = ~_col(cols, "id_number__status").is_in(["ok", "other"]).fill_null(False)
    lf = ctx.lf("roster").with_columns(
        _birth=birth, _gender=gender, _ident=ident, _shown=shown, _reg=registration, _bad=bad,
        school_name=_col(cols, "school_name"),
    ).filter(pl.col("status").is_in(ACTIVE) & _col(cols, "name__key").is_not_null() & ~damaged
             & pl.col("_birth").is_not_null() & pl.col("_gender").is_not_null() & pl.col("_ident").is_not_null())
    group = ["name__key", "_birth", "_gender"]
    shared = lf.group_by(group).agg(_u=pl.col("_ident").n_unique()).filter(pl.col("_u") > 1).drop("_u")
    # in the roster's order, so `_i` names the same row wherever `cand` is read
    cand = lf.join(shared, on=group, how="semi", maintain_order="left").with_row_index("_i")
    desc = pl.concat_str([_where(cols, multi_sheet_files(ctx)), pl.lit("，姓名「"), pl.col("name"), pl.lit("」，证件号 "), mask_id(pl.col("_shown")),
                          pl.lit("）")])
    right = cand.select(*group, pl.col("_i").alias("_j"), pl.col("_ident").alias("_ident_r"), desc.alias("_desc"),
                        pl.col("_reg").alias("_reg_r"), pl.col("_bad").alias("_bad_r"), "school_name", "_file", "_sheet", "_row")
    pairs = (
        cand.select("_i", *group, "_ident", "_reg", "_bad")
        .join(right, on=group, how="inner")
        # (two rows of one 学籍, the same school and 学籍号, one of whose numbers S003/S004 report,
        # are one registration listed twice; two valid numbers under one 学籍号 are still two people)
        .filter((pl.col("_ident") != pl.col("_ident_r"))
                & ((pl.col("_reg") != pl.col("_reg_r")) | ~(pl.col("_bad") | pl.col("_bad_r"))))
        .sort(["_i", "school_name", "_file", "_sheet", "_row"], nulls_last=True)
        .group_by("_i")
        .agg(_others=pl.col("_desc").head(MAX_LISTED).str.join("；"), _n=pl.len())
    )
    flagged = cand.join(pairs, on="_i", how="inner")
    more = pl.when(pl.col("_n") > MAX_LISTED).then(pl.format("等共 {} 条", pl.col("_n"))).otherwise(pl.lit(""))
    msg = pl.concat_str([
        pl.lit("姓名「"), pl.col("name"), pl.lit("」、出生日期 "), _day(pl.col("_birth")), pl.lit("、性别「"),
        pl.col("_gender"), pl.lit("」与另一条在校/休学学籍相同而证件号码不同："), pl.col("_others"), more,
        pl.lit("。疑似同一人以不同证件号重复注册，请人工核对身份证件"),
    ])
    return emit(flagged, "roster", msg, field="id_number", key=_student_key(cols, "R102"))


# ------------------------------------------------------------------ R103
@rule(
    "R103", severity="error", title="在职职工注册为全日制", title_en="employed worker registered full-time",
    clause="二（二）", needs={"roster": ("study_mode",)},
    what="学习形式为全日制，而生源类别为企业职工/在职职工、或填有工作单位、或是否在职=是、或身份证号在 --employed 在职参保名单中。"
         "工作单位、是否在职和参保名单说的是学生现在的情况，只对在籍（学籍状态为在校、休学）的学生判断：毕业、结业、退学、转出等"
         "已不在籍的学生现在工作或参保，不是在职职工注册为全日制；学籍状态无法识别的计入未能判断的行。"
         "参保名单有参保险种、参保状态列时，实习生工伤保险、学生医保、城乡居民医保、学平险等学生的参保，"
         "以及已停保、暂停、终止的参保，不算在职。"
         "生源类别是注册时的情况，不论学籍状态都判断（注册时就是在职职工却注册为全日制，毕业了也仍是违规注册）。"
         "工作单位整格只写了表示没有工作单位的词（无、否、没有、暂无、未就业、暂未就业、无工作、无单位、待业、无业、不在职、"
         "学生、在校学生、空、0、/、- 等，不分大小写，前后和词间的标点、空格不计）的，不算填有工作单位；"
         "只是以这些字开头的单位名称（无锡某公司、无线电厂）仍算工作单位。"
         "工作单位写明是实习（顶岗实习、跟岗实习、「实习单位：某某集团」）或勤工俭学、工学交替的，是学校安排的学习，不算在职。",
    why="在职职工只能注册非全日制学籍，不得占用全日制学籍和资助（二（二））。",
    example="全日制学生的工作单位为「某客车股份有限公司」或「无锡某机械有限公司」→ R103；"
            "工作单位填「无」「无。」「暂未就业」「学生」「/」「家庭务农」或「某客车股份有限公司（顶岗实习）」不报。",
)
def employed_full_time(ctx: Context) -> pl.LazyFrame | None:
    """全日制 while the student is an employed worker (source, employer, flag or 参保 list).
    The employer, the flag and the 参保 list tell what a student does now, so they are read only
    for a student on the register (在校/休学): a graduate's employer or a dropout's 参保 is no
    worker registered full-time. The source (生源类别) was written at registration and is read
    whatever the status."""
    cols = ctx.columns("roster")
    has_list = ctx.has("employed", "id_number")
    if not ({"student_source", "employer", "employed"} & set(cols)) and not has_list:
        return _skip(ctx, "R103", "学籍名册没有生源类别、工作单位、是否在职列，且未提供在职参保名单")
    lf = ctx.lf("roster")
    # (without a status column the roster is read as the register itself)
    current = pl.col("status").is_in(ACTIVE).fill_null(False) if "status" in cols else pl.lit(True)
    reasons: list[pl.Expr] = []
    hits: list[pl.Expr] = []
    now: list[pl.Expr] = []  # the signals of the present, before `current` is applied
    if "student_source" in cols:
        c = pl.col("student_source").is_in(EMPLOYED_SOURCES)
        hits.append(c)
        reasons.append(pl.when(c).then(pl.concat_str([pl.lit("生源类别为「"), _written(cols, "student_source"), pl.lit("」")])))
    if "employer" in cols:
        emp = pl.col("employer")
        c0 = emp.is_not_null() & ~emp.str.contains(NO_EMPLOYER) & ~emp.str.contains(INTERNSHIP)
        if "status__raw" in cols:  # 学籍状态 顶岗实习, 在校-企业实习 (read as 在校): the employer is the internship's
            c0 = c0 & ~pl.col("status__raw").str.contains(INTERNSHIP).fill_null(False)
        now.append(c0)
        c = current & c0
        hits.append(c)
        reasons.append(pl.when(c).then(pl.concat_str([pl.lit("工作单位填有「"), emp, pl.lit("」")])))
    if "employed" in cols:
        c0 = pl.col("employed").fill_null(False)
        now.append(c0)
        c = current & c0
        hits.append(c)
        reasons.append(pl.when(c).then(pl.concat_str([pl.lit("是否在职为「"), pl.col("employed__raw"), pl.lit("」")])
                                       if "employed__raw" in cols else pl.lit("是否在职为「是」")))
    if has_list:
        emp_cols = ctx.columns("employed")
        listed = (
            ctx.lf("employed").filter(pl.col("id_number").is_not_null() & _employed_now(emp_cols))
            .group_by("id_number")
            .agg(_listed_employer=pl.col("employer").drop_nulls().first() if "employer" in emp_cols
                 else pl.lit(None, pl.String))
            .with_columns(_listed=pl.lit(True))
        )
        lf = lf.join(listed, on="id_number", how="left")
        c0 = pl.col("_listed").fill_null(False)
        now.append(c0)
        c = current & c0
        hits.append(c)
        reasons.append(pl.when(c).then(pl.concat_str([
            pl.lit("在职参保名单中有此身份证号"),
            pl.when(pl.col("_listed_employer").is_not_null())
            .then(pl.concat_str([pl.lit("（参保单位「"), pl.col("_listed_employer"), pl.lit("」）")]))
            .otherwise(pl.lit("")),
        ])))
    full_time = pl.col("study_mode") == FULL_TIME
    if now:
        note_unjudged(ctx, "R103", "roster", {k: full_time & pl.any_horizontal(now) & e
                                               for k, e in unreadable("roster", cols, "status").items()}, frame=lf)
    flagged = lf.filter(full_time & pl.any_horizontal(hits))
    msg = pl.concat_str([
        pl.lit("学习形式为全日制，但"), pl.concat_str(reasons, separator="，", ignore_nulls=True),
        pl.lit("：在职职工只能注册为非全日制学籍，请核实后改为非全日制"),
    ])
    return emit(flagged, "roster", msg, field="study_mode", key=_student_key(cols))


# ------------------------------------------------------------------ R104
@rule(
    "R104", severity="error", title="务农农民/服刑人员注册为全日制", title_en="special group registered full-time",
    clause="二（二）", needs={"roster": ("study_mode", "student_source")},
    what="学习形式为全日制，而生源类别为务农农民或服刑人员（含同义词农民、服刑犯人）。"
         "生源类别和学习形式是注册时的情况，毕业、退学等已不在籍的学生也判断（当初的注册就违规）。",
    why="招收务农农民、服刑人员等特定人员只能注册为非全日制学籍（二（二））。",
    example="生源类别「服刑犯人」、学习形式「全日制」→ R104。",
)
def special_group_full_time(ctx: Context) -> pl.LazyFrame:
    """全日制 for 务农农民 or 服刑人员, who may only be registered part-time."""
    cols = ctx.columns("roster")
    flagged = ctx.lf("roster").filter(
        (pl.col("study_mode") == FULL_TIME) & pl.col("student_source").is_in(RESTRICTED_SOURCES))
    msg = pl.concat_str([
        pl.lit("生源类别为「"), _written(cols, "student_source"),
        pl.lit("」却注册为全日制：招收务农农民、服刑人员等特定人员只能注册为非全日制学籍，请改为非全日制"),
    ])
    return emit(flagged, "roster", msg, field="study_mode", key=_student_key(cols))


# ------------------------------------------------------------------ R105
@rule(
    "R105", severity="error", title="短期培训学员注册正式学籍", title_en="short-term trainee given a formal registration",
    clause="二（二）", needs={"roster": ()},
    what="班级类型为短期培训/职业培训，或学制不足 1 年。班级类型和学制是注册时的情况，毕业、退学等已不在籍的学生也判断"
         "（注册了正式学籍这件事不因离校而改变）。",
    why="短期培训学员不得注册技工院校正式学籍，否则会套取学历教育的资助（二（二））。",
    example="学制「半年」→ R105；班级类型「短训」（短期培训的同义词）→ R105。",
)
def short_term_trainee(ctx: Context) -> pl.LazyFrame | None:
    """A short-term/vocational training class, or a programme shorter than one year."""
    cols = ctx.columns("roster")
    has_class, has_years = "class_type" in cols, "program_years" in cols
    if not (has_class or has_years):
        return _skip(ctx, "R105", "学籍名册缺少列：班级类型、学制")
    parts: list[pl.LazyFrame] = []
    if has_class:
        hit = ctx.lf("roster").filter(pl.col("class_type").is_in(TRAINING_CLASSES))
        msg = pl.concat_str([pl.lit("班级类型为「"), _written(cols, "class_type"),
                             pl.lit("」：短期培训、职业培训学员不得注册技工院校正式学籍，请撤销该学籍注册")])
        parts.append(emit(hit, "roster", msg, field="class_type", key=_student_key(cols, "class")))
    if has_years:
        already = pl.col("class_type").is_in(TRAINING_CLASSES).fill_null(False) if has_class else pl.lit(False)
        hit = ctx.lf("roster").filter((pl.col("program_years") < 1) & ~already)
        msg = pl.concat_str([pl.lit("学制 "), _num(pl.col("program_years")),
                             pl.lit(" 年，不足 1 年：属短期培训，不得注册技工院校正式学籍，请核实学制或撤销该学籍注册")])
        parts.append(emit(hit, "roster", msg, field="program_years", key=_student_key(cols, "years")))
    return pl.concat(parts)


# ------------------------------------------------------------------ R106
@rule(
    "R106", severity="warning", title="弹性学制/学分制学生注册为全日制", title_en="flexible/credit-system student coded full-time",
    clause="二（二）", needs={"roster": ("schooling_system", "study_mode")},
    what="学制类型为弹性学制或学分制，而学习形式为全日制。学制类型和学习形式是注册时的情况，毕业、退学等已不在籍的学生也判断。",
    why="采用弹性学制、学分制开展的非全日制教育须单独注册，与全日制学籍区分（二（二））。",
    example="学制类型「弹性学制」、学习形式「全日制」→ R106。",
)
def flexible_system_full_time(ctx: Context) -> pl.LazyFrame:
    cols = ctx.columns("roster")
    flagged = ctx.lf("roster").filter(
        pl.col("schooling_system").is_in(FLEXIBLE_SYSTEMS) & (pl.col("study_mode") == FULL_TIME))
    msg = pl.concat_str([
        pl.lit("学制类型为「"), _written(cols, "schooling_system"),
        pl.lit("」而学习形式为全日制：采用弹性学制、学分制开展的非全日制教育须单独注册、与全日制学籍区分，"
               "请核实学习形式"),
    ])
    return emit(flagged, "roster", msg, field="study_mode", key=_student_key(cols))


# ------------------------------------------------------------------ R107
def whole_years(born: pl.Expr, on: pl.Expr) -> pl.Expr:
    """Age in whole years on a date (the birthday itself completes the year)."""
    before_birthday = (on.dt.month().cast(pl.Int32) * 100 + on.dt.day()) < (
        born.dt.month().cast(pl.Int32) * 100 + born.dt.day())
    return on.dt.year() - born.dt.year() - before_birthday.cast(pl.Int32)


@rule(
    "R107", severity="warning", title="大龄全日制学生", title_en="over-age full-time student",
    clause="四（一）", needs={"roster": ("id_number", "enroll_date", "study_mode")},
    what="按身份证号中的出生日期计算，入学时已满 over_age 周岁（默认 25）的全日制学生。生日当天算满；入学日期只有年月时按当月 1 日。",
    why="大龄全日制学生多为在职人员，是通知要求加大审核力度的对象（四（一））。",
    example="1998-05-01 出生、2024-09-01 入学（26 周岁）→ R107。",
)
def over_age_full_time(ctx: Context) -> pl.LazyFrame:
    cols = ctx.columns("roster")
    limit = ctx.policy.over_age
    maybe_full_time = pl.col("study_mode").fill_null(FULL_TIME) == FULL_TIME
    note_unjudged(ctx, "R107", "roster", {
        "证件号码无效或不是居民身份证（无出生日期）": maybe_full_time & pl.col("id_number__birth").is_null()
        & pl.col("id_number__raw").is_not_null(),
        **{k: maybe_full_time & e for k, e in unreadable("roster", cols, "enroll_date", "study_mode").items()},
    })
    age = whole_years(pl.col("id_number__birth"), pl.col("enroll_date"))
    flagged = ctx.lf("roster").with_columns(_age=age).filter(
        (pl.col("study_mode") == FULL_TIME) & (pl.col("_age") >= limit))
    ym = _col(cols, "enroll_date__ym", pl.Boolean).fill_null(False)
    msg = pl.concat_str([
        pl.lit("按身份证号中的出生日期计算，入学时（入学日期 "), _day(pl.col("enroll_date")), pl.lit("）已满 "),
        pl.col("_age").cast(pl.String), pl.lit(f" 周岁，达到大龄标准 {limit} 周岁"),
        pl.when(ym).then(pl.lit("（入学日期只有年月，按当月 1 日计算）")).otherwise(pl.lit("")),
        pl.lit("：全日制学籍需加大审核力度，请核实是否确为全日制在校学习"),
    ])
    return emit(flagged, "roster", msg, field="enroll_date", key=_student_key(cols))


# ------------------------------------------------------------------ R108
@rule(
    "R108", severity="error", title="新生学籍注册逾期", title_en="late new-student registration", across=True, uses=("changes",),
    clause="二（一）", needs={"roster": ("register_date", "enroll_date")},
    what="注册日期晚于入学学期的注册截止日（春季 04-20，秋季 10-20；入学月份 1–6 为春季、7–12 为秋季；策略文件 [deadlines] 可改）。截止日当天注册不算逾期。"
         "只查新生注册：转入的学生不判断。以下都算转入（按身份证号、没有时按学籍号认人；异动的学校取其学校列，没有时取异动表标题或文件名写明的学校；"
         "学校名称末尾括号中的校区不计；不论审批状态）：学籍状态写的是转入（含系统内转入、系统外转入）；"
         "学籍异动记录中有该生转入本校的异动（异动和名册都有学校时须是本校），日期不晚于注册日期；"
         "本校的「转学」异动日期不晚于注册日期（先转学后注册，是转来的）；"
         "该生在另一所学校有转出、转学异动（两边学校都写明），日期不晚于注册日期；"
         "另一所学校的名册中该生的学籍状态为转出、转学。"
         "转入本校的异动日期在注册日期之后一个月（31 天）内的，无法确定这次注册是否为转入办理（转入的审批可能晚于注册），计入未能判断的行；"
         "晚一个月以上的，这次注册不是为那次转入办理的，照常判断；"
         "入学日期早于身份证号（或出生日期列）中的出生日期的，入学日期有误，也计入未能判断的行（R111 报出）。"
         "转入学生的注册日期是转入时办理的，晚于入学学期的截止日是正常的。",
    why="新生学籍须按时注册；逾期补录是虚假学籍的信号（二（一））。",
    example="2024-09-01 入学、2024-10-28 注册 → R108（逾期 8 天）；10-20 当天注册不报；"
            "2023-09-01 入学、2024-03-08 转入本校、2024-03-12 注册 → 不报；"
            "西城技工学校名册中该生为「转出」、东方技工学校 2025-03-12 注册 → 不报。",
)
def late_registration(ctx: Context) -> pl.LazyFrame:
    """register_date after the intake term's deadline (months 1–6 spring, 7–12 autumn), for new
    students only: a student transferred in (`transferred_in`) registered at this school when
    the transfer was made, not as a new student."""
    cols = ctx.columns("roster")
    note_unjudged(ctx, "R108", "roster", unreadable("roster", cols, "register_date", "enroll_date"))
    years = ctx.lf("roster").select(pl.col("enroll_date").dt.year().drop_nulls().unique().sort()) \
        .collect().to_series().to_list()
    deadlines = pl.LazyFrame(
        [(y, s, ctx.policy.deadline("registration", s, y)) for y in years for s in ("spring", "autumn")],
        schema={"_year": pl.Int32, "_season": pl.String, "_deadline": pl.Date}, orient="row",
    )
    lf = ctx.lf("roster").filter(pl.col("register_date").is_not_null() & pl.col("enroll_date").is_not_null())
    # an enrolment before the birth the ID number (or 出生日期) gives is a wrong date (2004 typed
    # for 2024): no deadline is counted from it (R111 reports the pair)
    birth = pl.coalesce(_col(cols, "id_number__birth", pl.Date), _col(cols, "birth_date", pl.Date))
    lf = lf.with_columns(
        _year=pl.col("enroll_date").dt.year().cast(pl.Int32),
        _season=pl.when(pl.col("enroll_date").dt.month() <= 6).then(pl.lit("spring")).otherwise(pl.lit("autumn")),
        _unborn=(pl.col("enroll_date") < birth).fill_null(False),
    ).join(deadlines, on=["_year", "_season"], how="left")
    # the late rows first (few), then those transferred in taken out: the anti-join's left side
    # is then the late rows, not the whole roster
    # (collected here, one streaming pass: the late rows are few, and every test of a transfer
    # below then runs on them alone, not on a plan that reads the roster again beside the others)
    late = lf.filter(pl.col("register_date") > pl.col("_deadline")).collect(engine="streaming").lazy()
    came, later = transferred_in(ctx, late)
    late = late.join(came, on=["_tid", "_row"], how="anti") \
        .join(later.with_columns(_later=pl.lit(True)), on=["_tid", "_row"], how="left")
    note_unjudged(ctx, "R108", "roster", {
        "入学日期早于身份证号中的出生日期（入学日期有误）": pl.col("_unborn"),
        "转入本校的异动日期在注册日期之后一个月内（无法确定注册是否为这次转入办理）": pl.col("_later").fill_null(False)
        & ~pl.col("_unborn")}, frame=late)
    flagged = late.filter(~pl.col("_unborn") & pl.col("_later").is_null()).with_columns(
        _late=(pl.col("register_date") - pl.col("_deadline")).dt.total_days())
    msg = pl.concat_str([
        pl.lit("入学日期 "), _day(pl.col("enroll_date")), pl.lit("（"), pl.col("_year").cast(pl.String),
        pl.when(pl.col("_season") == "spring").then(pl.lit(" 年春季")).otherwise(pl.lit(" 年秋季")),
        pl.lit("入学），注册日期 "), _day(pl.col("register_date")), pl.lit("，晚于新生学籍注册截止日 "),
        _day(pl.col("_deadline")), pl.lit("（逾期 "), pl.col("_late").cast(pl.String),
        pl.lit(" 天）：请查明逾期注册原因，核实是否为虚假或补录学籍"),
    ])
    return emit(flagged, "roster", msg, field="register_date", key=_student_key(cols))


# 参保险种 that cover students, not workers: the work-injury cover of interns (实习生参加工伤保险)
# and students' own insurance (学生医保, 城乡居民医保, 学平险); 参保状态 that end the cover.
STUDENT_COVER = r"实习|学生|学平|城乡居民|居民医疗|居民医保|少儿"
COVER_ENDED = r"停保|暂停|终止|中断|退保|注销|已停|停止"


def _employed_now(emp_cols: list[str]) -> pl.Expr:
    """Rows of the 在职参保名单 that say the person works now: not a student's or intern's cover
    (参保险种 STUDENT_COVER), not a cover that has ended (参保状态 COVER_ENDED). Without those
    columns every row does."""
    ok = pl.lit(True)
    if "insurance_type" in emp_cols:
        ok = ok & ~pl.col("insurance_type").str.contains(STUDENT_COVER).fill_null(False)
    if "insurance_status" in emp_cols:
        ok = ok & ~pl.col("insurance_status").str.contains(COVER_ENDED).fill_null(False)
    return ok


TRANSFER_IN = ("转入", "系统内转入", "系统外转入")  # change types (schemas/changes.toml) of a transfer in
TRANSFER_OUT = ("转出", "系统内转出", "系统外转出", "转学")  # a transfer out of the school the change is at
LEFT_BY_TRANSFER = ("转出", "转学")  # roster statuses of a student who left by transfer
TRANSFER_LAG_DAYS = 31  # a 转入 approved up to a month after the registration made for it


def transferred_in(ctx: Context, among: pl.LazyFrame) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """The roster rows (`_tid`, `_row`) of students who came by transfer, and those of students
    with a 转入 change at their school dated after their 注册日期, by at most TRANSFER_LAG_DAYS (a
    transfer the registration may or may not have been for: not judged). A student came by
    transfer when:

    - the row's status is written 转入 (the status list reads it as 在校, `status__raw` keeps it);
    - a 转入 change of the same person (`changes.with_person`: the document, else the 学籍号) is
      at the row's school when both name one (the change's school column, else the school its
      table is charged to; a change without a school, or a row without one, matches any), dated on
      or before the row's 注册日期 when both are known;
    - a 转学 change at the row's school dated on or before its 注册日期 (both known): the student
      was registered here after moving, so the 转学 brought them here;
    - a 转出 or 转学 change of the same person at another school (both schools known), dated on or
      before the row's 注册日期 when both are known;
    - another roster row of the same person, at another school, says 转出 or 转学.

    Schools are compared without a bracketed campus (`schools.school_base`). Only the rows of
    `among` (roster rows with their fields: the late ones, few) are looked at: a province's roster
    is not joined with itself."""
    ix = ["_tid", "_row"]
    cols = ctx.columns("roster")
    parts = []
    later = []
    mine = among
    if "status__raw" in cols:
        parts.append(mine.filter(pl.col("status__raw").str.contains("转入").fill_null(False)).select(ix))
    known_apart = pl.col("_to").is_not_null() & pl.col("_at").is_not_null() & (pl.col("_to") != pl.col("_at"))
    not_after = (pl.col("_on") <= pl.col("_reg")).fill_null(True)
    at = {"_at": school_base(_col(cols, "school_name")), "_reg": _col(cols, "register_date", pl.Date)}
    if ctx.has("changes", "change_type"):
        rows = with_person(ctx, "roster", mine).filter(pl.col("_person").is_not_null()).select(*ix, "_person", **at)
        ccols = ctx.columns("changes")
        # the school a change is at: its school column, else the school its table is charged to
        # (the title 西山技工学校2025年春季学期学籍异动记录)
        table_school = {tid: s for tid, s in ctx.table_school.items() if s not in (UNNAMED, SEVERAL)}
        to = school_base(pl.coalesce(_col(ccols, "school_name"),
                                     pl.col("_tid").replace_strict(table_school, default=None, return_dtype=pl.String)))
        when = _col(ccols, "occurred_date", pl.Date)
        moves = (with_person(ctx, "changes")
                 .filter(pl.col("change_type").is_in([*TRANSFER_IN, *TRANSFER_OUT]) & pl.col("_person").is_not_null())
                 .select("_person", "change_type", _to=to, _on=when).unique())
        pairs = rows.join(moves, on="_person", how="inner")
        here = pl.col("_to").is_null() | pl.col("_at").is_null() | (pl.col("_to") == pl.col("_at"))
        came = pl.col("change_type").is_in(TRANSFER_IN) & here
        parts.append(pairs.filter(
            (came & not_after)
            | ((pl.col("change_type") == "转学") & here & (pl.col("_on") <= pl.col("_reg")).fill_null(False))
            | (pl.col("change_type").is_in(TRANSFER_OUT) & known_apart & not_after)).select(ix))
        # a 转入 here within a month after the registration: the registration may have been made
        # for it, while the approval came later: not judged. Later than that, the registration
        # was not made for it (a late new student who left and came back): judged.
        soon = (pl.col("_on") <= pl.col("_reg") + pl.duration(days=TRANSFER_LAG_DAYS)).fill_null(False)
        later.append(pairs.filter(came & ~not_after & soon).select(ix))
    if "status" in cols:
        # (rosters to rosters: the document, else the 学籍号; the map of 学籍号 to documents over
        # every table `with_person` builds is not needed here, and held half a gigabyte at 1M rows)
        person = pl.coalesce(_col(cols, "id_number__key"), pl.lit("SID:") + sid_same(_col(cols, "student_id")))
        gone = ctx.lf("roster").filter(pl.col("status").is_in(LEFT_BY_TRANSFER)
                                       | _col(cols, "status__raw").str.contains("转出|转学").fill_null(False))
        left = gone.select(_person=person, _to=school_base(_col(cols, "school_name"))) \
            .filter(pl.col("_person").is_not_null()).unique()
        here = mine.select(*ix, _person=person, **at).filter(pl.col("_person").is_not_null())
        parts.append(here.join(left, on="_person", how="inner").filter(known_apart).select(ix))
    empty = ctx.lf("roster").select(ix).clear()
    return (pl.concat(parts).unique() if parts else empty), (pl.concat(later).unique() if later else empty)


# ------------------------------------------------------------------ R109
@rule(
    "R109", severity="warning", title="提前毕业或毕业无照片", title_en="graduation before the programme ends / without photo",
    clause="二（四）", needs={"roster": ("status",)},
    what="状态为毕业，而毕业日期早于「入学日期 + 学制」超过 graduation_tolerance_days 天（默认 92 天）；或状态为毕业而毕业照片为空或为否、无、未采集、待采集（有该列时；是、已拍照、照片已上传、照片文件名等为有照片）。",
    why="未修完学制提前毕业、没有毕业照片的毕业生需要核实（二（四））。容差放宽到 92 天：只容许 31 天会把 9 月入学、6–7 月正常毕业的学生全部标出。",
    example="2022-09-01 入学、学制 3 年、2024-01-15 毕业（提前约一年半）→ R109；2025-07-01 毕业不报。",
)
def early_graduation(ctx: Context) -> pl.LazyFrame | None:
    """毕业 before enroll_date + program_years (policy graduation_tolerance_days), or 毕业 without a photo."""
    tolerance = ctx.policy.graduation_tolerance_days
    cols = ctx.columns("roster")
    can_date = {"graduation_date", "enroll_date", "program_years"} <= set(cols)
    can_photo = "graduation_photo" in cols
    if not (can_date or can_photo):
        return _skip(ctx, "R109", "学籍名册缺少列：毕业日期、毕业照片")
    grads = ctx.lf("roster").filter(pl.col("status") == GRADUATED)
    parts: list[pl.LazyFrame] = []
    if can_date:
        months = (pl.col("program_years") * 12).round(0).cast(pl.Int64)
        due = pl.col("enroll_date").dt.offset_by(pl.format("{}mo", months))
        early = grads.with_columns(_due=due).with_columns(
            _early=(pl.col("_due") - pl.col("graduation_date")).dt.total_days(),
        ).filter(pl.col("_early") > tolerance)
        msg = pl.concat_str([
            pl.lit("入学日期 "), _day(pl.col("enroll_date")), pl.lit("，学制 "), _num(pl.col("program_years")),
            pl.lit(" 年，应在 "), _day(pl.col("_due")), pl.lit(" 前后毕业，毕业日期 "), _day(pl.col("graduation_date")),
            pl.lit(" 提前了 "), pl.col("_early").cast(pl.String),
            pl.lit(f" 天（超过 {tolerance} 天容差）：请核实是否未修完学制提前毕业"),
        ])
        parts.append(emit(early, "roster", msg, field="graduation_date", key=_student_key(cols, "date")))
    if can_photo:
        raw = nz.clean_text(pl.col("graduation_photo"))
        missing = grads.filter(nz.photo_missing(pl.col("graduation_photo")))
        msg = pl.concat_str([
            pl.lit("学籍状态为毕业，但毕业照片"),
            pl.when(raw.is_null()).then(pl.lit("未填写")).otherwise(pl.concat_str([pl.lit("为「"), raw, pl.lit("」")])),
            pl.lit("：毕业生须有毕业照片，请补传照片后再办理毕业"),
        ])
        parts.append(emit(missing, "roster", msg, field="graduation_photo", key=_student_key(cols, "photo")))
    return pl.concat(parts)


# ------------------------------------------------------------------ R110
BIG_CLUSTER = 10  # from this many students on one contact the message names the likelier owners


def _address_contacts(ctx: Context, lf: pl.LazyFrame, cols: list[str]) -> pl.LazyFrame:
    """The rows with a comparable home address, each with `_contact`: city|district|rest
    (normalize.address_parts). A warning about a cluster must not join different cities, and
    missing a match is the lesser harm, so a part that is not written is filled in only where
    that is unambiguous: an address without its city (金水区文化路8号) is compared only within
    its school (its school name, else the table's school, else its table), and takes the city
    that the same rest of address has in that school when there is exactly one; an address
    without its district (郑州市文化路8号) takes the district that the same city and rest have
    when there is exactly one (郑州市金水区文化路8号), and stays apart when there are two."""
    own = {int(k): v for k, v in ctx.table_school.items() if v and v != UNNAMED}
    table_school = pl.col("_tid").cast(pl.Int64).replace_strict(own, default=None, return_dtype=pl.String) \
        if own else pl.lit(None, pl.String)
    school = pl.coalesce(_col(cols, "school_name"), table_school,
                         pl.lit("表") + pl.col("_tid").cast(pl.String))
    parts = pl.col("_parts").struct  # computed once (a UDF is not shared between expressions)
    lf = lf.with_columns(_parts=nz.address_parts(pl.col("address")), _sch=school).with_columns(
        _ap=parts.field("prefecture"), _ad=parts.field("district"), _ar=parts.field("rest")
    ).drop("_parts").filter(pl.col("_ar").is_not_null())
    ix = ["_file", "_sheet", "_row"]  # a row (the frame's order is not stable across lazy branches)
    # the city, for an address without one: the one city the same rest has in its school
    cities = lf.filter(pl.col("_ap").is_not_null()).select("_sch", "_ar", _cd=pl.col("_ad"), _cp=pl.col("_ap")).unique()
    adopt = (lf.filter(pl.col("_ap").is_null()).select(*ix, "_sch", "_ar", "_ad").join(cities, on=["_sch", "_ar"])
             .filter(pl.col("_ad").is_null() | pl.col("_cd").is_null() | (pl.col("_ad") == pl.col("_cd")))
             .group_by(ix).agg(_np=pl.col("_cp").n_unique(), _p1=pl.col("_cp").first())
             .filter(pl.col("_np") == 1).select(*ix, "_p1"))
    lf = lf.join(adopt, on=ix, how="left", maintain_order="left").with_columns(
        _scope=pl.coalesce(pl.col("_ap"), pl.col("_p1"), pl.lit("校:") + pl.col("_sch")))
    # the district, for an address without one: the one district the same city and rest have
    districts = lf.filter(pl.col("_ad").is_not_null()).select("_scope", "_ar", _dd=pl.col("_ad")).unique()
    fill = (lf.filter(pl.col("_ad").is_null()).select(*ix, "_scope", "_ar").join(districts, on=["_scope", "_ar"])
            .group_by(ix).agg(_nd=pl.col("_dd").n_unique(), _d1=pl.col("_dd").first())
            .filter(pl.col("_nd") == 1).select(*ix, "_d1"))
    lf = lf.join(fill, on=ix, how="left", maintain_order="left")
    contact = pl.concat_str([pl.col("_scope"), pl.coalesce(pl.col("_ad"), pl.col("_d1"), pl.lit("")), pl.col("_ar")],
                            separator="|")
    return lf.with_columns(_contact=contact).drop("_ap", "_ad", "_ar", "_sch", "_p1", "_scope", "_d1")


@rule(
    "R110", severity="warning", title="联系方式聚集", title_en="contact cluster", clause="二（三）四（一）", across=True,
    needs={"roster": ("status",)},
    what="同一联系电话或同一家庭住址登记给超过 contact_cluster_max 名（默认 3）在校/休学的不同学生，同校或跨校。每行都报，"
         "写明人数并列出其他学生所在的行（不显示电话和住址）。电话比较前统一全半角，去掉空格、连字符、括号和 +86/0086，"
         "一格写两个号码（父亲的、母亲的）分别比较，没有区号的固话只在同一学校内比较；住址比较前去掉标点和开头的省名，"
         "保留市名（不同城市的同一门牌不算同一住址），号楼/幢算栋、# 算号、三单元算 3单元，12号3栋2单元501室 = 12#3-2-501；"
         "没写市名的住址只在同一学校内比较（同校同一门牌只有一个城市时按该城市），没写区名的按同市同一门牌唯一的区比较。不比较：空值和占位值（无、/、0、"
         "13800000000 这类同一数字重复或连续数字的号码），没有门牌号或房号的住址（只写到村、组、街道，同村的人家本来就相同），"
         "写明学校、宿舍、集体户或儿童福利院、SOS 儿童村、救助保护机构的住址（住校生、集体户口、福利机构抚养的儿童本来就共用）。需要联系电话或家庭住址列。",
    why="公开查处的虚假学籍案件中，大量「学生」登记的是中介或学校人员的同一个电话、同一个地址；学校登记的电话也是核实学生"
        "是否真实在校的途径。兄弟姐妹会共用家长的电话和住址，所以阈值可在策略文件中调整，提示只要求核实，不认定为造假"
        "（二（三）、四（一））。学校把本校电话登记给每个住校生时，会报出很多行：这同样使电话无法用于核实，消息会说明。",
    example="4 名不同学生登记同一手机号（一行写作 138 1234 5678，一行写作 +86-13812345678）→ 4 行都报；"
            "一对双胞胎和姐姐（3 人）共用父母的电话和住址 → 不报。",
)
def contact_cluster(ctx: Context) -> pl.LazyFrame | None:
    cols = ctx.columns("roster")
    if "phone" not in cols and "address" not in cols:
        ctx.options["skip:R110"] = "学籍名册缺少列：联系电话、家庭住址"
        return None
    limit = ctx.policy.contact_cluster_max
    fallback = pl.concat_str([pl.lit("ROW:"), pl.col("_file"), pl.col("_sheet"), pl.col("_row").cast(pl.String)],
                             separator="#")
    base = with_person(ctx, "roster").filter(pl.col("status").is_in(ACTIVE)).with_columns(
        _person=pl.coalesce(pl.col("_person"), fallback))
    school = _col(cols, "school_name").fill_null("")
    parts: list[pl.LazyFrame] = []
    for field, title in (("phone", "联系电话"), ("address", "家庭住址")):
        if field not in cols:
            continue
        if field == "phone":
            lf = base.with_columns(_v=nz.phone_numbers(pl.col("phone"))).with_columns(_nums=pl.col("_v").list.len()) \
                .explode("_v").filter(pl.col("_v").is_not_null())
            lf = lf.with_columns(_contact=pl.when(nz.phone_is_local(pl.col("_v")))
                                 .then(pl.concat_str([pl.lit("L:"), school, pl.lit("|"), pl.col("_v")]))
                                 .otherwise(pl.col("_v")))
            which = pl.when(pl.col("_nums") > 1).then(pl.lit("联系电话中的一个号码")).otherwise(pl.lit("联系电话"))
            likely = "学校、班主任或代报名中介的电话，而不是学生本人或监护人的"
            family = "兄弟姐妹共用家长的电话"
        else:
            lf = _address_contacts(ctx, base, cols)
            which = pl.lit("家庭住址")
            likely = "代报名中介或学校人员的地址，而不是学生的家"
            family = "兄弟姐妹同住"
        lf = lf.unique(["_contact", "_person", "_file", "_sheet", "_row"], keep="first", maintain_order=True)
        crowded = lf.group_by("_contact").agg(_k=pl.col("_person").n_unique()).filter(pl.col("_k") > limit)
        rows = others_by_person(lf.join(crowded.select("_contact"), on="_contact", how="semi"), "_contact", who(cols, multi_sheet_files(ctx)))
        n = pl.col("_n").cast(pl.String)
        msg = pl.concat_str([
            which, pl.lit("与另外 "), (pl.col("_n") - 1).cast(pl.String), pl.lit(" 名在校/休学学生相同（共 "), n,
            pl.lit(f" 人，超过 {limit} 人）："), pl.col("_others"), pl.lit("。"),
            pl.when(pl.col("_n") >= BIG_CLUSTER).then(pl.lit(f"这么多学生共用一个{title}，像是{likely}；"))
            .otherwise(pl.lit(f"可能是{family}，也可能是代报名登记的同一{title}；")),
            pl.lit(f"这不能说明学籍造假，请逐一核实这些学生是否真实在校、{title}是否为学生本人或监护人的"),
        ])
        key = pl.concat_str([_student_key(cols, field), pl.col("_contact")], separator="|")
        parts.append(emit(rows, "roster", msg, field=field, key=key))
    return pl.concat(parts)


# ------------------------------------------------------------------ R111
# Documents whose numbers are in the GB 11643 space but are no resident ID: 港澳台居民居住证
# (810000/820000/830000, 国办发〔2018〕81号) and the 2023 外国人永久居留身份证 (first digit 9).
NOT_RESIDENT_PREFIX = r"^(9|8[123])"
# 学籍号 of the 全国中小学生学籍信息管理系统 built for a student without an ID number: L (临时学籍号)
# and J, each followed by a number made by the ID number's rule that is no ID number.
TEMPORARY_SID = r"^[LJ]\d{17}[\dX]$"


@rule(
    "R111", severity="warning", title="证件号码不可核验", title_en="ID number no person can hold",
    clause="二（一）二（三）", needs={"roster": ("id_number",)},
    what="校验位正确的 18 位居民身份证号（含 15 位旧号升位后），却不可能属于任何人："
         "(1) 地址码（前 6 位）从未出现在任何版本的 GB/T 2260 行政区划代码中——代码表取自 python-stdnum 收录的 1980 年以来各年代码"
         "（`stdnum.cn.ric.get_birth_place` 所用的数据），补上了其中缺少的 2021 年新设的 330113 临平区、330114 钱塘区；"
         "已撤销的旧代码（如 110103 崇文区，2010 年撤销）仍算有效，000000 这类占位地址码算从未分配；"
         "(2) 号码中的出生日期晚于入学日期（早于 1900 年或晚于检查日的已由 S003 报出）；"
         "(3) 号码与本行学籍号去掉首字母后相同，而学籍号以 L 或 J 开头：按全国中小学生学籍信息管理系统的学籍号规则，"
         "L 字头临时学籍号和 J 字头学籍号是为暂无身份证号的学生按身份证号编码规则生成的，与身份证号没有对应关系"
         "（G 字头学籍号是「G + 身份证号」，不报）。"
         "只认以上可查证的形式。港澳台居民居住证（810000/820000/830000 开头）、2023 年版外国人永久居留身份证（9 开头）"
         "和证件类型不是居民身份证的号码不在此列。",
    why="校验位可以随手算出来，能通过校验的号码不一定真实存在；地址码不存在、出生在入学之后、借用临时学籍号的号码"
        "都无法对应到真人，是虚假学籍的信号，也使查重失效（二（一）、二（三））。学生可能确实还没有身份证号，所以只提示核实。",
    example="号码以 000000 开头且校验位正确 → R111；以 110103（崇文区）开头的 1985 年出生者的号码 → 不报；"
            "学籍号 L410105200801011234、身份证号 410105200801011234 → R111。",
)
def unverifiable_id(ctx: Context) -> pl.LazyFrame | None:
    cols = ctx.columns("roster")
    key = pl.col("id_number__key")
    doc = _col(cols, "id_number__doc")
    resident = (doc.is_null() | (doc == nz.RESIDENT_ID)) & (pl.col("id_number__status") == "ok") \
        & key.str.contains(r"^\d{17}[\dX]$").fill_null(False) & ~key.str.contains(NOT_RESIDENT_PREFIX).fill_null(True)
    area_bad = ~nz.area_code_assigned(key)
    enrol = _col(cols, "enroll_date", pl.Date)
    # a year-month enrolment date (the 1st of its month) counts to the month's end
    enrol_last = pl.when(_col(cols, "enroll_date__ym", pl.Boolean).fill_null(False)).then(enrol.dt.month_end()) \
        .otherwise(enrol)
    born_late = (pl.col("id_number__birth") > enrol_last).fill_null(False)
    sid = _col(cols, "student_id").str.to_uppercase()
    from_sid = (sid.str.contains(TEMPORARY_SID) & (sid.str.slice(1) == key)).fill_null(False)
    note_unjudged(ctx, "R111", "roster", {k: resident & e for k, e in unreadable("roster", cols, "enroll_date").items()})
    lf = ctx.lf("roster").with_columns(_area=area_bad, _born=born_late, _sid=from_sid).filter(
        resident & (pl.col("_area") | pl.col("_born") | pl.col("_sid")))
    reasons = pl.concat_str([
        pl.when(pl.col("_area")).then(pl.concat_str([
            pl.lit("地址码 "), key.str.slice(0, 6),
            pl.lit(" 不在 1980 年以来各版 GB/T 2260 行政区划代码中（本工具的代码表；近年新设的区县如有遗漏，请以公安机关核实为准）")])),
        pl.when(pl.col("_born")).then(pl.concat_str([
            pl.lit("号码中的出生日期 "), _day(pl.col("id_number__birth")), pl.lit(" 晚于入学日期 "), _day(enrol)])),
        pl.when(pl.col("_sid")).then(pl.concat_str([
            pl.lit("号码与本行的 "), sid.str.slice(0, 1),
            pl.lit(" 字头学籍号相同（这类学籍号是为暂无身份证号的学生按身份证号编码规则生成的，不是身份证号）")])),
    ], separator="；", ignore_nulls=True)
    msg = pl.concat_str([
        pl.lit("身份证号 "), mask_id(key), pl.lit(" 的校验位正确，但"), reasons,
        # the L/J 学籍号 is certain; the code table can be incomplete; a birth after enrolment may
        # be a wrong 入学日期 (2004 typed for 2024) as well as a wrong number
        pl.when(pl.col("_sid")).then(pl.lit("：这个号码对应不到真实的人"))
        .when(pl.col("_area")).then(pl.lit("：这个号码很可能对应不到真实的人"))
        .otherwise(pl.lit("：身份证号和入学日期至少有一个是错的（也可能是入学日期录错了年份）")),
        pl.lit("。请与学生的居民身份证或户口簿核对后更正"),
        pl.when(pl.col("_born") & ~pl.col("_sid") & ~pl.col("_area")).then(pl.lit("，并核对入学日期"))
        .otherwise(pl.lit("")),
        pl.lit("；学生确无身份证号的，请先办理再注册学籍"),
    ])
    return emit(lf, "roster", msg, field="id_number", key=_student_key(cols, "R111"))


# ------------------------------------------------------------------ R112
GONE = ("退学", "转出", "转学", "毕业", "结业", "开除", "死亡")  # a photo can no longer be taken


def checked_term(ctx: Context) -> tuple[int, str]:
    """(year, "spring"/"autumn") of the term `as_of` falls in, by the policy's [terms]: autumn
    runs from its start to the day before the next spring starts."""
    y = ctx.as_of.year
    if ctx.as_of >= ctx.policy.term_start("autumn", y):
        return y, "autumn"
    if ctx.as_of >= ctx.policy.term_start("spring", y):
        return y, "spring"
    return y - 1, "autumn"


@rule(
    "R112", severity="warning", title="新生无学籍照片", title_en="new student without a registration photo",
    clause="二（一）", needs={"roster": ("photo", "enroll_date")},
    what="学籍名册有学籍照片列时，入学学期就是检查学期的新生，照片为空或为否、无、未采集、待采集。检查学期是检查日（--as-of）"
         "所在的学期（按策略文件 [terms]，默认 03-01 起为春季、09-01 起为秋季）；入学学期按入学月份，1–6 月为春季、"
         "7–12 月为秋季（与 R108 相同）。照片列写是、已采集或照片文件名的，视为有照片；已退学、转出、开除等不在校的学生不报"
         "（已无法补采照片）。",
    why="新生注册学籍须采集照片，照片用于人像比对、核实学生确实存在、确实在校（二（一））；注册当学期没有照片的新生最值得核实。",
    example="--as-of 2024-11-29（2024 年秋季学期），2024-09-01 入学的学生照片为「否」→ R112；"
            "同一名册中 2023 年入学、照片为空的学生不报。",
)
def new_student_without_photo(ctx: Context) -> pl.LazyFrame | None:
    cols = ctx.columns("roster")
    year, season = checked_term(ctx)
    note_unjudged(ctx, "R112", "roster", unreadable("roster", cols, "enroll_date"))
    e = pl.col("enroll_date")
    intake = (e.dt.year() == year) & ((e.dt.month() <= 6) == (season == "spring"))
    gone = pl.col("status").is_in(GONE).fill_null(False) if "status" in cols else pl.lit(False)
    lf = ctx.lf("roster").filter(intake.fill_null(False) & ~gone & nz.photo_missing(pl.col("photo")))
    term = f"{year} 年{'春季' if season == 'spring' else '秋季'}学期"
    photo = nz.clean_text(pl.col("photo"))
    msg = pl.concat_str([
        pl.lit(f"{term}入学的新生（入学日期 "), _day(e), pl.lit(f"；检查日 {ctx.as_of.isoformat()} 在该学期），学籍照片"),
        pl.when(photo.is_null()).then(pl.lit("为空")).otherwise(pl.concat_str([pl.lit("为「"), photo, pl.lit("」")])),
        pl.lit("：新生注册须采集学籍照片，请补采照片，并核实该生是否真实在校"),
    ])
    return emit(lf, "roster", msg, field="photo", key=_student_key(cols, "photo", f"{year}{season}"))
