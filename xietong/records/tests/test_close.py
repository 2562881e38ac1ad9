"""Closing the meeting record and the liaisons' acknowledgement of their tasks
(seed 01 第五条(二)4: within the policy's decision_ack minutes of the meeting)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from xietong.actions import services as action_services
from xietong.core.errors import DomainError, Forbidden
from xietong.core.models import Event
from xietong.meetings.models import Meeting
from xietong.meetings.tests.factories import sh
from xietong.obligations.models import Obligation, ObligationKind
from xietong.policy.models import PolicyVersion
from xietong.policy.rules import load_preset, to_data
from xietong.records import services
from xietong.records.selectors import ack_duties_for_meeting
from xietong.records.tests.helpers import BEFORE, decide, held_meeting, settle_items

AFTER = sh(2026, 3, 9, 10, 45)  # the meeting (09:00–10:30) is over
ON_TIME = sh(2026, 3, 9, 11, 0)  # within 60 minutes of the end
LATE = sh(2026, 3, 9, 12, 0)


@pytest.fixture
def meeting(torg):
    meeting = held_meeting(torg, topics=1)
    decide(torg, meeting)
    decide(
        torg,
        meeting,
        text="市场部配合宣传",
        department=torg.departments["market"],
        responsible=torg.market_head,
    )
    settle_items(torg, meeting, outcome="decided")
    return meeting


def _acks(meeting):
    return {d.department_id: d for d in ack_duties_for_meeting(meeting)}


def _close(torg, meeting, actor=None, now=AFTER):
    return services.record_close(meeting=meeting, actor=actor or torg.recorder, now=now)


def test_recorder_closes_the_record_and_each_department_owes_an_acknowledgement(torg, meeting):
    _close(torg, meeting)

    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.HELD
    acks = _acks(meeting)
    tech, market = torg.departments["tech"], torg.departments["market"]
    assert set(acks) == {tech.pk, market.pk}
    assert acks[tech.pk].responsible == torg.tech_liaison
    assert acks[market.pk].responsible == torg.market_liaison
    rule = meeting.policy_version.rules.get("decision_ack")
    for duty in acks.values():
        assert duty.kind == ObligationKind.DECISION_ACK
        assert duty.state == Obligation.State.PENDING
        assert duty.due_at == meeting.ends_at + timedelta(minutes=rule.minutes)
        assert duty.clause == rule.clause == "第五条(二)4"
    assert Event.objects.filter(name="record.closed").count() == 1


def test_host_may_close_and_a_meeting_without_decisions_opens_no_duty(torg):
    meeting = held_meeting(torg, topics=1)
    settle_items(torg, meeting)
    services.record_close(meeting=meeting, actor=torg.host, now=AFTER)
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.HELD
    assert _acks(meeting) == {}


@pytest.mark.parametrize(
    "person", ["coordinator", "chair", "tech_head", "tech_liaison", "market_liaison", "outsider"]
)
def test_only_recorder_or_host_may_close(torg, meeting, person):
    with pytest.raises(Forbidden):
        _close(torg, meeting, actor=getattr(torg, person))
    meeting.refresh_from_db()
    assert meeting.status != Meeting.Status.HELD
    assert _acks(meeting) == {}


def test_refused_before_the_meeting_twice_or_when_cancelled(torg, meeting):
    with pytest.raises(DomainError) as err:
        _close(torg, meeting, now=BEFORE)
    assert err.value.code == "meeting_not_started"
    _close(torg, meeting)
    with pytest.raises(DomainError) as err:
        _close(torg, meeting, now=LATE)
    assert err.value.code == "already_closed"
    assert len(_acks(meeting)) == 2
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.CANCELLED)
    meeting.refresh_from_db()
    with pytest.raises(DomainError) as err:
        _close(torg, meeting)
    assert err.value.code == "meeting_cancelled"


def test_no_duty_when_the_policy_has_no_acknowledgement_rule(torg, meeting):
    data = to_data(load_preset("seed01-weekly"))
    data["policy"]["key"] = torg.policy.key
    del data["rules"]["decision_ack"]
    last = torg.policy.versions.order_by("-number").first()
    version = PolicyVersion.objects.create(
        policy=torg.policy, number=last.number + 1, data=data, created_at=timezone.now(), reason="test"
    )
    Meeting.objects.filter(pk=meeting.pk).update(policy_version=version)
    meeting.refresh_from_db()
    _close(torg, meeting)
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.HELD
    assert _acks(meeting) == {}


# ---- acknowledgement ------------------------------------------------------------------------


def _ack(torg, meeting, dept="tech", actor=None, now=ON_TIME):
    return action_services.tasks_acknowledge(
        meeting=meeting,
        department=torg.departments[dept],
        actor=actor or getattr(torg, f"{dept}_liaison"),
        now=now,
    )


def test_liaison_acknowledges_in_time(torg, meeting):
    _close(torg, meeting)
    duty = _ack(torg, meeting)
    assert duty.state == Obligation.State.MET
    assert duty.closed_by == torg.tech_liaison
    acks = _acks(meeting)
    assert acks[torg.departments["tech"].pk].state == Obligation.State.MET
    assert acks[torg.departments["market"].pk].closed_at is None  # market has not acknowledged
    event = Event.objects.get(name="action.tasks_acknowledged")
    assert event.data["late"] is False


def test_late_acknowledgement_is_breached_with_the_clause(torg, meeting):
    _close(torg, meeting)
    duty = _ack(torg, meeting, dept="market", now=LATE)
    assert duty.state == Obligation.State.BREACHED
    assert duty.clause == "第五条(二)4"
    event = Event.objects.get(name="action.tasks_acknowledged")
    assert event.data["late"] is True and event.data["clause"] == "第五条(二)4"


@pytest.mark.parametrize(
    "person", ["market_liaison", "tech_head", "tech_deputy", "coordinator", "recorder", "outsider"]
)
def test_only_the_departments_liaison_may_acknowledge(torg, meeting, person):
    _close(torg, meeting)
    with pytest.raises(Forbidden):
        _ack(torg, meeting, actor=getattr(torg, person))
    assert _acks(meeting)[torg.departments["tech"].pk].state == Obligation.State.PENDING


def test_nothing_to_acknowledge_before_closing_twice_or_for_an_uninvolved_department(torg, meeting):
    with pytest.raises(DomainError) as err:
        _ack(torg, meeting)
    assert err.value.code == "nothing_to_acknowledge"
    _close(torg, meeting)
    _ack(torg, meeting)
    with pytest.raises(DomainError) as err:
        _ack(torg, meeting, now=LATE)
    assert err.value.code == "nothing_to_acknowledge"
    with pytest.raises(DomainError) as err:
        _ack(torg, meeting, dept="finance")
    assert err.value.code == "nothing_to_acknowledge"


# ---- pages ----------------------------------------------------------------------------------


def _english(client):
    client.cookies["django_language"] = "en"
    return client


def test_close_button_and_the_coordinators_list_of_unacknowledged_departments(torg, meeting, login):
    with time_machine.travel(AFTER, tick=False):
        page = _english(login(torg.recorder)).get(f"/records/meeting/{meeting.pk}/").content.decode()
        assert "Mark the record complete" in page
        assert login(torg.recorder).get(f"/records/meeting/{meeting.pk}/close/").status_code == 405
        assert login(torg.outsider).post(f"/records/meeting/{meeting.pk}/close/").status_code == 403
        assert login(torg.coordinator).post(f"/records/meeting/{meeting.pk}/close/").status_code == 403
        meeting.refresh_from_db()
        assert meeting.status != Meeting.Status.HELD
        response = login(torg.recorder).post(f"/records/meeting/{meeting.pk}/close/")
        assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.HELD
    _ack(torg, meeting, dept="tech")

    with time_machine.travel(LATE, tick=False):
        page = _english(login(torg.coordinator)).get(f"/records/meeting/{meeting.pk}/").content.decode()
    market, tech = torg.departments["market"], torg.departments["tech"]
    assert f'data-department="{market.pk}" data-state="pending" data-unacknowledged' in page
    assert f'data-department="{tech.pk}" data-state="met">' in page
    assert "Not acknowledged" in page and "第五条(二)4" in page and "Late" in page
    assert "Mark the record complete" not in page


def test_liaison_acknowledges_from_the_action_list(torg, meeting, login):
    _close(torg, meeting)
    duty = _acks(meeting)[torg.departments["tech"].pk]
    url = f"/actions/acknowledge/{meeting.pk}/{torg.departments['tech'].pk}/"
    with time_machine.travel(LATE, tick=False):
        client = _english(login(torg.tech_liaison))
        page = client.get("/actions/").content.decode()
        assert f'data-ack="{duty.pk}"' in page and "Acknowledge receipt" in page
        assert client.get(url).status_code == 405
        assert login(torg.market_liaison).post(url).status_code == 403
        duty.refresh_from_db()
        assert duty.closed_at is None
        client = login(torg.tech_liaison)  # the login fixture shares one client
        assert client.post(url).status_code == 302
        duty.refresh_from_db()
        assert duty.state == Obligation.State.BREACHED and duty.closed_at is not None
        page = client.get("/actions/").content.decode()
    assert f'data-ack="{duty.pk}"' not in page
    assert "Acknowledge receipt" not in page


def test_held_record_page_query_count_does_not_grow_with_departments(
    torg, login, django_assert_max_num_queries
):
    meeting = held_meeting(torg, topics=1)
    decide(torg, meeting)
    settle_items(torg, meeting)
    _close(torg, meeting)
    client = login(torg.coordinator)
    with time_machine.travel(LATE, tick=False), django_assert_max_num_queries(20) as few:
        assert client.get(f"/records/meeting/{meeting.pk}/").status_code == 200
    # Reopened by hand (the services lock a closed record) to add departments and close again.
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.PUBLISHED)
    meeting.refresh_from_db()
    for dept, head in (("market", torg.market_head), ("finance", torg.finance_head)):
        decide(torg, meeting, text=dept, department=torg.departments[dept], responsible=head, now=AFTER)
    _close(torg, meeting, now=LATE)
    assert len(_acks(meeting)) == 3
    with (
        time_machine.travel(LATE, tick=False),
        django_assert_max_num_queries(len(few.captured_queries)),
    ):
        assert client.get(f"/records/meeting/{meeting.pk}/").status_code == 200
