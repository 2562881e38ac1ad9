"""Action items (任务) created from decisions, and the liaisons' progress reports.

"Overdue" is never stored: see xietong.obligations.colours.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class ActionItem(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    # The states in which an item is still to be done (and may be overdue).
    OPEN_STATES = (Status.OPEN, Status.IN_PROGRESS)

    decision = models.ForeignKey(
        "records.Decision", on_delete=models.PROTECT, related_name="action_items", verbose_name=_("decision")
    )
    # The meeting that took the decision (kept here so lists filter without a join).
    meeting = models.ForeignKey(
        "meetings.Meeting", on_delete=models.PROTECT, related_name="action_items", verbose_name=_("meeting")
    )
    title = models.CharField(_("task"), max_length=200)
    department = models.ForeignKey(
        "org.Department",
        on_delete=models.PROTECT,
        related_name="action_items",
        verbose_name=_("owner department"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="action_items",
        verbose_name=_("owner"),
    )
    due_on = models.DateField(_("due"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    evidence = models.TextField(_("evidence of completion"), max_length=2000, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    cancel_reason = models.CharField(_("why it was cancelled"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["due_on", "id"]),
            models.Index(fields=["owner", "status", "due_on"]),
            models.Index(fields=["department", "status", "due_on"]),
            models.Index(fields=["meeting", "status"]),
            # the follow-up under an agenda: earliest-due open items, walked per state
            models.Index(fields=["status", "due_on", "id"]),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("actions:detail", args=[self.pk])


class ProgressReport(models.Model):
    """A liaison's report on an action item, written once and never changed: its ``status`` is
    the progress reported, not a state the report moves through (it has no transition table;
    the item's own steps are actions.services.TRANSITIONS, "report" among them)."""

    class Status(models.TextChoices):
        DONE = "done", _("Done")
        IN_PROGRESS = "in_progress", _("In progress")
        DELAYED = "delayed", _("Delayed")

    action_item = models.ForeignKey(
        ActionItem, on_delete=models.CASCADE, related_name="reports", verbose_name=_("action item")
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("reported by")
    )
    status = models.CharField(_("progress"), max_length=12, choices=Status.choices)
    reason = models.CharField(_("reason for the delay"), max_length=300, blank=True)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    reported_at = models.DateTimeField(_("reported"))
    for_meeting = models.ForeignKey(
        "meetings.Meeting",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="progress_reports",
        verbose_name=_("for the meeting"),
    )

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["action_item", "reported_at", "id"]
        indexes = [models.Index(fields=["action_item", "reported_at"])]

    def __str__(self) -> str:
        return f"{self.action_item} · {self.get_status_display()}"
