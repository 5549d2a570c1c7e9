"""Benchmark the C-, A- and P-rules: a 1M-row aid table joined to a 1M-row roster.

Builds normalised roster, changes, aid and publicity frames in memory with Polars expressions
(no row loops), then runs each rule function of the registry through an engine `Context`,
printing wall time per rule (each collected alone, after the shared aid-roster join is built)
and for all of them collected together as the engine does.

    python benchmarks/bench_cap.py [ROWS] [CHANGES_ROWS]
"""

from __future__ import annotations

import datetime as dt
import sys
import time

import polars as pl

from xueji_check.calendar import WorkCalendar
from xueji_check.engine import Context
from xueji_check.load import Table
from xueji_check.normalize import check_digit
from xueji_check.policy import Policy
from xueji_check.registry import CATALOG, load_rule_modules
from xueji_check.rules import aid as aid_rules

RULES = [r for r in CATALOG if r[0] in "CAP"]
SCHOOLS = [f"第{i}技工学校" for i in range(1, 201)]
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红鹏辉建文")
STATUS = ["在校"] * 16 + ["休学", "退学", "转出", "毕业"]
CHANGE_TYPES = ["休学", "复学", "退学", "转出", "转入", "转专业", "留级"]
AS_OF = dt.date(2021, 6, 30)


def rand_int(seed: int, n: int) -> pl.Expr:
    return (pl.col("_i").hash(seed) % n).cast(pl.Int64)


def pick(values: list[str], seed: int) -> pl.Expr:
    return pl.lit(pl.Series(values)).gather(rand_int(seed, len(values)))


def meta(file: str, tid: int) -> list[pl.Expr]:
    return [pl.lit(file).alias("_file"), pl.lit("Sheet1").alias("_sheet"),
            (pl.col("_i") + 2).cast(pl.Int64).alias("_row"), pl.lit(tid, pl.Int32).alias("_tid")]


def id_exprs() -> list[pl.Expr]:
    return [pl.col("id_number").alias("id_number__raw"), pl.lit("ok").alias("id_number__status"),
            pl.col("id_number").str.slice(6, 8).str.to_date("%Y%m%d").alias("id_number__birth"),
            pl.when(pl.col("id_number").str.slice(16, 1).cast(pl.Int32) % 2 == 1).then(pl.lit("男"))
            .otherwise(pl.lit("女")).alias("id_number__gender")]


def people(n: int) -> pl.DataFrame:
    base = pl.DataFrame({"_i": pl.int_range(n, eager=True, dtype=pl.Int64)})
    df = base.with_columns(
        _body=(410100 + rand_int(3, 100)).cast(pl.String)
        + (pl.lit(dt.date(1990, 1, 1)) + pl.duration(days=rand_int(1, 365 * 14))).dt.strftime("%Y%m%d")
        + rand_int(2, 1000).cast(pl.String).str.zfill(3))
    return df.with_columns(id_number=pl.col("_body") + check_digit(pl.col("_body"))).drop("_body").with_columns(
        student_id=pl.format("G{}", pl.col("_i")),
        name=pick(SURNAMES, 11) + pick(GIVEN, 12) + pick(GIVEN, 14),
        school_name=pick(SCHOOLS, 15))


def roster(p: pl.DataFrame) -> pl.DataFrame:
    return p.with_columns(
        *meta("学籍名册.xlsx", 0), *id_exprs(),
        study_mode=pl.when(rand_int(17, 50) == 0).then(pl.lit("非全日制")).otherwise(pl.lit("全日制")),
        class_type=pick(["学历教育"] * 200 + ["短期培训"], 19),
        enroll_date=pl.date(2016 + rand_int(4, 4).cast(pl.Int32), pl.when(rand_int(5, 5) == 0).then(3).otherwise(9), 1),
        status=pick(STATUS, 23),
    ).with_columns(graduation_date=pl.when(pl.col("status") == "毕业").then(pl.col("enroll_date") + pl.duration(days=1000)),
                   _key=pl.col("id_number")).drop("_i")


def changes(p: pl.DataFrame, n: int) -> pl.DataFrame:
    src = p.sample(n, seed=7).with_columns(_i=pl.int_range(pl.len(), dtype=pl.Int64))
    occurred = pl.lit(dt.date(2017, 1, 1)) + pl.duration(days=rand_int(31, 1500))
    return src.with_columns(
        *meta("学籍异动.xlsx", 1), *id_exprs(), change_type=pick(CHANGE_TYPES, 32), occurred_date=occurred,
    ).with_columns(
        reported_date=pl.when(rand_int(33, 30) == 0).then(None).otherwise(
            pl.col("occurred_date") + pl.duration(days=rand_int(34, 20))),
        reported_date__raw=pl.lit("x"), _key=pl.col("id_number")).with_columns(
        reported_date__raw=pl.when(pl.col("reported_date").is_null()).then(None).otherwise(pl.lit("x"))).drop("_i")


def aid(p: pl.DataFrame, n: int) -> pl.DataFrame:
    # Aid rows: mostly roster students (ID in lower-case x or as 学籍号 only), 1% not in the roster.
    src = p.sample(n, with_replacement=True, seed=3).with_columns(_i=pl.int_range(pl.len(), dtype=pl.Int64))
    stranger = rand_int(41, 100) == 0
    season = pl.when(rand_int(42, 2) == 0).then(pl.lit("spring")).otherwise(pl.lit("autumn"))
    year = (2017 + rand_int(43, 4)).cast(pl.Int32)
    df = src.with_columns(
        *meta("资助.xlsx", 2),
        id_number=pl.when(stranger).then(pl.lit("110101200501011234")).otherwise(pl.col("id_number")),
        student_id=pl.when(stranger).then(pl.format("X{}", pl.col("_i"))).otherwise(pl.col("student_id")),
        term_year=year, term_season=season,
        aid_type=pick(["国家助学金", "免学费"], 44),
    ).with_columns(*id_exprs())
    start = pl.when(pl.col("term_season") == "spring").then(pl.date(pl.col("term_year"), 3, 1)).otherwise(
        pl.date(pl.col("term_year"), 9, 1))
    return df.with_columns(
        term=pl.col("term_year").cast(pl.String) + pl.when(pl.col("term_season") == "spring").then(pl.lit("春"))
        .otherwise(pl.lit("秋")),
        amount=pl.when(pl.col("aid_type") == "免学费").then(2000.0).when(rand_int(45, 100) == 0).then(1500.0)
        .otherwise(1000.0),
        grade_year=pl.lit(None, pl.Int32),
        apply_date=start + pl.duration(days=rand_int(46, 62)),
        approved_date=start + pl.duration(days=70),
        pay_date=start + pl.duration(days=90),
        pay_method=pick(["资助卡"] * 50 + ["现金"], 47),
        card_number=pl.when(rand_int(48, 100) == 0).then(None).otherwise(pl.lit("6217000000000000")),
        signed=pl.when(rand_int(49, 100) == 0).then(False).otherwise(True),
        signed__raw=pl.lit("是"),
        _key=pl.col("id_number"),
    ).drop("_i")


def publicity(ro: pl.DataFrame) -> tuple[pl.DataFrame, list[Table]]:
    """One publicity list per school (200 tables) naming 99% of its recipients."""
    part = ro.select("name", "school_name").head(200_000).with_columns(_i=pl.int_range(pl.len(), dtype=pl.Int64))
    tables, frames = [], []
    for tid, (school, g) in enumerate(part.group_by("school_name", maintain_order=True), start=10):
        raw = g.select(pl.col("_i").cast(pl.String).alias("c0"), pl.col("name").alias("c1"),
                       pl.col("school_name").alias("c2"), pl.lit("数控加工").alias("c3"),
                       pl.when(rand_int(51, 500) == 0).then(pl.lit("13812345678")).otherwise(pl.lit("")).alias("c4"),
                       (pl.int_range(pl.len()) + 3).cast(pl.Int64).alias("_row"))
        f = f"{school[0]}_助学金公示.xlsx"
        tables.append(Table("publicity", f, "Sheet1", 2, ["序号", "姓名", "学校", "专业", "备注"],
                            {"name": "c1", "school_name": "c2"}, raw,
                            title_lines=[f"{school[0]}2019年秋季学期国家助学金公示 公示时间：2019年11月4日至2019年11月7日"]))
        frames.append(raw.select(pl.lit(f).alias("_file"), pl.lit("Sheet1").alias("_sheet"), "_row",
                                 pl.lit(tid, pl.Int32).alias("_tid"), pl.col("c1").alias("name"),
                                 pl.col("c2").alias("school_name")))
    return pl.concat(frames), tables


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    n_changes = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
    load_rule_modules()
    t0 = time.perf_counter()
    p = people(n)
    ro = roster(p)
    ch = changes(p, n_changes)
    ai = aid(p, n)
    pub, pub_tables = publicity(ro)
    print(f"generated: roster {ro.height:,}, changes {ch.height:,}, aid {ai.height:,}, "
          f"publicity {pub.height:,} rows in {len(pub_tables)} lists — {time.perf_counter() - t0:.2f} s")
    frames = {"roster": ro, "changes": ch, "aid": ai, "publicity": pub}
    tables = {"publicity": pub_tables}
    policy = Policy()

    def context() -> Context:
        return Context(frames, tables, policy, AS_OF, WorkCalendar(policy), {})

    ctx = context()
    t = time.perf_counter()
    _ = ctx.calframe.frame
    t_cal = time.perf_counter() - t
    t = time.perf_counter()
    joined = aid_rules.with_roster(ctx)
    t_join = time.perf_counter() - t
    matched = joined["_by"].value_counts().sort("_by")
    print(f"calendar frame: {t_cal:.3f} s; aid⋈roster (ID, then 学籍号): {t_join:.2f} s — {matched.to_dicts()}")
    print(f"{'rule':6} {'findings':>10} {'seconds':>9}")
    for rid in RULES:
        t = time.perf_counter()
        lf = CATALOG[rid].func(ctx)
        got = lf.collect().height if lf is not None else None
        print(f"{rid:6} {got if got is not None else 'skipped':>10} {time.perf_counter() - t:9.3f}")
    ctx = context()
    t = time.perf_counter()
    lazies = [lf for rid in RULES if (lf := CATALOG[rid].func(ctx)) is not None]
    total = sum(df.height for df in pl.collect_all(lazies))
    print(f"all {len(RULES)} C/A/P rules together (fresh context, incl. the join and calendar): "
          f"{time.perf_counter() - t:.2f} s, {total:,} findings")


if __name__ == "__main__":
    main()
