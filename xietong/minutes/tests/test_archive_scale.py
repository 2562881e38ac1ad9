"""The archive shows each meeting's minutes, agenda and materials (the files of the topics on
its agenda) at a query count that does not grow with the number of meetings or files."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from xietong.meetings.models import Meeting
from xietong.meetings.tests.factories import published_meeting, sh
from xietong.minutes import services
from xietong.minutes.models import Minutes
from xietong.records.tests.helpers import items_of
from xietong.topics import services as topic_services

BEFORE = sh(2026, 3, 6, 10, 0)  # the Friday before the 03-09 meeting
AFTER = sh(2026, 3, 9, 11, 0)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def meeting(torg):
    return published_meeting(torg, topics=2)


def _attach(torg, topic, name):
    upload = SimpleUploadedFile(name, b"%PDF-1.4 test\n", content_type="application/pdf")
    return topic_services.topic_attach(topic=topic, upload=upload, actor=torg.coordinator, now=BEFORE)


def _approve(torg, meeting):
    m = services.minutes_draft(meeting=meeting, actor=torg.recorder, now=AFTER)
    m = services.minutes_submit(minutes=m, actor=torg.recorder, now=AFTER)
    return services.minutes_approve(minutes=m, actor=torg.host, now=AFTER)


def _other_meeting_with_minutes(torg, meeting, days):
    other = Meeting.objects.create(
        policy_version=meeting.policy_version,
        title=f"周例会+{days}",
        starts_at=meeting.starts_at + timedelta(days=days),
        ends_at=meeting.ends_at + timedelta(days=days),
        host=torg.host,
        recorder=torg.recorder,
        status=Meeting.Status.HELD,
    )
    at = other.ends_at
    return Minutes.objects.create(
        meeting=other, number=1, body="纪要", status="approved", drafted_at=at, updated_at=at, approved_at=at
    )


def _archive(client, django_assert_max_num_queries, expected=99):
    with time_machine.travel(AFTER, tick=False), django_assert_max_num_queries(expected) as ctx:
        response = client.get("/minutes/archive/?year=2026")
    assert response.status_code == 200
    # the minutes' text is not what the archive loads
    assert not any('"minutes_minutes"."body"' in q["sql"] for q in ctx.captured_queries)
    return len(ctx.captured_queries), response.content.decode()


def test_archive_lists_minutes_agenda_and_materials_at_a_constant_query_count(
    torg, meeting, login, django_assert_max_num_queries
):
    first, second = (i.topic for i in items_of(meeting))
    plan = _attach(torg, first, "停车场方案.pdf")
    quote = _attach(torg, second, "报价单.pdf")
    minutes = _approve(torg, meeting)
    client = login(torg.coordinator)
    small, page = _archive(
        client, django_assert_max_num_queries, expected=4
    )  # session, user, roles, minutes with their files
    row = page.split(f'data-minutes="{minutes.pk}"', 1)[1].split("</li>", 1)[0]
    assert f"/minutes/{minutes.pk}/" in row and f"/meetings/{meeting.pk}/#agenda" in row
    assert f'href="/topics/materials/{plan.pk}/"' in row and "停车场方案.pdf" in row
    assert f'href="/topics/materials/{quote.pk}/"' in row and "报价单.pdf" in row

    more = [_other_meeting_with_minutes(torg, meeting, days) for days in (7, 14, 21, 28, 35, 42)]
    _attach(torg, first, "补充材料.pdf")
    large, page = _archive(client, django_assert_max_num_queries, expected=small)
    assert large == small
    assert page.count("data-minutes=") == 1 + len(more)
    assert page.count("data-material=") == 3


def test_archive_hides_what_the_reader_may_not_see(torg, meeting, login):
    first = items_of(meeting)[0].topic
    _attach(torg, first, "停车场方案.pdf")
    minutes = _approve(torg, meeting)
    with time_machine.travel(AFTER, tick=False):
        page = login(torg.outsider).get("/minutes/archive/?year=2026").content.decode()
    assert f'data-minutes="{minutes.pk}"' not in page and "停车场方案.pdf" not in page


def _orm_archive(user, *, start, end, sees_all):
    """The ORM filters archive_minutes spells out in SQL: the oracle it is compared with."""
    from django.db.models import Exists, F, OuterRef, Q

    from xietong.meetings.models import Rsvp
    from xietong.topics.models import TopicAttachment

    qs = Minutes.objects.filter(
        status=Minutes.Status.APPROVED, meeting__starts_at__gte=start, meeting__starts_at__lt=end
    )
    if not sees_all:
        invited = Rsvp.objects.filter(meeting_id=OuterRef("meeting_id"), invitee_id=user.pk)
        qs = qs.filter(Q(meeting__host_id=user.pk) | Q(meeting__recorder_id=user.pk) | Exists(invited))
    newest = {}
    for m in qs.select_related("meeting").order_by("meeting__starts_at", "meeting_id", "number"):
        newest[m.meeting_id] = m
    files = (
        TopicAttachment.objects.filter(topic__agenda_items__agenda__meeting_id__in=list(newest))
        .annotate(meeting_id=F("topic__agenda_items__agenda__meeting_id"))
        .order_by("topic__agenda_items__position", "uploaded_at", "id")
    )
    materials = {}
    for f in files:
        materials.setdefault(f.meeting_id, []).append((f.pk, f.name, f.size))
    return [
        (m.pk, m.number, m.meeting_id, m.meeting.title, m.meeting.starts_at, materials.get(m.meeting_id, []))
        for m in newest.values()
    ]


@pytest.mark.parametrize("persona", ["coordinator", "host", "recorder", "tech_head", "outsider"])
def test_archive_rows_match_the_orm_filters(torg, meeting, persona, django_assert_num_queries):
    from xietong.minutes.selectors import archive_minutes

    first, second = (i.topic for i in items_of(meeting))
    _attach(torg, first, "甲.pdf")
    _attach(torg, second, "乙.pdf")
    _attach(torg, first, "丙.pdf")
    _approve(torg, meeting)
    Minutes.objects.create(  # a newer approved version of the meeting with materials
        meeting=meeting,
        number=2,
        body="二",
        status="approved",
        drafted_at=AFTER,
        updated_at=AFTER,
        approved_at=AFTER,
    )
    for days in (7, 14, 400):
        _other_meeting_with_minutes(torg, meeting, days)
    hosted_elsewhere = _other_meeting_with_minutes(torg, meeting, 21)
    Meeting.objects.filter(pk=hosted_elsewhere.meeting_id).update(host=torg.outsider, recorder=torg.outsider)
    Minutes.objects.create(  # a newer approved version of one meeting's minutes: only it is listed
        meeting_id=hosted_elsewhere.meeting_id,
        number=2,
        body="二",
        status="approved",
        drafted_at=AFTER,
        updated_at=AFTER,
        approved_at=AFTER,
    )
    person = getattr(torg, persona)
    start, end = sh(2026, 1, 1, 0, 0), sh(2027, 1, 1, 0, 0)
    for sees_all in (True, False):
        expected = _orm_archive(person, start=start, end=end, sees_all=sees_all)
        with django_assert_num_queries(1):
            got = archive_minutes(person, start=start, end=end, sees_all=sees_all)
            rows = [
                (
                    m.pk,
                    m.number,
                    m.meeting_id,
                    m.title,
                    m.starts_at,
                    [(f.pk, f.name, f.size) for f in m.materials],
                )
                for m in got
            ]
        assert rows == expected
    everything = _orm_archive(person, start=start, end=end, sees_all=True)
    assert len(everything) == 4 and any(r[5] for r in everything)  # the 400-day one is next year
