"""Benchmark R101–R109 on a generated 1M-row roster.

Builds the normalised roster frame in memory with Polars expressions (no row loops), then runs
each registration rule function of the registry through an engine `Context` and collects its
findings, printing wall time per rule and for all nine collected together (as the engine does).

    python benchmarks/bench_registration.py [ROWS]
"""

from __future__ import annotations

import datetime as dt
import sys
import time

import polars as pl

from xueji_check.calendar import WorkCalendar
from xueji_check.engine import Context
from xueji_check.normalize import check_digit
from xueji_check.policy import Policy
from xueji_check.registry import CATALOG, load_rule_modules

RULES = [f"R10{i}" for i in range(1, 10)]
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红鹏辉建文")
SCHOOLS = [f"第{i}技工学校" for i in range(1, 201)]
STATUS = ["在校"] * 14 + ["休学", "退学", "转出", "毕业", "毕业", "结业"]
SOURCES = ["应届初中毕业生"] * 12 + ["往届初中毕业生", "高中毕业生", "企业职工", "务农农民", "退役军人",
                                    "服刑人员", "下岗失业人员", "在职职工"]


def pick(values: list[str], seed: int) -> pl.Expr:
    """A pseudo-random choice per row, vectorised (hash of the row index)."""
    idx = (pl.col("_i").hash(seed) % len(values)).cast(pl.Int64)
    return pl.lit(pl.Series(values)).gather(idx)


def rand_int(seed: int, n: int) -> pl.Expr:
    return (pl.col("_i").hash(seed) % n).cast(pl.Int64)


def roster(n: int) -> pl.DataFrame:
    base = pl.DataFrame({"_i": pl.int_range(n, eager=True, dtype=pl.Int64)})
    birth0 = dt.date(1997, 1, 1)
    df = base.with_columns(
        _birth=pl.lit(birth0) + pl.duration(days=rand_int(1, 365 * 13)),
        _seq=rand_int(2, 1000).cast(pl.String).str.zfill(3),
        _region=(410100 + rand_int(3, 100)).cast(pl.String),
        enroll_date=pl.date(2019 + rand_int(4, 7).cast(pl.Int32),
                            pl.when(rand_int(5, 5) == 0).then(3).otherwise(9), 1),
    ).with_columns(
        _body=pl.col("_region") + pl.col("_birth").dt.strftime("%Y%m%d") + pl.col("_seq"),
    ).with_columns(id_number=pl.col("_body") + check_digit(pl.col("_body")))
    # 0.5% of rows reuse the ID of another row: duplicate registrations (R101).
    dup = rand_int(6, 200) == 0
    donor = df["id_number"].gather(df.select(rand_int(7, n))[:, 0])
    df = df.with_columns(id_number=pl.when(dup).then(pl.lit(donor)).otherwise(pl.col("id_number")))
    deadline_late = rand_int(10, 50) == 0
    df = df.with_columns(
        _file=pl.lit("学籍名册_全省.xlsx"), _sheet=pl.lit("Sheet1"), _row=(pl.col("_i") + 2).cast(pl.Int64),
        _tid=pl.lit(0, pl.Int32),
        student_id=pl.format("G{}", pl.col("_i")),
        name=pick(SURNAMES, 11) + pick(GIVEN, 12) + pl.when(rand_int(13, 2) == 0).then(pick(GIVEN, 14)).otherwise(pl.lit("")),
        id_number__raw=pl.col("id_number"),
        id_number__status=pl.lit("ok"),
        id_number__birth=pl.col("id_number").str.slice(6, 8).str.to_date("%Y%m%d"),
        id_number__gender=pl.when(pl.col("id_number").str.slice(16, 1).cast(pl.Int32) % 2 == 1)
        .then(pl.lit("男")).otherwise(pl.lit("女")),
        school_name=pick(SCHOOLS, 15),
        program_years=pl.when(rand_int(16, 300) == 0).then(0.5).otherwise(3.0),
        study_mode=pl.when(rand_int(17, 10) == 0).then(pl.lit("非全日制")).otherwise(pl.lit("全日制")),
        schooling_system=pick(["学年制"] * 30 + ["弹性学制", "学分制"], 18),
        class_type=pick(["学历教育"] * 100 + ["短期培训", "职业培训"], 19),
        student_source=pick(SOURCES, 20),
        employer=pl.when(rand_int(21, 100) == 0).then(pl.lit("某某机械有限公司")).otherwise(pl.lit(None, pl.String)),
        employed=pl.when(rand_int(22, 100) == 0).then(True).otherwise(False),
        enroll_date__ym=pl.lit(False),
        register_date=pl.col("enroll_date") + pl.duration(days=pl.when(deadline_late).then(60).otherwise(30)),
        status=pick(STATUS, 23),
    ).with_columns(
        employed__raw=pl.when(pl.col("employed")).then(pl.lit("是")).otherwise(pl.lit("否")),
        graduation_date=pl.when(pl.col("status") == "毕业").then(
            pl.col("enroll_date").dt.offset_by("3y") - pl.duration(days=rand_int(24, 90))),
        graduation_photo__raw=pl.when(rand_int(25, 20) == 0).then(pl.lit("否")).otherwise(pl.lit("是")),
    ).with_columns(
        graduation_photo=pl.col("graduation_photo__raw") == "是",
        _key=pl.col("id_number"),
    )
    return df.drop("_i", "_birth", "_seq", "_region", "_body")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    load_rule_modules()
    t0 = time.perf_counter()
    df = roster(n)
    t_gen = time.perf_counter() - t0
    ids = df["id_number"].unique().sort()
    employed = pl.DataFrame({"id_number": ids.sample(fraction=0.01, seed=1), "_file": "参保.xlsx"})
    policy = Policy()
    ctx = Context({"roster": df, "employed": employed}, {}, policy, dt.date(2026, 11, 29), WorkCalendar(policy))
    print(f"polars {pl.__version__}; roster {df.height:,} rows × {df.width} columns "
          f"(generated in {t_gen:.2f} s); employed list {employed.height:,} IDs; {pl.thread_pool_size()} threads")
    print(f"{'rule':6} {'findings':>10} {'seconds':>8}")
    lazies = []
    total = 0.0
    for rid in RULES:
        t = time.perf_counter()
        lf = CATALOG[rid].func(ctx)
        out = lf.collect()
        dt_s = time.perf_counter() - t
        total += dt_s
        lazies.append(lf)
        print(f"{rid:6} {out.height:>10,} {dt_s:>8.2f}")
    print(f"{'sum':6} {'':>10} {total:>8.2f}")
    t = time.perf_counter()
    outs = pl.collect_all(lazies)
    print(f"all nine collected together (engine style): {time.perf_counter() - t:.2f} s, "
          f"{sum(o.height for o in outs):,} findings")


if __name__ == "__main__":
    main()
