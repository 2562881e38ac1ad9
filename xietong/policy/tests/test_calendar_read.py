"""The organisation's calendar as pages read it: one plain query, never older than the row."""

from __future__ import annotations

from datetime import date, time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from xietong.org.models import Organization
from xietong.policy.selectors import business_calendar

pytestmark = pytest.mark.django_db

A_MONDAY = date(2026, 3, 9)
A_SATURDAY = date(2026, 3, 14)


def test_the_calendar_is_read_with_one_query_and_matches_the_row(torg):
    Organization.objects.filter(pk=torg.org.pk).update(
        extra_closed_days=[A_MONDAY.isoformat()], work_start=time(8, 30), work_end=time(17, 0)
    )
    with CaptureQueriesContext(connection) as ctx:
        calendar = business_calendar()
    assert len(ctx.captured_queries) == 1
    assert not calendar.is_working_day(A_MONDAY)
    assert calendar.work_start == time(8, 30)
    assert calendar.work_end == time(17, 0)
    org = Organization.objects.get(pk=torg.org.pk)
    assert business_calendar(org).extra_closed == calendar.extra_closed


def test_an_edit_of_the_row_is_seen_by_the_next_read_even_when_no_signal_was_sent(torg):
    assert business_calendar().is_working_day(A_MONDAY)
    assert not business_calendar().is_working_day(A_SATURDAY)
    # A queryset update (as another process's edit looks to this one): no signal, no hook.
    Organization.objects.filter(pk=torg.org.pk).update(
        extra_closed_days=[A_MONDAY.isoformat()], extra_working_days=[A_SATURDAY.isoformat()]
    )
    calendar = business_calendar()
    assert not calendar.is_working_day(A_MONDAY)
    assert calendar.is_working_day(A_SATURDAY)
    Organization.objects.filter(pk=torg.org.pk).update(extra_closed_days=[], extra_working_days=[])
    assert business_calendar().is_working_day(A_MONDAY)


def test_without_an_organisation_one_is_created(db):
    Organization.objects.all().delete()
    calendar = business_calendar()
    assert Organization.objects.count() == 1
    assert calendar.is_working_day(A_MONDAY)
