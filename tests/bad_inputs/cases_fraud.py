"""Bad-input cases of the fraud rules (A311, A312, R110, R111, R112): contact, card, photo and
approval cells holding anything at all. None may crash or hang; a value that is no phone number,
address or card number never makes a cluster or a shared card."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from bad_inputs.make import Case, case, csv_bytes, put, xlsx
from conftest import ROSTER_HEADERS, make_id, roster_row

ODD = ["", "=13812345678", "无", "/", "0" * 5000, "1" * 60_000, "13812345678" * 500, "☎️📱", "NULL", "#N/A",
       "\u202d\u202c", "13812345678；" * 200, "-", "'", "河南省" * 3000]


def _findings(r) -> list[dict]:
    return r.json["findings"] if (r.out / "findings.json").exists() else []


@case
def contact_cells_that_are_no_contact(t: Path) -> Case:
    """Phone and address cells of every odd kind, each on a different student: no R110 (no two of
    these are one contact of more than three students), no crash."""
    head = [*ROSTER_HEADERS, "联系电话", "家庭住址", "学籍照片"]
    rows = [head]
    for i, v in enumerate(ODD):
        rows.append([*roster_row(f"S{i}", f"学生{i}", make_id(seq=f"{100 + i:03d}")), v, v, v])

    def check(r, _tmp):
        assert not [f for f in _findings(r) if f["rule_id"] == "R110"]

    return Case([xlsx(t / "名册.xlsx", rows)], (0, 1), check=check)


@case
def card_cells_that_are_no_card(t: Path) -> Case:
    """Card cells: huge and negative numbers, scientific notation, 40 digits, letters, a formula's
    text. Damaged ones are S004, none is a shared card (A311)."""
    path = t / "资助.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["姓名", "身份证号", "学校名称", "学期", "资助类型", "发放日期", "审批日期", "审批状态", "资助卡号"])
    odd = [1e308, -6217001234567890, 6.217e18, "6.21700E+18", "6.21700E+18", "1" * 40, "ABCD-EFGH", "=6217", 0,
           "6217 0000 0000 0000", "６．２１７Ｅ＋１８", None, "\u202d6.21700E+18\u202c"]
    for i, v in enumerate(odd):
        ws.append([f"学生{i}", make_id(seq=f"{100 + i:03d}"), "东方技工学校", "2024秋", "国家助学金", "2024-11-20",
                   ["2024-12-01", "", "x"][i % 3], ["待审核", "???", ""][i % 3], v])
    wb.save(path)

    def check(r, _tmp):
        found = _findings(r)
        assert not [f for f in found if f["rule_id"] == "A311"]
        assert any(f["rule_id"] == "S004" and f["column"] == "资助卡号" for f in found)

    return Case(["--aid", path], (1,), check=check)


@case
def contact_csv_in_gbk_with_one_shared_phone(t: Path) -> Case:
    """A GBK CSV where five students share one mobile written five ways: R110 on all five rows."""
    head = [*ROSTER_HEADERS, "手机号"]
    forms = ["13812345678", "138 1234 5678", "+86 138-1234-5678", "１３８１２３４５６７８", "\t13812345678 "]
    rows = [head] + [[*roster_row(f"S{i}", f"学生{i}", make_id(seq=f"{200 + i:03d}")), ph] for i, ph in enumerate(forms)]

    def check(r, _tmp):
        assert sorted(f["row"] for f in _findings(r) if f["rule_id"] == "R110") == [2, 3, 4, 5, 6]

    return Case([put(t / "名册.csv", csv_bytes(rows).encode("gbk"))], (0, 1), check=check)
