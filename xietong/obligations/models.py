"""The obligation ledger: every time-bound duty under a clause is one row here."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class ObligationKind(models.TextChoices):
    HEAD_REVIEW = "head_review", _("Head review of a topic")
    SUBMISSION = "submission", _("Topic submission")
    AGENDA = "agenda", _("Agenda confirmation")
    NOTICE = "notice", _("Meeting notice")
    RSVP = "rsvp", _("Reply to a meeting notice")
    # Approval distributes the minutes (minutes.services.minutes_approve): one duty covers both.
    MINUTES = "minutes", _("Minutes approved")
    DECISION_ACK = "decision_ack", _("Acknowledge the meeting's tasks")
    PROGRESS_REPORT = "progress_report", _("Progress report before the meeting")
    ACTION_DUE = "action_due", _("Action item done by its due date")
    LEADERSHIP_APPROVAL = "leadership_approval", _("Leadership decision on a resource request")
    APPROVAL_STEP = "approval_step", _("Decision on an approval step")
    REQUEST_RESPONSE = "request_response", _("Response to a cross-department request")
    REQUEST_DELIVERY = "request_delivery", _("Delivery of an accepted request by its committed date")


class Obligation(models.Model):
    """ "X must do Y by T under clause C".

    pending → met (done in time) / breached (done late, or still undone after the
    deadline once the scheduler has looked) / waived (no longer required).
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        MET = "met", _("Met")
        BREACHED = "breached", _("Breached")
        WAIVED = "waived", _("Waived")

    kind = models.CharField(_("duty"), max_length=30, choices=ObligationKind.choices)
    rule = models.CharField(_("rule"), max_length=40)
    clause = models.CharField(_("clause"), max_length=60)
    policy_version = models.ForeignKey(
        "policy.PolicyVersion", on_delete=models.PROTECT, related_name="+", verbose_name=_("policy version")
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="obligations",
        verbose_name=_("responsible person"),
    )
    department = models.ForeignKey(
        "org.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="obligations",
        verbose_name=_("responsible department"),
    )
    subject_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    subject_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("subject_type", "subject_id")
    due_at = models.DateTimeField(_("due"))
    calendar_flagged = models.BooleanField(
        _("holiday schedule not yet published"),
        default=False,
        help_text=_(
            "The deadline was computed across a year whose official holiday schedule is not published."
        ),
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    opened_at = models.DateTimeField(_("opened"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set when the duty closes this breach as the n-th consecutive miss of its owner (n ≥ the
    # policy's escalation_misses): the leadership group sees it with the misses that led there.
    escalation_step = models.PositiveSmallIntegerField(_("escalation step"), default=0)
    note = models.CharField(_("note"), max_length=300, blank=True)
    # Computed once, when the duty is opened, from the business calendar of its own policy
    # version, so the colour is a comparison of columns and the tick needs no calendar.
    warn_at = models.DateTimeField(_("yellow from"), null=True, blank=True)
    # The next reminder moment (NULL when none is left) and the one after it; reminded_step
    # is the last reminder sent (0 none, 1 first, 2 second) and only ever grows.
    remind_at = models.DateTimeField(_("next reminder"), null=True, blank=True)
    remind_second_at = models.DateTimeField(_("second reminder"), null=True, blank=True)
    reminded_step = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Not a column: pages that list meeting duties attach the meeting (the subject) here. The
    # ledger does not know what a meeting is: the page that attaches it does.
    meeting: Any

    class Meta:
        verbose_name = _("obligation")
        verbose_name_plural = _("obligations")
        indexes = [
            models.Index(fields=["subject_type", "subject_id", "kind"]),
            # A person's open duties (我的待办). Partial on closed_at, and without the state, so
            # the tick turning pending into breached never rewrites this index.
            models.Index(
                fields=["responsible", "due_at"],
                condition=models.Q(closed_at__isnull=True),
                name="obligation_open_by_person",
            ),
            # A department's open duties in due order: the warning boards count them per
            # department and colour and list each department's first ones from this index alone
            # (state and warn_at ride along so the count reads no table row). The tick's breach
            # rewrites only the entries of the duties it breaches.
            models.Index(
                fields=["department", "due_at", "state", "warn_at"],
                condition=models.Q(closed_at__isnull=True),
                name="obligation_open_by_dept",
            ),
            models.Index(
                fields=["due_at"], condition=models.Q(state="pending"), name="obligation_pending_due"
            ),
            models.Index(
                fields=["remind_at"],
                condition=models.Q(state="pending", remind_at__isnull=False),
                name="obligation_pending_remind",
            ),
            # "Consecutive misses": an owner's history of one kind in due order, walked back from
            # a breach to the last duty met (tick.consecutive_misses). No state column either:
            # a breach leaves these indexes untouched, which keeps the tick's cost flat.
            models.Index(fields=["responsible", "kind", "due_at"], name="obligation_resp_kind_due"),
            models.Index(
                fields=["department", "kind", "due_at"],
                condition=models.Q(responsible__isnull=True),
                name="obligation_dept_kind_due",
            ),
            models.Index(
                fields=["escalation_step", "due_at"],
                condition=models.Q(escalation_step__gt=0),
                name="obligation_escalated",
            ),
        ]
        ordering = ["due_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind_label} · {self.clause} · {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def kind_label(self) -> str:
        """The duty as shown: ``get_kind_display()`` without hashing and translating every kind
        of the choices on each call (it cost a tenth of the warning board)."""
        try:
            return str(ObligationKind(self.kind).label)
        except ValueError:
            return self.kind

    def is_late(self, now) -> bool:
        """Breached, or pending past its deadline (the ledger's lateness rule: see colours)."""
        if self.state == self.State.BREACHED:
            return True
        return self.state == self.State.PENDING and now > self.due_at
