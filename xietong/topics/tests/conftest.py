"""Helpers for the topic tests: times in the seed-01 week and a topic built through the services."""

from __future__ import annotations

from datetime import datetime

import pytest

from xietong.policy.calendar import SHANGHAI
from xietong.topics import services


def sh(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


# An ordinary 2026 week: the topic is drafted on Wednesday 4 March for Monday 9 March 09:00.
# seed 01: head review by Thursday 5 March 12:00 (第五条(三)2), submission by 15:00 (第五条(二)4).
WED = sh(2026, 3, 4, 9, 0)
THU_EARLY = sh(2026, 3, 5, 11, 0)
THU_HEAD_LATE = sh(2026, 3, 5, 12, 30)
THU_SUBMIT_OK = sh(2026, 3, 5, 14, 0)
THU_SUBMIT_LATE = sh(2026, 3, 5, 16, 0)
FRI = sh(2026, 3, 6, 10, 0)
MEETING = sh(2026, 3, 9, 9, 0)


def topic_fields(torg, **overrides) -> dict:
    fields = {
        "department": torg.departments["tech"],
        "series": torg.series,
        "title": "新办公楼停车位不足，需行政与保卫协调",
        "background": "技术部搬入新办公楼后，员工停车位严重不足，早高峰排队进入停车场。",
        "collaboration_need": "需要办公室协调物业增加车位，财务部评估租赁外部停车场费用。",
        "expected_outcome": "两周内解决员工停车难。",
        "initial_solution": "租用周边停车场，按部门分配车位。",
        "departments_involved": [torg.departments["office"], torg.departments["finance"]],
    }
    fields.update(overrides)
    return fields


def make_topic(torg, *, now=WED, actor=None, **overrides):
    return services.topic_create(actor=actor or torg.tech_liaison, now=now, **topic_fields(torg, **overrides))


def advance(torg, topic, to: str, *, now=None):
    """Walk ``topic`` through the services up to status ``to`` (times inside the cut-offs)."""
    steps = [
        (
            "in_review",
            lambda t: services.topic_send_for_review(topic=t, actor=torg.tech_liaison, now=now or WED),
        ),
        ("approved", lambda t: services.topic_approve(topic=t, actor=torg.tech_head, now=now or THU_EARLY)),
        (
            "submitted",
            lambda t: services.topic_submit(topic=t, actor=torg.tech_liaison, now=now or THU_SUBMIT_OK),
        ),
        (
            "triaged",
            lambda t: services.topic_triage(
                topic=t, actor=torg.coordinator, now=now or THU_SUBMIT_OK, category="issue", priority=2
            ),
        ),
        ("scheduled", lambda t: services.topic_schedule(topic=t, actor=torg.coordinator, now=now or FRI)),
    ]
    order = ["draft", *(status for status, _step in steps)]
    start = order.index(topic.status)
    for status, step in steps[start:]:
        topic = step(topic)
        if status == to:
            return topic
    raise ValueError(to)


@pytest.fixture
def topic(torg):
    return make_topic(torg)
