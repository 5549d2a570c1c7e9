"""R110 (联系方式聚集) compares home addresses with their city kept: the same street and number in
four cities is four households, not a cluster. The province is dropped (河南省郑州市… = 郑州市…);
a part not written is filled in only where that is unambiguous: an address without its city is
compared within its school, one without its district takes the only district the same city and
street have."""

from __future__ import annotations

import polars as pl

from conftest import make_id, write_xlsx
from test_rules_fraud import check, roster_file, rows, student
from xueji_check import normalize as nz

IDS = [make_id(f"2008{m:02d}{d:02d}", seq="123") for m in range(1, 13) for d in (1, 2)]


def people(addresses: list[str], *, school: str = "东方技工学校", start: int = 0, prefix: str = "S") -> list[dict]:
    return [student(f"{prefix}{i}", f"学生{prefix}{i}", IDS[start + i], 学校名称=school, 家庭住址=a)
            for i, a in enumerate(addresses)]


def addresses_flagged(res) -> list[str]:
    return rows(res, "R110") if res.rule("R110").height else []


# ---------------------------------------------------------------- the reviewer's cases
def test_four_cities_are_four_households(tmp_path, cli):
    four = ["郑州市文化北路123号", "洛阳市文化北路123号", "河南开封文化北路123号", "新乡市文化北路123号"]
    res = check(cli, "--roster", roster_file(tmp_path, people(four[:2]), "东方.xlsx"),
                "--roster", roster_file(tmp_path, people(four[2:], school="西方技工学校", start=2, prefix="W"), "西方.xlsx"))
    assert res.rule("R110").height == 0, res.rule("R110")["message"].to_list()
    same_school = check(cli, "--roster", roster_file(tmp_path, people(four), "一校.xlsx"), out=tmp_path / "out2")
    assert same_school.rule("R110").height == 0


def test_with_and_without_the_province_is_one_address(tmp_path, cli):
    written = ["河南省郑州市金水区文化北路123号", "郑州市金水区文化北路123号", "河南郑州金水区文化北路１２３号", "郑州 金水区 文化北路 123 号"]
    res = check(cli, "--roster", roster_file(tmp_path, people(written[:2]), "东方.xlsx"),
                "--roster", roster_file(tmp_path, people(written[2:], school="西方技工学校", start=2, prefix="W"), "西方.xlsx"))
    assert res.rule("R110").height == 4
    assert all("共 4 人" in m for m in res.rule("R110")["message"])


def test_district_written_or_not_is_one_address(tmp_path, cli):
    """郑州市金水区文化北路123号 and 郑州市文化北路123号: the only district that address has in Zhengzhou."""
    written = ["郑州市金水区文化北路123号", "郑州市金水区文化北路123号", "郑州市文化北路123号", "郑州文化北路123号"]
    res = check(cli, "--roster", roster_file(tmp_path, people(written)))
    assert addresses_flagged(res) == ["3", "4", "5", "6"]


# ---------------------------------------------------------------- near misses
def test_two_districts_leave_the_address_without_one_apart(tmp_path, cli):
    """金水区 three times, 二七区 once, and once without a district: which one it is cannot be
    told, so it joins neither (3 students on 金水区 are not more than 3)."""
    written = ["郑州市金水区文化北路123号"] * 3 + ["郑州市二七区文化北路123号", "郑州市文化北路123号"]
    res = check(cli, "--roster", roster_file(tmp_path, people(written)))
    assert res.rule("R110").height == 0, res.rule("R110")["message"].to_list()


def test_no_city_is_compared_within_its_school_only(tmp_path, cli):
    east = people(["金水区文化路8号3栋2单元501室"] * 2, school="东方技工学校")
    west = people(["金水区文化路8号3栋2单元501室"] * 2, school="西方技工学校", start=2, prefix="W")
    res = check(cli, "--roster", roster_file(tmp_path, east + west))
    assert res.rule("R110").height == 0
    one = people(["金水区文化路8号3栋2单元501室"] * 4)
    res = check(cli, "--roster", roster_file(tmp_path, one, "同校.xlsx"), out=tmp_path / "out2")
    assert res.rule("R110").height == 4


def test_no_city_takes_the_one_city_of_its_school(tmp_path, cli):
    """The sample data's case: three write the city, one does not, all in one school."""
    written = ["河南省郑州市金水区文化路8号3栋2单元501室", "郑州市金水区文化路8号3幢2单元501", "郑州金水区文化路8#3-2-501",
               "金水区文化路８号３栋２单元５０１室"]
    res = check(cli, "--roster", roster_file(tmp_path, people(written)))
    assert res.rule("R110").height == 4
    # two cities for that street in the school: the one without a city joins neither
    mixed = people(["郑州市文化北路123号"] * 2 + ["洛阳市文化北路123号"] * 2 + ["文化北路123号"])
    res = check(cli, "--roster", roster_file(tmp_path, mixed, "两市.xlsx"), out=tmp_path / "out2")
    assert res.rule("R110").height == 0


def test_county_is_not_dropped_like_a_district(tmp_path, cli):
    """中牟县 is a county of Zhengzhou, another town: 郑州市中牟县文化路123号 is not 郑州市文化路123号."""
    written = ["郑州市中牟县文化路123号"] * 2 + ["郑州市文化路123号"] * 2
    res = check(cli, "--roster", roster_file(tmp_path, people(written)))
    assert res.rule("R110").height == 0


# ---------------------------------------------------------------- messy
def test_tables_without_a_school_column_keep_their_own_school(tmp_path, cli):
    """No 学校名称 column: the school of each table (its title) scopes an address without a city."""
    head = ["学籍号", "姓名", "身份证号", "性别", "学制", "学习形式", "入学日期", "学籍状态", "家庭住址"]

    def table(prefix: str, start: int) -> list[list]:
        return [head] + [[f"{prefix}{i}", f"学生{prefix}{i}", IDS[start + i], "男", "3", "全日制", "2024-09-01", "在校",
                          "金水区文化路8号3栋2单元501室"] for i in range(2)]

    east = write_xlsx(tmp_path / "in" / "名册1.xlsx", table("E", 0), title="东方技工学校学生名册")
    west = write_xlsx(tmp_path / "in" / "名册2.xlsx", table("W", 2), title="西方技工学校学生名册")
    res = check(cli, "--roster", east, "--roster", west)
    assert res.rule("R110").height == 0


def test_address_parts():
    got = pl.DataFrame({"v": ["北京朝阳区建国路88号", "上海市浦东新区世纪大道100号", "海南藏族自治州共和县文化路5号",
                              "吉林市昌邑区解放路5号", "郑州市市辖区金水区文化路1号", "南京市鼓楼区城区路12号"]}) \
        .select(nz.address_key(pl.col("v"))).to_series().to_list()
    assert got == ["北京市|朝阳区|建国路88", "上海市|浦东新区|世纪大道100", "海南藏族自治州||共和县文化路5",
                   "吉林市|昌邑区|解放路5", "郑州市|金水区|文化路1", "南京市|鼓楼区|城区路12"]
