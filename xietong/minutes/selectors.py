"""Reading minutes and the meeting record they are drafted from."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType

from xietong.meetings.models import Meeting
from xietong.obligations.models import Obligation, ObligationKind

from .models import Minutes, MinutesReceipt


def minutes_versions(meeting: Meeting):
    """Every version of ``meeting``'s minutes, oldest first, people preloaded."""
    return (
        Minutes.objects.filter(meeting=meeting).select_related("drafted_by", "approved_by").order_by("number")
    )


def minutes_latest(meeting: Meeting) -> Minutes | None:
    return minutes_versions(meeting).order_by("-number").first()


def minutes_obligation(meeting: Meeting) -> Obligation | None:
    """The ledger's minutes duty of ``meeting`` (the newest one; None before drafting)."""
    return (
        Obligation.objects.filter(
            subject_type=ContentType.objects.get_for_model(Meeting),
            subject_id=meeting.pk,
            kind=ObligationKind.MINUTES,
        )
        .exclude(state=Obligation.State.WAIVED)
        .order_by("-opened_at", "-id")
        .first()
    )


def unread_minutes_of(person, *, limit: int = 20) -> list[MinutesReceipt]:
    """``person``'s unread approved minutes, newest first, meeting preloaded (one query)."""
    if person is None or person.pk is None:
        return []
    return list(
        MinutesReceipt.objects.filter(person_id=person.pk, read_at__isnull=True)
        .select_related("minutes__meeting")
        .order_by("-delivered_at", "-id")[:limit]
    )
