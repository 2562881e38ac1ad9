"""The scheduler tick: breaches, reminders and escalations, across the holiday breaks."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from django.db import connection

from xietong.actions.models import ActionItem
from xietong.core.models import Event
from xietong.desk.testing import copy_sqlite_test_database, subprocess_database_url
from xietong.meetings.tests.factories import sh as msh
from xietong.obligations.colours import (
    GREEN,
    RED,
    YELLOW,
    action_deadline,
    colour,
    with_action_colour,
    with_colour,
)
from xietong.obligations.models import Obligation, ObligationKind
from xietong.obligations.services import obligation_close, obligation_open
from xietong.obligations.tick import consecutive_misses, ledger_tick
from xietong.policy.calendar import SHANGHAI, CalendarResult
from xietong.policy.selectors import business_calendar, current_version
from xietong.records.tests.helpers import decide, held_meeting

pytestmark = pytest.mark.django_db


def sh(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def open_due(
    torg, due_at, *, subject=None, now, kind=ObligationKind.ACTION_DUE, responsible=None, department=None
):
    return obligation_open(
        kind=kind,
        rule="warning_lead_days",
        subject=subject or torg.departments["tech"],
        due=CalendarResult(due_at),
        policy_version=current_version(torg.policy),
        now=now,
        responsible=responsible if responsible is not None else torg.tech_head,
        department=department or torg.departments["tech"],
    )


def events(name, ob=None):
    qs = Event.objects.filter(name=name)
    if ob is not None:
        qs = qs.filter(subject_id=ob.pk)
    return list(qs.order_by("id").values_list("subject_id", "data"))


def test_spring_festival_yellow_reminders_and_breach_at_the_right_moments(torg):
    calendar = business_calendar()
    # An item due on Friday 2026-02-20 (a Spring Festival holiday) is overdue after the first
    # working day after the break, Tuesday 02-24, 17:30.
    due_at = action_deadline(date(2026, 2, 20), calendar)
    assert due_at == sh(2026, 2, 24, 17, 30)
    ob = open_due(torg, due_at, now=sh(2026, 2, 2, 10, 0))
    # Yellow 3 working days before (seed 01 第五条(二)1 supplement): the break does not count,
    # the 调休 Saturday 02-14 does: 02-14, 02-13, 02-12.
    assert ob.warn_at == sh(2026, 2, 12, 17, 30)
    assert colour(ob, sh(2026, 2, 12, 17, 29)) == GREEN
    assert colour(ob, sh(2026, 2, 12, 17, 30)) == YELLOW
    assert colour(ob, due_at) == YELLOW  # done at the deadline is on time
    assert colour(ob, due_at + timedelta(seconds=1)) == RED
    # Reminders: 24 h and 2 h before the deadline (plain clock).
    assert (ob.remind_at, ob.remind_second_at, ob.reminded_step) == (
        sh(2026, 2, 23, 17, 30),
        sh(2026, 2, 24, 15, 30),
        0,
    )
    assert ledger_tick(now=sh(2026, 2, 23, 17, 29)).reminded == {}
    assert ledger_tick(now=sh(2026, 2, 23, 17, 30)).reminded == {1: 1}
    assert ledger_tick(now=sh(2026, 2, 23, 17, 30)).reminded == {}
    assert ledger_tick(now=sh(2026, 2, 24, 15, 29)).reminded == {}
    assert ledger_tick(now=sh(2026, 2, 24, 15, 30)).reminded == {2: 1}
    assert ledger_tick(now=sh(2026, 2, 24, 17, 30)).breached == 0
    result = ledger_tick(now=sh(2026, 2, 24, 17, 31))
    assert (result.breached, result.reminded) == (1, {})
    assert ledger_tick(now=sh(2026, 2, 24, 17, 32)).breached == 0
    assert events("obligation.reminder", ob) == [(ob.pk, {"step": 1}), (ob.pk, {"step": 2})]
    assert events("obligation.breached", ob) == [(ob.pk, {})]
    ob.refresh_from_db()
    assert (ob.state, ob.reminded_step, ob.remind_at, ob.closed_at) == ("breached", 2, None, None)
    event = Event.objects.get(name="obligation.breached")
    assert event.subject == ob and event.at == sh(2026, 2, 24, 17, 31) and event.actor is None


def test_national_day_yellow_counts_the_adjusted_saturday(torg):
    calendar = business_calendar()
    due_at = action_deadline(date(2026, 10, 12), calendar)
    ob = open_due(torg, due_at, now=sh(2026, 9, 1, 9, 0))
    # Back from Monday 10-12: Saturday 10-10 (调休 working day), Friday 10-09, Thursday 10-08.
    assert ob.warn_at == sh(2026, 10, 8, 17, 30)
    # One just before the break: due Friday 10-09 → yellow from Monday 09-28's …
    before = open_due(torg, sh(2026, 10, 9, 17, 30), subject=torg.series, now=sh(2026, 9, 1, 9, 0))
    # … back over the break: 10-08, 09-30, 09-29 (10-01 … 10-07 are holidays).
    assert before.warn_at == sh(2026, 9, 29, 17, 30)
    qs = with_colour(Obligation.objects.filter(pk__in=[ob.pk, before.pk]), sh(2026, 10, 8, 17, 30))
    assert dict(qs.values_list("pk", "colour")) == {ob.pk: YELLOW, before.pk: YELLOW}
    qs = with_colour(Obligation.objects.filter(pk__in=[ob.pk, before.pk]), sh(2026, 9, 29, 17, 29))
    assert dict(qs.values_list("pk", "colour")) == {ob.pk: GREEN, before.pk: GREEN}
    qs = with_colour(Obligation.objects.filter(pk__in=[ob.pk, before.pk]), sh(2026, 10, 9, 17, 31))
    assert dict(qs.values_list("pk", "colour")) == {ob.pk: YELLOW, before.pk: RED}


def test_short_duty_turns_yellow_two_hours_before(torg):
    # Opened an hour before the meeting's end; due 60 minutes after it: far shorter than
    # 3 working days, so the short lead (2 h) applies — from the moment it opens.
    ob = open_due(torg, sh(2026, 3, 9, 11, 30), now=sh(2026, 3, 9, 10, 30), kind=ObligationKind.DECISION_ACK)
    assert ob.warn_at == sh(2026, 3, 9, 9, 30)
    # Both reminder moments had passed but the second: only the 2 h one is left … also passed
    # (09:30 < 10:30): nothing is scheduled, nothing is sent late.
    assert (ob.remind_at, ob.reminded_step) == (None, 2)
    longer = open_due(torg, sh(2026, 3, 10, 11, 30), subject=torg.series, now=sh(2026, 3, 9, 12, 0))
    # 24 h before (11:30 the day before) was before it opened: only the 2 h reminder remains.
    assert (longer.remind_at, longer.remind_second_at, longer.reminded_step) == (
        sh(2026, 3, 10, 9, 30),
        None,
        1,
    )
    assert ledger_tick(now=sh(2026, 3, 10, 9, 30)).reminded == {2: 1}
    assert events("obligation.reminder", longer) == [(longer.pk, {"step": 2})]


def test_a_late_scheduler_sends_only_the_second_reminder(torg):
    ob = open_due(torg, sh(2026, 3, 20, 17, 30), now=sh(2026, 3, 2, 9, 0))
    assert ledger_tick(now=sh(2026, 3, 20, 16, 0)).reminded == {2: 1}
    assert ledger_tick(now=sh(2026, 3, 20, 16, 1)).reminded == {}
    assert events("obligation.reminder", ob) == [(ob.pk, {"step": 2})]


def test_closed_or_waived_duties_get_no_reminder_and_no_breach(torg):
    ob = open_due(torg, sh(2026, 3, 20, 17, 30), now=sh(2026, 3, 2, 9, 0))
    obligation_close(
        kind=ObligationKind.ACTION_DUE, subject=torg.departments["tech"], now=sh(2026, 3, 10, 9, 0)
    )
    result = ledger_tick(now=sh(2026, 3, 30, 9, 0))
    assert (result.breached, result.reminded) == (0, {})
    assert Event.objects.filter(name__startswith="obligation.").count() == 0
    ob.refresh_from_db()
    assert ob.state == "met"


# ---- escalation -------------------------------------------------------------------------------


def _misses(torg, pattern, *, responsible=None, department=None):
    """Duties due on consecutive days (March 2026) for one owner; "m" is done on time, "x" missed."""
    subjects = list(torg.people.values())
    duties = []
    for i, mark in enumerate(pattern):
        due = sh(2026, 3, 2 + i, 17, 30)
        ob = open_due(
            torg,
            due,
            subject=subjects[i],
            now=sh(2026, 3, 1, 9, 0),
            responsible=responsible,
            department=department,
        )
        if mark == "m":
            obligation_close(
                kind=ObligationKind.ACTION_DUE, subject=subjects[i], now=due - timedelta(hours=1)
            )
        duties.append(ob)
    return duties


def test_escalation_after_three_consecutive_misses_not_after_two(torg):
    duties = _misses(torg, "xx")
    result = ledger_tick(now=sh(2026, 3, 4, 9, 0))
    assert (result.breached, result.escalated) == (2, 0)
    assert events("obligation.escalated") == []
    third = open_due(torg, sh(2026, 3, 5, 17, 30), subject=torg.org, now=sh(2026, 3, 1, 9, 0))
    result = ledger_tick(now=sh(2026, 3, 6, 9, 0))
    assert (result.breached, result.escalated) == (1, 1)
    # seed 01 escalation_misses = 3 (第五条(一)4; seed 02 四、(三))
    assert events("obligation.escalated") == [(third.pk, {"misses": 3})]
    third.refresh_from_db()
    assert third.escalation_step == 3
    assert [Obligation.objects.get(pk=d.pk).escalation_step for d in duties] == [0, 0]
    assert ledger_tick(now=sh(2026, 3, 6, 9, 1)).escalated == 0
    assert len(events("obligation.escalated")) == 1


def test_a_met_duty_in_between_breaks_the_run(torg):
    _misses(torg, "xxmxx")
    result = ledger_tick(now=sh(2026, 3, 9, 9, 0))
    assert (result.breached, result.escalated) == (4, 0)
    assert events("obligation.escalated") == []


def test_three_misses_in_one_tick_escalate_the_third_and_a_fourth_again(torg):
    duties = _misses(torg, "xxxx")
    result = ledger_tick(now=sh(2026, 3, 9, 9, 0))
    assert (result.breached, result.escalated) == (4, 2)
    assert events("obligation.escalated") == [(duties[2].pk, {"misses": 3}), (duties[3].pk, {"misses": 4})]
    assert consecutive_misses([d.pk for d in duties]) == {
        duties[0].pk: 1,
        duties[1].pk: 2,
        duties[2].pk: 3,
        duties[3].pk: 4,
    }


def test_other_owners_and_other_kinds_do_not_count(torg):
    _misses(torg, "xx")
    # someone else's miss, and the same person's miss of another kind
    open_due(
        torg, sh(2026, 3, 4, 17, 30), subject=torg.org, now=sh(2026, 3, 1, 9, 0), responsible=torg.market_head
    )
    open_due(
        torg,
        sh(2026, 3, 4, 17, 30),
        subject=torg.series,
        now=sh(2026, 3, 1, 9, 0),
        kind=ObligationKind.SUBMISSION,
    )
    assert ledger_tick(now=sh(2026, 3, 9, 9, 0)).escalated == 0


def test_department_owner_when_no_person(torg):
    subjects = [torg.org, torg.series, torg.departments["office"]]
    for i, subject in enumerate(subjects):
        ob = obligation_open(
            kind=ObligationKind.PROGRESS_REPORT,
            rule="progress_report_cutoff",
            subject=subject,
            due=CalendarResult(sh(2026, 3, 2 + i, 15, 0)),
            policy_version=current_version(torg.policy),
            now=sh(2026, 3, 1, 9, 0),
            responsible=None,
            department=torg.departments["finance"],
        )
    assert ledger_tick(now=sh(2026, 3, 9, 9, 0)).escalated == 1
    assert events("obligation.escalated") == [(ob.pk, {"misses": 3})]


# ---- two workers on the same tick --------------------------------------------------------------

_WORKER = """
import os, sys, time
from datetime import datetime
import django
django.setup()
from xietong.obligations.tick import ledger_tick
from xietong.policy.calendar import SHANGHAI
start = float(sys.argv[1])
while time.time() < start:
    time.sleep(0.001)
r = ledger_tick(now=datetime(2026, 3, 30, 9, 0, tzinfo=SHANGHAI))
print(r.breached, sum(r.reminded.values()), r.escalated)
"""


@pytest.mark.django_db(transaction=True)  # nothing uncommitted: other processes see the rows
def test_two_worker_processes_on_the_same_tick_write_each_event_once(torg, tmp_path):
    due = [sh(2026, 3, 2 + i, 17, 30) for i in range(5)]
    subjects = list(torg.people.values())
    for i, at in enumerate(due):
        open_due(torg, at, subject=subjects[i], now=sh(2026, 3, 1, 9, 0))
    from django.contrib.contenttypes.models import ContentType

    # Reminders due at the same moment (second step) on 40 different subjects.
    for subject in ContentType.objects.order_by("pk")[:40]:
        open_due(torg, sh(2026, 3, 30, 10, 0), subject=subject, now=sh(2026, 3, 1, 9, 0))
    import sqlite3

    on_sqlite = connection.vendor == "sqlite"
    if on_sqlite:
        # Hand the in-memory test database to two real processes through a file.
        path = tmp_path / "tick.sqlite3"
        copy_sqlite_test_database(path)
        env = {**os.environ, "XIETONG_SQLITE_PATH": str(path), "DATABASE_URL": "", "REDIS_URL": ""}
    else:
        # Both processes on the test database itself.
        env = {**os.environ, "DATABASE_URL": subprocess_database_url(), "REDIS_URL": ""}
    start = time.time() + 1.5
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(start)],
            env=env,
            cwd=Path(__file__).resolve().parents[3],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=60) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    results = sorted(tuple(map(int, out.split())) for out, _err in outputs)
    # Between them: 5 breaches, 40 second-step reminders, the 3rd/4th/5th miss escalated.
    assert tuple(map(sum, zip(*results, strict=True))) == (5, 40, 3)
    if on_sqlite:
        # SQLite writers queue for the whole tick: one did everything, the other nothing.
        assert results == [(0, 0, 0), (5, 40, 3)]
    sql = (
        "SELECT name, COUNT(*), COUNT(DISTINCT subject_id) FROM core_event"
        " WHERE name LIKE 'obligation.%' GROUP BY name ORDER BY name"
    )
    if on_sqlite:
        db = sqlite3.connect(path)
        counts = db.execute(sql).fetchall()
        db.close()
    else:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            counts = [tuple(row) for row in cursor.fetchall()]
    assert counts == [
        ("obligation.breached", 5, 5),
        ("obligation.escalated", 3, 3),
        ("obligation.reminder", 40, 40),
    ]


# ---- action item colours ------------------------------------------------------------------------


def test_action_item_colour_follows_its_due_date_duty_across_national_day(torg):
    meeting = held_meeting(torg, topics=1)
    # Due Monday 10-12: back from it lie 10-10 (调休 Saturday), 10-09 and 10-08, so it turns
    # yellow on Thursday 10-08 at 17:30. Due Friday 10-09: red after 17:30 that day.
    monday = ActionItem.objects.get(decision=decide(torg, meeting, due_on=date(2026, 10, 12)))
    friday = ActionItem.objects.get(decision=decide(torg, meeting, due_on=date(2026, 10, 9)))

    def colours(moment) -> tuple[str, str]:
        found = dict(
            with_action_colour(
                ActionItem.objects.filter(pk__in=[monday.pk, friday.pk]), now=moment
            ).values_list("pk", "colour")
        )
        return found[monday.pk], found[friday.pk]

    assert colours(msh(2026, 9, 29, 9, 0)) == (GREEN, GREEN)
    assert colours(msh(2026, 10, 8, 17, 29))[0] == GREEN
    assert colours(msh(2026, 10, 8, 17, 30))[0] == YELLOW
    assert colours(msh(2026, 10, 9, 17, 30)) == (YELLOW, YELLOW)
    assert colours(msh(2026, 10, 9, 17, 31)) == (YELLOW, RED)
    ActionItem.objects.filter(pk=friday.pk).update(status=ActionItem.Status.DONE)
    assert colours(msh(2026, 10, 20, 9, 0)) == (RED, GREEN)
