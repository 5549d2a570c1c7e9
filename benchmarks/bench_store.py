"""The column store (issue 14): incremental nightly runs over a province folder, and a national
simulation read from Parquet.

    python benchmarks/bench_store.py --only province          # needs data/folder_2500 (bench_folder.py)
    python benchmarks/bench_store.py --only national          # generates data/national_*.parquet once

Scenarios (``--only``, comma-separated; default both):
  province  ``xueji-check check data/folder_<n> --format csv,json`` five times, each a fresh
            process: no ``--cache`` (temporary store: today's first run); then over a linked
            copy of the folder (the nightly job's folder) ``--cache`` into an empty folder
            (cold), ``--cache`` again with nothing changed (warm), ``--cache`` after ``--changed``
            (25) roster workbooks were re-saved in place with one student's name changed (the
            nightly case); and ``--cache`` over the original folder (every file under another
            name, 25 of them with other content: a new export's folder). The findings are
            compared (no-cache, cold, warm and the moved run must be identical, file names aside).
  national  4.3M roster rows and an aid table for one school year (two terms, fee waiver for
            every student, the grant for about half: about 12.9M rows), generated with
            generate.py's frames and written as Parquet (``--national-files`` files per table,
            default 1); then ``xueji-check check --roster R --aid A --format csv,json,parquet``.

Every run is a child process; wall time, CPU time (user + system) and peak RSS come from
``os.wait4``; the 1-minute load average is recorded. Results: benchmarks/out/store.json.
Nothing asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
DATA = HERE / "data"
OUT = HERE / "out"
CLI = [sys.executable, "-m", "xueji_check"]

import run as run_mod  # noqa: E402
from run import machine, run_child_wait4  # noqa: E402


def cli(args: list[str], out: Path, timeout: float = 7200) -> dict:
    secs, rss, code, stdout = run_child_wait4([*CLI, "check", *args, "--out", str(out), "-q", "--fail-on", "never"],
                                              timeout)
    return {"seconds": round(secs, 2), "cpu_seconds": round(run_mod.LAST_CPU[0], 2), "peak_rss_mb": round(rss),
            "exit": code, "load_avg_1m": os.getloadavg()[0], "stdout": stdout.strip()[-300:]}


def findings(out: Path) -> pl.DataFrame:
    return pl.read_csv(out / "findings.csv", infer_schema=False).drop("file", strict=False)


def linked_copy(src: Path, dst: Path) -> None:
    """`src` copied to `dst` as hard links (the inputs are never written)."""
    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    for f in sorted(src.iterdir()):
        os.link(f, dst / f.name)


def change_rosters(folder: Path, n: int) -> list[str]:
    """`n` roster workbooks of `folder` (spread over it) re-saved in place with one name changed:
    the link is replaced by a new file, its source is not touched."""
    import openpyxl

    files = sorted(folder.iterdir())
    rosters = [f for f in files if f.name.startswith("学籍名册")][:: max(1, len(files) // (2 * n))][:n]
    for f in rosters:
        wb = openpyxl.load_workbook(f)
        f.unlink()
        ws = wb.active
        for row in ws.iter_rows(min_row=1, max_row=10):
            for c in row:
                if c.value == "姓名":
                    cell = ws.cell(c.row + 1, c.column)
                    cell.value = f"{cell.value or ''}改"
                    break
        wb.save(f)
    return [f.name for f in rosters]


def province(schools: int, changed: int, res: dict) -> None:
    src = DATA / f"folder_{schools}"
    if not src.is_dir():
        sys.exit(f"{src} is missing: python benchmarks/bench_folder.py --schools {schools} first")
    work = Path(tempfile.mkdtemp(prefix="xj-store-", dir=DATA))
    try:
        cache = work / "cache"
        fmt = ["--format", "csv,json", "--as-of", "2019-06-30"]
        r = res.setdefault("province", {"schools": schools, "files": len(list(src.iterdir())), "changed": changed})
        r["no_cache"] = cli([str(src), *fmt], work / "o1")
        print("no cache", r["no_cache"], file=sys.stderr)
        # the nightly job's folder: the cache runs read a linked copy whose files change in place
        nightly = work / "folder"
        linked_copy(src, nightly)
        r["cold"] = cli([str(nightly), *fmt, "--cache", str(cache)], work / "o2")
        print("cold", r["cold"], file=sys.stderr)
        r["warm"] = cli([str(nightly), *fmt, "--cache", str(cache)], work / "o3")
        print("warm", r["warm"], file=sys.stderr)
        r["changed_files"] = change_rosters(nightly, changed)
        r["rerun_changed"] = cli([str(nightly), *fmt, "--cache", str(cache)], work / "o4")
        print("changed", r["rerun_changed"], file=sys.stderr)
        # the same files in another folder (a new export's folder name): every file name changes
        r["rerun_moved"] = cli([str(src), *fmt, "--cache", str(cache)], work / "o5")
        print("moved", r["rerun_moved"], file=sys.stderr)
        a, b, c = findings(work / "o1"), findings(work / "o2"), findings(work / "o3")
        r["identical_no_cache_cold_warm"] = a.equals(b) and b.equals(c)
        r["findings"] = a.height
        r["findings_after_change"] = findings(work / "o4").height
        r["identical_moved"] = findings(work / "o5").equals(a)
        r["rerun_share_of_first_run"] = round(r["rerun_changed"]["seconds"] / r["no_cache"]["seconds"], 3)
        r["warm_share_of_first_run"] = round(r["warm"]["seconds"] / r["no_cache"]["seconds"], 3)
        r["moved_share_of_first_run"] = round(r["rerun_moved"]["seconds"] / r["no_cache"]["seconds"], 3)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def national_data(files: int, n: int) -> tuple[list[Path], list[Path]]:
    """`n` (4.3M) roster rows and one school year of aid, as Parquet (`files` files per table)."""
    tag = f"national_{n}_{files}"
    rpaths = [DATA / f"{tag}_roster_{i}.parquet" for i in range(files)]
    apaths = [DATA / f"{tag}_aid_{i}.parquet" for i in range(files)]
    if all(p.exists() for p in rpaths + apaths):
        return rpaths, apaths
    import numpy as np
    from generate import roster_frame

    t = time.perf_counter()
    roster, info = roster_frame(n, 2018)
    print(f"roster {roster.height:,} rows in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    # one school year: fee waiver for every full-time student in both terms, the grant for about half
    rng = np.random.default_rng(7)
    pool = np.arange(roster.height)  # every student (the ineligible ones become findings, as in a real year)
    grant = pool[rng.random(len(pool)) < 0.5]
    rows = []
    base = pl.DataFrame({"学籍号": info["sid"], "姓名": info["roster_names"], "身份证号": info["roster_ids"],
                         "学校名称": info["school"]})
    for term, applied, paid in (("2018-2019学年第一学期", "2018-10-08", "2018-11-20"),
                                ("2018-2019学年第二学期", "2019-03-08", "2019-04-20")):
        for aid_type, who, amount in (("免学费", pool, "2000"), ("国家助学金", grant, "1000")):
            rows.append(base[who].with_columns(学期=pl.lit(term), 资助类型=pl.lit(aid_type), 金额=pl.lit(amount),
                                               申报日期=pl.lit(applied), 发放日期=pl.lit(paid),
                                               发放方式=pl.lit("资助卡")))
    aid = pl.concat(rows)
    print(f"aid {aid.height:,} rows", file=sys.stderr)
    for df, paths in ((roster, rpaths), (aid, apaths)):
        n = df.height
        for i, p in enumerate(paths):
            df.slice(i * n // files, (i + 1) * n // files - i * n // files).write_parquet(p)
    return rpaths, apaths


def national(files: int, n: int, res: dict) -> None:
    rpaths, apaths = national_data(files, n)
    rows = {"roster": sum(pl.scan_parquet(p).select(pl.len()).collect().item() for p in rpaths),
            "aid": sum(pl.scan_parquet(p).select(pl.len()).collect().item() for p in apaths)}
    work = Path(tempfile.mkdtemp(prefix="xj-national-", dir=DATA))
    try:
        args = [a for p in rpaths for a in ("--roster", str(p))] + [a for p in apaths for a in ("--aid", str(p))]
        r = cli([*args, "--format", "csv,json,parquet", "--as-of", "2019-06-30"], work / "o")
        r.update(rows=rows, files_per_table=files)
        res.setdefault("national", {})[f"{n}_{files}"] = r
        print("national", r, file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default="province,national")
    ap.add_argument("--schools", type=int, default=2500)
    ap.add_argument("--changed", type=int, default=25)
    ap.add_argument("--national-files", type=int, default=1)
    ap.add_argument("--national-rows", type=int, default=4_300_000, help="roster rows of the national simulation")
    a = ap.parse_args()
    OUT.mkdir(exist_ok=True)
    path = OUT / "store.json"
    res = json.loads(path.read_text()) if path.exists() else {}
    res["machine"] = machine()
    only = {s.strip() for s in a.only.split(",")}
    if "province" in only:
        province(a.schools, a.changed, res)
        path.write_text(json.dumps(res, ensure_ascii=False, indent=1))
    if "national" in only:
        national(a.national_files, a.national_rows, res)
        path.write_text(json.dumps(res, ensure_ascii=False, indent=1))
    print(json.dumps(res, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
