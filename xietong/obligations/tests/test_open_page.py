"""我的待办's duty list read with plain SQL: the same rows, in the same order, as the ORM query."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from xietong.obligations.models import Obligation, ObligationKind
from xietong.obligations.selectors import colour, open_obligations_of, open_obligations_page
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

    def shown(rows):  # what 我的待办 shows of each duty
        return [
            (o.department and o.department.name, str(o.subject), o.is_late(NOW), colour(o, NOW))
            + (o.due_at, o.clause, o.calendar_flagged, o.get_kind_display())
            for o in rows
        ]

    with CaptureQueriesContext(connection) as ctx:  # all of it came with the rows
        on_page = shown(found)
    assert len(ctx.captured_queries) == 0
    assert on_page == shown(expected)


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


def test_action_item_duties_come_with_their_item_title_and_link(db):
    import io

    from django.core.management import call_command

    from xietong.actions.models import ActionItem

    call_command("generate", departments=3, people=10, years=1, items_per_meeting=3, stdout=io.StringIO())
    owner = (
        Obligation.objects.filter(kind=ObligationKind.ACTION_DUE, closed_at__isnull=True)
        .values_list("responsible", flat=True)
        .order_by("responsible")
        .first()
    )
    from xietong.org.models import Person

    person = Person.objects.get(pk=owner)
    expected = list(open_obligations_of(person)[:50])
    found = open_obligations_page(person, limit=50)
    assert [_fields(o) for o in found] == [_fields(o) for o in expected]
    assert found and all(isinstance(o.subject, ActionItem) for o in found)
    with CaptureQueriesContext(connection) as ctx:
        shown = [(str(o.subject), o.subject.get_absolute_url(), o.get_kind_display()) for o in found]
    assert len(ctx.captured_queries) == 0
    assert shown == [(str(o.subject), o.subject.get_absolute_url(), o.get_kind_display()) for o in expected]
    # The rest of an item loads on access, as a deferred field does.
    assert found[0].subject.due_on == ActionItem.objects.get(pk=found[0].subject_id).due_on


def test_kind_labels_follow_the_active_language(torg):
    from django.utils import translation

    me = _ledger(torg)
    duty = next(o for o in open_obligations_page(me, limit=50) if o.kind == ObligationKind.SUBMISSION)
    with translation.override("en"):
        assert duty.get_kind_display() == "Topic submission"
    with translation.override("zh-hans"):
        assert duty.get_kind_display() == "议题提交"
    duty.kind = "retired_kind"  # a kind no longer in the code shows as stored
    assert duty.get_kind_display() == "retired_kind"
