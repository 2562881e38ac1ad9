"""Every agenda item has an outcome — decided, deferred with a reason, or closed — before the
record closes (seed 01 第三条1–2, 议而有决; seed 02 二、(二)3–4): closing is refused with the items
still without one named, and nothing changes."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from xietong.core.errors import DomainError
from xietong.desk.testing import build_test_org
from xietong.meetings.models import Meeting, MeetingSeries
from xietong.meetings.tests.factories import THU_1800, published_meeting, sh
from xietong.records import services

pytestmark = pytest.mark.django_db

DURING = sh(2026, 3, 9, 9, 30)
AFTER = sh(2026, 3, 9, 10, 5)


@pytest.fixture(params=["seed01-weekly", "seed02-coordination"])
def porg(db, request):
    torg = build_test_org(preset=request.param)
    MeetingSeries.objects.filter(pk=torg.series.pk).update(duration_minutes=60)
    torg.series.refresh_from_db()
    return torg


@pytest.fixture
def meeting(porg):
    return published_meeting(porg, now=THU_1800, topics=3)


def _topic_items(meeting):
    return list(meeting.agenda.items.filter(topic__isnull=False).order_by("position"))


def test_closing_names_the_items_without_an_outcome(porg, meeting):
    first, second, third = _topic_items(meeting)
    services.item_record(item=first, outcome="decided", actor=porg.recorder, now=DURING)

    with pytest.raises(DomainError) as err:
        services.record_close(meeting=meeting, actor=porg.recorder, now=AFTER)
    assert err.value.code == "items_without_outcome"
    assert err.value.params == {"items": f"{second.title}、{third.title}"}
    assert second.title in str(err.value) and first.title not in err.value.params["items"]
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.PUBLISHED


def test_closing_once_every_item_has_an_outcome(porg, meeting):
    first, second, third = _topic_items(meeting)
    services.item_record(item=first, outcome="decided", actor=porg.recorder, now=DURING)
    services.item_record(item=second, outcome="closed", actor=porg.recorder, now=DURING)
    services.item_record(
        item=third, outcome="deferred", reason="等待财务数据", actor=porg.recorder, now=DURING
    )
    # The open-discussion slot is time kept free, not an item to decide.
    services.record_close(meeting=meeting, actor=porg.recorder, now=AFTER)
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.HELD


def test_a_deferral_needs_its_reason(porg, meeting):
    first, *_rest = _topic_items(meeting)
    with pytest.raises(DomainError) as err:
        services.item_record(item=first, outcome="deferred", reason="", actor=porg.recorder, now=DURING)
    assert err.value.field == "reason"
    assert services.items_without_outcome(meeting)[0] == first.title


def test_the_page_says_which_items_still_need_an_outcome(porg, meeting, login):
    first, second, third = _topic_items(meeting)
    services.item_record(item=first, outcome="decided", actor=porg.recorder, now=DURING)
    record_page = reverse("records:meeting", args=[meeting.pk])
    with time_machine.travel(AFTER, tick=False):
        response = login(porg.recorder).post(
            reverse("records:close", args=[meeting.pk]), HTTP_REFERER=record_page, follow=True
        )
    assert response.redirect_chain[-1][0].endswith(record_page)
    assert f"尚无结果：{second.title}、{third.title}" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.PUBLISHED
