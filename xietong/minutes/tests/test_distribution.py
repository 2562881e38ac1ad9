from __future__ import annotations

import pytest
import time_machine

from xietong.core.errors import Forbidden
from xietong.core.models import Event
from xietong.meetings.models import Rsvp
from xietong.meetings.tests.factories import published_meeting, sh
from xietong.minutes import services
from xietong.minutes.models import Minutes, MinutesReceipt
from xietong.org.models import Person, Role

AFTER = sh(2026, 3, 9, 11, 0)
LATER = sh(2026, 3, 9, 15, 0)


def _en(client):
    client.cookies["django_language"] = "en"
    return client


def _approved(torg, meeting, now=AFTER):
    m = services.minutes_draft(meeting=meeting, actor=torg.recorder, now=now)
    m = services.minutes_submit(minutes=m, actor=torg.recorder, now=now)
    return services.minutes_approve(minutes=m, actor=torg.host, now=now)


def _expected(meeting):
    invitees = set(Rsvp.objects.filter(meeting=meeting).values_list("invitee_id", flat=True))
    leaders = set(Person.objects.filter(roles__role=Role.LEADERSHIP).values_list("pk", flat=True))
    return invitees | leaders


def test_approval_distributes_to_invitees_and_leadership_exactly_once(torg):
    meeting = published_meeting(torg, topics=2)
    # The chair is also invited: still one receipt.
    Rsvp.objects.get_or_create(meeting=meeting, invitee=torg.chair)
    minutes = _approved(torg, meeting)
    receipts = list(MinutesReceipt.objects.filter(minutes=minutes).values_list("person_id", flat=True))
    assert len(receipts) == len(set(receipts))
    assert set(receipts) == _expected(meeting)
    assert torg.chair.pk in receipts
    assert torg.outsider.pk not in receipts
    event = Event.objects.get(name="minutes.distributed")
    assert event.subject_id == minutes.pk
    assert sorted(event.data["recipients"]) == sorted(receipts)
    assert MinutesReceipt.objects.filter(
        minutes=minutes, read_at__isnull=True, delivered_at=AFTER
    ).count() == len(receipts)


def test_nothing_distributed_before_approval_or_when_refused(torg):
    meeting = published_meeting(torg, topics=1)
    m = services.minutes_draft(meeting=meeting, actor=torg.recorder, now=AFTER)
    m = services.minutes_submit(minutes=m, actor=torg.recorder, now=AFTER)
    with pytest.raises(Forbidden):
        services.minutes_approve(minutes=m, actor=torg.recorder, now=AFTER)
    assert not MinutesReceipt.objects.exists()
    assert not Event.objects.filter(name="minutes.distributed").exists()
    assert Minutes.objects.get(pk=m.pk).status == Minutes.Status.IN_REVIEW


def test_correction_is_distributed_again_as_a_new_version(torg):
    meeting = published_meeting(torg, topics=1)
    first = _approved(torg, meeting)
    second = services.minutes_correct(minutes=first, reason="错别字", actor=torg.recorder, now=LATER)
    second = services.minutes_submit(minutes=second, actor=torg.recorder, now=LATER)
    second = services.minutes_approve(minutes=second, actor=torg.host, now=LATER)
    assert set(
        MinutesReceipt.objects.filter(minutes=second).values_list("person_id", flat=True)
    ) == _expected(meeting)
    assert Event.objects.filter(name="minutes.distributed").count() == 2


def test_home_shows_new_minutes_until_opened(torg, login):
    meeting = published_meeting(torg, topics=1)
    minutes = _approved(torg, meeting)
    client = _en(login(torg.chair))
    with time_machine.travel(LATER, tick=False):
        page = client.get("/").content.decode()
        assert 'id="new-minutes"' in page
        assert "New minutes" in page
        assert f"/minutes/{minutes.pk}/" in page
        assert client.get(f"/minutes/{minutes.pk}/").status_code == 200
        page = client.get("/").content.decode()
    assert 'id="new-minutes"' not in page
    assert MinutesReceipt.objects.get(minutes=minutes, person=torg.chair).read_at == LATER


def test_opening_marks_only_own_receipt_read(torg, login):
    meeting = published_meeting(torg, topics=1)
    minutes = _approved(torg, meeting)
    with time_machine.travel(LATER, tick=False):
        login(torg.chair).get(f"/minutes/{minutes.pk}/")
    unread = set(
        MinutesReceipt.objects.filter(minutes=minutes, read_at__isnull=True).values_list(
            "person_id", flat=True
        )
    )
    assert unread == _expected(meeting) - {torg.chair.pk}


def test_outsider_gets_no_section(torg, login):
    meeting = published_meeting(torg, topics=1)
    _approved(torg, meeting)
    with time_machine.travel(LATER, tick=False):
        page = login(torg.outsider).get("/").content.decode()
    assert 'id="new-minutes"' not in page


def test_home_query_count_does_not_grow_with_unread_minutes(torg, client, django_assert_max_num_queries):
    client.force_login(torg.chair)
    meeting = published_meeting(torg, topics=1)
    latest = _approved(torg, meeting)
    with time_machine.travel(LATER, tick=False), django_assert_max_num_queries(40) as ctx:
        assert client.get("/").status_code == 200
    few = len(ctx.captured_queries)
    for _ in range(2):  # two corrections: two more unread versions
        latest = services.minutes_correct(minutes=latest, reason="更正", actor=torg.recorder, now=AFTER)
        latest = services.minutes_submit(minutes=latest, actor=torg.recorder, now=AFTER)
        latest = services.minutes_approve(minutes=latest, actor=torg.host, now=AFTER)
    assert MinutesReceipt.objects.filter(person=torg.chair, read_at__isnull=True).count() == 3
    with time_machine.travel(LATER, tick=False), django_assert_max_num_queries(few):
        page = client.get("/").content.decode()
    assert page.count('href="/minutes/') >= 3
