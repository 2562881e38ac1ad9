"""Every to-do is one click from done: each kind of duty in the ledger appears on its owner's
我的待办 with a link to the page holding the button or form that closes it, and pressing it
closes the duty. Under both regulations wherever the regulation has the duty's rule."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

import pytest
import time_machine

from xietong.actions.models import ActionItem
from xietong.agenda import services as agenda_services
from xietong.approvals import services as approval_services
from xietong.approvals.bundled import bundled_template, fill_thresholds
from xietong.desk.testing import build_test_org
from xietong.meetings.models import MeetingSeries, Rsvp
from xietong.meetings.services import series_next_meeting
from xietong.meetings.tests.factories import (
    FRI_1000,
    MON,
    THU_1600,
    THU_1800,
    confirmed_meeting,
    make_topic,
    next_meeting,
    published_meeting,
    sh,
)
from xietong.minutes import services as minutes_services
from xietong.minutes.models import Minutes
from xietong.obligations.models import Obligation, ObligationKind
from xietong.org.models import Person
from xietong.policy.services import policy_install_preset
from xietong.records import services as record_services
from xietong.records.tests.helpers import DURING, decide, held_meeting, settle_items
from xietong.topics import services as topic_services
from xietong.topics.tests.conftest import THU_EARLY, WED, topic_fields

pytestmark = pytest.mark.django_db

K = ObligationKind
AFTER = sh(2026, 3, 9, 10, 45)  # the 03-09 meeting is over
LATER = sh(2026, 3, 12, 10, 0)
SEED01, SEED02 = "seed01-weekly", "seed02-coordination"
# Duties whose rule only seed 01 has (seed 02 has no head review, acknowledgement, progress
# report nor leadership approval deadline).
SEED01_ONLY = {K.HEAD_REVIEW, K.DECISION_ACK, K.PROGRESS_REPORT, K.LEADERSHIP_APPROVAL}


@dataclass
class Case:
    """``person`` finds ``duty`` on 我的待办 at ``now``; the page it links to posts ``data`` to
    ``action``."""

    duty: Obligation
    person: Person
    now: datetime
    action: str
    data: dict = field(default_factory=dict)


def _duty(kind: str, person) -> Obligation:
    return Obligation.objects.get(kind=kind, responsible=person, closed_at__isnull=True)


def _submission(org) -> Case:
    topic = topic_services.topic_create(actor=org.tech_liaison, now=WED, **topic_fields(org))
    topic = topic_services.topic_send_for_review(topic=topic, actor=org.tech_liaison, now=WED)
    topic_services.topic_approve(topic=topic, actor=org.tech_head, now=THU_EARLY)
    return Case(
        _duty(K.SUBMISSION, org.tech_liaison), org.tech_liaison, THU_EARLY, f"/topics/{topic.pk}/submit/"
    )


def _head_review(org) -> Case:
    topic = topic_services.topic_create(actor=org.tech_liaison, now=WED, **topic_fields(org))
    topic_services.topic_send_for_review(topic=topic, actor=org.tech_liaison, now=WED)
    return Case(_duty(K.HEAD_REVIEW, org.tech_head), org.tech_head, WED, f"/topics/{topic.pk}/approve/")


def _agenda(org) -> Case:
    meeting = next_meeting(org)
    make_topic(org, meeting, involved=("market",))
    agenda_services.agenda_build(meeting=meeting, actor=org.coordinator, now=THU_1600)
    duty = _duty(K.AGENDA, org.coordinator)
    return Case(duty, org.coordinator, THU_1600, f"/agenda/meeting/{meeting.pk}/confirm/")


def _notice(org) -> Case:
    meeting = confirmed_meeting(org)
    return Case(
        _duty(K.NOTICE, org.coordinator), org.coordinator, THU_1800, f"/agenda/meeting/{meeting.pk}/publish/"
    )


def _rsvp(org) -> Case:
    meeting = published_meeting(org)
    rsvp = Rsvp.objects.get(meeting=meeting, invitee=org.tech_head)
    data = {f"r{rsvp.pk}-response": "attend"}
    return Case(_duty(K.RSVP, org.tech_head), org.tech_head, FRI_1000, f"/meetings/rsvp/{rsvp.pk}/", data)


def _action_due(org) -> Case:
    item = ActionItem.objects.get(decision=decide(org, held_meeting(org, topics=1)))
    data = {"evidence": "方案已提交，见OA 2026-031"}
    return Case(
        _duty(K.ACTION_DUE, org.tech_head), org.tech_head, LATER, f"/actions/{item.pk}/complete/", data
    )


def _leadership(org) -> Case:
    decision = decide(
        org, held_meeting(org, topics=1), allocates_resources=True, resource_kind="money", amount=30000
    )
    # The decision waits on the approval engine: the row leads to its approval's page.
    approval = approval_services.approval_for(decision)
    return Case(
        _duty(K.LEADERSHIP_APPROVAL, org.chair),
        org.chair,
        DURING,
        f"/approvals/{approval.pk}/approve/",
    )


def _closed_record(org):
    meeting = held_meeting(org, topics=1)
    decide(org, meeting)
    settle_items(org, meeting, outcome="decided")
    record_services.record_close(meeting=meeting, actor=org.recorder, now=AFTER)
    return meeting


def _ack(org) -> Case:
    meeting = _closed_record(org)
    tech = org.departments["tech"]
    return Case(
        _duty(K.DECISION_ACK, org.tech_liaison),
        org.tech_liaison,
        AFTER,
        f"/actions/acknowledge/{meeting.pk}/{tech.pk}/",
    )


def _progress(org) -> Case:
    item = ActionItem.objects.get(decision=decide(org, held_meeting(org, topics=1)))
    series_next_meeting(series=org.series, now=DURING)  # the next meeting: progress is owed before it
    data = {"status": "in_progress", "note": "方案初稿完成"}
    return Case(
        _duty(K.PROGRESS_REPORT, org.tech_liaison),
        org.tech_liaison,
        LATER,
        f"/actions/{item.pk}/report/",
        data,
    )


def _approval_step(org) -> Case:
    policy = policy_install_preset(name="seed03-activity", now=MON)
    fill_thresholds(policy, actor=org.coordinator, now=MON, finance=10_000, ceo=50_000)
    template = approval_services.template_create(
        actor=org.coordinator,
        now=MON,
        key="equipment-purchase",
        name="设备采购审批",
        policy=policy,
        text=bundled_template("equipment-purchase"),
    )
    approval = approval_services.approval_submit(
        template=template,
        actor=org.tech_liaison,
        now=MON,
        title="测试设备采购",
        amount=5_000,
        values={"purpose": "采购测试服务器"},
    )
    return Case(
        _duty(K.APPROVAL_STEP, org.tech_head), org.tech_head, MON, f"/approvals/{approval.pk}/approve/"
    )


def _minutes(org) -> Case:
    meeting = _closed_record(org)
    minutes_services.minutes_draft(meeting=meeting, actor=org.recorder, now=AFTER)
    minutes = Minutes.objects.get(meeting=meeting)
    return Case(_duty(K.MINUTES, org.recorder), org.recorder, AFTER, f"/minutes/{minutes.pk}/submit/")


CASES = {
    K.SUBMISSION: _submission,
    K.HEAD_REVIEW: _head_review,
    K.AGENDA: _agenda,
    K.NOTICE: _notice,
    K.RSVP: _rsvp,
    K.MINUTES: _minutes,
    K.DECISION_ACK: _ack,
    K.PROGRESS_REPORT: _progress,
    K.ACTION_DUE: _action_due,
    K.LEADERSHIP_APPROVAL: _leadership,
    K.APPROVAL_STEP: _approval_step,
}


# A request's duties are done on the request's page; their links are tested with the requests
# app (xietong/requests/tests/test_views.py), not yet here.
ELSEWHERE = {K.REQUEST_RESPONSE, K.REQUEST_DELIVERY}


def test_every_kind_of_duty_has_a_case():
    assert set(CASES) | ELSEWHERE == set(K.values)


@pytest.fixture(params=[SEED01, SEED02])
def preset(request):
    return request.param


@pytest.fixture
def org(db, preset):
    org = build_test_org(preset=preset)
    # seed 02 caps a meeting at 60 minutes
    MeetingSeries.objects.filter(pk=org.series.pk).update(duration_minutes=60)
    org.series.refresh_from_db()
    return org


def _open(client, person, now, url: str, language: str = "en") -> str:
    client.cookies["django_language"] = language
    client.force_login(person)
    with time_machine.travel(now, tick=False):
        response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def _link(body: str, section: str, pattern: str) -> str:
    """The href of the first link matching ``pattern`` inside the section with id ``section``."""
    part = body.split(f'id="{section}"', 1)[1].split("</section>", 1)[0]
    found = re.search(pattern, part)
    assert found, part
    return found.group(1).split("#", 1)[0].replace("&amp;", "&")


def _press(client, now, action: str, data: dict) -> None:
    with time_machine.travel(now, tick=False):
        response = client.post(action, data)
    assert response.status_code == 302, response.content.decode()[:2000]


@pytest.mark.parametrize("kind", list(CASES))
def test_a_duty_row_links_to_the_page_that_closes_it(org, preset, client, kind):
    if preset == SEED02 and kind in SEED01_ONLY:
        pytest.skip(f"{preset} has no rule for {kind}")
    case = CASES[kind](org)
    home = _open(client, case.person, case.now, "/")
    target = _link(home, "duties", rf'<a href="([^"]+)" data-duty="{kind}">')
    page = _open(client, case.person, case.now, target)
    assert f'action="{case.action}"' in page
    _press(client, case.now, case.action, case.data)
    case.duty.refresh_from_db()
    if kind == K.MINUTES:
        # The recorder has sent the minutes to the host: the host finds them on 我的待办, opens
        # the version and approves it there, which closes the duty.
        assert case.duty.closed_at is None
        minutes = Minutes.objects.get(meeting_id=case.duty.subject_id)
        home = _open(client, org.host, case.now, "/")
        version = _link(home, "minutes-to-review", r'<a href="([^"]+)">')
        assert version == f"/minutes/{minutes.pk}/"
        page = _open(client, org.host, case.now, version)
        assert f'action="/minutes/{minutes.pk}/approve/"' in page
        assert f'action="/minutes/{minutes.pk}/return/"' in page
        _press(client, case.now, f"/minutes/{minutes.pk}/approve/", {})
        case.duty.refresh_from_db()
        home = _open(client, org.host, case.now, "/")
        assert 'id="minutes-to-review"' not in home
    assert case.duty.closed_at is not None
    assert case.duty.state in (Obligation.State.MET, Obligation.State.BREACHED)
    home = _open(client, case.person, case.now, "/")
    assert f'data-duty="{kind}"' not in home.split('id="duties"', 1)[1].split("</section>", 1)[0]
