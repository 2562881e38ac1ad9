"""Minutes (纪要): one row per version of a meeting's minutes.

Version 1 is drafted from the meeting record; a correction of approved minutes is version
n+1 with a reason, and every version stays readable. Lateness is read from the obligation
ledger (duty kind "minutes" on the meeting), never stored here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xietong.core.optlock import Versioned

MAX_BODY = 50000


class Minutes(Versioned):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("Awaiting the host's approval")
        APPROVED = "approved", _("Approved")
        RETURNED = "returned", _("Returned for changes")

    meeting = models.ForeignKey(
        "meetings.Meeting", on_delete=models.PROTECT, related_name="minutes", verbose_name=_("meeting")
    )
    number = models.PositiveSmallIntegerField(_("version"))
    body = models.TextField(_("text"), max_length=MAX_BODY)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("drafted by"),
    )
    drafted_at = models.DateTimeField(_("drafted"))
    updated_at = models.DateTimeField(_("updated"))
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    return_comment = models.CharField(_("host's comments"), max_length=1000, blank=True)
    correction_reason = models.CharField(_("reason for the correction"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("minutes")
        verbose_name_plural = _("minutes")
        ordering = ["meeting", "number"]
        constraints = [models.UniqueConstraint(fields=["meeting", "number"], name="uniq_minutes_version")]

    def __str__(self) -> str:
        return f"{self.meeting} · v{self.number}"

    @property
    def is_immutable(self) -> bool:
        return self.status == self.Status.APPROVED

    def is_late(self, now) -> bool:
        """Whether the minutes duty of this meeting is (or was closed) late, from the ledger."""
        from .selectors import minutes_obligation

        obligation = minutes_obligation(self.meeting)
        return obligation is not None and obligation.is_late(now)


class MinutesReceipt(models.Model):
    """An approved minutes version delivered in-app to one recipient; read when opened."""

    minutes = models.ForeignKey(
        Minutes, on_delete=models.CASCADE, related_name="receipts", verbose_name=_("minutes")
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="minutes_receipts",
        verbose_name=_("recipient"),
    )
    delivered_at = models.DateTimeField(_("delivered"))
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("minutes receipt")
        verbose_name_plural = _("minutes receipts")
        constraints = [models.UniqueConstraint(fields=["minutes", "person"], name="uniq_minutes_receipt")]
        indexes = [models.Index(fields=["person", "read_at"])]

    def __str__(self) -> str:
        return f"{self.minutes} → {self.person}"
