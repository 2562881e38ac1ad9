"""The home page, 我的待办: the ledger's open duties plus role queues."""

from __future__ import annotations

from datetime import datetime

from xietong.obligations.selectors import open_obligations_page


def todo_for(person, *, now: datetime) -> dict:
    from xietong.actions.selectors import open_rows, overdue_cutoff
    from xietong.meetings.selectors import pending_rsvps_of, upcoming_meetings_for
    from xietong.minutes.selectors import unread_minutes_of
    from xietong.policy.selectors import business_calendar
    from xietong.topics.selectors import topic_queues_for

    obligations = open_obligations_page(person, limit=50)
    return {
        "obligations": obligations,
        "duty_rows": duty_rows(obligations, now=now),
        "queues": topic_queues_for(person, now=now),
        "rsvps": pending_rsvps_of(person),
        "actions": open_rows(
            owner=person, limit=20, cutoff=overdue_cutoff(now=now, calendar=business_calendar())
        ),
        "meetings": upcoming_meetings_for(person, now=now),
        "new_minutes": unread_minutes_of(person),
    }


def duty_rows(obligations, *, now: datetime) -> list[tuple]:
    """What each duty row of 我的待办 shows, worked out in Python once per row (a busy person
    has dozens): (late, due, colour, calendar flagged, link or "", kind label, subject text,
    clause)."""
    from xietong.core.jinja import localtime
    from xietong.obligations.selectors import colour

    rows = []
    for o in obligations:
        target = o.subject
        link = target.get_absolute_url() if target is not None and hasattr(target, "get_absolute_url") else ""
        rows.append(
            (
                o.is_late(now),
                localtime(o.due_at),
                colour(o, now),
                o.calendar_flagged,
                link,
                o.get_kind_display(),
                str(target) if link else "",
                o.clause,
            )
        )
    return rows
