"""Benchmark the report writers on a 1M-row roster with 2% of its rows flagged.

Measures only the report stage: the roster table and the findings frame are built in memory
with Polars (what the engine hands to the writers), then each writer runs in its own child
process so that its peak RSS is its own.

    python benchmarks/bench_report.py                      # 1,000,000 rows, 2% flagged
    python benchmarks/bench_report.py --rows 200000 --modes xlsx,html
    python benchmarks/bench_report.py --modes xlsx-all     # full annotated copy (--annotate-all)
    python benchmarks/bench_report.py --rows 5000 --verify # xlsx fast path == xlsxwriter cell by cell

Prints one line per mode: seconds, peak RSS of the child, output size.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

HEADERS = ["学籍号", "姓名", "身份证号", "性别", "学校名称", "专业", "学制", "学习形式", "入学日期", "学籍状态",
           "联系电话"]
RULES = [("S002", "error", "姓名", "姓名为空，请补填"),
         ("S003", "error", "身份证号", "身份证号「410105********1234」无效（校验位错误），请与证件核对后更正"),
         ("R101", "error", "身份证号", "同一身份证号在 2 行处于在校状态：东方技工学校第 12 行"),
         ("R107", "warning", "入学日期", "入学时已满 27 周岁，达到大龄标准 25 岁，请核实是否真实就读"),
         ("S005", "warning", "性别", "性别「男」与身份证号的性别码（女）不符，请核对")]


def build(rows: int, share: float, seed: int = 7):
    from xueji_check.engine import RunResult
    from xueji_check.findings import COLUMNS
    from xueji_check.load import InputFile, Table

    rng = np.random.default_rng(seed)
    n_schools = 60
    idx = np.arange(rows)
    school = pl.Series([f"第{i + 1:02d}技工学校" for i in range(n_schools)]).gather(rng.integers(0, n_schools, rows))
    raw = pl.DataFrame({"_row": idx + 3}).with_columns(
        c0=pl.format("D{}", pl.col("_row")),
        c1=pl.lit("张伟"),
        c2=pl.format("410105{}", (pl.col("_row") + 200_000_000_000).cast(pl.String)),
        c3=pl.lit("男"),
        c4=school,
        c5=pl.lit("数控加工"),
        c6=pl.lit("3"),
        c7=pl.lit("全日制"),
        c8=pl.lit("2018-09-01"),
        c9=pl.lit("在校"),
        c10=pl.lit("13800000000"),
    ).with_columns(pl.col("_row").cast(pl.Int64))
    display = "benchmarks/data/roster_bench.xlsx"
    table = Table(kind="roster", file=display, sheet="学生名册", header_row=2, headers=HEADERS,
                  field_cols={"student_id": "c0", "name": "c1", "id_number": "c2", "school_name": "c4"}, raw=raw,
                  title_lines=["2018年秋季学期学生名册"])
    inp = InputFile(Path(display), display, "roster", sha256="0" * 64, size=0, tables=[table])
    frame = raw.select(pl.col("c4").alias("school_name"), pl.col("c2").alias("_key"))

    flagged = np.sort(rng.choice(rows, int(rows * share), replace=False))
    which = rng.integers(0, len(RULES), len(flagged))
    rule = pl.DataFrame({"k": list(range(len(RULES))), "rule_id": [r[0] for r in RULES],
                         "severity": [r[1] for r in RULES], "column": [r[2] for r in RULES],
                         "message": [r[3] for r in RULES]})
    f = (raw[flagged.tolist()].with_columns(k=pl.Series(which.tolist()))
         .join(rule, on="k", how="left")
         .select(
             "rule_id", "severity", pl.lit("roster").alias("dataset"), pl.lit(display).alias("file"),
             pl.lit("学生名册").alias("sheet"), pl.col("_row").alias("row"), "column",
             pl.col("c0").alias("student_id"), pl.col("c2").str.slice(0, 6).alias("id_masked"),
             pl.col("c1").alias("name"), pl.col("c4").alias("school"), "message",
             pl.lit("人社厅发〔2018〕28号 二（三）").alias("clause"),
             pl.format("fp{}", pl.col("_row")).alias("fingerprint"), pl.lit(None, pl.String).alias("status"))
         .select(COLUMNS))
    result = RunResult(f, [inp], [], {}, {"roster": frame}, {"roster": [table]})
    doc = {"run": {"started": "2026-11-29T00:00:00", "ended": "2026-11-29T00:01:00", "as_of": "2019-06-30",
                   "version": "bench", "skipped_rules": {}, "policy": {}, "inputs": []}, "summary": {}}
    return f, result, doc


def child(mode: str, rows: int, share: float, out: Path) -> dict:
    t0 = time.perf_counter()
    findings, result, doc = build(rows, share)
    t_build = time.perf_counter() - t0
    rss_build = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    if mode.startswith("xlsx"):
        from xueji_check.report.excel import write_report

        target = write_report(findings, result, doc, out / "report.xlsx", annotate_all=mode == "xlsx-all")
    elif mode == "html":
        from xueji_check.report.html import write_html

        target = write_html(findings, result, doc, out / "report.html")
    else:
        raise SystemExit(f"unknown mode {mode}")
    seconds = time.perf_counter() - t0
    return {"mode": mode, "rows": rows, "findings": findings.height, "build_s": round(t_build, 1),
            "write_s": round(seconds, 1), "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "rss_after_build_mb": round(rss_build), "size_mb": round(target.stat().st_size / 1e6, 1)}


def verify(rows: int, share: float) -> None:
    """report.xlsx with its big parts rendered by Polars (the fast path: sheet rows, the links of
    问题清单, the comments and VML drawings of the annotated copies) must be byte for byte the
    workbook xlsxwriter writes cell by cell, link by link, comment by comment. Run this after
    upgrading xlsxwriter."""
    import copy
    import zipfile

    from xueji_check.report import excel

    findings, result, doc = build(rows, share)
    t = result.inputs[0].tables[0]
    # a second input (its sheet name has & < > and quotes), so that a second VML drawing continues
    # the shape ids of the first, with a row-level finding on each of 1,100 rows: more than 1024
    # comments on one sheet
    t2 = copy.copy(t)
    t2.file = 'benchmarks/data/roster &<2>\'s "copy".xlsx'  # links to it need escaping
    t2.raw = t.raw.head(min(rows, 1_100))
    inp2 = copy.copy(result.inputs[0])
    inp2.display, inp2.tables = t2.file, [t2]
    result.inputs.append(inp2)
    more = findings.head(1).select(pl.exclude("row", "file", "column", "message")).join(
        t2.raw.select(pl.col("_row").cast(findings.schema["row"]).alias("row")), how="cross").with_columns(
        pl.lit(t2.file).alias("file"), pl.lit(None, pl.String).alias("column"),
        pl.format("第 {} 行：\t前导空格 <&> _x0041_ ", pl.col("row")).alias("message")).select(findings.columns)
    awkward = ["_x0041_", "a&b<c>\"'", " lead", "trail ", "x\ry", "{=1+2}", "http://x.cn", "0012", "中文\u3000",
               "tab\tx", "\uffff", "=1+2", ""]
    # no "<r>x</r>": cell by cell that is written as a rich string (excel._write_text), same text
    t.raw = t.raw.with_columns(pl.Series("c5", [awkward[i % len(awkward)] for i in range(t.raw.height)]),
                               pl.when(pl.col("_row") % 7 == 0).then(None).otherwise(pl.col("c6")).alias("c6"))
    extra = findings.head(3).with_columns(pl.Series("row", [3, 3, 5], dtype=findings.schema["row"]),
                                          pl.Series("column", [None, "不存在", "姓名"]),
                                          pl.Series("severity", ["error", "other", "other"]),
                                          pl.Series("message", ["m\r_x0041_ <&>", None, " x"]))
    findings = pl.concat([findings, extra, more])
    fast = excel._raw_rows_supported
    ok = True
    with tempfile.TemporaryDirectory() as d:
        for annotate_all in (False, True):
            parts = []
            for supported in (fast, lambda ws: False):
                excel._raw_rows_supported = supported
                target = Path(d) / f"r{len(parts)}.xlsx"
                excel.write_report(findings, result, doc, target, annotate_all=annotate_all, row_limit=rows // 2)
                with zipfile.ZipFile(target) as z:
                    parts.append({n: z.read(n) for n in z.namelist() if not n.startswith("docProps/")})
            excel._raw_rows_supported = fast
            differ = [n for n in parts[0].keys() | parts[1].keys() if parts[0].get(n) != parts[1].get(n)]
            print(f"annotate_all={annotate_all}: fast path {'differs in ' + ', '.join(differ) if differ else 'identical'}"
                  f" (fast path in use: {fast.__name__})")
            ok = ok and not differ
    raise SystemExit(0 if ok else 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--share", type=float, default=0.02, help="share of rows with a finding")
    ap.add_argument("--modes", default="xlsx,html", help="xlsx (default limit), xlsx-all (--annotate-all), html")
    ap.add_argument("--verify", action="store_true", help="check the xlsx fast path against xlsxwriter cell by cell")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.verify:
        verify(args.rows, args.share)
    if args.child:
        with tempfile.TemporaryDirectory() as d:
            print(json.dumps(child(args.child, args.rows, args.share, Path(d))))
        return
    print(f"{'mode':9} {'rows':>9} {'findings':>8} {'build s':>8} {'write s':>8} {'peak RSS MB':>12} "
          f"{'RSS before write':>17} {'size MB':>8}")
    for mode in args.modes.split(","):
        proc = subprocess.run([sys.executable, __file__, "--rows", str(args.rows), "--share", str(args.share),
                               "--child", mode], capture_output=True, text=True)
        if proc.returncode:
            print(f"{mode}: failed\n{proc.stderr[-2000:]}")
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"{r['mode']:9} {r['rows']:>9,} {r['findings']:>8,} {r['build_s']:>8} {r['write_s']:>8} "
              f"{r['peak_rss_mb']:>12,} {r['rss_after_build_mb']:>17,} {r['size_mb']:>8}")


if __name__ == "__main__":
    main()
