"""The action lists' reads with written-out SQL give the rows of the ORM filters they replace:
open_rows vs as_rows(open_items_of_owner / open_items_of_department), keyset pages included,
and actions_for_coordinator vs its ORM filters."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from xietong.actions import selectors
from xietong.actions.models import ActionItem
from xietong.records.tests.helpers import DURING, decide, held_meeting

S = ActionItem.Status
CUTOFF = date(2026, 4, 5)


@pytest.fixture
def items(torg):
    meeting = held_meeting(torg, topics=1)
    decision = decide(torg, meeting)
    tech, market = torg.departments["tech"], torg.departments["market"]
    rows = []
    for k in range(24):  # two owners, two departments, all states, due dates with ties
        rows.append(
            ActionItem(
                decision=decision,
                meeting=meeting,
                title=f"任务{k}",
                department=tech if k % 3 else market,
                owner=torg.tech_head if k % 2 else torg.outsider,
                due_on=date(2026, 4, 1) + timedelta(days=k // 3),
                status=[S.OPEN, S.IN_PROGRESS, S.DONE, S.OPEN, S.CANCELLED, S.IN_PROGRESS][k % 6],
                created_at=DURING,
                updated_at=DURING,
            )
        )
    ActionItem.objects.bulk_create(rows)
    return torg


def _as_tuples(rows):
    return [
        (r.pk, r.title, r.due_on, r.status, r.overdue, r.owner.full_name, r.department.name, r.meeting.title)
        for r in rows
    ]


@pytest.mark.parametrize("limit", [3, 5, 50])
def test_open_rows_match_the_orm_selectors_page_by_page(items, limit, django_assert_num_queries):
    torg = items
    cases = [
        ({"owner": torg.tech_head}, selectors.open_items_of_owner, torg.tech_head),
        ({"owner": torg.outsider}, selectors.open_items_of_owner, torg.outsider),
        (
            {"department": torg.departments["tech"]},
            selectors.open_items_of_department,
            torg.departments["tech"],
        ),
    ]
    for whose, orm, obj in cases:
        after, seen = None, []
        while True:
            with django_assert_num_queries(1):
                got = selectors.open_rows(limit=limit, cutoff=CUTOFF, after=after, **whose)
            expected = selectors.as_rows(orm(obj, limit=limit, after=after), cutoff=CUTOFF)
            assert _as_tuples(got) == _as_tuples(expected)
            assert all(r.status in selectors.OPEN_STATES for r in got)
            seen += [r.pk for r in got]
            if len(got) < limit:
                break
            after = (got[-1].due_on, got[-1].pk)
        field = "owner" if "owner" in whose else "department"
        every = ActionItem.objects.filter(**{field: obj}, status__in=selectors.OPEN_STATES)
        assert seen == list(every.order_by("due_on", "id").values_list("pk", flat=True))
    overdue = [r for r in selectors.open_rows(owner=torg.tech_head, limit=50, cutoff=CUTOFF) if r.overdue]
    assert overdue and all(r.due_on <= CUTOFF for r in overdue)


def _orm_coordinator(
    *,
    cutoff,
    department=None,
    status=None,
    overdue=None,
    meeting=None,
    series=None,
    due_from=None,
    due_to=None,
    after=None,
    limit=50,
):
    """The ORM filters actions_for_coordinator spells out in SQL: the oracle."""
    from django.db.models import Q

    qs = ActionItem.objects.all()
    if department is not None:
        qs = qs.filter(department=department)
    if status:
        qs = qs.filter(status=status)
    if meeting is not None:
        qs = qs.filter(meeting=meeting)
    if series is not None:
        qs = qs.filter(meeting__series=series)
    if due_from is not None:
        qs = qs.filter(due_on__gte=due_from)
    if due_to is not None:
        qs = qs.filter(due_on__lte=due_to)
    if overdue is True:
        qs = qs.filter(status__in=selectors.OPEN_STATES, due_on__lte=cutoff)
    elif overdue is False:
        qs = qs.exclude(status__in=selectors.OPEN_STATES, due_on__lte=cutoff)
    if after is not None:
        qs = qs.filter(Q(due_on__gt=after[0]) | Q(due_on=after[0], id__gt=after[1]))
    return selectors.as_rows(qs.order_by("due_on", "id")[: limit + 1], cutoff=cutoff)[:limit]


def test_coordinator_page_matches_the_orm_filters(items, django_assert_max_num_queries):
    from xietong.actions.tests.test_hot_pages import LATE

    torg = items
    meeting = ActionItem.objects.first().meeting
    cutoff = selectors.overdue_cutoff(now=LATE, calendar=selectors.business_calendar())
    tech = torg.departments["tech"]
    cases = [
        {},
        {"department": tech},
        {"status": S.IN_PROGRESS},
        {"overdue": True},
        {"overdue": False},
        {"meeting": meeting},
        {"meeting": meeting.pk},
        {"series": meeting.series},
        {"series": meeting.series_id + 999},
        {"due_from": date(2026, 4, 3), "due_to": date(2026, 4, 6)},
        {"department": tech, "overdue": False, "status": S.OPEN},
        {"after": (date(2026, 4, 3), 0), "limit": 4},
        {"after": (date(2026, 4, 3), 10**9), "overdue": True, "limit": 3},
    ]
    for filters in cases:
        with django_assert_max_num_queries(2):  # the rows (+ the business calendar)
            got = selectors.actions_for_coordinator(now=LATE, **filters)
        assert _as_tuples(got.items) == _as_tuples(_orm_coordinator(cutoff=cutoff, **filters)), filters
    assert selectors.actions_for_coordinator(now=LATE, overdue=True).items  # the cases are not empty
    assert selectors.actions_for_coordinator(now=LATE, overdue=False).items
