"""Minutes texts as the recorder saves them, for the layout and .docx tests (no database), and
the converters those tests read documents back with."""

from __future__ import annotations

import os
import shutil

import pytest

from xietong.minutes.layout import Labels, Vocabulary

ZH = Vocabulary(
    language="zh-hans",
    decisions_label="决议：",
    actions_label="任务：",
    decision="%(n)s. %(text)s（责任科室：%(department)s，责任人：%(person)s；截止日期：%(due)s）",
    resources="涉及资源：%(kind)s，%(amount)s",
    next_meeting="下次会议：%(when)s，%(place)s",
    speaking="各科室发言时长：%(list)s",
)
EN = Vocabulary(
    language="en",
    decisions_label="Decisions:",
    actions_label="Action items:",
    decision="%(n)s. %(text)s (responsible: %(department)s, %(person)s; deadline %(due)s)",
    resources="Resources: %(kind)s, %(amount)s",
    next_meeting="Next meeting: %(when)s, %(place)s",
    speaking="Speaking time by department: %(list)s",
)
LABELS = Labels()

BODY = """跨科室周例会会议纪要

时间：2026-03-09 09:00 至 10:30
地点：三楼会议室
主持人：王主持
记录员：李记录
出席人员：周技术、王市场（迟到）
缺席人员：陈财务（出差）

一、停车位改造
发言：周技术（技术部），3:05；王市场（市场部），2:10
讨论情况：会议讨论了停车位改造方案，预算￥50000。
结果：已决定
决议：
1. 提交停车位改造方案（责任科室：技术部，责任人：周技术；截止日期：2026-03-20）
涉及资源：资金，50,000元
2. 核算宣传预算（责任科室：财务部，责任人：陈财务；截止日期：2026-03-27）
任务：
[提交停车位改造方案](负责部门:技术部,负责人:周技术,截止日期:2026-03-20)
[核算宣传预算]（负责人：陈财务，截止日期：2026-03-27）

二、宣传物料
讨论情况：市场部介绍了印刷计划。
（一）印刷数量
1、首批
（1）海报
（2）折页
结果：推迟到以后的会议（等待报价）

各科室发言时长：技术部 3:05；市场部 2:10

下次会议：2026-03-16 09:00，三楼会议室
"""

EN_BODY = """Minutes of Weekly meeting

Time: 2026-03-09 09:00–10:30

一、Parking
Discussion: the plan was discussed.
Decisions:
1. Submit the plan (responsible: Tech, Zhou; deadline 2026-03-20)
Action items:
[Submit the plan](负责部门:Tech,负责人:Zhou,截止日期:2026-03-20)

Next meeting: to be announced
"""


def require_tool(path: str, package: str) -> str:
    """The converter's path. Missing, the calling test is skipped on a developer's machine and fails
    under CI=true or XIETONG_REQUIRE_BROWSER=1 (as the browser tests do without Chromium)."""
    found = shutil.which(path)
    if found:
        return found
    if os.environ.get("CI") == "true" or os.environ.get("XIETONG_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{path} is required for the .docx layout test but is missing (apt install {package})")
    pytest.skip(f"{path} is not installed (apt install {package}); CI requires it")
