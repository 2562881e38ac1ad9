"""Cross-department requests (协作需求单): one department asks another for support, and the
receiving department must answer within the time its regulation sets."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class RequestType(models.Model):
    """A kind of request (技术支持, 数据提取 …) and the regulation whose response time it runs under."""

    key = models.SlugField(_("key"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=100)
    policy = models.ForeignKey(
        "policy.Policy", on_delete=models.PROTECT, related_name="+", verbose_name=_("policy")
    )
    # Proposed on the form when the type always goes to the same department; the requester may change it.
    default_department = models.ForeignKey(
        "org.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("usual receiving department"),
    )
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("request type")
        verbose_name_plural = _("request types")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class RefusalCategory(models.TextChoices):
    NOT_OUR_DUTY = "not_our_duty", _("Not this department's duty")
    NO_RESOURCES = "no_resources", _("Not enough resources")
    INCOMPLETE = "incomplete", _("Information incomplete")
    OTHER = "other", _("Other")


class CollaborationRequest(models.Model):
    """One 协作需求单: what is asked, of whom, by when, and how the receiving department answered."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Awaiting response")
        ACCEPTED = "accepted", _("Accepted, in progress")
        REFUSED = "refused", _("Refused")
        DELIVERED = "delivered", _("Delivered, awaiting confirmation")
        CLOSED = "closed", _("Confirmed and closed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    FINISHED = frozenset({Status.REFUSED, Status.CLOSED, Status.WITHDRAWN})

    type = models.ForeignKey(
        RequestType, on_delete=models.PROTECT, related_name="requests", verbose_name=_("request type")
    )
    policy_version = models.ForeignKey(
        "policy.PolicyVersion", on_delete=models.PROTECT, related_name="+", verbose_name=_("policy version")
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="collaboration_requests",
        verbose_name=_("requester"),
    )
    from_department = models.ForeignKey(
        "org.Department",
        on_delete=models.PROTECT,
        related_name="requests_sent",
        verbose_name=_("requesting department"),
    )
    to_department = models.ForeignKey(
        "org.Department",
        on_delete=models.PROTECT,
        related_name="requests_received",
        verbose_name=_("receiving department"),
    )
    title = models.CharField(_("title"), max_length=120)
    content = models.TextField(_("what is needed"), max_length=4000)
    support_needed = models.CharField(_("support needed"), max_length=500, blank=True)
    expected_by = models.DateField(_("expected completion"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.SUBMITTED)
    submitted_at = models.DateTimeField(_("submitted"))
    responded_at = models.DateTimeField(_("responded"), null=True, blank=True)
    committed_by = models.DateField(_("committed completion"), null=True, blank=True)
    response_note = models.CharField(_("response"), max_length=500, blank=True)
    refusal_category = models.CharField(
        _("refusal category"), max_length=20, choices=RefusalCategory.choices, blank=True
    )
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    delivery_note = models.TextField(_("what was delivered"), max_length=2000, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_comment = models.CharField(_("comment on the help"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("cross-department request")
        verbose_name_plural = _("cross-department requests")
        indexes = [
            # 我发出的 and 发给本部门的, newest first (keyset on id).
            models.Index(fields=["requester", "-id"], name="request_by_requester"),
            models.Index(fields=["to_department", "-id"], name="request_by_receiver"),
            models.Index(fields=["from_department", "-id"], name="request_by_sender"),
            # 我的待办: a department's requests still awaiting its answer.
            models.Index(
                fields=["to_department", "submitted_at"],
                condition=models.Q(status="submitted"),
                name="request_awaiting_answer",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("requests:detail", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED
