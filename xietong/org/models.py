"""Organisation: departments (a tree), people, role assignments, delegations."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Organization(models.Model):
    """The one organisation this installation serves, with its calendar overrides."""

    name = models.CharField(_("name"), max_length=100)
    extra_closed_days = models.JSONField(
        _("extra closed days"), default=list, blank=True, help_text=_("ISO dates, e.g. 2026-12-31")
    )
    extra_working_days = models.JSONField(_("extra working days"), default=list, blank=True)
    work_start = models.TimeField(_("working hours start"), default=datetime.time(9, 0))
    work_end = models.TimeField(_("working hours end"), default=datetime.time(17, 30))

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def current(cls) -> Organization:
        org = cls.objects.order_by("pk").first()
        if org is None:
            org = cls.objects.create(name=str(_("My organisation")))
        return org


class Department(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent"),
    )
    sort_order = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class Person(AbstractUser):
    """A login account of the organisation."""

    full_name = models.CharField(_("name"), max_length=40)
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="people",
        verbose_name=_("department"),
    )
    title = models.CharField(_("job title"), max_length=60, blank=True)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True, db_index=True)
    wecom_userid = models.CharField(_("WeCom user id"), max_length=64, blank=True)
    dingtalk_userid = models.CharField(_("DingTalk user id"), max_length=64, blank=True)
    feishu_userid = models.CharField(_("Feishu user id"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["department__sort_order", "full_name", "id"]

    def __str__(self) -> str:
        return self.full_name or self.username

    def get_full_name(self) -> str:
        return self.full_name or self.username


class Role(models.TextChoices):
    LEADERSHIP = "leadership", _("Leadership group")
    COORDINATOR = "coordinator", _("Coordinator")
    HOST = "host", _("Host")
    RECORDER = "recorder", _("Recorder")
    LIAISON = "liaison", _("Liaison")
    HEAD = "head", _("Department head")
    DEPUTY = "deputy", _("Deputy head")
    COMMITTEE = "committee", _("Coordination committee")


# Roles held for a department; the others are organisation-wide.
DEPARTMENT_ROLES = frozenset({Role.LIAISON, Role.HEAD, Role.DEPUTY})


class LeadershipRank(models.TextChoices):
    CHAIR = "chair", _("Chair")
    VICE_CHAIR = "vice_chair", _("Vice-chair")
    MEMBER = "member", _("Member")


class RoleAssignment(models.Model):
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="roles", verbose_name=_("person")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="role_assignments",
        verbose_name=_("department"),
    )
    rank = models.CharField(_("rank"), max_length=12, choices=LeadershipRank.choices, blank=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(fields=["person", "role", "department"], name="uniq_role_per_department"),
            models.UniqueConstraint(
                fields=["person", "role"], condition=models.Q(department=None), name="uniq_org_role"
            ),
        ]
        indexes = [models.Index(fields=["role", "department"])]

    def __str__(self) -> str:
        where = f" · {self.department}" if self.department_id else ""
        return f"{self.person} · {self.get_role_display()}{where}"


class Delegation(models.Model):
    """``delegate`` acts in ``principal``'s roles from ``starts_on`` to ``ends_on`` (inclusive).

    A delegation for a single meeting is answered on that meeting's notice (Rsvp.delegate).
    """

    principal = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="delegations_given", verbose_name=_("principal")
    )
    delegate = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="delegations_received", verbose_name=_("delegate")
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("delegation")
        verbose_name_plural = _("delegations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="delegation_period"
            ),
            models.CheckConstraint(
                condition=~models.Q(principal=models.F("delegate")), name="delegation_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.principal} → {self.delegate} ({self.starts_on}–{self.ends_on})"
