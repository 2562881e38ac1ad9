"""The meeting record: attendance, per-item notes and outcomes, decisions (决议)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xietong.core.optlock import Versioned


class Attendance(models.Model):
    class Status(models.TextChoices):
        PRESENT = "present", _("Present")
        LATE = "late", pgettext_lazy("attendance", "Late")
        ABSENT = "absent", _("Absent")

    meeting = models.ForeignKey(
        "meetings.Meeting", on_delete=models.CASCADE, related_name="attendances", verbose_name=_("meeting")
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="attendances",
        verbose_name=_("person"),
    )
    status = models.CharField(_("attendance"), max_length=10, choices=Status.choices)
    reason = models.CharField(_("reason for absence"), max_length=300, blank=True)
    # The person attends as the delegate of ``on_behalf_of`` (e.g. a deputy for the head).
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("on behalf of"),
    )
    signed_in_at = models.DateTimeField(_("signed in"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded"))

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["meeting", "id"]
        constraints = [models.UniqueConstraint(fields=["meeting", "person"], name="uniq_attendance")]

    def __str__(self) -> str:
        return f"{self.meeting} · {self.person} · {self.get_status_display()}"


class ItemRecord(Versioned):
    """The recorder's notes on one agenda item and what came of it."""

    class Outcome(models.TextChoices):
        DECIDED = "decided", _("Decided")
        DEFERRED = "deferred", _("Deferred to a later meeting")
        CLOSED = "closed", pgettext_lazy("agenda outcome", "Closed")

    agenda_item = models.OneToOneField(
        "agenda.AgendaItem", on_delete=models.CASCADE, related_name="record", verbose_name=_("agenda item")
    )
    notes = models.TextField(_("discussion notes"), max_length=10000, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    deferral_reason = models.CharField(_("why it was deferred"), max_length=300, blank=True)
    deferred_to = models.ForeignKey(
        "meetings.Meeting",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("deferred to"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        verbose_name = _("item record")
        verbose_name_plural = _("item records")

    def __str__(self) -> str:
        return f"{self.agenda_item} · {self.get_outcome_display()}"


class Decision(models.Model):
    class Status(models.TextChoices):
        EFFECTIVE = "effective", _("Effective")
        AWAITING_LEADERSHIP = "awaiting_leadership", _("Awaiting leadership approval")
        REJECTED = "rejected", _("Rejected by the leadership group")

    class ResourceKind(models.TextChoices):
        PEOPLE = "people", _("People")
        MONEY = "money", _("Money")
        EQUIPMENT = "equipment", _("Equipment")

    meeting = models.ForeignKey(
        "meetings.Meeting", on_delete=models.PROTECT, related_name="decisions", verbose_name=_("meeting")
    )
    agenda_item = models.ForeignKey(
        "agenda.AgendaItem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="decisions",
        verbose_name=_("agenda item"),
    )
    text = models.TextField(_("decision"), max_length=2000)
    department = models.ForeignKey(
        "org.Department",
        on_delete=models.PROTECT,
        related_name="decisions",
        verbose_name=_("responsible department"),
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="decisions",
        verbose_name=_("responsible person"),
    )
    due_on = models.DateField(_("deadline"))
    allocates_resources = models.BooleanField(_("allocates resources across departments"), default=False)
    resource_kind = models.CharField(_("resource"), max_length=10, choices=ResourceKind.choices, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    # The leadership group's answer on a resource decision (approval or rejection).
    leadership_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("answered by"),
    )
    leadership_at = models.DateTimeField(_("answered"), null=True, blank=True)
    leadership_comment = models.CharField(_("leadership comment"), max_length=500, blank=True)
    # Recorded without a passed vote under a policy that marks such decisions ("未经表决"):
    # the host's reason. Empty for a voted decision or where the policy needs no vote.
    unvoted_reason = models.CharField(_("reason for deciding without a vote"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded"))

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["meeting", "id"]
        indexes = [models.Index(fields=["status", "id"])]

    def __str__(self) -> str:
        return self.text[:40]
