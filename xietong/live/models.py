"""The live meeting room: its clock and version, item progress, the speakers' list and votes.

Attendance itself lives in the meeting record (records.Attendance); the room keeps what only
exists while the meeting runs: which item is current, who asked for the floor, the votes.
Every change bumps ``Room.version`` so that a command sent against an older state is refused.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def _new_token() -> str:
    return secrets.token_urlsafe(18)


class Room(models.Model):
    """One per meeting, created on first use. ``version`` rises with every change of state."""

    class Status(models.TextChoices):
        # Not stored: read from started_at / ended_at by ``status`` below.
        NOT_STARTED = "not_started"
        RUNNING = "running"
        ENDED = "ended"

    meeting = models.OneToOneField(
        "meetings.Meeting", on_delete=models.CASCADE, related_name="live_room", verbose_name=_("meeting")
    )
    version = models.PositiveIntegerField(_("version"), default=0)
    # The sign-in QR code carries this meeting-scoped token; the host can renew it.
    signin_token = models.CharField(max_length=40, default=_new_token, editable=False)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    current_item = models.ForeignKey(
        "agenda.AgendaItem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("current item"),
    )

    class Meta:
        verbose_name = _("live room")
        verbose_name_plural = _("live rooms")

    def __str__(self) -> str:
        return f"{self.meeting} · v{self.version}"

    @property
    def status(self) -> str:
        """Not started until the host starts the meeting, running until the host ends it, then ended."""
        if self.started_at is None:
            return self.Status.NOT_STARTED
        if self.ended_at is None:
            return self.Status.RUNNING
        return self.Status.ENDED


class ItemRun(models.Model):
    """How one agenda item went in the room: when it was discussed and for how long."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Not yet discussed")
        CURRENT = "current", _("Under discussion")
        DONE = "done", _("Discussed")
        DEFERRED = "deferred", _("Deferred")

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="item_runs", verbose_name=_("room"))
    agenda_item = models.OneToOneField(
        "agenda.AgendaItem", on_delete=models.CASCADE, related_name="live_run", verbose_name=_("agenda item")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    # Seconds under discussion (an item may be taken up more than once: the sum).
    elapsed_seconds = models.PositiveIntegerField(_("time taken (seconds)"), default=0)
    deferral_reason = models.CharField(_("why it was deferred"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("item progress")
        verbose_name_plural = _("item progress")

    def __str__(self) -> str:
        return f"{self.agenda_item} · {self.get_status_display()}"


class Guest(models.Model):
    """Someone the host admitted who was not invited (recorded; a guest does not vote)."""

    meeting = models.ForeignKey(
        "meetings.Meeting", on_delete=models.CASCADE, related_name="live_guests", verbose_name=_("meeting")
    )
    name = models.CharField(_("name"), max_length=60)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("account"),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    admitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("admitted by"),
    )
    admitted_at = models.DateTimeField(_("admitted"))

    class Meta:
        verbose_name = _("guest")
        verbose_name_plural = _("guests")
        ordering = ["meeting", "id"]

    def __str__(self) -> str:
        return self.name


class SigninLinkUse(models.Model):
    """A personal one-time sign-in link that has been used (the link's nonce, once)."""

    nonce = models.CharField(max_length=40, unique=True)
    meeting = models.ForeignKey("meetings.Meeting", on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    used_at = models.DateTimeField(_("used"))

    class Meta:
        verbose_name = _("used sign-in link")
        verbose_name_plural = _("used sign-in links")

    def __str__(self) -> str:
        return f"{self.meeting_id} · {self.person_id}"


class Speech(models.Model):
    """One turn on the speakers' list (发言): requested, granted, timed."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        SPEAKING = "speaking", _("Speaking")
        DONE = "done", _("Spoke")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    meeting = models.ForeignKey(
        "meetings.Meeting", on_delete=models.CASCADE, related_name="speeches", verbose_name=_("meeting")
    )
    agenda_item = models.ForeignKey(
        "agenda.AgendaItem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="speeches",
        verbose_name=_("agenda item"),
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="speeches", verbose_name=_("speaker")
    )
    # The department the speaker speaks for (a delegate: the department of the person replaced).
    department = models.ForeignKey(
        "org.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("department"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    order = models.PositiveIntegerField(_("order"), default=0)
    requested_at = models.DateTimeField(_("asked for the floor"))
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), null=True, blank=True)
    limit_seconds = models.PositiveIntegerField(_("speaking limit (seconds)"), null=True, blank=True)

    class Meta:
        verbose_name = _("speech")
        verbose_name_plural = _("speeches")
        ordering = ["meeting", "order", "id"]
        indexes = [models.Index(fields=["meeting", "status"])]

    def __str__(self) -> str:
        return f"{self.person} · {self.get_status_display()}"

    @property
    def over_limit(self) -> bool:
        return bool(
            self.limit_seconds and self.duration_seconds and self.duration_seconds > self.limit_seconds
        )


class Vote(models.Model):
    """A vote (表决) on a proposal; the rule applied and the counts are stored when it closes."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", pgettext_lazy("vote", "Closed")

    class Choice(models.TextChoices):
        AGREE = "agree", _("Agree")
        AGAINST = "against", _("Against")
        ABSTAIN = "abstain", _("Abstain")

    meeting = models.ForeignKey(
        "meetings.Meeting", on_delete=models.CASCADE, related_name="votes", verbose_name=_("meeting")
    )
    agenda_item = models.ForeignKey(
        "agenda.AgendaItem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="votes",
        verbose_name=_("agenda item"),
    )
    proposal = models.CharField(_("proposal"), max_length=500)
    secret = models.BooleanField(_("secret ballot"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    # The rule, copied from the policy when the vote opens (a later policy change does not alter it).
    method = models.CharField(_("majority"), max_length=12)
    min_agree = models.PositiveIntegerField(_("votes needed to agree"), null=True, blank=True)
    quorum_percent = models.PositiveIntegerField(_("quorum (%)"), null=True, blank=True)
    clause = models.CharField(_("clause"), max_length=200, blank=True)
    eligible_count = models.PositiveIntegerField(_("entitled to vote"), default=0)
    # Counters: the only record of a secret vote's choices (no ballot rows, see Ballot).
    agree = models.PositiveIntegerField(_("agree"), default=0)
    against = models.PositiveIntegerField(_("against"), default=0)
    abstain = models.PositiveIntegerField(_("abstain"), default=0)
    # Filled when the vote closes.
    present_count = models.PositiveIntegerField(_("voters present"), null=True, blank=True)
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    result_code = models.CharField(_("result"), max_length=20, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("opened by"),
    )
    opened_at = models.DateTimeField(_("opened"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    decision = models.OneToOneField(
        "records.Decision",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="vote",
        verbose_name=_("decision"),
    )

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        ordering = ["meeting", "id"]

    def __str__(self) -> str:
        return self.proposal[:40]

    @property
    def cast_count(self) -> int:
        return self.agree + self.against + self.abstain


class VoteParticipation(models.Model):
    """Who has voted, for every vote (named or secret): one row per seat, no choice, no time.

    ``seat`` is the invitee whose vote it is; ``voter`` the person who cast it (the invitee,
    or their delegate). Deliberately without a timestamp or a link to the counters, so that
    a secret vote cannot be traced back to a voter.
    """

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="participations")
    seat = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("vote participation")
        verbose_name_plural = _("vote participations")
        constraints = [models.UniqueConstraint(fields=["vote", "seat"], name="uniq_vote_seat")]

    def __str__(self) -> str:
        return f"{self.vote_id} · {self.seat_id}"


class Ballot(models.Model):
    """A named vote's ballot: who chose what. Secret votes have none."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="ballots", verbose_name=_("vote"))
    seat = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("voter")
    )
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("cast by")
    )
    choice = models.CharField(_("choice"), max_length=10, choices=Vote.Choice.choices)
    cast_at = models.DateTimeField(_("cast"))

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        ordering = ["vote", "id"]
        constraints = [models.UniqueConstraint(fields=["vote", "seat"], name="uniq_ballot_seat")]

    def __str__(self) -> str:
        return f"{self.vote} · {self.seat} · {self.get_choice_display()}"
