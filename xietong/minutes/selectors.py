"""Reading minutes and the meeting record they are drafted from."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import connections, router

from xietong.core.rawsql import aware, partial
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


_UNREAD_SQL = """
SELECT r.*, n."meeting_id" AS "n_meeting_id", n."number" AS "n_number", n."status" AS "n_status",
       m."title" AS "m_title", m."starts_at" AS "m_starts_at"
FROM "minutes_minutesreceipt" r
INNER JOIN "minutes_minutes" n ON n."id" = r."minutes_id"
INNER JOIN "meetings_meeting" m ON m."id" = n."meeting_id"
WHERE r."person_id" = %s AND r."read_at" IS NULL
ORDER BY r."delivered_at" DESC, r."id" DESC LIMIT %s
"""


def unread_minutes_of(person, *, limit: int = 20) -> list[MinutesReceipt]:
    """``person``'s unread approved minutes, newest first, each with ``minutes`` (number, status;
    not its text) and its ``meeting`` (title, start) loaded: one plain query on every visit to
    我的待办 (xietong/core/rawsql.py). Other fields load on access."""
    if person is None or person.pk is None:
        return []
    receipts = list(MinutesReceipt.objects.raw(_UNREAD_SQL, [person.pk, limit]))
    for r in receipts:
        db = r._state.db
        minutes = partial(
            Minutes, db, id=r.minutes_id, meeting_id=r.n_meeting_id, number=r.n_number, status=r.n_status
        )
        minutes.meeting = partial(
            Meeting, db, id=r.n_meeting_id, title=r.m_title, starts_at=aware(r.m_starts_at)
        )
        r.minutes = minutes
    return receipts


# The archive's two reads, written out (xietong/core/rawsql.py): same rows and order as the
# ORM filters they replaced (tests/test_archive_scale.py compares them).
_ARCHIVE_SQL = """
SELECT n."id", n."meeting_id", n."number", n."status", m."title" AS "m_title", m."starts_at" AS "m_starts_at"
FROM "minutes_minutes" n INNER JOIN "meetings_meeting" m ON m."id" = n."meeting_id"
WHERE n."status" = %s AND m."starts_at" >= %s AND m."starts_at" < %s{involved}
ORDER BY m."starts_at", n."meeting_id", n."number"
"""
# Invited to, hosted or recorded the meeting.
_ARCHIVE_INVOLVED = """ AND (m."host_id" = %s OR m."recorder_id" = %s OR EXISTS (
  SELECT 1 FROM "meetings_rsvp" r WHERE r."meeting_id" = n."meeting_id" AND r."invitee_id" = %s))"""
_ARCHIVE_FILES_SQL = """
SELECT f."id", f."topic_id", f."name", f."size", g."meeting_id" AS "meeting_id"
FROM "topics_topicattachment" f
INNER JOIN "agenda_agendaitem" i ON i."topic_id" = f."topic_id"
INNER JOIN "agenda_agenda" g ON g."id" = i."agenda_id"
WHERE g."meeting_id" IN ({ids})
ORDER BY i."position", f."uploaded_at", f."id"
"""


def archive_minutes(user, *, start, end, sees_all: bool) -> list[Minutes]:
    """The newest approved minutes of each meeting starting in [start, end) that ``user`` may
    read (all of them when ``sees_all``: the coordinator and the leadership group; otherwise
    the meetings they were invited to, hosted or recorded), oldest meeting first, each with
    ``meeting`` (title, start) loaded and ``materials``: the files attached to the topics on that
    meeting's agenda. Two queries whatever the archive's size; the minutes' text is not loaded.
    """
    from xietong.topics.models import TopicAttachment

    db = router.db_for_read(Minutes)
    ops = connections[db].ops
    params: list = [Minutes.Status.APPROVED.value, ops.adapt_datetimefield_value(start)]
    params.append(ops.adapt_datetimefield_value(end))
    involved = ""
    if not sees_all:
        involved = _ARCHIVE_INVOLVED
        params += [user.pk] * 3
    newest: dict[int, Minutes] = {}
    for m in Minutes.objects.using(db).raw(_ARCHIVE_SQL.format(involved=involved), params):
        m.meeting = partial(Meeting, db, id=m.meeting_id, title=m.m_title, starts_at=aware(m.m_starts_at))
        m.materials = []
        newest[m.meeting_id] = m  # ordered by number: the newest approved version wins
    if newest:
        ids = list(newest)
        sql = _ARCHIVE_FILES_SQL.format(ids=", ".join(["%s"] * len(ids)))
        for f in TopicAttachment.objects.using(db).raw(sql, ids):
            newest[f.meeting_id].materials.append(f)
    return list(newest.values())
