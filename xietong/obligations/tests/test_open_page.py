"""我的待办's duty list read with plain SQL: the same rows, in the same order, as the ORM query."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from xietong.obligations.models import Obligation, ObligationKind
from xietong.obligations.selectors import open_obligations_of, open_obligations_page
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


def _fields(o: Obligation) -> tuple:
    return tuple(getattr(o, f.attname) for f in Obligation._meta.concrete_fields)


@pytest.mark.parametrize("limit", [1, 3, 50])
def test_the_page_is_the_orm_query_row_for_row(torg, limit):
    me = _ledger(torg)
    expected = list(open_obligations_of(me)[:limit])
    found = open_obligations_page(me, limit=limit)
    assert [_fields(o) for o in found] == [_fields(o) for o in expected]
    assert len(found) == min(limit, 7)
    assert any(o.state == Obligation.State.BREACHED for o in open_obligations_page(me, limit=50))
    with CaptureQueriesContext(connection) as ctx:  # department and subject came with the rows
        shown = [(o.department and o.department.name, str(o.subject)) for o in found]
    assert len(ctx.captured_queries) == 0
    assert shown == [(o.department and o.department.name, str(o.subject)) for o in expected]


def test_times_come_back_aware_and_nobody_else_s_duties_appear(torg):
    me = _ledger(torg)
    found = open_obligations_page(me, limit=50)
    assert all(o.responsible_id == me.pk for o in found)
    assert all(o.due_at.tzinfo is not None and o.opened_at.tzinfo is not None for o in found)
    assert [o.due_at for o in found] == sorted(o.due_at for o in found)
    assert open_obligations_page(torg.outsider, limit=50) == []


def test_nothing_open_costs_one_query(torg):
    with CaptureQueriesContext(connection) as ctx:
        assert open_obligations_page(torg.tech_liaison, limit=50) == []
    assert len(ctx.captured_queries) == 1
