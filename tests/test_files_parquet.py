"""Parquet inputs (issue 11 point 12): a flat file is read; 0 bytes, something else named .parquet,
a cut file and nested columns get a clear Chinese message, never a request to report a bug."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from conftest import ROSTER_HEADERS, make_id, roster_row
from xueji_check.load import InputFile, load_file

AS_OF = "2025-01-01"


def frame(n: int = 3) -> pl.DataFrame:
    rows = [roster_row(f"S{i}", f"学生{i}", make_id(seq=f"{100 + i:03d}"), gender="男" if i % 2 else "女")
            for i in range(1, n + 1)]
    return pl.DataFrame(rows, schema=ROSTER_HEADERS, orient="row")


def load(p: Path) -> tuple[InputFile, list]:
    inp = InputFile(p, str(p), None)
    problems: list = []
    load_file(inp, problems)
    return inp, problems


def no_bug_report(problems) -> None:
    for p in problems:
        assert "意外错误" not in p.message and "反馈" not in p.message and "Error" not in p.message, p.message


def test_flat_parquet_is_read_with_typed_columns_as_text(tmp_path, cli):
    df = frame().with_columns(pl.col("学制").cast(pl.Int64), pl.col("入学日期").str.to_date())
    p = tmp_path / "名册.parquet"
    df.write_parquet(p)
    inp, problems = load(p)
    assert inp.ok and not problems
    t = inp.tables[0]
    assert t.raw.height == 3 and t.headers[:2] == ["学籍号", "姓名"]
    assert t.raw["c7"].to_list() == ["2024-09-01"] * 3 and t.raw["c5"].to_list() == ["3"] * 3
    import hashlib

    assert inp.sha256 == hashlib.sha256(p.read_bytes()).hexdigest() and inp.size == p.stat().st_size
    r = cli("check", p, "--as-of", AS_OF)
    assert r.code == 0, r.stderr


@pytest.mark.parametrize(("data", "words"), [
    (b"", ["0 字节", "重新导出"]),
    (b"\x89PNG\r\n\x1a\n" + b"\x01" * 100, ["不是 Parquet 格式", "图片"]),
    (b"%PDF-1.4\n" + b"\x01" * 100, ["不是 Parquet 格式", "PDF"]),
    ("学籍号,姓名\n1,张三\n".encode(), ["文本文件", ".csv"]),
    ("学籍号,姓名\n1,张三\n".encode("gbk"), ["文本文件", ".csv"]),
    (b"PAR1", ["不完整"]),
    (b"PAR1" + b"\x00" * 100, ["不完整"]),
    (b"PAR1" + b"\x00" * 100 + b"PAR1", ["已损坏", "重新导出"]),
])
def test_bad_parquet_gets_a_clear_message(tmp_path, data, words):
    p = tmp_path / "名册.parquet"
    p.write_bytes(data)
    inp, problems = load(p)
    assert not inp.ok and problems
    no_bug_report(problems)
    for w in words:
        assert w in problems[0].message, problems[0].message


def test_cut_parquet(tmp_path):
    src = tmp_path / "src.parquet"
    frame(50).write_parquet(src)
    data = src.read_bytes()
    for cut in (len(data) // 2, len(data) - 1, 12):
        p = tmp_path / f"cut{cut}.parquet"
        p.write_bytes(data[:cut])
        inp, problems = load(p)
        assert not inp.ok and "不完整" in problems[0].message
        no_bug_report(problems)


def test_corrupt_footer_is_reported_as_damaged(tmp_path):
    src = tmp_path / "src.parquet"
    frame(50).write_parquet(src)
    data = bytearray(src.read_bytes())
    footer_len = int.from_bytes(data[-8:-4], "little")
    start = len(data) - 8 - footer_len
    for i in range(start, start + min(40, footer_len)):
        data[i] ^= 0xFF
    p = tmp_path / "坏.parquet"
    p.write_bytes(bytes(data))
    inp, problems = load(p)
    assert not inp.ok and "已损坏" in problems[0].message
    no_bug_report(problems)


def test_nested_columns_are_left_out_with_a_warning_and_the_rest_is_checked(tmp_path, cli):
    df = frame().with_columns(成绩=pl.Series([[90, 80], [70], []]),
                              家庭=pl.Series([{"人数": 3}, {"人数": 4}, {"人数": 5}]),
                              照片=pl.Series([b"\xff\xd8\xff", b"\x00", b"\x89"]),
                              备注=pl.Series([b"ok", b"fine", None]))
    p = tmp_path / "名册.parquet"
    df.write_parquet(p)
    inp, problems = load(p)
    assert inp.ok and inp.tables[0].raw.height == 3
    (w,) = problems
    assert w.level == "warning" and "「成绩」「家庭」「照片」" in w.message and "未读取" in w.message
    assert "备注" in inp.tables[0].headers  # binary that is text is kept
    r = cli("check", p, "--as-of", AS_OF)
    assert r.code == 0 and "成绩" in r.stderr


def test_only_nested_columns_is_an_error(tmp_path):
    p = tmp_path / "嵌套.parquet"
    pl.DataFrame({"学生": [{"姓名": "甲", "学籍号": "1"}], "成绩": [[1, 2]]}).write_parquet(p)
    inp, problems = load(p)
    assert not inp.ok and "嵌套" in problems[0].message and "「学生」" in problems[0].message
    no_bug_report(problems)


def test_parquet_too_big_for_memory_is_refused_from_its_metadata(tmp_path, monkeypatch):
    """The file is small (repeated values compress well); its cells are what count."""
    from xueji_check.load import files as lfiles

    p = tmp_path / "名册.parquet"
    pl.concat([frame(1)] * 200_000).write_parquet(p)
    assert p.stat().st_size < 1024**2
    monkeypatch.setattr(lfiles, "available_memory", lambda: 64 * 1024**2)
    inp, problems = load(p)
    assert not inp.ok and "拆分" in problems[0].message
    monkeypatch.setattr(lfiles, "available_memory", lambda: 8 * 1024**3)
    inp, problems = load(p)
    assert inp.ok and inp.tables[0].raw.height == 200_000


def test_workbook_named_parquet_is_read_as_a_workbook(tmp_path):
    from conftest import write_xlsx

    src = write_xlsx(tmp_path / "src.xlsx", [ROSTER_HEADERS, roster_row("S1", "甲", make_id())])
    p = tmp_path / "名册.parquet"
    p.write_bytes(src.read_bytes())
    inp, problems = load(p)
    assert inp.ok and "内容却是 Excel 工作簿" in problems[0].message
