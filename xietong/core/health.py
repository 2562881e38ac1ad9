"""Are the periodic jobs completing? Read by ``xietong health``, the coordinator's delivery
page and the worker's own minute check, which e-mails the admins (settings.ADMINS, through
Django's ``mail_admins``, not through the notification outbox it is watching)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import mail_admins
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import TaskLease

log = logging.getLogger(__name__)

# The watched jobs, by lease name (xietong/obligations/tasks.py, xietong/notify/tasks.py).
JOBS = {
    "obligations-tick": gettext_lazy("Follow-through ledger tick"),
    "notify-run": gettext_lazy("Notification delivery run"),
}


@dataclass(frozen=True)
class JobHealth:
    name: str
    label: str
    last_completed_at: datetime | None
    last_started_at: datetime | None
    stale: bool


def job_health(*, now: datetime) -> list[JobHealth]:
    """Each watched job's last completion; stale when none within HEALTH_STALE_MINUTES."""
    limit = now - timedelta(minutes=settings.HEALTH_STALE_MINUTES)
    rows = {row.name: row for row in TaskLease.objects.filter(name__in=JOBS)}
    result = []
    for name, label in JOBS.items():
        row = rows.get(name)
        completed = row.last_completed_at if row else None
        started = row.last_started_at if row else None
        result.append(
            JobHealth(
                name=name,
                label=str(label),
                last_completed_at=completed,
                last_started_at=started,
                stale=completed is None or completed < limit,
            )
        )
    return result


def health_warn(*, now: datetime) -> list[str]:
    """E-mail the admins about each job that stopped completing, once per outage (a
    completion clears the mark); returns the jobs warned about now.

    A job that has never started is left to ``xietong health``: the worker may have just
    come up for the first time.
    """
    warned = []
    for job in job_health(now=now):
        if not job.stale or job.last_started_at is None:
            continue
        if not TaskLease.objects.filter(name=job.name, warned_at__isnull=True).update(warned_at=now):
            continue  # already told
        warned.append(job.name)
        minutes = settings.HEALTH_STALE_MINUTES
        subject = _("%(job)s has not completed for %(minutes)d minutes") % {
            "job": job.label,
            "minutes": minutes,
        }
        body = _(
            "%(job)s last completed at %(completed)s and last started at %(started)s. Check that the "
            "task worker (xietong serve, or xietong run_huey) is running, and its log."
        ) % {
            "job": job.label,
            "completed": job.last_completed_at.isoformat() if job.last_completed_at else _("never"),
            "started": job.last_started_at.isoformat(),
        }
        log.error("%s", subject)
        mail_admins(subject, body, fail_silently=True)
    return warned
