"""Regulations as versioned configuration."""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import cached_property

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .rules import load_rules


class Policy(models.Model):
    """One regulation (制度) of the organisation; its numbers live in its versions."""

    key = models.SlugField(_("key"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=100)
    source = models.CharField(_("source document"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("policy")
        verbose_name_plural = _("policies")

    def __str__(self) -> str:
        return self.name

    def current_version(self) -> PolicyVersion:
        """The version in force now (see selectors.current_version)."""
        return self.versions.in_force(timezone.now()).order_by("-number").first()


class VersionQuerySet(models.QuerySet):
    def in_force(self, at: datetime) -> VersionQuerySet:
        """Versions that had taken effect by ``at``: approved, and effective from then or before."""
        return self.filter(status=PolicyVersion.Status.EFFECTIVE).filter(
            models.Q(effective_from__isnull=True) | models.Q(effective_from__lte=at)
        )


class PolicyVersion(models.Model):
    """An immutable version of a policy: every deadline keeps the version it was computed under.

    A version drafted by the coordinator waits for the leadership group's approval (seed 01
    第五条(一)5) and takes effect at the moment chosen for it; a version installed from a preset
    or recorded before drafts existed is effective from its creation."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Awaiting approval")
        EFFECTIVE = "effective", _("Approved")
        REJECTED = "rejected", _("Not approved")

    policy = models.ForeignKey(
        Policy, on_delete=models.PROTECT, related_name="versions", verbose_name=_("policy")
    )
    number = models.PositiveIntegerField(_("version"))
    data = models.JSONField(_("rules"))
    created_at = models.DateTimeField(_("created"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(_("reason for the change"), max_length=300)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.EFFECTIVE)
    # When an approved version takes effect (empty: from its creation).
    effective_from = models.DateTimeField(_("effective from"), null=True, blank=True)

    objects = VersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")
        constraints = [models.UniqueConstraint(fields=["policy", "number"], name="uniq_policy_version")]
        ordering = ["policy", "-number"]

    def __str__(self) -> str:
        return f"{self.policy} v{self.number}"

    @cached_property
    def rules(self):
        return load_rules(self.data)


def _new_token() -> str:
    return uuid.uuid4().hex


class HolidaySchedule(models.Model):
    """The State Council's holiday schedule of one year, entered by the coordinator while the
    calendar library does not know that year yet: its holidays and its 调休 working days.

    Rows are never changed: entering a year again adds a row, and the latest row of a year
    applies (the earlier ones stay as the record of who entered what).
    """

    year = models.PositiveSmallIntegerField(_("year"))
    # [[first day, last day, name], …] as ISO dates, in date order.
    holidays = models.JSONField(_("holidays"))
    # [[day, name], …]: weekends (or other days off) that are worked, in date order.
    working_days = models.JSONField(_("adjusted working days"))
    entered_at = models.DateTimeField(_("entered"))
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(_("source notice"), max_length=200, blank=True)
    # Names this row among all rows ever written (ids may be reused after a rollback): the
    # latest row's token keys the calendar that processes keep (policy.selectors).
    token = models.CharField(max_length=32, default=_new_token, editable=False)

    class Meta:
        verbose_name = _("holiday schedule")
        verbose_name_plural = _("holiday schedules")
        indexes = [models.Index(fields=["year", "-id"], name="holiday_schedule_year")]

    def __str__(self) -> str:
        return str(self.year)
