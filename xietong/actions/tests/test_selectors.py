from __future__ import annotations

from datetime import date

import pytest

from xietong.actions import selectors, services
from xietong.actions.models import ActionItem, ProgressReport
from xietong.meetings.services import series_meeting_after
from xietong.meetings.tests.factories import sh
from xietong.obligations.colours import action_deadline, is_overdue, overdue_cutoff, with_overdue
from xietong.policy.selectors import business_calendar
from xietong.records.tests.helpers import DURING, decide, held_meeting

S = ActionItem.Status


@pytest.fixture
def meeting(torg):
    return held_meeting(torg, topics=1)


def _item(torg, meeting, **overrides):
    decision = decide(torg, meeting, **overrides)
    return ActionItem.objects.get(decision=decision)


def test_deadline_is_end_of_the_working_day_and_moves_past_a_holiday(torg):
    calendar = business_calendar()
    assert action_deadline(date(2026, 9, 30), calendar) == sh(2026, 9, 30, 17, 30)
    # Due on a National Day holiday: due at the end of the first working day after it.
    assert action_deadline(date(2026, 10, 3), calendar) == sh(2026, 10, 8, 17, 30)


def test_overdue_derived_across_national_day(torg, meeting):
    before_holiday = _item(torg, meeting, due_on=date(2026, 9, 30))
    in_holiday = _item(torg, meeting, due_on=date(2026, 10, 3))
    calendar = business_calendar()

    def overdue(now):
        flags = {i.pk: i.overdue for i in with_overdue(ActionItem.objects.all(), now=now)}
        pure = {i.pk: is_overdue(i, now=now, calendar=calendar) for i in ActionItem.objects.all()}
        assert flags == pure
        return flags[before_holiday.pk], flags[in_holiday.pk]

    assert overdue(sh(2026, 9, 30, 17, 0)) == (False, False)
    assert overdue(sh(2026, 10, 3, 10, 0)) == (True, False)  # during the holiday
    assert overdue(sh(2026, 10, 8, 12, 0)) == (True, False)  # first working day, before it ends
    assert overdue(sh(2026, 10, 8, 18, 0)) == (True, True)
    # Done items are never overdue.
    services.action_complete(
        item=before_holiday, evidence="ok", actor=torg.tech_head, now=sh(2026, 10, 8, 18, 0)
    )
    assert overdue(sh(2026, 10, 9, 9, 0)) == (False, True)


def test_owner_and_department_lists(torg, meeting):
    mine = _item(torg, meeting)
    market = _item(torg, meeting, department=torg.departments["market"], responsible=torg.market_head)
    done = _item(torg, meeting)
    services.action_complete(item=done, evidence="ok", actor=torg.tech_head, now=DURING)
    cutoff = overdue_cutoff(now=DURING, calendar=business_calendar())

    def pks(**whose):
        return [i.pk for i in selectors.open_rows(limit=50, cutoff=cutoff, **whose)]

    assert pks(owner=torg.tech_head) == [mine.pk]
    assert pks(owner=torg.market_head) == [market.pk]
    assert pks(department=torg.departments["tech"]) == [mine.pk]
    assert pks(owner=torg.outsider) == []


def test_coordinator_filters(torg, meeting):
    early = _item(torg, meeting, due_on=date(2026, 3, 11))
    late = _item(torg, meeting, due_on=date(2026, 4, 30))
    market = _item(
        torg,
        meeting,
        department=torg.departments["market"],
        responsible=torg.market_head,
        due_on=date(2026, 3, 12),
    )
    services.action_start(item=late, actor=torg.tech_head, now=DURING)
    now = sh(2026, 3, 20, 9, 0)

    def pks(**filters):
        return [i.pk for i in selectors.actions_for_coordinator(now=now, **filters).items]

    assert pks() == [early.pk, market.pk, late.pk]
    assert pks(department=torg.departments["market"]) == [market.pk]
    assert pks(status=S.IN_PROGRESS) == [late.pk]
    assert pks(overdue=True) == [early.pk, market.pk]
    assert pks(overdue=False) == [late.pk]
    assert pks(meeting=meeting) == [early.pk, market.pk, late.pk]
    assert pks(due_from=date(2026, 3, 12), due_to=date(2026, 3, 31)) == [market.pk]
    page = selectors.actions_for_coordinator(now=now)
    assert [i.overdue for i in page.items] == [True, True, False]


def _bulk(torg, meeting, n, start=0):
    decision = decide(torg, meeting)
    ActionItem.objects.bulk_create(
        ActionItem(
            decision=decision,
            meeting=meeting,
            title=f"任务{k}",
            department=torg.departments["tech"],
            owner=torg.tech_head,
            due_on=date(2026, 4, 1 + k % 20),
            created_at=DURING,
            updated_at=DURING,
        )
        for k in range(start, start + n)
    )


def _walk(limit, now):
    seen, key = [], None
    while True:
        page = selectors.actions_for_coordinator(now=now, after=key, limit=limit)
        seen.extend(page.items)
        if page.next_key is None:
            return seen
        key = page.next_key


def test_keyset_pages_cover_every_row_once_in_order(torg, meeting):
    _bulk(torg, meeting, 23)
    rows = _walk(5, DURING)
    assert len(rows) == ActionItem.objects.count()
    assert len({r.pk for r in rows}) == len(rows)
    assert [(r.due_on, r.pk) for r in rows] == sorted((r.due_on, r.pk) for r in rows)


def test_keyset_query_count_constant_as_rows_grow(torg, meeting, django_assert_num_queries):
    _bulk(torg, meeting, 10)
    with django_assert_num_queries(2):
        first = selectors.actions_for_coordinator(now=DURING, limit=5)
    with django_assert_num_queries(2):
        selectors.actions_for_coordinator(now=DURING, limit=5, after=first.next_key, overdue=False)
    _bulk(torg, meeting, 200, start=10)
    with django_assert_num_queries(2):
        first = selectors.actions_for_coordinator(now=DURING, limit=5)
    with django_assert_num_queries(2):
        page = selectors.actions_for_coordinator(now=DURING, limit=5, after=first.next_key, overdue=False)
    # related rows are preloaded: reading them costs nothing more
    with django_assert_num_queries(0):
        [(i.owner.full_name, i.department.name, i.meeting.title) for i in page.items]


def test_followup_lists_latest_report_of_open_items_of_earlier_meetings(
    torg, meeting, django_assert_num_queries
):
    reported = _item(torg, meeting)
    silent = _item(torg, meeting, due_on=date(2026, 3, 25))
    done = _item(torg, meeting)
    services.progress_report(
        item=reported, status="in_progress", actor=torg.tech_liaison, now=sh(2026, 3, 11, 9)
    )
    services.progress_report(
        item=reported, status="delayed", reason="等待报价", actor=torg.tech_liaison, now=sh(2026, 3, 12, 9)
    )
    services.action_complete(item=done, evidence="ok", actor=torg.tech_head, now=sh(2026, 3, 12, 9))
    following = series_meeting_after(meeting=meeting, now=DURING)
    with django_assert_num_queries(2):  # the items, then their latest reports
        rows = selectors.followup_for_meeting(following)
    assert [(r.pk, r.latest_report and r.latest_report.status) for r in rows] == [
        (reported.pk, "delayed"),
        (silent.pk, None),
    ]
    latest = ProgressReport.objects.filter(action_item=reported).order_by("-reported_at", "-id").first()
    assert rows[0].latest_report == latest and rows[0].latest_report.reason == "等待报价"
    assert rows[0].latest_report.reported_at == sh(2026, 3, 12, 9)
    # The meeting's own decisions are not "last meeting's" follow-up.
    assert selectors.followup_for_meeting(meeting) == []
