"""The ledger's transition table: each step is taken only from the states the table names (and only
on an open duty), and the tick's set-based breach moves exactly the rows the table allows."""

from __future__ import annotations

from datetime import datetime

import pytest

from xietong.core.errors import DomainError
from xietong.obligations import services
from xietong.obligations.models import Obligation, ObligationKind
from xietong.obligations.tick import ledger_tick
from xietong.policy.calendar import SHANGHAI, CalendarResult
from xietong.policy.selectors import current_version

pytestmark = pytest.mark.django_db

OS = Obligation.State
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=SHANGHAI)
PAST = datetime(2026, 3, 9, 10, 0, tzinfo=SHANGHAI)
LATER = datetime(2026, 3, 20, 10, 0, tzinfo=SHANGHAI)
# (state, still open): the five situations a duty can be in
SITUATIONS = [
    (OS.PENDING, True),
    (OS.BREACHED, True),
    (OS.BREACHED, False),
    (OS.MET, False),
    (OS.WAIVED, False),
]


def _open(torg, subject, *, due: datetime) -> Obligation:
    return services.obligation_open(
        kind=ObligationKind.ACTION_DUE,
        rule="warning_lead_days",
        subject=subject,
        due=CalendarResult(due),
        policy_version=current_version(torg.policy),
        now=PAST.replace(day=1),
        responsible=torg.tech_head,
        department=torg.departments["tech"],
    )


def _in_situation(torg, subject, state: str, still_open: bool) -> Obligation:
    late = state == OS.BREACHED
    ob = _open(torg, subject, due=PAST if late else LATER)
    if late:
        ledger_tick(now=NOW)
    if state == OS.WAIVED:
        services.obligation_waive(kind=None, subject=subject, now=NOW, note="gone")
    elif not still_open:
        services.obligation_close(kind=ob.kind, subject=subject, now=NOW)
    ob.refresh_from_db()
    assert (ob.state, ob.closed_at is None) == (state, still_open)
    return ob


def _take(torg, action: str, ob: Obligation, subject) -> None:
    if action == "close":
        services.obligation_close(kind=ob.kind, subject=subject, now=NOW)
    elif action == "breach":
        ledger_tick(now=LATER.replace(day=25))
    elif action == "waive":
        services.obligation_waive(kind=None, subject=subject, now=NOW, note="gone")
    elif action == "supersede":
        new = _open(torg, subject, due=LATER)
        Obligation.objects.filter(pk=new.pk).delete()
    else:
        with pytest.raises(DomainError):
            services.obligation_waive_by_coordinator(
                obligation=ob, reason="不再需要", actor=torg.coordinator, now=NOW
            )


@pytest.mark.parametrize(("state", "still_open"), SITUATIONS)
def test_every_step_outside_its_states_changes_nothing(torg, state, still_open):
    subject = torg.departments["tech"]
    ob = _in_situation(torg, subject, state, still_open)
    before = (ob.state, ob.closed_at, ob.note)
    for action, (states, _role) in services.TRANSITIONS.items():
        if still_open and state in states:
            continue
        _take(torg, action, ob, subject)
        ob.refresh_from_db()
        assert (ob.state, ob.closed_at, ob.note) == before, action


@pytest.mark.parametrize(("state", "still_open"), [s for s in SITUATIONS if s[1]])
def test_every_step_inside_its_states_is_taken(torg, state, still_open):
    for action, (states, _role) in services.TRANSITIONS.items():
        if state not in states:
            continue
        subject = torg.departments["tech"]
        Obligation.objects.all().delete()
        ob = _in_situation(torg, subject, state, still_open)
        if action == "breach":
            ledger_tick(now=LATER.replace(day=25))
        elif action == "waive_by_coordinator":
            services.obligation_waive_by_coordinator(
                obligation=ob, reason="不再需要", actor=torg.coordinator, now=NOW
            )
        else:
            _take(torg, action, ob, subject)
        ob.refresh_from_db()
        assert ob.state != state or ob.closed_at is not None, action


def test_the_ticks_breach_moves_exactly_the_rows_the_table_allows(torg):
    duties = {
        situation: _in_situation(torg, subject, *situation)
        for situation, subject in zip(SITUATIONS, [*torg.departments.values(), torg.series], strict=True)
    }
    assert len(duties) == len(SITUATIONS)
    ledger_tick(now=LATER.replace(day=25))
    for (state, still_open), ob in duties.items():
        ob.refresh_from_db()
        if still_open and state in services.TRANSITIONS["breach"].states:
            assert (ob.state, ob.closed_at) == (OS.BREACHED, None)
        else:
            assert (ob.state, ob.closed_at is None) == (state, still_open)
