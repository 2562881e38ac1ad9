"""Meeting series, meetings, notices and replies."""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class MeetingSeries(models.Model):
    """A recurring meeting (例会), e.g. the weekly cross-department meeting, under one policy."""

    name = models.CharField(_("name"), max_length=100)
    policy = models.ForeignKey(
        "policy.Policy", on_delete=models.PROTECT, related_name="series", verbose_name=_("policy")
    )
    # An RFC 5545 recurrence rule, e.g. "FREQ=WEEKLY;BYDAY=MO".
    rrule = models.CharField(_("recurrence"), max_length=200, default="FREQ=WEEKLY;BYDAY=MO")
    start_time = models.TimeField(_("start time"), default=datetime.time(9, 0))
    duration_minutes = models.PositiveIntegerField(_("planned duration (minutes)"), default=90)
    location = models.CharField(_("place"), max_length=120, blank=True)
    online_url = models.URLField(_("online meeting link"), blank=True)
    host = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("host"),
    )
    recorder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorder"),
    )
    invite_all_heads = models.BooleanField(_("invite every department head"), default=True)
    invite_leadership = models.BooleanField(_("invite the leadership group"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("meeting series")
        verbose_name_plural = _("meeting series")

    def __str__(self) -> str:
        return self.name


class Meeting(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        PUBLISHED = "published", _("Notice published")
        HELD = "held", _("Held")
        CANCELLED = "cancelled", _("Cancelled")

    series = models.ForeignKey(
        MeetingSeries,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="meetings",
        verbose_name=_("series"),
    )
    policy_version = models.ForeignKey(
        "policy.PolicyVersion", on_delete=models.PROTECT, related_name="+", verbose_name=_("policy version")
    )
    title = models.CharField(_("title"), max_length=120)
    starts_at = models.DateTimeField(_("starts"), db_index=True)
    ends_at = models.DateTimeField(_("ends"), db_index=True)  # "upcoming": ends after now
    # The series occurrence (a start time of its recurrence rule) this meeting stands for. It stays
    # when the meeting is moved, so the series never schedules that occurrence a second time.
    occurrence = models.DateTimeField(_("series occurrence"), null=True, blank=True, editable=False)
    location = models.CharField(_("place"), max_length=120, blank=True)
    online_url = models.URLField(_("online meeting link"), blank=True)
    host = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("host"),
    )
    recorder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorder"),
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PLANNED)
    is_emergency = models.BooleanField(_("emergency meeting"), default=False)
    emergency_reason = models.CharField(_("reason for the emergency"), max_length=300, blank=True)
    # iCalendar identity: the UID never changes; SEQUENCE rises with every change sent out.
    ics_uid = models.CharField(max_length=100, unique=True, editable=False)
    ics_sequence = models.PositiveIntegerField(default=0, editable=False)
    published_at = models.DateTimeField(_("notice published"), null=True, blank=True)
    cancelled_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="meeting_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        if not self.ics_uid:
            self.ics_uid = f"{uuid.uuid4()}@xietong"
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("meetings:detail", args=[self.pk])


class Notice(models.Model):
    """A published notice of a meeting (one per publication or re-publication)."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="notices", verbose_name=_("meeting")
    )
    sequence = models.PositiveIntegerField(_("revision"))
    published_at = models.DateTimeField(_("published"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("published by"),
    )
    is_emergency = models.BooleanField(_("emergency"), default=False)
    is_cancellation = models.BooleanField(_("cancellation"), default=False)
    body = models.TextField(_("text"), blank=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["meeting", "sequence"]

    def __str__(self) -> str:
        return f"{self.meeting} · #{self.number}"

    @property
    def number(self) -> int:
        """The notice's number as people read it: the first is 1 (``sequence`` is the
        calendar's SEQUENCE, which starts at 0)."""
        return self.sequence + 1


class Rsvp(models.Model):
    """One invitee's reply: attend / send a named delegate / absent with a reason."""

    class Response(models.TextChoices):
        PENDING = "pending", _("No reply yet")
        ATTEND = "attend", _("Will attend")
        DELEGATE = "delegate", _("Sends a delegate")
        ABSENT = "absent", _("Absent")

    class InvitedAs(models.TextChoices):
        HEAD = "head", _("Department head")
        LIAISON = "liaison", _("Liaison")
        HOST = "host", _("Host")
        RECORDER = "recorder", _("Recorder")
        LEADERSHIP = "leadership", _("Leadership group")
        COORDINATOR = "coordinator", _("Coordinator")
        GUEST = "guest", _("Invited")

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="rsvps", verbose_name=_("meeting")
    )
    invitee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rsvps", verbose_name=_("invitee")
    )
    invited_as = models.CharField(_("invited as"), max_length=12, choices=InvitedAs.choices)
    department = models.ForeignKey(
        "org.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("department"),
    )
    response = models.CharField(_("reply"), max_length=10, choices=Response.choices, default=Response.PENDING)
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="delegated_rsvps",
        verbose_name=_("delegate"),
    )
    # The invitee stands in for ``on_behalf_of`` through a standing delegation covering the
    # meeting's date (org.Delegation), applied when the notice went out (meeting_invitee_plan).
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("on behalf of"),
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    answered_late = models.BooleanField(_("answered after the lead time"), default=False)
    notified_at = models.DateTimeField(_("notified"), null=True, blank=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("reply")
        verbose_name_plural = _("replies")
        constraints = [models.UniqueConstraint(fields=["meeting", "invitee"], name="uniq_rsvp")]
        indexes = [models.Index(fields=["invitee", "response"])]

    def __str__(self) -> str:
        return f"{self.meeting} · {self.invitee} · {self.get_response_display()}"
