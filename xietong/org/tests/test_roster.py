"""The roster file reader and checker (no database)."""

from __future__ import annotations

from django.utils import translation

from xietong.org.models import LeadershipRank, Role
from xietong.org.roster import parse_roles, parse_roster
from xietong.org.tests.rosterfiles import BASIC, HEADER, csv_bytes, xlsx_bytes


def problems(parsed):
    return [(p.row, p.column) for p in parsed.problems]


def en_parse(data: bytes, name: str = "roster.csv", **kwargs):
    with translation.override("en"):
        return parse_roster(data, name, **kwargs)


def test_csv_with_bom_is_read_with_row_numbers_and_roles():
    parsed = en_parse(csv_bytes(BASIC))
    assert parsed.problems == []
    assert [r.row for r in parsed.rows] == [2, 3, 4, 5]
    lin = parsed.rows[0]
    assert (lin.name, lin.mobile, lin.login, lin.title) == (
        "林中心",
        "13800000001",
        "13800000001",
        "研发中心主任",
    )
    assert lin.roles == {(Role.HEAD, "研发中心", ""), (Role.LEADERSHIP, "", LeadershipRank.MEMBER)}
    assert parsed.rows[3].roles == {(Role.DEPUTY, "软件部", ""), (Role.HOST, "", "")}
    assert parsed.parents == {"研发中心": None, "软件部": "研发中心"}


def test_csv_without_bom_and_gb18030_both_read():
    for encoding in ("utf-8", "gb18030"):
        parsed = en_parse(csv_bytes(BASIC, encoding=encoding))
        assert parsed.problems == [], encoding
        assert parsed.rows[1].name == "许软件"


def test_xlsx_numbers_become_text():
    rows = [["软件部", "", "许软件", "经理", 13800000002, "xu@example.cn", "科室负责人"]]
    parsed = en_parse(xlsx_bytes(rows), "名单.XLSX")
    assert parsed.problems == []
    assert parsed.rows[0].mobile == "13800000002"
    assert parsed.rows[0].login == "13800000002"


def test_xlsx_row_numbers_count_blank_rows():
    rows = [BASIC[0], [None] * 7, ["研发中心", "", "", "", "12345", "", ""]]
    parsed = en_parse(xlsx_bytes(rows), "roster.xlsx")
    assert (4, "姓名") in problems(parsed)
    assert (4, "手机") in problems(parsed)


def test_role_separators():
    for text in [
        "主持人、记录员",
        "主持人,记录员",
        "主持人，记录员",
        "主持人;记录员",
        "主持人  记录员",
        "主持人；记录员",
    ]:
        found, unknown = parse_roles(text)
        assert found == [(Role.HOST, ""), (Role.RECORDER, "")], text
        assert unknown == []
    assert parse_roles("") == ([], [])
    assert parse_roles("主持人、老板") == ([(Role.HOST, "")], ["老板"])


def test_every_row_problem_is_listed_with_row_and_column():
    rows = [
        ["软件部", "", "", "经理", "13800000001", "", ""],  # row 2: name missing
        ["软件部", "", "甲", "", "2380000000", "", ""],  # row 3: bad mobile
        ["软件部", "", "乙", "", "13800000003", "not-an-email", ""],  # row 4: bad e-mail
        ["软件部", "", "丙", "", "13800000004", "", "老板"],  # row 5: unknown role
        ["软件部", "不存在部", "丁", "", "13800000005", "", ""],  # row 6: unknown parent
        ["软件部", "", "戊", "", "13800000004", "", ""],  # row 7: duplicate mobile of row 5
        ["软件部", "", "己" * 41, "职" * 61, "13800000007", "", ""],  # row 8: too long
    ]
    parsed = en_parse(csv_bytes(rows))
    assert problems(parsed) == [
        (2, "姓名"),
        (3, "手机"),
        (4, "邮箱"),
        (5, "角色"),
        (6, "上级部门"),
        (7, "手机"),
        (8, "姓名"),
        (8, "职务"),
    ]
    by_row = {p.row: p.message for p in parsed.problems}
    assert "row 5" in by_row[7]
    assert "不存在部" in by_row[6]
    assert "老板" in by_row[5]


def test_messages_follow_the_active_language():
    data = csv_bytes([["软件部", "", "", "", "13800000001", "", ""]])
    with translation.override("en"):
        english = parse_roster(data, "r.csv").problems[0].message
    assert english == "The name is missing."


def test_duplicate_login_in_the_file():
    header = [*HEADER, "账号"]
    rows = [
        ["软件部", "", "甲", "", "13800000001", "", "", "jia"],
        ["软件部", "", "乙", "", "13800000002", "", "", "jia"],
        ["软件部", "", "丙", "", "13800000003", "", "", "bad login!"],
    ]
    parsed = en_parse(csv_bytes(rows, header=header))
    assert problems(parsed) == [(3, "账号"), (4, "账号")]
    assert "row 2" in parsed.problems[0].message


def test_login_defaults_to_mobile_when_cell_empty():
    header = [*HEADER, "账号"]
    parsed = en_parse(csv_bytes([["软件部", "", "甲", "", "138 0000 0001", "", "", ""]], header=header))
    assert parsed.problems == []
    assert parsed.rows[0].login == parsed.rows[0].mobile == "13800000001"


def test_parent_may_come_later_in_the_file():
    rows = [
        ["软件部", "研发中心", "甲", "", "13800000001", "", ""],
        ["研发中心", "", "乙", "", "13800000002", "", ""],
    ]
    parsed = en_parse(csv_bytes(rows))
    assert parsed.problems == []
    assert parsed.parents == {"软件部": "研发中心", "研发中心": None}


def test_parent_known_in_the_database():
    rows = [["软件部", "技术部", "甲", "", "13800000001", "", ""]]
    parsed = en_parse(csv_bytes(rows), known_parents={"技术部": None})
    assert parsed.problems == []


def test_parent_cycle_in_the_file():
    rows = [
        ["甲部", "乙部", "甲", "", "13800000001", "", ""],
        ["乙部", "丙部", "乙", "", "13800000002", "", ""],
        ["丙部", "甲部", "丙", "", "13800000003", "", ""],
    ]
    parsed = en_parse(csv_bytes(rows))
    assert problems(parsed) == [(2, "上级部门")]
    assert "cycle" in parsed.problems[0].message
    assert "甲部 → 乙部 → 丙部 → 甲部" in parsed.problems[0].message


def test_cycle_through_the_database():
    # 技术部 is under 研发中心 in the database; the file puts 研发中心 under 技术部.
    rows = [["研发中心", "技术部", "甲", "", "13800000001", "", ""]]
    parsed = en_parse(csv_bytes(rows), known_parents={"技术部": "研发中心", "研发中心": None})
    assert problems(parsed) == [(2, "上级部门")]


def test_self_parent_is_a_cycle():
    parsed = en_parse(csv_bytes([["甲部", "甲部", "甲", "", "13800000001", "", ""]]))
    assert problems(parsed) == [(2, "上级部门")]


def test_conflicting_parents():
    rows = [
        ["软件部", "研发中心", "甲", "", "13800000001", "", ""],
        ["软件部", "办公室", "乙", "", "13800000002", "", ""],
        ["研发中心", "", "丙", "", "13800000003", "", ""],
        ["办公室", "", "丁", "", "13800000004", "", ""],
    ]
    assert problems(en_parse(csv_bytes(rows))) == [(3, "上级部门")]


def test_department_role_needs_a_department():
    parsed = en_parse(csv_bytes([["", "", "甲", "", "13800000001", "", "联络员"]]))
    assert problems(parsed) == [(2, "角色")]


def test_two_leadership_ranks_refused():
    parsed = en_parse(csv_bytes([["办公室", "", "甲", "", "13800000001", "", "领导小组组长、领导小组成员"]]))
    assert problems(parsed) == [(2, "角色")]


def test_unknown_header_is_one_file_error():
    header = [*HEADER, "工号"]
    parsed = en_parse(csv_bytes([["软件部", "", "甲", "", "13800000001", "", "", "007"]], header=header))
    assert len(parsed.problems) == 1
    assert parsed.problems[0].column == "工号"
    assert "Unknown column" in parsed.problems[0].message
    assert parsed.rows == []


def test_missing_required_header_is_one_file_error():
    header = ["部门", "姓名", "邮箱"]
    parsed = en_parse(csv_bytes([["软件部", "甲", ""]], header=header))
    assert len(parsed.problems) == 1
    assert "手机" in parsed.problems[0].message
    assert parsed.problems[0].row == 1


def test_header_with_required_star_and_spaces_accepted():
    header = ["部门*", " 姓名 ", "手机＊"]
    parsed = en_parse(csv_bytes([["软件部", "甲", "13800000001"]], header=header))
    assert parsed.problems == []
    assert not parsed.has("roles")
    assert parsed.rows[0].roles == frozenset()


def test_wrong_file_types():
    assert "xlsx" in en_parse(b"whatever", "roster.xls").problems[0].message
    assert en_parse(b"not a zip", "roster.xlsx").problems[0].row is None
    assert en_parse(b"", "roster.csv").problems[0].message == "The file is empty."
    # Bytes that are neither UTF-8 nor GB18030.
    assert en_parse(b"\x80\x80\xff\xff", "roster.csv").problems[0].row is None
