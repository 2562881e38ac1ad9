"""Reading minutes and the meeting record they are drafted from."""

from __future__ import annotations

from typing import NamedTuple

from django.contrib.contenttypes.models import ContentType
from django.db import connections, router

from xietong.core.rawsql import aware
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


# The archive's read, written out (xietong/core/rawsql.py): the same rows and order as the ORM
# filters it replaced (tests/test_archive_scale.py compares them). One query: each minutes
# row comes with the files attached to the topics on its meeting's agenda (one row per agenda
# item and file, in agenda order), or once with NULL file columns when there are none.
# (`topic_id > 0`, true of every topic, lets the item's topic be read from the agenda's
# one-item-per-topic index instead of the item's row.)
_ARCHIVE_SQL = """
SELECT n."id", n."meeting_id", n."number", m."title", m."starts_at", f."id", f."name", f."size"
FROM "minutes_minutes" n INNER JOIN "meetings_meeting" m ON m."id" = n."meeting_id"
LEFT JOIN "agenda_agenda" g ON g."meeting_id" = n."meeting_id"
LEFT JOIN "agenda_agendaitem" i ON i."agenda_id" = g."id" AND i."topic_id" > 0
  AND EXISTS (SELECT 1 FROM "topics_topicattachment" a WHERE a."topic_id" = i."topic_id")
LEFT JOIN "topics_topicattachment" f ON f."topic_id" = i."topic_id"
WHERE n."status" = %s AND m."starts_at" >= %s AND m."starts_at" < %s{involved}
ORDER BY m."starts_at", n."meeting_id", n."number", i."position", f."uploaded_at", f."id"
"""
# Invited to, hosted or recorded the meeting.
_ARCHIVE_INVOLVED = """ AND (m."host_id" = %s OR m."recorder_id" = %s OR EXISTS (
  SELECT 1 FROM "meetings_rsvp" r WHERE r."meeting_id" = n."meeting_id" AND r."invitee_id" = %s))"""


class ArchiveFile(NamedTuple):
    """A file attached to a topic on the meeting's agenda (a TopicAttachment's id, name, size)."""

    pk: int
    name: str
    size: int


class ArchiveEntry:
    """One line of the archive: the newest approved minutes of a meeting (id ``pk``, version
    ``number``), its meeting's id, ``title`` and start (aware, UTC, as the ORM gives it), and the
    ``materials`` on that meeting's agenda. A plain row, not a model instance: the archive lists
    a year of meetings on every visit."""

    __slots__ = ("pk", "number", "meeting_id", "title", "starts_at", "materials")

    def __init__(self, pk, number, meeting_id, title, starts_at, materials):
        self.pk = pk
        self.number = number
        self.meeting_id = meeting_id
        self.title = title
        self.starts_at = starts_at
        self.materials = materials


def archive_minutes(user, *, start, end, sees_all: bool) -> list[ArchiveEntry]:
    """The newest approved minutes of each meeting starting in [start, end) that ``user`` may
    read (all of them when ``sees_all``: the coordinator and the leadership group; otherwise
    the meetings they were invited to, hosted or recorded), oldest meeting first, with
    ``materials``: the files attached to the topics on that meeting's agenda. One query
    whatever the archive's size; the minutes' text is not read.
    """
    connection = connections[router.db_for_read(Minutes)]
    ops = connection.ops
    params: list = [Minutes.Status.APPROVED.value, ops.adapt_datetimefield_value(start)]
    params.append(ops.adapt_datetimefield_value(end))
    involved = ""
    if not sees_all:
        involved = _ARCHIVE_INVOLVED
        params += [user.pk] * 3
    with connection.cursor() as cursor:
        cursor.execute(_ARCHIVE_SQL.format(involved=involved), params)
        rows = cursor.fetchall()
    newest: dict[int, ArchiveEntry] = {}
    entry = None
    for pk, meeting_id, number, title, starts_at, file_id, name, size in rows:
        if entry is None or entry.pk != pk:
            # ordered by number: the newest approved version of a meeting's minutes wins
            entry = newest[meeting_id] = ArchiveEntry(pk, number, meeting_id, title, aware(starts_at), [])
        if file_id is not None:
            entry.materials.append(ArchiveFile(file_id, name, size))
    return list(newest.values())
