"""Encodings of delimited text (issue 12 point 7): a file of one encoding is decoded whole; a file
joined from a UTF-8 and a GBK export is decoded line by line with a warning naming the lines;
a damaged byte in a UTF-8 line does not turn the line into GBK."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ROSTER_HEADERS, make_id, roster_row, write_xlsx
from xueji_check.load import csv as lcsv
from xueji_check.load import decode_bytes, read_csv_text

AS_OF = "2024-12-31"
AID_HEADERS = ["学籍号", "姓名", "身份证号", "学校名称", "学期", "资助类型", "金额(元)", "申报日期"]
NAMES = ["赵六", "钱七", "孙八", "周九", "吴十一", "欧阳娜娜", "阿卜杜拉·艾则孜", "李小龙", "王芳", "陈静"]
SCHOOLS = ["东方技工学校", "西山高级技工学校", "南湖技师学院", "北城交通技工学校"]


def line(*cells: str) -> str:
    return ",".join(cells) + "\r\n"


def students(n: int) -> list[tuple[str, str, str]]:
    return [(f"E{i:03d}", NAMES[i % len(NAMES)], make_id(birth="20080410", seq=f"{(200 + i) % 1000:03d}"))
            for i in range(n)]


def aid_line(sid: str, name: str, idn: str) -> str:
    return line(sid, name, idn, "东方技工学校", "2024秋", "国家助学金", "1000", "2024-10-15")


def joined_aid_csv(n_utf8: int, n_gbk: int, gbk_first: bool = False) -> tuple[bytes, list]:
    """Header and the first rows in one encoding, the last rows in the other, joined byte for byte."""
    ss = students(n_utf8 + n_gbk)
    first = (line(*AID_HEADERS) + "".join(aid_line(*s) for s in ss[:n_utf8]))
    last = "".join(aid_line(*s) for s in ss[n_utf8:])
    if gbk_first:
        return first.encode("gbk") + last.encode("utf-8"), ss
    return first.encode("utf-8") + last.encode("gbk"), ss


def roster_for(path, ss) -> None:
    write_xlsx(path, [ROSTER_HEADERS, *[roster_row(s, n, i, gender="男" if int(i[16]) % 2 else "女")
                                        for s, n, i in ss]])


# ----------------------------------------------------------------------------- through the CLI
def test_utf8_file_with_gbk_rows_appended_is_read_line_by_line(tmp_path, cli):
    data, ss = joined_aid_csv(2, 2)
    d = tmp_path / "in"
    d.mkdir()
    (d / "资助申报_全校.csv").write_bytes(data)
    roster_for(d / "学籍名册.xlsx", ss)
    r = cli("check", d, "--as-of", AS_OF)
    assert "Traceback" not in r.stderr
    warn = [ln for ln in r.stderr.splitlines() if "混用了两种编码" in ln]
    assert len(warn) == 1 and "资助申报_全校.csv" in warn[0] and "第 4–5 行是 GBK（GB18030）编码" in warn[0], r.stderr
    assert "其余是 UTF-8 编码" in warn[0] and "CSV UTF-8" in warn[0]
    run = r.json["run"]
    aid = [s for i in run["inputs"] for s in i["sheets"] if s["kind"] == "aid"]
    assert aid and aid[0]["rows"] == 4 and aid[0]["checked"], run["inputs"]
    assert "A301" not in run["skipped_rules"]  # the aid rules ran
    assert r.rule("S008").height == 0  # names read right: the same as the roster's
    assert run["files_not_checked"] == 0


def test_gbk_file_with_utf8_rows_appended_is_read_line_by_line(tmp_path, cli):
    data, ss = joined_aid_csv(3, 2, gbk_first=True)
    (tmp_path / "资助.csv").write_bytes(data)
    roster_for(tmp_path / "名册.xlsx", ss)
    r = cli("check", tmp_path / "名册.xlsx", tmp_path / "资助.csv", "--as-of", AS_OF)
    assert "第 5–6 行是 UTF-8 编码，其余是 GBK（GB18030）编码" in r.stderr, r.stderr
    assert r.rule("S008").height == 0
    aid_rows = [s["rows"] for i in r.json["run"]["inputs"] for s in i["sheets"] if s["kind"] == "aid"]
    assert aid_rows == [5], aid_rows  # every line read, the GBK ones and the UTF-8 ones


def test_one_encoding_gives_no_encoding_warning(tmp_path, cli):
    ss = students(3)
    text = line(*AID_HEADERS) + "".join(aid_line(*s) for s in ss)
    for enc in ("utf-8", "utf-8-sig", "gbk", "utf-16"):
        f = tmp_path / enc / "资助.csv"
        f.parent.mkdir()
        f.write_bytes(text.encode(enc))
        roster_for(tmp_path / enc / "名册.xlsx", ss)
        r = cli("check", f.parent, "--as-of", AS_OF, out=tmp_path / f"out-{enc}")
        assert "编码" not in r.stderr and "无法识别的字节" not in r.stderr, (enc, r.stderr)
        assert r.rule("S008").height == 0, enc


# ----------------------------------------------------------------------------- decoding
def test_a_damaged_byte_in_a_utf8_line_keeps_the_line_utf8_and_names_it():
    text = line(*AID_HEADERS) + "".join(aid_line(*s) for s in students(4))
    data = text.encode("utf-8")
    i = data.index("孙八".encode())
    damaged = data[:i] + b"\xff" + data[i + 1:]  # the first byte of 孙
    dec = decode_bytes(damaged)
    assert dec.encoding == "utf-8" and dec.lossy and dec.lossy_lines == [4] and not dec.other_lines
    lines = dec.text.splitlines()
    assert lines[3].startswith("E002,\ufffd") and "八,4" in lines[3] and lines[4:] == text.splitlines()[4:]
    problems: list = []
    read_csv_text(damaged, "坏.csv", "坏", problems)
    (p,) = problems
    assert p.level == "warning" and "第 4 行有无法识别的字节" in p.message and "UTF-8" in p.message


def test_damaged_gbk_lines_are_named():
    text = line(*AID_HEADERS) + "".join(aid_line(*s) for s in students(5))
    data = text.encode("gbk")
    data = data.replace("钱七".encode("gbk"), b"\xff\xff\xff\xff")
    dec = decode_bytes(data)
    assert dec.encoding == "gb18030" and dec.lossy_lines == [3] and dec.lossy_encoding == "GB18030"
    assert dec.text.splitlines()[5] == text.splitlines()[5]


def test_files_of_one_encoding_are_decoded_whole(monkeypatch):
    """The line-by-line path is only for mixed or damaged files."""
    def never(*a, **k):
        raise AssertionError("decoded line by line")

    monkeypatch.setattr(lcsv, "_decode_by_line", never)
    text = line(*AID_HEADERS) + "".join(aid_line(*s) for s in students(2000))
    assert len(text.encode()) > 2 * lcsv.UTF8_SAMPLE
    for enc, name in (("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gb18030", "gb18030")):
        dec = decode_bytes(text.encode(enc))
        assert (dec.text, dec.encoding, dec.lossy) == (text, name, False)


def test_gbk_file_whose_last_lines_are_utf8_is_not_taken_for_gbk():
    """UTF-8 lines whose bytes happen to be valid GB18030 (every Chinese run of even length, no
    0x80 where a lead byte would be) would pass a whole-file GB18030 decode."""
    head = (line(*AID_HEADERS) + "".join(aid_line(*s) for s in students(3))).encode("gbk")
    tail = line("E900", "王芳", make_id(seq="901"), "欧阳娜娜", "2024秋季", "免除学费", "2450", "2024-10-15")
    tail.encode("utf-8").decode("gb18030")  # the trap: this UTF-8 line is valid GB18030
    dec = decode_bytes(head + tail.encode("utf-8"))
    assert dec.text.endswith(tail) and dec.other_lines == [5] and dec.other == "UTF-8"


def test_line_ranges():
    assert lcsv.line_ranges([4, 5]) == "4–5"
    assert lcsv.line_ranges([1, 3, 4, 5, 9]) == "1、3–5、9"
    assert lcsv.line_ranges(list(range(1, 40, 2)), shown=3) == "1、3、5 等 20 行"


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"])
def test_line_numbers_follow_every_kind_of_line_end(ending):
    rows = [",".join(AID_HEADERS), *(",".join([s, n, i]) for s, n, i in students(4))]
    data = (ending.join(rows[:3]) + ending).encode("utf-8") + (ending.join(rows[3:]) + ending).encode("gbk")
    dec = decode_bytes(data)
    assert dec.other_lines == [4, 5] and dec.text == ending.join(rows) + ending


RECORD = st.tuples(st.sampled_from(NAMES), st.sampled_from(SCHOOLS), st.sampled_from(["男", "女", "2024秋", "国家助学金"]))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(RECORD, st.sampled_from(["utf-8", "gb18030"])), min_size=1, max_size=12),
       st.booleans())
def test_any_mix_of_utf8_and_gbk_lines_reads_back_exactly(records, ascii_header):
    """Realistic records, each line in either encoding: the text comes back exactly, and the
    lines named are exactly those of the minority encoding."""
    header = "id,name,school,x\n" if ascii_header else "学籍号,姓名,学校,其他\n"
    lines = [(f"S{i},{n},{s},{x}\n", enc) for i, ((n, s, x), enc) in enumerate(records)]
    data = header.encode("utf-8") + b"".join(t.encode(e) for t, e in lines)
    dec = decode_bytes(data)
    assert dec.text == header + "".join(t for t, _ in lines)
    assert not dec.lossy
    gb = [i + 2 for i, (_, e) in enumerate(lines) if e == "gb18030"]
    u8 = ([] if ascii_header else [1]) + [i + 2 for i, (_, e) in enumerate(lines) if e == "utf-8"]
    if gb and u8:
        assert dec.other_lines == (gb if len(gb) <= len(u8) else u8)
    else:
        assert not dec.other_lines
