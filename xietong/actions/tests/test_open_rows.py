"""The open items of an owner or a department, page by page in due order, both open states."""

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


@pytest.mark.parametrize("limit", [3, 5, 50])
def test_pages_by_key_give_every_open_item_once_in_due_order(items, limit, django_assert_num_queries):
    torg = items
    for field, obj in (
        ("owner", torg.tech_head),
        ("owner", torg.outsider),
        ("department", torg.departments["tech"]),
        ("department", torg.departments["market"]),
    ):
        seen, after = [], None
        while True:
            with django_assert_num_queries(1):
                got = selectors.open_rows(limit=limit, cutoff=CUTOFF, after=after, **{field: obj})
                # owner, department and meeting come with the row
                [(r.owner.full_name, r.department.name, r.meeting.title) for r in got]
            assert all(r.status in selectors.OPEN_STATES for r in got)
            seen += [r.pk for r in got]
            if len(got) < limit:
                break
            after = (got[-1].due_on, got[-1].pk)
        every = ActionItem.objects.filter(**{field: obj}, status__in=selectors.OPEN_STATES)
        assert seen == list(every.order_by("due_on", "id").values_list("pk", flat=True))


def test_an_item_due_by_the_cutoff_is_overdue(items):
    rows = selectors.open_rows(owner=items.tech_head, limit=50, cutoff=CUTOFF)
    assert {r.pk for r in rows if r.overdue} == {r.pk for r in rows if r.due_on <= CUTOFF}
    assert any(r.overdue for r in rows) and not all(r.overdue for r in rows)
