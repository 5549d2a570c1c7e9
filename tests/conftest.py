"""Shared test helpers: build real spreadsheets in tmp_path and run the real CLI."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

from xueji_check.cli import app
from xueji_check.normalize import check_digit_py

ROSTER_HEADERS = ["学籍号", "姓名", "身份证号", "性别", "学校名称", "学制", "学习形式", "入学日期", "学籍状态"]


def make_id(birth: str = "20080101", region: str = "410105", seq: str = "123") -> str:
    """A valid 18-digit ID number (GB 11643 check digit). `seq` odd last digit = 男."""
    body = f"{region}{birth}{seq}"
    return body + check_digit_py(body)


def write_xlsx(path: Path, rows: list[list], *, title: str | None = None, sheet: str = "Sheet1",
               extra_sheets: dict[str, list[list]] | None = None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    if title:
        ws.append([title])
    for r in rows:
        ws.append(r)
    for name, rs in (extra_sheets or {}).items():
        w2 = wb.create_sheet(name)
        for r in rs:
            w2.append(r)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_csv(path: Path, rows: list[list], encoding: str = "utf-8-sig", delimiter: str = ",") -> Path:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def roster_row(sid: str, name: str, idn: str, *, gender: str = "男", school: str = "东方技工学校",
               years: str = "3", mode: str = "全日制", enroll: str = "2024-09-01", status: str = "在校") -> list:
    return [sid, name, idn, gender, school, years, mode, enroll, status]


class Result:
    def __init__(self, code: int, stdout: str, stderr: str, out: Path | None) -> None:
        self.code, self.stdout, self.stderr, self.out = code, stdout, stderr, out

    @property
    def findings(self) -> pl.DataFrame:
        return pl.read_csv(self.out / "findings.csv", infer_schema=False)

    @property
    def json(self) -> dict:
        return json.loads((self.out / "findings.json").read_text(encoding="utf-8"))

    def rule(self, rule_id: str) -> pl.DataFrame:
        return self.findings.filter(pl.col("rule_id") == rule_id)


@pytest.fixture
def cli(tmp_path: Path):
    """Run the real CLI in-process: cli("check", path, "--as-of", "2025-01-01")."""

    def run(*args: str | Path, out: Path | None = None) -> Result:
        argv = [str(a) for a in args]
        if argv and argv[0] in ("check", "validate") and "--out" not in argv:
            out = out or tmp_path / "out"
            argv += ["--out", str(out)]
        res = CliRunner().invoke(app, argv, catch_exceptions=False)
        return Result(res.exit_code, res.stdout, res.stderr, out)

    return run


@pytest.fixture
def today() -> dt.date:
    return dt.date.today()
