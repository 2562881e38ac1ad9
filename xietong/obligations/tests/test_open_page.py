"""我的待办's duty list read with plain SQL: the same rows, in the same order and shown the same,
as the ORM query rendered the slow way."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from xietong.core.jinja import localtime
from xietong.obligations.colours import colour
from xietong.obligations.models import Obligation, ObligationKind
from xietong.obligations.selectors import open_duty_rows, open_obligations_of
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


def shown(obligations, now=NOW) -> list[tuple]:
    """What 我的待办 shows of each duty, worked out from whole model instances."""
    rows = []
    for o in obligations:
        target = o.subject
        link = target.get_absolute_url() if target is not None and hasattr(target, "get_absolute_url") else ""
        rows.append(
            (
                o.is_late(now),
                localtime(o.due_at),
                colour(o, now),
                o.calendar_flagged,
                link,
                o.get_kind_display(),
                str(target) if link else "",
                o.clause,
            )
        )
    return rows


@pytest.mark.parametrize("limit", [1, 3, 50])
def test_the_rows_are_the_orm_query_shown_row_for_row(torg, limit):
    me = _ledger(torg)
    expected = shown(open_obligations_of(me)[:limit])
    found = open_duty_rows(me, limit=limit, now=NOW)
    assert found == expected
    assert len(found) == min(limit, 7)


def test_every_colour_and_lateness_as_the_ledger_says(torg):
    me = _ledger(torg)
    flagged = open_obligations_of(me).filter(kind=ObligationKind.SUBMISSION).last()
    Obligation.objects.filter(pk=flagged.pk).update(calendar_flagged=True)
    later = NOW + timedelta(hours=23)  # past some deadlines, inside the next ones' warning lead
    found = open_duty_rows(me, limit=50, now=later)
    assert found == shown(open_obligations_of(me), now=later)
    assert {row[2] for row in found} == {"red", "yellow", "green"}
    assert [row[0] for row in found] == [row[2] == "red" for row in found]
    assert [row[3] for row in found].count(True) == 1  # holiday schedule unpublished


def test_nobody_else_s_duties_appear_and_nothing_open_costs_one_query(torg):
    me = _ledger(torg)
    assert open_duty_rows(torg.outsider, limit=50, now=NOW) == []
    Obligation.objects.filter(responsible=me).delete()
    with CaptureQueriesContext(connection) as ctx:
        assert open_duty_rows(torg.tech_liaison, limit=50, now=NOW) == []
    assert len(ctx.captured_queries) == 1


def test_action_item_duties_come_with_their_item_title_and_link_in_one_query(db):
    import io

    from django.core.management import call_command

    from xietong.actions.models import ActionItem
    from xietong.org.models import Person

    call_command("generate", departments=3, people=20, years=1, items_per_meeting=3, stdout=io.StringIO())
    owner = (
        # Someone without a role: invited to no meeting, so every open duty is an item's.
        Obligation.objects.filter(
            kind=ObligationKind.ACTION_DUE, closed_at__isnull=True, responsible__roles__isnull=True
        )
        .values_list("responsible", flat=True)
        .order_by("responsible")
        .first()
    )
    person = Person.objects.get(pk=owner)
    expected = list(open_obligations_of(person)[:50])
    assert expected and all(isinstance(o.subject, ActionItem) for o in expected)
    now = expected[0].due_at
    with CaptureQueriesContext(connection) as ctx:
        found = open_duty_rows(person, limit=50, now=now)
    assert len(ctx.captured_queries) == 1
    assert found == shown(expected, now=now)
    item = expected[0].subject
    assert found[0][4] == f"/actions/{item.pk}/" and found[0][6] == item.title
    # An item deleted under its duty: the row stays, without a link.
    ActionItem.objects.filter(pk=item.pk).delete()
    assert open_duty_rows(person, limit=50, now=now)[0][4:7] == ("", found[0][5], "")


def test_kind_labels_follow_the_active_language(torg):
    from django.utils import translation

    me = _ledger(torg)
    with translation.override("en"):
        assert "Topic submission" in {row[5] for row in open_duty_rows(me, limit=50, now=NOW)}
    with translation.override("zh-hans"):
        assert "议题提交" in {row[5] for row in open_duty_rows(me, limit=50, now=NOW)}
    duty = open_obligations_of(me).filter(kind=ObligationKind.SUBMISSION).first()
    with translation.override("zh-hans"):
        assert duty.get_kind_display() == "议题提交"
    duty.kind = "retired_kind"  # a kind no longer in the code shows as stored
    assert duty.get_kind_display() == "retired_kind"
