"""The minutes text read as an official document (plain module, no database)."""

from __future__ import annotations

import ast
from decimal import Decimal
from pathlib import Path

from xietong.minutes.layout import (
    Labels,
    content_disposition,
    heading_number,
    pick_vocabulary,
    read_minutes,
    safe_filename,
    yuan,
)

from .minutes_samples import BODY, EN, EN_BODY, LABELS, ZH


def doc():
    return read_minutes(
        BODY, vocabulary=ZH, labels=LABELS, distribution="分送：领导小组，技术部。", signoff=["签发：王主持"]
    )


def test_title_and_meta_lines():
    d = doc()
    assert d.title == "跨科室周例会会议纪要"
    assert d.meta[0] == "时间：2026-03-09 09:00 至 10:30"
    assert d.meta[-1] == "缺席人员：陈财务（出差）"
    assert d.language == "zh-CN" and d.distribution == "分送：领导小组，技术部。"


def test_four_levels_in_order_with_numbers_restarting_under_each_heading():
    assert doc().headings() == [
        "一、停车位改造",
        "（一）议定事项",
        "1.提交停车位改造方案（负责部门：技术部；负责人：周技术；完成时限：2026年3月20日）。",
        "（1）涉及资源：资金，50,000元",
        "2.核算宣传预算（负责部门：财务部；负责人：陈财务；完成时限：2026年3月27日）。",
        "（二）任务分工",
        "二、宣传物料",
        "（一）印刷数量",
        "1.首批",
        "（1）海报",
        "（2）折页",
        "三、下次会议",
    ]
    levels = {b.level for b in doc().blocks if b.kind == "heading"}
    assert levels == {1, 2, 3, 4}


def test_action_items_are_a_table_never_the_notation():
    d = doc()
    [table] = [b for b in d.blocks if b.kind == "table"]
    assert table.rows == (
        ("序号", "任务", "负责部门", "负责人", "完成时限"),
        ("1", "提交停车位改造方案", "技术部", "周技术", "2026年3月20日"),
        # The line without 负责部门 takes the department of the owner's decision.
        ("2", "核算宣传预算", "财务部", "陈财务", "2026年3月27日"),
    )
    everything = [b.text for b in d.blocks] + [c for b in d.blocks for row in b.rows for c in row]
    assert not any("](" in t or "负责人:" in t or t in ("决议：", "任务：") for t in everything)


def test_next_meeting_is_its_own_last_section():
    blocks = doc().blocks
    assert blocks[-2].heading == "三、下次会议"
    assert blocks[-1].kind == "text" and blocks[-1].text == "2026-03-16 09:00，三楼会议室"
    texts = [b.text for b in blocks]
    # The speaking times close the items, before the next meeting.
    assert texts.index("各科室发言时长：技术部 3:05；市场部 2:10") == len(blocks) - 3


def test_amounts_are_written_with_yuan():
    texts = [b.text for b in doc().blocks]
    assert "讨论情况：会议讨论了停车位改造方案，预算50,000元。" in texts
    assert yuan(Decimal("12500.00")) == "12,500元"
    assert yuan(Decimal("3000.5")) == "3,000.50元"
    assert yuan(7) == "7元"


def test_discussion_stays_in_paragraphs_under_its_item():
    blocks = doc().blocks
    first = [b.text for b in blocks[1:4]]
    assert first == [
        "发言：周技术（技术部），3:05；王市场（市场部），2:10",
        "讨论情况：会议讨论了停车位改造方案，预算50,000元。",
        "结果：已决定",
    ]


def test_english_draft_is_read_with_its_own_vocabulary():
    assert pick_vocabulary(EN_BODY, [ZH, EN]) is EN
    assert pick_vocabulary(BODY, [ZH, EN]) is ZH
    assert pick_vocabulary("随便写的", [ZH, EN]) is ZH  # none used: the first
    labels = Labels(
        decisions="Agreed matters",
        actions="Division of tasks",
        next_meeting="Next meeting",
        responsibility="department: %(department)s; person: %(person)s; deadline: %(due)s",
        date="%(y)d-%(m)02d-%(d)02d",
    )
    d = read_minutes(EN_BODY, vocabulary=EN, labels=labels)
    assert d.headings() == [
        "一、Parking",
        "（一）Agreed matters",
        "1.Submit the plan（department: Tech; person: Zhou; deadline: 2026-03-20）。",
        "（二）Division of tasks",
        "二、Next meeting",
    ]
    assert d.blocks[-1].text == "to be announced"


def test_hand_edited_text_without_the_drafts_labels_still_lays_out():
    d = read_minutes("纪要\n随手记的一行\n一、议题\n（三）小标题\n3. 事项\n正文", vocabulary=ZH)
    assert d.title == "纪要" and d.meta == ("随手记的一行",)
    # Renumbered in order: the recorder's own numbers are not trusted.
    assert d.headings() == ["一、议题", "（一）小标题", "1.事项"]
    assert d.blocks[-1].text == "正文"
    assert read_minutes("", vocabulary=ZH).blocks == ()


def test_heading_numbers():
    assert [heading_number(1, n) for n in (1, 10, 11, 23)] == ["一、", "十、", "十一、", "二十三、"]
    assert (
        heading_number(2, 3) == "（三）"
        and heading_number(3, 12) == "12."
        and heading_number(4, 2) == "（2）"
    )


def test_content_disposition_carries_utf8_name_and_ascii_fallback():
    header = content_disposition("跨科室周例会纪要（2026-12-07）.docx", fallback="minutes-7-v1.docx")
    assert header == (
        'attachment; filename="minutes-7-v1.docx"; '
        "filename*=UTF-8''%E8%B7%A8%E7%A7%91%E5%AE%A4%E5%91%A8%E4%BE%8B%E4%BC%9A%E7%BA%AA%E8%A6%81"
        "%EF%BC%882026-12-07%EF%BC%89.docx"
    )
    # Quotes, slashes and line breaks never reach the header.
    assert content_disposition('a"b/c\r\n.docx', fallback='x"y.docx') == (
        "attachment; filename=\"x_y.docx\"; filename*=UTF-8''a_b_c_.docx"
    )
    assert safe_filename("..") == "minutes"


def test_layout_and_docx_modules_import_no_django():
    for module in ("layout.py", "docx.py"):
        tree = ast.parse((Path(__file__).parents[1] / module).read_text())
        imported = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                imported.append(node.module or "")
        assert "docx" in imported or "re" in imported
        assert not [name for name in imported if name.startswith(("django", "xietong"))], module
