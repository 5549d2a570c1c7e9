"""Generate the corpus of bad inputs into a folder (no committed binaries).

Each case is a function `(tmp: Path) -> Case`: it writes its files under `tmp` and says how the
real CLI must react. `python tests/bad_inputs/make.py DIR` writes every case to DIR by hand.
The 1,048,576-row sheet belongs to benchmarks/, not here.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import xlsxwriter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from conftest import ROSTER_HEADERS, make_id, roster_row  # noqa: E402

AS_OF = "2025-01-01"


@dataclass
class Case:
    args: list[str | Path]  # CLI arguments after `check`
    codes: tuple[int, ...]  # allowed exit statuses
    stderr: list[str] = field(default_factory=list)  # substrings expected in stderr
    # extra assertion on the Result (conftest.Result); may be None
    check: Callable | None = None
    out: Path | None = None  # output folder, when the case is about it


CASES: dict[str, Callable[[Path], Case]] = {}


def case(fn: Callable[[Path], Case]) -> Callable[[Path], Case]:
    CASES[fn.__name__] = fn
    return fn


# ----------------------------------------------------------------------------- helpers
def good_rows(n: int = 3) -> list[list]:
    return [roster_row(f"S{i:03d}", f"学生{i}", make_id(seq=f"{100 + i:03d}"),
                       gender="男" if (100 + i) % 2 else "女") for i in range(1, n + 1)]


def xlsx(path: Path, rows: list[list], title: str | None = "东方技工学校学生名册", **kw) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = kw.get("sheet", "学籍名册")
    if title:
        ws.append([title])
    for r in rows:
        ws.append(r)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def good_xlsx(path: Path, n: int = 3) -> Path:
    return xlsx(path, [ROSTER_HEADERS, *good_rows(n)])


def csv_bytes(rows: list[list], delimiter: str = ",", terminator: str = "\r\n") -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator=terminator).writerows(rows)
    return buf.getvalue()


def put(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def raw_zip(path: Path, members: list[tuple[str, bytes, int, int, int]]) -> Path:
    """Write a zip by hand: (name, deflated bytes, crc, declared size, method)."""
    out = io.BytesIO()
    central = []
    for name, data, crc, usize, method in members:
        off = out.tell()
        nb = name.encode()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc, len(data), usize,
                              len(nb), 0) + nb + data)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0x21, crc,
                                   len(data), usize, len(nb), 0, 0, 0, 0, 0, off) + nb)
    cd_off = out.tell()
    cd = b"".join(central)
    out.write(cd + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(cd), cd_off, 0))
    return put(path, out.getvalue())


def deflate(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def bomb_xlsx(path: Path, inflated_mb: int, lie: bool) -> Path:
    """A valid-looking xlsx whose sheet XML inflates to `inflated_mb` MB of blanks. Built from
    one repeated full-flush deflate block, so it takes little time or memory to make."""
    base = io.BytesIO()
    wb = openpyxl.Workbook()
    wb.active.append(["姓名"])
    wb.save(base)
    members = []
    with zipfile.ZipFile(base) as zf:
        for info in zf.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                continue
            data = zf.read(info.filename)
            members.append((info.filename, deflate(data), zlib.crc32(data), len(data), 8))
    head = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.'
            b'openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
    tail = b"</sheetData></worksheet>"
    chunk = b" " * (1 << 20)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    body = first + block * inflated_mb + c.compress(tail) + c.flush()
    crc = zlib.crc32(head)
    for _ in range(inflated_mb):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    size = len(head) + len(tail) + inflated_mb * len(chunk)
    members.append(("xl/worksheets/sheet1.xml", body, crc if not lie else 0, 1000 if lie else size, 8))
    return raw_zip(path, members)


def cfb(streams: dict[str, bytes]) -> bytes:
    """A minimal compound file (OLE2, the container of encrypted xlsx) with the given streams,
    each padded to 4096 bytes so no mini stream is needed."""
    sec = 512
    datas = []
    for name, d in streams.items():
        d = d + b"\0" * max(0, 4096 - len(d))
        d = d + b"\0" * (-len(d) % sec)
        datas.append((name, d, (len(d) + sec - 1) // sec))
    n_data = sum(n for _, _, n in datas)
    dir_sectors = (1 + len(datas) + 3) // 4
    fat_sector = 0
    dir_start = 1
    first = dir_start + dir_sectors
    fat = [0xFFFFFFFD]  # the FAT sector itself
    fat += [dir_start + i + 1 for i in range(dir_sectors - 1)] + [0xFFFFFFFE]
    starts = []
    s = first
    for _, _, n in datas:
        starts.append(s)
        fat += [s + i + 1 for i in range(n - 1)] + [0xFFFFFFFE]
        s += n
    assert len(fat) <= 128
    fat += [0xFFFFFFFF] * (128 - len(fat))
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIII", header, 40, 0, 1, dir_start, 0, 4096, 0xFFFFFFFE, 0, 0xFFFFFFFE)
    struct.pack_into("<I", header, 68, 0)
    struct.pack_into("<I", header, 72, 0)
    struct.pack_into("<I", header, 76, fat_sector)
    for i in range(1, 109):
        struct.pack_into("<I", header, 76 + 4 * i, 0xFFFFFFFF)

    def entry(name: str, typ: int, start: int, size: int, child: int = 0xFFFFFFFF,
              right: int = 0xFFFFFFFF) -> bytes:
        nb = name.encode("utf-16-le") + b"\0\0"
        e = bytearray(128)
        e[0:len(nb)] = nb
        struct.pack_into("<HBB", e, 64, len(nb), typ, 1)
        struct.pack_into("<III", e, 68, 0xFFFFFFFF, right, child)
        struct.pack_into("<II", e, 116, start, size)
        return bytes(e)

    entries = [entry("Root Entry", 5, 0xFFFFFFFE, 0, child=1)]
    for i, ((name, d, _), st) in enumerate(zip(datas, starts, strict=True)):
        right = i + 2 if i + 1 < len(datas) else 0xFFFFFFFF
        entries.append(entry(name, 2, st, len(d), right=right))
    dirs = b"".join(entries)
    dirs += b"\0" * (dir_sectors * sec - len(dirs))
    body = b"".join(d for _, d, _ in datas)
    assert len(body) == n_data * sec
    return bytes(header) + struct.pack("<128I", *fat) + dirs + body


def msgs(*parts: str) -> list[str]:
    return list(parts)


def _json(r) -> dict:
    return r.json


def checked(rows: int | None = None, sheet_count: int | None = None) -> Callable:
    """The input was read and its table checked (rows counted in findings.json)."""

    def fn(r, case_dir: Path) -> None:
        inputs = [i for i in r.json["run"]["inputs"] if i["readable"]]
        assert inputs, r.json["run"]["inputs"]
        if rows is not None:
            assert sum(i["rows"] for i in inputs) == rows, inputs
        if sheet_count is not None:
            assert sum(len(i["sheets"]) for i in inputs) == sheet_count, inputs

    return fn


def has_rule(rule: str, rows: list[str] | None = None, absent: bool = False) -> Callable:
    def fn(r, case_dir: Path) -> None:
        f = r.rule(rule)
        if absent:
            assert f.height == 0, f
            return
        assert f.height, r.findings
        if rows is not None:
            assert sorted(f["row"].to_list()) == sorted(rows), f

    return fn


def all_of(*fns: Callable) -> Callable:
    def fn(r, case_dir: Path) -> None:
        for f in fns:
            f(r, case_dir)

    return fn


# ----------------------------------------------------------------------------- cases: not a table
@case
def empty_csv(t: Path) -> Case:
    return Case([put(t / "空.csv", b"")], (2,), ["空.csv", "文件是空的"])


@case
def csv_only_bom(t: Path) -> Case:
    return Case([put(t / "只有BOM.csv", b"\xef\xbb\xbf\r\n")], (2,), ["只有BOM.csv", "文件是空的"])


@case
def zero_byte_xlsx(t: Path) -> Case:
    return Case([put(t / "名册.xlsx", b"")], (2,), ["名册.xlsx", "0 字节", "重新导出"])


@case
def text_renamed_xlsx(t: Path) -> Case:
    # read as the text table it is (a warning says so); then not a table of any kind
    return Case([put(t / "名册.xlsx", "姓名,身份证号\n张三,1\n".encode())], (2,),
                ["名册.xlsx", "内容却是文本表格", "已按文本表格读取", "无法识别文件类型"])


@case
def only_a_sheet_named_as_a_sample_holds_the_table(t: Path) -> Case:
    """A school filled in the template's 样表 sheet: not checked, and the message says why (not
    "the headers match nothing")."""
    wb = openpyxl.Workbook()
    wb.active.title = "封面"
    wb.active.append(["东方技工学校"])
    ws = wb.create_sheet("样表")
    for r in [ROSTER_HEADERS, *good_rows(2)]:
        ws.append(r)
    p = t / "名册.xlsx"
    wb.save(p)
    return Case([p], (2,), ["名册.xlsx", "只有名为「样表」的工作表中有可识别的表格", "请把工作表改名"])


@case
def utf16_text_export_named_xls(t: Path) -> Case:
    """Excel's "Unicode text" save (UTF-16, tab-separated) named .xls: checked, with a warning."""
    text = "\r\n".join("\t".join(r) for r in [ROSTER_HEADERS, *good_rows(2)])
    return Case([put(t / "学籍导出.xls", text.encode("utf-16"))], (0, 1),
                ["学籍导出.xls", "内容却是文本表格", "已按文本表格读取"], check=checked(rows=2))


@case
def gbk_tab_separated_export_named_xls(t: Path) -> Case:
    """A system's "Excel" export that is GBK tab-separated text: checked, with a warning."""
    text = "\r\n".join("\t".join(r) for r in [ROSTER_HEADERS, *good_rows(2)])
    return Case([put(t / "学籍导出.xls", text.encode("gbk"))], (0, 1),
                ["学籍导出.xls", "内容却是文本表格", "已按文本表格读取"], check=checked(rows=2))


@case
def pdf_renamed_xlsx(t: Path) -> Case:
    return Case([put(t / "名册.xlsx", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")], (2,),
                ["名册.xlsx", "PDF", "重新导出"])


@case
def truncated_xlsx(t: Path) -> Case:
    src = good_xlsx(t / "src" / "x.xlsx", 20).read_bytes()
    return Case([put(t / "截断.xlsx", src[: len(src) // 2])], (2,), ["截断.xlsx", "损坏", "重新从系统导出"])


@case
def corrupt_zip_xlsx(t: Path) -> Case:
    src = bytearray(good_xlsx(t / "src" / "x.xlsx", 20).read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(src))) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename) + 10
    for i in range(start, start + 40):
        src[i] ^= 0x5A
    return Case([put(t / "损坏.xlsx", bytes(src))], (2,), ["损坏.xlsx", "损坏"])


@case
def binary_renamed_csv(t: Path) -> Case:
    return Case([put(t / "乱码.csv", bytes(range(256)) * 8)], (2,), ["乱码.csv"])


@case
def all_sheets_empty_xlsx(t: Path) -> Case:
    wb = openpyxl.Workbook()
    wb.create_sheet("Sheet2")
    wb.create_sheet("Sheet3")
    p = t / "空表.xlsx"
    wb.save(p)
    return Case([p], (2,), ["空表.xlsx", "所有工作表都是空的"])


@case
def encrypted_xlsx(t: Path) -> Case:
    info = struct.pack("<HHI", 4, 4, 0x40) + b"<?xml version=\"1.0\"?><encryption/>"
    data = cfb({"EncryptionInfo": info, "EncryptedPackage": struct.pack("<Q", 5000) + b"\x17" * 5000})
    return Case([put(t / "加密名册.xlsx", data)], (2,), ["加密名册.xlsx", "已加密", "取消密码"])


@case
def zip_bomb(t: Path) -> Case:
    p = bomb_xlsx(t / "炸弹.xlsx", 260, lie=False)
    assert p.stat().st_size < 1_000_000
    return Case([p], (2,), ["炸弹.xlsx", "压缩炸弹", "已拒绝读取"])


@case
def zip_bomb_lying_header(t: Path) -> Case:
    p = bomb_xlsx(t / "炸弹2.xlsx", 64, lie=True)
    return Case([p], (2,), ["炸弹2.xlsx", "压缩炸弹"])


@case
def nonexistent_path(t: Path) -> Case:
    return Case([t / "没有这个文件.xlsx"], (2,), ["没有这个文件.xlsx", "文件不存在"])


@case
def empty_folder(t: Path) -> Case:
    (t / "空文件夹").mkdir()
    (t / "空文件夹" / "说明.docx").write_bytes(b"x")
    return Case([t / "空文件夹"], (2,), ["空文件夹", "没有找到表格文件"])


@case
def no_header_row(t: Path) -> Case:
    rows = good_rows(3)
    return Case([xlsx(t / "无表头.xlsx", rows, title=None)], (2,), ["无表头.xlsx", "无法识别文件类型"],
                check=lambda r, d: _no_full_ids(r, rows))


def _no_full_ids(r, rows) -> None:
    for row in rows:
        assert row[2] not in r.stderr + r.stdout
        report = r.out / "findings.json"  # not written when nothing could be checked
        assert not report.exists() or row[2] not in report.read_text(encoding="utf-8")


# ----------------------------------------------------------------------------- cases: structure
@case
def header_only(t: Path) -> Case:
    return Case([xlsx(t / "只有表头.xlsx", [ROSTER_HEADERS])], (0,), ["只有表头.xlsx", "没有数据行"],
                check=checked(rows=0))


@case
def header_in_row_30(t: Path) -> Case:
    rows = [["东方技工学校"], *[[] for _ in range(27)], [f"制表日期：{AS_OF}"], ROSTER_HEADERS, *good_rows(2),
            roster_row("S9", "", make_id(seq="555"))]
    return Case([xlsx(t / "表头在第30行.xlsx", rows, title=None)], (1,),
                check=all_of(checked(rows=3), has_rule("S002", ["33"])))


@case
def two_header_rows_merged_groups(t: Path) -> Case:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["东方技工学校2024年秋季学期学生名册"])
    ws.append(["基本信息", None, None, None, "学籍信息"])
    ws.merge_cells("A1:I1")
    ws.merge_cells("A2:D2")
    ws.merge_cells("E2:I2")
    ws.append(ROSTER_HEADERS)
    for r in [*good_rows(2), roster_row("S9", "", make_id(seq="555"))]:
        ws.append(r)
    p = t / "两行表头.xlsx"
    wb.save(p)
    return Case([p], (1,), check=all_of(checked(rows=3), has_rule("S002", ["6"])))


@case
def header_split_over_two_merged_rows(t: Path) -> Case:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["学籍号", "姓名", "证件", None, "学校名称", "学制", "学习形式", "入学日期", "学籍状态"])
    ws.append([None, None, "身份证号", "性别", None, None, None, None, None])
    for c in "ABEFGHI":
        ws.merge_cells(f"{c}1:{c}2")
    for r in good_rows(2):
        ws.append(r)
    p = t / "表头跨两行.xlsx"
    wb.save(p)
    return Case([p], (0, 1), check=checked(rows=2))


@case
def duplicate_header_names(t: Path) -> Case:
    headers = [*ROSTER_HEADERS, "姓名"]
    rows = [[*r, r[1]] for r in good_rows(2)]
    return Case([xlsx(t / "重复表头.xlsx", [headers, *rows])], (0, 1), ["重复表头.xlsx", "表头重复", "姓名"],
                check=checked(rows=2))


@case
def two_headers_for_one_field(t: Path) -> Case:
    headers = [*ROSTER_HEADERS, "证件号码"]
    rows = [[*r, ""] for r in good_rows(2)]
    return Case([xlsx(t / "两列证件号.xlsx", [headers, *rows])], (0, 1),
                ["两列证件号.xlsx", "表头重复", "「证件号码」与「身份证号」都对应身份证号"], check=checked(rows=2))


@case
def combined_header_matches_two_fields(t: Path) -> Case:
    headers = ["学籍号", "姓名/身份证号", "性别", "学校名称", "学制", "学习形式", "入学日期", "学籍状态"]
    rows = [[r[0], f"{r[1]}/{r[2]}", *r[3:]] for r in good_rows(2)]
    return Case(["--roster", xlsx(t / "合并表头.xlsx", [headers, *rows])], (2,),
                check=all_of(has_rule("S001"), lambda r, d: _s001_names(r, ["姓名", "身份证号"])))


def _s001_names(r, names: list[str]) -> None:
    msg = r.rule("S001")["message"][0]
    for n in names:
        assert n in msg, msg


@case
def some_required_columns_missing(t: Path) -> Case:
    headers = ["学籍号", "姓名", "身份证号", "性别", "学校名称", "学制", "学籍状态"]
    rows = [[r[0], r[1], r[2], r[3], r[4], r[5], r[8]] for r in good_rows(2)]
    return Case([xlsx(t / "缺列名册.xlsx", [headers, *rows])], (2,),
                check=all_of(has_rule("S001"), lambda r, d: _s001_names(r, ["学习形式", "入学日期", "补上"])))


@case
def unknown_table_beside_good_roster(t: Path) -> Case:
    good_xlsx(t / "in" / "名册.xlsx")
    xlsx(t / "in" / "课程表.xlsx", [["星期一", "星期二"], ["语文", "数学"]], title=None)
    return Case([t / "in"], (0, 1), ["课程表.xlsx", "无法识别文件类型"], check=checked(rows=3))


@case
def corrupt_file_beside_good_roster(t: Path) -> Case:
    good_xlsx(t / "in" / "名册.xlsx")
    put(t / "in" / "坏文件.xlsx", b"PK\x03\x04garbage")
    return Case([t / "in"], (0, 1), ["坏文件.xlsx", "损坏"], check=checked(rows=3))


@case
def unreadable_kind_given_explicitly(t: Path) -> Case:
    good = good_xlsx(t / "名册.xlsx")
    bad = put(t / "资助.xlsx", b"")
    return Case(["--roster", good, "--aid", bad], (2,), ["资助.xlsx", "0 字节"], check=checked(rows=3))


@case
def totals_and_blank_rows(t: Path) -> Case:
    rows = [ROSTER_HEADERS, *good_rows(2), [], [None] * 9, *good_rows(1), ["合计", "3人"]]
    return Case([xlsx(t / "合计行.xlsx", rows)], (0, 1), check=all_of(checked(rows=3), has_rule("S002", absent=True)))


@case
def excel_lock_file_in_folder(t: Path) -> Case:
    good_xlsx(t / "in" / "名册.xlsx")
    put(t / "in" / "~$名册.xlsx", b"\x0bowner" + b"\0" * 150)
    # not read; the workbook beside it may be open with unsaved edits: said, as a warning
    return Case([t / "in"], (0, 1), ["名册.xlsx", "可能正在 Excel/WPS 中打开"], check=checked(rows=3))


def _no_mention(r, text: str) -> None:
    assert text not in r.stderr, r.stderr


@case
def hidden_sheets(t: Path) -> Case:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "名册"
    for r in [ROSTER_HEADERS, *good_rows(2)]:
        ws.append(r)
    codes = wb.create_sheet("代码表")
    codes.append(["代码", "含义"])
    codes.append(["1", "男"])
    codes.sheet_state = "hidden"
    hid = wb.create_sheet("隐藏名册")
    for r in [ROSTER_HEADERS, roster_row("S7", "", make_id(seq="777"))]:
        hid.append(r)
    hid.sheet_state = "hidden"
    p = t / "隐藏表.xlsx"
    wb.save(p)
    return Case([p], (1,), ["隐藏名册", "隐藏的工作表"],
                check=all_of(checked(rows=3, sheet_count=2), has_rule("S002", ["2"]), lambda r, d: _no_mention(r, "代码表")))


@case
def merged_data_cells(t: Path) -> Case:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(ROSTER_HEADERS)
    for r in good_rows(4):
        ws.append(r)
    for r in range(3, 6):
        ws.cell(r, 5).value = None
    ws.merge_cells("E2:E5")  # 学校名称 merged down the school's rows
    p = t / "合并单元格.xlsx"
    wb.save(p)
    return Case([p], (0, 1), ["合并单元格"], check=all_of(checked(rows=4), has_rule("S002", absent=True)))


@case
def formulas_with_cached_values(t: Path) -> Case:
    p = t / "公式.xlsx"
    wb = xlsxwriter.Workbook(str(p))
    ws = wb.add_worksheet("名册")
    ws.write_row(0, 0, ROSTER_HEADERS)
    for i, r in enumerate(good_rows(2), start=1):
        ws.write_row(i, 0, r)
    idn = make_id(seq="321")
    ws.write_row(3, 0, roster_row("S3", "", "", gender="男"))
    ws.write_formula(3, 1, '="王"&"五"', None, "王五")
    ws.write_formula(3, 2, f'="{idn[:9]}"&"{idn[9:]}"', None, idn)
    ws.write_formula(3, 5, "=1+2", None, 3)
    wb.close()
    return Case([p], (0, 1), check=all_of(checked(rows=3), has_rule("S002", absent=True),
                                           has_rule("S003", absent=True)))


@case
def formula_error_values(t: Path) -> Case:
    p = t / "错误值.xlsx"
    wb = xlsxwriter.Workbook(str(p))
    ws = wb.add_worksheet("名册")
    ws.write_row(0, 0, ROSTER_HEADERS)
    rows = good_rows(3)
    for i, r in enumerate(rows, start=1):
        ws.write_row(i, 0, r)
    ws.write_formula(2, 1, "=VLOOKUP(A3,代码!A:B,2,0)", None, "#N/A")
    ws.write_formula(3, 7, "=#REF!+1", None, "#REF!")
    wb.close()
    return Case([p], (1,), ["错误值.xlsx", "B3（#N/A）", "H4（#REF!）", "公式错误值"],
                check=all_of(checked(rows=3), has_rule("S002", ["3", "4"])))


@case
def long_cells_32767(t: Path) -> Case:
    rows = [ROSTER_HEADERS, *good_rows(2)]
    rows[1][1] = "长" * 32767
    rows[2][7] = "9" * 32767
    return Case([xlsx(t / "超长单元格.xlsx", rows)], (1,), check=all_of(checked(rows=2), has_rule("S006", ["4"])))


@case
def control_characters_in_cells(t: Path) -> Case:
    data = csv_bytes([ROSTER_HEADERS, *good_rows(2), roster_row("S9", "坏\x01字\x1f", make_id(seq="555"),
                                                                 enroll="2024-09-\x0701")])
    return Case([put(t / "控制字符.csv", data.encode("utf-8-sig"))], (0, 1), check=checked(rows=3))


@case
def xls_biff8(t: Path) -> Case:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("学籍名册")
    ws.write(0, 0, "东方技工学校学生名册")
    for i, h in enumerate(ROSTER_HEADERS):
        ws.write(1, i, h)
    for ri, r in enumerate([*good_rows(2), roster_row("S9", "", make_id(seq="555"))], start=2):
        for ci, v in enumerate(r):
            ws.write(ri, ci, v)
    p = t / "旧版名册.xls"
    wb.save(str(p))
    return Case([p], (1,), check=all_of(checked(rows=3), has_rule("S002", ["5"])))


@case
def xls_renamed_xlsx(t: Path) -> Case:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("学籍名册")
    for ri, r in enumerate([ROSTER_HEADERS, *good_rows(2)]):
        for ci, v in enumerate(r):
            ws.write(ri, ci, v)
    buf = io.BytesIO()
    wb.save(buf)
    return Case([put(t / "改名.xlsx", buf.getvalue())], (0, 1), ["改名.xlsx", "旧版 .xls"], check=checked(rows=2))


@case
def xlsx_renamed_csv(t: Path) -> Case:
    src = good_xlsx(t / "src" / "x.xlsx").read_bytes()
    return Case([put(t / "名册.csv", src)], (0, 1), ["名册.csv", "已按 Excel 读取"], check=checked(rows=3))


@case
def xlsm_workbook(t: Path) -> Case:
    p = t / "带宏.xlsm"
    wb = xlsxwriter.Workbook(str(p))
    ws = wb.add_worksheet("名册")
    for i, r in enumerate([ROSTER_HEADERS, *good_rows(2)]):
        ws.write_row(i, 0, r)
    wb.close()
    return Case([p], (0, 1), check=checked(rows=2))


@case
def ods_workbook_renamed_text(t: Path) -> Case:
    return Case([put(t / "表.ods", b"<html><table><tr><td>x</td></tr></table></html>")], (2,), ["表.ods", "网页"])


# ----------------------------------------------------------------------------- cases: CSV encodings
@case
def csv_gbk_invalid_bytes(t: Path) -> Case:
    data = csv_bytes([ROSTER_HEADERS, *good_rows(3)]).encode("gbk")
    i = data.index("学生2".encode("gbk"))
    data = data[:i] + b"\xff\xfe\x80" + data[i:]
    return Case([put(t / "GBK坏字节.csv", data)], (0, 1), ["GBK坏字节.csv", "无法识别的字节", "GB18030"],
                check=checked(rows=3))


@case
def csv_gb18030_clean(t: Path) -> Case:
    data = csv_bytes([["东方技工学校学生名册"], ROSTER_HEADERS, *good_rows(3)]).encode("gb18030")
    return Case([put(t / "国标.csv", data)], (0, 1), check=checked(rows=3))


@case
def csv_semicolon(t: Path) -> Case:
    data = csv_bytes([ROSTER_HEADERS, *good_rows(3)], delimiter=";").encode("utf-8-sig")
    return Case([put(t / "分号.csv", data)], (0, 1), check=checked(rows=3))


@case
def csv_tab(t: Path) -> Case:
    data = csv_bytes([ROSTER_HEADERS, *good_rows(3)], delimiter="\t").encode("utf-8")
    return Case([put(t / "制表符.csv", data)], (0, 1), check=checked(rows=3))


@case
def csv_embedded_newlines_and_quotes(t: Path) -> Case:
    rows = [ROSTER_HEADERS, *good_rows(2)]
    rows[1][1] = '张"小"\n三'
    rows[2][4] = "东方技工学校,\r\n分校"
    rows.append(roster_row("S9", "", make_id(seq="555")))
    return Case([put(t / "换行引号.csv", csv_bytes(rows).encode("utf-8-sig"))], (1,),
                check=all_of(checked(rows=3), has_rule("S002", ["4"])))


@case
def csv_utf16_unicode_text(t: Path) -> Case:
    data = csv_bytes([ROSTER_HEADERS, *good_rows(3)], delimiter="\t").encode("utf-16")  # BOM + LE
    return Case([put(t / "Unicode文本.txt", data)], (0, 1), check=checked(rows=3))


@case
def csv_utf16_without_bom(t: Path) -> Case:
    data = csv_bytes([ROSTER_HEADERS, *good_rows(3)], delimiter="\t").encode("utf-16-le")
    return Case([put(t / "无BOM.csv", data)], (0, 1), check=checked(rows=3))


@case
def csv_mixed_line_endings(t: Path) -> Case:
    lines = [csv_bytes([r], terminator="") for r in [ROSTER_HEADERS, *good_rows(3)]]
    data = lines[0] + "\r\n" + lines[1] + "\n" + lines[2] + "\r" + lines[3] + "\r\n"
    return Case([put(t / "混合换行.csv", data.encode("utf-8"))], (0, 1), check=checked(rows=3))


@case
def csv_bom_in_middle(t: Path) -> Case:
    a = csv_bytes([ROSTER_HEADERS, *good_rows(2)]).encode("utf-8-sig")
    b = csv_bytes([roster_row("S9", "", make_id(seq="555"))]).encode("utf-8-sig")
    return Case([put(t / "中间BOM.csv", a + b)], (1,), check=all_of(checked(rows=3), has_rule("S002", ["4"])))


@case
def csv_unbalanced_quote(t: Path) -> Case:
    data = csv_bytes([ROSTER_HEADERS, *good_rows(2)]) + 'S9,"王五,' + make_id(seq="555") + ",男,东方技工学校,3,全日制,2024-09-01,在校\r\n"
    return Case([put(t / "引号不成对.csv", data.encode("utf-8"))], (0, 1), check=checked())


# ----------------------------------------------------------------------------- cases: values
@case
def ids_as_numbers(t: Path) -> Case:
    rows = [ROSTER_HEADERS, *good_rows(3)]
    rows[1][2] = float(rows[1][2][:17] + "0")  # numeric cell: digits lost
    rows[2][2] = 4.10105e17
    return Case([xlsx(t / "数字身份证.xlsx", rows)], (1,), check=all_of(checked(rows=3), has_rule("S004", ["3", "4"])))


@case
def ids_scientific_text(t: Path) -> Case:
    rows = [ROSTER_HEADERS, *good_rows(2)]
    rows[1][2] = "4.10105E+17"
    return Case([put(t / "科学计数.csv", csv_bytes(rows).encode("gbk"))], (1,),
                check=all_of(checked(rows=2), has_rule("S004", ["2"])))


@case
def ids_fullwidth_digits_and_spaces(t: Path) -> Case:
    rows = [ROSTER_HEADERS, *good_rows(3)]
    fw = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
    rows[1][2] = rows[1][2].translate(fw)
    rows[2][2] = " " + rows[2][2][:6] + " " + rows[2][2][6:].lower() + "\u3000"
    return Case([xlsx(t / "全角身份证.xlsx", rows)], (0, 1),
                check=all_of(checked(rows=3), has_rule("S003", absent=True)))


@case
def dates_before_1900_and_2100(t: Path) -> Case:
    rows = [ROSTER_HEADERS, *good_rows(3)]
    rows[1][7] = "1899-12-31"
    rows[2][7] = "2100-09-01"
    rows[3][7] = "1850年9月"
    return Case([xlsx(t / "极端日期.xlsx", rows)], (0, 1), check=checked(rows=3))


@case
def date_system_1904(t: Path) -> Case:
    wb = openpyxl.Workbook()
    wb.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    ws = wb.active
    headers = [*ROSTER_HEADERS, "出生日期"]
    ws.append(headers)
    for r in good_rows(3):
        ws.append([*r[:7], dt.date(2024, 9, 1), r[8], dt.date(2008, 1, 1)])
    p = t / "1904日期.xlsx"
    wb.save(p)
    return Case([p], (0, 1), check=all_of(checked(rows=3), has_rule("S005", absent=True),
                                           has_rule("S006", absent=True)))


@case
def negative_amounts(t: Path) -> Case:
    idn = make_id(seq="101")
    headers = ["姓名", "身份证号", "学校名称", "学期", "资助类型", "金额"]
    rows = [headers, ["学生1", idn, "东方技工学校", "2024秋", "国家助学金", -1000],
            ["学生1", idn, "东方技工学校", "2024秋", "免学费", "-1,000.00元"]]
    return Case(["--aid", xlsx(t / "资助负数.xlsx", rows, title="资助发放表")], (0, 1), check=checked(rows=2))


# ----------------------------------------------------------------------------- cases: paths, output
@case
def chinese_path_with_spaces(t: Path) -> Case:
    p = good_xlsx(t / "东方 技工学校 资料" / "2024 秋季 学生名册（终版）.xlsx")
    return Case([p.parent], (0, 1), check=checked(rows=3), out=t / "输出 报告 文件夹")


@case
def output_folder_is_a_file(t: Path) -> Case:
    good = good_xlsx(t / "名册.xlsx")
    out = put(t / "报告", b"not a folder")
    return Case([good], (2,), ["无法写入输出文件夹", "--out"], out=out)


@case
def output_folder_read_only(t: Path) -> Case:
    good = good_xlsx(t / "名册.xlsx")
    out = t / "只读报告"
    out.mkdir()
    return Case([good], (2,), ["无法写入输出文件夹", "--out"], out=out, check=None)


def _load_area_modules() -> None:
    """More cases live beside this file, one module per area (`cases_<area>.py`), each
    registering with `@case` from here; importing them fills CASES."""
    import importlib

    sys.modules.setdefault("bad_inputs.make", sys.modules[__name__])  # when run as a script
    for f in sorted(Path(__file__).resolve().parent.glob("cases_*.py")):
        importlib.import_module(f"bad_inputs.{f.stem}")


def write_all(target: Path) -> list[str]:
    """Write every case under target/<case>/ (for looking at them by hand)."""
    names = []
    for name, fn in CASES.items():
        d = target / name
        d.mkdir(parents=True, exist_ok=True)
        fn(d)
        names.append(name)
    return names


_load_area_modules()

if __name__ == "__main__":
    print("\n".join(write_all(Path(sys.argv[1] if len(sys.argv) > 1 else "bad_inputs_out"))))
