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
        "queues": topic_queues_for(person, now=now),
        "rsvps": pending_rsvps_of(person),
        "actions": open_rows(
            owner=person, limit=20, cutoff=overdue_cutoff(now=now, calendar=business_calendar())
        ),
        "meetings": upcoming_meetings_for(person, now=now),
        "new_minutes": unread_minutes_of(person),
    }
