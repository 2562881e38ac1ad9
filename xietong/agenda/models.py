"""The agenda of a meeting: ordered items with time budgets, built from triaged topics."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from xietong.core.optlock import Versioned


class Agenda(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        CONFIRMED = "confirmed", _("Confirmed")
        PUBLISHED = "published", _("Published")

    meeting = models.OneToOneField(
        "meetings.Meeting", on_delete=models.CASCADE, related_name="agenda", verbose_name=_("meeting")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    cap_minutes = models.PositiveIntegerField(_("duration cap (minutes)"))
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        verbose_name = _("agenda")
        verbose_name_plural = _("agendas")

    def __str__(self) -> str:
        return f"{self.meeting} · {self.get_status_display()}"


class AgendaItem(Versioned):
    class Kind(models.TextChoices):
        TOPIC = "topic", _("Topic")
        FOLLOW_UP = "follow_up", _("Follow-up of earlier decisions")
        OPEN_DISCUSSION = "open", _("Open discussion")

    agenda = models.ForeignKey(
        Agenda, on_delete=models.CASCADE, related_name="items", verbose_name=_("agenda")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.TOPIC)
    topic = models.ForeignKey(
        "topics.Topic",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="agenda_items",
        verbose_name=_("topic"),
    )
    position = models.PositiveSmallIntegerField(_("order"))
    title = models.CharField(_("title"), max_length=120)
    budget_minutes = models.PositiveSmallIntegerField(_("time budget (minutes)"))

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["agenda", "position"]
        constraints = [models.UniqueConstraint(fields=["agenda", "topic"], name="uniq_topic_per_agenda")]

    def __str__(self) -> str:
        return self.title
