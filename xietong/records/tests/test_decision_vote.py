"""A decision recorded without a passed vote: seed 01 needs no vote (第五条(二)2: the host leads
the meeting to a common decision); seed 02 四、(一) needs a majority's agreement, and its preset
refuses such a decision. A policy may instead record it as "未经表决" with the host's reason,
shown so in the record and the minutes."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.urls import reverse

from xietong.core.errors import DomainError
from xietong.desk.testing import build_test_org
from xietong.meetings.models import Meeting, MeetingSeries
from xietong.meetings.tests.factories import THU_1800, policy_version_with, published_meeting, sh
from xietong.minutes.services import minutes_body_from_record
from xietong.records import services
from xietong.records.models import Decision

pytestmark = pytest.mark.django_db

DURING = sh(2026, 3, 9, 9, 30)


@pytest.fixture(params=["seed01-weekly", "seed02-coordination"])
def preset(request):
    return request.param


@pytest.fixture
def porg(db, preset):
    torg = build_test_org(preset=preset)
    MeetingSeries.objects.filter(pk=torg.series.pk).update(duration_minutes=60)
    torg.series.refresh_from_db()
    return torg


def _decide(torg, meeting, **extra):
    return services.decision_create(
        meeting=meeting,
        text="技术部两周内提交方案",
        department=torg.departments["tech"],
        responsible=torg.tech_head,
        due_on=date(2026, 3, 20),
        actor=torg.recorder,
        now=DURING,
        **extra,
    )


def test_each_preset_says_what_happens_to_a_decision_without_a_vote(porg, preset):
    meeting = published_meeting(porg, now=THU_1800)
    if preset == "seed01-weekly":
        decision = _decide(porg, meeting)
        assert decision.unvoted_reason == ""
        return
    with pytest.raises(DomainError) as err:
        _decide(porg, meeting)
    assert err.value.code == "vote_required"
    assert err.value.params == {"clause": "四、(一)"}
    assert not Decision.objects.filter(meeting=meeting).exists()


def _marking(porg, preset):
    meeting = published_meeting(porg, now=THU_1800)
    version = policy_version_with(porg.policy, preset, decision_vote={"value": "mark_unvoted"})
    Meeting.objects.filter(pk=meeting.pk).update(policy_version=version)
    meeting.refresh_from_db()
    return meeting


def test_a_marking_policy_needs_the_hosts_reason(porg, preset):
    meeting = _marking(porg, preset)
    with pytest.raises(DomainError) as err:
        _decide(porg, meeting, unvoted_reason="  ")
    assert (err.value.code, err.value.field) == ("unvoted_reason_required", "unvoted_reason")
    assert not Decision.objects.filter(meeting=meeting).exists()


def test_a_marking_policy_records_and_shows_it_as_not_voted_on(porg, preset, login):
    meeting = _marking(porg, preset)
    decision = _decide(porg, meeting, unvoted_reason="时间紧迫，主持人当场确定")
    assert decision.unvoted_reason == "时间紧迫，主持人当场确定"
    assert decision.status == Decision.Status.EFFECTIVE

    body = minutes_body_from_record(meeting)
    assert "未经表决：时间紧迫，主持人当场确定" in body

    page = login(porg.recorder).get(reverse("records:meeting", args=[meeting.pk]))
    assert page.status_code == 200
    assert f'data-unvoted="{decision.pk}"' in page.content.decode()


def test_a_voted_decision_needs_no_reason(porg, preset):
    meeting = _marking(porg, preset)
    assert _decide(porg, meeting, voted=True).unvoted_reason == ""


def test_the_record_page_asks_for_the_reason_only_where_the_policy_marks(porg, preset, login):
    meeting = published_meeting(porg, now=THU_1800)
    client = login(porg.recorder)
    page = reverse("records:meeting", args=[meeting.pk])
    with time_machine.travel(DURING, tick=False):
        assert 'name="unvoted_reason"' not in client.get(page).content.decode()
    version = policy_version_with(porg.policy, preset, decision_vote={"value": "mark_unvoted"})
    Meeting.objects.filter(pk=meeting.pk).update(policy_version=version)
    form = {
        "text": "市场部配合宣传",
        "agenda_item": "",
        "department": porg.departments["market"].pk,
        "responsible": porg.market_head.pk,
        "due_on": "2026-03-20",
        "unvoted_reason": "",
    }
    with time_machine.travel(DURING, tick=False):
        assert 'name="unvoted_reason"' in client.get(page).content.decode()
        refused = client.post(reverse("records:decision_add", args=[meeting.pk]), form)
        assert refused.status_code == 400
        assert not Decision.objects.filter(meeting=meeting).exists()
        done = client.post(
            reverse("records:decision_add", args=[meeting.pk]), {**form, "unvoted_reason": "主持人当场确定"}
        )
    assert done.status_code == 302
    assert Decision.objects.get(meeting=meeting).unvoted_reason == "主持人当场确定"
