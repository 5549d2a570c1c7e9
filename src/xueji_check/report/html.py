"""report.html: one self-contained page (inline CSS, inline SVG chart, no scripts, no network)
that an inspector can mail. Every piece of text from the data is escaped."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

import polars as pl

from xueji_check.findings import COLUMNS, SEVERITY_ZH
from xueji_check.registry import CATALOG
from xueji_check.report import atomic_path
from xueji_check.report.excel import (
    CHART_COLOUR,
    FAMILIES,
    HEADERS_ZH,
    KIND_ZH,
    MONEY_NOTE,
    SEV_COLOUR,
    STATUS_ZH,
    Money,
    focus_notes,
    money_table,
    not_checked_rows,
    school_table,
    unjudged_rows,
)
from xueji_check.report.terminal import VALIDATE_SKIPPED

MAX_FINDINGS_SHOWN = 5_000
NO_WRAP = ("rule_id", "dataset", "row", "student_id", "id_masked", "name", "school", "status")  # short cells kept on one line
MAX_RESOLVED_SHOWN = 1_000
CHART_SCHOOLS = 15

CSS = """
body{font-family:"Microsoft YaHei","PingFang SC","Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif;
 margin:2em;color:#222;font-size:14px}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:2px solid #4472c4}
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #bbb;padding:3px 6px;vertical-align:top}
th{background:#d9e1f2;position:sticky;top:0}td.n{text-align:right}
.cards{display:flex;gap:1em;flex-wrap:wrap}.card{border:1px solid #bbb;border-radius:6px;padding:.6em 1em}
.card b{display:block;font-size:1.6em}
.error{background:#ERR}.warning{background:#WARN}.info{background:#INFO}
tr.focus td{background:#f8cbad;font-weight:bold}tr.total td{font-weight:bold;border-top:2px solid #888}
table.money th{text-align:center}td.nw,th{white-space:nowrap}.note{color:#555}.msg{max-width:46em}
""".replace("ERR", SEV_COLOUR["error"]).replace("WARN", SEV_COLOUR["warning"]).replace("INFO", SEV_COLOUR["info"])


def _e(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        v = f"{v:g}"
    return escape(str(v), quote=True)


def _table(headers: list[str], rows: list[list], *, classes: list[str] | None = None,
           cell_classes: list[list[str]] | None = None) -> str:
    out = ["<table><thead><tr>", *(f"<th>{_e(h)}</th>" for h in headers), "</tr></thead><tbody>"]
    for i, r in enumerate(rows):
        cls = f' class="{_e(classes[i])}"' if classes and classes[i] else ""
        out.append(f"<tr{cls}>")
        for j, v in enumerate(r):
            cc = cell_classes[i][j] if cell_classes else ""
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                cc = (cc + " n").strip()
            out.append(f'<td class="{_e(cc)}">{_e(v)}</td>' if cc else f"<td>{_e(v)}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def svg_chart(schools: pl.DataFrame) -> str:
    """Horizontal stacked bars: findings per school by severity."""
    top = schools.filter(pl.col("findings") > 0).sort(["findings", "school"], descending=[True, False]) \
        .head(CHART_SCHOOLS)
    if top.height == 0:
        return '<p class="note">没有可绘制的学校问题数。</p>'
    label_w, bar_w, row_h, top_pad = 220, 520, 26, 34
    height = top_pad + row_h * top.height + 30
    biggest = max(1, int(top["findings"].max()))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 70}" height="{height}" '
             f'role="img" aria-label="各学校问题数（按级别）" font-size="12">',
             '<text x="4" y="18" font-size="14" font-weight="bold">各学校问题数（按级别）</text>']
    lx = label_w
    for sev in ("error", "warning", "info"):
        parts.append(f'<rect x="{lx}" y="6" width="12" height="12" fill="#{CHART_COLOUR[sev]}"/>'
                     f'<text x="{lx + 16}" y="17">{SEVERITY_ZH[sev]}</text>')
        lx += 60
    for i, rec in enumerate(top.iter_rows(named=True)):
        y = top_pad + i * row_h
        name = rec["school"] if len(rec["school"]) <= 16 else rec["school"][:15] + "…"
        parts.append(f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end">{_e(name)}</text>')
        x = float(label_w)
        for sev in ("error", "warning", "info"):
            w = bar_w * rec[sev] / biggest
            if w > 0:
                parts.append(f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" '
                             f'fill="#{CHART_COLOUR[sev]}"><title>{_e(rec["school"])} {SEVERITY_ZH[sev]} '
                             f'{rec[sev]}</title></rect>')
                x += w
        parts.append(f'<text x="{x + 4:.1f}" y="{y + 16}">{rec["findings"]}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _yuan(v: float | None) -> str:
    return "" if v is None else f"{v:,.2f}"


def _money_table(money: Money) -> str:
    """The money table: two header rows (the aid type over its 人数 and 金额), the last row the
    total."""
    kinds = [*money.types, "合计"]
    out = ['<table class="money"><thead><tr><th rowspan="2">学校</th><th rowspan="2">学期</th>',
           *(f'<th colspan="2">{_e(k)}</th>' for k in kinds), '<th rowspan="2">说明</th></tr><tr>',
           *("<th>人数</th><th>金额（元）</th>" for _ in kinds), "</tr></thead><tbody>"]
    for row in money.rows:
        last = row is money.rows[-1]
        out.append('<tr class="total">' if last else "<tr>")
        out.append(f"<td>{_e(row['school'])}</td><td>{_e(row['term'])}</td>")
        for ty in [*money.types, "all"]:
            out.append(f'<td class="n">{_e(row[f"n:{ty}"])}</td><td class="n">{_e(_yuan(row[f"sum:{ty}"]))}</td>')
        out.append(f"<td>{_e(row['note'])}</td></tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _policy_differences(doc_policy: dict) -> dict:
    from xueji_check.policy import Policy

    base = Policy().as_json()
    return {k: v for k, v in doc_policy.items() if k != "source" and base.get(k) != v}


def render_html(findings: pl.DataFrame, result, doc: dict) -> str:
    run = doc.get("run", {})
    resolved = doc.get("resolved")
    has_status = findings.height > 0 and findings["status"].null_count() < findings.height
    baseline = resolved is not None or has_status
    sev = {s: n for s, n in findings.group_by("severity").len().iter_rows()}
    body: list[str] = [f"<h1>xueji-check 检查报告</h1><p class=\"note\">依据人社厅发〔2018〕28号；"
                       f"检查基准日 {_e(run.get('as_of'))}；运行时间 {_e(run.get('started'))} 至 "
                       f"{_e(run.get('ended'))}；版本 {_e(run.get('version'))}；退出码 "
                       f"{_e(run.get('exit_status'))}</p>"]
    cards = [("检查基准日", run.get("as_of") or "", ""), ("问题总数", findings.height, "")] + [(SEVERITY_ZH[s], sev.get(s, 0), s) for s in ("error", "warning", "info")]
    if baseline:
        st = {s: n for s, n in findings.group_by("status").len().iter_rows()}
        cards += [("新增", st.get("new", 0), ""), ("持续", st.get("persisting", 0), ""),
                  ("已整改", len(resolved or []), "")]
    body.append('<div class="cards">' + "".join(
        f'<div class="card {_e(c)}">{_e(label)}<b>{_e(n)}</b></div>' for label, n, c in cards) + "</div>")
    if run.get("calendar_note"):
        body.append(f'<p class="note">日历提示：{_e(run["calendar_note"])}</p>')

    # inputs
    body.append("<h2>输入文件</h2>")
    rows = []
    for inp in (result.inputs if result is not None else []):
        if not inp.tables:
            rows.append([inp.display, "", "", "", 0, "无法读取"])
        for t in inp.tables:
            rows.append([t.file, t.sheet, KIND_ZH.get(t.kind, t.kind), t.header_row, t.raw.height,
                         "是" if t.checkable else "否（缺少必需列）"])
    body.append(_table(["文件", "工作表", "类型", "表头行", "数据行数", "参与检查"], rows))
    problems = result.problems if result is not None else []
    if problems:
        body.append("<h2>读取输入时的提示</h2>")
        body.append(_table(["级别", "位置", "内容"],
                           [[SEVERITY_ZH.get(p.level, p.level), p.where(), p.message] for p in problems]))
    diffs = _policy_differences(run.get("policy", {}))
    if run.get("command") == "validate":  # validate itself selects the S rules; not a setting of the user's
        diffs = {k: v for k, v in diffs.items() if k not in ("select", "ignore")}
    body.append("<h2>策略文件中与默认值不同的设置</h2>")
    body.append(_table(["设置", "取值"], [[k, json.dumps(v, ensure_ascii=False, default=str)] for k, v in diffs.items()])
                if diffs else '<p class="note">全部为默认值。</p>')
    skipped = result.skipped if result is not None else run.get("skipped_rules", {})
    validate_only = run.get("command") == "validate"
    if validate_only:  # the S rules only ran: the business rules are one line, not one row each
        skipped = {rid: why for rid, why in skipped.items() if rid.startswith("S")}
    if skipped or validate_only:
        body.append("<h2>未执行的规则</h2>")
    if validate_only:
        body.append(f'<p class="note">{_e(VALIDATE_SKIPPED)}</p>')
    if skipped:
        body.append(_table(["规则", "名称", "原因"],
                           [[rid, CATALOG[rid].title if rid in CATALOG else "", why] for rid, why in skipped.items()]))
    not_checked = not_checked_rows(result, run)
    if not_checked:
        body.append(f"<h2>未能检查的文件（{len(not_checked)} 个）</h2>")
        body.append(_table(["文件或文件夹", "原因"], [list(r) for r in not_checked]))
    unjudged = unjudged_rows(result, run)
    if unjudged:
        body.append("<h2>未能判断的行</h2>")
        body.append('<p class="note">这些行缺少或无法识别某些规则需要的值（或只写了学年、没有写哪个学期），相应规则未能判断；无法识别的值已在 S 类规则中列出。</p>')
        body.append(_table(["规则", "名称", "行数", "原因"], unjudged))

    # per rule
    body.append("<h2>按规则统计</h2>")
    per_rule = findings.group_by("rule_id", "severity").agg(
        pl.len().alias("n"), (pl.col("status") == "new").sum().alias("new"),
        (pl.col("status") == "persisting").sum().alias("persisting"))
    order = {rid: i for i, rid in enumerate(CATALOG)}
    rows, cells = [], []
    for rid, s, n, nw, ps in sorted(per_rule.iter_rows(), key=lambda r: (order.get(r[0], 999), r[0])):
        row = [rid, CATALOG[rid].title if rid in CATALOG else "", SEVERITY_ZH.get(s, s), n]
        if baseline:
            row += [nw, ps]
        rows.append(row)
        cells.append(["", "", s or "", *[""] * (len(row) - 3)])
    body.append(_table(["规则", "名称", "级别", "数量"] + (["新增", "持续"] if baseline else []), rows,
                       cell_classes=cells) if rows else '<p class="note">没有发现问题。</p>')

    # per school
    schools = school_table(findings, result, validate_only=validate_only)
    body.append("<h2>学校汇总</h2>")
    body.append(svg_chart(schools))
    rows = [[r["rank"], r["school"], "重点监管学校" if r["focus"] else "", r["students"], r["findings"],
             r["per100"], r["err100"], r["error"], r["warning"], r["info"], *[r[f"fam_{k}"] for k in FAMILIES]]
            for r in schools.iter_rows(named=True)]
    body.append(_table(["排名", "学校", "重点监管", "学生数", "问题数", "每百名学生问题数", "每百名学生错误数", "错误", "警告", "提示",
                        *[f"{k} {v}" for k, v in FAMILIES.items()]], rows,
                       classes=["focus" if r["focus"] else "" for r in schools.iter_rows(named=True)]))
    body.extend(f'<p class="note">{_e(line)}</p>' for line in focus_notes(schools, validate_only))

    # the money per school and term
    money = money_table(result)
    if money is not None:
        body.append("<h2>资助资金（按学校和学期：受助人数与金额）</h2>")
        body.append(_money_table(money))
        body.append(f'<p class="note">{_e(MONEY_NOTE)}</p>')

    # resolved
    if resolved:
        body.append(f"<h2>已整改（上次有、本次没有）：{len(resolved)} 项</h2>")
        body.append(_table(["规则", "级别", "学校", "学籍号", "身份证号", "姓名", "问题说明（上次）"],
                           [[r.get("rule_id"), SEVERITY_ZH.get(r.get("severity"), r.get("severity")),
                             r.get("school"), r.get("student_id"), r.get("id_masked"), r.get("name"),
                             r.get("message")] for r in resolved[:MAX_RESOLVED_SHOWN]]))
        if len(resolved) > MAX_RESOLVED_SHOWN:
            body.append(f'<p class="note">只列出前 {MAX_RESOLVED_SHOWN} 项，完整列表见 findings.json。</p>')
    if doc.get("unverified"):
        body.append(f'<p class="note">另有 {len(doc["unverified"])} 个上次的问题本次未能复核（所在文件未能检查或规则未运行），'
                    '不算已整改；列表见 findings.json 的 unverified。</p>')

    # findings
    shown = [c for c in COLUMNS if c != "fingerprint" and (baseline or c != "status")]
    body.append(f"<h2>问题清单（{findings.height} 项）</h2>")
    if findings.height > MAX_FINDINGS_SHOWN:
        body.append(f'<p class="note">页面只列出前 {MAX_FINDINGS_SHOWN} 项，全部问题见 findings.csv 或 report.xlsx。</p>')
    rows, cells = [], []
    si = shown.index("severity")
    for rec in findings.head(MAX_FINDINGS_SHOWN).select(shown).iter_rows():
        r = list(rec)
        s = r[si]
        r[si] = SEVERITY_ZH.get(s, s)
        di = shown.index("dataset")
        r[di] = KIND_ZH.get(r[di], r[di])
        if "status" in shown:
            r[shown.index("status")] = STATUS_ZH.get(r[shown.index("status")], r[shown.index("status")])
        rows.append(r)
        cells.append([f"{s} nw" if c == "severity" else ("msg" if c == "message" else ("nw" if c in NO_WRAP else ""))
                      for c in shown])
    body.append(_table([HEADERS_ZH[c] for c in shown], rows, cell_classes=cells) if rows else "")

    return ("<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
            "img-src data:\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>xueji-check 检查报告 {_e(run.get('as_of'))}</title><style>{CSS}</style></head><body>"
            + "\n".join(body) + "\n</body></html>\n")


def write_html(findings: pl.DataFrame, result, doc: dict, target: Path) -> Path:
    text = render_html(findings, result, doc)
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return target
