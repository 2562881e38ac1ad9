"""Topics (议题) brought by departments for cross-department discussion."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from xietong.core.optlock import Versioned

if TYPE_CHECKING:
    from xietong.obligations.models import Obligation


class Topic(Versioned):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("Awaiting head review")
        APPROVED = "approved", _("Approved by the head")
        SUBMITTED = "submitted", _("Submitted")
        TRIAGED = "triaged", _("Triaged")
        SCHEDULED = "scheduled", _("On the agenda")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        # Later stages (#3): discussed / decided / closed
        DONE = "done", _("Dealt with")

    class Category(models.TextChoices):
        PROGRESS = "progress", _("Progress coordination")
        RESOURCE = "resource", _("Resource allocation")
        PROCESS = "process", _("Process improvement")
        ISSUE = "issue", _("Problem to resolve")
        INFO = "info", _("Information sharing")
        OTHER = "other", _("Other")

    class Priority(models.IntegerChoices):
        URGENT = 1, _("Urgent")
        HIGH = 2, _("High")
        NORMAL = 3, _("Normal")
        LOW = 4, _("Low")

    title = models.CharField(_("title"), max_length=120)
    department = models.ForeignKey(
        "org.Department", on_delete=models.PROTECT, related_name="topics", verbose_name=_("department")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="topics", verbose_name=_("liaison")
    )
    series = models.ForeignKey(
        "meetings.MeetingSeries",
        on_delete=models.PROTECT,
        related_name="topics",
        verbose_name=_("meeting series"),
    )
    meeting = models.ForeignKey(
        "meetings.Meeting",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="topics",
        verbose_name=_("target meeting"),
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)

    # 第六条: 议题背景、协作需求、涉及科室、期望成果及初步解决方案
    background = models.TextField(_("background"), max_length=4000)
    collaboration_need = models.TextField(_("collaboration needed"), max_length=4000)
    departments_involved = models.ManyToManyField(
        "org.Department", related_name="involved_in_topics", verbose_name=_("departments involved")
    )
    expected_outcome = models.TextField(_("expected outcome"), max_length=2000)
    initial_solution = models.TextField(_("initial solution"), max_length=4000)
    # 5W1H (optional, seed 02 三、(二)1)
    w_what = models.TextField(_("What"), max_length=1000, blank=True)
    w_who = models.TextField(_("Who"), max_length=1000, blank=True)
    w_when = models.TextField(_("When"), max_length=1000, blank=True)
    w_where = models.TextField(_("Where"), max_length=1000, blank=True)
    w_why = models.TextField(_("Why"), max_length=1000, blank=True)
    w_how = models.TextField(_("How"), max_length=1000, blank=True)

    category = models.CharField(_("category"), max_length=12, choices=Category.choices, blank=True)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, null=True, blank=True
    )
    budget_minutes = models.PositiveSmallIntegerField(_("time budget (minutes)"), null=True, blank=True)
    head_comment = models.CharField(_("head's comment"), max_length=500, blank=True)
    coordinator_reason = models.CharField(_("coordinator's reason"), max_length=500, blank=True)
    deferral_reason = models.CharField(_("why it was deferred"), max_length=300, blank=True)
    rollover_count = models.PositiveSmallIntegerField(_("times rolled over"), default=0)
    # jieba tokens of title + background + need, space separated, for similar-topic search
    tokens = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    # Not a column: the topic services set it on the topic they return to the duty their
    # transition closed (None when none), for the caller's message.
    closed_duty: Obligation | None
    # Not a column either: similar-topic search sets it to the topic's score (0…1).
    similarity: float

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "meeting"]),
            models.Index(fields=["department", "status"]),
            models.Index(fields=["series", "status", "priority"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def status_label(self) -> str:
        """The status as shown (``get_status_display()``, which hashes and translates every
        label of the choices on each call: a fifth of the topic list's time in its rows)."""
        try:
            return str(self.Status(self.status).label)
        except ValueError:
            return self.status

    def get_absolute_url(self) -> str:
        return reverse("topics:detail", args=[self.pk])


class TopicAttachment(models.Model):
    """A file brought with a topic (议题资料): shown on the topic page and on the agenda."""

    topic = models.ForeignKey(
        Topic, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("topic")
    )
    # Stored under a generated name; ``name`` keeps what the uploader called it.
    file = models.FileField(_("file"), upload_to="topics/%Y/%m/", max_length=200)
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("content type"), max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="topic_attachments",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded"))

    class Meta:
        verbose_name = _("topic material")
        verbose_name_plural = _("topic materials")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("topics:attachment", args=[self.pk])
