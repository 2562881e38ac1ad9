"""Approvals (审批): templates defined by the coordinator, and the approvals that run them."""

from __future__ import annotations

from functools import cached_property

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .definition import Definition, parse_definition


class ApprovalTemplate(models.Model):
    """A kind of approval (设备采购审批 …); its form and route live in its versions."""

    key = models.SlugField(_("key"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=100)
    # The regulation whose thresholds and step time the route reads.
    policy = models.ForeignKey(
        "policy.Policy", on_delete=models.PROTECT, related_name="+", verbose_name=_("policy")
    )
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("approval template")
        verbose_name_plural = _("approval templates")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("approvals:template", args=[self.pk])


class TemplateVersion(models.Model):
    """An immutable version of a template: every approval keeps the version it was filed under."""

    template = models.ForeignKey(
        ApprovalTemplate, on_delete=models.PROTECT, related_name="versions", verbose_name=_("template")
    )
    number = models.PositiveIntegerField(_("version"))
    text = models.TextField(_("definition"))
    created_at = models.DateTimeField(_("created"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(_("reason for the change"), max_length=300)

    class Meta:
        verbose_name = _("approval template version")
        verbose_name_plural = _("approval template versions")
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="uniq_approval_template_version")
        ]
        ordering = ["template", "-number"]

    def __str__(self) -> str:
        return f"{self.template} v{self.number}"

    @cached_property
    def definition(self) -> Definition:
        return parse_definition(self.text)


class Approval(models.Model):
    """One approval (审批单) running along its route."""

    class Status(models.TextChoices):
        PENDING = "pending", _("In approval")
        RETURNED = "returned", _("Returned for changes")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    FINISHED = frozenset({Status.APPROVED, Status.REJECTED, Status.WITHDRAWN})

    version = models.ForeignKey(
        TemplateVersion, on_delete=models.PROTECT, related_name="approvals", verbose_name=_("template")
    )
    policy_version = models.ForeignKey(
        "policy.PolicyVersion", on_delete=models.PROTECT, related_name="+", verbose_name=_("policy version")
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="approvals",
        verbose_name=_("applicant"),
    )
    department = models.ForeignKey(
        "org.Department", on_delete=models.PROTECT, related_name="approvals", verbose_name=_("department")
    )
    title = models.CharField(_("title"), max_length=120)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True)
    # The other fields of the form, by name.
    values = models.JSONField(_("form"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    # The route as resolved for these values: [{"key", "name", "mode"}, …]; ``step`` indexes it.
    route = models.JSONField(_("route"), default=list)
    step = models.PositiveSmallIntegerField(_("current step"), default=0)
    # Raised at each resubmission: the tasks of a round are the signatures of that pass.
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    submitted_at = models.DateTimeField(_("submitted"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # The record another part of the product asked to have approved (a resource decision …);
    # empty for an approval filed through a template's form. Its outcome is applied to it.
    subject_type = models.ForeignKey(
        "contenttypes.ContentType", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")

    class Meta:
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        indexes = [models.Index(fields=["applicant", "-id"], name="approval_by_applicant")]
        constraints = [
            models.UniqueConstraint(
                fields=["subject_type", "subject_id"],
                condition=models.Q(subject_type__isnull=False),
                name="uniq_approval_subject",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("approvals:detail", args=[self.pk])

    @property
    def is_linked(self) -> bool:
        """Filed on behalf of another record: its outcome belongs to that record, so the
        applicant can neither withdraw it nor have it returned."""
        return self.subject_type_id is not None

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def current_step_name(self) -> str:
        if self.status != self.Status.PENDING or self.step >= len(self.route):
            return ""
        return self.route[self.step]["name"]


class Task(models.Model):
    """One approver's part in one step of one round: the signature line of the 审批单."""

    class State(models.TextChoices):
        PENDING = "pending", _("Awaiting decision")
        APPROVED = "approved", pgettext_lazy("approval decision", "Approved")
        RETURNED = "returned", _("Returned")
        REJECTED = "rejected", _("Rejected")
        TRANSFERRED = "transferred", _("Transferred")
        # 或签: another approver of the step decided first; or the approval was withdrawn.
        CLOSED = "closed", _("No longer needed")

    approval = models.ForeignKey(Approval, on_delete=models.CASCADE, related_name="tasks")
    round = models.PositiveSmallIntegerField(_("round"))
    step = models.PositiveSmallIntegerField(_("step"))
    step_name = models.CharField(_("step"), max_length=100)
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="approval_tasks",
        verbose_name=_("approver"),
    )
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.PENDING)
    opened_at = models.DateTimeField(_("opened"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    # Who signed: the approver, or whoever the approver delegated to.
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    comment = models.CharField(_("comment"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("approval task")
        verbose_name_plural = _("approval tasks")
        ordering = ["approval", "round", "step", "id"]
        indexes = [
            models.Index(
                fields=["approver", "-id"],
                condition=models.Q(state="pending"),
                name="approval_task_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.approval} · {self.step_name}"

    def get_absolute_url(self) -> str:
        return reverse("approvals:detail", args=[self.approval_id])


class EmergencyDecision(models.Model):
    """An emergency decision (紧急决策): the director convened a temporary group, decided and may
    have acted at once; the decision is then ratified after the fact by ``approval``, an
    approval on the template the director chose. Whether it is ratified is that approval's
    status: nothing here repeats it."""

    matter = models.CharField(_("urgent matter"), max_length=120)
    decision = models.TextField(_("decision"))
    reason = models.TextField(_("why it could not wait"))
    # Whose views were heard and what they said, as the director recorded it.
    consultation = models.TextField(_("views heard"), blank=True)
    director = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="emergency_decisions",
        verbose_name=_("director"),
    )
    group = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="+", verbose_name=_("temporary group")
    )
    consulted = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="+", blank=True, verbose_name=_("consulted")
    )
    # The policy version whose rule named the director.
    policy_version = models.ForeignKey(
        "policy.PolicyVersion", on_delete=models.PROTECT, related_name="+", verbose_name=_("policy version")
    )
    decided_at = models.DateTimeField(_("decided"))
    executed_at = models.DateTimeField(_("executed"), null=True, blank=True)
    approval = models.OneToOneField(
        Approval,
        on_delete=models.PROTECT,
        related_name="emergency",
        verbose_name=_("ratification"),
    )

    class Meta:
        verbose_name = _("emergency decision")
        verbose_name_plural = _("emergency decisions")

    def __str__(self) -> str:
        return self.matter

    def get_absolute_url(self) -> str:
        return reverse("approvals:emergency", args=[self.pk])
