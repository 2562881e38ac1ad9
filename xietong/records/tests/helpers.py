"""Shared helpers for the records and actions tests."""

from __future__ import annotations

from datetime import date

from xietong.meetings.tests.factories import confirmed_meeting, sh
from xietong.records import services

MEETING_START = sh(2026, 3, 9, 9, 0)
DURING = sh(2026, 3, 9, 9, 40)
BEFORE = sh(2026, 3, 9, 8, 0)
DUE = date(2026, 3, 20)


def held_meeting(torg, *, topics: int = 2):
    """The 2026-03-09 meeting of the weekly series with ``topics`` scheduled tech topics."""
    return confirmed_meeting(torg, topics=topics)


def items_of(meeting):
    return list(meeting.agenda.items.filter(topic__isnull=False).select_related("topic").order_by("position"))


def decide(torg, meeting, *, actor=None, now=DURING, **overrides):
    """A decision of ``meeting``, as passed by a vote (seed 02 四、(一) records no other: the
    live room's vote_to_decision passes ``voted``); ``voted=False`` for one taken without."""
    fields = {
        "voted": True,
        "text": "技术部两周内提交停车位改造方案",
        "department": torg.departments["tech"],
        "responsible": torg.tech_head,
        "due_on": DUE,
    }
    fields.update(overrides)
    return services.decision_create(meeting=meeting, actor=actor or torg.recorder, now=now, **fields)


def settle_items(torg, meeting, *, now=DURING, outcome: str = "closed") -> None:
    """Record ``outcome`` for every agenda item still without one (the open-discussion slot
    needs none), so the record may close (第三条2, 议而有决)."""
    for title in services.items_without_outcome(meeting):
        item = meeting.agenda.items.get(title=title)
        services.item_record(item=item, outcome=outcome, actor=torg.recorder, now=now)
