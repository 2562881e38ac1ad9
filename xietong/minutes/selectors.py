"""Reading minutes and the meeting record they are drafted from."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType

from xietong.meetings.models import Meeting
from xietong.obligations.models import Obligation, ObligationKind

from .models import Minutes


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
