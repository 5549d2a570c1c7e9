"""Build the demo exports in sample_data/ (deterministic). Run: python sample_data/build_sample_data.py

Three schools' exports in the messy forms of DATA.md, with planted cases of every rule.
sample_data/README.md lists what is planted where. Needs openpyxl and xlwt (test extra).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import xlwt

HERE = Path(__file__).resolve().parent
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英",
         "霞", "平", "刚", "桂英", "浩然", "子涵", "欣怡", "梓轩", "宇航", "思远", "雨涵", "佳怡", "俊杰", "晨曦", "一鸣",
         "嘉怡", "子豪", "诗琪", "博文", "天宇", "雅婷", "志强"]


def check_digit(body: str) -> str:
    return "10X98765432"[sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True)) % 11]


def luhn_card(body: str) -> str:
    """`body` with its Luhn check digit appended (a bank card number of JR/T 0008 form)."""
    total = 0
    for i, c in enumerate(reversed(body)):
        d = int(c) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


def make_id(region: str, birth: str, seq: int, male: bool) -> str:
    s = seq * 2 + (1 if male else 0)
    body = f"{region}{birth}{s % 1000:03d}"
    return body + check_digit(body)


SCHOOLS = {
    "东方技工学校": dict(code="4101001", region="410105", majors=["数控加工", "汽车维修", "电气自动化"]),
    "南山高级技工学校": dict(code="4403002", region="440305", majors=["计算机网络", "电子商务", "烹饪"]),
    "西城技师学院": dict(code="1101003", region="110102", majors=["机电一体化", "护理", "模具制造"]),
}


def base_students(school: str, n: int, prefix: str, start: int, intake: int | None = None) -> list[dict]:
    info = SCHOOLS[school]
    out = []
    for i in range(n):
        k = start + i
        male = k % 3 != 0
        year = 2008 + (k % 2)
        birth = f"{year}{(k % 12) + 1:02d}{(k * 7) % 27 + 1:02d}"
        year_in = intake or (2024 if k % 2 else 2025)
        out.append(dict(
            sid=f"{prefix}{year_in}{k:04d}", name=SURNAMES[k % len(SURNAMES)] + GIVEN[(k * 5) % len(GIVEN)],
            idn=make_id(info["region"], birth, k, male), gender="男" if male else "女",
            birth=f"{birth[:4]}-{birth[4:6]}-{birth[6:]}", school=school, code=info["code"],
            major=info["majors"][k % 3], level="中级工", years="3", mode="全日制", system="学年制",
            ctype="学历教育", source="应届初中毕业生", employer="", employed="否", hukou="农业" if k % 2 else "非农业",
            enroll=f"{year_in}-09-01", register=f"{year_in}-10-{10 + k % 8:02d}", grade=f"{year_in}级", status="在校",
            grad="", photo="", phone=f"1{3 + k % 6}{k:09d}"[:11], addr=f"{school[:2]}市人民路{k}号",
        ))
    return out


# ---------------------------------------------------------------- the planted cases
DONG = base_students("东方技工学校", 34, "D", 1)
NAN = base_students("南山高级技工学校", 25, "N", 101, intake=2024)
XI = base_students("西城技师学院", 15, "W", 201)

DUP_ID = make_id("410105", "20090312", 901, True)          # R101: 在校 at 东方 and 南山
MOVED_ID = make_id("410105", "20080720", 902, False)       # near-miss: 转出 at 东方, 在校 at 西城
OLD_ID15 = "410105980501123"                               # R107: 15-digit ID, born 1998
EMPLOYED_ID = NAN[6]["idn"]                                 # R103: in the 在职参保 list

DONG[0].update(name="", note="S002 姓名为空")
DONG[1].update(idn=DONG[1]["idn"][:17] + ("0" if DONG[1]["idn"][17] != "0" else "1"), note="S003 校验位错误")
DONG[2].update(idn=float("410105200806071234"), note="S004 身份证号存成数字")
DONG[3].update(birth="2007-01-01", note="S005 出生日期与身份证不符")
DONG[4].update(enroll="2024年13月1日", note="S006 日期无法识别")
DONG[5].update(mode="半日制", note="S007 学习形式不在范围")
DONG[6].update(source="企业职工", note="R103 生源为企业职工")
DONG[7].update(employer="郑州宇通客车股份有限公司", employed="是", note="R103 有工作单位")
DONG[8].update(source="务农农民", note="R104 务农农民注册全日制")
DONG[9].update(ctype="短期培训", years="0.5", note="R105 短期培训")
DONG[10].update(system="弹性学制", note="R106 弹性学制 + 全日制")
DONG[11].update(idn=OLD_ID15, birth="1998-05-01", name="郭建军", gender="男", enroll="2024-09-01", register="2024-10-12", note="R107 入学时 26 岁（15 位旧号）")
DONG[12].update(enroll="2024-09-01", register="2024-10-28", note="R108 注册逾期（截止 10-20）")
DONG[13].update(enroll="2024-09-01", register="2024-10-20", note="近似：截止日当天注册，不报 R108")
DONG[14].update(enroll="2022-09-01", register="2022-10-15", status="毕业", grad="2024-01-15", photo="是", grade="2022级", note="R109 学制未满提前毕业")
DONG[15].update(enroll="2021-09-01", register="2021-10-15", status="毕业", grad="2024-07-01", photo="否", grade="2021级", note="R109 毕业无照片")
DONG[16].update(idn=DUP_ID, name="赵一鸣", birth="2009-03-12", gender="男", note="R101 与南山重复在校")
DONG[17].update(idn=MOVED_ID, name="钱晓雨", birth="2008-07-20", gender="女", status="转出", note="近似：转出后在西城在校，不报 R101")
DONG[18].update(status="退学", enroll="2024-09-01", note="退学 2024-12-02，却领 2025 春助学金（A303）")
DONG[19].update(mode="非全日制", enroll="2024-09-01", register="2024-10-12", note="非全日制，却领助学金（A301）")
DONG[20].update(enroll="2022-09-01", register="2022-10-15", grade="2022级", note="第 3 学年领国家助学金（A305）")
DONG[21].update(enroll="2023-09-01", register="2023-10-15", grade="2023级", note="近似：第 2 学年春季领助学金，不报 A305")

NAN[0].update(idn=DUP_ID, name="赵一鸣", birth="2009-03-12", gender="男", note="R101 与东方重复在校")
NAN[1].update(name="王建国", idn=make_id("440305", "20090315", 903, True), birth="2009-03-15", gender="男",
              note="R102 与西城王建国同名同生日不同号")
NAN[2].update(source="服刑犯人", note="R104 服刑人员注册全日制（同义词）")
NAN[3].update(idn="4.40305E+17", note="S004 科学计数法")
NAN[4].update(note="C203 已退学却仍在校")
NAN[6].update(note="R103 在职参保名单中")
for s in NAN[10:14]:
    s.update(note="C202 一周内大批异动")
    s["status"] = "休学"

# Appended after the original rows, so that the rows named above keep their numbers.
DONG_EXTRA = base_students("东方技工学校", 10, "D", 35)
SHARED_ADDR = ["河南省郑州市金水区文化路8号3栋2单元501室", "郑州市金水区文化路8号3幢2单元501", "金水区文化路８号３栋２单元５０１室",
               "郑州金水区文化路8#3-2-501"]
for s, a in zip(DONG_EXTRA[0:4], SHARED_ADDR, strict=True):
    s.update(addr=a, note="R110 四名学生同一家庭住址（写法不同）")
TWIN_BIRTH = "2009-06-18"
for j, s in enumerate(DONG_EXTRA[4:7]):
    s.update(phone="139 3715 2468", addr="郑州市金水区经三路66号1栋101室", note="近似：双胞胎和姐姐三人共用电话和住址，不报 R110")
    if j < 2:
        s.update(birth=TWIN_BIRTH, idn=make_id("410105", TWIN_BIRTH.replace("-", ""), 910 + j, j == 0),
                 gender="男" if j == 0 else "女")
DONG_EXTRA[7].update(enroll="2026-09-01", register="2026-10-12", grade="2026级", photo_reg="否",
                     note="R112 2026 年秋季入学的新生没有学籍照片")
DONG_EXTRA[8].update(enroll="2026-09-01", register="2026-10-12", grade="2026级", photo_reg="D20260043.jpg",
                     note="近似：照片列写的是照片文件名，有照片，不报 R112")
DONG_EXTRA[9].update(idn=make_id("410198", "20090101", 911, True), birth="2009-01-01", gender="男",
                     note="R111 地址码 410198 从未分配")
DONG += DONG_EXTRA

# A student whose document is a passport (证件类型 column): no S003, the number is still a key.
XI_PASSPORT = dict(XI[13], sid="W20250217", name="Kim Min Jun", idn="M12345678", birth="2008-04-02", gender="男",
                   doc="护照", note="近似：护照号码，证件类型为护照，不报 S003；外文姓名保留空格")
XI[0].update(idn=MOVED_ID, name="钱晓雨", birth="2008-07-20", gender="女", note="近似：转入西城在校")
XI[1].update(name="王建国", idn=make_id("110102", "20090315", 904, True), birth="2009-03-15", gender="男",
             note="R102 与南山王建国同名同生日不同号")
XI[2].update(years="半年", note="R105 学制不足 1 年")
XI[5].update(status="休学", note="C201 休学未申报")
XI.append(dict(XI[14], sid="W20250216", name="崔文博", idn=make_id("110103", "20080616", 912, True), birth="2008-06-16",
               gender="男", note="近似：地址码 110103（崇文区，2010 年撤销），不报 R111"))
XI.append(XI_PASSPORT)
# R110: four 南山 students on one mobile number, written four ways
for s, ph in zip(NAN[21:25], ["13820001234", "138 2000 1234", "+86 138-2000-1234", "８６１３８２０００１２３４"], strict=True):
    s.update(phone=ph, note="R110 四名学生同一手机号（写法不同）")

# Messy forms in the 东方 workbook: every date format of DATA.md, a lower-case x, full-width digits.
DATE_STYLES = ["{y}/{m}/{d}", "{y}.{m:02d}.{d:02d}", "{y}{m:02d}{d:02d}", "{y}年{m}月{d}日", "{y}-{m:02d}-{d:02d} 00:00:00",
               "serial", "{y}年{m}月"]


def styled(date: str, k: int):
    if not date or not date[:4].isdigit() or "年" in date:
        return date
    y, m, d = (int(x) for x in date.split("-"))
    st = DATE_STYLES[k % len(DATE_STYLES)]
    if st == "serial":
        import datetime as dt

        return (dt.date(y, m, d) - dt.date(1899, 12, 30)).days
    return st.format(y=y, m=m, d=d)


def fullwidth(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in s)


ROSTER_HEAD = ["序号", "*学籍号", "*姓名", "*身份证号码", "性别", "出生日期", "学校名称", "学校代码", "专业", "培养层次",
               "*学制（年）", "*学习\n形式", "学制类型", "班级类型", "生源类别", "工作单位", "是否在职", "户口性质",
               "*入学日期", "注册日期", "年级", "*学籍状态", "毕（结）业日期", "毕业照片", "联系电话", "家庭住址", "学籍照片"]


def roster_values(s: dict, i: int, messy: bool) -> list:
    idn = s["idn"]
    if messy and isinstance(idn, str) and i == 3:
        idn = fullwidth(idn)
    if messy and isinstance(idn, str) and idn.endswith("X"):
        idn = idn[:-1] + "x"
    enroll = styled(s["enroll"], i) if messy else s["enroll"]
    return [i + 1, s["sid"], s["name"], idn, s["gender"], s["birth"], s["school"], s["code"], s["major"], s["level"],
            s["years"] + ("年" if messy and i % 4 == 1 else ""), s["mode"], s["system"], s["ctype"], s["source"],
            s["employer"], s["employed"], s["hukou"], enroll, s["register"], s["grade"],
            {"在校": "在籍"}.get(s["status"], s["status"]) if messy and i % 5 == 2 else s["status"],
            s["grad"], s["photo"], s["phone"], s["addr"], s.get("photo_reg", "" if i % 7 == 3 else "是")]


def write_dong() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "2024秋学生名册"
    ws.append(["东方技工学校2024年秋季学期学生名册"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=10)
    ws.append(["填报单位：东方技工学校（盖章）", None, None, None, None, None, None, None, "填报日期：2025年1月6日"])
    ws.append(ROSTER_HEAD)
    for i, s in enumerate(DONG):
        ws.append(roster_values(s, i, messy=True))
        if i == 9:
            ws.append([])  # a blank row in the middle
    ws.append(["合计", f"{len(DONG)}人"])
    wb.save(HERE / "学籍名册_东方技工学校.xlsx")


def write_nan() -> None:
    head = ["学籍号", "学生姓名", "身份证号", "性别", "出生年月", "学校", "专业名称", "学制", "学习方式", "生源类型",
            "工作单位", "入学时间", "学籍注册日期", "学籍状态", "联系电话"]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(head)
    for s in NAN:
        w.writerow([s["sid"], f" {s['name']} ", s["idn"], s["gender"], s["birth"][:7].replace("-", "年") + "月",
                    s["school"], s["major"], "三年", s["mode"], s["source"], s["employer"],
                    s["enroll"].replace("-", "/"), s["register"], s["status"], s["phone"]])
    (HERE / "学籍名册_南山高级技工学校.csv").write_bytes(buf.getvalue().encode("gb18030"))


def write_xi() -> None:
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("学生名册")
    head = ["学籍号", "姓名", "证件类型", "公民身份号码", "性别", "出生日期", "技工院校名称", "专业", "学制", "学习形式",
            "班级类型", "入学日期", "注册日期", "学籍状态"]
    for c, h in enumerate(head):
        ws.write(0, c, h)
    for r, s in enumerate(XI, start=1):
        vals = [s["sid"], s["name"], s.get("doc", "居民身份证"), s["idn"], s["gender"], s["birth"], s["school"], s["major"],
                s["years"], s["mode"], s["ctype"], s["enroll"], s["register"], s["status"]]
        for c, v in enumerate(vals):
            ws.write(r, c, v)
    extra = wb.add_sheet("补录名单")
    for c, h in enumerate(["学籍号", "姓名", "身份证号", "学校名称", "学籍状态"]):
        extra.write(0, c, h)
    extra.write(1, 0, "W20250999")
    extra.write(1, 1, "孙小梅")
    extra.write(1, 2, make_id("110102", "20090909", 905, False))
    extra.write(1, 3, "西城技师学院")
    extra.write(1, 4, "在校")
    wb.save(str(HERE / "学籍名册_西城技师学院.xls"))


CHANGE_HEAD = ["学籍号", "姓名", "身份证号", "学校名称", "异动类型", "异动日期", "申报日期", "审批状态"]


def write_changes() -> None:
    rows = [
        # C201: 2024-09-27 → 2024-10-17 is 11 working days across National Day (late)
        [DONG[12]["sid"], DONG[12]["name"], DONG[12]["idn"], "东方技工学校", "转专业", "2024-09-27", "2024-10-17", "已通过"],
        # near-miss: reported on the 10th working day (2024-10-16)
        [DONG[13]["sid"], DONG[13]["name"], DONG[13]["idn"], "东方技工学校", "转专业", "2024-09-27", "2024-10-16", "已通过"],
        # A303 source: 退学 on 2024-12-02, reported on time
        [DONG[18]["sid"], DONG[18]["name"], DONG[18]["idn"], "东方技工学校", "退学", "2024-12-02", "2024-12-06", "已通过"],
        # 转出 of the near-miss R101 student
        [DONG[17]["sid"], DONG[17]["name"], DONG[17]["idn"], "东方技工学校", "转出", "2025-02-24", "2025-02-28", "已通过"],
        # C201 not reported at all
        [XI[5]["sid"], XI[5]["name"], XI[5]["idn"], "西城技师学院", "休学", "2025-11-03", "", "待审核"],
        # C203: 退学 but the roster still says 在校
        [NAN[4]["sid"], NAN[4]["name"], NAN[4]["idn"], "南山高级技工学校", "退学", "2025-01-10", "2025-01-15", "已通过"],
    ]
    # C202: four 休学 at 南山 within one week (16% of its 25 students)
    for k, s in enumerate(NAN[10:14]):
        rows.append([s["sid"], s["name"], s["idn"], "南山高级技工学校", "休学", f"2025-03-0{3 + k}", f"2025-03-0{4 + k}",
                     "已通过"])
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "异动记录"
    ws.append(["2024—2025学年学籍异动申报记录（导出）"])
    ws.append(CHANGE_HEAD)
    for r in rows:
        ws.append(r)
    wb.save(HERE / "学籍异动记录_2024-2025.xlsx")


AID_HEAD = ["学籍号", "姓名", "身份证号", "学校名称", "学期", "资助类型", "金额(元)", "在校年级", "申报日期", "审批日期",
            "发放日期", "发放方式", "资助卡号", "学生签字", "审批状态"]


def card_of(s: dict) -> str:
    """The student's own aid card: 19 digits, Luhn-valid."""
    return luhn_card("621700" + s["sid"][1:].rjust(12, "0"))


def aid_row(s: dict, term="2024-2025学年第一学期", typ="国家助学金", amount=1000, apply="2024-10-15",
            approved="2024-10-25", paid="2024-11-20", method="中职资助卡", card=None, signed="是", name=None,
            status="已通过") -> list:
    card = card if card is not None else card_of(s)
    return [s["sid"], name or s["name"], s["idn"], s["school"], term, typ, amount, "", apply, approved, paid, method,
            card, signed, status]


def write_aid() -> None:
    grant, fee = [], []
    # ordinary recipients: 2024 intake students of 东方 (odd k) and 南山
    dong_ok = [s for s in DONG[:] if s["enroll"].startswith("2024") and not s.get("note")]
    for s in dong_ok + [s for s in NAN[14:20]]:
        grant.append(aid_row(s, term="2024秋"))
        fee.append(aid_row(s, term="2024年秋季学期", typ="免学费", amount=1500, method="", card="", signed=""))
    grant.append(aid_row(DONG[19], term="2024秋"))                                  # A301 非全日制
    stranger = dict(DONG[21], sid="D20249999", name="林虚构", idn=make_id("410105", "20080808", 906, True))
    grant.append(aid_row(stranger, term="2024秋"))                                  # A302 not in roster
    grant.append(aid_row(DONG[18], term="2024-2025学年第二学期", apply="2025-04-10", approved="2025-04-20",
                         paid="2025-05-10"))                                        # A303 after 退学
    grant.append(aid_row(NAN[14], term="2024年秋季学期"))                           # A304 duplicate of a row above
    grant.append(aid_row(DONG[20], term="2024秋"))                                  # A305 3rd year
    grant.append(aid_row(DONG[21], term="2025春", apply="2025-04-15", approved="2025-04-25",
                         paid="2025-05-15"))                                        # near-miss A305: 2nd year spring
    grant.append(aid_row(NAN[15], term="2025春", apply="2025-05-06", approved="2025-05-10",
                         paid="2025-05-20"))                                        # A306 late application
    grant.append(aid_row(DONG[11], term="2024秋"))                                  # A307 over-age
    grant.append(aid_row(NAN[16], term="2025春", amount=2000, apply="2025-04-10", approved="2025-04-20",
                         paid="2025-05-10"))                                        # A308 above standard
    grant.append(aid_row(NAN[17], term="2025春", method="现金", apply="2025-04-10", approved="2025-04-20",
                         paid="2025-05-10"))                                        # A309 cash
    grant.append(aid_row(NAN[18], term="2025春", signed="否", apply="2025-04-10", approved="2025-04-20",
                         paid="2025-05-10"))                                        # A310 not signed
    grant.append(aid_row(NAN[19], term="2025春", card="", apply="2025-04-10", approved="2025-04-20",
                         paid="2025-05-10"))                                        # A310 no card number
    grant.append(aid_row(NAN[20], term="2025春", name="张玮" if NAN[20]["name"] != "张玮" else "张伟",
                         apply="2025-04-10", approved="2025-04-20", paid="2025-05-10"))  # S008 name differs
    shared = card_of(dong_ok[0])
    grant.append(aid_row(NAN[21], term="2025春", card=" ".join(shared[i:i + 4] for i in range(0, 19, 4)),
                         apply="2025-04-10", approved="2025-04-20", paid="2025-05-10"))  # A311 东方 student's card
    grant.append(aid_row(NAN[22], term="2025春", apply="2025-04-10", approved="2025-04-25",
                         paid="2025-04-20"))                                        # A312 paid before approval
    grant.append(aid_row(NAN[23], term="2025春", apply="2025-04-10", approved="", paid="2025-05-10",
                         status="待审核"))                                           # A312 paid while pending
    grant.append(aid_row(NAN[24], term="2025春", apply="2025-04-10", approved="2025-04-25",
                         paid="2025-04-25"))                                        # near-miss A312: same day
    fee[1][12] = card_of(dong_ok[1])   # near-miss A311: the same student's grant and fee waiver on one card
    fee[2][12] = "6.21700E+18"         # S004: a card number Excel turned into a number
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "国家助学金"
    ws.append(["2024—2025学年中职国家助学金申报发放明细"])
    ws.append(AID_HEAD)
    for r in grant:
        ws.append(r)
    ws2 = wb.create_sheet("免学费")
    ws2.append(AID_HEAD)
    for r in fee:
        ws2.append(r)
    ws2.append(["合计", None, None, None, None, None, sum(r[6] for r in fee)])
    wb.save(HERE / "资助申报发放_2024-2025.xlsx")
    return dong_ok


def write_publicity(dong_ok: list[dict]) -> None:
    # 东方: 4 working days (P401), ID and phone columns (P402), two recipients left out (P403)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "公示"
    ws.append(["东方技工学校2024年秋季学期国家助学金受助学生名单公示"])
    ws.append(["公示时间：2024年11月4日至2024年11月7日，如有异议请向学生资助管理办公室反映。"])
    ws.append(["序号", "姓名", "学校", "专业", "年级", "资助类型", "金额", "身份证号", "联系电话"])
    for i, s in enumerate(dong_ok[:-2]):
        ws.append([i + 1, s["name"], s["school"], s["major"], s["grade"], "国家助学金", 1000, s["idn"], s["phone"]])
    wb.save(HERE / "资助公示_东方技工学校.xlsx")
    # 南山: compliant — 5 working days, no personal data; the period, an objection line, the office's
    # phone numbers, 制表人/审核人 and the 落款 in a footer under the list (not records, no finding)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "公示名单"
    ws.append(["南山高级技工学校2024年秋季学期国家助学金公示名单"])
    ws.append(["序号", "姓名", "学校", "专业", "年级", "资助类型", "金额（元）"])
    for i, s in enumerate(NAN[14:20]):
        ws.append([i + 1, s["name"], s["school"], s["major"], s["grade"], "国家助学金", 1000])
    ws.append([])
    ws.append(["公示期：2024.11.4-2024.11.8"])
    ws.append(["如对以上名单有异议，请在公示期内向学校学生资助管理办公室实名反映。"])
    ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=7)  # a merged text line
    ws.append(["联系人：陈老师", None, "联系电话：0755-26881234", None, "监督电话：13926881234"])
    ws.append(["制表人：李红", None, "审核人：王强"])
    ws.append([None, None, None, None, "南山高级技工学校（盖章）"])
    ws.append([None, None, None, None, "2024年11月4日"])
    wb.save(HERE / "资助公示_南山高级技工学校.xlsx")


def write_employed() -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["姓名", "社会保障号码", "参保单位", "参保状态"])
    w.writerow([NAN[6]["name"], EMPLOYED_ID, "深圳市南山区某电子厂", "正常参保"])
    w.writerow(["路人甲", make_id("440305", "19900101", 907, True), "深圳市某物流公司", "正常参保"])
    (HERE / "在职参保人员名单.csv").write_bytes(("\ufeff" + buf.getvalue()).encode("utf-8"))


def main() -> None:
    write_dong()
    write_nan()
    write_xi()
    write_changes()
    dong_ok = write_aid()
    write_publicity(dong_ok)
    write_employed()


if __name__ == "__main__":
    main()
