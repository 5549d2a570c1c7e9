"""CLI contract details a nightly job and a school rely on."""

from __future__ import annotations

import openpyxl

from conftest import ROSTER_HEADERS, make_id, roster_row, write_xlsx


def test_a_run_with_nothing_to_check_keeps_the_last_good_report(tmp_path, cli):
    good = write_xlsx(tmp_path / "in" / "名册.xlsx", [ROSTER_HEADERS, roster_row("1", "", make_id())])
    out = tmp_path / "out"
    first = cli("check", good, "--as-of", "2025-01-01", out=out)
    assert first.code == 1
    before = (out / "findings.csv").read_bytes()
    missing = cli("check", tmp_path / "没有这个文件.xlsx", "--as-of", "2025-01-01", out=out)
    assert missing.code == 2
    assert "文件不存在" in missing.stderr and "上次的报告保持不变" in missing.stderr
    assert (out / "findings.csv").read_bytes() == before
    assert "共发现" not in missing.stdout


def test_validate_says_why_business_rules_did_not_run(tmp_path, cli):
    f = write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS, roster_row("1", "甲", make_id())])
    r = cli("validate", f)
    assert r.json["run"]["skipped_rules"]["R101"] == "validate 只做格式校验"


def test_annotated_copy_masks_phone_and_address_unless_show_pii(tmp_path, cli):
    headers = ROSTER_HEADERS + ["联系电话", "家庭住址"]
    f = write_xlsx(tmp_path / "in" / "名册.xlsx", [headers, roster_row("1", "", make_id()) + ["13912345678", "东方市人民路1号"]])
    r = cli("check", f, "--as-of", "2025-01-01")
    ws = openpyxl.load_workbook(r.out / "report.xlsx").worksheets[3]
    values = [c for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert "13912345678" not in values and "东方市人民路1号" not in values
    assert "139****78" in values
    shown = cli("check", f, "--as-of", "2025-01-01", "--show-pii", out=tmp_path / "pii")
    ws = openpyxl.load_workbook(shown.out / "report.xlsx").worksheets[3]
    values = [c for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert "13912345678" in values and "东方市人民路1号" in values


def test_reports_get_the_users_normal_file_mode(tmp_path, cli):
    import os

    f = write_xlsx(tmp_path / "名册.xlsx", [ROSTER_HEADERS, roster_row("1", "甲", make_id())])
    r = cli("check", f, "--as-of", "2025-01-01")
    umask = os.umask(0)
    os.umask(umask)
    assert (r.out / "findings.csv").stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_run_with_nothing_to_check_into_a_new_folder_does_not_speak_of_a_last_report(tmp_path, cli):
    out = tmp_path / "新文件夹"
    r = cli("check", tmp_path / "没有这个文件.xlsx", "--as-of", "2025-01-01", out=out)
    assert r.code == 2 and not out.exists()
    assert "上次的报告" not in r.stderr and f"没有创建 {out}" in r.stderr
