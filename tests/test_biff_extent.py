"""Binary workbooks (.xls, .xlsb) whose cells reach so far that calamine would allocate a grid of
a billion cells and abort the process: refused before calamine reads them, the run goes on."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import xlwt

from conftest import ROSTER_HEADERS, make_id, roster_row, write_xlsx
from xueji_check.load.biff import FLOOR, _varint, xlsb_extent


def _xls(path: Path, far: tuple[int, int] | None = None) -> Path:
    """A small .xls (BIFF8, written by xlwt) whose one numeric cell is moved to `far` (row, col)
    by rewriting its RK record, as a hand-made or corrupt file can hold (xlwt itself stops at
    column 255)."""
    wb = xlwt.Workbook()
    ws = wb.add_sheet("名册")
    for c, h in enumerate(ROSTER_HEADERS):
        ws.write(0, c, h)
    ws.write(1, 0, 12345.0)
    wb.save(str(path))
    if far is None:
        return path
    data = bytearray(path.read_bytes())
    pos = 0
    while True:
        pos = data.find(struct.pack("<H", 0x027E), pos)
        assert pos >= 0, "no RK record"
        size, row, col = struct.unpack_from("<HHH", data, pos + 2)
        if size == 10 and (row, col) == (1, 0):
            struct.pack_into("<HH", data, pos + 4, *far)
            break
        pos += 1
    path.write_bytes(bytes(data))
    return path


def _run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess:
    # a separate process: without the guard calamine aborts the whole interpreter (exit 134)
    return subprocess.run([sys.executable, "-m", "xueji_check", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def test_far_cell_xls_is_refused_and_the_run_goes_on(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    _xls(d / "远处单元格.xls", far=(65000, 16000))
    write_xlsx(d / "名册.xlsx", [ROSTER_HEADERS, roster_row("S1", "", make_id())])  # one planted S002
    r = _run("check", d, "--as-of", "2025-01-01", "--out", tmp_path / "out", "--format", "csv,json", cwd=tmp_path)
    assert r.returncode == 1, (r.returncode, r.stderr[-2000:])
    assert "远处单元格.xls" in r.stderr and "数据区域过大" in r.stderr and "第 65001 行" in r.stderr
    assert "S002" in (tmp_path / "out" / "findings.csv").read_text(encoding="utf-8-sig")


def test_xls_with_a_distant_but_plausible_cell_is_read(tmp_path):
    """Near miss: a cell at row 60,001 of column B is a grid of 120,002 cells, far below the floor."""
    f = _xls(tmp_path / "长表.xls", far=(60000, 1))
    r = _run("check", "--roster", f, "--as-of", "2025-01-01", "--out", tmp_path / "out", "--format", "csv,json",
             cwd=tmp_path)
    assert "数据区域过大" not in r.stderr, r.stderr


def _rec(rtype: int, payload: bytes) -> bytes:
    def var(n: int) -> bytes:
        out = bytearray()
        while True:
            b = n & 0x7F
            n >>= 7
            out.append(b | (0x80 if n else 0))
            if not n:
                return bytes(out)
    return var(rtype) + var(len(payload)) + payload


def test_xlsb_records_measured():
    far = _rec(0, struct.pack("<I", 1_000_000) + b"\0" * 8) + _rec(5, struct.pack("<I", 16_000) + b"\0" * 12)
    ext = xlsb_extent("sheet1.bin", far)
    assert (ext.max_row, ext.max_col, ext.cells) == (1_000_000, 16_000, 1)
    assert "数据区域过大" in ext.refusal()
    near = _rec(0, struct.pack("<I", 2_000) + b"\0" * 8) + _rec(5, struct.pack("<I", 40) + b"\0" * 12)
    assert xlsb_extent("sheet1.bin", near).grid() < FLOOR and xlsb_extent("sheet1.bin", near).refusal() is None


def test_xlsb_cut_record_does_not_raise():
    data = _rec(0, struct.pack("<I", 5) + b"\0" * 8) + b"\x05\x10\x01"
    assert xlsb_extent("s", data).cells == 0


def test_varint_two_bytes():
    assert _varint(bytes([0x94, 0x01]), 0, 2) == (148, 2)
