"""Time xueji-check stage by stage, the whole CLI, and the pandas baseline, side by side.

    python benchmarks/run.py --rows 100000                     # median of 3
    python benchmarks/run.py --rows 1000000 --baseline-repeat 1
    python benchmarks/run.py --rows 1000000 --only csv,annotate

Every measurement runs in a fresh process, so each one pays for its own imports and caches and
its peak RSS is its own (``os.wait4`` rusage of the child). Figures are printed as a table and
written to benchmarks/out/results_<rows>.json (git-ignored). Nothing here asserts a time.

Scenarios (``--only``, comma-separated; default all but ``annotate``):
  read      calamine read of both xlsx inputs, one thread per file (the reference time of the
            issue's "≤ 1.5× the read" target), plus each file alone
  stages    the package's own functions, in-process: read+header (load), normalise, validate,
            rules, findings, and each report (csv, json, parquet, xlsx); timings are taken by
            wrapping the package's functions, so the pipeline itself is not changed
  cli       ``xueji-check check --roster R --aid A --format xlsx,csv,json,parquet`` as a subprocess
  csv       the same with the GB18030 CSV roster alone (``--format csv,json``) and default formats
  baseline  benchmarks/baseline_pandas.py (pandas + openpyxl), same inputs
  annotate  the CLI with ``--annotate-all --format xlsx`` (full annotated copy)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
AS_OF = "2019-06-30"
PY = sys.executable
CLI = [PY, "-m", "xueji_check"]


# ----------------------------------------------------------------------------- workers
def worker_read(roster: str, aid: str) -> dict:
    """Calamine read of the inputs exactly as load.read_excel_bytes asks for them."""
    from concurrent.futures import ThreadPoolExecutor

    import polars as pl

    def read(p: str):
        return pl.read_excel(p, engine="calamine", sheet_id=0, has_header=False,
                             read_options={"header_row": None, "skip_rows": 0, "dtypes": "string"},
                             drop_empty_rows=False, drop_empty_cols=False, raise_if_empty=False)

    out = {}
    t = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        frames = list(pool.map(read, [roster, aid]))
    out["read_parallel"] = time.perf_counter() - t
    del frames
    for label, p in (("read_roster", roster), ("read_aid", aid)):
        t = time.perf_counter()
        read(p)
        out[label] = time.perf_counter() - t
    return out


def worker_stages(roster: str, aid: str, formats: str, annotate_all: bool) -> dict:
    """Run cli._check in-process with the package's stage functions wrapped by timers."""
    import threading

    from xueji_check import cli, engine
    from xueji_check.report import excel, files

    spans: dict[str, float] = {}
    lock = threading.Lock()

    def timed(label: str, fn):
        def wrapper(*a, **k):
            t, c = time.perf_counter(), time.process_time()
            try:
                return fn(*a, **k)
            finally:
                with lock:
                    spans[label] = spans.get(label, 0.0) + time.perf_counter() - t
                    spans[label + " [cpu]"] = spans.get(label + " [cpu]", 0.0) + time.process_time() - c
        return wrapper

    marks: list[tuple[str, float]] = []
    cpu_marks: list[tuple[str, float]] = []

    class Recorder:
        def step(self, label, total=None):
            marks.append((label, time.perf_counter()))
            cpu_marks.append((label, time.process_time()))

    real_run = engine.run

    def run(*a, **k):
        k["progress"] = Recorder()
        marks.append(("start", time.perf_counter()))
        cpu_marks.append(("start", time.process_time()))
        try:
            return real_run(*a, **k)
        finally:
            marks.append(("end", time.perf_counter()))
            cpu_marks.append(("end", time.process_time()))

    engine.run = run
    engine.load_file = timed("load_file (sum over threads)", engine.load_file)
    engine.combine = timed("normalise", engine.combine)
    engine.validation_findings = timed("validate (pandera S-checks)", engine.validation_findings)
    engine.name_mismatch = timed("validate (S008 names)", engine.name_mismatch)
    engine.finalize = timed("findings (finalize)", engine.finalize)
    files.write_csv = timed("report csv", files.write_csv)
    files.write_json = timed("report json", files.write_json)
    files.write_parquet = timed("report parquet", files.write_parquet)
    excel.write_report = timed("report xlsx", excel.write_report)
    out_dir = Path(tempfile.mkdtemp(prefix="xj-bench-"))
    t = time.perf_counter()
    try:
        code = cli._check([], {"roster": [Path(roster)], "changes": [], "aid": [Path(aid)], "publicity": [],
                               "employed": []}, None, AS_OF, out_dir, cli.FailOn.never, None, formats, None, None,
                          annotate_all, False, True)
    finally:
        whole = time.perf_counter() - t
        shutil.rmtree(out_dir, ignore_errors=True)
    res = {"in_process_total": whole, "exit": code}
    for suffix, m in (("", dict(marks)), (" [cpu]", dict(cpu_marks))):  # engine.run's progress steps
        _phases(res, m, suffix)
    res.update(spans)
    reports = sum(v for k, v in spans.items() if k.startswith("report ") and not k.endswith("[cpu]"))
    if "engine.run" in res:
        res["summary+json doc+other"] = whole - res["engine.run"] - reports
    return res


def _phases(res: dict, m: dict, sfx: str) -> None:
    if "读取文件" in m and "规范化与校验" in m:
        res["load (read + header, threads)" + sfx] = m["规范化与校验"] - m["读取文件"]
    if "规范化与校验" in m and "执行规则" in m:
        res["normalise+validate" + sfx] = m["执行规则"] - m["规范化与校验"]
    if "执行规则" in m and "整理结果" in m:
        res["rules" + sfx] = m["整理结果"] - m["执行规则"]
    if "整理结果" in m and "end" in m:
        res["findings" + sfx] = m["end"] - m["整理结果"]
    if "end" in m and "start" in m:
        res["engine.run" + sfx] = m["end"] - m["start"]


def _worker_main(argv: list[str]) -> None:
    import resource

    kind = argv[0]
    if kind == "read":
        res = worker_read(argv[1], argv[2])
    else:
        res = worker_stages(argv[1], argv[2], argv[3], argv[4] == "1")
    ru = resource.getrusage(resource.RUSAGE_SELF)
    res["peak_rss_mb"] = ru.ru_maxrss / 1024
    res["cpu_seconds"] = ru.ru_utime + ru.ru_stime
    print("@@RESULT@@" + json.dumps(res, ensure_ascii=False))


# ----------------------------------------------------------------------------- parent side
LAST_CPU: list[float] = [0.0]


def run_child_wait4(cmd: list[str], timeout: float | None = None) -> tuple[float, float, int, str]:
    """Like run_child but reaps with os.wait4 so the peak RSS is this child's own."""
    with tempfile.TemporaryFile("w+") as fo, tempfile.TemporaryFile("w+") as fe:
        t = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=fo, stderr=fe, text=True)
        deadline = None if timeout is None else t + timeout
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if deadline and time.perf_counter() > deadline:
                p.kill()
                pid, status, ru = os.wait4(p.pid, 0)
                break
            time.sleep(0.02)
        secs = time.perf_counter() - t
        LAST_CPU[0] = ru.ru_utime + ru.ru_stime
        p.returncode = os.waitstatus_to_exitcode(status)
        fo.seek(0)
        fe.seek(0)
        out, err = fo.read(), fe.read()
    if p.returncode not in (0, 1):
        print(f"[{' '.join(cmd[:4])}…] exit {p.returncode}: {err[-1500:]}", file=sys.stderr)
    return secs, ru.ru_maxrss / 1024, p.returncode, out


def worker(kind: str, *args: str, timeout: float | None = None) -> dict:
    secs, rss, code, out = run_child_wait4([PY, __file__, "--worker", kind, *args], timeout)
    for line in out.splitlines():
        if line.startswith("@@RESULT@@"):
            res = json.loads(line[len("@@RESULT@@"):])
            res["process_wall"] = secs
            res["load_avg_1m"] = os.getloadavg()[0]
            return res
    return {"error": f"exit {code}", "process_wall": secs}


def repeat(n: int, fn) -> list:
    return [fn() for _ in range(n)]


def med(runs: list[dict], key: str) -> float | None:
    vals = [r[key] for r in runs if isinstance(r.get(key), (int, float))]
    return statistics.median(vals) if vals else None


def cli_run(args: list[str], timeout: float) -> dict:
    out = Path(tempfile.mkdtemp(prefix="xj-cli-"))
    try:
        secs, rss, code, _ = run_child_wait4([*CLI, "check", *args, "--as-of", AS_OF, "--out", str(out), "-q",
                                              "--fail-on", "never"], timeout)
        sizes = {p.name: p.stat().st_size for p in out.iterdir()}
        findings = None
        if (out / "findings.json").exists():
            findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))["summary"]
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return {"seconds": secs, "cpu_seconds": LAST_CPU[0], "load_avg_1m": os.getloadavg()[0], "peak_rss_mb": rss,
            "exit": code, "outputs": sizes, "summary": findings}


def _git_state() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=HERE).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src"], capture_output=True, text=True,
                               cwd=HERE).stdout.strip()
        return head + (" + uncommitted src changes" if dirty else "")
    except OSError:
        return "?"


def machine() -> dict:
    import polars as pl

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024**2:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    try:
        import fastexcel

        fe = fastexcel.__version__
    except Exception:  # noqa: BLE001
        fe = "?"
    try:
        import pandas

        pd = pandas.__version__
    except ImportError:
        pd = "-"
    return {"date": time.strftime("%Y-%m-%d %H:%M"), "nproc": os.cpu_count(), "cpu": cpu, "ram": mem,
            "python": platform.python_version(), "git": _git_state(), "polars": pl.__version__, "fastexcel": fe, "pandas": pd,
            "os": platform.platform()}


def fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.2f}"
    return str(v)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, action="append", help="100000 and/or 1000000 (default 100000)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    ap.add_argument("--baseline-repeat", type=int, default=None, help="runs of the pandas baseline (default --repeat)")
    ap.add_argument("--only", default="read,stages,cli,csv,baseline")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per child process")
    ap.add_argument("--generate", action="store_true", help="generate missing data files first")
    ap.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        _worker_main(a.worker)
        return
    sys.path.insert(0, str(HERE))
    import generate

    only = {s.strip() for s in a.only.split(",")}
    OUT.mkdir(exist_ok=True)
    for rows in a.rows or [100_000]:
        paths = generate.paths_for(rows)
        if a.generate:
            generate.generate(rows)
        missing = [str(p) for p in paths.values() if not p.exists()]
        if missing:
            sys.exit(f"missing data files: {missing}; run benchmarks/generate.py --rows {rows}")
        r, aid = str(paths["roster_xlsx"]), str(paths["aid_xlsx"])
        res: dict = {"rows": rows, "machine": machine(), "repeat": a.repeat,
                     "inputs": {k: {"path": str(p.relative_to(HERE)), "mb": round(p.stat().st_size / 1e6, 1)}
                                for k, p in paths.items()}}
        result_file = OUT / f"results_{rows}.json"
        if result_file.exists():  # keep scenarios measured earlier, replace the ones run now
            res = {**json.loads(result_file.read_text(encoding="utf-8")), **res}
        n = a.repeat

        def save() -> None:
            result_file.write_text(json.dumps(res, ensure_ascii=False, indent=1, default=str), encoding="utf-8")

        def say(label: str, runs: list[dict], key: str) -> None:
            save()
            vals = [fmt(x.get(key)) for x in runs]
            print(f"{rows:>9,} {label:34} median {fmt(med(runs, key)):>9}  runs {', '.join(vals)}", flush=True)

        if "read" in only:
            runs = repeat(n, lambda: worker("read", r, aid, timeout=a.timeout))
            res["read"] = {"runs": runs, **{k: med(runs, k) for k in ("read_parallel", "read_roster", "read_aid",
                                                                      "peak_rss_mb")}}
            say("read (calamine, 2 threads)", runs, "read_parallel")
            say("read CPU s", runs, "cpu_seconds")
        if "stages" in only:
            runs = repeat(n, lambda: worker("stages", r, aid, "xlsx,csv,json,parquet", "0", timeout=a.timeout))
            keys = sorted({k for x in runs for k in x if isinstance(x.get(k), (int, float))})
            res["stages"] = {"runs": runs, **{k: med(runs, k) for k in keys}}
            for k in keys:
                say(f"stage {k}", runs, k)
        if "cli" in only:
            runs = repeat(n, lambda: cli_run(["--roster", r, "--aid", aid, "--format", "xlsx,csv,json,parquet"],
                                              a.timeout))
            res["cli"] = {"runs": runs, "seconds": med(runs, "seconds"), "cpu_seconds": med(runs, "cpu_seconds"),
                          "peak_rss_mb": max(x["peak_rss_mb"] for x in runs)}
            say("cli whole run (xlsx inputs)", runs, "seconds")
            say("cli whole run CPU s", runs, "cpu_seconds")
        if "csv" in only:
            c = str(paths["roster_csv"])
            runs = repeat(n, lambda: cli_run(["--roster", c, "--format", "csv,json"], a.timeout))
            res["csv"] = {"runs": runs, "seconds": med(runs, "seconds"), "cpu_seconds": med(runs, "cpu_seconds"), "peak_rss_mb": max(x["peak_rss_mb"] for x in runs)}
            say("cli GB18030 CSV roster (csv,json)", runs, "seconds")
            runs = repeat(n, lambda: cli_run(["--roster", c], a.timeout))
            res["csv_default"] = {"runs": runs, "seconds": med(runs, "seconds"),
                                  "peak_rss_mb": max(x["peak_rss_mb"] for x in runs)}
            say("cli GB18030 CSV roster (default)", runs, "seconds")
        if "baseline" in only:
            bn = a.baseline_repeat or n
            out = Path(tempfile.mkdtemp(prefix="xj-base-"))

            def base() -> dict:
                secs, rss, code, stdout = run_child_wait4(
                    [PY, str(HERE / "baseline_pandas.py"), r, aid, "--as-of", AS_OF, "--out", str(out)], a.timeout)
                d = {"seconds": secs, "cpu_seconds": LAST_CPU[0], "load_avg_1m": os.getloadavg()[0],
                     "peak_rss_mb": rss, "exit": code}
                for line in stdout.splitlines():
                    if line.startswith("@@RESULT@@"):
                        d.update(json.loads(line[len("@@RESULT@@"):]))
                return d

            runs = repeat(bn, base)
            shutil.rmtree(out, ignore_errors=True)
            res["baseline"] = {"runs": runs, "seconds": med(runs, "seconds"), "cpu_seconds": med(runs, "cpu_seconds"),
                               "peak_rss_mb": max(x["peak_rss_mb"] for x in runs)}
            say("baseline pandas+openpyxl", runs, "seconds")
            say("baseline CPU s", runs, "cpu_seconds")
        if "annotate" in only:
            runs = repeat(1, lambda: cli_run(["--roster", r, "--aid", aid, "--format", "xlsx", "--annotate-all"],
                                              a.timeout))
            res["annotate_all"] = {"runs": runs, "seconds": med(runs, "seconds"), "cpu_seconds": med(runs, "cpu_seconds"),
                                   "peak_rss_mb": max(x["peak_rss_mb"] for x in runs)}
            say("cli --annotate-all (xlsx only)", runs, "seconds")
        read_ref = res.get("read", {}).get("read_parallel")
        whole = res.get("cli", {}).get("seconds")
        if read_ref and whole:
            res["ratio_whole_to_read"] = whole / read_ref
        if whole and res.get("baseline", {}).get("seconds"):
            res["speedup_vs_baseline"] = res["baseline"]["seconds"] / whole
        if res.get("cli", {}).get("cpu_seconds") and res.get("baseline", {}).get("cpu_seconds"):
            res["speedup_vs_baseline_cpu"] = res["baseline"]["cpu_seconds"] / res["cli"]["cpu_seconds"]
        result_file.write_text(json.dumps(res, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
        for k in ("ratio_whole_to_read", "speedup_vs_baseline", "speedup_vs_baseline_cpu"):
            if k in res:
                print(f"{rows:>9,} {k:34} {res[k]:.2f}")
        print(f"wrote {result_file}")


if __name__ == "__main__":
    main()
