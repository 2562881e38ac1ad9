"""The "上次会议决议跟进" section: built from open action items of earlier meetings."""

from __future__ import annotations

from datetime import date

import time_machine
from django.conf import settings
from django.utils import translation

from xietong.actions import services as action_services
from xietong.actions.models import ActionItem
from xietong.agenda import services
from xietong.agenda.models import AgendaItem
from xietong.meetings.services import meeting_publish, series_meeting_after
from xietong.meetings.tests.factories import make_topic, sh
from xietong.records.tests.helpers import DURING, decide, held_meeting
from xietong.topics.models import Topic

REPORTED = sh(2026, 3, 11, 9, 0)
BUILD = sh(2026, 3, 12, 16, 0)  # Thursday before the 03-16 meeting's agenda cut-off


def _following(torg):
    meeting = held_meeting(torg, topics=1)
    return meeting, series_meeting_after(meeting=meeting, now=DURING)


def _action(torg, meeting, **overrides):
    return ActionItem.objects.get(decision=decide(torg, meeting, **overrides))


def _items(agenda):
    return list(agenda.items.order_by("position"))


def test_no_open_items_no_followup_item(torg):
    meeting, following = _following(torg)
    done = _action(torg, meeting)
    action_services.action_complete(item=done, evidence="完成", actor=torg.tech_head, now=REPORTED)
    make_topic(torg, following, title="新议题", budget=20)

    agenda = services.agenda_build(meeting=following, actor=torg.coordinator, now=BUILD)

    assert AgendaItem.Kind.FOLLOW_UP not in [i.kind for i in _items(agenda)]


def test_open_items_put_the_followup_item_first_with_the_default_budget(torg):
    meeting, following = _following(torg)
    _action(torg, meeting)
    topic = make_topic(torg, following, title="新议题", budget=20)

    agenda = services.agenda_build(meeting=following, actor=torg.coordinator, now=BUILD)

    items = _items(agenda)
    assert [(i.kind, i.topic_id) for i in items] == [
        (AgendaItem.Kind.FOLLOW_UP, None),
        (AgendaItem.Kind.TOPIC, topic.pk),
        (AgendaItem.Kind.OPEN_DISCUSSION, None),
    ]
    default = following.policy_version.rules.minutes("default_item_budget")
    assert items[0].budget_minutes == default
    # Stored in the organisation's language (the .po should read "上次会议决议跟进").
    with translation.override(settings.LANGUAGE_CODE):
        assert items[0].title == str(AgendaItem.Kind.FOLLOW_UP.label) != "Follow-up of earlier decisions"
    # A rebuild keeps exactly one follow-up item.
    agenda = services.agenda_build(meeting=following, actor=torg.coordinator, now=BUILD)
    assert [i.kind for i in _items(agenda)].count(AgendaItem.Kind.FOLLOW_UP) == 1


def test_followup_budget_counts_under_the_cap(torg):
    meeting, following = _following(torg)
    _action(torg, meeting)
    rules = following.policy_version.rules
    room = rules.minutes("meeting_duration_cap") - rules.minutes("open_discussion_slot")
    default = rules.minutes("default_item_budget")
    # Topics that fill the room exactly: without the follow-up they would all fit.
    first = make_topic(torg, following, title="一", priority=Topic.Priority.HIGH, budget=room - default)
    last = make_topic(torg, following, title="二", priority=Topic.Priority.LOW, budget=default)

    agenda = services.agenda_build(meeting=following, actor=torg.coordinator, now=BUILD)

    items = _items(agenda)
    assert [i.topic_id for i in items] == [None, first.pk, None]
    assert sum(i.budget_minutes for i in items) <= rules.minutes("meeting_duration_cap")
    last.refresh_from_db()
    assert last.meeting_id != following.pk  # deferred to the meeting after


def _english(client):
    client.cookies["django_language"] = "en"
    return client


def test_builder_and_meeting_pages_show_items_with_reports(torg, login, django_assert_max_num_queries):
    meeting, following = _following(torg)
    reported = _action(torg, meeting, text="提交停车位方案", due_on=date(2026, 3, 10))
    _action(torg, meeting, text="整理采购清单", due_on=date(2026, 3, 25))
    action_services.progress_report(
        item=reported,
        status="delayed",
        reason="等待报价",
        note="<b>供应商</b>",
        actor=torg.tech_liaison,
        now=REPORTED,
    )
    services.agenda_build(meeting=following, actor=torg.coordinator, now=BUILD)
    client = _english(login(torg.coordinator))

    with time_machine.travel(BUILD, tick=False):
        builder = client.get(f"/agenda/meeting/{following.pk}/").content.decode()
        detail = client.get(f"/meetings/{following.pk}/").content.decode()

    for page in (builder, detail):
        assert f'data-action="{reported.pk}"' in page
        assert "提交停车位方案" in page and "整理采购清单" in page
        assert "Delayed" in page and "等待报价" in page
        assert "&lt;b&gt;供应商&lt;/b&gt;" in page  # escaped
        assert "2026-03-11 09:00" in page  # when it was reported (Shanghai)
        assert page.count("data-overdue") == 1  # only the item due 03-10
        assert torg.tech_head.full_name in page

    # Constant queries: more follow-up rows cost nothing more.
    with time_machine.travel(BUILD, tick=False), django_assert_max_num_queries(60) as few:
        client.get(f"/agenda/meeting/{following.pk}/")
    for n in range(5):
        _action(torg, meeting, text=f"任务{n}")
    with time_machine.travel(BUILD, tick=False):
        with django_assert_max_num_queries(len(few.captured_queries)):
            client.get(f"/agenda/meeting/{following.pk}/")
        with django_assert_max_num_queries(60) as detail_few:
            client.get(f"/meetings/{following.pk}/")
    for n in range(5):
        _action(torg, meeting, text=f"更多{n}")
    with (
        time_machine.travel(BUILD, tick=False),
        django_assert_max_num_queries(len(detail_few.captured_queries)),
    ):
        client.get(f"/meetings/{following.pk}/")


def test_notice_shows_the_followup_section(torg, login):
    meeting, following = _following(torg)
    item = _action(torg, meeting, text="提交停车位方案")
    action_services.progress_report(
        item=item, status="in_progress", note="进行中", actor=torg.tech_liaison, now=REPORTED
    )
    agenda = services.agenda_build(meeting=following, actor=torg.coordinator, now=BUILD)
    services.agenda_confirm(agenda=agenda, actor=torg.coordinator, now=BUILD)
    meeting_publish(meeting=following, actor=torg.coordinator, now=BUILD)

    with time_machine.travel(BUILD, tick=False):
        page = _english(login(torg.tech_head)).get(f"/meetings/{following.pk}/notice/").content.decode()

    assert f'data-action="{item.pk}"' in page and "进行中" in page and "In progress" in page
