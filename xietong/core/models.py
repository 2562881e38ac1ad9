"""Domain events: the audit trail every service writes in its own transaction."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class Event(models.Model):
    """One thing that happened: ``name`` like ``topic.submitted``, who did it, to what."""

    name = models.CharField(_("event"), max_length=64, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("time"))
    subject_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    subject_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("subject_type", "subject_id")
    data = models.JSONField(default=dict, blank=True)
    # Set by the notification dispatcher once the event's messages are written (the event
    # table is the transactional outbox); the partial index below is its work queue.
    dispatched_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [
            models.Index(fields=["subject_type", "subject_id", "at"]),
            models.Index(fields=["id"], condition=models.Q(dispatched_at=None), name="event_undispatched"),
        ]
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.name} @ {self.at:%Y-%m-%d %H:%M}"


class TaskLease(models.Model):
    """Who runs a periodic job now, until when, and when it last finished (the health page).

    A worker takes the row with a conditional UPDATE and renews it while it works; a worker
    that dies (kill -9, out of memory, host reset) simply stops renewing, so its claim lapses
    at ``expires_at`` instead of blocking every later run. See xietong/core/leases.py.
    """

    name = models.CharField(_("job"), max_length=64, primary_key=True)
    holder = models.CharField(max_length=128, blank=True, default="")
    expires_at = models.DateTimeField(null=True, blank=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_completed_at = models.DateTimeField(_("last completed"), null=True, blank=True)
    # When the admins were last told that this job stopped completing (one warning per outage).
    warned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("task lease")
        verbose_name_plural = _("task leases")

    def __str__(self) -> str:
        return self.name
