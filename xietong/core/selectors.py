"""The home page, 我的待办: the ledger's open duties plus role queues."""

from __future__ import annotations

from datetime import datetime

from xietong.obligations.selectors import open_duty_rows


def todo_for(person, *, now: datetime) -> dict:
    from xietong.actions.selectors import open_rows
    from xietong.obligations.colours import overdue_cutoff
    from xietong.policy.selectors import business_calendar
    from xietong.topics.selectors import topic_queues_for

    return {
        "duty_rows": open_duty_rows(person, limit=50, now=now),
        "queues": topic_queues_for(person, now=now),
        "actions": open_rows(
            owner=person, limit=20, cutoff=overdue_cutoff(now=now, calendar=business_calendar())
        ),
        **meeting_lists(person, now=now),
    }


# 我的待办's three meeting lists in one read (the ORM filters they stand for are in
# meetings/tests/test_home_lists.py and minutes/tests/test_unread_reads.py, which compare them
# row for row), as one UNION ALL whose branches share typed columns: (list, id, id, number,
# title, location, status, time); an empty column is a typed NULL, as PostgreSQL matches the
# branches' column types. The limits are written into the statement (integers from the code):
# with a bound LIMIT, SQLite plans for a short one and walks every meeting by start time
# instead of the few not yet ended (5x slower at five years of meetings).
_MEETING_LISTS_SQL = """
SELECT * FROM (SELECT 'rsvp' AS "k", r."id" AS "a", m."id" AS "b", CAST(NULL AS bigint) AS "c",
  m."title" AS "t", CAST(NULL AS varchar(200)) AS "place", CAST(NULL AS varchar(20)) AS "status", m."starts_at" AS "at"
  FROM "meetings_rsvp" r INNER JOIN "meetings_meeting" m ON m."id" = r."meeting_id"
  WHERE r."invitee_id" = %s AND r."response" = %s AND m."status" = %s AND m."starts_at" > %s
  ORDER BY m."starts_at", r."id" LIMIT {rsvps}) q1
UNION ALL SELECT * FROM (SELECT 'meeting', m."id", CAST(NULL AS bigint), CAST(NULL AS bigint), m."title",
  m."location", m."status", m."starts_at"
  FROM "meetings_meeting" m WHERE m."ends_at" > %s AND m."status" <> %s{involved}
  ORDER BY m."starts_at", m."id" LIMIT {meetings}) q2
UNION ALL SELECT * FROM (SELECT 'minutes', r."id", n."id", n."number", m."title", CAST(NULL AS varchar(200)),
  CAST(NULL AS varchar(20)), r."delivered_at"
  FROM "minutes_minutesreceipt" r INNER JOIN "minutes_minutes" n ON n."id" = r."minutes_id"
  INNER JOIN "meetings_meeting" m ON m."id" = n."meeting_id"
  WHERE r."person_id" = %s AND r."read_at" IS NULL ORDER BY r."delivered_at" DESC, r."id" DESC LIMIT {minutes}) q3
"""


# meetings.selectors._involved(person), written out: invited (or named delegate), host or recorder.
_INVOLVED = """ AND (m."host_id" = %s OR m."recorder_id" = %s OR EXISTS (
  SELECT 1 FROM "meetings_rsvp" r WHERE r."meeting_id" = m."id" AND (r."invitee_id" = %s OR r."delegate_id" = %s)))"""


def meeting_lists(person, *, now: datetime, minutes_limit: int = 20) -> dict[str, list[tuple]]:
    """我的待办's meeting lists as plain rows, in one query: "rsvps" — notices ``person`` has not
    answered, for published meetings still to come: (meeting id, title, start); "meetings" —
    the next meetings they take part in (every one for the coordinator), not cancelled: (id,
    title, start, place, status label); "new_minutes" — their unread minutes, newest first:
    (minutes id, meeting title, version, delivered)."""
    from django.db import connections, router

    from xietong.core.labels import choice_labels
    from xietong.core.rawsql import aware
    from xietong.meetings.models import Meeting, Rsvp
    from xietong.meetings.selectors import HOME_MEETINGS, HOME_RSVPS
    from xietong.org.permissions import roles_of
    from xietong.policy.calendar import as_shanghai

    found: dict[str, list[tuple]] = {"rsvps": [], "meetings": [], "new_minutes": []}
    if person is None or not person.is_authenticated:
        return found
    db = router.db_for_read(Meeting)
    at = connections[db].ops.adapt_datetimefield_value(now)
    params: list = [person.pk, Rsvp.Response.PENDING.value, Meeting.Status.PUBLISHED.value, at]
    params += [at, Meeting.Status.CANCELLED.value]
    involved = ""
    if not roles_of(person, on=as_shanghai(now).date()).is_coordinator:
        involved = _INVOLVED
        params += [person.pk] * 4
    params.append(person.pk)
    sql = _MEETING_LISTS_SQL.format(
        involved=involved, rsvps=int(HOME_RSVPS), meetings=int(HOME_MEETINGS), minutes=int(minutes_limit)
    )
    with connections[db].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    labels = choice_labels(Meeting.Status)
    for kind, a, b, number, title, place, status, when in rows:
        if kind == "rsvp":
            found["rsvps"].append((b, title, aware(when)))
        elif kind == "meeting":
            found["meetings"].append((a, title, aware(when), place, labels.get(status, status)))
        else:
            found["new_minutes"].append((b, title, number, aware(when)))
    return found
