"""Leases for periodic jobs: a lock that expires.

A job (the ledger tick, a notification run) holds its lease row in the product database for
``TASK_LEASE_SECONDS`` and renews it while it works. A holder that dies stops renewing, so the
lease lapses and the next run goes ahead; a queue-level lock without expiry would instead
block every later run for good.

The row lives in the product database, not in the task queue's storage, so it behaves the
same with the SQLite queue and with Redis, is visible to the health command and page
(``last_completed_at``), and can be taken with one conditional UPDATE on SQLite and
PostgreSQL alike.

A holder is ``host:pid:random``. When a worker starts it releases the leases of dead
processes on its own host (``lease_release_dead_holders``), so a restart after a kill resumes
at once rather than after the lease time.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q

from .models import TaskLease


def new_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


@dataclass
class Lease:
    name: str
    holder: str
    seconds: int

    def renew(self, *, now: datetime) -> bool:
        """Extend the lease; False when it lapsed and someone else holds it now."""
        return bool(
            TaskLease.objects.filter(name=self.name, holder=self.holder).update(
                expires_at=now + timedelta(seconds=self.seconds)
            )
        )

    def release(self, *, now: datetime, completed: bool) -> None:
        """Give the lease back; ``completed`` records the finish time for the health check."""
        fields: dict = {"holder": "", "expires_at": None}
        if completed:
            fields.update(last_completed_at=now, warned_at=None)
        TaskLease.objects.filter(name=self.name, holder=self.holder).update(**fields)


def lease_acquire(*, name: str, now: datetime, seconds: int | None = None) -> Lease | None:
    """Take the lease ``name`` if it is free or lapsed; None when a live holder has it."""
    seconds = seconds or settings.TASK_LEASE_SECONDS
    TaskLease.objects.bulk_create([TaskLease(name=name)], ignore_conflicts=True)
    holder = new_holder()
    free = Q(expires_at__isnull=True) | Q(expires_at__lte=now)
    taken = TaskLease.objects.filter(free, name=name).update(
        holder=holder, expires_at=now + timedelta(seconds=seconds), last_started_at=now
    )
    return Lease(name=name, holder=holder, seconds=seconds) if taken else None


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def lease_release_dead_holders() -> list[str]:
    """Release leases held by processes of this host that no longer exist; returns their names."""
    host = socket.gethostname()
    released = []
    for name, holder in TaskLease.objects.exclude(holder="").values_list("name", "holder"):
        holder_host, pid_text, _random = ([""] * 3 + holder.split(":"))[-3:]
        if holder_host != host or not pid_text.isdigit() or _process_alive(int(pid_text)):
            continue
        if TaskLease.objects.filter(name=name, holder=holder).update(holder="", expires_at=None):
            released.append(name)
    return released
