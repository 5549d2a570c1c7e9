from conftest import ROSTER_HEADERS, make_id, roster_row, write_xlsx


def test_check_writes_findings_and_exit_1(tmp_path, cli):
    f = write_xlsx(tmp_path / "in" / "名册.xlsx", [ROSTER_HEADERS, roster_row("1", "", make_id())],
                   title="东方技工学校学生名册")
    r = cli("check", f.parent, "--as-of", "2025-01-01")
    assert r.code == 1, r.stdout + r.stderr
    s002 = r.rule("S002")
    assert s002.height == 1 and s002["row"][0] == "3" and s002["column"][0] == "姓名"
