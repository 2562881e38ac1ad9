"""我的待办's unread minutes (core.selectors.meeting_lists: written-out SQL, on every visit) give
the receipts, order and shown values of the ORM filter, without reading the minutes' text."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from xietong.core.selectors import meeting_lists
from xietong.meetings.tests.factories import published_meeting, sh
from xietong.minutes import services
from xietong.minutes.models import MinutesReceipt

AFTER = sh(2026, 3, 9, 11, 0)
LATER = sh(2026, 3, 9, 15, 0)


def _orm(person, limit=20):
    return list(
        MinutesReceipt.objects.filter(person_id=person.pk, read_at__isnull=True)
        .select_related("minutes__meeting")
        .order_by("-delivered_at", "-id")[:limit]
    )


def _shown(receipts):
    return [(r.minutes_id, r.minutes.meeting.title, r.minutes.number, r.delivered_at) for r in receipts]


def unread_minutes_of(person, limit=20):
    return meeting_lists(person, now=LATER, minutes_limit=limit)["new_minutes"]


def test_unread_receipts_match_the_orm_filter(torg):
    meeting = published_meeting(torg, topics=1)
    m = services.minutes_draft(meeting=meeting, actor=torg.recorder, now=AFTER)
    m = services.minutes_submit(minutes=m, actor=torg.recorder, now=AFTER)
    latest = services.minutes_approve(minutes=m, actor=torg.host, now=AFTER)
    for _ in range(2):  # two corrections: two more unread versions
        latest = services.minutes_correct(minutes=latest, reason="更正", actor=torg.recorder, now=LATER)
        latest = services.minutes_submit(minutes=latest, actor=torg.recorder, now=LATER)
        latest = services.minutes_approve(minutes=latest, actor=torg.host, now=LATER)
    first = MinutesReceipt.objects.filter(person=torg.chair).order_by("id").first()
    MinutesReceipt.objects.filter(pk=first.pk).update(read_at=LATER)  # one already read
    for person in (torg.chair, torg.tech_head, torg.outsider):
        unread_minutes_of(person)  # roles read once per request
        with CaptureQueriesContext(connection) as ctx:
            got = unread_minutes_of(person)
        assert len(ctx.captured_queries) == 1
        assert '"body"' not in ctx.captured_queries[0]["sql"]  # the text is not read
        assert got == _shown(_orm(person))
    assert len(unread_minutes_of(torg.chair)) == 2
    assert unread_minutes_of(torg.chair, limit=1) == _shown(_orm(torg.chair, 1))
