"""Table kinds as data: read the TOML schema files (fields, aliases, enumerations)."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

KINDS = ("roster", "changes", "aid", "publicity", "employed")
KIND_TITLES = {
    "roster": "学籍名册",
    "changes": "学籍异动记录",
    "aid": "资助申报与发放",
    "publicity": "公示名单",
    "employed": "在职参保名单",
}


# The blank templates (`xueji-check schema KIND --template`): the example row's first cell, and
# the sheet of filling instructions beside the table. The loader never reads either as data.
EXAMPLE_MARK = "示例（请删除或保留，不会被当作数据）"
GUIDE_SHEET = "填表说明"
# The sheet `publicity make` adds for the students it left out (for the school, not published).
EXCLUDED_SHEET = "未列入名单"
# Sheets never read as data, whatever their headers look like.
NOT_DATA_SHEETS = (GUIDE_SHEET, EXCLUDED_SHEET)
# Sheet names of instructions that schools put beside a table (not a table, never an error).
# One that holds a table (a copy of the header and an example row, 张三 of XX技工学校) is not
# checked either, and an info line says so.
GUIDE_SHEET_NAMES = (GUIDE_SHEET, "填报说明", "使用说明", "说明", "填表须知", "指标说明", "填写说明", "填表示例", "填写示例",
                     "示例", "样例", "样表", "代码表", "数据字典")


@dataclass(frozen=True)
class FieldSpec:
    name: str
    title: str
    type: str
    aliases: tuple[str, ...]
    required: bool = False
    required_column: bool = False
    values: tuple[str, ...] = ()
    synonyms: dict[str, str] = field(default_factory=dict)
    open: bool = False
    pii: bool = False
    min: float | None = None
    max: float | None = None
    sum_parts: bool = False  # number: `2+1` read as 3 (normalize.number)
    # enum: (regex, value) tried in order on a value that is neither a value nor a synonym
    # (资助卡发放 → 资助卡); the first that matches gives the value (normalize.enum_value)
    patterns: tuple[tuple[str, str], ...] = ()
    patterns_note: str = ""  # the patterns in words, for docs and 填表说明
    # enum: a regex for values that are not wrong but outside what the notice covers (省级助学金,
    # 国家奖学金 in 资助类型): no S007; their rows are left out of the rules (engine.leave_out_of_scope)
    out_of_scope: str = ""
    out_of_scope_unless: str = ""  # a regex: a value it finds is never out of scope
    out_of_scope_note: str = ""  # the same in words

    def out_of_scope_expr(self, c):
        """True where the normalised value `c` is outside the notice (`out_of_scope`), False
        elsewhere and for nulls; all False when the field has no such values."""
        import polars as pl

        if not self.out_of_scope:
            return pl.lit(False)
        e = c.str.contains(self.out_of_scope)
        if self.out_of_scope_unless:
            e = e & ~c.str.contains(self.out_of_scope_unless)
        return e.fill_null(False)


@dataclass(frozen=True)
class KindSpec:
    kind: str
    title: str
    fields: tuple[FieldSpec, ...]
    required_one_of: tuple[tuple[str, ...], ...] = ()
    detect_words: tuple[str, ...] = ()
    detect_field: str | None = None

    @cached_property
    def field_map(self) -> dict[str, FieldSpec]:
        return {f.name: f for f in self.fields}

    @property
    def required_columns(self) -> list[str]:
        return [f.name for f in self.fields if f.required or f.required_column]

    def field_of(self, header: object) -> str | None:
        """The field a header cell names, or None: its normalised text (`normalise_header`) among
        the aliases, else the same without a note in brackets at its end that only says how to
        fill the column (身份证号（18位）, 证件类型（必填）, 入学日期(格式：2024-09-01); `_HEADER_NOTE`).
        A note that says whose or which value (身份证号（监护人）, 金额（大写）) is no such note."""
        h = normalise_header(header)
        index = self._alias_index
        f = index.get(h)
        if f is None and (bare := _HEADER_NOTE.sub("", h)) != h:
            f = index.get(bare)
        return f

    def alias_index(self) -> dict[str, str]:
        """Normalised header text -> field name (built once per spec: the header search asks
        for it on every row it tries, in every file)."""
        return self._alias_index

    @cached_property
    def _alias_index(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for f in self.fields:
            for a in (f.name, f.title, *f.aliases):
                out.setdefault(normalise_header(a), f.name)
        return out


def schemas_dir() -> Path:
    """The packaged schemas (wheel), or the checkout's top-level schemas/ (editable install)."""
    here = Path(__file__).resolve().parent
    for cand in (here / "schemas", here.parent.parent / "schemas"):
        if (cand / "roster.toml").is_file():
            return cand
    raise FileNotFoundError("找不到 schemas/ 目录（安装不完整），请重新安装 xueji-check")


_HEADER_DROP = re.compile(r"[\s*＊※★·:：]+")
# A note at the end of a header (after normalise_header: half-width brackets, no spaces or
# colons) that says only how to fill the column: 必填/选填, a length (18位), text format, a date
# format or an example, the unit 元. One or more, separated by 、,;/ (（18位，必填）).
_NOTE_WORD = (r"(?:必填项?|必须填写|必须|选填|可选|可不填|非必填|请填写|填写|\d+位(?:数字)?|文本(?:格式)?|"
              r"格式[^)\]】]*|例[^)\]】]*|如[^)\]】]*|示例[^)\]】]*|yyyy[^)\]】]*|单位元|人民币元|元)")
_HEADER_NOTE = re.compile(rf"[(\[【]{_NOTE_WORD}(?:[,、;/]{_NOTE_WORD})*[)\]】]$")


def normalise_header(text: object) -> str:
    """Trim, NFKC (full-width to half-width), drop spaces, line breaks, `*` marks."""
    if text is None:
        return ""
    s = unicodedata.normalize("NFKC", str(text))
    s = _HEADER_DROP.sub("", s)
    return s.strip().lower()


def _field_from_toml(d: dict) -> FieldSpec:
    return FieldSpec(
        name=d["name"],
        title=d.get("title", d["name"]),
        type=d.get("type", "str"),
        aliases=tuple(d.get("aliases", [])),
        required=bool(d.get("required", False)),
        required_column=bool(d.get("required_column", False)),
        values=tuple(d.get("values", [])),
        synonyms=dict(d.get("synonyms", {})),
        open=bool(d.get("open", False)),
        pii=bool(d.get("pii", False)),
        min=d.get("min"),
        max=d.get("max"),
        sum_parts=bool(d.get("sum_parts", False)),
        patterns=_patterns(d),
        patterns_note=str(d.get("patterns_note", "")),
        out_of_scope=_regex(d, "out_of_scope"),
        out_of_scope_unless=_regex(d, "out_of_scope_unless"),
        out_of_scope_note=str(d.get("out_of_scope_note", "")),
    )


def _regex(d: dict, key: str) -> str:
    """A field's regex under `key` ("" when none), checked to compile (ValueError naming it)."""
    text = str(d.get(key, ""))
    try:
        re.compile(text)
    except re.error as exc:
        raise ValueError(f"schemas 中字段 {d['name']} 的 {key} {text!r} 不是有效的正则表达式：{exc}") from exc
    return text


def _patterns(d: dict) -> tuple[tuple[str, str], ...]:
    """A field's `patterns` (a list of [regex, value] pairs). A schema file's mistake (a value that
    is not one of the field's `values`, a pattern that is no regular expression) is a ValueError
    with a Chinese message when the schema is loaded, not a failure in the middle of a run."""
    out = tuple((str(p), str(v)) for p, v in d.get("patterns", []))
    for p, v in out:
        where = f"schemas 中字段 {d['name']} 的 patterns 项 {p!r}"
        if v not in d.get("values", []):
            raise ValueError(f"{where} 给出的取值 {v!r} 不在该字段的 values 中；请改正 schemas/*.toml")
        try:
            re.compile(p)
        except re.error as exc:
            raise ValueError(f"{where} 不是有效的正则表达式（{exc}）；请改正 schemas/*.toml") from exc
    return out


@cache
def load_kind(kind: str) -> KindSpec:
    path = schemas_dir() / f"{kind}.toml"
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    return KindSpec(
        kind=raw.get("kind", kind),
        title=raw.get("title", KIND_TITLES.get(kind, kind)),
        fields=tuple(_field_from_toml(f) for f in raw.get("fields", [])),
        required_one_of=tuple(tuple(g) for g in raw.get("required_one_of", [])),
        detect_words=tuple(raw.get("detect_words", [])),
        detect_field=raw.get("detect_field"),
    )


def all_kinds() -> dict[str, KindSpec]:
    return {k: load_kind(k) for k in KINDS}
