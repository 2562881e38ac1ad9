from __future__ import annotations

from datetime import date

import pytest
from django.utils import translation

from xietong.minutes.paste import parse_date, parse_pasted_minutes

PEOPLE = {"张三": ["p-zhang"], "李四": ["p-li"], "王五": ["p-wang-1", "p-wang-2"]}
MEETING_DAY = date(2026, 3, 9)


def parse(text: str):
    with translation.override("en"):
        return parse_pasted_minutes(
            text, find_people=lambda name: PEOPLE.get(name, []), meeting_date=MEETING_DAY
        )


def test_half_width_line_becomes_a_proposed_action():
    result = parse("[完成供应商评估](负责人:张三,截止日期:2026-03-20)")
    assert result.problems == []
    (action,) = result.actions
    assert (action.line, action.task, action.owner_name, action.owner, action.due_on) == (
        1,
        "完成供应商评估",
        "张三",
        "p-zhang",
        date(2026, 3, 20),
    )


@pytest.mark.parametrize(
    "line",
    [
        "[完成供应商评估]（负责人：张三，截止日期：2026-03-20）",
        "  [ 完成供应商评估 ] ( 负责人 : 张 三 , 截止日期 : 2026-03-20 )  ",
        "[完成供应商评估](负责人：张三,截止日期:２０２６-０３-２０)。",
        "[完成供应商评估](截止日期:2026/3/20,负责人:张三)",
        "[完成供应商评估](负责人:张三,截止日期:2026年3月20日)",
        # The drafted minutes name the department too; the owner's own is used.
        "[完成供应商评估](负责部门:技术部,负责人:张三,截止日期:2026-03-20)",
    ],
)
def test_full_width_spaces_and_order_are_accepted(line):
    result = parse(line)
    assert result.problems == []
    (action,) = result.actions
    assert (
        action.task == "完成供应商评估" and action.owner == "p-zhang" and action.due_on == date(2026, 3, 20)
    )


def test_prose_is_ignored_and_line_numbers_count_every_line():
    text = "\n".join(
        [
            "一、会议议题",
            "会议讨论了停车位改造方案 (见附件)。",
            "[任务](负责人:李四,截止日期:2026-03-09)",
            "",
            "[核对预算](负责人:张三,截止日期:2026-04-01)",
        ]
    )
    result = parse(text)
    assert result.problems == []
    assert [(a.line, a.task, a.owner) for a in result.actions] == [
        (3, "任务", "p-li"),
        (5, "核对预算", "p-zhang"),
    ]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("[任务](负责人:赵六,截止日期:2026-03-20)", "Nobody is called “赵六”."),
        (
            "[任务](负责人:王五,截止日期:2026-03-20)",
            "Several people are called “王五”; choose the owner by hand.",
        ),
        ("[任务](负责人:张三,截止日期:2026-02-30)", "“2026-02-30” is not a real date."),
        ("[任务](负责人:张三,截止日期:下周五)", "“下周五” is not a date of the form YYYY-MM-DD."),
        (
            "[任务](负责人:张三,截止日期:2026-03-08)",
            "The deadline 2026-03-08 is before the meeting (2026-03-09).",
        ),
        ("[任务](截止日期:2026-03-20)", "The owner (负责人) is missing."),
        ("[任务](负责人:张三)", "The deadline (截止日期) is missing."),
        ("[](负责人:张三,截止日期:2026-03-20)", "The task is empty."),
        ("[任务](负责人:张三,截止日期:2026-03-20,备注:急)", "Unknown field “备注”."),
        (
            "[任务](负责人:张三,截止日期:2026-03-20",
            "Write the line as [task](负责人:name,截止日期:YYYY-MM-DD).",
        ),
        ("[" + "长" * 201 + "](负责人:张三,截止日期:2026-03-20)", "The task is longer than 200 characters."),
    ],
)
def test_bad_lines_are_reported_with_line_and_reason_never_guessed(line, reason):
    result = parse("纪要正文\n" + line)
    assert result.actions == []
    (problem,) = result.problems
    assert problem.line == 2
    assert problem.text == line.strip()
    assert reason in problem.reasons


def test_several_problems_on_one_line_are_all_reported():
    result = parse("[任务](负责人:赵六,截止日期:2026-13-01)")
    (problem,) = result.problems
    assert len(problem.reasons) == 2


def test_good_and_bad_lines_mixed():
    result = parse("[甲](负责人:张三,截止日期:2026-03-20)\n[乙](负责人:赵六,截止日期:2026-03-20)")
    assert [a.line for a in result.actions] == [1]
    assert [p.line for p in result.problems] == [2]


def test_parse_date():
    assert parse_date("2026-3-9") == (date(2026, 3, 9), None)
    assert parse_date("2026-02-29")[0] is None
    assert parse_date("2028-02-29") == (date(2028, 2, 29), None)
