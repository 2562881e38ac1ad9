"""Delivery starts when a notifiable event commits; a run ends between deliveries at its deadline."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse

from xietong.core.leases import lease_acquire
from xietong.meetings.services import meeting_reschedule
from xietong.meetings.tests.factories import THU_1800, published_meeting, sh
from xietong.notify import tasks
from xietong.notify.models import Delivery
from xietong.notify.services import notify_deliver, notify_dispatch, preference_set

D = Delivery.State


def _reschedule(torg, meeting, n: int) -> None:
    meeting_reschedule(
        meeting=meeting,
        starts_at=sh(2026, 3, 9, 9, 0) + timedelta(minutes=10 * n),
        location="五楼",
        actor=torg.coordinator,
        now=THU_1800 + timedelta(minutes=n),
    )
    meeting.refresh_from_db()


def _queued_runs(callbacks) -> int:
    return sum(1 for callback in callbacks if callback is tasks._enqueue_run)


@pytest.fixture
def meeting(torg, settings):
    """A published meeting (queued nothing: the setting is off while it is built), then on."""
    published = published_meeting(torg)
    settings.NOTIFY_ENQUEUE_ON_COMMIT = True
    return published


def test_a_committed_notifiable_event_queues_one_delivery_run(
    torg, meeting, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        for n in (1, 2):
            _reschedule(torg, meeting, n)
    assert _queued_runs(callbacks) == 1  # one per committed transaction, however many events


def test_a_rolled_back_event_queues_nothing(torg, meeting, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        _reschedule(torg, meeting, 1)
        raise RuntimeError
    assert _queued_runs(callbacks) == 0
    with django_capture_on_commit_callbacks() as callbacks:
        _reschedule(torg, meeting, 2)
    assert _queued_runs(callbacks) == 1


def test_an_event_nobody_is_told_about_queues_nothing(torg, meeting, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        preference_set(
            actor=torg.tech_head,
            now=THU_1800,
            person=torg.tech_head,
            email=True,
            robots=True,
            daily_digest=False,
        )
    assert _queued_runs(callbacks) == 0


def test_a_delivery_pass_stops_between_deliveries_at_its_deadline(torg, smtp):
    published_meeting(torg)
    notify_dispatch(now=THU_1800)
    total = Delivery.objects.filter(state=D.PENDING).count()
    assert total > 2
    assert notify_deliver(now=THU_1800, deadline=time.monotonic()) == {"sent": 1}
    assert len(smtp.messages) == 1
    # The rest of the claim was handed back, so the next run takes it at once.
    assert not Delivery.objects.filter(state=D.PENDING).exclude(claim_token="").exists()
    assert notify_deliver(now=THU_1800) == {"sent": total - 1}


def test_the_coordinators_delivery_page_shows_the_last_completed_runs(torg, login):
    lease_acquire(name="notify-run", now=THU_1800).release(now=THU_1800, completed=True)
    page = login(torg.coordinator).get(reverse("notify:deliveries"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-job="notify-run"' in html and "2026-03-05 18:00" in html and "从未" in html
    assert login(torg.tech_head).get(reverse("notify:deliveries")).status_code == 403
