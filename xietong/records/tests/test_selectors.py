from __future__ import annotations

import pytest

from xietong.meetings.tests.factories import published_meeting, sh
from xietong.records import selectors, services
from xietong.records.tests.helpers import DURING, decide, items_of


@pytest.fixture
def meeting(torg):
    return published_meeting(torg, topics=2)


def test_record_meeting_preloads_invitees_attendance_and_decisions(torg, meeting, django_assert_num_queries):
    first = decide(torg, meeting)
    second = decide(torg, meeting, text="市场部下周汇报")
    with django_assert_num_queries(4):
        loaded = selectors.record_meetings().get(pk=meeting.pk)
        # The attendance table's order: by department, then name (departments joined, no query).
        names = [(r.department.sort_order, r.invitee.full_name) for r in loaded.rsvps.all()]
        decisions = [d.pk for d in loaded.decisions.all()]
        list(loaded.attendances.all())
        assert loaded.host.pk == torg.host.pk
    assert names == sorted(names)
    assert decisions == [first.pk, second.pk]


def test_items_and_their_records_follow_agenda_order(torg, meeting):
    topic_items = items_of(meeting)
    services.item_record(item=topic_items[1], outcome="closed", notes="n", actor=torg.recorder, now=DURING)
    items = selectors.record_items(meeting)
    assert [i.position for i in items] == sorted(i.position for i in items)
    assert set(selectors.record_items_by_id(meeting)) == {i.pk for i in items}
    records = selectors.item_records_by_item(items)
    assert list(records) == [topic_items[1].pk]
    assert selectors.item_record_of(topic_items[1]).notes == "n"
    assert selectors.item_record_of(topic_items[0]) is None


def test_empty_inputs_read_nothing(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert selectors.item_records_by_item([]) == {}
        assert selectors.pending_approval_duties([]) == {}
        assert selectors.people_by_id([]) == {}


def test_pending_approval_duty_of_a_resource_decision(torg, meeting):
    plain = decide(torg, meeting)
    costly = decide(torg, meeting, allocates_resources=True, resource_kind="money", amount="25000.5")
    duties = selectors.pending_approval_duties([plain.pk, costly.pk])
    assert list(duties) == [costly.pk]
    services.decision_approve(decision=costly, actor=torg.chair, now=sh(2026, 3, 10, 10, 0))
    assert selectors.pending_approval_duties([costly.pk]) == {}
