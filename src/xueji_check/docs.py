"""The project's user documentation under `docs/`, generated from the sources it describes: the
rule registry (rules.md), the schema files (data.md), the finding columns and outputs (outputs.md)
and the default policy file (policy.md). A test keeps the committed files equal to what this
module renders, so the documentation cannot drift from the code.

Regenerate after changing a rule, a schema file or the outputs:

    python -m xueji_check.docs docs
"""

from __future__ import annotations

import sys
from pathlib import Path

from xueji_check.findings import COLUMNS

SEVERITY_ZH = {"error": "错误", "warning": "警告", "info": "提示"}
TYPE_ZH = {"str": "文本", "id_number": "证件号码", "date": "日期", "number": "数值", "bool": "是/否",
           "enum": "枚举", "term": "学期", "grade_year": "在校年级", "card_number": "卡号"}
GENERATED = "<!-- 本文件由 `python -m xueji_check.docs docs` 生成，请勿手改 -->"

COLUMN_DOC = {
    "rule_id": "规则编号（S/R/C/A/P 开头，见 [rules.md](rules.md)），公开约定，不会改变含义",
    "severity": "`error`（错误）、`warning`（警告）或 `info`（提示）；策略文件可调整",
    "dataset": "数据类型：`roster` 学籍名册、`changes` 学籍异动记录、`aid` 资助申报与发放、`publicity` 公示名单、`employed` 在职参保名单",
    "file": "输入文件的路径（按命令行给出的写法）",
    "sheet": "工作表名（CSV 为文件名去掉扩展名）",
    "row": "Excel 中看到的行号；整个文件或整列的问题为空",
    "column": "源文件中写的表头；整行的问题为空",
    "student_id": "学籍号",
    "id_masked": "证件号码打码：身份证号保留前 6 位和后 4 位（`110105********002X`）；只有 `--show-pii` 时为完整号码",
    "name": "姓名（原样）",
    "school": "学校名称（空格不计）；整个文件或整列的问题取该文件的学校列，其次标题行，再次文件名、工作表名、所在文件夹名（文件夹名只认数据中出现过的学校）；多校文件或标题写了两所以上学校时为「（多所学校）」；哪里都没有写明学校时为空（汇总中记为「（未注明学校）」）",
    "message": "中文说明，含触发问题的取值（其中的证件号、手机号、银行卡号已打码）",
    "clause": "依据条款，如 `人社厅发〔2018〕28号 二（三）`",
    "fingerprint": "问题指纹：规则、数据类型和学生/学期键（整个文件的问题：学校、表格类型和所涉的列或学期）加盐后的 sha256 前 16 位；不含路径、文件名、工作表名和行号，下月重新导出（换了文件夹和文件名）后仍相同",
    "status": "有 `--baseline` 时为 `new`（新增）或 `persisting`（持续）；已整改的列在 findings.json 的 `resolved` 中；上次有、本次因数据不全而无法复核的（所在文件或工作表未能检查、规则未运行、本次没有该校的这类数据或规则所需的另一类数据、跨文件比对的规则遇到有文件未能检查或上次有数据的学校本次没有——见 `run.schools_present`），不算已整改，列在 `unverified` 中（各带 `reason`）",
}


def rule_needs(rule, specs=None) -> str:
    """The data a rule needs, in Chinese: `学籍名册（身份证号、学籍状态）；…`, or 任何输入表格."""
    from xueji_check.spec import all_kinds

    specs = specs or all_kinds()
    parts = []
    for kind, fields in rule.needs.items():
        spec = specs[kind]
        names = "、".join(spec.field_map[f].title for f in fields if f in spec.field_map)
        parts.append(spec.title + (f"（{names}）" if names else ""))
    return "；".join(parts) if parts else "任何输入表格"


def rules_md() -> str:
    """docs/rules.md: every rule of the registry with its severity, clause, the data it needs
    and its documentation."""
    from xueji_check.registry import CATALOG, load_rule_modules
    from xueji_check.spec import all_kinds

    load_rule_modules()
    specs = all_kinds()
    out = [GENERATED, "", "# 规则目录", "",
           "每条规则有固定编号（公开约定）、级别、依据条款和所需数据。缺少某规则所需的文件或列时，该规则不执行，"
           "并在结果中列为“未执行”（不会当作通过）。级别和开关可在策略文件中调整（见 [policy.md](policy.md)）。",
           "`xueji-check rules` 在终端显示同样的内容，`xueji-check rules --json` 给程序读。", "",
           "| 编号 | 级别 | 名称 | 依据 |", "|---|---|---|---|"]
    for r in CATALOG.values():
        out.append(f"| [{r.id}](#{r.id.lower()}) | {SEVERITY_ZH[r.severity]} | {r.title} | {r.clause} |")
    for r in CATALOG.values():
        out += ["", f"## {r.id}", "", f"**{r.title}**（{r.title_en}）  ", f"级别：{SEVERITY_ZH[r.severity]}  ",
                f"依据：{r.clause}  "]
        out.append(f"所需数据：{rule_needs(r, specs)}")
        out += ["", "### 检查什么", "", r.what, "", "### 为什么", "", r.why, "", "### 示例", "", r.example]
    return "\n".join(out) + "\n"


def data_md() -> str:
    """docs/data.md: the data dictionary, one table per kind, from schemas/*.toml."""
    from xueji_check.spec import KINDS, all_kinds

    specs = all_kinds()
    out = [GENERATED, "", "# 数据字典", "",
           "xueji-check 读取的五类表格。表头按别名匹配（匹配前去掉空格、`*`、换行，全角转半角，不分大小写）；"
           "别名、枚举取值和同义词写在安装目录的 `schemas/*.toml` 中，各省可自行增加，无需改代码"
           "（`xueji-check schema roster` 显示当前生效的定义）。表中没有的列原样保留，并带入标注副本。", "",
           "“必需”：该列必须有，且每行都要填；“必需列”：该列必须有，值可以空；至少需要其中一列的写在表后。", ""]
    for k in KINDS:
        spec = specs[k]
        out += [f"## {spec.kind}：{spec.title}", ""]
        if spec.detect_words:
            field = spec.field_map.get(spec.detect_field or "")
            out += [f"识别方式：文件名、工作表名或标题行含「{'」或「'.join(spec.detect_words)}」，且有"
                    f"{field.title if field else spec.detect_field}列。", ""]
        out += ["| 字段 | 中文名 | 类型 | 必需 | 表头别名 | 取值 |", "|---|---|---|---|---|---|"]
        for f in spec.fields:
            req = "必需" if f.required else ("必需列" if f.required_column else "")
            values = "、".join(f.values)
            if f.synonyms:
                values += "（同义词：" + "，".join(f"{a}→{b}" for a, b in f.synonyms.items()) + "）"
            if f.patterns_note:
                values += f"（{f.patterns_note}）"
            if f.out_of_scope_note:
                values += f"（{f.out_of_scope_note}）"
            if f.open:
                values += "（其他取值照原样保留）"
            if f.min is not None or f.max is not None:
                values += f"{'' if f.min is None else f.min} – {'' if f.max is None else f.max}"
            if f.sum_parts:
                values += "（「2+1」「3+2」读作各段年数之和）"
            if f.type == "term":
                values += ("（只写学年、没有写哪个学期的（2024-2025学年、2024学年、2024-2025学年（全年），两个年份须相邻）"
                           "识别为学年，不报 S007，但不算写了学期：资助表中依赖学期的规则不判断这些行，计入未能判断的行）")
                if f.required:
                    values += ("（标题只写明一个学期的（如「2024年秋季学期国家助学金发放名单」），学期列只写秋季/春季或第几学期的行按该学期读取，"
                               "表中没有学期列的各行都按该学期检查；标题只写明一个学年的（2024-2025学年），秋季、第一、上学期读作该学年的秋季学期，"
                               "春季、第二、下学期读作春季学期；标题写了几个学期或没有写的，不按标题推断；运行摘要中的提示写明行数）")
            pii = "（个人信息）" if f.pii else ""
            out.append(f"| `{f.name}` | {f.title}{pii} | {TYPE_ZH.get(f.type, f.type)} | {req} | "
                       f"{'、'.join(f.aliases)} | {values.replace('|', '/')} |")
        if spec.required_one_of:
            groups = ["或".join(spec.field_map[n].title for n in g) for g in spec.required_one_of]
            out += ["", "至少需要：" + "；".join(groups)]
        out.append("")
    return "\n".join(out)


def outputs_md() -> str:
    """docs/outputs.md: the output files, the finding columns in their order, the exit status."""
    out = [GENERATED, "", "# 输出约定", "",
           "`--out` 指定的文件夹（默认 `xueji-report`）中，`--format` 选择写出哪些文件（默认 `xlsx,csv,json`）。"
           "一个输出文件夹只放一次检查的结果：上次检查留下、本次没有生成的下列文件（例如上次有 `report.html`，"
           "本次只要 `csv,json`）会在写出新报告的同时移除；文件夹里的其他文件不会被改动。"
           "新报告整体替换旧报告：中途出错或被中断时，上次的报告原样保留。"
           "只有本工具写出、之后没有被修改的文件才会被替换或移除：每次写出时，所写文件的大小和校验和记在同一文件夹的隐藏文件 "
           "`.xueji-check-outputs.json` 中；已有的同名文件不是本工具写出的，或写出后被修改过（例如在 Excel/WPS 中保存过的 "
           "report.xlsx）时，检查开始前即拒绝运行（退出码 2），什么也不写；确认可以覆盖时加 `--force`。"
           "没有这份记录的文件夹（旧版本写出的）按文件内容判断。", "",
           "| 文件 | 内容 |", "|---|---|",
           "| `findings.csv` | 问题清单，给程序读：UTF-8 带 BOM，每行一个问题，列名和取值见下表（公开约定，不会改变） |",
           "| `问题清单.csv` | 同一份问题清单，给人看：与 `findings.csv` 一同写出，中文列名（规则、级别、数据、文件……），"
           "级别、数据类型、状态写成中文（错误、学籍名册、新增……），UTF-8 带 BOM，Excel/WPS 直接打开不乱码；以 0 开头或 12 位以上的"
           "数字（学籍号、指纹）写成 =\"…\" 的形式，Excel/WPS 打开时按文本显示，不会丢掉开头的 0 或变成科学计数法（程序请读 findings.csv） |",
           "| `findings.json` | `{\"run\": …, \"summary\": …, \"findings\": […]}`：工具版本、命令（`check`/`validate`）、"
           "起止时间、检查基准日（`as_of`）、参数、策略、每个输入文件的 sha256 与行数、本次写出的文件（`outputs`）、"
           "读取提示、未执行的规则（`skipped_rules` 逐条，`skipped_summary` 一句话）；按规则、级别、学校的统计；问题清单 |",
           "| `report.xlsx` | 总览（含未能检查的文件、未能判断的行）、问题清单（可筛选，「定位」列的「第 N 行」链接到副本中的该行）、"
           "学校汇总（按每百名学生错误数排名，相同时看每百名学生问题数；其下为各校各学期免学费、国家助学金的受助人数和金额），"
           "以及标出问题单元格的原表副本（表头上方的标题、公示时间行照原样保留，各行在原来的行号上；"
           "整个文件或整列的问题标在表头或写有公示时间的行上；数字列保持数字，证件号、学籍号、卡号、电话保持文本） |",
           "| `report.html` | 单文件网页报告（内嵌样式和图表，不联网），内容同上（不含原表副本） |",
           "| `findings.parquet` | 问题清单的 Parquet 版本，供大规模后续分析 |", "",
           "## 问题清单的列（findings.csv / findings.json，按此顺序）", "",
           "| 列 | 含义 |", "|---|---|"]
    out += [f"| `{c}` | {COLUMN_DOC[c]} |" for c in COLUMNS]
    out += ["", "## 退出码", "",
            "| 退出码 | 含义 |", "|---|---|",
            "| 0 | 没有达到 `--fail-on` 级别的问题，且给出的文件都已检查（默认 `error`；`warning` 含警告；`new` 只看新增；"
            "`never` 总是 0，无法完成检查时除外） |",
            "| 1 | 有达到 `--fail-on` 级别的问题，或有文件未能检查（损坏、无法识别的表格、被拒绝读取的链接或特殊文件等）；"
            "findings.json 的 `run.files_not_checked`、`run.not_checked` 列出是哪些文件及原因 |",
            "| 2 | 无法完成检查：没有任何表格可以检查；用 `--roster` 等选项指明的文件不存在、无法读取或缺少必需列；选项有误；"
            "被 Ctrl-C 或 SIGTERM 中断（临时数据已删除，终端说明报告是否已完整写出；报告写完后、程序退出前才中断的，可能为 130） |", ""]
    return "\n".join(out)


def policy_md() -> str:
    """docs/policy.md: the default policy file, as `xueji-check init-config` writes it."""
    from xueji_check.policy import DEFAULT_CONFIG

    return "\n".join([GENERATED, "", "# 策略文件 xueji.toml", "",
                      "各省的阈值、期限、级别在策略文件中调整，所有项都可省略。`xueji-check init-config xueji.toml` "
                      "写出下面这份带注释的默认文件，`xueji-check check … --config xueji.toml` 使用它。", "",
                      "```toml", DEFAULT_CONFIG.rstrip("\n"), "```", ""])


DOCS = {"rules.md": rules_md, "data.md": data_md, "outputs.md": outputs_md, "policy.md": policy_md}


def render_all() -> dict[str, str]:
    """File name -> Markdown text of every generated document."""
    return {name: fn() for name, fn in DOCS.items()}


def write_all(folder: Path) -> list[Path]:
    """Write every generated document into `folder` (created if needed); returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in render_all().items():
        p = folder / name
        p.write_text(text, encoding="utf-8")
        paths.append(p)
    return paths


if __name__ == "__main__":
    for p in write_all(Path(sys.argv[1] if len(sys.argv) > 1 else "docs")):
        print(p)
