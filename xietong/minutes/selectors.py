"""Reading minutes and the meeting record they are drafted from."""

from __future__ import annotations

from datetime import date, datetime
from typing import NamedTuple

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xietong.core.errors import Forbidden
from xietong.meetings.models import Meeting, Rsvp
from xietong.obligations.models import Obligation, ObligationKind
from xietong.org.models import Role
from xietong.org.permissions import roles_of
from xietong.policy.calendar import as_shanghai

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


class ArchiveFile(NamedTuple):
    """A file attached to a topic on the meeting's agenda (a TopicAttachment's id, name, size)."""

    pk: int
    name: str
    size: int


_FILE = "meeting__agenda__items__topic__attachments"


# ---- who may read minutes (the one rule: the archive, the minutes pages, search, exports) --


def sees_all_minutes(person, *, on: date) -> bool:
    """The coordinator and the leadership group read the approved minutes of every meeting."""
    roles = roles_of(person, on=on)
    return roles.is_coordinator or roles.has(Role.LEADERSHIP)


def sees_drafts(person, meeting: Meeting, *, on: date) -> bool:
    """Drafts are seen by the meeting's recorder and host and by the coordinator."""
    return person.pk in (meeting.recorder_id, meeting.host_id) or roles_of(person, on=on).is_coordinator


def _took_part(person) -> Q:
    invited = Rsvp.objects.filter(meeting=OuterRef("pk"), invitee=person)
    return Q(Exists(invited)) | Q(host=person) | Q(recorder=person)


def meetings_with_minutes_for(person, *, on: date) -> QuerySet[Meeting]:
    """The meetings whose approved minutes ``person`` may read: every meeting for the coordinator
    and the leadership group; otherwise those they were invited to, hosted or recorded."""
    if sees_all_minutes(person, on=on):
        return Meeting.objects.all()
    return Meeting.objects.filter(_took_part(person))


def may_read_minutes(person, meeting: Meeting, *, on: date) -> tuple[bool, bool]:
    """(reads approved minutes, reads drafts) of ``meeting`` for ``person``."""
    drafts = sees_drafts(person, meeting, on=on)
    if drafts or sees_all_minutes(person, on=on):
        return True, drafts
    return meetings_with_minutes_for(person, on=on).filter(pk=meeting.pk).exists(), False


# ---- one meeting's minutes, one version, for one person ----------------------------------------

RECORDER = "recorder"
HOST = "host"
ERR_KEEPER = {
    RECORDER: _("Only the meeting's recorder may do this."),
    HOST: _("Only the meeting's host may approve or return the minutes."),
}


def _require_keeper(meeting: Meeting, person, keeper: str) -> None:
    """Forbidden unless ``person`` is the meeting's ``keeper`` (its recorder or host)."""
    if person.pk != (meeting.recorder_id if keeper == RECORDER else meeting.host_id):
        raise Forbidden(ERR_KEEPER[keeper])


def get_minutes_meeting_for_user(
    person, pk: int, *, now: datetime | None = None, keeper: str | None = None
) -> Meeting:
    """Meeting ``pk`` with its host, recorder and regulation, for its minutes page.

    Http404 for anyone who may not read its minutes (may_read_minutes). With ``keeper``
    (RECORDER or HOST: who takes the step about to be taken), Forbidden for anyone else, the
    refusal of the step; Http404 only when there is no such meeting.
    """
    meeting = get_object_or_404(Meeting.objects.select_related("host", "recorder", "policy_version"), pk=pk)
    if keeper is not None:
        _require_keeper(meeting, person, keeper)
    elif not may_read_minutes(person, meeting, on=as_shanghai(now or timezone.now()).date())[0]:
        raise Http404("minutes")
    return meeting


def get_minutes_for_user(
    person, pk: int, *, now: datetime | None = None, keeper: str | None = None
) -> Minutes:
    """Version ``pk`` of a meeting's minutes with its meeting and people, for ``person``.

    Http404 for anyone who may not read this version: drafts are read by those who see drafts,
    approved versions by every reader of the meeting's minutes (may_read_minutes). With
    ``keeper`` (RECORDER or HOST), Forbidden for anyone else, the refusal of the step; Http404
    only when there is no such version.
    """
    minutes = get_object_or_404(
        Minutes.objects.select_related(
            "meeting__host", "meeting__recorder", "meeting__policy_version", "drafted_by", "approved_by"
        ),
        pk=pk,
    )
    if keeper is not None:
        _require_keeper(minutes.meeting, person, keeper)
        return minutes
    approved, drafts = may_read_minutes(person, minutes.meeting, on=as_shanghai(now or timezone.now()).date())
    if not (drafts or (approved and minutes.status == Minutes.Status.APPROVED)):
        raise Http404("minutes")
    return minutes


def archive_minutes(user, *, start: datetime, end: datetime, on: date) -> list[dict]:
    """The newest approved minutes of each meeting starting in [start, end) that ``user`` may
    read on day ``on`` (meetings_with_minutes_for), oldest meeting first, as
    ``{pk, number, meeting_id, title, starts_at, materials}``: the minutes' id and version, its
    meeting's id, title and start, and the files attached to the topics on that meeting's
    agenda (ArchiveFile), in agenda order. One query whatever the archive's size: one
    row per version and file (or agenda item without one); the minutes' text is not read.
    """
    qs = Minutes.objects.filter(
        status=Minutes.Status.APPROVED, meeting__starts_at__gte=start, meeting__starts_at__lt=end
    )
    if not sees_all_minutes(user, on=on):
        qs = qs.filter(meeting__in=meetings_with_minutes_for(user, on=on))
    rows = qs.values_list(
        "pk",
        "number",
        "meeting_id",
        "meeting__title",
        "meeting__starts_at",
        f"{_FILE}__id",
        f"{_FILE}__name",
        f"{_FILE}__size",
    ).order_by(
        "meeting__starts_at",
        "meeting_id",
        "number",
        "meeting__agenda__items__position",
        f"{_FILE}__uploaded_at",
        f"{_FILE}__id",
    )
    newest: dict[int, dict] = {}
    entry: dict = {}
    for pk, number, meeting_id, title, starts_at, file_id, name, size in rows:
        if entry.get("pk") != pk:
            # ordered by number: the newest approved version of a meeting's minutes wins
            entry = {"pk": pk, "number": number, "meeting_id": meeting_id, "title": title}
            entry.update(starts_at=starts_at, materials=[])
            newest[meeting_id] = entry
        if file_id is not None:
            entry["materials"].append(ArchiveFile(file_id, name, size))
    return list(newest.values())


def minutes_distribution(meeting: Meeting) -> list[str]:
    """The departments approved minutes of ``meeting`` go to (the 分送 line): those of its
    invitees, in the organisation's order. The leadership group, which receives them too, is
    named by the caller."""
    rows = (
        Rsvp.objects.filter(meeting=meeting, invitee__department__isnull=False)
        .values_list("invitee__department__name", "invitee__department__sort_order")
        .distinct()
    )
    return [name for name, _order in sorted(set(rows), key=lambda row: (row[1], row[0]))]
