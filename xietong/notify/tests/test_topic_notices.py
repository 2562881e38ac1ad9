"""The author of a topic learns, in the inbox and on their channels, when it is returned,
rejected or deferred, with the reason given."""

from __future__ import annotations

import pytest

from xietong.meetings.services import series_meeting_after
from xietong.notify.models import Channel, Delivery, Message
from xietong.notify.services import notify_dispatch
from xietong.notify.topics import render
from xietong.topics import services
from xietong.topics.tests.conftest import FRI, THU_EARLY, advance, make_topic


def _told(torg, topic_name: str):
    notify_dispatch(now=FRI)
    return list(Message.objects.filter(recipient=torg.tech_liaison, topic=topic_name))


def test_the_author_is_told_when_the_head_returns_the_topic(torg):
    topic = advance(torg, make_topic(torg), "in_review")
    services.topic_return(topic=topic, actor=torg.tech_head, now=THU_EARLY, comment="补充费用测算")
    [message] = _told(torg, "topic_returned")
    shown = render(message.topic, message.params, language="zh-hans")
    assert shown.subject == f"议题被退回：{topic.title}"
    assert "补充费用测算" in shown.body
    assert message.link == f"/topics/{topic.pk}/"
    assert Delivery.objects.filter(message=message, channel=Channel.EMAIL).exists()
    english = render(message.topic, message.params, language="en")
    assert english.body == f"Your topic “{topic.title}” was returned for rework. Reason: 补充费用测算"


@pytest.mark.parametrize(
    ("action", "topic_name", "expected"),
    [
        ("reject", "topic_rejected", "未予采纳"),
        ("coordinator_return", "topic_returned_by_coordinator", "退回本部门修改"),
    ],
)
def test_the_author_is_told_when_the_coordinator_rejects_or_returns(torg, action, topic_name, expected):
    topic = advance(torg, make_topic(torg), "submitted")
    getattr(services, f"topic_{action}")(topic=topic, actor=torg.coordinator, now=FRI, reason="请补充数据")
    [message] = _told(torg, topic_name)
    shown = render(message.topic, message.params, language="zh-hans")
    assert expected in shown.body and "理由：请补充数据" in shown.body


def test_the_author_is_told_where_a_deferred_topic_went(torg):
    topic = advance(torg, make_topic(torg), "triaged")
    later = series_meeting_after(meeting=topic.meeting, now=FRI)
    services.topic_defer(topic=topic, to_meeting=later, reason="议程已满", actor=torg.coordinator, now=FRI)
    [message] = _told(torg, "topic_deferred")
    shown = render(message.topic, message.params, language="zh-hans")
    when = later.starts_at.astimezone(later.starts_at.tzinfo).strftime("%Y-%m-%d")
    assert later.title in shown.body and when in shown.body and "理由：议程已满" in shown.body


def test_nobody_is_told_about_their_own_step(torg):
    """Approval and submission are not sent back: no notice; an author withdrawing is told nothing."""
    topic = advance(torg, make_topic(torg), "submitted")
    services.topic_withdraw(topic=topic, actor=torg.tech_liaison, now=FRI, reason="已内部解决")
    notify_dispatch(now=FRI)
    assert not Message.objects.filter(recipient=torg.tech_liaison, topic__startswith="topic_").exists()
