"""Fee waiver and grant rules 免学费和助学金 (notice 三): A301–A312.

The aid table is joined once to the roster by the normalised ID number, then (for the rows not
found) by 学籍号; when one key matches several roster rows the row of the same school that is
at school wins. The join is collected once per run and shared by the rules.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from xueji_check import normalize as nz
from xueji_check.engine import ROSTERS_NOT_CHECKED, Context, note_unjudged, unreadable
from xueji_check.findings import emit
from xueji_check.normalize import mask_id
from xueji_check.registry import rule
from xueji_check.rules.changes import (
    LEAVING,
    NOT_HAPPENED,
    day,
    money,
    multi_sheet_files,
    others_by_person,
    place,
    row_ref,
    sid_same,
    student_key,
    term_text,
    who,
    with_person,
)
from xueji_check.schools import SEVERAL, UNNAMED, school_base
from xueji_check.spec import load_kind, normalise_header

GRANT, WAIVER = "国家助学金", "免学费"
# Roster statuses under which a student is no longer enrolled, and the change types that end it.
GONE_STATUSES = ("退学", "转出", "转学", "毕业", "结业", "开除", "死亡")
GONE_CHANGES = ("退学", "转出", "转学", "系统内转出", "系统外转出", "开除", "死亡")
TRAINING = ("短期培训", "职业培训")
# The approval status of a refused application (schemas/aid.toml `approval_status`: 不通过, 驳回,
# 退回, 审核不通过, 不予受理 … all read as 未通过), and the statuses under which nothing may be paid.
REFUSED = ("未通过",)
PENDING = ("待审核", *REFUSED)
ROSTER_FIELDS = ("status", "study_mode", "class_type", "enroll_date", "graduation_date", "school_name",
                 "_file", "_sheet", "_row", "_key")
CACHE = "_cache:aid_roster"
# The card-number fields of an aid row, in the order a row's card is taken (schemas/aid.toml).
CARD_FIELDS = ("card_number", "ss_card_number")
# appended to the `what` of every rule that skips a refused, unpaid application (`refused_unpaid`)
NOT_REFUSED = ("审批状态为未通过（不通过、驳回、退回、不予受理等）且没有发放（发放日期为空，或写明未发放、待发放、暂缓发放、停发、取消发放等）"
               "的申请不判断：申请已被拒绝，没有发放资金。")


_SAID_UNPAID = r"^\s*$|^(?:未|无|不|否|没有|暂未|尚未|待|暂缓|缓发|停发|取消)"


def _not_paid(cols: list[str]) -> pl.Expr:
    """True where the table has a 发放日期 column and this row shows no payment: the date empty,
    or a text that says it was not paid (未发放, 无, 待发放, 暂缓发放, 停发, 取消发放; 已发放（日期
    不详） was paid). False when the table has no such column (nothing says it was not paid)."""
    if "pay_date" not in cols:
        return pl.lit(False)
    raw = pl.col("pay_date__raw") if "pay_date__raw" in cols else pl.lit(None, pl.String)
    said_unpaid = raw.str.contains(_SAID_UNPAID).fill_null(True)
    return pl.col("pay_date").is_null() & said_unpaid


def refused_unpaid(cols: list[str]) -> pl.Expr:
    """Boolean per aid row: the application was refused (审批状态 in REFUSED) and the row shows no
    payment (发放日期 empty, or a text that says it was not paid: 未发放, 无, 待发放, 停发). Nothing was awarded
    or paid, and refusing it is what the notice requires (三（一）–（三）): the rules that accuse a
    payment or an award (A301, A303–A309, A311) do not judge it. A refused row with a 发放日期 is
    judged as paid (and A312 reports it)."""
    if "approval_status" not in cols:
        return pl.lit(False)
    # (a refused row in a table without 发放日期 shows no payment either)
    unpaid = _not_paid(cols) if "pay_date" in cols else pl.lit(True)
    return (pl.col("approval_status").is_in(list(REFUSED)) & unpaid).fill_null(False)


def awarded(ctx: Context, lf: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """The aid rows (`lf`, else the normalised aid table) without the refused, unpaid applications
    (`refused_unpaid`)."""
    lf = ctx.lf("aid") if lf is None else lf
    return lf.filter(~refused_unpaid(ctx.columns("aid")))


def term_bounds(ctx: Context) -> tuple[pl.Expr, pl.Expr]:
    """(first day, last day) of the aid row's term, from the policy's [terms]."""
    (sm, sd), (am, ad) = ((int(x) for x in ctx.policy.terms[s].split("-")) for s in ("spring", "autumn"))
    y = pl.col("term_year")
    spring = pl.col("term_season") == "spring"
    start = pl.when(spring).then(pl.date(y, sm, sd)).otherwise(pl.date(y, am, ad))
    nxt = pl.when(spring).then(pl.date(y, am, ad)).otherwise(pl.date(y + 1, sm, sd))
    return start, nxt - pl.duration(days=1)


def _match_keys(cols: list[str]) -> dict[str, pl.Expr]:
    """The keys an aid row is looked up by in the roster, in order: the document (a GB 11643
    number, else type + number), the number of a non-GB document alone (a file without a
    证件类型 column, or the two files naming the type differently, still find each other: a
    passport number read as a missing student would be a false accusation), then 学籍号."""
    out: dict[str, pl.Expr] = {}
    if "id_number__key" in cols:
        key = pl.col("id_number__key")
        out["id_number__key"] = key
        number = key.str.replace(r"^[^:]*:", "")
        # an untyped 港澳 permit number with its 2-digit renewal count: the lifelong part
        number = pl.when(number.str.contains(r"^[HM]\d{10}$")).then(number.str.slice(0, 9)).otherwise(number)
        out["_doc_no"] = pl.when(key.str.contains(":")).then(number)
    if "student_id" in cols:
        sid = pl.col("student_id")
        # letters in either case: d20240007 typed for D20240007 is the same 学籍号
        out["student_id"] = sid.str.to_uppercase()
        # last: a 学籍号 of digits whose leading zeros Excel dropped (00240000 stored as 240000) is
        # the same 学籍号; read as a missing student it would accuse the school of a false 学籍
        out["_sid_digits"] = nz.student_id_digits(sid)
    return out


MATCH_LABELS = {"id_number__key": "证件号码", "_doc_no": "证件号码", "student_id": "学籍号", "_sid_digits": "学籍号"}


def with_roster(ctx: Context) -> pl.LazyFrame:
    """Every aid row (with `_aid` row index) plus the best roster row: columns r_<field>,
    `_by` (证件号码/学籍号 or null when not found), in the aid rows' order. The match is made once
    per run (`Context.shared`: `_by` and the roster's fields only) and put beside the aid rows'
    scan (a horizontal concat: both sides have one row per aid row, in the same order)."""
    if CACHE in ctx.options:
        return ctx.options[CACHE]
    acols, rcols = ctx.columns("aid"), ctx.columns("roster")
    a_keys, r_keys = _match_keys(acols), _match_keys(rcols)
    aid = ctx.lf("aid").with_row_index("_aid").with_columns(**{f"_a_{k}": e for k, e in a_keys.items()})
    present = [f for f in ROSTER_FIELDS if f in rcols]
    ro = ctx.lf("roster").with_row_index("_rix").select(
        "_rix", *[pl.col(f).alias(f"r_{f}") for f in present], *[e.alias(f"_m_{k}") for k, e in r_keys.items()])
    a_school = "school_name" in acols
    scored = [f for f in ("school_name", "status", "enroll_date") if f in present]  # what picks the best row
    same_school = (pl.col("school_name") == pl.col("r_school_name")).fill_null(False) \
        if a_school and "school_name" in present else pl.lit(False)
    at_school = pl.col("r_status").is_in(["在校", "休学"]).fill_null(False) if "status" in present else pl.lit(False)
    # A candidate's rank (lower is better): the key that found it (`_pri`), then another school,
    # then not at school, then no enrolment date; ties to the first roster row. One number per
    # candidate, its rank above the roster row's index (`_ord`), so the best per aid row is a
    # minimum and the roster row and key can be read back from it: the candidates stay three
    # narrow columns and the plan streams (no window, no join back).
    rank = (~same_school).cast(pl.Int64) * 4 + (~at_school).cast(pl.Int64) * 2
    if "enroll_date" in present:
        rank = rank + pl.col("r_enroll_date").is_null().cast(pl.Int64)
    cands, labels = [], []
    for k, label in MATCH_LABELS.items():
        if k in a_keys and k in r_keys:
            left = aid.filter(pl.col(f"_a_{k}").is_not_null()).select(
                "_aid", f"_a_{k}", *(["school_name"] if a_school else []))
            if cands:  # the later keys only for the rows the earlier ones did not find
                left = left.join(pl.concat([c.select("_aid") for c in cands]), on="_aid", how="anti")
            right = ro.filter(pl.col(f"_m_{k}").is_not_null()).select("_rix", f"_m_{k}", *[f"r_{f}" for f in scored])
            c = left.join(right, left_on=f"_a_{k}", right_on=f"_m_{k}", how="inner")
            ordinal = (rank + len(cands) * 8) * (1 << 32) + pl.col("_rix").cast(pl.Int64)
            # collected key by key (two narrow columns): the next key's anti join and the minimum
            # below then read them from memory instead of a plan that repeats the joins
            cands.append(c.select("_aid", _ord=ordinal).collect(engine="streaming").lazy())
            labels.append(label)
    if cands:
        rix_type = ro.collect_schema()["_rix"]
        # collected on its own (three narrow columns): inside the plan of `out`, the aid rows
        # scanned several times were cached whole, every column (5 GB for a national aid table)
        best = (pl.concat(cands).group_by("_aid").agg(pl.col("_ord").min())
                .select("_aid", (pl.col("_ord") % (1 << 32)).cast(rix_type).alias("_rix"),
                        (pl.col("_ord") // (1 << 35)).replace_strict(dict(enumerate(labels)), return_dtype=pl.String)
                        .alias("_by"))
                .collect(engine="streaming").lazy())
        # the roster's fields joined by row number afterwards: once per roster row in the join's
        # table, not once per aid row
        fields = ro.select("_rix", *[f"r_{f}" for f in present])
        # Only what the match adds is written (`_by` and the roster's fields, one row per aid row
        # in the aid rows' order), and put beside the aid rows as they are scanned: writing every
        # aid column again took a province's run ~4 s of its ~5 s here.
        found = (aid.select("_aid").join(best, on="_aid", how="left", maintain_order="left")
                 .join(fields, on="_rix", how="left", maintain_order="left")
                 .select("_by", *[f"r_{f}" for f in present]))
        lf = pl.concat([ctx.lf("aid").with_row_index("_aid"), ctx.shared("aid_roster", found)], how="horizontal")
    else:
        lf = ctx.lf("aid").with_row_index("_aid").with_columns(
            pl.lit(None, pl.String).alias("_by"), *[pl.lit(None).alias(f"r_{f}") for f in present])
    ctx.options[CACHE] = lf
    return lf


def joined(ctx: Context) -> pl.LazyFrame:
    return with_roster(ctx)


def where_in_roster(ctx: Context) -> pl.Expr:
    """`（学籍名册 名册.xlsx 第 5 行）`: the roster row an aid row was matched to (`row_ref`)."""
    return pl.concat_str([pl.lit("（学籍名册 "), row_ref(multi_sheet_files(ctx), "r__file", "r__sheet", "r__row"),
                          pl.lit("）")])


def aid_key(cols: list[str]) -> pl.Expr:
    return student_key(cols, pl.col("term") if "term" in cols else pl.lit(None),
                       pl.col("aid_type") if "aid_type" in cols else pl.lit(None))


def what(cols: list[str]) -> pl.Expr:
    """2018年秋季学期国家助学金"""
    parts = []
    if "term_year" in cols:
        parts.append(pl.when(pl.col("term_year").is_not_null())
                     .then(term_text(pl.col("term_year"), pl.col("term_season"))).otherwise(pl.lit("")))
    if "aid_type" in cols:
        parts.append(pl.col("aid_type").fill_null("资助"))
    return pl.concat_str(parts) if parts else pl.lit("资助")


# ------------------------------------------------------------------ A301
@rule(
    "A301", severity="error", title="非全日制或培训学员享受资助", title_en="aid to a part-time student or trainee",
    clause="三（二）", needs={"aid": (), "roster": ()},
    what="资助对象在学籍名册中为非全日制，或班级类型为培训。" + NOT_REFUSED,
    why="免学费和国家助学金只资助全日制学历教育在校生（三（二））。",
    example="学习形式为非全日制的学生领取国家助学金 → A301。",
)
def aid_to_part_time_or_trainee(ctx: Context) -> pl.LazyFrame | None:
    rcols = ctx.columns("roster")
    if "study_mode" not in rcols and "class_type" not in rcols:
        ctx.options["skip:A301"] = "学籍名册缺少列：学习形式、班级类型"
        return None
    lf = awarded(ctx, joined(ctx))
    cols = lf.collect_schema().names()
    part = (pl.col("r_study_mode") == "非全日制").fill_null(False) if "r_study_mode" in cols else pl.lit(False)
    train = pl.col("r_class_type").is_in(list(TRAINING)).fill_null(False) if "r_class_type" in cols else pl.lit(False)
    reason = pl.when(part).then(pl.lit("学习形式为「非全日制」")).otherwise(
        pl.concat_str([pl.lit("班级类型为「"), pl.col("r_class_type") if "r_class_type" in cols else pl.lit(""),
                       pl.lit("」")]))
    msg = pl.concat_str([what(cols), pl.lit("的受助学生在学籍名册中"), reason, where_in_roster(ctx),
                         pl.lit("，免学费和国家助学金只资助全日制学历教育在校生；请核实并停止或追回资助")])
    return emit(lf.filter(part | train), "aid", msg, field="aid_type", key=aid_key(cols))


# ------------------------------------------------------------------ A302
@rule(
    "A302", severity="error", title="资助对象不在学籍名册", title_en="aid to a student not in the roster", across=True,
    clause="三（二）", needs={"aid": (), "roster": ()},
    what="资助表中的学生按证件号码（其次学籍号）在学籍名册中找不到。"
         "受助学生所在的学校不在本次的任何学籍名册中、该校也没有任何受助学生在名册中找到的（没有提供该校的名册；学校名称末尾括号中的校区不计），"
         "无从查找，不报，计入未能判断的行并写明学校（该校有受助学生在名册中找到的，是校名写法不同，其余的照常判断）；名册缺少必需列、未能检查的，其学校的受助学生同样不判断。",
    why="没有学籍的受助学生可能是虚假学籍套取资助（三（二））。",
    example="资助表中的「林虚构」，名册中既没有其身份证号也没有其学籍号 → A302；号码写法不同（15/18 位、空格、小写 x）、学籍号开头的 0 被 Excel 去掉（名册 00240000、资助表 240000）不报。",
)
def aid_not_in_roster(ctx: Context) -> pl.LazyFrame | None:
    lf = joined(ctx)
    cols = lf.collect_schema().names()
    rcols = ctx.columns("roster")
    has_id = pl.col("id_number").is_not_null() if "id_number" in cols else pl.lit(False)
    has_sid = pl.col("student_id").is_not_null() if "student_id" in cols else pl.lit(False)
    lf = lf.filter(pl.col("_by").is_null() & (has_id | has_sid))
    note_unjudged(ctx, "A302", "aid", unreadable("aid", cols, "_key"))
    # a roster that could not be checked (S001) may hold the student: the rows of its school (all
    # rows when its school is unknown, and rows without a school) are not judged
    blocked = ctx.options.get(ROSTERS_NOT_CHECKED, [])
    if blocked:
        schools = {s for *_, s in blocked}
        school = pl.col("school_name") if "school_name" in cols else pl.lit(None, pl.String)
        maybe = pl.lit(True) if schools & {UNNAMED, SEVERAL} else (school.is_null() | school.is_in(list(schools)))
        files = list(dict.fromkeys(Path(f).name for f, *_ in blocked))
        names = "、".join(f"「{f}」" for f in files[:3]) + (f" 等 {len(files)} 个文件" if len(files) > 3 else "")
        note_unjudged(ctx, "A302", "aid", {f"学籍名册{names}缺少必需列、未能检查，受助学生可能在其中": maybe}, frame=lf)
        lf = lf.filter(~maybe)
    # a school no roster of the run names (its roster not given, or its name written otherwise):
    # its recipients cannot be looked for; not judged, the schools named (the info line
    # "不在本次的任何学籍名册中" says the same per file)
    if "school_name" in cols and "school_name" in rcols:
        # a school is on the rosters when they name it, or when any of its recipients was found
        # in them (the aid table writes its name otherwise: 东方技校): its other recipients are judged
        known = set(pl.concat([ctx.lf("roster").select("school_name"),
                               joined(ctx).filter(pl.col("_by").is_not_null()).select("school_name")])
                    .select(school_base(pl.col("school_name")).drop_nulls().unique())
                    .collect(engine="streaming").to_series().to_list())
        if known:
            base = school_base(pl.col("school_name"))
            absent = (base.is_not_null() & ~base.is_in(list(known))).fill_null(False)
            missing = lf.filter(absent).select(pl.col("school_name").unique().sort()).collect().to_series().to_list()
            if missing:
                names = "、".join(f"「{x}」" for x in missing[:3]) + (f" 等 {len(missing)} 所学校" if len(missing) > 3 else "")
                note_unjudged(ctx, "A302", "aid", {f"学校{names}不在本次的任何学籍名册中（未提供该校名册，或校名写法不同）": absent},
                              frame=lf)
                lf = lf.filter(~absent)
    # an aid table keyed by its 学号 beside a roster that has a 学号 column of its own apart from
    # the 学籍号 it was read by (the loader used the 学籍号): a school's own 学号 is not looked for
    # there, so a row without a document cannot be judged (it had been an error on every row)
    own_no = _own_number_tables(ctx)
    if own_no and "student_id" in cols:
        where = pl.concat_str([pl.col("_file"), pl.lit("\x1f"), pl.col("_sheet").fill_null("")])
        own = (~has_id & where.is_in(own_no)).fill_null(False)
        note_unjudged(ctx, "A302", "aid", {"资助表只有学号、没有证件号码，名册中另有学号列而按学籍号读取，学号无法与名册对应": own},
                      frame=lf)
        lf = lf.filter(~own)
    if "id_number" in cols:
        doc = pl.col("id_number__doc") if "id_number__doc" in cols else pl.lit(None, pl.String)
        words = pl.when(pl.col("id_number__key").str.contains(":")).then(
            pl.coalesce(doc, pl.lit("证件")) + pl.lit("号码")).otherwise(pl.lit("身份证号"))
        id_txt = pl.concat_str([words, pl.lit("「"), mask_id(pl.col("id_number")), pl.lit("」")])
    else:
        id_txt = pl.lit(None, pl.String)
    sid_txt = pl.concat_str([pl.lit("学籍号「"), pl.col("student_id"), pl.lit("」")]) \
        if "student_id" in cols else pl.lit(None, pl.String)
    tried_id = pl.when(has_id).then(id_txt)
    tried_sid = pl.when(has_sid).then(sid_txt)
    if "student_id" not in rcols:
        tried_sid = pl.when(has_sid & ~has_id).then(
            pl.concat_str([sid_txt, pl.lit("（学籍名册没有学籍号列，无法按学籍号核对）")]))
    tried = pl.concat_str([tried_id, tried_sid], separator="、再按", ignore_nulls=True)
    n = ctx.height("roster")
    msg = pl.concat_str([what(cols), pl.lit("的受助学生按"), tried, pl.lit(f"在学籍名册（共 {n} 行）中均未找到"),
                         pl.lit("，可能是虚假学籍套取资助；请核实该生是否真实在籍，或补交其所在学校的学籍名册")])
    field = "id_number" if "id_number" in cols else "student_id"
    return emit(lf, "aid", msg, field=field, key=aid_key(cols))


def _own_number_tables(ctx: Context) -> list[str]:
    """The aid tables (file + "\x1f" + sheet) whose 学籍号 column is headed 学号, when some roster
    of the run has a 学号 column besides the column it reads the 学籍号 from: the aid table's
    numbers may be the school's own 学号, which the roster keeps in a column the rules do not read.
    Empty when no roster has such a column."""
    def own(t) -> bool:
        used = {int(c[1:]) for c in t.field_cols.values()}
        return any(normalise_header(h) == "学号" and i not in used and f"c{i}" in t.raw.columns
                   # an empty column holds no 学号
                   and bool((t.raw.get_column(f"c{i}").cast(pl.String).str.strip_chars().fill_null("") != "").any())
                   for i, h in enumerate(t.headers))

    if not any(own(t) for t in ctx.tables.get("roster", [])):
        return []
    return [f"{t.file}\x1f{t.sheet or ''}" for t in ctx.tables.get("aid", [])
            if "student_id" in t.field_cols and normalise_header(t.headers[int(t.field_cols["student_id"][1:])]) == "学号"]


# ------------------------------------------------------------------ A303
@rule(
    "A303", severity="error", title="非在籍学期享受资助", title_en="aid for a term without enrolment",
    clause="三（二）", needs={"aid": ("term",), "roster": ()},
    what="学生在该学期开始前已退学/转出/毕业/开除/死亡（离校日期取异动记录或毕业日期），或入学日期在该学期结束之后。" + NOT_REFUSED,
    why="不在籍的学期不得享受资助（三（二））。",
    example="2024-12-02 退学，却领取 2025 年春季学期国家助学金 → A303。",
)
def aid_outside_enrolment(ctx: Context) -> pl.LazyFrame | None:
    note_unjudged(ctx, "A303", "aid", unreadable("aid", ctx.columns("aid"), "term"))
    lf = awarded(ctx, joined(ctx)).filter(pl.col("term_year").is_not_null() & pl.col("r__key").is_not_null()) \
        if "r__key" in joined(ctx).collect_schema().names() else None
    if lf is None:
        ctx.options["skip:A303"] = "学籍名册缺少身份证号和学籍号，无法与资助表对应"
        return None
    cols = lf.collect_schema().names()
    start, end = term_bounds(ctx)
    lf = lf.with_columns(_ts=start, _te=end)
    left_date = pl.lit(None, pl.Date)
    if ctx.has("changes", "change_type", "occurred_date"):
        gone = (ctx.lf("changes").filter(pl.col("change_type").is_in(list(GONE_CHANGES))
                                          & pl.col("occurred_date").is_not_null() & pl.col("_key").is_not_null())
                .group_by("_key").agg(pl.col("occurred_date").max().alias("_gone_date"))
                .rename({"_key": "r__key"}))
        lf = lf.join(gone, on="r__key", how="left")
        left_date = pl.col("_gone_date")
    if "r_graduation_date" in cols:
        left_date = pl.when(pl.col("r_status").is_in(["毕业", "结业"])).then(
            pl.coalesce(pl.col("r_graduation_date"), left_date)).otherwise(left_date)
    lf = lf.with_columns(_left=left_date)
    gone_before = ((pl.col("r_status").is_in(list(GONE_STATUSES)) if "r_status" in cols else pl.lit(False))
                   & (pl.col("_left") < pl.col("_ts"))).fill_null(False)
    late_enrol = ((pl.col("r_enroll_date") > pl.col("_te")) if "r_enroll_date" in cols else pl.lit(False)).fill_null(False)
    msg_gone = pl.concat_str([
        what(cols), pl.lit("：该生学籍状态为「"), pl.col("r_status") if "r_status" in cols else pl.lit(""),
        pl.lit("」，"), day(pl.col("_left")), pl.lit(" 已离校，早于该学期开始日 "), day(pl.col("_ts")),
        where_in_roster(ctx), pl.lit("；该学期不在籍，不应享受资助，请核实并追回")])
    msg_enrol = pl.concat_str([
        what(cols), pl.lit("：该生入学日期 "), day(pl.col("r_enroll_date")) if "r_enroll_date" in cols else pl.lit(""),
        pl.lit(" 晚于该学期结束日 "), day(pl.col("_te")), where_in_roster(ctx),
        pl.lit("；该学期尚未入学，不应享受资助，请核实")])
    msg = pl.when(gone_before).then(msg_gone).otherwise(msg_enrol)
    return emit(lf.filter(gone_before | late_enrol), "aid", msg, field="term", key=aid_key(cols))


# ------------------------------------------------------------------ A304
@rule(
    "A304", severity="error", title="同一学期重复资助", title_en="same aid paid twice in a term", across=True,
    clause="三（五）", needs={"aid": ("term", "aid_type")},
    what="同一学生同一学期同一资助类型出现多行（同校或跨校，学期写法不同也算），每行都报。同一学生按证件号码认定；"
         "没有证件号码的按学籍号加姓名（学校自编的学号在各校会重复，学号相同、姓名不同的是两名学生；姓名空着的行，"
         "取同一学校同一学籍号其他行的姓名）；其学籍号在本校名册中找得到的，按名册中该生的证件号码认定"
         "（两校各有一名学号 2024001 的「王伟」、名册中身份证号不同，是两名学生）。"
         "国家助学金由同一学校分次发放的（各行都有发放日期且互不相同、都有金额且合计不超过每学期标准 grant_per_term）不报"
         "（合计不超过标准时，分次发放与重复发放无法区分；各档标准低于 grant_per_term 的省份请把它设为本省的标准）；"
         "两所学校各发一次的、合计超过标准的照报，并写明合计金额。金额为 0 的行不算一次资助；金额为负数的行是退回（冲销），"
         "本身不报：有退回时按金额判断，退回后剩下的合计仍多于最大的一笔发放才报（没有金额的，按发放行数减去退回行数为 2 以上）。" + NOT_REFUSED,
    why="同一学期同一项目只能享受一次，多发的须追回（三（五））。",
    example="「2024秋」和「2024年秋季学期」各有一行同一学生的国家助学金 → 两行都报；"
            "2024秋 国家助学金分 10 月、12 月两次各发 500 元 → 不报。",
)
def aid_paid_twice(ctx: Context) -> pl.LazyFrame | None:
    cols = ctx.columns("aid")
    note_unjudged(ctx, "A304", "aid", unreadable("aid", cols, "_key", "term", "aid_type"))
    keys = ["_who", "term", "aid_type"]
    # who: the document; a row without one by its 学籍号 and name: a school's own 学号 (an alias of
    # 学籍号) repeats across schools, and 2024001 李一 at 乙 is not 2024001 张一 at 甲
    lf = awarded(ctx)  # a refused application and the one approved after it are one grant
    sid_row = pl.col("_key").str.starts_with("SID:")
    if "name__key" in cols:
        # a row whose name is empty takes the name its 学籍号 has at its school in other rows (when
        # it has one name there): 2024001 with the name left out is the 张一 of 2024001 at 甲
        # (a lookup in the few such pairs, not a join over the table: an order-keeping left join over
        # a national aid table is what held gigabytes, see tables.normalise_fields)
        school_k = pl.col("school_name").fill_null("") if "school_name" in cols else pl.lit("")
        pair = pl.concat_str([pl.col("_key"), pl.lit("\x1f"), school_k])
        known = (lf.filter(sid_row & pl.col("name__key").is_not_null())
                 .select(pair.alias("_pair"), "name__key").unique()
                 .group_by("_pair").agg(pl.col("name__key").first(), pl.len().alias("_names"))
                 .filter(pl.col("_names") == 1).collect(engine="streaming"))
        name = pl.col("name__key")
        if known.height:
            filled = pair.replace_strict(known["_pair"], known["name__key"], default=None, return_dtype=pl.String)
            name = pl.when(name.is_null() & sid_row).then(filled).otherwise(name)
    else:
        name = pl.lit(None, pl.String)
    who_ = pl.when(sid_row & name.is_not_null()).then(pl.concat_str([pl.col("_key"), pl.lit("|"), name])) \
        .otherwise(pl.col("_key"))
    rcols = ctx.columns("roster") if ctx.has("roster") else []
    if {"school_name", "student_id"} <= set(cols) and {"school_name", "student_id", "id_number__key"} <= set(rcols):
        # a row without a document whose 学籍号 the roster has at the row's own school (one
        # document there) is that roster student: 2024001 王伟 at 甲 and 2024001 王伟 at 乙, two
        # students the rosters give two ID numbers, are two. A lookup in the few such pairs (the
        # rows without a document), not a join of the aid table with the roster.
        at = pl.concat_str([sid_same(pl.col("student_id")), pl.lit("\x1f"), school_base(pl.col("school_name"))])
        asked = lf.filter(sid_row).select(at.alias("_at")).drop_nulls().unique().collect(engine="streaming")
        if asked.height:
            rname = pl.col("name__key") if "name__key" in rcols else pl.lit(None, pl.String)
            docs = (ctx.lf("roster").filter(pl.col("id_number__key").is_not_null())
                    .select(at.alias("_at"), "id_number__key", rname.alias("_rname"))
                    .filter(pl.col("_at").is_in(asked["_at"].to_list())).unique()
                    .group_by("_at").agg(pl.col("id_number__key").first(), pl.col("_rname").first(),
                                         pl.col("id_number__key").n_unique().alias("_docs"))
                    .filter(pl.col("_docs") == 1).collect(engine="streaming"))
            if docs.height:
                doc = at.replace_strict(docs["_at"], docs["id_number__key"], default=None, return_dtype=pl.String)
                # the same student only when the names agree (or the aid row has none): 2024001
                # 王伟 is not the roster's 2024001 张三 (a 学号 another school's list reused)
                named = at.replace_strict(docs["_at"], docs["_rname"], default=None, return_dtype=pl.String)
                agree = name.is_null() | named.is_null() | (name == named)
                who_ = pl.when(sid_row & doc.is_not_null() & agree).then(doc).otherwise(who_)
    lf = lf.with_columns(_who=who_).filter(pl.all_horizontal([pl.col(k).is_not_null() for k in keys]))
    school = pl.col("school_name").fill_null("（未注明学校）") if "school_name" in cols else pl.lit("")
    place = pl.concat_str([school, pl.lit(" "), row_ref(multi_sheet_files(ctx))])
    # the keys seen more than once, counted on the three key columns and collected here (few):
    # a window over the table, or the count inside the plan that reads the rows again, held the
    # table's every column or ran the count twice at once (7-11 GB for a national aid table)
    # a grant paid in instalments by one school (each row its own pay date and an amount, together
    # within one term's standard) is one grant, not a second one; two schools paying is two grants
    if "pay_date" in cols and "amount" in cols:
        one_school = (pl.col("school_name").n_unique() == 1) if "school_name" in cols else pl.lit(True)
        instalments = ((pl.col("aid_type").first() == GRANT) & pl.col("pay_date").is_not_null().all()
                       & (pl.col("pay_date").n_unique() == pl.len()) & pl.col("amount").is_not_null().all()
                       & (pl.col("amount").sum() <= ctx.policy.grant_per_term) & one_school)
        extra = ["pay_date", "amount", *(["school_name"] if "school_name" in cols else [])]
    else:
        instalments, extra = pl.lit(False), []
    # a row of 0 元 grants nothing (a placeholder); a row of a negative amount is a refund (退回,
    # 冲销) that cancels one payment: the student is paid twice only when the payments less the
    # refunds are two or more, and a refund row itself is never reported
    if "amount" in cols:
        lf = lf.filter(pl.col("amount").fill_null(1) != 0)
        refund = pl.col("amount").fill_null(0) < 0
    else:
        refund = pl.lit(False)
    # with a refund, the amounts decide: what is left after it must be more than the largest single
    # payment (1000 + 1000 − 50 is still two grants; 3 × 1000 − 2000 is one); without amounts, rows
    amt = pl.col("amount") if "amount" in cols else pl.lit(None, pl.Float64)
    counts = (lf.select(*keys, *extra, *(["amount"] if "amount" in cols and "amount" not in extra else []),
                        _refund=refund).group_by(keys)
              .agg(_n=(~pl.col("_refund")).sum().cast(pl.UInt32), _back=pl.col("_refund").sum().cast(pl.UInt32),
                   _inst=instalments, _net=pl.when(pl.col("_refund").any()).then(
                       pl.when(amt.is_not_null().all()).then(amt.sum() > amt.filter(amt > 0).max()).otherwise(None)))
              .with_columns(_dup=pl.when(pl.col("_back") > 0).then(
                  pl.coalesce(pl.col("_net"), pl.col("_n").cast(pl.Int64) - pl.col("_back").cast(pl.Int64) > 1))
                  .otherwise(pl.col("_n") > 1))
              .filter(pl.col("_dup") & ~pl.col("_inst"))
              .drop("_inst", "_net", "_dup").collect(engine="streaming"))
    dup = lf.join(counts.lazy(), on=keys, how="inner", maintain_order="left").with_columns(_place=place)
    places = dup.group_by(keys).agg(pl.col("_place").sort_by("_file", "_row").head(10).str.join("、").alias("_places"),
                                    (pl.col("amount").sum() if "amount" in cols else pl.lit(None, pl.Float64))
                                    .alias("_total"))
    dup = dup.join(places, on=keys, how="left").filter(~refund)
    total = pl.concat_str([pl.lit("，合计 "), money(pl.col("_total")), pl.lit(" 元")]) if "amount" in cols else pl.lit("")
    back = pl.when(pl.col("_back") > 0).then(pl.concat_str([pl.lit("，另有 "), pl.col("_back").cast(pl.String),
                                                             pl.lit(" 行退回（负数金额）")])).otherwise(pl.lit(""))
    msg = pl.concat_str([what(cols), pl.lit("对同一学生重复出现 "), pl.col("_n").cast(pl.String), pl.lit(" 次（"),
                         pl.col("_places"), pl.when(pl.col("_n") + pl.col("_back") > 10).then(pl.lit(" 等")).otherwise(pl.lit("")),
                         pl.lit("）"), back, total.fill_null(""),
                         pl.lit("；同一学期同一项目只能享受一次，请核实并追回多发部分")])
    return emit(dup, "aid", msg, field="aid_type", key=aid_key(cols))


# ------------------------------------------------------------------ A305
# Change types that suspend a student's study (保留学籍: 休学, 入伍) and the one that ends it; a
# 留级 repeats a year (the calendar then counts one year too many).
SUSPENSIONS = tuple(k for k, v in LEAVING.items() if v == "休学")
RESUME, REPEAT = "复学", "留级"


def date_term(d: pl.Expr) -> pl.Expr:
    """The term a date falls in, as an index (year × 2, + 1 for autumn: July on), like an aid
    row's `term_year` × 2 + autumn."""
    return d.dt.year().cast(pl.Int32) * 2 + (d.dt.month() >= 7).cast(pl.Int32)


def away_terms(ctx: Context, lf: pl.LazyFrame) -> pl.LazyFrame:
    """`lf` (aid rows matched to the roster: `_aid`, `r__key`, `term_year`, `term_season`) with
    `_away` (Int32: the terms before the row's term the student was suspended, from each 休学/入伍
    of the changes paired with the first 复学 after it; 休学 2023-09-04, 复学 2024-09-02 → 2) and
    `_away_unknown` (Boolean: a suspension before the term without a date or without a 复学 after
    it, or a 留级 before the term or undated: the year cannot be counted) and `_suspended` (the
    student has a dated suspension record). Changes refused (审批状态 未通过) do not count. The
    source: the notice 三（一） gives the grant to 一、二年级 students, and suspended terms are no
    year of study."""
    none = lf.with_columns(_away=pl.lit(0, pl.Int32), _away_unknown=pl.lit(False), _suspended=pl.lit(False))
    if not ctx.has("changes", "change_type") or "r__key" not in lf.collect_schema().names():
        return none
    ccols = ctx.columns("changes")
    when = pl.col("occurred_date") if "occurred_date" in ccols else pl.lit(None, pl.Date)
    # who a change is about as `with_person` says (a change written with the 学籍号 only is the
    # student whose ID that 学籍号 has elsewhere), matched to the roster row's key
    ch = with_person(ctx, "changes").filter(pl.col("_person").is_not_null()
                                            & pl.col("change_type").is_in([*SUSPENSIONS, RESUME, REPEAT]))
    if "approval_status" in ccols:  # a change refused or withdrawn did not happen
        ch = ch.filter(~pl.col("approval_status").fill_null("").is_in(NOT_HAPPENED))
    ch = ch.select(pl.col("_person").alias("r__key"), "change_type", when.alias("_s"))
    susp = ch.filter(pl.col("change_type").is_in(list(SUSPENSIONS)))
    back = ch.filter((pl.col("change_type") == RESUME) & pl.col("_s").is_not_null()).select(
        "r__key", pl.col("_s").alias("_b")).sort("_b")
    # each dated suspension with the first 复学 on or after it; two suspensions before one 复学
    # (a record written twice) are one, from the first
    paired = (susp.filter(pl.col("_s").is_not_null()).select("r__key", "_s").sort("_s")
              .join_asof(back, left_on="_s", right_on="_b", by="r__key", strategy="forward", check_sortedness=False)
              .group_by("r__key", "_b").agg(pl.col("_s").min())
              .select("r__key", "_s", "_b", _repeat=pl.lit(False)))
    undated = susp.filter(pl.col("_s").is_null()).select("r__key", "_s", _b=pl.lit(None, pl.Date),
                                                         _repeat=pl.lit(False))
    repeat = ch.filter(pl.col("change_type") == REPEAT).select("r__key", "_s", _b=pl.lit(None, pl.Date),
                                                               _repeat=pl.lit(True))
    events = pl.concat([paired, undated, repeat]).collect()
    if events.height == 0:
        return none
    t = pl.col("term_year") * 2 + (pl.col("term_season") == "autumn").cast(pl.Int32)
    s_idx, b_idx = date_term(pl.col("_s")), date_term(pl.col("_b"))
    before = pl.col("_s").is_null() | (s_idx < t)
    known = pl.col("_s").is_not_null() & pl.col("_b").is_not_null() & ~pl.col("_repeat")
    rk = pl.col("r__key")  # a roster row without an ID: its 学籍号 in the form with_person compares
    person = pl.when(rk.str.starts_with("SID:")).then(pl.lit("SID:") + sid_same(rk.str.strip_prefix("SID:"))).otherwise(rk)
    per_row = (lf.select("_aid", person.alias("r__key"), "term_year", "term_season")
               .filter(pl.col("r__key").is_not_null() & pl.col("term_year").is_not_null())
               .join(events.lazy(), on="r__key", how="inner")
               .group_by("_aid").agg(
                   _away=pl.when(before & known).then((pl.min_horizontal(b_idx, t) - s_idx).clip(0))
                   .otherwise(0).sum().cast(pl.Int32),
                   _away_unknown=(before & ~known).any(),
                   _suspended=(pl.col("_s").is_not_null() & ~pl.col("_repeat")).any()))
    return (lf.join(per_row, on="_aid", how="left", maintain_order="left")
            .with_columns(pl.col("_away").fill_null(0), pl.col("_away_unknown").fill_null(False),
                          pl.col("_suspended").fill_null(False)))


@rule(
    "A305", severity="error", title="超出资助年限", title_en="outside the years covered", across=True, uses=("roster", "changes"),
    clause="三（一）", needs={"aid": ("term", "aid_type")},
    what="国家助学金超出第 1–2 学年（grant_years），免学费超出第 1–3 学年（fee_waiver_years）。学年由名册入学日期与学期推算，"
         "没有时用资助表的在校年级。休学（含入伍保留学籍）的学期不计入学年：异动记录中休学与其后复学的日期都有的，"
         "扣除其间的学期（休学所在学期起、复学所在学期前）；该学期之前有休学却没有日期或没有其后的复学、有留级记录，"
         "或学籍名册状态为休学而异动记录中没有休学日期的，学年无法推算，不报，计入未能判断的行。"
         "资助表填写的在校年级在资助年限内（如二年级）、按入学日期推算却超出的，可能是休学或留级没有记录，"
         "也不报，计入未能判断的行（不当作矛盾报出：以免冤枉按实际年级申报的学校）。" + NOT_REFUSED,
    why="资助只覆盖规定的学年（三（一））。",
    example="2022 年秋季入学，2024 年秋季（第 3 学年）领国家助学金 → A305；2023 级 2025 年春季（第 2 学年）不报；"
            "2022 年秋季入学、2023-09-04 休学、2024-09-02 复学，2024 年秋季为第 2 学年，不报。",
)
def aid_beyond_years(ctx: Context) -> pl.LazyFrame | None:
    cols_aid = ctx.columns("aid")
    note_unjudged(ctx, "A305", "aid", unreadable("aid", cols_aid, "term", "aid_type"))
    has_enrol = ctx.has("roster", "enroll_date")
    if not has_enrol and "grade_year" not in cols_aid:
        ctx.options["skip:A305"] = "既没有学籍名册的入学日期，也没有资助表的在校年级，无法推算学年"
        return None
    lf = awarded(ctx, joined(ctx) if has_enrol else None)
    lf = away_terms(ctx, lf) if has_enrol else lf.with_columns(
        _away=pl.lit(0, pl.Int32), _away_unknown=pl.lit(False), _suspended=pl.lit(False))
    cols = lf.collect_schema().names()
    p = ctx.policy
    term_idx = pl.col("term_year") * 2 + (pl.col("term_season") == "autumn").cast(pl.Int32)
    from_enrol = pl.lit(None, pl.Int32)
    if "r_enroll_date" in cols:
        diff = term_idx - date_term(pl.col("r_enroll_date"))
        from_enrol = pl.when(diff >= 0).then((diff - pl.col("_away")).clip(0) // 2 + 1)
    grade = pl.col("grade_year").cast(pl.Int32) if "grade_year" in cols else pl.lit(None, pl.Int32)
    limit = pl.when(pl.col("aid_type") == GRANT).then(pl.lit(p.grant_years)).when(
        pl.col("aid_type") == WAIVER).then(pl.lit(p.fee_waiver_years))
    lf = lf.with_columns(_year=pl.coalesce(from_enrol, grade), _from_enrol=from_enrol.is_not_null(),
                         _grade=grade, _limit=limit)
    beyond = (pl.col("_year") > pl.col("_limit")).fill_null(False)
    by_enrol = beyond & pl.col("_from_enrol")
    roster_away = (pl.col("r_status") == "休学").fill_null(False) & ~pl.col("_suspended") \
        if "r_status" in cols else pl.lit(False)
    unknown = {
        "该学期之前有休学（无日期或没有其后的复学）或留级，学年无法推算": by_enrol & pl.col("_away_unknown"),
        "学籍名册状态为休学、异动记录中没有休学日期，学年无法推算": by_enrol & ~pl.col("_away_unknown") & roster_away,
        "资助表的在校年级在资助年限内，按入学日期推算却超出（可能有未记录的休学或留级）":
            by_enrol & ~pl.col("_away_unknown") & ~roster_away & (pl.col("_grade") <= pl.col("_limit")).fill_null(False),
    }
    note_unjudged(ctx, "A305", "aid", unknown, frame=lf)
    lf = lf.filter(beyond & ~pl.any_horizontal(list(unknown.values())))
    away_txt = pl.when(pl.col("_away") > 0).then(pl.concat_str([
        pl.lit("扣除休学的 "), pl.col("_away").cast(pl.String), pl.lit(" 个学期，")])).otherwise(pl.lit(""))
    basis = pl.when(pl.col("_from_enrol")).then(pl.concat_str([
        pl.lit("该生 "), day(pl.col("r_enroll_date")) if "r_enroll_date" in cols else pl.lit(""),
        pl.lit(" 入学"), where_in_roster(ctx) if "r__row" in cols else pl.lit(""), pl.lit("，"), away_txt])).otherwise(
        pl.lit("资助表填写的在校年级为 "))
    msg = pl.concat_str([
        what(cols), pl.lit("："), basis, pl.col("term").fill_null(""), pl.lit(" 为第 "), pl.col("_year").cast(pl.String),
        pl.lit(" 学年；"), pl.col("aid_type"), pl.lit(" 只覆盖第 1–"), pl.col("_limit").cast(pl.String),
        pl.lit(" 学年，请核实并追回超期资助")])
    return emit(lf, "aid", msg, field="term", key=aid_key(cols))


# ------------------------------------------------------------------ A306
@rule(
    "A306", severity="error", title="资助申报逾期", title_en="late aid application",
    clause="三（三）", needs={"aid": ("term", "apply_date")},
    what="申报日期晚于该学期的申报期限（春季 04-30，秋季 10-30；策略文件 [deadlines] 可改）。" + NOT_REFUSED,
    why="资助按学期申报，逾期不予补报（三（三））。",
    example="2025 年春季学期 05-06 申报 → A306。",
)
def late_aid_application(ctx: Context) -> pl.LazyFrame | None:
    note_unjudged(ctx, "A306", "aid", unreadable("aid", ctx.columns("aid"), "term", "apply_date"))
    terms = ctx.lf("aid").select("term_year", "term_season").drop_nulls().unique().collect()
    dl = pl.DataFrame(
        [(y, s, ctx.policy.deadline("aid_application", s, y)) for y, s in terms.iter_rows()],
        schema={"term_year": terms.schema["term_year"], "term_season": pl.String, "_deadline": pl.Date}, orient="row")
    lf = awarded(ctx).join(dl.lazy(), on=["term_year", "term_season"], how="inner")
    lf = lf.filter(pl.col("apply_date") > pl.col("_deadline"))
    cols = ctx.columns("aid")
    msg = pl.concat_str([what(cols), pl.lit("申报日期 "), day(pl.col("apply_date")), pl.lit("，晚于申报期限 "),
                         day(pl.col("_deadline")), pl.lit("（按规定逾期不予补报）；请核实该笔资助的审批依据")])
    return emit(lf, "aid", msg, field="apply_date", key=aid_key(cols))


# ------------------------------------------------------------------ A307
@rule(
    "A307", severity="warning", title="大龄资助申请", title_en="over-age aid applicant",
    clause="四（一）", needs={"aid": ("term", "id_number")},
    what="按身份证号计算，学期开始时已满 over_age 周岁（默认 25）的资助申请。" + NOT_REFUSED,
    why="大龄申请人多为在职人员，需加大审核力度（四（一））。",
    example="1998 年 5 月出生的学生申请 2024 年秋季学期助学金（26 周岁）→ A307。",
)
def over_age_applicant(ctx: Context) -> pl.LazyFrame | None:
    note_unjudged(ctx, "A307", "aid", {
        **unreadable("aid", ctx.columns("aid"), "term"),
        "证件号码无效或不是居民身份证（无出生日期）":
            pl.col("id_number__birth").is_null() & pl.col("id_number__raw").is_not_null(),
    })
    start, _ = term_bounds(ctx)
    age_limit = ctx.policy.over_age
    b = pl.col("id_number__birth")
    lf = awarded(ctx).filter(b.is_not_null() & pl.col("term_year").is_not_null()).with_columns(_ts=start)
    ts = pl.col("_ts")
    age = (ts.dt.year().cast(pl.Int32) - b.dt.year().cast(pl.Int32)
           - ((ts.dt.month().cast(pl.Int32) * 100 + ts.dt.day().cast(pl.Int32))
              < (b.dt.month().cast(pl.Int32) * 100 + b.dt.day().cast(pl.Int32))).cast(pl.Int32))
    lf = lf.with_columns(_age=age).filter(pl.col("_age") >= age_limit)
    cols = ctx.columns("aid")
    msg = pl.concat_str([what(cols), pl.lit("：按身份证号计算，该生在学期开始日 "), day(ts), pl.lit(" 已满 "),
                         pl.col("_age").cast(pl.String),
                         pl.lit(f" 周岁（不低于 {age_limit} 周岁）；大龄学生需加大审核力度，请核实是否为在职人员、是否真实在校学习")])
    return emit(lf, "aid", msg, field="id_number", key=aid_key(cols))


# ------------------------------------------------------------------ A308
@rule(
    "A308", severity="error", title="资助金额超标", title_en="amount above the standard",
    clause="三（一）", needs={"aid": ("aid_type", "amount")},
    what="国家助学金金额超过每学期标准上限 grant_per_term（默认 1500 元，即每年 3000 元）。中职国家助学金按《中等职业学校"
         "国家助学金管理办法》（财科教〔2016〕35号，本通知三（一）所依据）平均每生每年 2000 元，各地在 1000–3000 元范围内"
         "分 2–3 档确定：默认取上限，以免把高档的学生报成超标；本省标准（或国家调整后的标准）不同的，请在策略文件中设置。"
         "只写了学年、没有写哪个学期的行（如「2024-2025学年」「2024-2025学年（全年）」，可能是全年金额）只与每年标准（grant_per_term 的 2 倍）比较，超过的报 A308，其余不判断，以「学期只写了学年、没有写哪个学期」计入未能判断的行；其他无法识别的学期同样不判断（S007 报其学期）。"
         + NOT_REFUSED,
    why="超标准发放的须追回（三（一））。",
    example="一个学期的国家助学金为 2000 元 → A308；1500 元（每年 3000 元，最高档）不报；学期写「2024-2025学年」、金额 3000 元 → 不报，计入未能判断；金额 6000 元 → A308。",
)
def grant_above_standard(ctx: Context) -> pl.LazyFrame | None:
    std = ctx.policy.grant_per_term
    cols = ctx.columns("aid")
    # the standard is per term: a row whose term was not read may be a year's amount, up to twice
    # the standard; a row of a school year without its term (2024-2025学年) is judged against the
    # year's standard only (above it: over whatever it covers), else not judged
    # (to the fen: 1500.004, a formula's rounding, is 1500.00 元, not above 1500)
    amount = pl.col("amount").round(2)
    year_only = pl.col("term__school_year").is_not_null() & pl.col("term_year").is_null() \
        if {"term__school_year", "term_year"} <= set(cols) else pl.lit(False)
    over_year = (year_only & (pl.col("aid_type") == GRANT) & (amount > 2 * std)).fill_null(False)
    grant = (pl.col("aid_type") == GRANT).fill_null(False)  # (the fee waiver has no standard here)
    note_unjudged(ctx, "A308", "aid", {k: v & grant & ~over_year for k, v in unreadable("aid", cols, "term").items()})
    one_term = pl.col("term_year").is_not_null() if "term_year" in cols else pl.lit(False)
    lf = awarded(ctx).filter((pl.col("aid_type") == GRANT) & ((one_term & (amount > std)) | over_year))
    std_txt = f"{std:g}"
    msg = pl.concat_str([what(cols), pl.lit("金额 "), money(pl.col("amount")),
                         pl.when(over_year).then(pl.concat_str([
                             pl.lit(" 元，学期只写了学年（"), nz.school_year_words(pl.col("term__school_year")),
                             pl.lit(f"），也超过每年标准 {std * 2:g} 元（每学期 {std_txt} 元）")]))
                         .otherwise(pl.lit(f" 元，超过每学期标准 {std_txt} 元（每年 {std * 2:g} 元）")),
                         pl.lit("；请核实并追回超发部分")])
    return emit(lf, "aid", msg, field="amount", key=aid_key(cols))


# ------------------------------------------------------------------ A309
@rule(
    "A309", severity="error", title="助学金未通过资助卡发放", title_en="grant not paid through the aid card",
    clause="三（五）", needs={"aid": ("aid_type", "pay_method")},
    what="国家助学金的发放方式是现金、银行卡、社会保障卡或其他（发放方式的规定取值中资助卡/中职资助卡以外的，"
         "aid_card_methods；以社会保障卡发放的省份可在策略文件中加上）。发放方式按数据说明中该列的取值读，与 S007 "
         "相同：含「资助卡」的写法（资助卡发放、转账至资助卡、银行卡（资助卡））算资助卡，写明现金、微信、支付宝、代领"
         "或未办理资助卡的不算；无法识别的写法（如「打卡」「未发放」）不报，计入未能判断的行（S007 报其取值）。"
         "表中有发放日期列、而该行尚未发放（发放日期为空，或写明未发放、待发放等）的，没有发放可判断，计入未能判断的行。" + NOT_REFUSED,
    why="国家助学金须通过资助卡发放到学生本人，不得发放现金（三（五））。",
    example="发放方式「现金」「资助卡未激活，发现金」→ A309；「资助卡发放」不报；「打卡」不报，计入未能判断。",
)
def grant_not_via_aid_card(ctx: Context) -> pl.LazyFrame | None:
    ok = list(ctx.policy.aid_card_methods)
    values = list(load_kind("aid").field_map["pay_method"].values)
    # pay_method is the schema's value: the aid card, cash, … whichever way it was written
    # (schemas/aid.toml `synonyms` and `patterns`: 资助卡发放 → 资助卡, 资助卡未激活，发现金 → 现金),
    # or the text as written when it names no known method (打卡)
    method = pl.col("pay_method")
    # a province's own word in aid_card_methods (惠民一卡通), read in the text as written: 银行卡
    # （惠民一卡通） is that card, though the schema's patterns would read 银行卡; cash or a denial is not
    raw = pl.col("pay_method__raw")
    own_word = pl.any_horizontal([raw.str.contains(w, literal=True) for w in ok if w not in values]
                                 or [pl.lit(False)])
    card = method.is_in(ok) | (own_word & ~method.is_in(["现金", "其他"]))
    grant = (pl.col("aid_type") == GRANT) & method.is_not_null()
    judged = method.is_in(values)
    # a way of writing it that names no known method: not judged (a guess would accuse the school)
    # a row not paid yet (the table has 发放日期, this row none): no payment to judge the way of
    unpaid = _not_paid(ctx.columns("aid"))
    note_unjudged(ctx, "A309", "aid", {"发放方式无法识别": grant & ~card & ~judged,
                                       "尚未发放（发放日期为空）": grant & ~card & judged & unpaid})
    lf = awarded(ctx).filter(grant & ~card & judged & ~unpaid)
    cols = ctx.columns("aid")
    msg = pl.concat_str([what(cols), pl.lit("发放方式为「"), pl.col("pay_method__raw"),
                         pl.lit(f"」，国家助学金应通过{'、'.join(ok)}发放；请改为资助卡发放并核实资金去向")])
    return emit(lf, "aid", msg, field="pay_method", key=aid_key(cols))


# ------------------------------------------------------------------ A310
@rule(
    "A310", severity="warning", title="发放台账不完整", title_en="ledger incomplete",
    clause="三（五）", needs={"aid": ("aid_type", "pay_date")},
    what="已发放（有发放日期）的国家助学金，学生签字为空或否（否/N/0/×），或资助卡号为空（表中另有社会保障卡号列的，"
         "两列都空才算卡号为空：以社会保障卡发放的行只填社会保障卡号）。",
    why="发放台账须有学生签字和资助卡号，才能证明资金发到了学生本人（三（五））。",
    example="已于 2025-05-10 发放，学生签字为「否」→ A310。",
)
def incomplete_ledger(ctx: Context) -> pl.LazyFrame | None:
    cols = ctx.columns("aid")
    cards = [c for c in CARD_FIELDS if c in cols]
    has_sign, has_card = "signed" in cols, bool(cards)
    if not has_sign and not has_card:
        ctx.options["skip:A310"] = "资助表缺少列：学生签字、资助卡号"
        return None
    no_sign = ((pl.col("signed__raw").is_null() | (pl.col("signed") == False)).fill_null(False)  # noqa: E712
               if has_sign else pl.lit(False))
    # every card column of the row empty: a row paid by 社保卡 fills only 社会保障卡号
    no_card = pl.all_horizontal([pl.col(c).is_null() for c in cards]) if has_card else pl.lit(False)
    lf = ctx.lf("aid").filter((pl.col("aid_type") == GRANT) & pl.col("pay_date").is_not_null() & (no_sign | no_card))
    sign_txt = pl.when(no_sign).then(pl.concat_str([
        pl.lit("学生签字为"), pl.when(pl.col("signed__raw").is_null()).then(pl.lit("空")).otherwise(
            pl.concat_str([pl.lit("「"), pl.col("signed__raw"), pl.lit("」")]))])) if has_sign else pl.lit(None)
    card_txt = pl.when(no_card).then(pl.lit(
        "资助卡号、社会保障卡号均为空" if len(cards) > 1 else f"{load_kind('aid').field_map[cards[0]].title}为空")) \
        if has_card else pl.lit(None)
    missing = pl.concat_str([sign_txt, card_txt], separator="、", ignore_nulls=True)
    msg = pl.concat_str([what(cols), pl.lit("已于 "), day(pl.col("pay_date")), pl.lit(" 发放，但"), missing,
                         pl.lit("；发放台账应有学生签字和资助卡号，请补齐并核实资金是否发到学生本人")])
    card_field = cards[0] if cards else "card_number"
    out = emit(lf.with_columns(_no_sign=no_sign), "aid", msg, field="signed" if has_sign else card_field,
               key=aid_key(cols))
    if has_sign and has_card:  # point at the cell that is missing
        out = out.with_columns(field=pl.when(pl.col("message").str.contains("学生签字为")).then(pl.lit("signed"))
                               .otherwise(pl.lit(card_field)))
    return out


# ------------------------------------------------------------------ A311
def _known_by_name(lf: pl.LazyFrame, cols: list[str]) -> pl.LazyFrame:
    """`lf` (rows of shared cards with `_card`, `_person`) where a person known only by 学籍号
    (`SID:`, no document found for it) takes the document key of the one person on the same card
    known by a document and of the same name: 张三 with an ID on the grant's sheet and 张三 with only
    a 学籍号 on another sheet (校级助学金 keyed otherwise) are one student, not a card shared. Only
    when nothing says they are two: that person has no other 学籍号 on the card and no other school,
    and no other person of the name is known only by 学籍号 there."""
    nk = pl.col("name__key") if "name__key" in cols else nz.name_key(pl.col("name"))
    by_sid = pl.col("_person").str.starts_with("SID:")
    sid = sid_same(pl.col("student_id")) if "student_id" in cols else pl.lit(None, pl.String)
    school = pl.col("school_name") if "school_name" in cols else pl.lit(None, pl.String)
    base = lf.with_columns(_nk=nk, _sidn=pl.when(by_sid).then(pl.col("_person").str.strip_prefix("SID:")).otherwise(sid),
                           _sch=school)
    docs = (base.filter(~by_sid).group_by("_card", "_nk")
            .agg(_doc=pl.col("_person").first(), _docs=pl.col("_person").n_unique(),
                 _dsids=pl.col("_sidn").drop_nulls().unique(), _dsch=pl.col("_sch").drop_nulls().unique())
            .filter(pl.col("_docs") == 1).drop("_docs"))
    sids = base.filter(by_sid).group_by("_card", "_nk").agg(_sp=pl.col("_person").n_unique())
    agrees = ((pl.col("_dsids").list.len() == 0) | pl.col("_dsids").list.contains(pl.col("_sidn"))) \
        & ((pl.col("_dsch").list.len() == 0) | pl.col("_sch").is_null() | pl.col("_dsch").list.contains(pl.col("_sch")))
    merge = by_sid & pl.col("_doc").is_not_null() & (pl.col("_sp") == 1) & agrees.fill_null(False)
    return (base.join(docs, on=["_card", "_nk"], how="left", maintain_order="left")
            .join(sids, on=["_card", "_nk"], how="left", maintain_order="left")
            .with_columns(_person=pl.when(merge).then(pl.col("_doc")).otherwise(pl.col("_person")))
            .drop("_nk", "_sidn", "_sch", "_doc", "_dsids", "_dsch", "_sp"))


@rule(
    "A311", severity="error", title="一卡多人", title_en="one card, several students", clause="三（五）", across=True,
    needs={"aid": ()},
    what="同一资助卡号（或银行卡号；资助卡号为空的行取社会保障卡号）登记给了不止一名学生（证件号码不同；没有证件号码的按学籍号，同一学籍号在别的表中有证件号码时按该号码，仍找不到证件号码的、与同一张卡上唯一一名同名且有证件号码的学生算同一人（该生在这张卡上没有别的学籍号、不在别的学校，且卡上只有一名这样的同名学生）；学籍号与 A302 一样比较：开头的 0 被 Excel 去掉的（00240003 与 240003）、字母大小写不同的（D20240007 与 d20240007）是同一学籍号），"
         "同校或跨校。每行都报，写明人数并列出其他学生所在的行（问题说明中不出现卡号和他们的证件号）。"
         "比对时也算上各资助表中通知范围以外的其他资助（校级、省级助学金，奖学金等）的行：免学费或国家助学金的卡号与另一名学生领取其他资助的卡号相同的，"
         "报免学费或国家助学金的行，并写明另一名学生领取的是哪种其他资助；其他资助的行本身不报，几名学生只在其他资助中共用一张卡的也不报。卡号比较前去掉空格、连字符和不可见字符，"
         "全角转半角；被 Excel 存成数字的卡号（S004）、占位卡号（全是同一数字，或 6 位银行代码后全是同一数字，如 6217000000000000）、"
         "不是 12–25 位数字的内容（无、待办）不参与比对。几名学生的卡号相同、且是 16 位以上第 15 位之后全是 0 的（Excel 只保留 15 位"
         "有效数字，会把一个学校的连号卡变成同一个数）：这不能说明是一张卡，按被 Excel 截断报 S004，不报 A311。" + NOT_REFUSED,
    why="资助资金须发到学生本人的资助卡（三（五））；多名「学生」共用一张卡，是公开查处的冒领、套取资助案件的典型手法。"
        "同一学生的助学金和免学费用同一张卡不算。",
    example="张三和李四的资助卡号都是 6217 0012 3456 7890 123（一行写成 6217-0012-3456-7890-123）→ 两行都报；"
            "张三的国家助学金与李四的校级助学金卡号相同 → 报张三的行，说明中写明李四领取的是校级助学金；"
            "卡号显示为 6.21700E+18 → 只报 S004，不参与比对；三名学生的卡号都是 6217001234567810（16 位，末位 0）→ 报 S004，不报 A311。",
)
def one_card_several_students(ctx: Context) -> pl.LazyFrame | None:
    cols = ctx.columns("aid")
    cards = [c for c in CARD_FIELDS if c in cols]
    if not cards:
        ctx.options["skip:A311"] = "资助申报与发放缺少列：资助卡号"
        return None

    def per_row(part) -> pl.Expr:
        """`part(field)` of the row's card: 资助卡号, else (when empty) 社会保障卡号."""
        out = part(cards[-1])
        for c in reversed(cards[:-1]):
            out = pl.when(pl.col(c).is_not_null()).then(part(c)).otherwise(out)
        return out

    # computed once when the table was normalised (tables.with_derived)
    damaged = per_row(lambda f: nz.card_damage_of(f, cols))  # stored when normalised, sharing judged over the run
    card = per_row(lambda f: pl.col(f"{f}__key") if f"{f}__key" in cols else nz.card_key(pl.col(f)))
    cut = per_row(lambda f: pl.col(f"{f}__cut") if f"{f}__cut" in cols else nz.card_cut(pl.col(f)))
    # the rows compared: the aid rows the rules judge and the rows of other aid left out of them
    # (`Context.left_out`: a 校级助学金 paid to a card a national grant also goes to is what A311
    # exists for); `_other` marks the latter: evidence named in a message, never reported
    both = ctx.lf("aid").with_columns(_other=pl.lit(False))
    if ctx.left_out.get("aid") is not None:
        both = pl.concat([both, ctx.left_out["aid"].with_columns(_other=pl.lit(True))])
    lf = with_person(ctx, "aid", both).with_columns(_card=card, _damaged=damaged, _cut=cut)
    nobody = pl.all_horizontal([pl.col(c).is_null() for c in ("id_number__key", "student_id") if c in cols] or [pl.lit(True)])
    # Excel's mark on a value several students share: no evidence of one card (Excel makes one
    # number of a school's consecutive cards). Mostly S004 already (card_damaged); a sharing
    # seen only once 学籍号 are resolved to documents (with_person) is noted here.
    cut_shared = card.is_not_null() & cut & ~damaged & (pl.col("_key").drop_nulls().n_unique().over(card) > 1)
    note_unjudged(ctx, "A311", "aid", {
        "资助卡号被 Excel 存成数字": damaged,
        "资助卡号疑似被 Excel 存成数字而截断（几名学生卡号相同，第 15 位之后全是 0），请核对原始卡号并把该列设为文本": cut_shared,
        "既没有可用的证件号码也没有学籍号": card.is_not_null() & ~damaged & nobody})
    # a refused application never paid puts no money on the card (after the windows of `damaged`)
    usable = pl.col("_card").is_not_null() & ~pl.col("_damaged") & pl.col("_person").is_not_null() \
        & ~refused_unpaid(cols)
    # the shared cards, counted on three narrow columns and collected here (few); their rows are
    # then read again by card (a semi join kept every column of every row until the end: 3.1 s,
    # now 1.8 s over a province's 1M aid rows)
    shared = (lf.filter(usable).select("_card", "_person", "_cut").group_by("_card")
              .agg(_persons=pl.col("_person").n_unique(), _cut=pl.col("_cut").any())
              .filter((pl.col("_persons") > 1) & ~pl.col("_cut")).select("_card").collect(engine="streaming"))
    mine = card.is_in(shared["_card"].implode())
    if all(f"{c}__damaged" in cols for c in cards):  # the windows left in `damaged` are over the card: the same on its rows alone
        lf = with_person(ctx, "aid", both).filter(mine).with_columns(_card=card, _damaged=damaged, _cut=cut)
    else:  # damage judged per table (`card_damaged`): over all the rows first
        lf = lf.filter(mine)
    lf = lf.filter(usable)
    if "name" in cols and shared.height:  # on the few rows of the shared cards, collected first (a
        # plan joining and windowing the card's rows kept the whole aid table in memory: +300 MB at 1M)
        lf = _known_by_name(lf.collect(engine="streaming").lazy(), cols) \
            .filter(pl.col("_person").n_unique().over("_card") > 1)
    multi = multi_sheet_files(ctx)
    # a student whose rows on the card are all other aid: named with that aid, so the school sees
    # why a row of it is cited (no card or ID number, as for every other student named)
    kind = pl.coalesce(*[pl.col(c) for c in ("aid_type__raw", "aid_type") if c in cols], pl.lit("其他资助"))  # as written
    other_aid = pl.concat_str([pl.col("name").fill_null("（姓名为空）") if "name" in cols else pl.lit("学生"),
                               pl.lit("（"), place(cols, multi), pl.lit("，领取的是"), kind,
                               pl.lit("，不属于免学费和国家助学金）")])
    desc = pl.when(pl.col("_other").all().over("_card", "_person")).then(other_aid).otherwise(who(cols, multi))
    rows = others_by_person(lf, "_card", desc).filter(~pl.col("_other"))
    msg = pl.concat_str([
        what(cols), pl.lit("的资助卡号与其他学生相同：同一张卡登记给了 "), pl.col("_n").cast(pl.String),
        pl.lit(" 名不同的学生，除本行学生外还有："), pl.col("_others"),
        pl.lit("。资助资金应发到学生本人的资助卡，一张卡只能对应一名学生：请核实卡号是否录错、资金是否发到了学生本人"),
    ])
    key = pl.concat_str([aid_key(cols), pl.col("_card")], separator="|")
    if len(cards) == 1:
        return emit(rows, "aid", msg, field=cards[0], key=key)
    # the cell the card was read from: 资助卡号, or 社会保障卡号 when that was empty
    first = pl.col(cards[0]).is_not_null()
    return pl.concat([emit(rows.filter(first), "aid", msg, field=cards[0], key=key),
                      emit(rows.filter(~first), "aid", msg, field=cards[1], key=key)])


# ------------------------------------------------------------------ A312
@rule(
    "A312", severity="error", title="未审批先发放", title_en="paid before approval", clause="三（三）",
    needs={"aid": ("pay_date",)},
    what="发放日期早于审批日期，或审批状态为待审核/未通过却已发放（有发放日期）。需要发放日期，以及审批日期或审批状态中的一列。"
         "审批当天发放不报。发放日期只写了年月的（2024年11月），按该月最后一天比较：整月都早于审批日期的才报；"
         "与审批日期同月、无法确定先后的，计入未能判断的行。",
    why="资助须先由学校审核、公示，再报主管部门审批，审批后才能发放（三（三））；先发后批，审核和公示就形同虚设。",
    example="审批日期 2024-10-25、发放日期 2024-10-20 → A312；审批状态「待审核」、发放日期 2024-11-20 → A312；"
            "审批日期与发放日期同为 2024-10-25 不报。",
)
def paid_before_approval(ctx: Context) -> pl.LazyFrame | None:
    cols = ctx.columns("aid")
    has_date, has_status = "approved_date" in cols, "approval_status" in cols
    if not (has_date or has_status):
        ctx.options["skip:A312"] = "资助表缺少列：审批日期、审批状态"
        return None
    note_unjudged(ctx, "A312", "aid", unreadable("aid", cols, "pay_date", "approved_date", "approval_status"))
    paid = pl.col("pay_date").is_not_null()
    # a date with only its year and month (2024年11月, read as the 1st) may be any day of it: the
    # payment is early only when its month ends before the approval's first possible day
    pay_ym = pl.col("pay_date__ym").fill_null(False) if "pay_date__ym" in cols else pl.lit(False)
    pay_last = pl.when(pay_ym).then(pl.col("pay_date").dt.month_end()).otherwise(pl.col("pay_date"))
    if has_date:
        early = (pay_last < pl.col("approved_date")).fill_null(False)
        appr_ym = pl.col("approved_date__ym").fill_null(False) if "approved_date__ym" in cols else pl.lit(False)
        unsure = (pay_ym | appr_ym) \
            & (pl.col("pay_date") < pl.col("approved_date")).fill_null(False) & ~early
        note_unjudged(ctx, "A312", "aid", {"发放日期或审批日期只写了年月，无法确定先后": unsure})
    else:
        early = pl.lit(False)
    pending = pl.col("approval_status").is_in(list(PENDING)).fill_null(False) if has_status else pl.lit(False)
    lf = ctx.lf("aid").filter(paid & (early | pending))
    shown_pay = pl.when(pay_ym).then(pl.col("pay_date").dt.strftime("%Y年%-m月")).otherwise(day(pl.col("pay_date")))
    early_txt = pl.when(early).then(pl.concat_str([
        pl.lit("发放日期 "), shown_pay, pl.lit(" 早于审批日期 "), day(pl.col("approved_date")),
        pl.when(pay_ym).then(pl.lit("（至少早 ")).otherwise(pl.lit("（早 ")),
        (pl.col("approved_date") - pay_last).dt.total_days().cast(pl.String), pl.lit(" 天）"),
    ])) if has_date else pl.lit(None, pl.String)
    pending_txt = pl.when(pending).then(pl.concat_str([
        pl.lit("审批状态为「"), pl.coalesce(pl.col("approval_status__raw"), pl.col("approval_status"))
        if "approval_status__raw" in cols else pl.col("approval_status"),
        pl.lit("」却已于 "), day(pl.col("pay_date")), pl.lit(" 发放"),
    ])) if has_status else pl.lit(None, pl.String)
    msg = pl.concat_str([
        what(cols), pl.lit("："), pl.concat_str([early_txt, pending_txt], separator="，", ignore_nulls=True),
        pl.lit("。资助须审核、公示、审批后才能发放：请核实审批手续，未经批准发放的资金应追回"),
    ])
    out = emit(lf, "aid", msg, field="pay_date", key=aid_key(cols))
    if has_status:  # point at the cell that says why: the dates, else the status
        out = out.with_columns(field=pl.when(pl.col("message").str.contains("早于审批日期")).then(pl.lit("pay_date"))
                               .otherwise(pl.lit("approval_status")))
    return out
