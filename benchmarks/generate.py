"""Generate realistic, messy rosters (学籍名册) and aid tables (资助申报与发放) for benchmarks.

Values are built column-wise with NumPy and Polars expressions (no Python loop builds data);
only the xlsx writer walks rows, because xlsxwriter writes cell by cell. About 2% of the rows
carry a planted problem; the plan is written beside the files as ``*.truth.json`` so a run can
be compared with what was planted.

    python benchmarks/generate.py --rows 100000            # roster + aid, xlsx + GB18030 CSV
    python benchmarks/generate.py --rows 1000000 --formats xlsx,csv --seed 7

Files go to benchmarks/data/ (git-ignored): roster_<n>.xlsx, aid_<n>.xlsx, roster_<n>.csv,
aid_<n>.csv. The same seed gives byte-identical CSVs and identical cell values in xlsx.
Existing files are kept unless --force is given (1M-row xlsx takes about a minute each).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import polars as pl
from xlsxwriter.utility import xl_col_to_name

DATA = Path(__file__).resolve().parent / "data"
AS_OF = "2019-06-30"

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
                "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤") \
    + ["欧阳", "司马", "上官", "诸葛"]
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红梅鹏飞斌宇浩凯健俊帆帅旭宁龙林欣婷雪琳晨辉鑫"
             "波峰磊亮嘉怡佳思雨涵轩博文子豪梓睿宸泽瑞阳诗琪梦瑶语馨雅婧璐倩颖琦欢慧敏晶璇岚蕾菲薇媛月露凤兵昊"
             "然一诺依晗铭昕希彤若曦锦程振国建新志强海燕春")
CITIES = ["郑州", "开封", "洛阳", "平顶山", "安阳", "鹤壁", "新乡", "焦作", "濮阳", "许昌", "漯河", "三门峡",
          "南阳", "商丘", "信阳", "周口", "驻马店", "济源", "石家庄", "保定", "邯郸", "唐山", "太原", "大同",
          "济南", "青岛", "淄博", "潍坊", "临沂", "南京", "苏州", "无锡", "徐州", "杭州", "宁波", "温州",
          "合肥", "芜湖", "福州", "厦门", "南昌", "赣州", "武汉", "宜昌", "襄阳", "长沙", "株洲", "衡阳",
          "广州", "深圳", "佛山", "东莞", "南宁", "柳州", "成都", "绵阳", "重庆", "贵阳", "昆明", "西安",
          "兰州", "西宁", "银川", "乌鲁木齐", "哈尔滨", "长春", "沈阳", "大连", "呼和浩特", "海口"]
SCHOOL_WORDS = ["", "第一", "第二", "第三", "高级", "工业", "交通", "机电", "轻工", "商贸", "建筑", "电子信息",
                "化工", "冶金", "煤炭", "铁路", "汽车", "航空", "技工", "现代", "城市", "科技", "水利", "电力",
                "农业", "医药", "旅游", "纺织", "石油", "船舶"]
SCHOOL_TYPES = ["技工学校", "高级技工学校", "技师学院"]
# 6-digit administrative division codes (region part of the ID number).
REGIONS = [410102, 410105, 410122, 410202, 410302, 410402, 410502, 410602, 410702, 410802, 410902,
           411002, 411102, 411202, 411302, 411402, 411502, 411602, 411702, 419001, 130102, 130602,
           140105, 370102, 370202, 320102, 320505, 330106, 330203, 340104, 350102, 360102, 420106,
           430104, 440106, 440304, 450103, 510104, 500103, 520102, 530102, 610104, 620102, 150102,
           210102, 220102, 230102, 460105, 640104, 650102]
MAJORS = ["数控加工", "机电一体化", "电气自动化设备安装与维修", "汽车维修", "计算机网络应用", "电子商务",
          "焊接加工", "烹饪（中式烹调）", "美容美发与造型", "工业机器人应用与维护", "模具制造", "会计",
          "幼儿教育", "建筑施工", "物流服务与管理", "电子技术应用", "服装设计与制作", "酒店管理",
          "新能源汽车检测与维修", "无人机应用技术"]
LEVELS = ["中级工", "高级工", "预备技师", "技师"]
SOURCES = ["应届初中毕业生", "往届初中毕业生", "高中毕业生", "退役军人", "下岗失业人员"]

ROSTER_HEADERS = ["*学籍号", "姓名", "*身份证\n号码", "性别", "出生日期", "学校代码", "学校名称", "专业",
                  "培养层次", "学制（年）", "学习形式", "生源类别", "入学日期", "注册日期", "学籍状态"]
AID_HEADERS = ["学籍号", "学生姓名", "身份证号", "学校名称", "资助学期", "资助项目", "金额（元）", "申请日期",
               "发放日期", "发放方式", "资助卡号", "学生签字"]

# planted problem -> share of rows (sums to ~2% per table)
ROSTER_PLANTS = {
    "R101_duplicate_id": 0.003, "S003_bad_check_digit": 0.002, "S004_id_as_number": 0.001,
    "S006_bad_date": 0.001, "S007_bad_study_mode": 0.001, "R103_employed_fulltime": 0.003,
    "R104_farmer_fulltime": 0.002, "R107_over_age": 0.002, "R108_late_registration": 0.003,
    "S005_gender_mismatch": 0.001,
}
AID_PLANTS = {
    "A302_not_in_roster": 0.003, "A304_paid_twice": 0.003, "A308_amount_above_standard": 0.002,
    "A309_not_aid_card": 0.003, "A306_late_application": 0.003, "A310_unsigned": 0.002,
    "S008_name_mismatch": 0.002, "A301_part_time_student": 0.002,
}

_FW_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")


def _pick(rng: np.random.Generator, values: list, n: int, p: list[float] | None = None) -> pl.Series:
    idx = rng.choice(len(values), size=n, p=p)
    return pl.Series(values).gather(idx)


def _plant_masks(rng: np.random.Generator, n: int, plants: dict[str, float],
                 exclude: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Disjoint row sets, one per planted problem."""
    free = np.ones(n, dtype=bool) if exclude is None else ~exclude
    order = rng.permutation(np.flatnonzero(free))
    out, start = {}, 0
    for name, share in plants.items():
        k = int(round(n * share))
        m = np.zeros(n, dtype=bool)
        m[order[start:start + k]] = True
        out[name] = m
        start += k
    return out


def id_numbers(region: np.ndarray, birth: np.ndarray, seq: np.ndarray, *, bad_check: np.ndarray | None = None
               ) -> pl.Series:
    """18-digit ID numbers with a correct GB 11643 check digit (wrong where bad_check)."""
    ymd = (pl.Series(birth).dt.strftime("%Y%m%d")).to_numpy().astype(np.int64)
    body = region.astype(np.int64) * 10**11 + ymd * 1000 + seq.astype(np.int64)
    weights = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
    total = np.zeros(len(body), dtype=np.int64)
    rest = body.copy()
    for w in weights[::-1]:  # 17 digits, least significant first
        total += (rest % 10) * w
        rest //= 10
    check = total % 11
    if bad_check is not None:
        check = np.where(bad_check, (check + 1 + (seq % 9)) % 11, check)
    chars = pl.Series(list("10X98765432")).gather(check)
    return pl.Series(body).cast(pl.String) + chars


def roster_frame(n: int, seed: int) -> tuple[pl.DataFrame, dict]:
    rng = np.random.default_rng(seed)
    combos = len(CITIES) * len(SCHOOL_WORDS) * len(SCHOOL_TYPES)
    n_schools = min(max(20, n // 400), combos)  # a national simulation has more students per school
    sc = rng.choice(combos, size=n_schools, replace=False)
    school_names = (pl.Series(CITIES).gather(sc // (len(SCHOOL_WORDS) * len(SCHOOL_TYPES)))
                    + "市" + pl.Series(SCHOOL_WORDS).gather((sc // len(SCHOOL_TYPES)) % len(SCHOOL_WORDS))
                    + pl.Series(SCHOOL_TYPES).gather(sc % len(SCHOOL_TYPES)))
    school_codes = pl.Series(rng.choice(90000, size=n_schools, replace=False) + 10000).cast(pl.String)
    # school sizes vary (Zipf-like)
    weights = 1.0 / np.arange(1, n_schools + 1) ** 0.6
    school = rng.choice(n_schools, size=n, p=weights / weights.sum())

    plants = _plant_masks(rng, n, ROSTER_PLANTS)
    # intake: 2017 autumn, 2018 spring, 2018 autumn
    intake = rng.choice(3, size=n, p=[0.35, 0.15, 0.5])
    enroll_base = np.array(["2017-09-01", "2018-03-01", "2018-09-01"], dtype="datetime64[D]")
    enroll = enroll_base[intake] + rng.integers(0, 8, size=n).astype("timedelta64[D]")
    age_days = rng.integers(15 * 365, 19 * 365, size=n)
    age_days = np.where(plants["R107_over_age"], rng.integers(26 * 365, 40 * 365, size=n), age_days)
    birth = enroll - age_days.astype("timedelta64[D]")
    # unique (region, birth, seq) triples: draw distinct codes per row
    seq = rng.integers(0, 1000, size=n)
    region = np.array(REGIONS)[rng.integers(0, len(REGIONS), size=n)]
    key = region.astype(np.int64) * 10**8 + (birth - np.datetime64("1970-01-01")).astype(np.int64) * 1000 + seq
    _, first = np.unique(key, return_index=True)
    clash = np.ones(n, dtype=bool)
    clash[first] = False
    while clash.any():  # redraw the few accidental duplicates
        seq[clash] = rng.integers(0, 1000, size=int(clash.sum()))
        key = region.astype(np.int64) * 10**8 + (birth - np.datetime64("1970-01-01")).astype(np.int64) * 1000 + seq
        _, first = np.unique(key, return_index=True)
        clash = np.ones(n, dtype=bool)
        clash[first] = False
    ids = id_numbers(region, birth, seq, bad_check=plants["S003_bad_check_digit"])
    male = (seq % 2) == 1
    gender = np.where(male, "男", "女")
    gender = np.where(plants["S005_gender_mismatch"], np.where(male, "女", "男"), gender)
    # duplicate registration: copy the ID of another (clean) row, usually at another school
    dup = np.flatnonzero(plants["R101_duplicate_id"])
    clean = np.flatnonzero(~np.logical_or.reduce(list(plants.values())))
    src = rng.choice(clean, size=len(dup), replace=False)
    ids = ids.scatter(dup, ids.gather(src))
    birth[dup] = birth[src]
    gender[dup] = gender[src]

    names = _pick(rng, SURNAMES, n, None) + _pick(rng, GIVEN, n) + pl.Series(
        np.where(rng.random(n) < 0.7, pl.Series(GIVEN).gather(rng.integers(0, len(GIVEN), n)).to_numpy(), ""))
    names = names.scatter(dup, names.gather(src))

    years = _pick(rng, ["3", "3", "3年", "三年", "2", "5", "4"], n)
    mode = np.where(rng.random(n) < 0.05, "非全日制", "全日制")
    mode = np.where(plants["S007_bad_study_mode"], "半日制", mode)
    source = _pick(rng, SOURCES, n, [0.6, 0.15, 0.15, 0.05, 0.05]).to_numpy()
    source = np.where(plants["R103_employed_fulltime"], "企业职工", source)
    source = np.where(plants["R104_farmer_fulltime"], "务农农民", source)
    mode = np.where(plants["R103_employed_fulltime"] | plants["R104_farmer_fulltime"], "全日制", mode)
    register = enroll + rng.integers(3, 40, size=n).astype("timedelta64[D]")
    register = np.where(plants["R108_late_registration"], enroll + rng.integers(80, 120, size=n).astype(
        "timedelta64[D]"), register)
    status = _pick(rng, ["在校", "在籍", "正常", "休学", "退学", "转出", "毕业"], n,
                   [0.82, 0.05, 0.03, 0.02, 0.03, 0.03, 0.02]).to_numpy()
    status = np.where(plants["R101_duplicate_id"], "在校", status)
    status[src] = "在校"
    sid = school_codes.gather(school) + pl.Series(enroll.astype("datetime64[Y]").astype(int) + 1970).cast(
        pl.String) + pl.Series(np.arange(n) % 1_000_000).cast(pl.String).str.zfill(6)

    df = pl.DataFrame({
        "学籍号": sid, "姓名": names, "身份证号码": ids, "性别": gender,
        "出生日期": pl.Series(birth), "学校代码": school_codes.gather(school),
        "学校名称": school_names.gather(school), "专业": _pick(rng, MAJORS, n),
        "培养层次": _pick(rng, LEVELS, n, [0.6, 0.3, 0.07, 0.03]), "学制（年）": years,
        "学习形式": mode, "生源类别": source, "入学日期": pl.Series(enroll), "注册日期": pl.Series(register),
        "学籍状态": status,
    })
    df.columns = ROSTER_HEADERS  # messy header text as exported (*, line break, full-width brackets)
    df, id_numeric = _mess(df, rng, n, plants, id_col="*身份证\n号码",
                           date_cols=["出生日期", "入学日期", "注册日期"], name_col="姓名")
    truth = {k: int(v.sum()) for k, v in plants.items()}
    return df, {"plants": truth, "id_numeric_rows": id_numeric, "schools": n_schools,
                "roster_ids": ids, "roster_names": names, "active_fulltime": (
                    np.isin(status, ["在校", "在籍", "正常"]) & (mode == "全日制")
                    & ~np.logical_or.reduce(list(plants.values()))),
                "part_time": (mode == "非全日制") & ~np.logical_or.reduce(list(plants.values())),
                "school": school_names.gather(school), "sid": sid, "intake": intake}


def _mess(df: pl.DataFrame, rng: np.random.Generator, n: int, plants: dict, *, id_col: str,
          date_cols: list[str], name_col: str) -> tuple[pl.DataFrame, list[int]]:
    """Make the table look like a real export: mixed date formats, stray spaces, x, full-width."""
    fmt = rng.choice(7, size=n, p=[0.55, 0.15, 0.08, 0.07, 0.05, 0.05, 0.05])
    exprs = []
    for c in date_cols:
        d = pl.col(c)
        serial = (d.cast(pl.Int32) + 25569).cast(pl.String)  # Excel serial (1899-12-30 epoch)
        exprs.append(
            pl.when(pl.lit(fmt == 0)).then(d.dt.strftime("%Y-%m-%d"))
            .when(pl.lit(fmt == 1)).then(d.dt.strftime("%Y/%-m/%-d"))
            .when(pl.lit(fmt == 2)).then(d.dt.strftime("%Y.%m.%d"))
            .when(pl.lit(fmt == 3)).then(d.dt.strftime("%Y%m%d"))
            .when(pl.lit(fmt == 4)).then(d.dt.strftime("%Y年%-m月%-d日"))
            .when(pl.lit(fmt == 5)).then(d.dt.strftime("%Y-%m-%d 00:00:00"))
            .otherwise(pl.lit("#SERIAL#") + serial).alias(c))
    df = df.with_columns(exprs)
    if "S006_bad_date" in plants:
        df = df.with_columns(pl.when(pl.lit(plants["S006_bad_date"])).then(pl.lit("2018-13-45"))
                             .otherwise(pl.col(date_cols[-1])).alias(date_cols[-1]))
    idc = pl.col(id_col)
    numeric = np.flatnonzero(plants.get("S004_id_as_number", np.zeros(n, dtype=bool))).tolist()
    if numeric:  # Excel kept 15 significant digits of an ID typed into a number cell
        df = df.with_columns(pl.when(pl.lit(plants["S004_id_as_number"]))
                             .then(pl.lit("#NUM#") + idc.str.slice(0, 15) + "000").otherwise(idc).alias(id_col))
    r = np.where(df[id_col].str.starts_with("#NUM#").to_numpy(), 1.0, rng.random(n))
    df = df.with_columns(
        pl.when(pl.lit(r < 0.01)).then(idc.str.to_lowercase())  # lower-case x
        .when(pl.lit((r >= 0.01) & (r < 0.015))).then(idc.str.slice(0, 6) + " " + idc.str.slice(6))
        .when(pl.lit((r >= 0.015) & (r < 0.018))).then(idc.map_batches(
            lambda s: s.str.replace_many(list("0123456789"), list("０１２３４５６７８９")), return_dtype=pl.String))
        .otherwise(idc).alias(id_col),
        pl.when(pl.lit(rng.random(n) < 0.02)).then(pl.col(name_col) + " ")
        .when(pl.lit(rng.random(n) < 0.01)).then(pl.lit("\u3000") + pl.col(name_col))
        .otherwise(pl.col(name_col)).alias(name_col),
    )
    return df, numeric


def aid_frame(n: int, seed: int, roster: dict) -> tuple[pl.DataFrame, dict]:
    rng = np.random.default_rng(seed + 1)
    ids, names, school, sid = roster["roster_ids"], roster["roster_names"], roster["school"], roster["sid"]
    pool = np.flatnonzero(roster["active_fulltime"])
    # distinct (student, term, type) combinations: 2 terms x 2 aid types per student
    combos = rng.choice(len(pool) * 4, size=min(n, len(pool) * 4), replace=False)
    m = len(combos)
    stu = pool[combos // 4]
    term_i = (combos // 2) % 2
    grant = (combos % 2) == 1
    plants = _plant_masks(rng, m, AID_PLANTS)
    stu = np.where(plants["A301_part_time_student"],
                   rng.choice(np.flatnonzero(roster["part_time"]), size=m), stu)
    term_text = np.where(term_i == 0,
                         _pick(rng, ["2018年秋季学期", "2018秋", "2018-2019学年第一学期"], m, [0.6, 0.2, 0.2]).to_numpy(),
                         _pick(rng, ["2019年春季学期", "2019春", "2018-2019学年第二学期"], m, [0.6, 0.2, 0.2]).to_numpy())
    term_start = np.where(term_i == 0, np.datetime64("2018-09-01"), np.datetime64("2019-03-01"))
    apply = term_start + rng.integers(3, 50, size=m).astype("timedelta64[D]")
    apply = np.where(plants["A306_late_application"], term_start + rng.integers(70, 100, size=m).astype(
        "timedelta64[D]"), apply)
    pay = apply + rng.integers(20, 60, size=m).astype("timedelta64[D]")
    aid_type = np.where(grant, np.where(rng.random(m) < 0.1, "助学金", "国家助学金"), "免学费")
    amount = np.where(grant, "1000", _pick(rng, ["1000", "1200", "1500", "2000"], m).to_numpy())
    amount = np.where(plants["A308_amount_above_standard"] & grant, "2000", amount)  # above the 1500 cap
    amount = np.where(rng.random(m) < 0.05, np.char.add(amount, ".00"), amount)
    method = np.where(grant, _pick(rng, ["资助卡", "中职资助卡"], m, [0.7, 0.3]).to_numpy(), "")
    method = np.where(plants["A309_not_aid_card"], _pick(rng, ["银行卡", "现金"], m).to_numpy(), method)
    card = pl.Series(rng.integers(10**18, 9 * 10**18, size=m, dtype=np.int64)).cast(pl.String)
    card = pl.Series(np.where(grant, card.to_numpy(), ""))
    signed = np.where(grant, _pick(rng, ["是", "√", "已签字", "Y"], m).to_numpy(), "")
    signed = np.where(plants["A310_unsigned"], "否", signed)
    sub_ids = ids.gather(stu)
    # not in roster: a valid ID of someone who is not registered anywhere
    nr = np.flatnonzero(plants["A302_not_in_roster"])
    fake = id_numbers(np.full(len(nr), 419001), np.full(len(nr), np.datetime64("2002-02-02")),
                      np.arange(len(nr)) % 1000) if len(nr) else pl.Series([], dtype=pl.String)
    sub_ids = sub_ids.scatter(nr, fake) if len(nr) else sub_ids
    sub_names = names.gather(stu)
    mm = np.flatnonzero(plants["S008_name_mismatch"])
    sub_names = sub_names.scatter(mm, sub_names.gather(mm).str.slice(0, 1) + "某某")
    sub_sid = sid.gather(stu).scatter(nr, pl.Series(["" for _ in nr], dtype=pl.String)) if len(nr) else sid.gather(stu)
    df = pl.DataFrame({
        "学籍号": sub_sid, "学生姓名": sub_names, "身份证号": sub_ids, "学校名称": school.gather(stu),
        "资助学期": term_text, "资助项目": aid_type, "金额（元）": amount,
        "申请日期": pl.Series(apply), "发放日期": pl.Series(pay), "发放方式": method, "资助卡号": card,
        "学生签字": signed,
    })
    # paid twice: append copies of some rows (another export line for the same student/term/type)
    twice = np.flatnonzero(plants["A304_paid_twice"])
    keep = m - len(twice)
    df = pl.concat([df.head(keep), df.gather(rng.choice(keep, size=len(twice), replace=False))])
    df, _ = _mess(df, rng, m, {}, id_col="身份证号", date_cols=["申请日期", "发放日期"], name_col="学生姓名")
    df.columns = AID_HEADERS
    return df, {"plants": {k: int(v.sum()) for k, v in plants.items()}}


def _cells(df: pl.DataFrame) -> list[list]:
    """Column lists for the writer: '#NUM#…' -> float (Excel-mangled ID), '#SERIAL#…' -> int."""
    out = []
    for c in df.columns:
        s = df[c]
        if s.dtype != pl.String:
            s = s.cast(pl.String)
        special = s.str.starts_with("#").any()
        vals = s.to_list()
        if special:
            for i, v in enumerate(vals):
                if v and v[0] == "#":
                    if v.startswith("#NUM#"):
                        vals[i] = float(v[5:])  # written as a number cell
                    elif v.startswith("#SERIAL#"):
                        vals[i] = int(v[8:])
        out.append(vals)
    return out


def write_xlsx(df: pl.DataFrame, path: Path, title: str, sheet: str) -> None:
    import xlsxwriter

    tmp = path.with_suffix(".tmp.xlsx")
    wb = xlsxwriter.Workbook(str(tmp), {"constant_memory": True, "strings_to_numbers": False,
                                        "strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet(sheet)
    bold = wb.add_format({"bold": True})
    ws.write_string(0, 0, title, wb.add_format({"bold": True, "font_size": 14}))
    ws.write_row(1, 0, df.columns, bold)
    cols = _cells(df)
    width = len(cols)
    write_string, write_number = ws.write_string, ws.write_number
    r = 2
    for row in zip(*cols, strict=True):
        for c in range(width):
            v = row[c]
            if v.__class__ is str:
                if v:
                    write_string(r, c, v)
            elif v is not None:
                write_number(r, c, v)
        r += 1
    r += 1  # a blank row, then the totals row
    ws.write_string(r, 0, "合计")
    ws.write_string(r, 1, f"{df.height}人")
    wb.close()
    os.replace(tmp, path)




def _rows_xml(df: pl.DataFrame, first_row: int) -> pl.Series:
    """<row> elements for df, built column-wise with Polars (inline strings, as constant_memory
    writes them; '#NUM#'/'#SERIAL#' values become number cells)."""
    r = pl.int_range(first_row, first_row + pl.len()).cast(pl.String)
    cells = []
    for i, c in enumerate(df.columns):
        v = pl.col(c).cast(pl.String)
        ref = pl.lit(f'<c r="{xl_col_to_name(i)}') + r
        esc = v.str.replace_all("&", "&amp;", literal=True).str.replace_all("<", "&lt;", literal=True) \
            .str.replace_all(">", "&gt;", literal=True)
        num = v.str.replace(r"^#(NUM|SERIAL)#", "")
        cells.append(
            pl.when(v.is_null() | (v == "")).then(pl.lit(""))
            .when(v.str.starts_with("#NUM#") | v.str.starts_with("#SERIAL#"))
            .then(ref + '"><v>' + num + "</v></c>")
            .otherwise(ref + '" t="inlineStr"><is><t xml:space="preserve">' + esc + "</t></is></c>"))
    return df.select(pl.concat_str([pl.lit('<row r="') + r + '">', *cells, pl.lit("</row>")]))[:, 0]


def write_xlsx_stream(df: pl.DataFrame, path: Path, title: str, sheet: str, chunk: int = 100_000) -> None:
    """Same workbook as write_xlsx, much faster for 1M rows: xlsxwriter (constant_memory) writes the
    package with the title and header rows, then the sheet body is replaced by rows built
    column-wise with Polars and streamed into the zip."""
    import re
    import zipfile

    import xlsxwriter

    skel = path.with_suffix(".skel.xlsx")
    wb = xlsxwriter.Workbook(str(skel), {"constant_memory": True})
    ws = wb.add_worksheet(sheet)
    ws.write_string(0, 0, title, wb.add_format({"bold": True, "font_size": 14}))
    ws.write_row(1, 0, df.columns, wb.add_format({"bold": True}))
    wb.close()
    tmp = path.with_suffix(".tmp.xlsx")
    with zipfile.ZipFile(skel) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename != "xl/worksheets/sheet1.xml":
                zout.writestr(item, data)
                continue
            xml = data.decode("utf-8")
            xml = re.sub(r"<dimension ref=\"[^\"]*\"/>", f'<dimension ref="A1:{xl_col_to_name(df.width - 1)}'
                         f'{df.height + 4}"/>', xml)
            head, tail = xml.split("</sheetData>")
            total = (f'<row r="{df.height + 4}"><c r="A{df.height + 4}" t="inlineStr"><is><t>合计</t></is></c>'
                     f'<c r="B{df.height + 4}" t="inlineStr"><is><t>{df.height}人</t></is></c></row>')
            info = zipfile.ZipInfo(item.filename, date_time=item.date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            with zout.open(info, "w", force_zip64=True) as fh:
                fh.write(head.encode())
                for start in range(0, df.height, chunk):
                    fh.write(_rows_xml(df.slice(start, chunk), start + 3).str.join("").item().encode())
                fh.write((total + "</sheetData>" + tail).encode())
    skel.unlink()
    os.replace(tmp, path)


def csv_text(df: pl.DataFrame, title: str) -> str:
    # as Excel saves a CSV: numeric IDs in scientific notation, serial dates as numbers
    body = df.with_columns(
        pl.when(pl.col(c).str.starts_with("#NUM#"))
        .then(pl.col(c).str.slice(5, 1) + "." + pl.col(c).str.slice(6, 5) + "E+17")
        .otherwise(pl.col(c).str.replace(r"^#SERIAL#", "")).alias(c)
        for c in df.columns if df[c].dtype == pl.String).write_csv(line_terminator="\r\n")
    pad = "," * (df.width - 2)  # Excel pads every line of a saved CSV to the used range
    return f"{title},{pad},\r\n{body}{pad},\r\n合计,{df.height}人{pad}\r\n"


def write_csv_gb18030(df: pl.DataFrame, path: Path, title: str) -> None:
    tmp = path.with_suffix(".tmp.csv")
    tmp.write_bytes(csv_text(df, title).encode("gb18030"))
    os.replace(tmp, path)


def _write_job(args: tuple) -> tuple[str, float]:
    kind, fmt, path, title, sheet, ipc, writer = args
    t = time.perf_counter()
    df = pl.read_ipc(ipc)
    if fmt == "xlsx" and writer == "stream":
        write_xlsx_stream(df, Path(path), title, sheet)
    elif fmt == "xlsx":
        write_xlsx(df, Path(path), title, sheet)
    else:
        write_csv_gb18030(df, Path(path), title)
    return path, time.perf_counter() - t


def paths_for(rows: int) -> dict[str, Path]:
    tag = f"{rows // 1000}k" if rows < 1_000_000 else f"{rows // 1_000_000}m"
    return {f"{k}_{f}": DATA / f"{k}_{tag}.{f}" for k in ("roster", "aid") for f in ("xlsx", "csv")}


def generate(rows: int, seed: int = 2018, formats: tuple[str, ...] = ("xlsx", "csv"), force: bool = False,
             jobs: int = 2, writer: str = "auto") -> dict[str, Path]:
    if writer == "auto":
        writer = "xlsxwriter" if rows <= 200_000 else "stream"
    DATA.mkdir(parents=True, exist_ok=True)
    paths = paths_for(rows)
    todo = [(k, f) for k in ("roster", "aid") for f in formats if force or not paths[f"{k}_{f}"].exists()]
    if not todo:
        return paths
    t0 = time.perf_counter()
    roster, rinfo = roster_frame(rows, seed)
    aid, ainfo = aid_frame(rows, seed, rinfo)
    print(f"built frames: roster {roster.height:,} rows, aid {aid.height:,} rows in "
          f"{time.perf_counter() - t0:.1f} s", file=sys.stderr)
    ipc = {"roster": DATA / f".roster_{rows}.arrow", "aid": DATA / f".aid_{rows}.arrow"}
    roster.write_ipc(ipc["roster"])
    aid.write_ipc(ipc["aid"])
    titles = {"roster": ("河南省技工院校2019年春季学期学生名册", "学生名册"),
              "aid": ("2018-2019学年中职免学费和国家助学金发放明细", "资助发放")}
    jobs_args = [(k, f, str(paths[f"{k}_{f}"]), titles[k][0], titles[k][1], str(ipc[k]), writer) for k, f in todo]
    with ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("spawn")) as pool:
        for path, secs in pool.map(_write_job, jobs_args):
            print(f"wrote {path} in {secs:.1f} s", file=sys.stderr)
    for p in ipc.values():
        p.unlink(missing_ok=True)
    tag = paths["roster_xlsx"].stem.split("_")[1]
    truth = {"rows": rows, "seed": seed, "as_of": AS_OF, "roster_rows": roster.height, "aid_rows": aid.height,
             "schools": rinfo["schools"], "xlsx_writer": writer, "roster_plants": rinfo["plants"], "aid_plants": ainfo["plants"],
             "generated": dt.datetime.now().isoformat(timespec="seconds")}
    (DATA / f"truth_{tag}.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"generated in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return paths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, action="append", help="rows per table (repeatable); default 100000")
    ap.add_argument("--seed", type=int, default=2018)
    ap.add_argument("--formats", default="xlsx,csv", help="xlsx,csv")
    ap.add_argument("--force", action="store_true", help="regenerate even if the files exist")
    ap.add_argument("--jobs", type=int, default=2, help="writer processes")
    ap.add_argument("--writer", choices=["auto", "xlsxwriter", "stream"], default="auto",
                    help="xlsx writer: xlsxwriter cell by cell (constant_memory), or stream (xlsxwriter package, "
                         "sheet body built column-wise with Polars); auto = stream above 200k rows")
    a = ap.parse_args()
    for rows in a.rows or [100_000]:
        paths = generate(rows, a.seed, tuple(f.strip() for f in a.formats.split(",") if f.strip()), a.force, a.jobs,
                         a.writer)
        for p in paths.values():
            if p.exists():
                print(f"{p}  {p.stat().st_size / 1e6:,.1f} MB")


if __name__ == "__main__":
    main()
