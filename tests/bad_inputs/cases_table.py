"""Bad-input cases of the table's extent: footers, notes, headings between blocks and 小计 rows
(see xueji_check.load.table.split_records). None of these rows may give a finding."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from bad_inputs.make import Case, all_of, case, checked, csv_bytes, good_rows, put
from conftest import ROSTER_HEADERS

PUB_HEADERS = ["序号", "姓名", "班级", "专业", "资助类型"]


def _said(*words: str):
    def fn(r, case_dir: Path) -> None:
        text = r.stdout + r.stderr
        for w in words:
            assert w in text, text

    return fn


def _no_rules(*prefixes: str):
    def fn(r, case_dir: Path) -> None:
        bad = [x for x in r.findings["rule_id"].to_list() if x.startswith(prefixes)]
        assert not bad, r.findings.rows()

    return fn


@case
def roster_with_headings_subtotals_and_footer(t: Path) -> Case:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "学籍名册"
    rows = good_rows(4)
    for r in [["东方技工学校2024级学生名册"], ROSTER_HEADERS, ["2024级数控1班"], *rows[:2], ["小计", "2人"],
              ["2024级会计1班"], *rows[2:], ["合计", "4人"], ["填表说明：学籍状态按9月30日填写。"],
              ["填表人：李某", None, None, "审核人：张某"], [None, None, None, None, "东方技工学校（盖章）"]]:
        ws.append(r)
    for row in (1, 3, 7, 11):
        ws.merge_cells(f"A{row}:I{row}")
    p = t / "名册_分班.xlsx"
    wb.save(p)
    return Case(["--roster", p], (0,), check=all_of(checked(rows=4), _said("不作为数据行", "分组标题", "表尾说明")))


@case
def publicity_list_with_only_a_footer(t: Path) -> Case:
    rows = [["国家助学金受助学生名单公示"], PUB_HEADERS, ["公示时间：2024年11月4日至2024年11月8日"],
            ["监督电话：13800000000"]]
    p = put(t / "公示_无学生.csv", csv_bytes(rows).encode("utf-8-sig"))
    return Case(["--publicity", p], (0, 1), ["公示_无学生.csv", "没有数据行"],
                check=all_of(checked(rows=0), _no_rules("S", "P402")))


@case
def publicity_footer_gbk_csv_with_office_phone(t: Path) -> Case:
    rows = [["东方技工学校助学金公示"], PUB_HEADERS,
            *[[i, n, "24数控1班", "数控加工", "国家助学金"] for i, n in enumerate(["张一", "李二", "王三"], 1)],
            ["如有异议", "请于公示期内反映"], ["联系人：王老师", "监督电话：13800000000", "举报电话：0755-12345678"],
            ["公示期：2024.11.4-2024.11.8"], ["", "", "", "东方技工学校", ""], ["", "", "", "2024年11月4日", ""]]
    p = put(t / "公示_表尾.csv", csv_bytes(rows).encode("gbk"))
    return Case(["--publicity", p], (0,), check=all_of(checked(rows=3), _no_rules("S", "P"),
                                                       _said("第 6–10 行是表尾说明")))
