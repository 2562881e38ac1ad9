"""The action list shows each open item's colour, read from the ledger's due-date duty."""

from __future__ import annotations

import re
from datetime import timedelta

import time_machine

from xietong.actions.models import ActionItem
from xietong.meetings.tests.factories import sh
from xietong.obligations.models import Obligation, ObligationKind
from xietong.records.tests.helpers import decide, held_meeting


def _colour(client, item) -> str:
    html = client.get("/actions/").content.decode()
    row = re.search(rf'<tr data-item="{item.pk}">(.*?)</tr>', html, re.S)
    assert row, html
    found = re.search(r'data-colour="(\w+)"', row.group(1))
    return found.group(1) if found else "green"


def test_an_item_turns_yellow_at_its_warning_and_red_when_overdue(torg, login):
    meeting = held_meeting(torg, topics=1)
    item = ActionItem.objects.get(decision=decide(torg, meeting))
    duty = Obligation.objects.get(subject_id=item.pk, kind=ObligationKind.ACTION_DUE)
    assert duty.warn_at is not None and duty.warn_at < duty.due_at
    client = login(torg.tech_head)
    with time_machine.travel(duty.warn_at - timedelta(minutes=1), tick=False):
        assert _colour(client, item) == "green"  # a minute before the warning
    with time_machine.travel(duty.warn_at, tick=False):
        assert _colour(client, item) == "yellow"
    with time_machine.travel(sh(2026, 3, 23, 9, 0), tick=False):
        assert _colour(client, item) == "red"
