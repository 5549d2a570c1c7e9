"""The rule registry: only the mechanism. Each rule is declared beside its implementation, in its
family module under `xueji_check/rules/` (S in quality.py, R in registration.py, C in changes.py,
A in aid.py, P in publicity.py), with `@rule("R101", severity=…, title=…, …)` on its function or,
for a rule without a function of its own (the S rules, checked by the schema), `declare(…)`.
Adding a rule touches its family module and its tests, nothing else.

`CATALOG` is the one source of `xueji-check rules`, the README's rule table, docs/rules.md and
the policy file's rule keys. It is complete whenever it is read: the first read imports every
rule module (`load_rule_modules`), so no caller depends on import order, and the rule modules
may import the engine (which imports this module) without a cycle.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

NOTICE = "人社厅发〔2018〕28号"
SEVERITIES = ("error", "warning", "info")
FAMILIES = "SRCAP"  # catalogue order: data quality, registration, changes, aid, publicity
_ID = re.compile(r"^[SRCAP]\d{3}$")


@dataclass
class Rule:
    """One rule of the catalogue. ``needs``: kind -> fields that must all be present for the rule
    to run (otherwise it is skipped and listed as skipped). ``what``/``why``/``example``: its
    documentation in Chinese (检查什么 / 为什么 / 示例); ``doc`` joins them."""

    id: str
    severity: str
    title: str  # Chinese
    title_en: str
    clause: str
    needs: dict[str, tuple[str, ...]]
    what: str
    why: str
    example: str
    func: Callable | None = None
    module: str = field(default="", repr=False)
    # the rule compares rows with other rows, of other files or schools too (duplicates, counts,
    # cards shared): a file not read tonight may be why one of its earlier findings is gone
    across: bool = False
    # kinds the rule also reads when they are there, beside `needs` (the roster's enrolment dates)
    uses: tuple[str, ...] = ()

    @property
    def family(self) -> str:
        return self.id[0]

    @property
    def implemented(self) -> bool:
        return self.func is not None or self.family == "S"

    @property
    def doc(self) -> str:
        """What it does, why it matters and an example, as plain text (terminal, JSON)."""
        return f"{self.what}\n为什么：{self.why}\n示例：{self.example}"


_RULES: dict[str, Rule] = {}


def declare(rule_id: str, *, severity: str, title: str, title_en: str, clause: str, what: str, why: str,
            example: str, needs: dict[str, tuple[str, ...]] | None = None, func: Callable | None = None,
            module: str = "", across: bool = False, uses: tuple[str, ...] = ()) -> Rule:
    """Register one rule. ``clause`` is the clause of the notice (`二（三）`; the notice's number is
    put in front) or, after a `；`, other rules cited. ``module`` defaults to the caller's. Raises ValueError for a malformed id or
    severity, missing documentation, or an id already declared by another function."""
    if not _ID.match(rule_id):
        raise ValueError(f"rule id {rule_id!r}: a family letter ({FAMILIES}) and three digits")
    if severity not in SEVERITIES:
        raise ValueError(f"rule {rule_id}: severity {severity!r} is not one of {SEVERITIES}")
    for name, text in (("title", title), ("title_en", title_en), ("what", what), ("why", why), ("example", example)):
        if not text or not text.strip():
            raise ValueError(f"rule {rule_id}: {name} is empty")
    module = module or sys._getframe(1).f_globals.get("__name__", "")  # the declaring module
    old = _RULES.get(rule_id)
    if old is not None and (old.module, getattr(old.func, "__qualname__", None)) != (
            module, getattr(func, "__qualname__", None)):
        raise ValueError(f"rule {rule_id} is declared twice ({old.module} and {module})")
    r = Rule(id=rule_id, severity=severity, title=title, title_en=title_en, clause=f"{NOTICE} {clause}",
             needs={k: tuple(v) for k, v in (needs or {}).items()}, what=what.strip(), why=why.strip(),
             example=example.strip(), func=func, module=module, across=across, uses=tuple(uses))
    _RULES[rule_id] = r
    CATALOG._order = None
    return r


def rule(rule_id: str, **meta) -> Callable[[Callable], Callable]:
    """Decorator: declare `rule_id` (keywords as `declare`) implemented by the decorated function,
    which takes the run's `engine.Context` and returns a findings LazyFrame (`findings.emit`) or
    None when it cannot run (the reason in ``ctx.options["skip:<id>"]``)."""

    def deco(fn: Callable) -> Callable:
        declare(rule_id, func=fn, module=fn.__module__, **meta)
        return fn

    return deco


_loaded = False


def load_rule_modules() -> None:
    """Import every rule family so that their rules are declared (once; later calls return)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    import importlib
    import pkgutil

    from xueji_check import rules

    for mod in pkgutil.iter_modules(rules.__path__):
        importlib.import_module(f"xueji_check.rules.{mod.name}")


class Catalog(Mapping[str, Rule]):
    """Rule id -> Rule, in catalogue order (S, R, C, A, P; by id within a family). Reading it
    imports the rule modules first, so it is always complete."""

    def __init__(self) -> None:
        self._order: list[str] | None = None

    def _ids(self) -> list[str]:
        load_rule_modules()
        if self._order is None:
            self._order = sorted(_RULES, key=lambda i: (FAMILIES.index(i[0]), i))
        return self._order

    def __getitem__(self, rule_id: str) -> Rule:
        self._ids()
        return _RULES[rule_id]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._ids()))

    def __len__(self) -> int:
        return len(self._ids())

    def __contains__(self, rule_id: object) -> bool:
        self._ids()
        return rule_id in _RULES

    def __repr__(self) -> str:
        return f"Catalog({', '.join(self._ids())})"


CATALOG = Catalog()


def markdown_table() -> str:
    """The README's rule table, generated from the catalogue (tests keep README in sync)."""
    sev = {"error": "错误", "warning": "警告", "info": "提示"}
    lines = ["| 编号 | 级别 | 名称 | 依据 |", "|---|---|---|---|"]
    for r in CATALOG.values():
        lines.append(f"| {r.id} | {sev[r.severity]} | {r.title} | {r.clause} |")
    return "\n".join(lines)
