"""S0xx data quality (schema validation): the declarations of the S rules.

They have no rule function: S001 comes from the loader (a sheet without a required column),
S002–S007 from the pandera schema built from schemas/*.toml (schema.py), S008 from the engine's
cross-file name check (`engine.name_mismatch`). Their id, severity and documentation live here,
like every other rule's beside its implementation.
"""

from __future__ import annotations

from xueji_check.registry import declare

declare(
    "S001", severity="error", title="缺少必需列", title_en="required column missing", clause="二（三）",
    what="工作表缺少该类表格的必需列（如学籍名册缺「学籍状态」）。该工作表不参与检查；某类表格全部无法检查时退出码为 2。",
    why="缺少必需列时任何一行都无法判断；默默跳过就等于把没检查说成没问题。学籍信息须完整准确（二（三））。",
    example="学籍名册的补录工作表只有学籍号、姓名、身份证号、学校名称、学籍状态五列 → 报一条 S001，写明缺学制、学习形式、入学日期和表头所在行。",
)

declare(
    "S002", severity="error", title="必填值为空", title_en="required value empty", clause="二（三）",
    what="必填列的单元格为空（如姓名、学籍状态、资助类型）。只有空格、不可见字符或 Excel 的 `=\"\"` 也算空。",
    why="学籍信息须完整准确（二（三））；空值使依赖它的规则无法判断这一行。",
    example="学籍名册第 4 行姓名为空 → S002。",
)

declare(
    "S003", severity="error", title="身份证号无效", title_en="invalid ID number", clause="二（一）",
    what="身份证号长度或字符不对、出生日期不存在（或早于 1900 年、晚于检查日），或 GB 11643 校验位错误；"
         "证件类型为护照、通行证等的号码按各自的格式检查。无效号码不参与跨表匹配。",
    why="无效号码无法核实身份，也不能用于查重和跨表核对（二（一））。",
    example="身份证号最后一位与 GB 11643 算出的校验位不同 → S003。小写 x、全角数字、中间的空格和 15 位旧号不算错误；"
            "数字分组之间的连字符（4101-0520-0501-0112-35、410105-200501011235）去掉后再检查，"
            "去掉后不是 18 位（或 15 位）数字的（如 17 位、电话号码、含字母）照原样检查，去掉后仍无效的照常报告。",
)

declare(
    "S004", severity="error", title="号码被存成数字", title_en="ID or card number stored as a number",
    clause="二（一）",
    what="身份证号或资助卡号被 Excel 存成了数字或科学计数法（如 4.10105E+17、6.21700E+18）：Excel 只保留 15 位有效数字，"
         "后几位已丢失、无法恢复。16–19 位的资助卡号带有这种痕迹（末尾补 0，或是浮点数换算出的值）且通不过银行卡校验位"
         "（Luhn）时也算；同一张表中一旦有这样的卡号，表中带同样痕迹的卡号都算。",
    why="丢了位的号码无法核实，也不能用来匹配：只差最后几位的两张卡会变成同一个号码，被误认为「一卡多人」。"
        "这类问题与造假无关，但须把该列设为文本格式后重新导出（二（一））。",
    example="资助卡号列显示 6.21700E+18 → S004，这一行不参与 A311 的比对；身份证号列显示 4.40305E+17 → S004。",
)

declare(
    "S005", severity="warning", title="出生日期或性别与身份证号不符", title_en="birth date or gender disagrees with the ID",
    clause="二（三）",
    what="出生日期列或性别列与身份证号中的出生日期、性别码（第 17 位，奇数为男）不一致。只到年月的出生日期按年月比较。",
    why="同一行的信息相互矛盾，说明号码或其他信息录错，也可能冒用了他人证件（二（三））。",
    example="出生日期 2007-01-01，身份证号中为 2008 年 → S005。",
)

declare(
    "S006", severity="error", title="日期无法识别", title_en="unreadable date", clause="二（三）",
    what="日期单元格无法识别为日期。能识别 2018-09-01、2018/9/1、2018.09.01、20180901、2018年9月1日、2018年9月（按 1 日）、"
         "带时间的文本（2024/12/2 10:15、2024年9月2日 10时；日期与时间之间没有空格的不猜）和 Excel 序列号。"
         "只写了 /、—、- 或「无」「暂无」的单元格是没有日期（如在校生的毕业日期），按空白处理，不报 S006（必填的日期报 S002）。"
         "1900-01-01 及更早的日期（Excel 把 0 或 1 显示成的 1899-12-31、1900-01-01，常见于公式或查找没有取到值）不是真实日期，报 S006，"
         "依赖它的规则不会从它算起。",
    why="读不出的日期使逾期、年龄、学年等规则无法判断这一行；逐条列出，不会默默当作通过。",
    example="入学日期「2024年13月1日」→ S006；日期格式的单元格中的 0（显示为 1900-01-00 或 1899-12-31）→ S006。",
)

declare(
    "S007", severity="error", title="取值不在规定范围", title_en="value outside its enumeration", clause="二（三）",
    what="枚举列的值不在规定范围（如学习形式=半日制），数值不可读或超出范围（如金额为负），或学期、是/否的写法无法识别。"
         "同义词见 schemas/*.toml。",
    why="不规范的取值会让依赖它的规则漏判或误判（二（三））。",
    example="学习形式「半日制」→ S007；「全日制教育」「全日」是全日制的同义词，不报。",
)

declare(
    "S008", severity="warning", title="同一学生在不同文件中姓名不一致", title_en="same student with different names", across=True,
    clause="二（三）",
    what="同一身份证号（或学籍号）在学籍名册与资助表、异动记录中的姓名不同。学籍号由各校自编，只有学籍号的行只与本校名册比较"
         "（没有学校列的，该学籍号只在一所学校的名册中时与该校比较）。比较前统一全半角、大小写、空格和间隔点，"
         "去掉姓名后括号中的备注（张三（代领）、李四(曾用名李思)）；"
         "因 GBK 保存而丢字（?）的姓名只比较能辨认的字。",
    why="可能是录错，也可能是冒名领取资助（二（三））。",
    example="名册为「张伟」，资助表同一身份证号为「张玮」→ S008；「阿卜杜拉·艾力」与「阿卜杜拉•艾力」不报。",
)
