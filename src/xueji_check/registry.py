"""The rule registry: every rule id of the catalogue (docs/rules.md) with its metadata, and the functions that
implement them. The one source of `xueji-check rules`, the README's rule table and the
policy file's keys.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

NOTICE = "人社厅发〔2018〕28号"


@dataclass
class Rule:
    id: str
    severity: str
    title: str  # Chinese
    title_en: str
    clause: str
    needs: dict[str, tuple[str, ...]]  # kind -> fields (all needed)
    doc: str  # what it does / why / example, Chinese
    func: Callable | None = None

    @property
    def family(self) -> str:
        return self.id[0]

    @property
    def implemented(self) -> bool:
        return self.func is not None or self.family == "S"


def _c(s: str) -> str:
    return f"{NOTICE} {s}"


_ROWS: list[tuple] = [
    # id, severity, title, title_en, clause, needs, doc
    ("S001", "error", "缺少必需列", "required column missing", _c("二（三）"), {},
     "文件缺少该类表格的必需列（如学籍名册缺「学籍状态」）。该文件不能参与检查；某类表格全部不能检查时退出码为 2。"),
    ("S002", "error", "必填值为空", "required value empty", _c("二（三）"), {},
     "必需列的单元格为空。学籍信息须完整准确（二（三））。"),
    ("S003", "error", "身份证号无效", "invalid ID number", _c("二（一）"), {},
     "身份证号长度或字符不对、出生日期不存在，或 GB 11643 校验位错误。无效号码不参与跨表匹配。"),
    ("S004", "error", "身份证号被存成数字", "ID number stored as a number", _c("二（一）"), {},
     "身份证号被 Excel 存成数字或科学计数法（如 4.10105E+17），后几位已丢失、无法恢复；请把该列设为文本后重新导出。"),
    ("S005", "warning", "出生日期或性别与身份证号不符", "birth date or gender disagrees with the ID", _c("二（三）"), {},
     "出生日期列或性别列与身份证号中的出生日期、性别码不一致。"),
    ("S006", "error", "日期无法识别", "unreadable date", _c("二（三）"), {},
     "日期单元格无法识别为日期（支持 2018-09-01、2018/9/1、2018.09.01、20180901、2018年9月1日、Excel 序列号等）。"),
    ("S007", "error", "取值不在规定范围", "value outside its enumeration", _c("二（三）"), {},
     "枚举列的值不在规定范围（如学习形式=半日制），或数值不可读/超出范围（如金额为负）。同义词见 schemas/*.toml。"),
    ("S008", "warning", "同一学生在不同文件中姓名不一致", "same student with different names", _c("二（三）"), {},
     "同一身份证号（或学籍号）在学籍名册与资助/异动表中的姓名不同，可能录错或冒名。"),
    ("R101", "error", "重复注册学籍", "duplicate registration", _c("二（二）二（三）"),
     {"roster": ("id_number", "status")},
     "同一身份证号在多行处于在校或休学状态（同一文件内或跨文件、跨学校）。15 位与 18 位号码视为同一人。一校转出、另一校在校不算重复。"),
    ("R102", "warning", "疑似异号重复注册", "suspected duplicate under different IDs", _c("二（三）"),
     {"roster": ("name", "id_number", "status")},
     "姓名、出生日期、性别相同而身份证号不同，且都在校或休学：疑似同一人用不同号码重复注册，需人工核实。"),
    ("R103", "error", "在职职工注册为全日制", "employed worker registered full-time", _c("二（二）"),
     {"roster": ("study_mode",)},
     "学习形式为全日制，而生源类别为企业职工/在职职工、或填有工作单位、或是否在职=是、或身份证号在 --employed 在职参保名单中。"),
    ("R104", "error", "务农农民/服刑人员注册为全日制", "special group registered full-time", _c("二（二）"),
     {"roster": ("study_mode", "student_source")},
     "招收务农农民、服刑人员等特定人员只能注册为非全日制学籍。"),
    ("R105", "error", "短期培训学员注册正式学籍", "short-term trainee given a formal registration", _c("二（二）"),
     {"roster": ()},
     "班级类型为短期培训/职业培训，或学制不足 1 年：不得注册为技工院校正式学籍。"),
    ("R106", "warning", "弹性学制/学分制学生注册为全日制", "flexible/credit-system student coded full-time", _c("二（二）"),
     {"roster": ("schooling_system", "study_mode")},
     "采用弹性学制、学分制开展非全日制教育的学生应与全日制学籍区分，单独注册。"),
    ("R107", "warning", "大龄全日制学生", "over-age full-time student", _c("四（一）"),
     {"roster": ("id_number", "enroll_date", "study_mode")},
     "按身份证出生日期计算的入学时周岁 ≥ over_age（默认 25）的全日制学生，需加大审核力度。"),
    ("R108", "error", "新生学籍注册逾期", "late new-student registration", _c("二（一）"),
     {"roster": ("register_date", "enroll_date")},
     "注册日期晚于入学学期的注册期限（春季 04-20，秋季 10-20，入学月份 1–6 为春季、7–12 为秋季）。截止日当天注册不算逾期。"),
    ("R109", "warning", "提前毕业或毕业无照片", "graduation before the programme ends / without photo", _c("二（四）"),
     {"roster": ("status",)},
     "状态为毕业而毕业日期早于入学日期加学制超过 graduation_tolerance_days 天（默认 92 天：只容许 31 天会把 9 月入学、6–7 月正常毕业的学生全部标出，故放宽，可在策略文件调整）；或状态为毕业而未上传毕业照片（有该列时）。"),
    ("C201", "error", "学籍异动申报逾期", "change reported late", _c("二（三）"),
     {"changes": ("occurred_date",)},
     "异动发生之日起（不含当日）至申报日（含当日）超过 10 个工作日（按国务院节假日安排，含调休上班日）。未申报且截至 --as-of 已超过期限的，报为未申报。"),
    ("C202", "warning", "大批量学籍异动", "bulk changes", _c("四（一）"),
     {"changes": ("occurred_date", "school_name")},
     "同一学校在任意 window 个工作日内异动人数 ≥ count，或达到在校生的 share 比例。"),
    ("C203", "warning", "学籍状态与异动记录不一致", "roster and changes disagree", _c("二（三）"),
     {"roster": ("status",), "changes": ("change_type", "occurred_date")},
     "最近一次异动为退学/转出/休学/毕业而名册仍为在校，或最近一次异动为复学/转入而名册不是在校。"),
    ("A301", "error", "非全日制或培训学员享受资助", "aid to a part-time student or trainee", _c("三（二）"),
     {"aid": (), "roster": ()},
     "资助对象在学籍名册中为非全日制，或班级类型为培训。"),
    ("A302", "error", "资助对象不在学籍名册", "aid to a student not in the roster", _c("三（二）"),
     {"aid": (), "roster": ()},
     "资助表中的学生按身份证号（其次学籍号）在学籍名册中找不到：可能是虚假学籍。"),
    ("A303", "error", "非在籍学期享受资助", "aid for a term without enrolment", _c("三（二）"),
     {"aid": ("term",), "roster": ()},
     "学生在该学期开始前已退学/转出/毕业/开除/死亡，或入学日期在该学期结束之后。"),
    ("A304", "error", "同一学期重复资助", "same aid paid twice in a term", _c("三（五）"),
     {"aid": ("term", "aid_type")},
     "同一学生同一学期同一资助类型出现多行（同校或跨校），每行都标出。"),
    ("A305", "error", "超出资助年限", "outside the years covered", _c("三（一）"),
     {"aid": ("term", "aid_type")},
     "国家助学金仅限第 1–2 学年，免学费仅限第 1–3 学年（学年由入学日期与学期推算，或用在校年级）。"),
    ("A306", "error", "资助申报逾期", "late aid application", _c("三（三）"),
     {"aid": ("term", "apply_date")},
     "申报日期晚于该学期期限（春季 04-30，秋季 10-30），逾期不予补报。"),
    ("A307", "warning", "大龄资助申请", "over-age aid applicant", _c("四（一）"),
     {"aid": ("term", "id_number")},
     "学期开始时周岁 ≥ over_age（默认 25）的资助申请，需加大审核力度。"),
    ("A308", "error", "资助金额超标", "amount above the standard", _c("三（一）"),
     {"aid": ("aid_type", "amount")},
     "国家助学金金额超过每学期标准 grant_per_term（默认 1000 元，即每年 2000 元）。"),
    ("A309", "error", "助学金未通过资助卡发放", "grant not paid through the aid card", _c("三（五）"),
     {"aid": ("aid_type", "pay_method")},
     "国家助学金的发放方式已填写且不是资助卡/中职资助卡（aid_card_methods）。"),
    ("A310", "warning", "发放台账不完整", "ledger incomplete", _c("三（五）"),
     {"aid": ("aid_type", "pay_date")},
     "已发放（有发放日期）的国家助学金缺学生签字（空/否），或缺资助卡号。"),
    ("P401", "error", "公示期不足", "publicity period too short", _c("三（四）"),
     {"publicity": ()},
     "公示期（首尾两天都算）少于 5 个工作日。公示期取自 --publicity-start/--publicity-end、公示开始/结束日期列或标题行。"),
    ("P402", "error", "公示了个人敏感信息", "sensitive personal data published", _c("三（四）") + "；教财厅函〔2017〕28号",
     {"publicity": ()},
     "公示名单含身份证号、家庭住址、电话、出生日期、银行卡号等列，或单元格中出现身份证号、手机号、银行卡号、完整出生日期。每个列一条，附单元格数。"),
    ("P403", "warning", "受助学生未公示", "approved recipients not publicised", _c("三（四）"),
     {"publicity": ("name",), "aid": ("name",)},
     "资助表中已审批的学生不在公示名单中（按姓名+学校匹配，公示名单不含身份证号）。"),
]

CATALOG: dict[str, Rule] = {
    r[0]: Rule(id=r[0], severity=r[1], title=r[2], title_en=r[3], clause=r[4], needs=r[5], doc=r[6])
    for r in _ROWS
}


def implements(rule_id: str) -> Callable[[Callable], Callable]:
    """Attach a rule function to its catalogue entry."""

    def deco(fn: Callable) -> Callable:
        CATALOG[rule_id].func = fn
        return fn

    return deco


def load_rule_modules() -> None:
    """Import every rule family so that their functions register."""
    import importlib
    import pkgutil

    from xueji_check import rules

    for mod in pkgutil.iter_modules(rules.__path__):
        importlib.import_module(f"xueji_check.rules.{mod.name}")


def markdown_table() -> str:
    """The README's rule table, generated from the catalogue (tests keep README in sync)."""
    sev = {"error": "错误", "warning": "警告", "info": "提示"}
    lines = ["| 编号 | 级别 | 名称 | 依据 |", "|---|---|---|---|"]
    for r in CATALOG.values():
        lines.append(f"| {r.id} | {sev[r.severity]} | {r.title} | {r.clause} |")
    return "\n".join(lines)
