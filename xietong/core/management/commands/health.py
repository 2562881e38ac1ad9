"""``xietong health``: when the ledger tick and the notification run last completed.

Exits with status 1 when one has not completed for XIETONG_HEALTH_STALE_MINUTES, so a
monitor or cron job can call it; ``--warn`` also e-mails the admins (once per outage), which
covers a worker that is not running at all and so cannot warn by itself.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand
from django.utils import timezone

from xietong.core.health import health_warn, job_health


class Command(BaseCommand):
    help = "Show when the periodic jobs last completed; exit 1 if one is overdue."

    def add_arguments(self, parser):
        parser.add_argument("--warn", action="store_true", help="E-mail the admins about overdue jobs.")

    def handle(self, *args, warn: bool, **options):
        now = timezone.now()
        jobs = job_health(now=now)
        for job in jobs:
            when = timezone.localtime(job.last_completed_at).isoformat() if job.last_completed_at else "never"
            state = "OVERDUE" if job.stale else "ok"
            self.stdout.write(f"{job.name}: last completed {when} [{state}]")
        if warn:
            health_warn(now=now)
        if any(job.stale for job in jobs):
            sys.exit(1)
