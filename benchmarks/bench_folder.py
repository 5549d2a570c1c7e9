"""A province's folder of many school exports: does memory follow the rows or the file count,
what does each file cost, and what do report.xlsx and the terminal look like with thousands of
files?

    python benchmarks/bench_folder.py --schools 100 --schools 500
    python benchmarks/bench_folder.py --schools 2500 --only folder-csv,folder-xlsx,single-csv,single-xlsx
    python benchmarks/bench_folder.py --schools 2500 --only ref1m-csv,ref1m-xlsx

Data (benchmarks/data/, git-ignored), built with benchmarks/generate.py's frames and its stream
xlsx writer: ``folder_<n>/`` holds, per school, ``学籍名册_<学校>.xlsx`` (200-600 students, a
title row, messy headers and values, ~2% planted problems as in generate.py; duplicate IDs
usually sit in another school's file) and ``资助申报发放明细_<学校>_2018-2019学年.xlsx``;
``folder_<n>_single/`` holds exactly the same rows as one roster and one aid workbook, so the
two runs differ only in the number of files. 2,500 schools give about 1M roster + 1M aid rows.

Scenarios (``--only``, comma-separated; default all but ref1m-*):
  folder-csv    ``xueji-check check <folder> --format csv,json`` (terminal output kept and measured)
  folder-xlsx   the same with the default formats (xlsx,csv,json): report.xlsx is inspected
                (sheets, size, 31-character and duplicate sheet names, comments, parts)
  single-csv    the same rows in one roster + one aid workbook, --format csv,json
  single-xlsx   idem, default formats
  ref1m-csv     benchmarks/data/roster_1m.xlsx + aid_1m.xlsx (generate.py --rows 1000000), csv,json
  ref1m-xlsx    idem, default formats
  stages        the folder run in-process (default formats) with the package's functions wrapped
                by timers: per-file load (calamine, zip scan, header search), normalise, report
                parts, RSS after each engine step
  nofile        folder-xlsx with the open-file limit lowered (``--nofile``, default 1024, a common
                Linux default; macOS has 256), since xlsxwriter keeps one temp file open per sheet

Every run is a fresh child process; wall time, CPU time (user + system) and peak RSS come from
``os.wait4``, and the 1-minute load average is recorded before and after. Results:
benchmarks/out/folder_<n>.json (scenarios measured earlier are kept). Nothing asserts a time.
"""

from __future__ import annotations

import argparse
import html
import json
import multiprocessing as mp
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402  (benchmarks/generate.py)
import numpy as np  # noqa: E402
import polars as pl  # noqa: E402

DATA = generate.DATA
OUT = HERE / "out"
AS_OF = generate.AS_OF
PY = sys.executable
CLI = [PY, "-m", "xueji_check", "check"]
MIN_ROWS, MAX_ROWS = 200, 600  # students per school
ROSTER_TITLE = "2019年春季学期学生名册"
AID_TITLE = "2018-2019学年中职免学费和国家助学金发放明细"
DEFAULT_ONLY = "folder-csv,folder-xlsx,single-csv,single-xlsx,stages,nofile"


# ----------------------------------------------------------------------------- data
def school_names(n: int, rng: np.random.Generator) -> tuple[list[str], list[str]]:
    """n distinct school names (city + word + type, from generate.py's lists) and 5-digit codes."""
    words = [w for w in generate.SCHOOL_WORDS if w not in ("技工", "高级")]  # no "技工技工学校"
    combos = len(generate.CITIES) * len(words) * len(generate.SCHOOL_TYPES)
    if n > combos:
        sys.exit(f"at most {combos} schools")
    sc = rng.choice(combos, size=n, replace=False)
    per_city = len(words) * len(generate.SCHOOL_TYPES)
    names = [f"{generate.CITIES[i // per_city]}市{words[(i // len(generate.SCHOOL_TYPES)) % len(words)]}"
             f"{generate.SCHOOL_TYPES[i % len(generate.SCHOOL_TYPES)]}" for i in sc.tolist()]
    codes = [str(c) for c in (rng.choice(90000, size=n, replace=False) + 10000).tolist()]
    return names, codes


def build_frames(n: int, seed: int) -> tuple[pl.DataFrame, pl.DataFrame, list[str], dict]:
    """generate.py's roster and aid frames for ~400·n students, re-cut into n schools of
    200-600 students (school code, name and the code prefix of 学籍号 follow the new school; aid
    rows follow their student). Both frames get `_school` (0..n-1) and are sorted by it."""
    rng = np.random.default_rng(seed + 4242)
    sizes = rng.integers(MIN_ROWS, MAX_ROWS + 1, size=n)
    total = int(sizes.sum())
    roster, rinfo = generate.roster_frame(total, seed)
    aid, ainfo = generate.aid_frame(total, seed, rinfo)
    names, codes = school_names(n, rng)
    school = np.empty(total, dtype=np.int64)
    school[rng.permutation(total)] = np.repeat(np.arange(n), sizes)
    code_s = pl.Series(codes).gather(school)
    old_sid = roster["*学籍号"]
    new_sid = code_s + old_sid.str.slice(5)  # 学籍号 = school code (5) + intake year (4) + number (6)
    roster = roster.with_columns(code_s.alias("学校代码"), pl.Series(names).gather(school).alias("学校名称"),
                                 new_sid.alias("*学籍号"), pl.Series("_school", school))
    sid_map = pl.DataFrame({"学籍号": old_sid, "_new_sid": new_sid, "_school": school}).unique("学籍号", keep="first")
    aid = aid.join(sid_map, on="学籍号", how="left", maintain_order="left")
    # aid rows of people in no roster (A302, empty 学籍号) go to a random school's file
    stray = pl.Series(rng.integers(0, n, size=aid.height))
    aid = aid.with_columns(pl.col("_school").fill_null(stray))
    aid = aid.with_columns(pl.coalesce("_new_sid", pl.lit("")).alias("学籍号"),
                           pl.Series(names).gather(aid["_school"]).alias("学校名称")).drop("_new_sid")
    aid = aid.select(*generate.AID_HEADERS, "_school")
    info = {"roster_plants": rinfo["plants"], "aid_plants": ainfo["plants"],
            "school_rows": {"min": int(sizes.min()), "max": int(sizes.max()), "mean": float(sizes.mean())}}
    return roster.sort("_school", maintain_order=True), aid.sort("_school", maintain_order=True), names, info


def roster_path(folder: Path, name: str) -> Path:
    return folder / f"学籍名册_{name}.xlsx"


def aid_path(folder: Path, name: str) -> Path:
    return folder / f"资助申报发放明细_{name}_2018-2019学年.xlsx"


def _write_schools(args: tuple) -> tuple[int, float]:
    roster_ipc, aid_ipc, folder, schools = args
    t = time.process_time()
    folder = Path(folder)
    r_parts = pl.read_ipc(roster_ipc).partition_by("_school", as_dict=True, include_key=False)
    a_parts = pl.read_ipc(aid_ipc).partition_by("_school", as_dict=True, include_key=False)
    empty_aid = pl.DataFrame(schema={h: pl.String for h in generate.AID_HEADERS})
    for idx, name in schools:
        generate.write_xlsx_stream(r_parts[(idx,)], roster_path(folder, name), name + ROSTER_TITLE, "学生名册")
        generate.write_xlsx_stream(a_parts.get((idx,), empty_aid), aid_path(folder, name), name + AID_TITLE, "资助发放")
    return len(schools), time.process_time() - t


def _write_single(args: tuple) -> tuple[int, float]:
    ipc, path, title, sheet = args
    t = time.process_time()
    generate.write_xlsx_stream(pl.read_ipc(ipc).drop("_school"), Path(path), title, sheet)
    return 1, time.process_time() - t


def paths_for(n: int) -> dict[str, Path]:
    return {"folder": DATA / f"folder_{n}", "single": DATA / f"folder_{n}_single",
            "manifest": DATA / f"folder_{n}.json"}


def generate_folder(n: int, seed: int, jobs: int, force: bool) -> dict:
    p = paths_for(n)
    if p["manifest"].exists() and p["folder"].is_dir() and p["single"].is_dir() and not force:
        man = json.loads(p["manifest"].read_text(encoding="utf-8"))
        if man.get("seed") == seed:
            return man
    t0, c0 = time.perf_counter(), time.process_time()
    roster, aid, names, info = build_frames(n, seed)
    built = time.perf_counter() - t0
    print(f"built frames: {roster.height:,} roster + {aid.height:,} aid rows, {n} schools in {built:.1f} s",
          file=sys.stderr, flush=True)
    tmp_folder, tmp_single = p["folder"].with_name(p["folder"].name + ".tmp"), p["single"].with_name(
        p["single"].name + ".tmp")
    for d in (tmp_folder, tmp_single):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    work = Path(tempfile.mkdtemp(prefix="xj-folder-", dir=DATA))
    try:
        chunks = max(1, min(n, jobs * 8))
        bounds = np.linspace(0, n, chunks + 1).astype(int)
        tasks_single = []
        for kind, df, title, sheet, fname in (("roster", roster, "河南省技工院校" + ROSTER_TITLE, "学生名册", "学籍名册_全省.xlsx"),
                                              ("aid", aid, AID_TITLE, "资助发放", "资助申报发放明细_全省_2018-2019学年.xlsx")):
            ipc = work / f"{kind}_all.arrow"
            df.write_ipc(ipc)
            tasks_single.append((str(ipc), str(tmp_single / fname), title, sheet))
        tasks = []
        for k in range(chunks):
            lo, hi = int(bounds[k]), int(bounds[k + 1])
            if lo == hi:
                continue
            r_ipc, a_ipc = work / f"roster_{k}.arrow", work / f"aid_{k}.arrow"
            roster.filter(pl.col("_school").is_between(lo, hi - 1)).write_ipc(r_ipc)
            aid.filter(pl.col("_school").is_between(lo, hi - 1)).write_ipc(a_ipc)
            tasks.append((str(r_ipc), str(a_ipc), str(tmp_folder), [(i, names[i]) for i in range(lo, hi)]))
        roster_rows, aid_rows = roster.height, aid.height
        del roster, aid
        child_cpu = 0.0
        with ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("spawn")) as pool:
            futs = [pool.submit(_write_single, a) for a in tasks_single] + [pool.submit(_write_schools, a) for a in tasks]
            done = 0
            for f in futs:
                k, cpu = f.result()
                child_cpu += cpu
                done += k
        wall = time.perf_counter() - t0
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for tmp, final in ((tmp_folder, p["folder"]), (tmp_single, p["single"])):
        shutil.rmtree(final, ignore_errors=True)
        os.replace(tmp, final)
    files = sorted(p["folder"].iterdir())
    man = {"schools": n, "seed": seed, "as_of": AS_OF, "files": len(files),
           "folder_bytes": sum(f.stat().st_size for f in files),
           "single_bytes": {f.name: f.stat().st_size for f in sorted(p["single"].iterdir())},
           "roster_rows": roster_rows, "aid_rows": aid_rows, **info,
           "generation": {"wall_s": round(wall, 1), "cpu_s_parent": round(time.process_time() - c0, 1),
                          "cpu_s_writers": round(child_cpu, 1), "jobs": jobs, "writer": "generate.write_xlsx_stream"},
           "generated": time.strftime("%Y-%m-%dT%H:%M:%S")}
    p["manifest"].write_text(json.dumps(man, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"generated {len(files)} files ({man['folder_bytes'] / 1e6:,.1f} MB) + single workbooks in {wall:.1f} s",
          file=sys.stderr, flush=True)
    return man


# ----------------------------------------------------------------------------- report.xlsx
def inspect_report(path: Path) -> dict:
    """Sheets, names, comments and parts of report.xlsx, and whether calamine can open it."""
    out: dict = {"bytes": path.stat().st_size}
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
        wb = z.read("xl/workbook.xml")
        names = [html.unescape(m.decode("utf-8")) for m in re.findall(rb'<sheet name="([^"]*)"', wb)]
        n_comments = 0
        comment_parts = [i for i in infos if re.match(r"xl/comments\d+\.xml$", i.filename)]
        for i in comment_parts:
            n_comments += z.read(i).count(b"<comment ")
        sheet_parts = [i for i in infos if i.filename.startswith("xl/worksheets/sheet")]
        out.update({
            "sheets": len(names), "annotated_sheets": max(0, len(names) - 3), "zip_parts": len(infos),
            "unzipped_bytes": sum(i.file_size for i in infos),
            "largest_sheet_unzipped": max((i.file_size for i in sheet_parts), default=0),
            "defined_names": wb.count(b"<definedName"), "comment_parts": len(comment_parts), "comments": n_comments,
            "vml_parts": sum(1 for i in infos if i.filename.startswith("xl/drawings/vmlDrawing")),
        })
    long = [s for s in names if len(s) >= 31]
    suffixed = [s for s in names if re.search(r"~\d+$", s)]
    seen: dict[str, int] = {}
    for s in names:
        seen[s.casefold()] = seen.get(s.casefold(), 0) + 1
    out.update({"names_max_len": max((len(s) for s in names), default=0), "names_at_31": len(long),
                "names_with_suffix": len(suffixed), "names_duplicate_casefold": sum(v - 1 for v in seen.values() if v > 1),
                "names_examples": names[:5] + long[:3] + suffixed[:3]})
    try:
        import fastexcel

        t = time.perf_counter()
        reader = fastexcel.read_excel(str(path))
        sheets = reader.sheet_names
        overview = reader.load_sheet("总览", header_row=None, dtypes="string").to_polars()
        out["calamine_open_s"] = round(time.perf_counter() - t, 2)
        out["calamine_sheets"] = len(sheets)
        out["overview_rows"] = overview.height
    except Exception as exc:  # noqa: BLE001
        out["calamine_error"] = f"{type(exc).__name__}: {str(exc)[:200]}"
    return out


# ----------------------------------------------------------------------------- runs
def _limit_nofile(soft: int):
    def apply() -> None:
        import resource

        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(soft, hard), hard))
    return apply


def run_child(cmd: list[str], timeout: float, nofile: int | None = None) -> dict:
    """Run cmd, reap it with os.wait4: wall, CPU (user+sys), peak RSS of that child, exit, output."""
    with tempfile.TemporaryFile() as fo, tempfile.TemporaryFile() as fe:
        load0 = os.getloadavg()[0]
        t = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=fo, stderr=fe, preexec_fn=_limit_nofile(nofile) if nofile else None,
                             env={**os.environ, "NO_COLOR": "1"})
        deadline = t + timeout
        killed = False
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                p.kill()
                killed = True
                pid, status, ru = os.wait4(p.pid, 0)
                break
            time.sleep(0.05)
        wall = time.perf_counter() - t
        p.returncode = os.waitstatus_to_exitcode(status)
        fo.seek(0)
        fe.seek(0)
        out, err = fo.read().decode("utf-8", "replace"), fe.read().decode("utf-8", "replace")
    return {"wall_s": round(wall, 2), "cpu_s": round(ru.ru_utime + ru.ru_stime, 2), "user_s": round(ru.ru_utime, 2),
            "sys_s": round(ru.ru_stime, 2), "peak_rss_mb": round(ru.ru_maxrss / 1024, 1), "exit": p.returncode,
            "timed_out": killed, "load_avg_1m": [round(load0, 2), round(os.getloadavg()[0], 2)], "_stdout": out,
            "_stderr": err}


def code_state() -> str:
    """HEAD and whether src/ has uncommitted changes, with the time: the child process imports
    the package from the working tree, which other sessions may be changing."""
    root = HERE.parent
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", "src"], capture_output=True,
                               text=True).stdout.split()
    except OSError:
        head, dirty = "?", []
    changed = [x for x in dirty if x.startswith("src/")]
    return f"{head}{' + uncommitted ' + ','.join(changed) if changed else ''} @ {time.strftime('%H:%M:%S')}"


def _text_stats(text: str) -> dict:
    lines = text.splitlines()
    return {"bytes": len(text.encode("utf-8")), "lines": len(lines), "head": lines[:6], "tail": lines[-6:]}


def cli_run(inputs: list[str], formats: str | None, timeout: float, nofile: int | None = None) -> dict:
    out = Path(tempfile.mkdtemp(prefix="xj-folder-out-"))
    try:
        cmd = [*CLI, *inputs, "--as-of", AS_OF, "--out", str(out / "report")]
        if formats:
            cmd += ["--format", formats]
        code = code_state()
        res = run_child(cmd, timeout, nofile)
        res["code"] = code  # the package is imported from the working tree when the child starts
        res["cmd"] = " ".join(["python -m xueji_check check", *[Path(i).name for i in inputs], "--as-of", AS_OF,
                               "--out", "<tmp>", *(["--format", formats] if formats else [])]) + (
            f"  (ulimit -n {nofile})" if nofile else "")
        res["stdout"], res["stderr"] = _text_stats(res.pop("_stdout")), _text_stats(res.pop("_stderr"))
        rep = out / "report"
        res["outputs"] = {f.name: f.stat().st_size for f in rep.iterdir() if f.is_file()} if rep.is_dir() else {}
        fj = rep / "findings.json"
        if fj.exists():
            doc = json.loads(fj.read_text(encoding="utf-8"))
            s = doc["summary"]
            res["findings"] = s["total"]
            res["per_severity"] = s["per_severity"]
            res["per_rule"] = s["per_rule"]
            res["schools_with_findings"] = len(s.get("per_school", {}))
            inputs_doc = doc["run"]["inputs"]
            res["input_files"] = len(inputs_doc)
            res["input_rows"] = sum(i["rows"] for i in inputs_doc)
            res["problems"] = {lvl: sum(1 for p in doc["run"]["problems"] if p["level"] == lvl)
                               for lvl in ("error", "warning", "info")}
        if (rep / "report.xlsx").exists():
            res["report_xlsx"] = inspect_report(rep / "report.xlsx")
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return res


# ----------------------------------------------------------------------------- in-process stages
def _rss_mb() -> tuple[float, float]:
    cur = peak = 0.0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            cur = int(line.split()[1]) / 1024
        elif line.startswith("VmHWM:"):
            peak = int(line.split()[1]) / 1024
    return round(cur, 1), round(peak, 1)


def worker_stages(folder: str, formats: str) -> dict:
    """cli._check on the folder in-process, with the package's functions wrapped by timers."""
    import threading

    import xlsxwriter

    from xueji_check import cli, engine, load
    from xueji_check.report import excel, files, terminal

    spans: dict[str, list[float]] = {}  # label -> [wall, cpu (thread), calls]
    lock = threading.Lock()

    def timed(label: str, fn):
        def wrapper(*a, **k):
            t, c = time.perf_counter(), time.thread_time()
            try:
                return fn(*a, **k)
            finally:
                with lock:
                    s = spans.setdefault(label, [0.0, 0.0, 0])
                    s[0] += time.perf_counter() - t
                    s[1] += time.thread_time() - c
                    s[2] += 1
        return wrapper

    marks: list[tuple[str, float, float, float, float]] = []  # label, wall, process cpu, rss, peak

    def mark(label: str) -> None:
        marks.append((label, time.perf_counter(), time.process_time(), *_rss_mb()))

    class Recorder:
        def step(self, label, total=None):
            mark(label)

    real_run = engine.run

    def run(*a, **k):
        k["progress"] = Recorder()
        mark("start")
        try:
            return real_run(*a, **k)
        finally:
            mark("end")

    engine.run = run
    engine.load_file = timed("load_file (sum over threads)", engine.load_file)
    load.read_excel_bytes = timed("  read_excel_bytes (zip scan + calamine)", load.read_excel_bytes)
    load.xlsx.scan_zip = timed("    scan_zip (merged/error cells, zip-bomb guard)", load.xlsx.scan_zip)
    load.build_table = timed("  build_table (header search, blank/total rows)", load.build_table)
    engine.combine = timed("normalise (combine: one collect per table)", engine.combine)
    engine.validation_findings = timed("validate (S-checks)", engine.validation_findings)
    engine.name_mismatch = timed("validate (S008)", engine.name_mismatch)
    engine.finalize = timed("findings (finalize)", engine.finalize)
    files.write_csv = timed("report csv", files.write_csv)
    files.write_json = timed("report json", files.write_json)
    excel.write_report = timed("report xlsx", excel.write_report)
    excel.plan_sheets = timed("  xlsx plan_sheets", excel.plan_sheets)
    excel.locate = timed("  xlsx locate", excel.locate)
    excel.school_table = timed("  xlsx school_table", excel.school_table)
    excel._write_overview = timed("  xlsx overview", excel._write_overview)
    excel._write_findings = timed("  xlsx 问题清单", excel._write_findings)
    excel._write_annotated = timed("  xlsx annotated copies (all sheets)", excel._write_annotated)
    excel.annotations = timed("    annotations (filter findings per sheet)", excel.annotations)
    xlsxwriter.Workbook.close = timed("  xlsx Workbook.close (assemble + zip)", xlsxwriter.Workbook.close)
    terminal.print_summary = timed("terminal summary", terminal.print_summary)
    terminal.print_problems = timed("terminal problems", terminal.print_problems)

    out_dir = Path(tempfile.mkdtemp(prefix="xj-folder-stages-"))
    t, c = time.perf_counter(), time.process_time()
    try:
        code = cli._check([Path(folder)], {"roster": [], "changes": [], "aid": [], "publicity": [], "employed": []},
                          None, AS_OF, out_dir, cli.FailOn.never, None, formats, None, None, False, False, True)
    finally:
        whole, whole_cpu = time.perf_counter() - t, time.process_time() - c
        shutil.rmtree(out_dir, ignore_errors=True)
    res: dict = {"exit": code, "in_process_wall_s": round(whole, 2), "in_process_cpu_s": round(whole_cpu, 2)}
    res["spans"] = {k: {"wall_s": round(v[0], 3), "thread_cpu_s": round(v[1], 3), "calls": v[2]}
                    for k, v in spans.items()}
    res["steps"] = []
    for (label, w, cpu, rss, peak), nxt in zip(marks, [*marks[1:], None], strict=True):
        res["steps"].append({"step": label, "rss_mb_at_start": rss, "peak_mb_so_far": peak,
                             **({"wall_s": round(nxt[1] - w, 2), "cpu_s": round(nxt[2] - cpu, 2)} if nxt else {})})
    res["rss_mb_end"], res["peak_mb_end"] = _rss_mb()
    return res


# ----------------------------------------------------------------------------- main
def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.1f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def save(result_file: Path, res: dict) -> None:
    """Write the results, merging runs another invocation saved meanwhile (two scenarios of the
    same N may run at the same time); this invocation's own scenarios win."""
    if result_file.exists():
        disk = json.loads(result_file.read_text(encoding="utf-8"))
        res["runs"] = {**disk.get("runs", {}), **res.get("_own", {})}
    else:
        res["runs"] = dict(res.get("_own", {}))
    tmp = result_file.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps({k: v for k, v in res.items() if k != "_own"}, ensure_ascii=False, indent=1,
                              default=str), encoding="utf-8")
    os.replace(tmp, result_file)


ROW_FMT = "{:<13} {:>6} {:>10} {:>8} {:>8} {:>9} {:>4} {:>8} {:>7} {:>9} {:>7}"


def print_row(label: str, r: dict) -> None:
    rep = r.get("report_xlsx", {})
    print(ROW_FMT.format(label, _fmt(r.get("input_files")), _fmt(r.get("input_rows")), _fmt(r.get("wall_s")),
                         _fmt(r.get("cpu_s")), _fmt(r.get("peak_rss_mb")), _fmt(r.get("exit")), _fmt(r.get("findings")),
                         _fmt(rep.get("sheets")), _fmt(round(rep["bytes"] / 1e6, 1) if rep else None),
                         _fmt(r.get("stdout", {}).get("lines"))), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--schools", type=int, action="append", help="schools (2 files each); repeatable; default 100")
    ap.add_argument("--only", default=DEFAULT_ONLY, help=f"scenarios, comma-separated (default {DEFAULT_ONLY})")
    ap.add_argument("--seed", type=int, default=2018)
    ap.add_argument("--jobs", type=int, default=2, help="writer processes for the generation")
    ap.add_argument("--force", action="store_true", help="regenerate the folder even if it exists")
    ap.add_argument("--nofile", type=int, default=1024, help="open-file limit of the nofile scenario")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds per child process")
    ap.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        res = worker_stages(a.worker[1], a.worker[2])
        print("@@RESULT@@" + json.dumps(res, ensure_ascii=False))
        return
    import run  # benchmarks/run.py: machine description

    only = [s.strip() for s in a.only.split(",") if s.strip()]
    OUT.mkdir(exist_ok=True)
    for n in a.schools or [100]:
        man = generate_folder(n, a.seed, a.jobs, a.force)
        p = paths_for(n)
        result_file = OUT / f"folder_{n}.json"
        res = json.loads(result_file.read_text(encoding="utf-8")) if result_file.exists() else {}
        res.update({"schools": n, "machine": run.machine(), "data": man})
        res.setdefault("runs", {})
        res["_own"] = {}
        print(f"\n{n} schools: {man['files']} files, {man['roster_rows']:,} roster + {man['aid_rows']:,} aid rows, "
              f"{man['folder_bytes'] / 1e6:,.1f} MB; generation {man['generation']['wall_s']} s wall", flush=True)
        print(ROW_FMT.format("scenario", "files", "rows", "wall s", "CPU s", "RSS MB", "exit", "findings",
                             "sheets", "xlsx MB", "stdout"))
        folder = str(p["folder"])
        single = [str(f) for f in sorted(p["single"].iterdir())]
        ref = [str(DATA / "roster_1m.xlsx"), str(DATA / "aid_1m.xlsx")]
        for sc in only:
            if sc == "stages":
                code = code_state()
                r = run_child([PY, __file__, "--worker", "stages", folder, "xlsx,csv,json"], a.timeout)
                r["code"] = code
                body = r.pop("_stdout")
                err = r.pop("_stderr")
                line = next((x for x in body.splitlines() if x.startswith("@@RESULT@@")), None)
                if line:
                    r.update(json.loads(line[len("@@RESULT@@"):]))
                else:
                    r["error"] = err[-2000:]
                res["runs"]["stages"] = res["_own"]["stages"] = r
                print(f"{'stages':<13} in-process {r.get('in_process_wall_s')} s wall, "
                      f"{r.get('cpu_s')} s CPU, peak {r.get('peak_rss_mb')} MB")
                for k, v in r.get("spans", {}).items():
                    print(f"    {k:52} {v['wall_s']:9.2f} s  {v['thread_cpu_s']:8.2f} s cpu  {v['calls']:>6} calls")
                for s in r.get("steps", []):
                    print(f"    step {s['step']:12} rss at start {s['rss_mb_at_start']:8.1f} MB  "
                          f"peak so far {s['peak_mb_so_far']:8.1f} MB  {s.get('wall_s', '')} s")
            else:
                kind, _, fmt_name = sc.partition("-")
                inputs = {"folder": [folder], "nofile": [folder], "single": single, "ref1m": ref}.get(kind)
                if inputs is None or (fmt_name not in ("csv", "xlsx") and kind != "nofile"):
                    sys.exit(f"unknown scenario {sc}")
                if kind == "ref1m" and not all(Path(x).exists() for x in ref):
                    print(f"{sc}: missing {ref}; run benchmarks/generate.py --rows 1000000", file=sys.stderr)
                    continue
                formats = "csv,json" if fmt_name == "csv" else None
                r = cli_run(inputs, formats, a.timeout, a.nofile if kind == "nofile" else None)
                res["runs"][sc] = res["_own"][sc] = r
                print_row(sc, r)
                if r["exit"] not in (0, 1):
                    print(f"    exit {r['exit']}: {' | '.join(r['stderr']['tail'])[:600]}", flush=True)
            save(result_file, res)
        fo, so = res["runs"].get("folder-csv"), res["runs"].get("single-csv")
        if fo and so and so.get("wall_s"):
            res["folder_vs_single_csv"] = {k: round(fo[k] / so[k], 2) for k in ("wall_s", "cpu_s", "peak_rss_mb")
                                           if so.get(k)}
            print(f"folder / single (csv,json): {res['folder_vs_single_csv']}")
        fx, sx = res["runs"].get("folder-xlsx"), res["runs"].get("single-xlsx")
        if fx and sx and sx.get("wall_s"):
            res["folder_vs_single_xlsx"] = {k: round(fx[k] / sx[k], 2) for k in ("wall_s", "cpu_s", "peak_rss_mb")
                                            if sx.get(k)}
            print(f"folder / single (default formats): {res['folder_vs_single_xlsx']}")
        save(result_file, res)
        print(f"wrote {result_file}")


if __name__ == "__main__":
    main()
