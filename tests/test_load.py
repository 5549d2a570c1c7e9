"""Loader paths: xlsx with title rows, xls, GB18030/BOM CSV, multi-sheet, decorated header aliases,
kind recognition, unknown kinds, row numbers as Excel shows them."""

from __future__ import annotations

import pytest
import xlwt
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROSTER_HEADERS, make_id, roster_row, write_csv, write_xlsx

AID_HEADERS = ["学籍号", "姓名", "身份证号", "学校名称", "学期", "资助类型", "金额"]


def test_xlsx_title_rows_totals_and_blank_rows_keep_excel_row_numbers(tmp_path, cli):
    rows = [["填报单位：东方技工学校"], ROSTER_HEADERS, roster_row("1", "甲", make_id(seq="101")), [],
            roster_row("2", "", make_id(seq="103")), ["合计", "2人"]]
    f = write_xlsx(tmp_path / "in" / "名册.xlsx", rows, title="东方技工学校2024年秋季学期学生名册")
    r = cli("check", f, "--as-of", "2025-01-01")
    s002 = r.rule("S002")
    assert s002["row"].to_list() == ["6"]  # title(1) + unit(2) + header(3) + row(4) + blank(5) + row(6)
    sheet = r.json["run"]["inputs"][0]["sheets"][0]
    assert sheet["kind"] == "roster" and sheet["header_row"] == 3 and sheet["rows"] == 2


def test_decorated_headers_map_through_aliases(tmp_path, cli):
    headers = ["*学籍号", " 学生姓名 ", "公民身份\n号码", "性别", "技工院校名称", "学制（年）", "*学习方式",
               "入学时间", "在校状态"]
    f = write_xlsx(tmp_path / "名册.xlsx", [headers, roster_row("1", "甲", make_id()[:17] + "0", mode="半日制")])
    r = cli("check", f, "--as-of", "2025-01-01")
    assert r.rule("S007")["column"].to_list() == ["*学习方式"]
    assert set(r.findings["rule_id"]) >= {"S003", "S007"}
    assert "S001" not in set(r.findings["rule_id"])


def test_gb18030_csv_and_bom_csv_read_the_same(tmp_path, cli):
    rows = [ROSTER_HEADERS, roster_row("1", "张晓燕", make_id(seq="102"), gender="女", mode="函授")]
    for enc in ("gb18030", "utf-8-sig", "utf-8"):
        f = write_csv(tmp_path / enc / "名册.csv", rows, encoding=enc)
        r = cli("check", f, "--as-of", "2025-01-01", out=tmp_path / f"out-{enc}")
        # 函授 is a synonym of 非全日制: no S007; the Chinese name survives decoding
        assert r.findings.height == 0, r.findings
        assert r.json["run"]["inputs"][0]["sheets"][0]["rows"] == 1


def test_gbk_csv_values_are_decoded(tmp_path, cli):
    rows = [ROSTER_HEADERS, roster_row("1", "欧阳", make_id(seq="101"), mode="半日制")]
    f = write_csv(tmp_path / "名册.csv", rows, encoding="gbk")
    r = cli("check", f, "--as-of", "2025-01-01")
    assert r.rule("S007")["name"].to_list() == ["欧阳"]


def test_xls_biff8(tmp_path, cli):
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("名册")
    for r_i, row in enumerate([ROSTER_HEADERS, roster_row("1", "", make_id())]):
        for c_i, v in enumerate(row):
            ws.write(r_i, c_i, v)
    f = tmp_path / "名册.xls"
    wb.save(str(f))
    r = cli("check", f, "--as-of", "2025-01-01")
    assert r.rule("S002")["row"].to_list() == ["2"]


def test_multi_sheet_workbook_each_sheet_its_kind(tmp_path, cli):
    idn = make_id()
    f = write_xlsx(tmp_path / "合并导出.xlsx", [ROSTER_HEADERS, roster_row("1", "甲", idn)], sheet="名册",
                   extra_sheets={"资助": [AID_HEADERS, ["1", "乙", idn, "东方技工学校", "2024秋", "国家助学金", "1000"]],
                                 "空表": []})
    r = cli("check", f, "--as-of", "2025-01-01")
    kinds = {s["sheet"]: s["kind"] for s in r.json["run"]["inputs"][0]["sheets"]}
    assert kinds == {"名册": "roster", "资助": "aid"}
    assert r.rule("S008")["sheet"].to_list() == ["资助"]  # 乙 vs 甲 for the same ID


def test_unknown_kind_is_reported_with_headers_and_nearest_missing(tmp_path, cli):
    f = write_xlsx(tmp_path / "杂表.xlsx", [["姓名", "身份证号", "备注"], ["甲", make_id(), "x"]])
    r = cli("check", f, "--as-of", "2025-01-01")
    assert r.code == 2
    assert "无法识别文件类型" in r.stderr and "杂表.xlsx" in r.stderr and "缺少列" in r.stderr


def test_explicit_kind_with_missing_required_column_is_s001_and_exit_2(tmp_path, cli):
    f = write_xlsx(tmp_path / "名册.xlsx", [["学籍号", "姓名", "身份证号", "学校名称"], ["1", "甲", make_id(), "东方"]])
    r = cli("check", "--roster", f, "--as-of", "2025-01-01")
    assert r.code == 2
    s001 = r.rule("S001")
    assert s001.height == 1 and "学制" in s001["message"][0] and "学籍状态" in s001["message"][0]


def test_other_files_still_checked_when_one_is_unreadable(tmp_path, cli):
    good = write_xlsx(tmp_path / "in" / "名册.xlsx", [ROSTER_HEADERS, roster_row("1", "", make_id())])
    (tmp_path / "in" / "坏文件.xlsx").write_bytes(b"this is not a spreadsheet")
    r = cli("check", good.parent, "--as-of", "2025-01-01")
    assert r.code == 1  # the roster was checked; the bad file is reported, not fatal
    assert "坏文件.xlsx" in r.stderr
    assert r.rule("S002").height == 1


def test_missing_path_exits_2_with_one_line_reason(tmp_path, cli):
    r = cli("check", tmp_path / "不存在.xlsx", "--as-of", "2025-01-01")
    assert r.code == 2
    assert "文件不存在" in r.stderr and "Traceback" not in r.stderr + r.stdout


def test_extra_columns_are_kept_in_the_table(tmp_path):
    from xueji_check.load import InputFile, load_file

    f = write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS + ["备注"], roster_row("1", "甲", make_id()) + ["留级生"]])
    inp = InputFile(f, str(f), None)
    load_file(inp, [])
    t = inp.tables[0]
    assert t.headers[-1] == "备注" and t.raw[f"c{len(ROSTER_HEADERS)}"].to_list() == ["留级生"]


def test_csv_with_a_wider_line_far_below_the_head_keeps_its_cells(tmp_path, cli):
    """The width is taken from the head; a wider record further down is not cut."""
    rows = [ROSTER_HEADERS] + [roster_row(str(i), f"学生{i}", make_id(seq=f"{i % 900 + 100:03d}"[:3]))
                               for i in range(1, 700)]
    rows.append(roster_row("999", "", make_id(seq="999")) + ["备注一", "备注二"])
    f = write_csv(tmp_path / "名册.csv", rows)
    from xueji_check.load import InputFile, load_file

    inp = InputFile(f, str(f), None)
    load_file(inp, [])
    t = inp.tables[0]
    last = t.raw.tail(1).row(0)
    assert "备注二" in last and t.raw.height == 700


# ---------------------------------------------------------------- CSV decoding and cleaning
def _reference_csv(data: bytes):
    """What the CSV reader must give: decode, drop BOMs and control characters, every line
    break as \\n, then parse (the straightforward passes over the whole text)."""
    from xueji_check import load

    text, enc, _ = load.decode_text(data)
    clean = load._clean_text(text)
    first = "\n".join(clean.split("\n", 20)[:20])
    sep = max([",", "\t", ";", "|"], key=lambda c: first.count(c))
    sep = sep if first.count(sep) else ","
    width = load._csv_width("\n".join(clean.split("\n", 500)[:500]), sep)
    df = load._read_csv_bytes(clean.encode("utf-8"), sep, width + load.CSV_SPARE_COLUMNS, "f.csv", [])
    if df.width and df[:, -1].null_count() < df.height:
        df = load._read_csv_bytes(clean.encode("utf-8"), sep, load._csv_width(clean, sep), "f.csv", [])
    else:
        used = [c for c in df.columns[width:] if df[c].null_count() < df.height]
        df = df.select(df.columns[: max((int(c[1:]) for c in used), default=width - 1) + 1])
    return df.rows(), enc


def _fast_csv(data: bytes):
    from xueji_check.load import read_csv_text

    sheet = read_csv_text(data, "f.csv", "f", [])
    return sheet.frame.rows(), sheet.encoding


CELLS = ["学生", "a", "", " ", "合计", '"x,\r\ny"', '"x\ny"', '"q"', '"a""b"', "\ufeffz", "k\x02", '"a\x03"',
         "张\r三", "\x7f", "１２"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(CELLS), min_size=1, max_size=5), min_size=1, max_size=12),
       st.lists(st.sampled_from(["\r\n", "\n", "\r"]), min_size=1, max_size=3),
       st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]))
def test_csv_cleaning_in_few_passes_reads_like_cleaning_everything(rows, ends, enc):
    """Line breaks are rewritten only when a bare \\r or a \\r inside quotes needs it, control
    characters and BOMs only when there are any: the result is the same as doing it all."""
    text = "".join(",".join(r) + ends[i % len(ends)] for i, r in enumerate(rows))
    if not text.replace("\ufeff", "").strip(" \r\n\x02\x03\x7f,"):
        return
    data = text.encode(enc)
    assert _fast_csv(data) == _reference_csv(data)


def test_crlf_file_with_a_quoted_line_break_keeps_the_cell_as_lf(tmp_path):
    from xueji_check.load import read_csv_text

    data = ('学籍号,姓名,"学校\r\n名称"\r\n1,张三,"东方\r\n分校"\r\n2,\x01李四,西校\r\n').encode("gb18030")
    sheet = read_csv_text(data, "f.csv", "f", [])
    assert sheet.encoding == "gb18030"
    assert sheet.frame.rows() == [("学籍号", "姓名", "学校\n名称"), ("1", "张三", "东方\n分校"), ("2", "李四", "西校")]


def test_crlf_file_without_breaks_in_cells_is_parsed_as_is():
    from xueji_check import load

    raw = '学籍号,"姓名\n(中文)"\r\n1,张三\r\n'.encode()
    assert load._clean_utf8(raw, False, True) is raw  # no rewrite: Polars reads \r\n itself
    assert load.read_csv_text(raw, "f.csv", "f", []).frame.rows() == [("学籍号", "姓名\n(中文)"), ("1", "张三")]


def test_decoding_looks_at_the_head_only_to_skip_a_utf8_attempt():
    from xueji_check.load import UTF8_SAMPLE, decode_text

    gb = ("学生," * 20000).encode("gb18030")
    assert decode_text(gb) == (gb.decode("gb18030"), "gb18030", False)
    # a UTF-8 character cut by the 64 KB sample is not a reason to give up UTF-8
    u = ("中" * (UTF8_SAMPLE // 3 + 5)).encode()
    assert len(u) > UTF8_SAMPLE and UTF8_SAMPLE % 3
    assert decode_text(u) == (u.decode(), "utf-8", False)
    # a bad byte far below the head: still the lossy comparison, as before
    text, enc, lossy = decode_text(u + b"\xff" + "尾".encode())
    assert (enc, lossy) == ("utf-8", True) and text.endswith("\ufffd尾")


def test_control_bytes_are_whole_characters_in_utf8():
    """Deleting the control bytes from UTF-8 deletes exactly the control characters."""
    from xueji_check import load

    text = "".join(chr(c) for c in range(0x2000)) + "中文\U0001f600"
    assert text.encode().translate(None, load._CONTROL_BYTES).decode() == load._CONTROL.sub("", text)


# ---------------------------------------------------------------- rows dropped after the header
def test_blank_and_total_rows_are_dropped_exactly():
    import polars as pl

    from xueji_check.load import _drop_blank_and_total_rows

    df = pl.DataFrame({
        "_row": list(range(1, 9)),
        "c0": ["1", None, " ", "合 计", "2", "\u3000", "x", None],
        "c1": ["a", None, None, "10", "  小计：", "", "y", "总计"],
        "c2": ["b", None, "\t", None, "3", None, "共计划", None],
    }, schema={"_row": pl.Int64, "c0": pl.String, "c1": pl.String, "c2": pl.String})
    out = _drop_blank_and_total_rows(df, ["c0", "c1", "c2"])
    assert out["_row"].to_list() == [1, 7]
    # 共计 (and 累计, 汇总) is a total label too, in a row that names no student
    df2 = df.with_columns(pl.when(pl.col("_row") == 7).then(pl.lit("共计")).otherwise(pl.col("c2")).alias("c2"))
    assert _drop_blank_and_total_rows(df2, ["c0", "c1", "c2"])["_row"].to_list() == [1]


# ---------------------------------------------------------------- workbooks
def test_sheet_scan_finds_the_same_marks_whatever_the_chunks():
    from xueji_check.load import _Scanner

    xml = (b'<dimension ref="B1:D9"/><sheetData>' + b"<c r=\"B1\" t=\"inlineStr\"><is><t>x</t></is></c>" * 150
           + b'<c r="C2" t="e"><f>1/0</f><v>#DIV/0!</v></c>' + b"y" * 5000
           + b'<c r="D3" s="1" t="e"><v>#N/A</v></c></sheetData>'
           + b'<mergeCells count="2"><mergeCell ref="B1:C1"/><mergeCell ref="B4:B6"/></mergeCells>')

    def scan(size: int):
        s = _Scanner()
        for i in range(0, len(xml), size):
            s(xml[i:i + size])
        r = s.close()
        return r.merges, r.errors, r.first_col

    whole = scan(len(xml))
    assert whole == ([(0, 1, 0, 2), (3, 1, 5, 1)], [("C2", "#DIV/0!"), ("D3", "#N/A")], 1)
    for size in (3, 7, 100, 4095, 4096, 4097, 6000, 9000):
        assert scan(size) == whole, size


def test_workbook_is_hashed_and_read_through_the_open_file(tmp_path):
    import hashlib

    from xueji_check.load import InputFile, load_file

    f = write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS, roster_row("1", "甲", make_id())])
    inp = InputFile(f, str(f), None)
    load_file(inp, [])
    assert inp.ok and inp.tables[0].raw.height == 1
    assert inp.sha256 == hashlib.sha256(f.read_bytes()).hexdigest() and inp.size == f.stat().st_size


def test_a_pipe_named_like_a_workbook_is_refused_without_being_opened_for_a_writer(tmp_path):
    """A FIFO is refused from its type (issue 11 point 6): reading it would wait for a writer."""
    import os

    from xueji_check.load import InputFile, load_file

    fifo = tmp_path / "名册.xlsx"
    os.mkfifo(fifo)
    inp = InputFile(fifo, str(fifo), None)
    problems: list = []
    load_file(inp, problems)  # no writer: this would block if the FIFO were read
    assert not inp.ok and "命名管道" in problems[0].message


def test_freed_reader_memory_is_handed_back_after_a_big_workbook_only(tmp_path, monkeypatch):
    from xueji_check import load
    from xueji_check.load import xlsx

    calls: list[int] = []
    monkeypatch.setattr(xlsx, "release_free_memory", lambda: calls.append(1))
    f = write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS, roster_row("1", "甲", make_id())])
    inp = load.InputFile(f, str(f), None)
    load.load_file(inp, [])
    assert inp.ok and calls == []  # small: not worth a walk over the heap
    monkeypatch.setattr(xlsx, "TRIM_AFTER_BYTES", 1)
    inp = load.InputFile(f, str(f), None)
    load.load_file(inp, [])
    assert inp.ok and calls == [1]


def test_release_free_memory_on_glibc():
    import platform

    from xueji_check.memory import release_free_memory

    if not (platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"):
        pytest.skip("malloc_trim is a glibc function")
    assert release_free_memory() is True


def test_csv_bytes_handed_over_are_released():
    from xueji_check.load import read_csv_text

    box = ["学籍号,姓名\r\n1,张三\r\n".encode("gb18030")]
    sheet = read_csv_text(box, "f.csv", "f", [])
    assert box == [] and sheet.frame.rows() == [("学籍号", "姓名"), ("1", "张三")]


def test_two_columns_for_one_field_first_wins_unless_it_is_a_weak_header():
    """学号 (a school's own number) and 状态 give way to a later 学籍号/学籍状态; otherwise the first
    column wins: a guardian's 姓名/身份证号 right of the student's 学生姓名/证件号码 (a two-row
    header whose merged cells repeat) is not read as the student's."""
    from xueji_check.load.kinds import _map_row
    from xueji_check.spec import all_kinds

    spec = all_kinds()["roster"]
    m, dups = _map_row(["序号", "学号", "学籍号", "学生姓名", "证件号码", "状态", "学籍状态", "姓名", "身份证号"], spec)
    assert (m["student_id"], m["name"], m["id_number"], m["status"]) == ("c2", "c3", "c4", "c6"), m
    assert sorted(dups) == ["姓名", "学号", "状态", "身份证号"]
