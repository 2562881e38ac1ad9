"""The archive shows each meeting's minutes, agenda and materials (the files of the topics on
its agenda) at a query count that does not grow with the number of meetings or files."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from xietong.meetings.models import Meeting, Rsvp
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


@pytest.mark.parametrize(
    ("persona", "sees_elsewhere"),
    [("coordinator", True), ("chair", True), ("tech_head", False), ("host", False), ("recorder", False)],
)
def test_archive_shows_the_minutes_its_reader_may_read(torg, meeting, login, persona, sees_elsewhere):
    """The coordinator and the leadership group read every meeting's minutes; the others those of
    meetings they were invited to, hosted or recorded — and every line listed opens."""
    minutes = _approve(torg, meeting)
    elsewhere = _other_meeting_with_minutes(torg, meeting, 7)
    Meeting.objects.filter(pk=elsewhere.meeting_id).update(host=torg.outsider, recorder=torg.outsider)
    Rsvp.objects.filter(meeting_id=elsewhere.meeting_id).delete()
    client = login(getattr(torg, persona))
    with time_machine.travel(AFTER, tick=False):
        page = client.get("/minutes/archive/?year=2026").content.decode()
        opened = client.get(f"/minutes/{elsewhere.pk}/").status_code
    assert f'data-minutes="{minutes.pk}"' in page
    assert (f'data-minutes="{elsewhere.pk}"' in page) is sees_elsewhere
    assert opened == (200 if sees_elsewhere else 404)


def test_archive_shows_the_outsider_the_meetings_they_host(torg, meeting, login):
    _approve(torg, meeting)
    hosted = _other_meeting_with_minutes(torg, meeting, 7)
    Meeting.objects.filter(pk=hosted.meeting_id).update(host=torg.outsider)
    with time_machine.travel(AFTER, tick=False):
        page = login(torg.outsider).get("/minutes/archive/?year=2026").content.decode()
        opened = login(torg.outsider).get(f"/minutes/{hosted.pk}/")
    assert page.count("data-minutes=") == 1 and f'data-minutes="{hosted.pk}"' in page
    assert opened.status_code == 200  # what the archive lists opens
