"""Which paths are read (issue 11 point 6, issue 12 point 8): a folder is walked without leaving
it, only spreadsheet files are candidates, the rest is listed once; FIFOs and devices are never
opened; what should have been checked but was not makes the exit status at least 1."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from conftest import ROSTER_HEADERS, make_id, roster_row, write_csv, write_xlsx
from xueji_check.load import Problem, discover
from xueji_check.load import files as lfiles

AS_OF = "2025-01-01"


@pytest.fixture(autouse=True)
def hang_guard():
    """Opening a FIFO blocks: a test that hangs fails after a generous time instead."""
    def boom(*_):
        raise TimeoutError("hung (a FIFO opened?)")

    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(120)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def roster(path: Path, n: int = 2, blank_name_row: bool = False) -> Path:
    rows = [roster_row(f"S{i}", f"学生{i}", make_id(seq=f"{100 + i:03d}"), gender="男" if i % 2 else "女")
            for i in range(1, n + 1)]
    if blank_name_row:
        rows.append(roster_row("S99", "", make_id(seq="991")))
    return write_xlsx(path, [ROSTER_HEADERS, *rows])


def names(paths: list[Path], root: Path) -> list[str]:
    return [str(p.relative_to(root)) for p in paths]


# ----------------------------------------------------------------------------- discover
def test_only_spreadsheet_files_are_candidates(tmp_path):
    for n in ("a.xlsx", "b.XLSM", "c.xls", "d.xlsb", "e.ods", "f.csv", "g.tsv", "h.parquet",
              "说明.txt", "README.md", "通知.pdf", "图.png", "x.docx", "数据.json", "无后缀"):
        (tmp_path / n).write_bytes(b"x")
    problems: list[Problem] = []
    found = discover([tmp_path], problems)
    assert names(found, tmp_path) == ["a.xlsx", "b.XLSM", "c.xls", "d.xlsb", "e.ods", "f.csv", "g.tsv", "h.parquet"]
    skipped = [p for p in problems if "不是表格文件" in p.message]
    assert len(skipped) == 1 and skipped[0].level == "info" and skipped[0].file == str(tmp_path)
    for n in ("说明.txt", "README.md", "通知.pdf", "图.png", "x.docx", "数据.json", "无后缀"):
        assert n in skipped[0].message
    assert "有 7 个文件不是表格文件" in skipped[0].message


def test_a_txt_named_on_the_command_line_is_read(tmp_path, cli):
    """Excel's "Unicode 文本" save is a tab-separated .txt: read when the user names it."""
    f = tmp_path / "名册.txt"
    write_csv(f, [ROSTER_HEADERS, roster_row("S1", "张三", make_id())], encoding="utf-16", delimiter="\t")
    r = cli("check", f, "--as-of", AS_OF)
    assert r.code == 0, r.stderr
    assert r.json["run"]["inputs"][0]["rows"] == 1
    # the same file in a folder: listed as skipped, not read
    r = cli("check", tmp_path, "--as-of", AS_OF)
    assert r.code == 2 and "名册.txt" in r.stderr and "不是表格文件" in r.stderr


def test_lock_and_hidden_files_are_counted_not_named_or_read(tmp_path):
    roster(tmp_path / "名册.xlsx")
    (tmp_path / "~$名册.xlsx").write_bytes(b"\x0bowner")
    (tmp_path / ".~lock.名册.xlsx#").write_bytes(b"x")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "名册.xlsx").write_bytes(b"x")
    problems: list[Problem] = []
    roster(tmp_path / "资助.xlsx")
    found = discover([tmp_path], problems)
    assert names(found, tmp_path) == ["名册.xlsx", "资助.xlsx"]
    (msg,) = [p.message for p in problems if p.level == "info"]
    assert "有 3 个临时锁定文件或隐藏文件，已忽略" in msg and "~$" not in msg
    # the workbook with a lock file beside it may be open, its last edits unsaved: said once
    (warn,) = [p for p in problems if p.level == "warning"]
    assert warn.file.endswith("名册.xlsx") and "可能正在 Excel/WPS 中打开" in warn.message


def test_a_lock_file_named_on_the_command_line_is_said_to_be_one(tmp_path, cli):
    """`check ~$名册.xlsx` said 实际是文本文件，请用 Excel 打开后另存为. Near miss: a real workbook
    whose name starts with ~$ (bigger than a lock file) is read."""
    lock = tmp_path / "~$名册.xlsx"
    lock.write_bytes(b"\x0bowner" + b" " * 150)
    r = cli("check", lock, "--as-of", AS_OF)
    assert r.code == 2 and "临时锁定文件" in r.stderr and "另存为" not in r.stderr, r.stderr
    real = roster(tmp_path / "~$真名册.xlsx")
    assert real.stat().st_size >= 4096
    assert cli("check", real, "--as-of", AS_OF).code in (0, 1)


def test_subfolders_are_walked_in_a_stable_order(tmp_path):
    for rel in ("b/2.csv", "a/z.csv", "a/c/1.csv", "0.csv"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x")
    found = discover([tmp_path], [])
    assert names(found, tmp_path) == sorted(["0.csv", "a/c/1.csv", "a/z.csv", "b/2.csv"],
                                            key=lambda s: Path(s).parts)
    assert found == sorted(found)


def test_links_inside_the_folder_are_followed_once(tmp_path):
    roster(tmp_path / "real" / "名册.xlsx")
    (tmp_path / "别名.xlsx").symlink_to(tmp_path / "real" / "名册.xlsx")
    (tmp_path / "链接目录").symlink_to(tmp_path / "real", target_is_directory=True)
    problems: list[Problem] = []
    not_checked: list = []
    found = discover([tmp_path], problems, not_checked)
    assert len(found) == 1 and found[0].resolve() == (tmp_path / "real" / "名册.xlsx").resolve()
    assert not not_checked and not [p for p in problems if p.level == "error"]


def test_links_out_of_the_folder_are_listed_not_followed(tmp_path):
    outside = tmp_path / "outside"
    roster(outside / "他校名册.xlsx")
    (outside / "notes.md").write_text("x")
    root = tmp_path / "in"
    roster(root / "名册.xlsx")
    (root / "他校.xlsx").symlink_to(outside / "他校名册.xlsx")
    (root / "他校目录").symlink_to(outside, target_is_directory=True)
    (root / "笔记.md").symlink_to(outside / "notes.md")  # not a spreadsheet: only skipped
    problems: list[Problem] = []
    not_checked: list = []
    found = discover([root], problems, not_checked)
    assert names(found, root) == ["名册.xlsx"]
    assert {(Path(n.path).name, n.folder) for n in not_checked} == {("他校.xlsx", False), ("他校目录", True)}
    errors = [p for p in problems if p.level == "error"]
    assert {Path(p.file).name for p in errors} == {"他校.xlsx", "他校目录"}
    assert all("文件夹之外" in p.message and "未跟随" in p.message for p in errors)
    skipped = [p.message for p in problems if "不是表格文件" in p.message]
    assert skipped and "笔记.md（指向文件夹之外的链接）" in skipped[0]


def test_a_folder_given_through_a_link_is_walked_inside_its_target(tmp_path):
    roster(tmp_path / "data" / "名册.xlsx")
    (tmp_path / "link").symlink_to(tmp_path / "data", target_is_directory=True)
    (tmp_path / "data" / "内.xlsx").symlink_to(tmp_path / "data" / "名册.xlsx")
    not_checked: list = []
    found = discover([tmp_path / "link"], [], not_checked)
    assert len(found) == 1 and not not_checked


def test_dangling_links_are_listed(tmp_path):
    roster(tmp_path / "名册.xlsx")
    (tmp_path / "旧名册.xlsx").symlink_to(tmp_path / "已删除.xlsx")
    (tmp_path / "旧说明.txt").symlink_to(tmp_path / "已删除.txt")
    problems: list[Problem] = []
    not_checked: list = []
    discover([tmp_path], problems, not_checked)
    assert [Path(n.path).name for n in not_checked] == ["旧名册.xlsx"]
    assert any("旧说明.txt（失效的链接）" in p.message for p in problems)


def test_fifo_in_a_folder_is_refused_without_being_opened(tmp_path, monkeypatch):
    roster(tmp_path / "名册.xlsx")
    os.mkfifo(tmp_path / "管道.csv")
    os.mkfifo(tmp_path / "管道")  # no spreadsheet suffix: only skipped
    opened: list[str] = []
    real_open = os.open
    monkeypatch.setattr(os, "open", lambda p, *a, **k: opened.append(str(p)) or real_open(p, *a, **k))
    problems: list[Problem] = []
    not_checked: list = []
    found = discover([tmp_path], problems, not_checked)
    assert names(found, tmp_path) == ["名册.xlsx"] and not opened
    assert [Path(n.path).name for n in not_checked] == ["管道.csv"]
    assert any(p.level == "error" and "命名管道" in p.message for p in problems)


def test_fifo_given_directly_or_by_option_is_refused(tmp_path, cli):
    good = roster(tmp_path / "名册.xlsx")
    os.mkfifo(tmp_path / "管道.csv")
    r = cli("check", good, tmp_path / "管道.csv", "--as-of", AS_OF)
    assert r.code == 1 and "管道.csv" in r.stderr and "命名管道" in r.stderr
    assert r.json["run"]["files_not_checked"] == 1
    r = cli("check", "--roster", good, "--aid", tmp_path / "管道.csv", "--as-of", AS_OF)
    assert r.code == 2 and "命名管道" in r.stderr  # a kind named by option cannot be checked


def test_character_device_is_refused(tmp_path, cli):
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero here")
    good = roster(tmp_path / "名册.xlsx")
    r = cli("check", good, "/dev/zero", "--as-of", AS_OF)  # read whole, it would never end
    assert r.code == 1 and "/dev/zero" in r.stderr and "设备文件" in r.stderr


def test_a_fifo_put_in_place_after_discovery_is_still_not_read(tmp_path):
    """The type is checked again on the open descriptor (the path may change in between)."""
    from xueji_check.load import InputFile, load_file

    p = tmp_path / "名册.csv"
    os.mkfifo(p)
    inp = InputFile(p, str(p), None)
    problems: list = []
    load_file(inp, problems)
    assert not inp.ok and "命名管道" in problems[0].message


def test_unreadable_subfolder_is_listed(tmp_path, monkeypatch, cli):
    roster(tmp_path / "名册.xlsx")
    locked = tmp_path / "锁住的"
    roster(locked / "另一名册.xlsx")
    if os.geteuid() == 0:  # root reads any folder: make scandir fail as it would for a user
        real = os.scandir

        def scandir(d):
            if isinstance(d, str | os.PathLike) and Path(d) == locked:
                raise PermissionError(13, "Permission denied", str(d))
            return real(d)

        monkeypatch.setattr(lfiles.os, "scandir", scandir)
    else:
        locked.chmod(0)
    try:
        not_checked: list = []
        problems: list[Problem] = []
        found = discover([tmp_path], problems, not_checked)
        assert names(found, tmp_path) == ["名册.xlsx"]
        assert [(Path(n.path).name, n.folder) for n in not_checked] == [("锁住的", True)]
        assert any(p.level == "error" and "权限不足" in p.message and "子文件夹" in p.message for p in problems)
        r = cli("check", tmp_path, "--as-of", AS_OF)
        assert r.code == 1 and "锁住的" in r.stderr, r.stdout + r.stderr
        assert r.json["run"]["not_checked"] == [{"path": str(locked), "folder": True,
                                                 "reason": r.json["run"]["not_checked"][0]["reason"]}]
    finally:
        locked.chmod(0o755)


# ----------------------------------------------------------------------------- exit status
def _folder_with_one_unreadable(tmp_path: Path, blank_name_row: bool = False) -> Path:
    d = tmp_path / "in"
    roster(d / "名册.xlsx", blank_name_row=blank_name_row)
    (d / "坏文件.xlsx").write_bytes(b"PK\x03\x04garbage")
    return d


def test_one_good_and_one_unreadable_file_exits_1_not_0(tmp_path, cli):
    d = _folder_with_one_unreadable(tmp_path)
    r = cli("check", d, "--as-of", AS_OF)
    assert r.code == 1, r.stdout + r.stderr
    assert r.findings.height == 0  # the good file is clean: 1 comes from the file not checked
    run = r.json["run"]
    assert run["files_not_checked"] == 1 and run["exit_status"] == 1
    assert run["not_checked"][0]["path"].endswith("坏文件.xlsx") and "损坏" in run["not_checked"][0]["reason"]
    assert "有 1 个文件未能检查" in r.stdout


def test_good_folder_exits_0_and_says_nothing_of_files_not_checked(tmp_path, cli):
    roster(tmp_path / "in" / "名册.xlsx")
    r = cli("check", tmp_path / "in", "--as-of", AS_OF)
    assert r.code == 0 and r.json["run"]["files_not_checked"] == 0 and "未能检查" not in r.stdout
    r = cli("check", tmp_path / "in", "--as-of", AS_OF, "--quiet")
    assert r.code == 0 and "未能检查" not in r.stdout


@pytest.mark.parametrize(("fail_on", "code"), [("error", 1), ("warning", 1), ("never", 0)])
def test_files_not_checked_under_each_fail_on(tmp_path, cli, fail_on, code):
    d = _folder_with_one_unreadable(tmp_path)
    r = cli("check", d, "--as-of", AS_OF, "--fail-on", fail_on, "--quiet")
    assert r.code == code
    assert "1 个未能检查" in r.stdout and f"退出码 {code}" in r.stdout


def test_files_not_checked_under_fail_on_new(tmp_path, cli):
    d = tmp_path / "in"
    roster(d / "名册.xlsx")
    r = cli("check", d, "--as-of", AS_OF, out=tmp_path / "first")
    assert r.code == 0
    (d / "坏文件.xlsx").write_bytes(b"PK\x03\x04garbage")
    r = cli("check", d, "--as-of", AS_OF, "--fail-on", "new", "--baseline", tmp_path / "first" / "findings.json",
            out=tmp_path / "second")
    assert r.code == 1  # no new finding, but a file was not checked


def test_nothing_checkable_is_still_2(tmp_path, cli):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "坏文件.xlsx").write_bytes(b"PK\x03\x04garbage")
    r = cli("check", tmp_path / "in", "--as-of", AS_OF)
    assert r.code == 2


def test_missing_file_named_by_option_is_2(tmp_path, cli):
    good = roster(tmp_path / "名册.xlsx")
    r = cli("check", "--roster", good, "--aid", tmp_path / "没有.xlsx", "--as-of", AS_OF)
    assert r.code == 2 and "文件不存在" in r.stderr
    assert r.json["run"]["files_not_checked"] == 1


def test_missing_path_beside_a_good_file_is_1(tmp_path, cli):
    good = roster(tmp_path / "名册.xlsx")
    r = cli("check", good, tmp_path / "没有.xlsx", "--as-of", AS_OF)
    assert r.code == 1 and "文件不存在" in r.stderr


def test_a_recognised_table_missing_columns_beside_a_good_one_is_1_with_s001(tmp_path, cli):
    """Found in a folder, an aid table without its required columns is not a reason for 2: the
    roster was checked; S001 (an error) says what is missing."""
    d = tmp_path / "in"
    roster(d / "名册.xlsx")
    write_xlsx(d / "资助.xlsx", [["学籍号", "姓名", "身份证号", "资助类型", "金额", "发放日期", "发放方式"],
                                 ["S1", "学生1", make_id(seq="101"), "国家助学金", "1000", "2024-10-01", "银行卡"]])
    r = cli("check", d, "--as-of", AS_OF)
    assert r.code == 1, r.stdout + r.stderr
    assert r.rule("S001").height == 1


def test_unrecognised_table_is_counted_with_its_reason(tmp_path, cli):
    d = tmp_path / "in"
    roster(d / "名册.xlsx")
    write_xlsx(d / "课程表.xlsx", [["星期一", "星期二"], ["语文", "数学"]])
    r = cli("check", d, "--as-of", AS_OF, "--quiet")
    assert r.code == 1 and "1 个未能检查" in r.stdout
    (nc,) = r.json["run"]["not_checked"]
    assert nc["path"].endswith("课程表.xlsx") and "无法识别文件类型" in nc["reason"]


def test_exit_code_function():
    import polars as pl

    from xueji_check.cli import FailOn, _exit_code

    none = pl.DataFrame({"severity": [], "status": []}, schema={"severity": pl.String, "status": pl.String})
    warn = pl.DataFrame({"severity": ["warning"], "status": ["persisting"]})
    assert _exit_code(none, FailOn.error) == 0
    assert _exit_code(none, FailOn.error, 1) == 1
    assert _exit_code(warn, FailOn.error) == 0 and _exit_code(warn, FailOn.warning) == 1
    assert _exit_code(warn, FailOn.new) == 0 and _exit_code(warn, FailOn.new, 2) == 1
    assert _exit_code(warn, FailOn.never, 5) == 0


def test_a_file_name_that_is_not_utf8_is_refused_by_name_and_the_run_goes_on(tmp_path, cli):
    """A GBK file name on a UTF-8 system (a zip made on Windows, unpacked on Linux): Python keeps its
    bytes as lone surrogates, which no report can write. The file is not checked, the message shows
    the bytes and says what to do; the other files are checked, with --cache too; named by option
    (--roster) it is fatal as any file named that cannot be checked."""
    folder = tmp_path / "省"
    good = write_xlsx(folder / "学籍名册_甲.xlsx", [ROSTER_HEADERS, roster_row("S1", "", make_id(seq="101"))])  # 姓名 empty
    other = write_xlsx(tmp_path / "x.xlsx", [ROSTER_HEADERS, roster_row("S2", "乙", make_id(seq="103"))])
    bad = os.fsencode(folder) + b"/\xc3\xfb\xb2\xe1.xlsx"  # 名册 in GBK
    os.rename(other, bad)
    bad_path = Path(os.fsdecode(bad))
    shown = str(folder) + "/\\xc3\\xfb\\xb2\\xe1.xlsx"
    assert lfiles.shown_path(bad_path) == shown and lfiles.shown_path(good) == str(good)
    for extra in ([], ["--cache", tmp_path / "缓存"]):
        r = cli("check", folder, "--as-of", AS_OF, *extra, "--format", "csv,json", out=tmp_path / f"out{len(extra)}")
        assert r.code == 1, r.stderr
        text = (r.out / "findings.json").read_text(encoding="utf-8")
        assert "文件名不是 UTF-8 编码" in r.stdout + r.stderr + text and "\\\\xc3\\\\xfb" in text
        assert good.name in (r.out / "findings.csv").read_text(encoding="utf-8")
    r = cli("check", "--roster", bad_path, "--as-of", AS_OF, out=tmp_path / "out9")
    assert r.code == 2 and "文件名不是 UTF-8 编码" in r.stdout + r.stderr
    assert Path(os.fsdecode(bad)).read_bytes()  # never touched


def test_messages_about_a_subfolder_whose_name_is_not_utf8_do_not_stop_the_run(tmp_path, cli):
    """Inside a GBK-named subfolder: a file that is not a table, a dangling link and a link out of
    the folder. Each message names its path with the bytes shown as \\xNN (before, writing the
    first such message failed the whole run: exit 2, no report)."""
    folder = tmp_path / "省"
    good = write_xlsx(folder / "学籍名册_甲.xlsx", [ROSTER_HEADERS, roster_row("S1", "", make_id(seq="101"))])
    sub = os.fsencode(folder) + b"/\xd1\xa7\xd0\xa3\xb0\xe0"  # 学校班 in GBK (not UTF-8)
    os.mkdir(sub)
    (Path(os.fsdecode(sub)) / "说明.txt").write_text("x", encoding="utf-8")
    os.symlink(tmp_path / "nowhere.xlsx", sub + b"/dead.xlsx")
    os.symlink(tmp_path, sub + b"/out")
    r = cli("check", folder, "--as-of", AS_OF, "--format", "csv,json")
    assert r.code == 1, r.stderr
    said = r.stdout + r.stderr + (r.out / "findings.json").read_text(encoding="utf-8")
    assert "\\xb0\\xe0/dead.xlsx" in said and "\\xb0\\xe0/说明.txt" in said and "\\xb0\\xe0/out" in said
    assert good.name in (r.out / "findings.csv").read_text(encoding="utf-8")


def test_a_pdf_named_xlsx_is_not_sent_to_excel(tmp_path, cli):
    """Excel cannot open a PDF: the advice is to export the table again. Near miss: a text file
    named .xlsx is still told to be saved again from Excel."""
    pdf = tmp_path / "名册.xlsx"
    pdf.write_bytes(b"%PDF-1.7\n" + b"x" * 200)
    r = cli("check", pdf, "--as-of", AS_OF)
    assert r.code == 2 and "实际是 PDF 文件" in r.stderr and "重新导出" in r.stderr and "另存为" not in r.stderr
    txt = tmp_path / "名册2.xlsx"
    txt.write_text("只是一些文字，不是表格\n" * 3, encoding="utf-8")
    r = cli("check", txt, "--as-of", AS_OF)
    assert r.code == 2 and "另存为" in r.stderr, r.stderr


def test_a_folder_named_like_a_lock_file_is_walked(tmp_path):
    """A folder ~$备份 given directly is a folder, not a lock file (review: on tmpfs its size is
    below a lock file's limit)."""
    d = tmp_path / "~$备份"
    roster(d / "名册.xlsx")
    assert lfiles.refuse_given(d) is None
    problems: list[Problem] = []
    assert names(discover([d], problems), d) == ["名册.xlsx"]
