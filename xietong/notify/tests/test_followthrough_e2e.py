"""From a duty in the ledger to the person's inbox and mailbox: the tick, the dispatcher, the sender."""

from __future__ import annotations

from datetime import datetime, timedelta

import time_machine

from xietong.meetings.services import meeting_schedule
from xietong.notify.models import Message
from xietong.notify.services import notify_deliver, notify_dispatch
from xietong.obligations.models import Obligation, ObligationKind
from xietong.obligations.tick import ledger_tick
from xietong.policy.calendar import SHANGHAI


def test_a_duty_reminds_twice_then_warns_its_owner_once_each(torg, smtp):
    meeting = meeting_schedule(
        series=torg.series,
        starts_at=datetime(2026, 3, 9, 9, 0, tzinfo=SHANGHAI),
        now=datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI),
    )
    duty = Obligation.objects.get(subject_id=meeting.pk, kind=ObligationKind.AGENDA)
    assert duty.responsible == torg.coordinator
    rules = duty.policy_version.rules
    first = duty.due_at - timedelta(minutes=rules.minutes("reminder_first"))
    second = duty.due_at - timedelta(minutes=rules.minutes("reminder_second"))

    def run(at):
        with time_machine.travel(at, tick=False):
            ledger_tick(now=at)
            ledger_tick(now=at)  # a second tick in the same minute changes nothing
            notify_dispatch(now=at)
            notify_deliver(now=at)

    def topics():
        return list(
            Message.objects.filter(recipient=torg.coordinator, params__obligation=duty.pk)
            .order_by("id")
            .values_list("topic", "params__step")
        )

    run(first - timedelta(minutes=1))
    assert topics() == []
    run(first + timedelta(seconds=30))
    assert topics() == [("obligation_reminder", 1)]
    run(second + timedelta(seconds=30))
    assert topics() == [("obligation_reminder", 1), ("obligation_reminder", 2)]
    run(duty.due_at + timedelta(minutes=1))
    assert topics()[-1][0] == "obligation_breached"
    run(duty.due_at + timedelta(minutes=5))
    assert len(topics()) == 3  # nothing repeats

    # The same three by e-mail (the notice duty, due a day later, reminds on its own).
    agenda_mails = [m for m in smtp.messages if m["To"] == torg.coordinator.email and "议程" in m["Subject"]]
    assert len(agenda_mails) == 3, [m["Subject"] for m in smtp.messages]
