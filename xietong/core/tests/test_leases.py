"""Leases for periodic jobs: taken once, renewed, lapsing when the holder dies."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from xietong.core.health import health_warn, job_health
from xietong.core.leases import lease_acquire, lease_release_dead_holders, new_holder
from xietong.core.models import Event, TaskLease
from xietong.desk.testing import build_test_org
from xietong.obligations.models import Obligation, ObligationKind
from xietong.obligations.services import obligation_open
from xietong.obligations.tasks import obligations_tick
from xietong.policy.calendar import SHANGHAI, CalendarResult
from xietong.policy.selectors import current_version

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 20, 17, 31, tzinfo=SHANGHAI)


def test_a_held_lease_refuses_others_until_it_lapses(settings):
    settings.TASK_LEASE_SECONDS = 60
    first = lease_acquire(name="job", now=T0)
    assert first is not None
    assert lease_acquire(name="job", now=T0 + timedelta(seconds=59)) is None
    assert first.renew(now=T0 + timedelta(seconds=50))  # now held until +110 s
    assert lease_acquire(name="job", now=T0 + timedelta(seconds=100)) is None
    second = lease_acquire(name="job", now=T0 + timedelta(seconds=110))
    assert second is not None and second.holder != first.holder
    # The lapsed holder can neither renew nor release the new holder's lease.
    assert not first.renew(now=T0 + timedelta(seconds=111))
    first.release(now=T0 + timedelta(seconds=111), completed=True)
    row = TaskLease.objects.get(name="job")
    assert row.holder == second.holder and row.last_completed_at is None
    second.release(now=T0 + timedelta(seconds=112), completed=True)
    row.refresh_from_db()
    assert (
        row.holder == "" and row.expires_at is None and row.last_completed_at == T0 + timedelta(seconds=112)
    )


def test_a_dead_process_lease_on_this_host_is_released_at_worker_start():
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(gone.stdout)
    host, _pid, _random = new_holder().split(":")
    TaskLease.objects.create(name="dead", holder=f"{host}:{dead_pid}:abc", expires_at=T0 + timedelta(hours=1))
    live = new_holder()  # this very process
    TaskLease.objects.create(name="live", holder=live, expires_at=T0 + timedelta(hours=1))
    TaskLease.objects.create(name="elsewhere", holder="otherhost:1:abc", expires_at=T0 + timedelta(hours=1))
    assert lease_release_dead_holders() == ["dead"]
    assert lease_acquire(name="dead", now=T0) is not None
    assert lease_acquire(name="live", now=T0) is None
    assert lease_acquire(name="elsewhere", now=T0) is None


def _duty(torg):
    return obligation_open(
        kind=ObligationKind.ACTION_DUE,
        rule="warning_lead_days",
        subject=torg.org,
        due=CalendarResult(datetime(2026, 3, 20, 17, 30, tzinfo=SHANGHAI)),
        policy_version=current_version(torg.policy),
        now=datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI),
        responsible=torg.tech_head,
        department=torg.departments["tech"],
    )


@pytest.mark.parametrize("preset", ["seed01-weekly", "seed02-coordination"])
def test_the_ledger_tick_waits_for_a_killed_holders_lease_then_runs(preset, settings):
    torg = build_test_org(preset=preset)
    settings.TASK_LEASE_SECONDS = 120
    ob = _duty(torg)
    killed = lease_acquire(name="obligations-tick", now=T0)  # its worker died without releasing
    assert killed is not None
    with time_machine.travel(T0 + timedelta(seconds=60), tick=False):
        assert obligations_tick.call_local() is None
    assert Obligation.objects.get(pk=ob.pk).state == "pending"
    with time_machine.travel(T0 + timedelta(seconds=121), tick=False):
        assert obligations_tick.call_local() == 1
        assert obligations_tick.call_local() == 0
    assert Event.objects.filter(name="obligation.breached").count() == 1
    assert TaskLease.objects.get(name="obligations-tick").last_completed_at == T0 + timedelta(seconds=121)


def test_health_shows_the_last_completions_and_warns_the_admins_once(settings, capsys):
    settings.HEALTH_STALE_MINUTES = 10
    settings.ADMINS = [("", "ops@example.cn")]
    for name in ("obligations-tick", "notify-run"):
        lease = lease_acquire(name=name, now=T0)
        lease.release(now=T0, completed=True)
    later = T0 + timedelta(minutes=5)
    assert [job.stale for job in job_health(now=later)] == [False, False]
    with time_machine.travel(later, tick=False):
        call_command("health")
    assert "notify-run: last completed 2026-03-20T17:31:00+08:00 [ok]" in capsys.readouterr().out
    # The delivery run stops completing (its worker was killed); the ledger tick goes on.
    stuck = lease_acquire(name="notify-run", now=T0 + timedelta(minutes=1))
    assert stuck is not None
    tick = lease_acquire(name="obligations-tick", now=T0 + timedelta(minutes=11))
    tick.release(now=T0 + timedelta(minutes=11), completed=True)
    stale = T0 + timedelta(minutes=12)
    assert health_warn(now=stale) == ["notify-run"]
    assert health_warn(now=stale + timedelta(minutes=1)) == []  # once per outage
    [message] = mail.outbox
    assert message.to == ["ops@example.cn"] and "10" in message.subject
    with time_machine.travel(stale, tick=False), pytest.raises(SystemExit) as exit_:
        call_command("health")
    assert exit_.value.code == 1
    assert "notify-run: last completed 2026-03-20T17:31:00+08:00 [OVERDUE]" in capsys.readouterr().out
    # Completing again clears the mark: the next outage is reported again.
    lease_acquire(name="notify-run", now=stale + timedelta(minutes=5)).release(
        now=stale + timedelta(minutes=5), completed=True
    )
    assert health_warn(now=stale + timedelta(minutes=30)) == ["obligations-tick", "notify-run"]
    assert len(mail.outbox) == 3
