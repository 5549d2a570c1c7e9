"""Make a compliant publicity list (公示名单) from an aid table, and check it with P401/P402.

The list carries only name, school, major, grade, term, aid type and amount (教财厅函〔2017〕28号
allows name, school, department, grade, major, class); no ID number, address, phone, birth date
or card number. The title line states a period covering the required working days.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import os
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import polars as pl
from openpyxl.styles import Alignment, Font

from xueji_check import normalize as nz
from xueji_check.calendar import WorkCalendar
from xueji_check.engine import Context
from xueji_check.load import InputFile, Problem, Table, load_file, shown_path
from xueji_check.pii import mask_text
from xueji_check.policy import Policy
from xueji_check.report import describe_os_error, neutralise_text, same_file
from xueji_check.spec import EXCLUDED_SHEET, all_kinds
from xueji_check.tables import combine


class MakerError(Exception):
    """The list cannot be made; the message is Chinese and says what to do."""


@dataclass
class Made:
    """What `make` wrote: the list, its people (`rows`: the number of students listed), its
    period, the students left out (姓名/学校/学期/资助类型/规则/原因), the duplicates merged, and
    the eligibility rules that could not run or could not judge some listed rows (Chinese lines,
    each starting with the rule id)."""

    path: Path
    rows: int
    start: dt.date
    end: dt.date
    workdays: int
    note: str
    starts_on_workday: bool
    left_out: pl.DataFrame | None = None
    merged: pl.DataFrame | None = None
    unchecked: list[str] | None = None
    lines: int | None = None  # rows of the list: a student with both aid types has two


def zh_date(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def load_kind(path: Path, kind: str, as_of: dt.date) -> pl.DataFrame:
    """Read one file with the project's loader and normalise it (exit with the loader's message)."""
    if not path.exists():
        raise MakerError(f"文件不存在：{shown_path(path)}，请检查路径是否正确")
    problems: list[Problem] = []
    inp = InputFile(path, shown_path(path), kind)
    load_file(inp, problems, all_kinds())
    spec = all_kinds()[kind]
    tables = [t for t in inp.tables if t.kind == kind and not t.missing]
    if not tables:
        missing = [t for t in inp.tables if t.missing]
        if missing:
            names = "、".join(spec.field_map[m].title if m in spec.field_map else
                             "或".join(spec.field_map[x].title for x in m.split("/")) for m in missing[0].missing)
            raise MakerError(f"{path} 不能作为{spec.title}使用：缺少必需列 {names}")
        why = "；".join(p.message for p in problems if p.level == "error") or "没有可用的数据"
        raise MakerError(f"无法读取{spec.title} {path}：{why}")
    return combine(tables, spec, as_of, list(range(len(tables))))


def publicity_end(cal: WorkCalendar, start: dt.date, workdays: int) -> dt.date:
    """The last day of the shortest period from `start` with `workdays` working days (both ends)."""
    return cal.nth_workday_after(start - dt.timedelta(days=1), workdays)


def select_rows(aid: pl.DataFrame, term: str | None, school: str | None) -> pl.DataFrame:
    """The aid rows of the list: with a name, of `term` and `school` when given."""
    lf = aid.lazy().filter(pl.col("name").is_not_null())
    if term:
        label = pl.select(nz.term_struct(pl.lit(term)).struct.field("label")).item()
        if label is None:
            raise MakerError(f"--term「{term}」无法识别，请写成 2018秋、2019年春季学期 或 2018-2019学年第一学期")
        lf = lf.filter(pl.col("term") == label)
    if school:
        if "school_name" not in aid.columns:
            raise MakerError("资助表没有学校名称列，不能按 --school 筛选")
        lf = lf.filter(pl.col("school_name") == school)
    out = lf.collect()
    if out.height == 0:
        raise MakerError("资助表中没有可公示的学生（按 --term/--school 筛选后为空）")
    return out


# The rules that make a student ineligible for the aid of a term (notice 三（一）（二）): who
# fails one is not published as a recipient.
ELIGIBILITY_RULES = ("A301", "A302", "A303", "A305")
EXCLUDED_SHOWN = 20  # lines about students left out printed in the terminal (all are in the sheet)


def student_of(cols: list[str]) -> pl.Expr:
    """One person: the student key (ID, else 学籍号), else the name (canonical) and school."""
    name = pl.col("name__key") if "name__key" in cols else pl.col("name")
    school = pl.col("school_name").fill_null("") if "school_name" in cols else pl.lit("")
    return pl.coalesce(pl.col("_key") if "_key" in cols else pl.lit(None, pl.String),
                       pl.concat_str([pl.lit("N:"), name, pl.lit("@"), school]))


def ineligible(rows: pl.DataFrame, roster: pl.DataFrame | None, policy: Policy,
               as_of: dt.date) -> tuple[pl.DataFrame, list[str]]:
    """Run the eligibility rules (ELIGIBILITY_RULES) on the selected aid rows, as `check` would.
    Returns the flagged rows (`_file`, `_sheet`, `_row`, `rule_id`, `message`, masked) and, for
    each rule that could not run, or ran but could not judge some rows (A305 on a row whose
    school year neither the roster's 入学日期 nor the aid table's 在校年级 gives), a Chinese line
    starting with the rule id and saying why (e.g. no roster given). A rule without such a line
    was checked on every row."""
    from xueji_check.engine import rule_skip_reason
    from xueji_check.pii import mask_series
    from xueji_check.registry import CATALOG, load_rule_modules

    load_rule_modules()
    frames = {"aid": rows} | ({"roster": roster} if roster is not None else {})
    ctx = Context(frames, {}, policy, as_of, WorkCalendar(policy), {})
    parts, notes, ran = [], [], []
    for rid in ELIGIBILITY_RULES:
        rule = CATALOG[rid]
        why = rule_skip_reason(rule, ctx)
        found = None if why else rule.func(ctx)
        if found is None:
            why = why or ctx.options.get(f"skip:{rid}", "所需数据不足")
            notes.append(f"{rid}（{rule.title}）未能核对：{why}")
            continue
        ran.append(rid)
        parts.append(found.select("_file", "_sheet", "_row", "message").with_columns(rule_id=pl.lit(rid)).collect())
    flagged = pl.concat(parts) if parts else pl.DataFrame(
        schema={"_file": pl.String, "_sheet": pl.String, "_row": pl.Int64, "message": pl.String, "rule_id": pl.String})
    flagged = flagged.with_columns(mask_series(flagged.get_column("message")).alias("message"))
    # the rows a rule that ran could not judge, among those listed (a row left out by another
    # rule is not on the list: no matter that this one could not judge it)
    listed = rows.select(IDENT).join(flagged.select(IDENT).unique(), on=IDENT, how="anti")
    for rid in ran:
        partly = _not_judged(ctx, rid, roster is not None, listed)
        if partly:
            notes.append(f"{rid}（{CATALOG[rid].title}）{partly}")
    return flagged, notes


IDENT = ["_file", "_sheet", "_row"]


def _no_school_year(ctx: Context, has_roster: bool) -> tuple[str, pl.LazyFrame] | None:
    """The aid rows of 国家助学金 or 免学费 (not refused) whose school year A305 cannot reckon:
    no 入学日期 of a roster row they match (or a term before it) and no 在校年级, with why. A305
    passes them silently (nothing to compare with the years covered); the list must not say
    they were checked."""
    from xueji_check.rules.aid import GRANT, WAIVER, awarded, date_term, joined

    has_enrol = ctx.has("roster", "enroll_date")
    lf = awarded(ctx, joined(ctx) if has_enrol else None)
    cols = lf.collect_schema().names()
    if not {"aid_type", "term_year", "term_season", *IDENT} <= set(cols):
        return None
    known = pl.col("grade_year").is_not_null() if "grade_year" in cols else pl.lit(False)
    if "r_enroll_date" in cols:
        term_idx = pl.col("term_year") * 2 + (pl.col("term_season") == "autumn").cast(pl.Int32)
        known = known | (term_idx >= date_term(pl.col("r_enroll_date"))).fill_null(False)
    why = ("资助表的在校年级为空、学籍名册中也没有其入学日期，学年无法推算" if has_roster else
           "资助表的在校年级为空，又未提供学籍名册（无法按入学日期推算），学年无法推算；"
           "加 --roster 学籍名册 或在资助表中填写在校年级 才能核对")
    return why, lf.filter(pl.col("aid_type").is_in([GRANT, WAIVER]) & pl.col("term_year").is_not_null()
                          & ~known).select(IDENT)


def _not_judged(ctx: Context, rid: str, has_roster: bool, listed: pl.DataFrame) -> str:
    """`有 N 行未能核对：why` for rule `rid` that ran on the rows in `ctx`: the rows of `listed`
    (IDENT) it counted as not judged (`note_unjudged`), and for A305 the rows without a school
    year; "" when it judged every listed row."""
    found: list[tuple[str, pl.LazyFrame]] = []
    for rule_id, kind, labels, flags, frame in ctx._unjudged:
        if rule_id != rid or kind != "aid":
            continue
        base = ctx.lf("aid") if frame is None else frame
        found += [(label, base.filter(flag).select(IDENT)) for label, flag in zip(labels, flags, strict=True)]
    if rid == "A305" and (blank := _no_school_year(ctx, has_roster)) is not None:
        found.append(blank)
    seen: set[tuple] = set()
    reasons: dict[str, int] = {}
    for why, lf in found:
        hit = listed.join(lf.collect().unique(), on=IDENT, how="semi")
        if hit.height:
            reasons[why] = reasons.get(why, 0) + hit.height
            seen.update(hit.iter_rows())
    if not seen:
        return ""
    if len(reasons) == 1:
        return f"有 {len(seen)} 行未能核对：{next(iter(reasons))}"
    return f"有 {len(seen)} 行未能核对：" + "；".join(f"{why}（{k} 行）" for why, k in reasons.items())


def split_eligible(rows: pl.DataFrame, flagged: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(eligible rows, one per student, term and aid type; the students left out with the rules
    and reasons; the students whose duplicate rows were merged, A304). Shapes: the aid frame;
    姓名/学校/学期/资助类型/规则/原因; 姓名/学校/学期/资助类型/行数."""
    cols = rows.columns
    ident = ["_file", "_sheet", "_row"]
    keys = ["_who", *[c for c in ("term", "aid_type") if c in cols]]
    rows = rows.with_columns(_who=student_of(cols))
    bad = rows.join(flagged, on=ident, how="inner")
    school = pl.col("school_name") if "school_name" in cols else pl.lit(None, pl.String)
    term = pl.col("term") if "term" in cols else pl.lit(None, pl.String)
    left_out = (bad.group_by(keys, maintain_order=True).agg(
        pl.col("name").first().alias("姓名"), school.first().alias("学校"), term.first().alias("学期"),
        pl.col("aid_type").first().alias("资助类型"), pl.col("rule_id").unique(maintain_order=True).str.join("、").alias("规则"),
        pl.col("message").unique(maintain_order=True).str.join("；").alias("原因"))
        .select("姓名", "学校", "学期", "资助类型", "规则", "原因"))
    good = rows.join(bad.select(keys).unique(), on=keys, how="anti")
    merged = (good.group_by(keys, maintain_order=True).agg(
        pl.col("name").first().alias("姓名"), school.first().alias("学校"), term.first().alias("学期"),
        pl.col("aid_type").first().alias("资助类型"), pl.len().alias("行数"))
        .filter(pl.col("行数") > 1).select("姓名", "学校", "学期", "资助类型", "行数"))
    good = good.unique(keys, keep="first", maintain_order=True)
    return good, left_out, merged


def build_list(lf_rows: pl.DataFrame, roster: pl.DataFrame | None) -> pl.DataFrame:
    """The publicity rows (姓名, 学校, 专业, 年级, 学期, 资助类型, 金额（元）) of the eligible aid rows
    (one per student, term and aid type; see `split_eligible`)."""
    aid = lf_rows
    lf = aid.lazy()
    cols = aid.columns
    extra = {"major": None, "grade": None, "r_school": None}
    if roster is not None:
        rcols = roster.columns
        pick = [pl.col(c).alias(a) for c, a in (("major", "major"), ("grade", "grade"), ("school_name", "r_school"))
                if c in rcols]
        if pick:
            for k, label in (("id_number", "i"), ("student_id", "s")):
                if k in rcols and k in cols:
                    r = (roster.lazy().filter(pl.col(k).is_not_null()).unique(k, keep="first", maintain_order=True)
                         .select(pl.col(k), *[p.name.suffix(f"_{label}") for p in pick]))
                    lf = lf.join(r, on=k, how="left")
            names = lf.collect_schema().names()
            for a in ("major", "grade", "r_school"):
                got = [pl.col(f"{a}_{s}") for s in ("i", "s") if f"{a}_{s}" in names]
                if got:
                    extra[a] = pl.coalesce(got)
    grade = extra["grade"]
    if "grade_year" in cols:
        gy = pl.when(pl.col("grade_year").is_not_null()).then(
            pl.col("grade_year").cast(pl.String) + pl.lit("年级"))
        grade = pl.coalesce(grade, gy) if grade is not None else gy
    school_expr = pl.col("school_name") if "school_name" in cols else None
    if extra["r_school"] is not None:
        school_expr = pl.coalesce(school_expr, extra["r_school"]) if school_expr is not None else extra["r_school"]
    out = lf.select(
        pl.col("name").alias("姓名"),
        (school_expr if school_expr is not None else pl.lit(None, pl.String)).alias("学校"),
        (extra["major"] if extra["major"] is not None else pl.lit(None, pl.String)).alias("专业"),
        (grade if grade is not None else pl.lit(None, pl.String)).alias("年级"),
        (pl.col("term") if "term" in cols else pl.lit(None, pl.String)).alias("学期"),
        pl.col("aid_type").alias("资助类型"),
        (pl.col("amount") if "amount" in cols else pl.lit(None, pl.Float64)).alias("金额（元）"),
    ).sort(["学校", "资助类型", "学期", "姓名"], nulls_last=True, maintain_order=True).collect()
    keep = [c for c in out.columns if c in ("姓名", "资助类型") or out[c].null_count() < out.height]
    return out.select(keep)


def title_of(rows: pl.DataFrame) -> str:
    schools = rows["学校"].drop_nulls().unique().sort().to_list() if "学校" in rows.columns else []
    terms = rows["学期"].drop_nulls().unique().sort().to_list() if "学期" in rows.columns else []
    types = rows["资助类型"].drop_nulls().unique().sort().to_list()
    school = schools[0] if len(schools) == 1 else ""
    term_txt = ""
    if len(terms) == 1:
        t = terms[0]
        term_txt = f"{t[:4]}年{'春' if t.endswith('春') else '秋'}季学期"
    return f"{school}{term_txt}{'和'.join(types) or '资助'}受助学生公示名单"


def write_xlsx(path: Path, rows: pl.DataFrame, title: str, period_line: str,
               left_out: pl.DataFrame | None = None, merged: pl.DataFrame | None = None) -> None:
    """The list (sheet 公示名单) and, when some students were left out or merged, a second sheet
    EXCLUDED_SHEET for the school's own check (never read back as a publicity list)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "公示名单"
    ws.append([title])
    ws.append([period_line])
    ws.append(["如对以下名单有异议，请在公示期内向学校学生资助管理部门反映。"])
    ws.append(["序号", *rows.columns])
    for i, r in enumerate(rows.iter_rows(), start=1):
        ws.append([i, *[neutralise_text(v) for v in r]])
    ws["A1"].font = Font(bold=True, size=14)
    for c in ws[4]:
        c.font = Font(bold=True)
        c.alignment = Alignment(horizontal="center")
    for col, width in zip("ABCDEFGH", (6, 10, 24, 18, 10, 10, 12, 10), strict=False):
        ws.column_dimensions[col].width = width
    # printed for the notice board: A4, every column on one page wide (the amounts were on a
    # second page), the header row repeated on each page
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if len(rows.columns) > 6 else "portrait"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.print_title_rows = "4:4"
    if (left_out is not None and left_out.height) or (merged is not None and merged.height):
        ex = wb.create_sheet(EXCLUDED_SHEET)
        ex.append(["内部核对用：以下学生未列入公示名单（或重复的资助行已合并），公示时请删除本工作表"])
        ex["A1"].font = Font(bold=True, color="C00000")
        ex.append(["姓名", "学校", "学期", "资助类型", "规则", "原因"])
        # names and schools as typed, but a number of an ID's, a mobile's or a card's shape typed
        # into them masked: this sheet is not self-checked (it is to be deleted before publishing)
        def shown(v):
            return neutralise_text(mask_text(v) if isinstance(v, str) else v)

        for r in (left_out.iter_rows() if left_out is not None else []):
            ex.append([shown(v) for v in r])
        for name, school, term, kind, n in (merged.iter_rows() if merged is not None else []):
            ex.append([shown(v) for v in (name, school, term, kind, "A304",
                       f"同一学期同一资助类型有 {n} 行资助记录，名单中只列一次；请核实是否重复资助并追回多发部分")])
        for cell in ex[2]:
            cell.font = Font(bold=True)
        for col, width in zip("ABCDEF", (10, 24, 10, 12, 10, 90), strict=True):
            ex.column_dimensions[col].width = width
    wb.save(path)


def self_check(path: Path, display: str, policy: Policy, as_of: dt.date) -> list[str]:
    """Run P401 and P402 on the written file; return the findings' messages."""
    from xueji_check.registry import load_rule_modules
    from xueji_check.rules.publicity import sensitive_data_published, short_publicity

    load_rule_modules()
    problems: list[Problem] = []
    inp = InputFile(path, display, "publicity")
    load_file(inp, problems, all_kinds())
    tables: list[Table] = [t for t in inp.tables if not t.missing and t.sheet != EXCLUDED_SHEET]
    if not tables:
        return ["生成的文件无法作为公示名单读回：" + "；".join(p.message for p in problems)]
    frame = combine(tables, all_kinds()["publicity"], as_of, list(range(len(tables))))
    ctx = Context({"publicity": frame}, {"publicity": tables}, policy, as_of, WorkCalendar(policy), {})
    msgs = []
    p401 = short_publicity(ctx)
    if p401 is None:
        msgs.append("P401：" + ctx.options.get("skip:P401", "未找到公示期"))
    else:
        msgs += [f"P401：{m}" for m in p401.collect()["message"].to_list()]
    msgs += [f"P402：{m}" for m in sensitive_data_published(ctx).collect()["message"].to_list()]
    return msgs


def _remove_stale_temp(out: Path) -> None:
    """Remove `.NAME.PID.tmp.xlsx` files beside `out` left by a killed run (POSIX: only when no
    process PID lives; a live one, or one we cannot tell about, is left alone)."""
    if os.name == "nt":  # pragma: no cover - os.kill(pid, 0) would end the process there
        return
    head, tail = f".{out.stem}.", ".tmp.xlsx"
    for f in out.parent.glob(f"{glob.escape(head)}*{tail}"):
        pid = f.name[len(head):-len(tail)]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            with contextlib.suppress(OSError):
                f.unlink()
        except OSError:
            continue


def make(aid_path: Path, out: Path, start: dt.date, *, roster_path: Path | None = None,
         term: str | None = None, school: str | None = None, policy: Policy | None = None,
         as_of: dt.date | None = None) -> Made:
    policy = policy or Policy()
    as_of = as_of or dt.date.today()
    if out.suffix.lower() != ".xlsx":
        raise MakerError(f"--out 应为 .xlsx 文件，现为 {out}")
    if any(p is not None and same_file(out, p) for p in (aid_path, roster_path)):
        raise MakerError(f"--out {out} 是本次的输入文件；为保护输入，不会写到输入文件上，请换一个文件名")
    aid = load_kind(aid_path, "aid", as_of)
    if "name" not in aid.columns:
        raise MakerError(f"资助表 {aid_path} 没有姓名列，无法生成公示名单")
    roster = load_kind(roster_path, "roster", as_of) if roster_path else None
    selected = select_rows(aid, term, school)
    flagged, notes = ineligible(selected, roster, policy, as_of)
    eligible, left_out, merged = split_eligible(selected, flagged)
    if eligible.height == 0:
        raise MakerError("按资助资格核对后没有可公示的学生：" + "；".join(
            f"{n}（{r}）" for n, r in left_out.select("姓名", "规则").head(5).iter_rows()) + "，请核实资助表和学籍名册")
    rows = build_list(eligible, roster)
    cal = WorkCalendar(policy)
    n = policy.publicity_workdays
    end = publicity_end(cal, start, n)
    note = cal.note_unknown({start.year, end.year})
    period = f"公示时间：{zh_date(start)}至{zh_date(end)}（共 {n} 个工作日）"
    tmp = out.parent / f".{out.stem}.{os.getpid()}.tmp.xlsx"
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_temp(out)
        # private until it passes the self-check: a run killed before that leaves no list that
        # others can read (it may hold the very number the check would refuse)
        # a file of this very name was left by a killed run that had our process id (a container
        # starts every run with the same few ids): ours to replace
        tmp.unlink(missing_ok=True)
        os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        write_xlsx(tmp, rows, title_of(rows), period, left_out, merged)
        bad = self_check(tmp, str(out), policy, as_of)
        if bad:
            raise MakerError("生成的公示名单未通过自检，未写出文件：\n  " + "\n  ".join(bad)
                             + "\n请先更正资助表或学籍名册中的相应内容（如专业、年级列中混入的电话、身份证号）再生成")
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)  # the list is for posting: the mode any new file gets
        os.replace(tmp, out)
    except OSError as exc:
        raise MakerError(f"无法写出公示名单 {out}：{describe_os_error(exc, out, override=True)}") from exc
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
    people = eligible.select(student_of(eligible.columns).n_unique()).item()
    return Made(out, people, start, end, n, note, cal.is_workday(start), left_out, merged, notes, rows.height)
