from datetime import datetime, timedelta

import pytest

from xietong.obligations.models import Obligation, ObligationKind
from xietong.obligations.selectors import late_steps, obligations_for, open_obligations_of
from xietong.obligations.services import (
    obligation_close,
    obligation_open,
    obligation_waive,
    obligations_mark_breached,
)
from xietong.policy.calendar import SHANGHAI
from xietong.policy.selectors import business_calendar, current_version

MONDAY = datetime(2026, 3, 9, 9, 0, tzinfo=SHANGHAI)


def _open_submission(torg, now):
    version = current_version(torg.policy)
    due = version.rules.deadline("submission_cutoff", MONDAY, business_calendar())
    return obligation_open(
        kind=ObligationKind.SUBMISSION,
        rule="submission_cutoff",
        subject=torg.departments["tech"],
        due=due,
        policy_version=version,
        now=now,
        responsible=torg.tech_liaison,
        department=torg.departments["tech"],
    )


@pytest.mark.django_db
def test_open_keeps_clause_and_version_it_was_computed_under(torg):
    ob = _open_submission(torg, now=MONDAY - timedelta(days=7))
    # seed 01: liaisons submit by Thursday 15:00 before the meeting (第五条(二)4)
    assert ob.due_at == datetime(2026, 3, 5, 15, 0, tzinfo=SHANGHAI)
    assert ob.clause == "第五条(二)4"
    assert ob.policy_version == current_version(torg.policy)
    assert ob.state == Obligation.State.PENDING
    assert list(open_obligations_of(torg.tech_liaison)) == [ob]
    assert list(open_obligations_of(torg.market_liaison)) == []


@pytest.mark.django_db
def test_close_in_time_is_met_and_late_is_breached(torg):
    _open_submission(torg, now=MONDAY - timedelta(days=7))
    on_time = obligation_close(
        kind=ObligationKind.SUBMISSION,
        subject=torg.departments["tech"],
        now=datetime(2026, 3, 5, 14, 59, tzinfo=SHANGHAI),
        actor=torg.tech_liaison,
    )
    assert on_time.state == Obligation.State.MET
    assert late_steps(torg.departments["tech"]) == []

    _open_submission(torg, now=MONDAY - timedelta(days=7))
    late = obligation_close(
        kind=ObligationKind.SUBMISSION,
        subject=torg.departments["tech"],
        now=datetime(2026, 3, 5, 15, 1, tzinfo=SHANGHAI),
        actor=torg.tech_liaison,
    )
    assert late.state == Obligation.State.BREACHED
    assert late.closed_at is not None
    assert [o.clause for o in late_steps(torg.departments["tech"])] == ["第五条(二)4"]


@pytest.mark.django_db
def test_reopening_supersedes_instead_of_duplicating(torg):
    first = _open_submission(torg, now=MONDAY - timedelta(days=7))
    second = _open_submission(torg, now=MONDAY - timedelta(days=6))
    first.refresh_from_db()
    assert first.state == Obligation.State.WAIVED
    assert [o.pk for o in obligations_for(torg.departments["tech"]) if o.state == "pending"] == [second.pk]


@pytest.mark.django_db
def test_tick_marks_only_overdue_pending_duties(torg):
    ob = _open_submission(torg, now=MONDAY - timedelta(days=7))
    assert obligations_mark_breached(now=datetime(2026, 3, 5, 14, 0, tzinfo=SHANGHAI)) == 0
    assert obligations_mark_breached(now=datetime(2026, 3, 5, 16, 0, tzinfo=SHANGHAI)) == 1
    ob.refresh_from_db()
    assert ob.state == Obligation.State.BREACHED and ob.closed_at is None
    # still on the person's list, now late
    assert ob.is_late(datetime(2026, 3, 5, 16, 0, tzinfo=SHANGHAI))
    assert list(open_obligations_of(torg.tech_liaison)) == [ob]
    # doing it afterwards closes it, still breached
    closed = obligation_close(
        kind=ObligationKind.SUBMISSION,
        subject=torg.departments["tech"],
        now=datetime(2026, 3, 6, 9, 0, tzinfo=SHANGHAI),
    )
    assert closed.pk == ob.pk and closed.state == Obligation.State.BREACHED and closed.closed_at is not None
    assert list(open_obligations_of(torg.tech_liaison)) == []


@pytest.mark.django_db
def test_waive_closes_pending_duties(torg):
    _open_submission(torg, now=MONDAY - timedelta(days=7))
    assert obligation_waive(kind=None, subject=torg.departments["tech"], now=MONDAY, note="withdrawn") == 1
    assert list(open_obligations_of(torg.tech_liaison)) == []
    assert (
        obligation_close(kind=ObligationKind.SUBMISSION, subject=torg.departments["tech"], now=MONDAY) is None
    )


@pytest.mark.django_db
def test_deadline_in_unpublished_year_is_flagged(torg):
    version = current_version(torg.policy)
    meeting_2027 = datetime(2027, 3, 8, 9, 0, tzinfo=SHANGHAI)
    due = version.rules.deadline("submission_cutoff", meeting_2027, business_calendar())
    ob = obligation_open(
        kind=ObligationKind.SUBMISSION,
        rule="submission_cutoff",
        subject=torg.departments["tech"],
        due=due,
        policy_version=version,
        now=MONDAY,
        responsible=torg.tech_liaison,
    )
    assert ob.calendar_flagged is True


@pytest.mark.django_db
def test_one_liaison_of_two_departments_keeps_a_duty_per_department(torg):
    """The supersede key includes the department: re-opening for one department leaves the other's."""
    version = current_version(torg.policy)
    due = version.rules.deadline("submission_cutoff", MONDAY, business_calendar())
    duties = [
        obligation_open(
            kind=ObligationKind.DECISION_ACK,
            rule="decision_ack",
            subject=torg.series,
            due=due,
            policy_version=version,
            now=MONDAY - timedelta(days=7),
            responsible=torg.tech_liaison,
            department=torg.departments[key],
        )
        for key in ("tech", "market")
    ]
    assert [o.state for o in Obligation.objects.filter(pk__in=[d.pk for d in duties])] == [
        "pending",
        "pending",
    ]
    again = obligation_open(
        kind=ObligationKind.DECISION_ACK,
        rule="decision_ack",
        subject=torg.series,
        due=due,
        policy_version=version,
        now=MONDAY - timedelta(days=6),
        responsible=torg.tech_liaison,
        department=torg.departments["tech"],
    )
    states = dict(Obligation.objects.filter(subject_id=torg.series.pk).values_list("pk", "state"))
    assert states == {duties[0].pk: "waived", duties[1].pk: "pending", again.pk: "pending"}
    # Closing one department's duty leaves the other's open.
    closed = obligation_close(
        kind=ObligationKind.DECISION_ACK,
        subject=torg.series,
        now=MONDAY - timedelta(days=6),
        responsible=torg.tech_liaison,
        department=torg.departments["market"],
    )
    assert closed.pk == duties[1].pk and closed.state == "met"
    assert Obligation.objects.get(pk=again.pk).state == "pending"
