"""Status-change rules 学籍异动 (notice 二（三）, 四（一）): C201–C203.

Also the small expression helpers the aid and publicity rules share (dates and money as text,
the unknown-calendar note, a stable student key).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re

import polars as pl

from xueji_check import normalize as nz
from xueji_check.calendar import KNOWN_MAX, KNOWN_MIN, UNKNOWN_NOTE
from xueji_check.engine import Context, note_unjudged, unreadable
from xueji_check.findings import emit
from xueji_check.registry import rule
from xueji_check.schools import SEVERAL, UNNAMED

# Change types after which the roster should not say 在校, and the status it should say.
LEAVING = {
    "退学": "退学", "转出": "转出", "转学": "转出", "系统内转出": "转出", "系统外转出": "转出",
    "休学": "休学", "入伍": "休学", "开除": "开除", "死亡": "死亡",
}
# Change types after which the roster should say 在校.
RETURNING = ("复学", "转入", "系统内转入", "系统外转入")
# 审批状态 of a change that did not happen: refused (审核不通过, 驳回, 退回) or withdrawn (撤销, 取消).
NOT_HAPPENED = ("未通过", "已撤销")
# 审批状态 wordings that say a change has not been reported (S007 cannot read them either).
NOT_REPORTED = r"^(?:未|尚未|暂未|还未|没有?)(?:上报|申报|提交|报送)"
APPROVAL_STATUSES = ("待审核", "已通过", "未通过", "已撤销")  # schemas/changes.toml
# Roster statuses that mean "not at school" (毕业/结业 are not contradicted by an old 复学).
AWAY_STATUSES = ("休学", "退学", "转出", "转学", "开除", "死亡")
ZH_SEASON = {"spring": "春", "autumn": "秋"}


# ------------------------------------------------------------------ shared helpers
def day(e: pl.Expr) -> pl.Expr:
    """A date as 2018-09-28 text."""
    return e.dt.strftime("%Y-%m-%d")


def base_name(e: pl.Expr) -> pl.Expr:
    """The file name of a display path."""
    return e.str.extract(r"([^/\\]+)$", 1)


MULTI = "_cache:multi_sheet_files"


def multi_sheet_files(ctx: Context) -> list[str]:
    """The input files (display paths, as in `_file`) of which more than one sheet was read as a
    table (a workbook of one sheet per class): a row named in a message needs its sheet there."""
    if MULTI not in ctx.options:
        seen: dict[str, set[str]] = {}
        for tables in ctx.tables.values():
            for t in tables:
                seen.setdefault(t.file, set()).add(t.sheet)
        ctx.options[MULTI] = sorted(f for f, sheets in seen.items() if len(sheets) > 1)
    return ctx.options[MULTI]


def row_ref(multi: list[str], file: str = "_file", sheet: str = "_sheet", row: str = "_row") -> pl.Expr:
    """Another row named in a message: `名册.xlsx 第 5 行`, or `名册.xlsx「数控1班」第 5 行` when the
    file had several sheets read (`multi`, from `multi_sheet_files`)."""
    f = pl.col(file)
    before_row = pl.when(f.is_in(multi)).then(pl.format("「{}」第 ", pl.col(sheet).fill_null(""))).otherwise(pl.lit(" 第 ")) \
        if multi else pl.lit(" 第 ")
    return pl.concat_str([base_name(f), before_row, pl.col(row).cast(pl.String), pl.lit(" 行")])


def money(e: pl.Expr) -> pl.Expr:
    """1500.0 → 1500, 1234.5 → 1234.5."""
    return pl.when(e == e.round(0)).then(e.round(0).cast(pl.Int64).cast(pl.String)) \
        .otherwise(e.round(2).cast(pl.String))


def unknown_note(ctx: Context, first_year: pl.Expr, last_year: pl.Expr, years: set[int]) -> pl.Expr:
    """The calendar note for the years between first_year and last_year that the installed
    calendar does not know (empty text otherwise). `years` (the years the rule's data spans)
    are registered with the run's calendar so that the run summary mentions them."""
    unknown = {y for y in years if not ctx.calendar.year_known(y)}
    if not unknown:
        return pl.lit("")
    ctx.calendar.note_unknown(unknown)
    before, after = UNKNOWN_NOTE.split("{years}")
    span = pl.int_ranges(first_year, last_year + 1).list.eval(
        pl.element().filter(~pl.element().is_between(KNOWN_MIN, KNOWN_MAX)).cast(pl.String))
    joined = span.list.join("、")
    return pl.when(span.list.len() > 0).then(pl.lit(before) + joined + pl.lit(after)).otherwise(pl.lit(""))


def years_spanned(ctx: Context, kind: str, *cols: str, extra: tuple = ()) -> set[int]:
    """Every year from the earliest to the latest of the given date columns of `kind`."""
    lo, hi = ctx.date_range(kind, *cols)
    los = [d.year for d in (lo, *extra) if d is not None]
    his = [d.year for d in (hi, *extra) if d is not None]
    if not los:
        return set()
    return set(range(min(los), min(max(his), 2100) + 1))


def student_key(cols: list[str], *extra: pl.Expr) -> pl.Expr:
    """A stable key for fingerprints: the student key (ID, else 学籍号), else name+school, else
    the school alone (findings.finalize numbers findings that share a key); followed by `extra`
    parts. Never the file or row: next month's export with new names gives the same key."""
    parts = []
    if "_key" in cols:
        parts.append(pl.col("_key"))
    school = pl.col("school_name").fill_null("") if "school_name" in cols else pl.lit("")
    if "name" in cols:
        name = pl.col("name__key") if "name__key" in cols else pl.col("name")
        parts.append(pl.concat_str([pl.lit("N:"), name, school]))
    parts.append(pl.concat_str([pl.lit("@"), school]))
    return pl.concat_str([pl.coalesce(parts), *[e.cast(pl.String) for e in extra]], separator="|",
                         ignore_nulls=True)


def term_text(year: pl.Expr, season: pl.Expr) -> pl.Expr:
    """2018 + autumn → 2018年秋季学期."""
    return pl.concat_str([year.cast(pl.String), pl.lit("年"),
                          season.replace_strict(ZH_SEASON, default="?", return_dtype=pl.String), pl.lit("季学期")])


MAX_LISTED = 5  # other students named in a message about a group (A311, R110)


SID_DOCUMENTS = "_cache:sid_documents"


def sid_same(sid: pl.Expr) -> pl.Expr:
    """The form in which two 学籍号 are the same student's, as A302 and R101 compare them: digits
    without the leading zeros Excel drops (`normalize.student_id_digits`: 00240003 and 240003),
    else upper case (d20240007 is D20240007; `student_id_digits` leaves letters alone)."""
    return pl.coalesce(nz.student_id_digits(sid), sid.str.to_uppercase())


def _sid_documents(ctx: Context) -> pl.LazyFrame | None:
    """Each 学籍号 (in its `sid_same` form) that has exactly one document key over every table of
    the run: `_sid`, `_sid_doc`; None when no table has both columns. Made once per run (every rule taking
    `with_person` shares it; over a province's 2M rows each making it took ~0.4 s):
    `Context.shared`."""
    if SID_DOCUMENTS in ctx.options:
        return ctx.options[SID_DOCUMENTS]
    pairs = [ctx.lf(k).select(sid_same(pl.col("student_id")).alias("_sid"), "id_number__key") for k in ctx.kinds()
             if ctx.has(k, "student_id", "id_number__key")]
    sid_map = None
    if pairs:
        sid_map = (pl.concat(pairs).drop_nulls().unique().group_by("_sid")
                   .agg(_sid_doc=pl.col("id_number__key").first(), _docs=pl.len())
                   .filter(pl.col("_docs") == 1).drop("_docs"))
        sid_map = ctx.shared("sid_documents", sid_map)
    ctx.options[SID_DOCUMENTS] = sid_map
    return sid_map


def with_person(ctx: Context, kind: str, rows: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """The rows of `kind` (or `rows`, some of them) with `_person`, who the row is about: the document key
    (`id_number__key`: a GB 11643 number, else type + number); for a row without one, the
    document key its 学籍号 has in another row of any table (when that 学籍号 has exactly one);
    else `SID:` + 学籍号; null when the row has neither. 学籍号 are compared in their `sid_same`
    form. So one student written with an ID in one row and only a 学籍号 in another (00240003 there,
    240003 or d… for D… here) is one person, not two."""
    cols = ctx.columns(kind)
    base = ctx.lf(kind) if rows is None else rows
    doc = pl.col("id_number__key") if "id_number__key" in cols else pl.lit(None, pl.String)
    if "student_id" not in cols:
        return base.with_columns(_person=doc)
    sid_map = _sid_documents(ctx)
    lf = base.with_columns(_sid=sid_same(pl.col("student_id")))
    if sid_map is not None:
        lf = lf.join(sid_map, on="_sid", how="left")
        mapped = pl.col("_sid_doc")
    else:
        mapped = pl.lit(None, pl.String)
    person = pl.coalesce(doc, mapped, pl.lit("SID:") + pl.col("_sid"))
    return lf.with_columns(_person=person).drop("_sid", "_sid_doc", strict=False)


def others_by_person(lf: pl.LazyFrame, group: str, desc: pl.Expr) -> pl.LazyFrame:
    """For rows sharing `group` (rows with `_person`, `_file`, `_sheet`, `_row`), add `_n` (the
    number of persons in the group) and `_others` (the first row of each other person, described
    by `desc`, up to MAX_LISTED, `；`-joined, `等共 N 人` when there are more). Linear: each person
    drops itself from the group's first few entries."""
    firsts = (lf.with_columns(_desc=desc).sort([group, "_person", "_file", "_sheet", "_row"], nulls_last=True)
              .group_by([group, "_person"], maintain_order=True)
              .agg(pl.col("_desc").first(), pl.col("_file").first(), pl.col("_sheet").first(), pl.col("_row").first())
              .sort([group, "_file", "_sheet", "_row"], nulls_last=True)
              .with_columns(_r=pl.int_range(pl.len()).over(group)))
    groups = firsts.group_by(group).agg(_descs=pl.col("_desc").head(MAX_LISTED + 1), _n=pl.len())
    firsts = firsts.join(groups, on=group, how="left")
    others = pl.concat_list(pl.col("_descs").list.slice(0, pl.col("_r")),
                            pl.col("_descs").list.slice(pl.col("_r") + 1)).list.head(MAX_LISTED)
    more = pl.when(pl.col("_n") - 1 > MAX_LISTED).then(pl.format("等共 {} 人", pl.col("_n") - 1)).otherwise(pl.lit(""))
    firsts = firsts.select(group, "_person", "_n", _others=others.list.join("；") + more)
    return lf.join(firsts, on=[group, "_person"], how="inner")


def place(cols: list[str], multi: list[str]) -> pl.Expr:
    """`东方技工学校 名册.xlsx 第 5 行` (the sheet too for a file in `multi`, see `row_ref`)."""
    school = pl.col("school_name").fill_null("（未注明学校）") if "school_name" in cols else pl.lit("（未注明学校）")
    return pl.concat_str([school, pl.lit(" "), row_ref(multi)])


def who(cols: list[str], multi: list[str]) -> pl.Expr:
    """`张三（东方技工学校 名册.xlsx 第 5 行）`: a student named in another row's message, without any
    number of theirs."""
    name = pl.col("name").fill_null("（姓名为空）") if "name" in cols else pl.lit("学生")
    return pl.concat_str([name, pl.lit("（"), place(cols, multi), pl.lit("）")])


# An export's date as systems and clerks write it in a title or under the table: 导出日期：2025年1月6日,
# 导出时间 2025-01-06 10:15, 数据截至 2025.1.6, 生成日期/打印日期/制表日期 (not 截止日期, a deadline,
# nor 统计时间 or a date that starts a period: 2024年9月1日至…).
_EXPORT_DATE = re.compile(r"(?:(?:导出|生成|打印|制表|下载)(?:日期|时间)|数据截[至止](?:日期|时间)?)\s*[：:]?\s*"
                          r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?!\s*(?:至|到|—|－|-|~|～))")


def export_date(t) -> dt.date | None:
    """The day a table says it was exported (`_EXPORT_DATE` in its title or footer lines), or
    None; the latest when it says several."""
    found = []
    for line in [*t.title_lines, *t.footer_lines]:
        for m in _EXPORT_DATE.finditer(line or ""):
            with contextlib.suppress(ValueError):
                found.append(dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))))
    return max(found) if found else None


# ------------------------------------------------------------------ C201
@rule(
    "C201", severity="error", title="学籍异动申报逾期", title_en="change reported late",
    clause="二（三）", needs={"changes": ("occurred_date",)},
    what="异动发生之日起（不含当日）至申报日（含当日）超过 10 个工作日（change_report_workdays；按国务院节假日安排，含调休上班日）。没有申报日期、且截至 --as-of 已过期限的，报为未申报；"
         "异动表的标题或表下写明了导出日期（「导出日期：2025年1月6日」「数据截至 2025-01-06」，也认生成、打印、制表日期；统计时间和时段的起始日不算）、且早于 --as-of 的，"
         "导出之后的申报表中不可能有，未申报按导出日期判断，导出时尚未到期的计入未能判断的行；"
         "但已有审批日期的，说明最晚在审批日已申报：审批日期在期限内的不报，晚于期限的不能判断何时申报，计入未能判断的行；"
         "没有审批日期而审批状态为待审核、已通过、未通过或已撤销的（含已上报、已提交→待审核，已办结、审批完成→已通过等写法），已提交审批或已撤销，也不报未申报，何时申报不能判断，计入未能判断的行；"
         "审批状态无法识别的（如「初审通过」，由 S007 报出）也可能已申报，同样计入未能判断的行，写明未上报、尚未申报的除外。"
         "异动日期或申报日期只写了年月（2024年10月）的，相隔几个工作日无法确定，也计入未能判断的行。"
         "同一学校同一学生同一天的同一异动写了几行的（全校汇总表和班级表各一行、退回后重新申报），按其中最早的完整申报日期判断，只报一条：报在写有该日期的行（都没有申报日期的，报在第一行）。"
         "几张异动表中只有部分有申报日期列的，没有该列的表中的异动不报未申报，计入未能判断的行。",
    why="学籍异动须及时申报；拖延申报常用来掩盖学生已离校却仍领资助（二（三））。",
    example="2024-09-27 发生、2024-10-17 申报，跨国庆节共 11 个工作日 → C201；10-16 申报（第 10 个工作日）不报。",
)
def late_change_reports(ctx: Context) -> pl.LazyFrame | None:
    cols = ctx.columns("changes")
    reasons = unreadable("changes", cols, "occurred_date", "reported_date", "approved_date")
    if "reported_date" not in cols:
        note_unjudged(ctx, "C201", "changes", reasons)
        ctx.options["skip:C201"] = "学籍异动记录缺少列：申报日期（无法判断是否按时申报）"
        return None
    n = ctx.policy.change_report_workdays
    cal = ctx.calframe
    # a date with only its year and month (2024年10月, read as the 1st) does not say how many days
    # passed: not judged, rather than counted from the earliest day it could be
    month_only = (pl.col("occurred_date__ym") | pl.col("reported_date__ym")).fill_null(False)
    reasons["异动日期或申报日期只写了年月"] = pl.col("occurred_date").is_not_null() & month_only
    # a table that says when it was exported (导出日期：2025年1月6日 in its title or under it) cannot
    # show a report made after that day: "still unreported" is judged as of the earlier of the two
    exported = {k: d for k, d in ((f"{x.file}\x00{x.sheet or ''}", export_date(x)) for x in ctx.tables.get("changes", []))
                if d is not None and d < ctx.as_of}
    where = pl.concat_str([pl.col("_file"), pl.lit("\x00"), pl.col("_sheet").fill_null("")])
    cut = where.replace_strict(list(exported), list(exported.values()), default=None, return_dtype=pl.Date) \
        if exported else pl.lit(None, pl.Date)
    lf = ctx.lf("changes").with_columns(_as_of=pl.coalesce(cut, pl.lit(ctx.as_of)), _exported=cut.is_not_null(),
                                        _written=pl.col("reported_date__raw").is_not_null())
    if "_key" in cols:
        # one change of one student written in several rows (the whole school's sheet and a class's
        # sheet, a record sent back (退回) and submitted again) was reported when it was first
        # reported: each of its rows is judged on the earliest 申报日期 of them all
        # (at one school: a 学籍号 is numbered by each school, so 2024001 at two schools is two
        # students; a date with only its year and month is no earliest day)
        same = ["_key", "occurred_date", *[c for c in ("change_type", "school_name") if c in cols]]
        one = pl.col("_key").is_not_null() & pl.col("occurred_date").is_not_null()
        full = pl.when(~pl.col("reported_date__ym").fill_null(False)).then(pl.col("reported_date"))
        lf = lf.with_columns(_own=pl.col("reported_date")).with_columns(
            reported_date=pl.when(one).then(pl.coalesce(full.min().over(same), pl.col("reported_date")))
            .otherwise(pl.col("reported_date")),
            _written=pl.when(one).then(pl.col("_written").any().over(same)).otherwise(pl.col("_written")))
    lf = cal.nth_workday_after(lf, "occurred_date", n, "_deadline")
    lf = cal.workdays_between(lf, "occurred_date", "reported_date", "_n")
    lf = cal.workdays_between(lf, "occurred_date", "_as_of", "_n_now")
    reported = pl.col("reported_date").is_not_null()
    late = reported & (pl.col("_n") > n)
    unreported = (~pl.col("_written") & pl.col("_deadline").is_not_null()
                  & (pl.col("_deadline") < pl.col("_as_of")))
    # late by the check date, not yet by the export date: what came after the export is not known
    reasons["申报期限在该表的导出日期之后（导出后是否申报不得而知）"] = (
        ~pl.col("_written") & pl.col("_exported") & pl.col("_deadline").is_not_null()
        & (pl.col("_deadline") >= pl.col("_as_of")) & (pl.col("_deadline") < pl.lit(ctx.as_of)))
    # a row of a table without a 申报日期 column (another export beside one with it) says nothing of
    # when its change was reported: not judged, rather than called unreported
    with_col = [f"{x.file}\x00{x.sheet or ''}" for x in ctx.tables.get("changes", []) if "reported_date" in x.field_cols]
    in_table = pl.concat_str([pl.col("_file"), pl.lit("\x00"), pl.col("_sheet").fill_null("")]).is_in(with_col)
    reasons["所在表格没有申报日期列"] = unreported & ~month_only & ~in_table
    unreported = unreported & in_table
    if "approved_date" in cols:
        # an empty 申报日期 of an approved change is a date not written, not a change not reported:
        # it was reported by its 审批日期 at the latest. On time when that is within the deadline;
        # otherwise when it was reported is not known, and the row is not judged
        approved = pl.col("approved_date__raw").is_not_null()
        reasons["申报日期为空、审批日期晚于申报期限"] = (
            unreported & ~month_only & pl.col("approved_date").is_not_null() & (pl.col("approved_date") > pl.col("_deadline")))
        unreported = unreported & ~approved
    if "approval_status" in cols:
        # a change with an approval status (待审核, 已通过, 未通过, 已撤销) without any date was submitted
        # for approval (or withdrawn): when it was reported is not known: not judged, rather than
        # called unreported
        submitted = pl.col("approval_status").is_in(["待审核", "已通过", *NOT_HAPPENED]).fill_null(False)
        reasons["申报日期为空、审批状态表明已申报"] = unreported & ~month_only & submitted
        # a status S007 cannot read (初审通过, 学校审核通过: an enum value kept as written) may say
        # it was reported as well: not judged either, unless it says it was not (未上报, 尚未申报)
        status = pl.col("approval_status")
        unread = (status.is_not_null() & ~status.is_in(APPROVAL_STATUSES)
                  & ~status.str.contains(NOT_REPORTED)).fill_null(False)
        reasons["申报日期为空、审批状态无法识别（S007）"] = unreported & ~month_only & unread
        unreported = unreported & ~submitted & ~unread
    note_unjudged(ctx, "C201", "changes", reasons, frame=lf)
    lf = lf.filter(pl.col("occurred_date").is_not_null() & ~month_only & (late | unreported))
    if "_key" in cols:
        # and it is reported once, at its first row in run order (not once per sheet it is on)
        change = pl.when(one).then(pl.concat_str([pl.col(c).cast(pl.String) for c in same], separator="|", ignore_nulls=True)) \
            .otherwise(pl.concat_str([pl.lit("row:"), pl.col("_tid").cast(pl.String), pl.lit(":"), pl.col("_row").cast(pl.String)]))
        # the row that holds the date judged (the finding quotes it), else the first in run order
        holds = (pl.col("_own") == pl.col("reported_date")).fill_null(False)
        lf = lf.with_columns(_change=change, _other=~holds).sort("_other", "_tid", "_row") \
            .unique("_change", keep="first", maintain_order=True).sort("_tid", "_row")
    end = pl.coalesce(pl.col("reported_date"), pl.col("_as_of"))
    note = unknown_note(ctx, pl.col("occurred_date").dt.year(), end.dt.year(),
                        years_spanned(ctx, "changes", "occurred_date", "reported_date", extra=(ctx.as_of,)))
    what = pl.concat_str([pl.lit("「"), pl.col("change_type").fill_null("异动"), pl.lit("」")]) \
        if "change_type" in cols else pl.lit("")
    msg_late = pl.concat_str([
        what, pl.lit("异动日期 "), day(pl.col("occurred_date")), pl.lit("，申报日期 "), day(pl.col("reported_date")),
        pl.lit("，相隔 "), pl.col("_n").cast(pl.String), pl.lit(f" 个工作日，超过规定的 {n} 个工作日（申报期限为 "),
        day(pl.col("_deadline")), pl.lit("）；请核实逾期原因并督促学校按时申报"), note])
    msg_unrep = pl.concat_str([
        what, pl.lit("异动日期 "), day(pl.col("occurred_date")), pl.lit("，截至 "), day(pl.col("_as_of")),
        pl.when(pl.col("_exported")).then(pl.lit("（该表的导出日期）")).otherwise(pl.lit(" ")),
        pl.lit("仍未申报（申报日期为空），已过 "),
        pl.col("_n_now").cast(pl.String), pl.lit(f" 个工作日，超过规定的 {n} 个工作日（申报期限为 "),
        day(pl.col("_deadline")), pl.lit("）；请立即申报并说明逾期原因"), note])
    msg = pl.when(reported).then(msg_late).otherwise(msg_unrep)
    key = student_key(cols, pl.col("change_type") if "change_type" in cols else pl.lit(None),
                      pl.col("occurred_date"))
    return emit(lf, "changes", msg, field="reported_date", key=key)


# ------------------------------------------------------------------ C202
BULK_SHARE_MIN = 2  # changes at least, for the share of a school's students to make a batch


@rule(
    "C202", severity="warning", title="大批量学籍异动", title_en="bulk changes", across=True,
    clause="四（一）", needs={"changes": ("occurred_date", "school_name")},
    what="同一学校在任意 window 个工作日内（默认 10）异动人数 ≥ count（默认 50），或达到该校在校生的 share（默认 10%）"
         "且至少 2 人（在校生只有几人的学校，1 人转学不是大批量）。每个集中时段报一条。同一学生同一天的同一异动写了几行的"
         "（两份导出有重叠、退回后重新申报）算一条；同一学生在时段内有几次异动的（休学后复学）算 1 人；审批状态为未通过或已撤销的不计。",
    why="短期内大批异动可能是集中虚假注册后批量退学，需重点核查（四（一））。",
    example="在校生 25 人的学校一周内 4 人休学（16%）→ C202。",
)
def bulk_changes(ctx: Context) -> pl.LazyFrame | None:
    p = ctx.policy
    w = p.bulk_window
    cal = ctx.calframe.frame.lazy().select(pl.col("date").alias("occurred_date"), pl.col("cum").alias("_idx"))
    ccols = ctx.columns("changes")
    ch = ctx.lf("changes").filter(pl.col("occurred_date").is_not_null() & pl.col("school_name").is_not_null())
    if "approval_status" in ccols:  # a change refused (未通过, 退回) or withdrawn (已撤销) did not happen
        ch = ch.filter(~pl.col("approval_status").fill_null("").is_in(NOT_HAPPENED))
    # one change of one student written twice (two overlapping exports, a record sent back and
    # submitted again) is one change; a row without a student key is its own change
    who_ = pl.coalesce(pl.col("_key") if "_key" in ccols else pl.lit(None, pl.String),
                       pl.concat_str([pl.lit("row:"), pl.col("_tid").cast(pl.String), pl.lit(":"),
                                      pl.col("_row").cast(pl.String)]))
    what_ = pl.col("change_type") if "change_type" in ccols else pl.lit(None, pl.String)
    ch = (ch.with_columns(_who=who_, _what=what_).sort("_tid", "_row")
          .unique(["school_name", "_who", "_what", "occurred_date"], keep="first", maintain_order=True)
          .select("school_name", "occurred_date", "_who", "_file", "_sheet", "_tid")
          .join(cal, on="occurred_date", how="inner"))
    has_roster = ctx.has("roster", "school_name")
    if has_roster:
        ident = pl.coalesce(pl.col("_key"), pl.concat_str([pl.col("_file"), pl.col("_row").cast(pl.String)]))
        size = ctx.lf("roster").filter(pl.col("school_name").is_not_null()).group_by("school_name").agg(
            ident.n_unique().alias("_size"))
    else:
        size = pl.LazyFrame(schema={"school_name": pl.String, "_size": pl.UInt32})
    # Students (not changes: one student's 休学 and 复学 a week apart are one student) with a change
    # in the window ending on each day with changes. A change on day i counts in the windows ending
    # on i .. i+w-1; a student's next change only adds the days its earlier ones did not cover, so
    # the covered spans, summed as +1/-1 steps per school, give each window's number of students.
    prev = pl.col("_idx").shift(1).over("school_name", "_who")
    spans = (ch.select("school_name", "_who", "_idx").unique().sort("school_name", "_who", "_idx")
             .with_columns(_s=pl.max_horizontal("_idx", (prev + w).fill_null(pl.col("_idx"))), _e=pl.col("_idx") + w)
             .filter(pl.col("_s") < pl.col("_e")))
    days = ch.select("school_name", "_idx").unique()
    steps = pl.concat([spans.select("school_name", pl.col("_s").alias("_idx"), _d=pl.lit(1, pl.Int64)),
                       spans.select("school_name", pl.col("_e").alias("_idx"), _d=pl.lit(-1, pl.Int64)),
                       days.with_columns(_d=pl.lit(0, pl.Int64))], how="vertical_relaxed")
    win = (steps.group_by("school_name", "_idx").agg(pl.col("_d").sum()).sort("school_name", "_idx")
           .with_columns(_total=pl.col("_d").cum_sum().over("school_name"))
           .join(days, on=["school_name", "_idx"], how="semi").drop("_d"))
    win = win.join(size, on="school_name", how="left")
    share = pl.col("_total") / pl.col("_size")
    hit = (pl.col("_total") >= p.bulk_count) | (
        pl.col("_size").is_not_null() & (share >= p.bulk_share) & (pl.col("_total") >= BULK_SHARE_MIN))
    flagged = win.filter(hit).sort("school_name", "_idx")
    # Overlapping flagged windows form one episode.
    flagged = flagged.with_columns(
        _ep=((pl.col("_idx") - pl.col("_idx").shift(1).over("school_name")).fill_null(w) >= w)
        .cum_sum().over("school_name"))
    episodes = flagged.group_by("school_name", "_ep").agg(
        (pl.col("_idx").min() - w + 1).alias("_lo"), pl.col("_idx").max().alias("_hi"),
        pl.col("_total").max().alias("_peak"), pl.col("_size").first().alias("_size"))
    inside = ch.join(episodes, on="school_name", how="inner").filter(
        pl.col("_idx").is_between(pl.col("_lo"), pl.col("_hi")))
    out = inside.group_by("school_name", "_ep").agg(
        pl.len().alias("_count"), pl.col("_who").n_unique().alias("_people"), pl.col("occurred_date").min().alias("_d1"),
        pl.col("occurred_date").max().alias("_d2"), pl.col("_peak").first(), pl.col("_size").first(),
        # the episode's first table in run order (a join's order is not kept by the streaming engine)
        pl.col("_file").sort_by("_tid").first(), pl.col("_sheet").sort_by("_tid").first(),
        pl.col("_tid").min())
    years = years_spanned(ctx, "changes", "occurred_date")
    note = unknown_note(ctx, pl.col("_d1").dt.year(), pl.col("_d2").dt.year(), years)
    share_txt = pl.when(pl.col("_size").is_not_null()).then(pl.concat_str([
        pl.lit("，占该校名册 "), pl.col("_size").cast(pl.String), pl.lit(" 人的 "),
        (pl.col("_peak") / pl.col("_size") * 100).round(1).cast(pl.String), pl.lit("%")])).otherwise(
        pl.lit("（未提供该校学籍名册，未按比例判断）" if has_roster else "（未提供学籍名册，未按比例判断）"))
    msg = pl.concat_str([
        pl.col("school_name"), pl.lit(" 在 "), day(pl.col("_d1")), pl.lit(" 至 "), day(pl.col("_d2")),
        pl.lit(" 期间共有 "), pl.col("_count").cast(pl.String), pl.lit(" 条学籍异动（"), pl.col("_people").cast(pl.String),
        pl.lit(f" 名学生），其中任意 {w} 个工作日内最多 "), pl.col("_peak").cast(pl.String), pl.lit(" 名学生"), share_txt,
        pl.lit(f"，达到大批量异动标准（{p.bulk_count} 人或在校生的 {p.bulk_share * 100:g}%）；"
               "请重点核查这些异动是否真实、是否有集中虚假注册后退学的情况"), note])
    key = pl.concat_str([pl.lit("school:"), pl.col("school_name"), day(pl.col("_d1"))], separator="|")
    return emit(out.with_columns(_row=pl.lit(None, pl.Int64)), "changes", msg, key=key)


# ------------------------------------------------------------------ C203
@rule(
    "C203", severity="warning", title="学籍状态与异动记录不一致", title_en="roster and changes disagree",
    clause="二（三）", needs={"roster": ("status",), "changes": ("change_type", "occurred_date")},
    what="同一学生最近一次异动为退学/转出/休学/毕业而名册仍为在校，或最近一次异动为复学/转入而名册不是在校。审批状态为未通过或已撤销的异动、"
         "异动日期晚于检查基准日（--as-of）的异动不计；审批状态为待审核的异动尚未生效，按此前最近一次已生效的异动比对；"
         "名册与之不一致、却与其后待审核的异动一致的（学校已先改了名册），不作判断，计入未能判断的行。异动与名册按学生和学校比对：异动的学校取其学校列，没有时取异动表标题或文件名写明的学校，"
         "再没有时取该生所在的唯一一所学校；该生在几所学校的名册中（转学）而异动没有写明学校时，无法确定异动属于哪所学校，计入未能判断的行。"
         "最近一次异动与该生同月的另一次异动中有只写了年月的（「2024年3月」复学、2024-03-05 休学），无法确定哪一次在后，计入未能判断的行。"
         "最近一次异动为退学、转出、休学等离校异动、而名册行的入学日期或注册日期晚于它的，是异动之后的另一次注册（退学后重新入学、用新学籍号注册，或经本校记录的转学转来），不与该异动比对。",
    why="名册与异动记录不一致，说明名册没有及时更新，已离校的学生可能仍被当作在校生领取资助（二（三））。",
    example="异动记录 2025-01-10 退学，名册学籍状态仍为「在校」→ C203。",
)
def roster_change_disagreement(ctx: Context) -> pl.LazyFrame | None:
    rcols, ccols = ctx.columns("roster"), ctx.columns("changes")
    note_unjudged(ctx, "C203", "changes", unreadable("changes", ccols, "_key", "change_type", "occurred_date"))
    by_school = "school_name" in rcols
    keys = ["_key", "school_name"] if by_school else ["_key"]
    # a change dated after --as-of has not happened yet on that day (休学 from September)
    ch = ctx.lf("changes").filter(pl.col("_key").is_not_null() & pl.col("change_type").is_not_null()
                                  & pl.col("occurred_date").is_not_null()
                                  & (pl.col("occurred_date") <= pl.lit(ctx.as_of)))
    if "approval_status" in ccols:  # refused or withdrawn: did not happen
        ch = ch.filter(~pl.col("approval_status").fill_null("").is_in(NOT_HAPPENED))
    ro = ctx.lf("roster").filter(pl.col("_key").is_not_null() & pl.col("status").is_not_null())
    if by_school:
        # the school of a change: its school column, else the school its table names (the title
        # 西山技工学校学籍异动记录), else the student's when the rosters have them at one school only;
        # a change still without a school (the student on several schools' rosters) is not judged:
        # 转出 at one and 在校 at the other is a transfer
        named = {tid: x for tid, x in ctx.table_school.items() if x not in (UNNAMED, SEVERAL)}
        only = (ro.group_by("_key").agg(pl.col("school_name").drop_nulls().unique().alias("_s"))
                .filter(pl.col("_s").list.len() == 1).select("_key", pl.col("_s").list.first().alias("_only")))
        ch = (ch.with_columns(_cs=pl.coalesce(pl.col("school_name") if "school_name" in ccols else pl.lit(None, pl.String),
                                              pl.col("_tid").replace_strict(named, default=None, return_dtype=pl.String)))
              .join(only, on="_key", how="left")
              .with_columns(school_name=pl.coalesce("_cs", "_only")))
        note_unjudged(ctx, "C203", "changes", {"学生在几所学校的名册中、异动记录未写学校": pl.col("school_name").is_null()},
                      frame=ch.join(ro.select("_key").unique(), on="_key", how="semi"))
        ch = ch.filter(pl.col("school_name").is_not_null())
    # the latest change that has taken effect, and the latest change when it still awaits approval
    # (待审核): that one has not taken effect, and the school may already have written it in the roster
    pend = (pl.col("approval_status") == "待审核").fill_null(False) if "approval_status" in ccols else pl.lit(False)
    ordered = ch.with_columns(_pend=pend).with_row_index("_order").sort([*keys, "occurred_date", "_order"])
    # a date with only its year and month (2024年3月, read as the 1st) in the month of another change
    # of the student: which came last is not known (a 复学 of 2024年3月 and a 休学 of 2024-03-05)
    ym = pl.col("occurred_date__ym").fill_null(False) if "occurred_date__ym" in ccols else pl.lit(False)
    month = pl.col("occurred_date").dt.truncate("1mo")
    latest = (ordered.filter(~pl.col("_pend"))
              .group_by(keys, maintain_order=True)
              .agg(pl.col("change_type").last().alias("_last_type"),
                   pl.col("occurred_date").last().alias("_last_date"),
                   pl.col("_row").last().alias("_change_row"),
                   pl.col("_file").last().alias("_change_file"),
                   pl.col("_sheet").last().alias("_change_sheet"),
                   (((month == month.last()) & (ym | ym.last())).sum() - ym.last().cast(pl.UInt32) > 0)
                   .alias("_order_unknown")))
    waiting = (ordered.group_by(keys, maintain_order=True)
               .agg(pl.col("change_type").last().alias("_wait_type"), pl.col("_pend").last().alias("_waits"))
               .filter(pl.col("_waits")).select(*keys, "_wait_type"))
    j = ro.join(latest, on=keys, how="inner").join(waiting, on=keys, how="left")
    # a roster row whose registration came after the change (入学日期 or 注册日期 later than it: the
    # student left and enrolled again under a new 学籍号, or came here by the 转学 this school
    # recorded) is another registration than the one the change was about
    # (a leaving change only: a 转入's registration comes after it by nature, and is the one it made)
    later = [pl.col(c) for c in ("enroll_date", "register_date") if c in rcols]
    if later:
        j = j.filter(~(pl.col("_last_type").is_in(list(LEAVING))
                       & pl.any_horizontal([(pl.col("_last_date") < c).fill_null(False) for c in later])))

    def disagrees(change_type: pl.Expr) -> pl.Expr:
        return ((change_type.is_in(list(LEAVING)) & (pl.col("status") == "在校"))
                | (change_type.is_in(list(RETURNING)) & pl.col("status").is_in(list(AWAY_STATUSES)))).fill_null(False)

    leaving = pl.col("_last_type").is_in(list(LEAVING))
    bad = disagrees(pl.col("_last_type"))
    # the roster disagrees with the change in effect but shows the one awaiting approval: written
    # early, or right once approved; not judged. Disagreeing with both is reported.
    early = pl.col("_wait_type").is_not_null() & ~disagrees(pl.col("_wait_type"))
    unknown = pl.col("_order_unknown").fill_null(False)
    note_unjudged(ctx, "C203", "changes", {"名册已按尚在审核中（待审核）的最近一次异动填写": bad & early & ~unknown,
                                           "同月的异动中有只写了年月的，无法确定哪一次在后": bad & unknown}, frame=j)
    j = j.filter(bad & ~early & ~unknown)
    expected = pl.when(leaving).then(
        pl.col("_last_type").replace_strict(LEAVING, default="", return_dtype=pl.String)).otherwise(pl.lit("在校"))
    msg = pl.concat_str([
        pl.lit("学籍名册状态为「"), (pl.coalesce("status__raw", "status") if "status__raw" in rcols else pl.col("status")),
        pl.lit("」，而学籍异动记录中该生最近一次异动为 "),
        day(pl.col("_last_date")), pl.lit(" 的「"), pl.col("_last_type"), pl.lit("」（"),
        row_ref(multi_sheet_files(ctx), "_change_file", "_change_sheet", "_change_row"),
        pl.lit("），名册应为「"), expected, pl.lit("」；请核实后更正名册或异动记录")])
    key = student_key(rcols, pl.col("status"), pl.col("_last_type"))
    return emit(j, "roster", msg, field="status", key=key)
