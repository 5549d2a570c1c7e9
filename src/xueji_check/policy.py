"""The policy: thresholds, deadlines, severities. Defaults built in, `xueji.toml` overrides.

One frozen object is built per run; nothing reads global state.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_SALT = "xueji-check"  # public: a province sets its own (README 数据安全)


class PolicyError(Exception):
    """A bad policy file; the message is Chinese."""


_MD = re.compile(r"^(\d{2})-(\d{2})$")
SEASONS = ("spring", "autumn")


@dataclass(frozen=True)
class Policy:
    over_age: int = 25
    grant_per_term: float = 1500
    grant_years: int = 2
    fee_waiver_years: int = 3
    change_report_workdays: int = 10
    publicity_workdays: int = 5
    graduation_tolerance_days: int = 92
    contact_cluster_max: int = 3
    aid_card_methods: tuple[str, ...] = ("资助卡", "中职资助卡")
    terms: dict[str, str] = field(default_factory=lambda: {"spring": "03-01", "autumn": "09-01"})
    deadlines: dict[str, dict[str, str]] = field(default_factory=lambda: {
        "registration": {"spring": "04-20", "autumn": "10-20"},
        "aid_application": {"spring": "04-30", "autumn": "10-30"},
    })
    deadline_years: dict[int, dict[str, dict[str, str]]] = field(default_factory=dict)
    bulk_count: int = 50
    bulk_share: float = 0.10
    bulk_window: int = 10
    extra_holidays: tuple[dt.date, ...] = ()
    extra_workdays: tuple[dt.date, ...] = ()
    severity: dict[str, str] = field(default_factory=dict)
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fingerprint_salt: str = DEFAULT_SALT
    # a school's other names (简称, an old name) -> the name its rosters use
    school_aliases: dict[str, str] = field(default_factory=dict)
    # folder of the column store kept between runs (`--cache`); None: a temporary one per run
    cache: str | None = None
    source: str | None = None

    # ---------------------------------------------------------------- queries
    def deadline(self, name: str, season: str, year: int) -> dt.date:
        md = self.deadline_years.get(year, {}).get(name, {}).get(season) or self.deadlines[name][season]
        return _on_year(md, year)

    def term_start(self, season: str, year: int) -> dt.date:
        return _on_year(self.terms[season], year)

    def term_end(self, season: str, year: int) -> dt.date:
        """The day before the next term starts."""
        nxt = self.term_start("autumn", year) if season == "spring" else self.term_start("spring", year + 1)
        return nxt - dt.timedelta(days=1)

    def rule_enabled(self, rule_id: str) -> bool:
        if self.severity.get(rule_id) == "off":
            return False
        if self.select and not any(rule_id.startswith(p) for p in self.select):
            return False
        return not any(rule_id.startswith(p) for p in self.ignore)

    def severity_of(self, rule_id: str, default: str) -> str:
        return self.severity.get(rule_id, default)

    def differences(self) -> dict[str, Any]:
        """Keys whose value differs from the defaults, shown as `as_json` shows them (for the
        summary sheet)."""
        base = Policy()
        shown = self.as_json()
        return {k: shown[k] for k in self.__dataclass_fields__
                if k != "source" and getattr(self, k) != getattr(base, k)}

    def as_json(self) -> dict[str, Any]:
        """The policy as the reports show it (findings.json `run.policy`, 总览, report.html): a
        salt of one's own is never shown (only that it is set, and a check code to compare two
        runs by), and ID-, mobile- and card-shaped numbers in any value are masked."""
        from xueji_check.pii import mask_text

        def shown(v: Any) -> Any:
            if isinstance(v, str):
                return mask_text(v)
            if isinstance(v, (list, tuple)):
                return [shown(str(x) if isinstance(v, tuple) else x) for x in v]
            if isinstance(v, dict):
                return {mask_text(str(a)): shown(b) for a, b in v.items()}
            if isinstance(v, (int, float)) and not isinstance(v, bool) and mask_text(str(v)) != str(v):
                return mask_text(str(v))  # a number of a mobile's or an ID's shape typed as a value
            return v

        out = {k: shown(getattr(self, k)) for k in self.__dataclass_fields__}
        if self.fingerprint_salt != DEFAULT_SALT:
            check = hashlib.sha256(self.fingerprint_salt.encode("utf-8")).hexdigest()[:8]
            out["fingerprint_salt"] = f"（已设置，不显示；校验码 {check}）"
        return out


def _on_year(md: str, year: int) -> dt.date:
    """A "MM-DD" on a given year; 02-29 falls back to 02-28 in a common year."""
    m, d = (int(x) for x in md.split("-"))
    try:
        return dt.date(year, m, d)
    except ValueError:
        return dt.date(year, m, 28)


TOP_KEYS = {
    "over_age": int, "grant_per_term": (int, float), "grant_years": int, "fee_waiver_years": int,
    "change_report_workdays": int, "publicity_workdays": int, "graduation_tolerance_days": int, "contact_cluster_max": int, "aid_card_methods": list,
    "terms": dict, "deadlines": dict, "bulk_changes": dict, "holidays": dict, "severity": dict,
    "rules": dict, "fingerprint_salt": str, "select": list, "ignore": list, "cache": str, "school_aliases": dict,
}


def _err(path: Path, msg: str) -> PolicyError:
    return PolicyError(f"策略文件 {path} 有误：{msg}。可运行 `xueji-check init-config` 生成带注释的默认文件对照修改")


def _md(path: Path, where: str, v: Any) -> str:
    if not isinstance(v, str) or not _MD.match(v):
        raise _err(path, f"{where} 应为 \"MM-DD\" 格式的日期，现为 {v!r}")
    m, d = (int(x) for x in v.split("-"))
    try:
        dt.date(2000, m, d)
    except ValueError as exc:
        raise _err(path, f"{where} 不是有效日期：{v}") from exc
    return v


def _dates(path: Path, where: str, v: Any) -> tuple[dt.date, ...]:
    if not isinstance(v, list):
        raise _err(path, f"{where} 应为日期列表")
    out = []
    for x in v:
        if isinstance(x, dt.datetime):  # a TOML date-time: keep the day
            out.append(x.date())
            continue
        if isinstance(x, dt.date):
            out.append(x)
            continue
        try:
            out.append(dt.date.fromisoformat(str(x)))
        except ValueError as exc:
            raise _err(path, f"{where} 中的 {x!r} 不是 YYYY-MM-DD 日期") from exc
    return tuple(out)


# [severity] values as a Chinese user writes them
SEVERITY_WORDS = {"错误": "error", "警告": "warning", "提示": "info", "关闭": "off", "关": "off", "不检查": "off"}


def toml_error_zh(exc: tomllib.TOMLDecodeError) -> str:
    """A TOML syntax error in Chinese: where (line and column, from tomllib's message) and what
    is usually wrong; tomllib's own words kept in brackets for whoever knows TOML."""
    text = str(exc)
    m = re.search(r"\(at line (\d+), column (\d+)\)", text)
    what = re.sub(r"\s*\(at line \d+, column \d+\)", "", text).strip() or text
    where = f"第 {m.group(1)} 行第 {m.group(2)} 列附近" if m else ""
    return (f"TOML 语法错误：{where}写法不对（{what}）。常见原因：文字值没有加英文双引号（应写 R107 = \"warning\"）、"
            "引号没有成对、用了中文标点（，＝“”）、同一项写了两次")


def load_policy(path: Path | None) -> Policy:
    if path is None:
        return Policy()
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise PolicyError(f"找不到策略文件 {path}，请检查路径") from exc
    except tomllib.TOMLDecodeError as exc:
        raise _err(path, toml_error_zh(exc)) from exc
    kw: dict[str, Any] = {"source": str(path)}
    for k, v in raw.items():
        if k not in TOP_KEYS:
            raise _err(path, f"未知的设置项 {k!r}（可用：{', '.join(sorted(TOP_KEYS))}）")
        typ = TOP_KEYS[k]
        if not isinstance(v, typ) or isinstance(v, bool):
            raise _err(path, f"{k} 的值类型不对：{v!r}")
    for k in ("over_age", "grant_years", "fee_waiver_years", "change_report_workdays", "publicity_workdays",
              "graduation_tolerance_days", "contact_cluster_max"):
        if k in raw:
            if raw[k] <= 0:
                raise _err(path, f"{k} 应为正整数，现为 {raw[k]}")
            kw[k] = raw[k]
    if "grant_per_term" in raw:
        if raw["grant_per_term"] <= 0:
            raise _err(path, "grant_per_term 应为正数")
        kw["grant_per_term"] = float(raw["grant_per_term"])
    if "fingerprint_salt" in raw:
        kw["fingerprint_salt"] = raw["fingerprint_salt"]
    if "cache" in raw:
        if not raw["cache"].strip():
            raise _err(path, "cache 应为缓存文件夹的路径（如 \"xueji-cache\"），不需要缓存时请删去这一项")
        folder = Path(raw["cache"].strip()).expanduser()
        # relative to the policy file, so a nightly job finds the same folder from any directory
        kw["cache"] = str(folder if folder.is_absolute() else path.parent / folder)
    if "school_aliases" in raw:
        aliases = {}
        for k, v in raw["school_aliases"].items():
            if not isinstance(v, str) or not v.strip() or not k.strip():
                raise _err(path, f"[school_aliases] 中 {k!r} 的值应为学校全称（文字），如 \"甲市一技\" = \"甲市第一技工学校\"")
            aliases[k.strip()] = v.strip()
        kw["school_aliases"] = aliases
    if "aid_card_methods" in raw:
        if not all(isinstance(x, str) for x in raw["aid_card_methods"]):
            raise _err(path, "aid_card_methods 应为文字列表")
        kw["aid_card_methods"] = tuple(raw["aid_card_methods"])
    if "terms" in raw:
        terms = dict(Policy().terms)
        for s, v in raw["terms"].items():
            if s not in SEASONS:
                raise _err(path, f"[terms] 只能有 spring/autumn，现有 {s!r}")
            terms[s] = _md(path, f"terms.{s}", v)
        if terms["spring"] >= terms["autumn"]:
            raise _err(path, f"terms.spring（{terms['spring']}）应早于 terms.autumn（{terms['autumn']}）")
        kw["terms"] = terms
    if "deadlines" in raw:
        deadlines = {k: dict(v) for k, v in Policy().deadlines.items()}
        years: dict[int, dict[str, dict[str, str]]] = {}
        for k, v in raw["deadlines"].items():
            if k.isdigit():
                if not 1990 <= int(k) <= 2100:
                    raise _err(path, f"[deadlines.{k}] 的年份不合理")
                if not isinstance(v, dict):
                    raise _err(path, f"[deadlines.{k}] 应为表")
                for name, seasons in v.items():
                    if name not in deadlines or not isinstance(seasons, dict):
                        raise _err(path, f"[deadlines.{k}] 中未知的期限 {name!r}")
                    for s, md in seasons.items():
                        if s not in SEASONS:
                            raise _err(path, f"deadlines.{k}.{name} 只能有 spring/autumn")
                        years.setdefault(int(k), {}).setdefault(name, {})[s] = _md(path, f"deadlines.{k}.{name}.{s}", md)
                continue
            if k not in deadlines or not isinstance(v, dict):
                raise _err(path, f"[deadlines] 中未知的期限 {k!r}（可用：registration, aid_application）")
            for s, md in v.items():
                if s not in SEASONS:
                    raise _err(path, f"deadlines.{k} 只能有 spring/autumn")
                deadlines[k][s] = _md(path, f"deadlines.{k}.{s}", md)
        kw["deadlines"] = deadlines
        kw["deadline_years"] = years
    if "bulk_changes" in raw:
        for k, v in raw["bulk_changes"].items():
            if isinstance(v, bool):
                raise _err(path, f"bulk_changes.{k} 的值 {v!r} 无效（count/window 为正整数，share 在 0 到 1 之间）")
            if k == "count" and isinstance(v, int) and v > 0:
                kw["bulk_count"] = v
            elif k == "share" and isinstance(v, (int, float)) and 0 < v <= 1:
                kw["bulk_share"] = float(v)
            elif k == "window" and isinstance(v, int) and v > 0:
                kw["bulk_window"] = v
            else:
                raise _err(path, f"bulk_changes.{k} 的值 {v!r} 无效（count/window 为正整数，share 在 0 到 1 之间）")
    if "holidays" in raw:
        for k, v in raw["holidays"].items():
            if k == "extra_holidays":
                kw["extra_holidays"] = _dates(path, "holidays.extra_holidays", v)
            elif k == "extra_workdays":
                kw["extra_workdays"] = _dates(path, "holidays.extra_workdays", v)
            else:
                raise _err(path, f"[holidays] 中未知的设置项 {k!r}")
    from xueji_check.registry import CATALOG

    if "severity" in raw:
        sev = {}
        for rid, v in raw["severity"].items():
            if rid not in CATALOG:
                raise _err(path, f"[severity] 中未知的规则编号 {rid!r}")
            v = SEVERITY_WORDS.get(v, v) if isinstance(v, str) else v
            if v not in ("error", "warning", "info", "off"):
                raise _err(path, f"[severity] {rid} 只能是 error/warning/info/off（或 错误/警告/提示/关闭），现为 {v!r}")
            sev[rid] = v
        kw["severity"] = sev
    selection = {k: raw[k] for k in ("select", "ignore") if k in raw}
    for k, v in raw.get("rules", {}).items():
        if k not in ("select", "ignore") or not isinstance(v, list):
            raise _err(path, f"[rules] 只能有 select/ignore 列表，现有 {k!r}")
        if k in selection:
            raise _err(path, f"{k} 同时写在顶层和 [rules] 中，请只保留一处")
        selection[k] = v
    if selection:
        for k, v in selection.items():
            for p in v:
                if not isinstance(p, str) or not p.strip() or not any(rid.startswith(p.strip().upper()) for rid in CATALOG):
                    raise _err(path, f"{k} 中的 {p!r} 不匹配任何规则编号（写编号如 R107 或前缀如 R1、C）")
            kw[k] = tuple(p.strip().upper() for p in v)
    return Policy(**kw)


DEFAULT_CONFIG = """\
# xueji-check 策略文件（xueji.toml）。所有项都可省略，省略即用下列默认值。
# 依据：人社厅发〔2018〕28号。各省可按本地规定修改数值与期限。

over_age = 25                 # 大龄学生年龄阈值（周岁，入学时/学期开始时），R107、A307
grant_per_term = 1500         # 国家助学金每学期上限（元），A308：默认取分档上限每年 3000 元；本省标准不同的请改
grant_years = 2               # 国家助学金覆盖第 1..2 学年，A305
fee_waiver_years = 3          # 免学费覆盖第 1..3 学年，A305
change_report_workdays = 10   # 学籍异动须在发生之日起 N 个工作日内申报，C201
publicity_workdays = 5        # 资助公示不少于 N 个工作日，P401
graduation_tolerance_days = 92   # 毕业日期早于“入学日期+学制”超过 N 天才算提前毕业，R109（6–7 月毕业属正常）
contact_cluster_max = 3       # 同一电话或住址登记的在校学生超过 N 人才提示核实，R110（兄弟姐妹可共用）
aid_card_methods = ["资助卡", "中职资助卡"]   # 合规的助学金发放方式，A309；以社保卡发放的省份可加 "社会保障卡"
fingerprint_salt = "xueji-check"   # 问题指纹的盐：同一省份保持不变，指纹才能跨次比对
# cache = "xueji-cache"       # 缓存文件夹（同 --cache；相对路径从本文件所在文件夹算起）：保存读取、规范化后的数据，
#                             # 下次只读取有变化的文件。其中有学生个人信息，请放在只有本人能访问的位置；
#                             # 不再需要时用 xueji-check cache clear 文件夹 清空。默认不保存

[terms]                       # 学期开始的月-日；每学期到下一学期开始前一天结束
spring = "03-01"
autumn = "09-01"

[deadlines]                   # 期限（月-日）；某一年不同可另写 [deadlines.2019]
registration = { spring = "04-20", autumn = "10-20" }       # 新生学籍注册，R108
aid_application = { spring = "04-30", autumn = "10-30" }    # 资助申报审批，A306
# [deadlines.2019]
# registration = { autumn = "10-25" }

[bulk_changes]                # 大批量学籍异动，C202
count = 50                    # 窗口内异动人数达到此数
share = 0.10                  # 或达到在校生的此比例
window = 10                   # 滑动窗口（工作日）

[holidays]                    # 尚未收录的年份按估计计算；国务院通知公布后可在此补正（优先于日历）
extra_holidays = []           # 放假日，如 ["2027-10-06", "2027-10-07"]
extra_workdays = []           # 调休上班日，如 ["2027-09-26"]

[school_aliases]              # 同一所学校的其他写法（简称、旧名）→ 学籍名册中的全称；各项问题和「学校汇总」都按全称记
# "甲市一技" = "甲市第一技工学校"

[severity]                    # 调整规则级别：error / warning / info / off（关闭）
# R107 = "off"

[rules]                       # 只运行/忽略部分规则，可写编号或前缀
# select = ["R1", "C"]
# ignore = ["R107"]
"""
