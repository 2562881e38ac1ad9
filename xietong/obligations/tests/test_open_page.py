"""我的待办's duty list: a person's open duties (pending or late), soonest first, each with its
colour; met and waived duties and other people's duties stay off it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import translation

from xietong.obligations.colours import colour
from xietong.obligations.models import Obligation, ObligationKind
from xietong.obligations.selectors import open_duty_rows
from xietong.obligations.services import obligation_close, obligation_open, obligation_waive
from xietong.policy.calendar import SHANGHAI, CalendarResult
from xietong.policy.selectors import current_version

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)


def _open(torg, subject, *, days: int, person, kind=ObligationKind.SUBMISSION, department=None):
    return obligation_open(
        kind=kind,
        rule="submission_cutoff",
        subject=subject,
        due=CalendarResult(NOW + timedelta(days=days), frozenset({2026}) if days == 3 else frozenset()),
        policy_version=current_version(torg.policy),
        now=NOW,
        responsible=person,
        department=department,
    )


def _ledger(torg):
    me, other = torg.tech_liaison, torg.market_liaison
    tech, market = torg.departments["tech"], torg.departments["market"]
    subjects = [tech, market, torg.series, torg.policy, torg.org, other]
    for i, subject in enumerate(subjects):
        _open(torg, subject, days=i % 3, person=me, department=tech if i % 2 else None)  # ties on due_at
        _open(torg, subject, days=i, person=other, department=market)
    # Breached duties stay on the list; met and waived ones leave it.
    late = _open(torg, torg.departments["office"], days=-2, person=me, kind=ObligationKind.HEAD_REVIEW)
    Obligation.objects.filter(pk=late.pk).update(state=Obligation.State.BREACHED)
    _open(torg, torg.departments["finance"], days=1, person=me, kind=ObligationKind.HEAD_REVIEW)
    obligation_close(kind=ObligationKind.HEAD_REVIEW, subject=torg.departments["finance"], now=NOW)
    _open(torg, torg.departments["office"], days=4, person=me, kind=ObligationKind.AGENDA)
    obligation_waive(kind=ObligationKind.AGENDA, subject=torg.departments["office"], now=NOW)
    return me


@pytest.mark.parametrize("limit", [1, 3, 50])
def test_open_duties_soonest_first_up_to_the_limit(torg, limit):
    me = _ledger(torg)
    found = open_duty_rows(me, limit=limit, now=NOW)
    assert len(found) == min(limit, 7)
    assert [(o.due_at, o.pk) for o in found] == sorted((o.due_at, o.pk) for o in found)
    assert all(o.responsible_id == me.pk for o in found)
    assert all(o.state in (Obligation.State.PENDING, Obligation.State.BREACHED) for o in found)
    if limit == 50:
        assert found[0].kind == ObligationKind.HEAD_REVIEW and found[0].state == Obligation.State.BREACHED


def test_every_colour_as_the_ledger_says(torg):
    me = _ledger(torg)
    later = NOW + timedelta(hours=23)  # past some deadlines, inside the next ones' warning lead
    found = open_duty_rows(me, limit=50, now=later)
    assert [o.colour for o in found] == [colour(o, later) for o in found]
    assert {o.colour for o in found} == {"red", "yellow", "green"}
    assert all(o.colour == "red" for o in found if o.due_at < later)


def test_nobody_else_s_duties_appear(torg):
    me = _ledger(torg)
    assert open_duty_rows(torg.outsider, limit=50, now=NOW) == []
    Obligation.objects.filter(responsible=me).delete()
    assert open_duty_rows(torg.tech_liaison, limit=50, now=NOW) == []


def test_subjects_come_loaded(torg, django_assert_max_num_queries):
    me = _ledger(torg)
    found = open_duty_rows(me, limit=50, now=NOW)
    with django_assert_max_num_queries(0):
        subjects = [o.subject for o in found]
    assert torg.series in subjects and torg.policy in subjects


def test_kind_labels_follow_the_active_language(torg):
    me = _ledger(torg)
    found = open_duty_rows(me, limit=50, now=NOW)
    with translation.override("en"):
        assert "Topic submission" in {o.get_kind_display() for o in found}
    with translation.override("zh-hans"):
        assert "议题提交" in {o.get_kind_display() for o in found}
    found[0].kind = "retired_kind"  # a kind no longer in the code shows as stored
    assert found[0].get_kind_display() == "retired_kind"
