"""Bad-input cases of the file layer: what a folder holds (links, FIFOs, notes, lock files), files
too big or not text, mixed encodings, Parquet that is not a flat table (issue 11 points 6, 11,
12; issue 12 points 7, 8)."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

from bad_inputs.make import (
    ROSTER_HEADERS,
    Case,
    all_of,
    case,
    checked,
    csv_bytes,
    good_rows,
    good_xlsx,
    make_id,
    put,
    roster_row,
)


def _not_checked(n: int | None = None, names: tuple[str, ...] = ()) -> callable:
    """findings.json counts the files not checked, and names them."""

    def fn(r, case_dir: Path) -> None:
        run = r.json["run"]
        assert run["files_not_checked"] == len(run["not_checked"]), run["not_checked"]
        if n is not None:
            assert run["files_not_checked"] == n, run["not_checked"]
        listed = " ".join(x["path"] for x in run["not_checked"])
        for name in names:
            assert name in listed, (name, listed)

    return fn


def _never_read(marker: str) -> callable:
    """A file that must not be read: its student ID appears in no output."""

    def fn(r, case_dir: Path) -> None:
        assert marker not in r.stdout + r.stderr
        for f in ("findings.csv", "findings.json"):
            assert marker not in (r.out / f).read_text(encoding="utf-8-sig"), f

    return fn


def _secret_roster(path: Path) -> tuple[Path, str]:
    rows = [ROSTER_HEADERS, roster_row("X777", "", make_id(birth="20070707", seq="777"))]  # S002 if read
    put(path, csv_bytes(rows).encode("utf-8-sig"))
    return path, "X777"


# ----------------------------------------------------------------------------- what a folder holds
@case
def fifo_in_folder(t: Path) -> Case:
    good_xlsx(t / "in" / "名册.xlsx")
    os.mkfifo(t / "in" / "管道.csv")
    return Case([t / "in"], (1,), ["管道.csv", "命名管道"],
                check=all_of(checked(rows=3), _not_checked(1, ("管道.csv",))))


@case
def fifo_given_directly(t: Path) -> Case:
    good = good_xlsx(t / "名册.xlsx")
    t.mkdir(parents=True, exist_ok=True)
    os.mkfifo(t / "资助.xlsx")
    return Case([good, t / "资助.xlsx"], (1,), ["资助.xlsx", "命名管道"], check=_not_checked(1))


@case
def symlink_out_of_folder(t: Path) -> Case:
    good_xlsx(t / "in" / "名册.xlsx")
    secret, idn = _secret_roster(t / "别处" / "另一个名册.csv")
    (t / "in" / "链接.csv").symlink_to(secret)
    (t / "in" / "链接文件夹").symlink_to(secret.parent, target_is_directory=True)
    return Case([t / "in"], (1,), ["链接.csv", "文件夹之外"],
                check=all_of(checked(rows=3), _not_checked(2, ("链接.csv", "链接文件夹")), _never_read(idn)))


@case
def dangling_symlink_in_folder(t: Path) -> Case:
    good_xlsx(t / "in" / "名册.xlsx")
    (t / "in" / "已删除.xlsx").symlink_to(t / "没有这个文件.xlsx")
    return Case([t / "in"], (1,), ["已删除.xlsx", "指向的文件不存在"],
                check=all_of(checked(rows=3), _not_checked(1, ("已删除.xlsx",))))


@case
def notes_pictures_and_lock_files_in_folder(t: Path) -> Case:
    good_xlsx(t / "in" / "名册.xlsx")
    put(t / "in" / "说明.txt", "姓名,身份证号\n请按要求填写\n".encode())
    put(t / "in" / "README.md", b"# notes\n")
    put(t / "in" / "通知.pdf", b"%PDF-1.4\n")
    put(t / "in" / "照片" / "合影.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    put(t / "in" / "~$名册.xlsx", b"\x0bowner" + b"\0" * 150)
    put(t / "in" / ".~lock.名册.xlsx#", b"owner,host;\n")

    def one_line(r, case_dir: Path) -> None:
        lines = [ln for ln in r.stderr.splitlines() if "不是表格文件" in ln]
        assert len(lines) == 1, r.stderr  # once, grouped
        for name in ("说明.txt", "README.md", "通知.pdf", "合影.png"):
            assert name in lines[0], lines[0]
        assert "2 个临时锁定文件或隐藏文件" in lines[0], lines[0]

    return Case([t / "in"], (0,), ["不是表格文件"],
                check=all_of(checked(rows=3, sheet_count=1), _not_checked(0), one_line))


@case
def unrecognised_spreadsheet_beside_good_roster(t: Path) -> Case:
    good_xlsx(t / "in" / "名册.xlsx")
    put(t / "in" / "通讯录.csv", csv_bytes([["部门", "电话"], ["教务处", "内线 8001"]]).encode())
    return Case([t / "in"], (1,), ["通讯录.csv", "无法识别文件类型"],
                check=all_of(checked(rows=3), _not_checked(1, ("通讯录.csv",))))


# ----------------------------------------------------------------------------- size and content
def _sparse(path: Path, head: bytes, size: int) -> Path:
    put(path, head)
    os.truncate(path, size)  # a hole: no disk space taken
    return path


@case
def sparse_nul_csv(t: Path) -> Case:
    p = _sparse(t / "全是零.csv", b"", 6 * 1024**3)
    return Case([p], (2,), ["全是零.csv", "二进制"])


def too_big_for_memory() -> int:
    """A size whose read certainly does not fit in the memory available now."""
    from xueji_check.load.files import TEXT_READ_FACTOR, available_memory

    avail = available_memory() or 64 * 1024**3
    return 2 * avail // TEXT_READ_FACTOR + 1024**3


@case
def csv_too_big_for_memory_beside_good_roster(t: Path) -> Case:
    good_xlsx(t / "in" / "名册.xlsx")
    # more than the 64 KB head of text, then the hole: refused for its size, not as binary
    head = csv_bytes([ROSTER_HEADERS, *good_rows(2) * 400]).encode("utf-8")
    assert len(head) > 65536
    _sparse(t / "in" / "超大名册.csv", head, too_big_for_memory())
    return Case([t / "in"], (1,), ["超大名册.csv", "内存", "拆分"],
                check=all_of(checked(rows=3), _not_checked(1, ("超大名册.csv",))))


@case
def pdf_renamed_csv(t: Path) -> Case:
    return Case([put(t / "名册.csv", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")], (2,),
                ["名册.csv", "PDF", "另存为"])


@case
def csv_utf8_then_gbk_lines(t: Path) -> Case:
    rows = [ROSTER_HEADERS, *good_rows(4)]
    head = csv_bytes(rows[:3]).encode("utf-8")
    tail = csv_bytes(rows[3:]).encode("gbk")

    def names_read(r, case_dir: Path) -> None:
        assert "第 4–5 行是 GBK" in r.stderr, r.stderr
        assert r.findings.filter(pl.col("rule_id") == "S002").height == 0

    return Case([put(t / "拼接名册.csv", head + tail)], (0,), ["拼接名册.csv", "混用了两种编码"],
                check=all_of(checked(rows=4), names_read))


# ----------------------------------------------------------------------------- Parquet
def _parquet(path: Path, df: pl.DataFrame) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    df.write_parquet(path)
    return path


def _roster_frame(n: int = 3) -> pl.DataFrame:
    return pl.DataFrame([r for r in good_rows(n)], schema=ROSTER_HEADERS, orient="row")


@case
def parquet_zero_bytes(t: Path) -> Case:
    return Case([put(t / "名册.parquet", b"")], (2,), ["名册.parquet", "0 字节", "重新导出"])


@case
def parquet_that_is_not_parquet(t: Path) -> Case:
    return Case([put(t / "名册.parquet", b"\x89PNG\r\n\x1a\n" + b"\x01" * 200)], (2,),
                ["名册.parquet", "不是 Parquet 格式", "图片"])


@case
def parquet_that_is_csv_text(t: Path) -> Case:
    data = csv_bytes([ROSTER_HEADERS, *good_rows(2)]).encode("utf-8")
    return Case([put(t / "名册.parquet", data)], (2,), ["名册.parquet", "文本文件", ".csv"])


@case
def parquet_truncated(t: Path) -> Case:
    src = _parquet(t / "src" / "x.parquet", _roster_frame()).read_bytes()
    return Case([put(t / "截断.parquet", src[: len(src) // 2])], (2,), ["截断.parquet", "不完整"])


@case
def parquet_nested_columns(t: Path) -> Case:
    df = _roster_frame().with_columns(成绩=pl.Series([[90, 80], [70], []]),
                                      家庭=pl.Series([{"人数": 3}, {"人数": 4}, {"人数": 5}]))
    p = _parquet(t / "嵌套.parquet", df)
    return Case([p], (0,), ["嵌套.parquet", "成绩", "家庭", "未读取"], check=checked(rows=3))


@case
def parquet_only_nested_columns(t: Path) -> Case:
    p = _parquet(t / "全嵌套.parquet", pl.DataFrame({"学生": [{"姓名": "甲", "学籍号": "1"}]}))
    return Case([p], (2,), ["全嵌套.parquet", "嵌套"])
