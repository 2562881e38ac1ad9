"""What each kind of notification says, rendered in the reader's language when shown or sent.

A Message stores a topic and plain params (ids, names, ISO times); the words come from here
through gettext under ``translation.override``, so switching the language, or fixing a
translation, changes every notification already in an inbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from xietong.obligations.models import ObligationKind
from xietong.policy.calendar import as_shanghai
from xietong.policy.labels import HOLIDAY_NAMES

# topic -> (subject, body); params are filled with %-formatting after translation.
TEXTS = {
    "meeting_notice": (
        _("Meeting notice: %(title)s"),
        _("You are invited to %(title)s at %(starts_at)s, %(place)s. Please reply to the notice."),
    ),
    "meeting_rescheduled": (
        _("Meeting moved: %(title)s"),
        _(
            "%(title)s moved from %(old_starts_at)s to %(starts_at)s, %(place)s. Your earlier reply"
            " no longer counts: please reply to the notice again."
        ),
    ),
    "meeting_place_changed": (
        _("Meeting changed: %(title)s"),
        _("%(title)s now takes place at %(starts_at)s, %(place)s. Please check your reply."),
    ),
    "meeting_on_closed_day": (
        _("Meeting on a day off: %(title)s"),
        _(
            "%(title)s falls on %(closed_day)s, which is not a working day (%(holiday)s). The next working"
            " day is %(next_working_at)s: move the meeting on its page if it should not meet then."
        ),
    ),
    "meeting_cancelled": (
        _("Meeting cancelled: %(title)s"),
        _("%(title)s at %(starts_at)s is cancelled. Reason: %(reason)s"),
    ),
    "topic_returned": (
        _("Topic returned to you: %(title)s"),
        _("Your topic “%(title)s” was returned for rework. Reason: %(reason)s"),
    ),
    "topic_returned_by_coordinator": (
        _("Topic returned by the coordinator: %(title)s"),
        _(
            "The coordinator returned your topic “%(title)s” to your department for rework. Reason: %(reason)s"
        ),
    ),
    "topic_rejected": (
        _("Topic rejected: %(title)s"),
        _("Your topic “%(title)s” was rejected. Reason: %(reason)s"),
    ),
    "topic_deferred": (
        _("Topic deferred: %(title)s"),
        _("Your topic “%(title)s” was deferred to %(meeting)s at %(starts_at)s. Reason: %(reason)s"),
    ),
    "minutes_approved": (
        _("Minutes approved: %(title)s"),
        _("Version %(number)s of the minutes of %(title)s was approved."),
    ),
    "minutes_distributed": (
        _("Minutes to read: %(title)s"),
        _("The approved minutes of %(title)s were sent to you. Please read them."),
    ),
    "decision_awaiting_leadership": (
        _("Decision awaiting the leadership group: %(title)s"),
        _("A decision of %(title)s allocates resources and needs the leadership group's approval: %(text)s"),
    ),
    "action_assigned": (
        _("New action item: %(text)s"),
        _("You are responsible for the action item “%(text)s”, due %(due_on)s."),
    ),
    "obligation_reminder": (
        _("Reminder: %(duty)s"),
        _("%(duty)s is due at %(due_at)s (%(clause)s). This is reminder %(step)s."),
    ),
    "obligation_breached": (
        _("Overdue: %(duty)s"),
        _("%(duty)s was due at %(due_at)s (%(clause)s) and is not done."),
    ),
    "obligation_escalated": (
        _("Escalated: %(duty)s"),
        _(
            "%(duty)s (%(clause)s), responsible %(responsible)s, was missed %(misses)s times in a row"
            " and is escalated to the leadership group."
        ),
    ),
    "approval_awaiting": (
        _("Approval awaiting you: %(title)s"),
        _("“%(title)s” awaits your decision at the step “%(step)s”."),
    ),
    "approval_step_approved": (
        _("Approval step approved: %(title)s"),
        _("%(actor)s approved “%(title)s” at the step “%(step)s”. %(comment)s"),
    ),
    "approval_finished": (
        _("Approved: %(title)s"),
        _("“%(title)s” is approved; %(actor)s signed the last step “%(step)s”. %(comment)s"),
    ),
    "approval_returned": (
        _("Approval returned to you: %(title)s"),
        _("%(actor)s returned “%(title)s” for changes at the step “%(step)s”: %(comment)s"),
    ),
    "approval_rejected": (
        _("Approval rejected: %(title)s"),
        _("%(actor)s rejected “%(title)s” at the step “%(step)s”. Reason: %(comment)s"),
    ),
    "request_received": (
        _("New request to your department: %(title)s"),
        _(
            "%(from_department)s asks %(to_department)s: “%(title)s”. Please respond by %(due_at)s (%(clause)s)."
        ),
    ),
    "request_accepted": (
        _("Request accepted: %(title)s"),
        _("%(actor)s accepted “%(title)s”, committing to %(committed_by)s. %(comment)s"),
    ),
    "request_refused": (
        _("Request refused: %(title)s"),
        _("%(actor)s refused “%(title)s”. Reason: %(comment)s"),
    ),
    "request_delivered": (
        _("Request delivered: %(title)s"),
        _("%(actor)s reports “%(title)s” delivered: %(comment)s Please confirm it, or reopen it."),
    ),
    "digest": (
        _("Your daily notifications (%(count)s)"),
        _("Notifications of the last day:"),
    ),
}
FALLBACK = (_("Notification"), _("Something changed in Xietong."))


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def _display(key: str, value):
    if isinstance(value, str) and key.endswith("_at") and value:
        try:
            return date_format(as_shanghai(datetime.fromisoformat(value)), "Y-m-d H:i")
        except ValueError:
            return value
    if key == "holiday":
        return HOLIDAY_NAMES.get(value, value) if value else _("day off")
    if key == "duty" and value:
        try:
            return str(ObligationKind(value).label)
        except ValueError:
            return value
    return "" if value is None else value


class _Params(dict):
    def __missing__(self, key):  # a handler written before a param existed still renders
        return ""


def render(topic: str, params: dict, *, language: str | None = None) -> Rendered:
    subject_msgid, body_msgid = TEXTS.get(topic, FALLBACK)
    with translation.override(language or translation.get_language() or settings.LANGUAGE_CODE):
        values = _Params({k: _display(k, v) for k, v in params.items()})
        body = str(body_msgid) % values
        if values["on_behalf_of"]:  # invited in someone's place through a standing delegation
            body = f"{body} {_('You are invited on behalf of %(on_behalf_of)s.') % values}"
        return Rendered(subject=str(subject_msgid) % values, body=body)


def recipient_language(person) -> str:
    """People have no language setting yet: outside channels speak the product's default."""
    return getattr(person, "language", "") or settings.LANGUAGE_CODE
