"""Which paths are candidates: folders walked, earlier reports left out."""

from __future__ import annotations

from pathlib import Path

from xueji_check.load.model import Problem

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
CSV_SUFFIXES = {".csv", ".tsv", ".txt"}
REPORT_NAMES = {"findings.csv", "问题清单.csv", "findings.json", "findings.parquet", "report.xlsx", "report.html"}


def _is_report_dir(d: Path) -> bool:
    """A folder that holds an earlier xueji-check report (so it is not read back as input)."""
    marker = d / "findings.json"
    if not marker.is_file():
        return False
    try:
        with marker.open("rb") as fh:
            return b'"xueji-check"' in fh.read(4096)
    except OSError:
        return False


def discover(paths: list[Path], problems: list[Problem]) -> list[Path]:
    out: list[Path] = []
    seen: set[Path] = set()

    def add(f: Path) -> None:
        try:
            key = f.resolve()
        except OSError:
            key = f.absolute()
        if key in seen:
            return
        seen.add(key)
        out.append(f)

    for p in paths:
        if p.is_dir():
            found = 0
            skipped_reports: set[Path] = set()
            for f in sorted(p.rglob("*")):
                if not f.is_file() or f.suffix.lower() not in EXCEL_SUFFIXES | CSV_SUFFIXES | {".parquet"}:
                    continue
                if f.name.startswith(("~$", ".")) or f.name.lower() == "readme.md":
                    continue
                if f.name in REPORT_NAMES and _is_report_dir(f.parent):
                    skipped_reports.add(f.parent)
                    continue
                found += 1
                add(f)
            for d in sorted(skipped_reports):
                problems.append(Problem("info", str(d), None, None,
                                        "这是之前输出的检查报告文件夹，其中的报告文件不作为输入读取"))
            if not found:
                problems.append(Problem("error", str(p), None, None,
                                        "文件夹中没有找到表格文件（.xlsx/.xls/.csv），请检查路径"))
        elif p.exists():
            add(p)
        else:
            problems.append(Problem("error", str(p), None, None, "文件不存在，请检查路径是否正确"))
    return out

