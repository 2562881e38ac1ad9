"""Shared helpers for the live room tests (plain functions, no fixtures)."""

from __future__ import annotations

from xietong.live import services
from xietong.meetings.models import Meeting
from xietong.meetings.tests.factories import policy_version_with, published_meeting, sh

START = sh(2026, 3, 9, 9, 0)  # the 03-09 weekly meeting's scheduled start
EARLY = sh(2026, 3, 9, 8, 50)
OPEN = sh(2026, 3, 9, 9, 2)
DURING = sh(2026, 3, 9, 9, 10)
LATER = sh(2026, 3, 9, 9, 30)

# Invitees of the published 03-09 meeting (topics from tech involving market): the
# coordinator, every head, the liaisons of tech and market, the host and the recorder.
INVITEES = (
    "coordinator",
    "tech_head",
    "market_head",
    "finance_head",
    "tech_liaison",
    "market_liaison",
    "host",
    "recorder",
)


def live_meeting(torg, *, topics: int = 2, **rules) -> Meeting:
    """The published 03-09 meeting; ``rules`` change its policy (e.g. seed 02's vote rule)."""
    meeting = published_meeting(torg, topics=topics)
    if rules:
        version = policy_version_with(torg.policy, "seed01-weekly", **rules)
        Meeting.objects.filter(pk=meeting.pk).update(policy_version=version)
        meeting.refresh_from_db()
    return meeting


SEED02_VOTE = {
    "majority_method": {"clause": "《跨部门业务协调会议的标准流程与措施》四、(一)", "value": "absolute"},
    "min_agree_votes": {"clause": "《跨部门业务协调会议的标准流程与措施》四、(一)", "count": 5},
    "quorum_percent": {"clause": "本组织补充（补充第五条(二)2）", "count": 50},
    "speaking_limit": {"clause": "《跨部门业务协调会议的标准流程与措施》三、(一)1", "minutes": 3},
}


def started(torg, meeting, *, now=OPEN, sign_in=INVITEES, at=EARLY):
    """Sign ``sign_in`` in (at ``at``), start the meeting and its first item."""
    for key in sign_in:
        services.signin_self(meeting=meeting, actor=getattr(torg, key), now=at)
    services.room_open(meeting=meeting, actor=torg.host, now=now)
    services.item_next(meeting=meeting, actor=torg.host, now=now)
    return meeting


def version(meeting) -> int:
    return services.room_for(meeting).version
