"""Notifications: the in-app inbox (Message), one Delivery per outside channel, preferences,
department group robots.

The domain Event table is the transactional outbox. The dispatcher turns each undispatched
event into Messages and Deliveries in one transaction; the sender works through due
Deliveries with a lease. Text is never stored rendered: a Message keeps a topic and params
and is rendered in the reader's language when shown or sent.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from xietong.core.crypto import EncryptedTextField
from xietong.core.optlock import Versioned


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    WECOM = "wecom", _("WeCom group robot")
    DINGTALK = "dingtalk", _("DingTalk group robot")
    FEISHU = "feishu", _("Feishu group robot")


ROBOT_CHANNELS = (Channel.WECOM, Channel.DINGTALK, Channel.FEISHU)


class Preference(models.Model):
    """One person's channel choices; no row means the defaults (e-mail and robots on, no digest)."""

    person = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notify_preference"
    )
    email = models.BooleanField(_("e-mail"), default=True)
    robots = models.BooleanField(_("mention me in my department's group chat"), default=True)
    daily_digest = models.BooleanField(
        _("daily digest"),
        default=False,
        help_text=_("One e-mail a day instead of one e-mail per notification."),
    )
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return str(self.person)


class DepartmentRobot(Versioned):
    """A department's group-chat robot (one per vendor), with its send pacing."""

    department = models.ForeignKey(
        "org.Department", on_delete=models.CASCADE, related_name="robots", verbose_name=_("department")
    )
    kind = models.CharField(_("robot"), max_length=10, choices=[(c.value, c.label) for c in ROBOT_CHANNELS])
    # Both are credentials (the WeCom key and the DingTalk access token are in the address):
    # stored encrypted, shown only as masked_url / "set".
    webhook_url = EncryptedTextField(_("webhook address"))
    secret = EncryptedTextField(_("signing secret"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # The earliest time the next message may go to this robot: sends are spaced so the
    # vendor's per-minute limit is never exceeded; a throttle answer pushes it further.
    next_slot_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        verbose_name = _("group robot")
        verbose_name_plural = _("group robots")
        constraints = [
            models.UniqueConstraint(fields=["department", "kind"], name="uniq_robot_per_department")
        ]

    def __str__(self) -> str:
        return f"{self.department} · {self.get_kind_display()}"

    @property
    def masked_url(self) -> str:
        """The address without its credential (the query's key/token, Feishu's hook id)."""
        base = self.webhook_url.split("?", 1)[0]
        if "/hook/" in base:
            head, _sep, hook = base.rpartition("/hook/")
            base = f"{head}/hook/…{hook[-4:]}"
        return base


class Message(models.Model):
    """One notification in one person's inbox (unique per event and recipient)."""

    event = models.ForeignKey("core.Event", on_delete=models.CASCADE, related_name="+")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="messages",
        verbose_name=_("recipient"),
    )
    topic = models.CharField(_("kind"), max_length=40)
    params = models.JSONField(default=dict, blank=True)
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(_("received"))
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [models.UniqueConstraint(fields=["event", "recipient"], name="uniq_message_per_event")]
        indexes = [
            models.Index(fields=["recipient", "-id"]),
            # The nav badge and the unread-first part of the inbox.
            models.Index(
                fields=["recipient", "-id"], condition=models.Q(read_at=None), name="message_unread"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.topic} → {self.recipient_id}"


class Delivery(models.Model):
    """Sending one message (or one daily digest) over one outside channel.

    pending → sent; pending → pending (failed, retried at next_attempt_at) → dead after
    NOTIFY_MAX_ATTEMPTS; dead → pending when the coordinator retries. An e-mail for someone
    on the daily digest is held, then bundled into that day's digest delivery.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        DEAD = "dead", _("Given up")
        HELD = "held", _("Held for the daily digest")
        BUNDLED = "bundled", _("In a daily digest")

    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("recipient")
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    robot = models.ForeignKey(
        DepartmentRobot, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    # A daily digest is a delivery without a message; the held e-mails it carries point to it.
    digest_day = models.DateField(null=True, blank=True)
    digest = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="bundled"
    )
    state = models.CharField(_("status"), max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"))
    # Not a column: the e-mails a digest bundles, fixed by the send that carries them.
    bundled_ids: list[int]

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["message", "channel"],
                condition=models.Q(message__isnull=False),
                name="uniq_delivery_per_channel",
            ),
            models.UniqueConstraint(
                fields=["person", "digest_day"],
                condition=models.Q(message__isnull=True),
                name="uniq_digest_per_day",
            ),
        ]
        indexes = [
            # The sender's work queue.
            models.Index(
                fields=["next_attempt_at", "id"], condition=models.Q(state="pending"), name="delivery_due"
            ),
            models.Index(fields=["person", "state"], condition=models.Q(state="held"), name="delivery_held"),
            models.Index(fields=["-id"], condition=models.Q(state="dead"), name="delivery_dead"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} #{self.pk} ({self.state})"
