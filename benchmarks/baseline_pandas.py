"""The same checks done the way a capable analyst would without xueji-check.

pandas + openpyxl to read the workbooks (``pd.read_excel(engine="openpyxl", dtype=str)``),
a header search over the first rows, vectorised pandas string/date operations for the
normalisation, ``groupby``/``merge`` for the cross-row and cross-file rules, and the findings
written to CSV (UTF-8 with BOM) and to an xlsx with ``DataFrame.to_excel`` (openpyxl).
No Python loop over data rows. Only for the side-by-side benchmark (pandas is a `bench` extra).

    python benchmarks/baseline_pandas.py ROSTER.xlsx AID.xlsx --as-of 2019-06-30 --out DIR

It covers the checks the generated data exercises: S002-S008, R101, R103, R104, R107, R108,
A301, A302, A304, A306, A308, A309, A310. It prints stage times and one ``@@RESULT@@`` JSON line.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ALIASES = {
    "学籍号": "student_id", "学号": "student_id", "姓名": "name", "学生姓名": "name",
    "身份证号": "id_number", "身份证号码": "id_number", "证件号码": "id_number", "性别": "gender",
    "出生日期": "birth_date", "学校代码": "school_code", "学校名称": "school_name", "学校": "school_name",
    "专业": "major", "培养层次": "level", "学制": "program_years", "学制(年)": "program_years",
    "学习形式": "study_mode", "生源类别": "student_source", "入学日期": "enroll_date",
    "注册日期": "register_date", "学籍状态": "status", "学期": "term", "资助学期": "term",
    "资助项目": "aid_type", "资助类型": "aid_type", "金额": "amount", "金额(元)": "amount",
    "申请日期": "apply_date", "申报日期": "apply_date", "发放日期": "pay_date", "发放方式": "pay_method",
    "资助卡号": "card_number", "学生签字": "signed", "签字": "signed",
}
FW = str.maketrans({chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)} | {"\u3000": " "})
WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
ACTIVE = {"在校", "在籍", "正常", "休学"}


def norm_header(h) -> str:
    return str(h).translate(FW).replace("*", "").replace("\n", "").replace(" ", "")


def read_table(path: str) -> pd.DataFrame:
    raw = pd.read_excel(path, engine="openpyxl", header=None, dtype=str)
    head = raw.head(20)
    scores = head.apply(lambda r: sum(norm_header(v) in ALIASES for v in r if isinstance(v, str)), axis=1)
    hr = int(scores.idxmax())
    df = raw.iloc[hr + 1:].copy()
    df.columns = [ALIASES.get(norm_header(h), f"_{i}") for i, h in enumerate(raw.iloc[hr])]
    df["row"] = np.arange(hr + 2, hr + 2 + len(df))
    df = df.dropna(how="all", subset=[c for c in df.columns if c != "row"])
    first = df.iloc[:, 0].fillna("").str.strip()
    return df[~first.str.match(r"^(合\s*计|总\s*计)")]


def clean(s: pd.Series) -> pd.Series:
    return s.str.translate(FW).str.replace(r"\s+", "", regex=True).replace("", np.nan)


def parse_dates(s: pd.Series) -> pd.Series:
    s = clean(s).str.replace(r"\s*00:00:00$", "", regex=True)
    serial = pd.to_numeric(s.where(s.str.fullmatch(r"\d{5}(\.0+)?", na=False)), errors="coerce")
    out = pd.to_datetime(serial, unit="D", origin="1899-12-30", errors="coerce")
    unified = s.str.replace(r"[年月/.]", "-", regex=True).str.replace("日", "", regex=False)
    eight = s.str.fullmatch(r"\d{8}", na=False)
    unified = unified.where(~eight, s.str[:4] + "-" + s.str[4:6] + "-" + s.str[6:8])
    other = pd.to_datetime(unified, format="%Y-%m-%d", errors="coerce")
    return out.fillna(other)


def id_checks(raw: pd.Series) -> pd.DataFrame:
    s = clean(raw).str.upper()
    numeric = s.str.fullmatch(r"\d(\.\d+)?E\+?\d+|\d+\.\d+", na=False) | (
        s.str.fullmatch(r"\d{18}", na=False) & s.str.endswith("000"))
    shape = s.str.fullmatch(r"\d{17}[\dX]", na=False)
    digits = s.where(shape, "0" * 18).str[:17]
    mat = np.frombuffer("".join(digits.tolist()).encode(), dtype=np.uint8).reshape(-1, 17) - 48
    check = np.array(list("10X98765432"))[(mat * WEIGHTS).sum(axis=1) % 11]
    birth = pd.to_datetime(s.str[6:14], format="%Y%m%d", errors="coerce")
    ok = shape & (s.str[17] == check) & birth.notna()
    status = np.select([s.isna(), numeric, ~ok], ["empty", "numeric", "invalid"], "ok")
    gender = np.where(s.str[16].fillna("0").str.isdigit() & (s.str[16].fillna("0").astype(int) % 2 == 1), "男", "女")
    return pd.DataFrame({"id": s.where(ok), "id_status": status, "birth": birth.where(ok), "id_gender": gender},
                        index=raw.index)


def finding(df: pd.DataFrame, mask, rule: str, dataset: str, message) -> pd.DataFrame:
    part = df.loc[mask]
    return pd.DataFrame({"rule_id": rule, "dataset": dataset, "row": part["row"], "student_id": part.get("student_id"),
                         "name": part.get("name"), "school": part.get("school_name"),
                         "message": message if isinstance(message, str) else message[mask]})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("roster")
    ap.add_argument("aid")
    ap.add_argument("--as-of", default="2019-06-30")
    ap.add_argument("--out", default="baseline-report")
    a = ap.parse_args()
    times: dict[str, float] = {}
    t = time.perf_counter()
    roster = read_table(a.roster)
    times["read roster (openpyxl)"] = time.perf_counter() - t
    t = time.perf_counter()
    aid = read_table(a.aid)
    times["read aid (openpyxl)"] = time.perf_counter() - t

    t = time.perf_counter()
    ids = id_checks(roster["id_number"])
    roster = roster.join(ids)
    for c in ("birth_date", "enroll_date", "register_date"):
        roster[c + "_d"] = parse_dates(roster[c])
    roster["name"] = clean(roster["name"])
    roster["status_n"] = clean(roster["status"])
    roster["mode"] = clean(roster["study_mode"])
    aid = aid.join(id_checks(aid["id_number"]).add_prefix("aid_"))
    for c in ("apply_date", "pay_date"):
        aid[c + "_d"] = parse_dates(aid[c])
    aid["name"] = clean(aid["name"])
    term = clean(aid["term"])
    year = term.str.extract(r"^(\d{4})", expand=False).astype(float)
    spring = term.str.contains("春|第二学期", na=False)
    year = year + (term.str.contains("第二学期", na=False)).astype(int)
    aid["term_year"], aid["spring"] = year, spring
    aid["amount_n"] = pd.to_numeric(clean(aid["amount"]).str.replace(r"[,元]", "", regex=True), errors="coerce")
    aid["aid_type_n"] = clean(aid["aid_type"]).replace({"助学金": "国家助学金"})
    times["normalise"] = time.perf_counter() - t

    t = time.perf_counter()
    f = []
    f.append(finding(roster, ids["id_status"] == "invalid", "S003", "roster", "身份证号无效"))
    f.append(finding(roster, ids["id_status"] == "numeric", "S004", "roster", "身份证号被存成数字"))
    for c in ("name", "school_name", "status"):
        f.append(finding(roster, roster[c].isna(), "S002", "roster", f"{c} 为空"))
    for c in ("birth_date", "enroll_date", "register_date"):
        f.append(finding(roster, roster[c].notna() & roster[c + "_d"].isna(), "S006", "roster", f"{c} 无法识别"))
    f.append(finding(roster, ~roster["mode"].isin(["全日制", "非全日制"]), "S007", "roster", "学习形式不在范围"))
    g = clean(roster["gender"])
    f.append(finding(roster, roster["id"].notna() & g.isin(["男", "女"]) & (g != roster["id_gender"]), "S005",
                     "roster", "性别与身份证号不符"))
    active = roster["status_n"].isin(ACTIVE) & roster["id"].notna()
    counts = roster[active].groupby("id")["id"].transform("size")
    dup = pd.Series(False, index=roster.index)
    dup.loc[counts.index] = counts > 1
    f.append(finding(roster, dup, "R101", "roster", "重复注册"))
    full = roster["mode"] == "全日制"
    src = clean(roster["student_source"])
    f.append(finding(roster, full & src.isin(["企业职工", "在职职工"]), "R103", "roster", "在职人员注册为全日制"))
    f.append(finding(roster, full & src.isin(["务农农民", "服刑人员"]), "R104", "roster", "特殊群体注册为全日制"))
    age = (roster["enroll_date_d"] - roster["birth"]).dt.days / 365.25
    f.append(finding(roster, full & (age >= 25), "R107", "roster", "超龄全日制"))
    e = roster["enroll_date_d"]
    deadline = pd.to_datetime(e.dt.year.astype("Int64").astype(str) + np.where(e.dt.month <= 6, "-04-20", "-10-20"),
                              errors="coerce")
    f.append(finding(roster, roster["register_date_d"] > deadline, "R108", "roster", "新生注册逾期"))

    ref = roster[roster["id"].notna()].drop_duplicates("id").set_index("id")
    aid_id = aid["aid_id"]
    joined = aid.join(ref[["name", "mode", "status_n"]].add_prefix("r_"), on="aid_id")
    f.append(finding(aid, aid_id.notna() & joined["r_name"].isna(), "A302", "aid", "不在学籍名册"))
    f.append(finding(aid, joined["r_name"].notna() & (joined["r_name"] != aid["name"]), "S008", "aid", "姓名不一致"))
    f.append(finding(aid, joined["r_mode"] == "非全日制", "A301", "aid", "非全日制学生领取资助"))
    dups = aid.duplicated(["aid_id", "term_year", "spring", "aid_type_n"], keep=False) & aid_id.notna()
    f.append(finding(aid, dups, "A304", "aid", "重复发放"))
    ddl = pd.to_datetime(aid["term_year"].astype("Int64").astype(str) + np.where(aid["spring"], "-04-30", "-10-30"),
                         errors="coerce")
    f.append(finding(aid, aid["apply_date_d"] > ddl, "A306", "aid", "逾期申请"))
    grant = aid["aid_type_n"] == "国家助学金"
    f.append(finding(aid, grant & (aid["amount_n"] > 1000), "A308", "aid", "超标准发放"))
    method = clean(aid["pay_method"])
    f.append(finding(aid, grant & method.notna() & ~method.isin(["资助卡", "中职资助卡"]), "A309", "aid", "未通过资助卡发放"))
    signed = clean(aid["signed"]).str.lower()
    f.append(finding(aid, grant & aid["pay_date_d"].notna() & (signed.isna() | signed.isin(["否", "n", "0", "×"])),
                     "A310", "aid", "台账不完整"))
    findings = pd.concat(f, ignore_index=True)
    times["rules"] = time.perf_counter() - t

    t = time.perf_counter()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    findings.to_csv(out / "findings.csv", index=False, encoding="utf-8-sig")
    times["write csv"] = time.perf_counter() - t
    t = time.perf_counter()
    findings.to_excel(out / "findings.xlsx", index=False, engine="openpyxl")
    times["write xlsx (openpyxl)"] = time.perf_counter() - t
    per_rule = findings["rule_id"].value_counts().sort_index().to_dict()
    for k, v in times.items():
        print(f"{k:28} {v:8.2f} s", file=sys.stderr)
    print("@@RESULT@@" + json.dumps({"stages": times, "findings": len(findings), "per_rule": per_rule},
                                    ensure_ascii=False))


if __name__ == "__main__":
    main()
