"""Shared test helpers for the meetings and agenda apps (plain functions, no fixtures)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from xietong.agenda import services as agenda_services
from xietong.meetings import services
from xietong.meetings.models import Meeting
from xietong.policy.calendar import SHANGHAI
from xietong.policy.models import PolicyVersion
from xietong.policy.rules import load_preset, to_data
from xietong.topics.models import Topic


def sh(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


# The test organisation is built on Monday 2026-03-02 09:00; its weekly series meets on
# Mondays at 09:00. For the meeting of Monday 2026-03-09 under seed 01:
MON = sh(2026, 3, 2, 9, 0)
THU_1600 = sh(2026, 3, 5, 16, 0)  # before the agenda cut-off (Thu 17:00, 第五条(二)1)
THU_1800 = sh(2026, 3, 5, 18, 0)  # after the agenda cut-off, before the absence lead (Fri 09:00)
FRI_1000 = sh(2026, 3, 6, 10, 0)  # after the absence lead, before the notice lead (Fri 17:00)
FRI_1800 = sh(2026, 3, 6, 18, 0)  # after the notice lead
MEETING = sh(2026, 3, 9, 9, 0)


def next_meeting(torg) -> Meeting:
    return services.series_next_meeting(series=torg.series, now=MON)


def make_topic(
    torg,
    meeting: Meeting,
    *,
    title: str = "议题",
    dept: str = "tech",
    priority: int | None = Topic.Priority.NORMAL,
    budget: int | None = None,
    submitted_at: datetime | None = None,
    involved: tuple[str, ...] = (),
    author=None,
) -> Topic:
    """A TRIAGED topic targeting ``meeting`` (created directly: budgets left unset on purpose)."""
    department = torg.departments[dept]
    topic = Topic.objects.create(
        title=title,
        department=department,
        author=author or getattr(torg, f"{dept}_liaison", torg.tech_liaison),
        series=torg.series,
        meeting=meeting,
        status=Topic.Status.TRIAGED,
        background="背景",
        collaboration_need="需求",
        expected_outcome="成果",
        initial_solution="方案",
        category=Topic.Category.ISSUE,
        priority=priority,
        budget_minutes=budget,
        created_at=MON,
        updated_at=MON,
        submitted_at=submitted_at or MON,
    )
    for key in involved:
        topic.departments_involved.add(torg.departments[key])
    return topic


def confirmed_meeting(torg, *, topics: int = 1) -> Meeting:
    """The 03-09 meeting with ``topics`` tech topics, agenda built and confirmed on time."""
    meeting = next_meeting(torg)
    for n in range(topics):
        make_topic(torg, meeting, title=f"议题{n + 1}", involved=("market",))
    agenda = agenda_services.agenda_build(meeting=meeting, actor=torg.coordinator, now=THU_1600)
    agenda_services.agenda_confirm(agenda=agenda, actor=torg.coordinator, now=THU_1600)
    meeting.refresh_from_db()
    return meeting


def published_meeting(torg, *, now: datetime = THU_1800, topics: int = 1) -> Meeting:
    meeting = confirmed_meeting(torg, topics=topics)
    services.meeting_publish(meeting=meeting, actor=torg.coordinator, now=now)
    meeting.refresh_from_db()
    return meeting


def policy_version_with(policy, preset: str, **changes) -> PolicyVersion:
    """A new version of ``policy`` from ``preset`` with rule values changed, e.g.
    ``open_discussion_slot={"minutes": 0}``."""
    data = to_data(load_preset(preset))
    data["policy"]["key"] = policy.key
    for key, values in changes.items():
        data["rules"].setdefault(key, {}).update(values)
    last = policy.versions.order_by("-number").first()
    return PolicyVersion.objects.create(
        policy=policy, number=last.number + 1, data=data, created_at=timezone.now(), reason="test"
    )
