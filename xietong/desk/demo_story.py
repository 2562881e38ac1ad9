"""The demo's present: what each persona of the README finds on 我的待办 when they first log in.

After the weeks of history (``demo.load_history``) the two most recent weekly meetings are held
through the record and minutes services — the earlier one's minutes approved and distributed,
the latest one's sent to the host and waiting for approval, with decisions that give the
deputy, the plain employee and the delegate their action items, the liaisons their
acknowledgements and the leadership group a resource decision to answer — and an emergency
meeting today (or tomorrow, late in the day) gets a confirmed agenda and a published notice,
so the host can open its live room. Every step is taken by its real service at a moment
before ``now`` computed from the meetings' own times, so a pinned ``now`` always gives the
same demo.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from xietong.agenda.services import agenda_build, agenda_confirm
from xietong.meetings.models import Meeting, MeetingSeries
from xietong.meetings.services import meeting_create_emergency, meeting_publish
from xietong.minutes.models import Minutes
from xietong.minutes.services import minutes_approve, minutes_draft, minutes_submit
from xietong.obligations.services import obligations_mark_breached
from xietong.org.models import Department, Person
from xietong.policy.calendar import SHANGHAI, as_shanghai
from xietong.records.services import decision_create, item_record, items_without_outcome, record_close


@dataclass(frozen=True)
class DemoDecision:
    text: str
    department: str
    responsible: str
    days: int  # the deadline, days after the meeting
    amount: int = 0  # > 0: allocates money and waits for the leadership group


# The latest meeting's decisions: the deputy (杨帆), the plain employee (潘伟) and the delegate
# (邹明) each own an action item; the test lab's expansion waits for the leadership group.
DECISIONS = (
    DemoDecision(
        "研发一部牵头完成新一代控制器样机联调问题清单的复测，并在下次例会通报结果。",
        "研发一部",
        "yangfan",
        14,
    ),
    DemoDecision(
        "研发二部上线测试仪器预约表，两个研发部按项目优先级错峰使用示波器。", "研发二部", "panwei", 10
    ),
    DemoDecision(
        "生产部在二号产线换型期间每日发布缺料清单，采购部逐项回复到货时间。", "生产部", "zouming", 7
    ),
    DemoDecision(
        "测试环境服务器扩容，购置两台测试服务器，费用由技术中心预算列支。", "测试部", "heping", 30, 80_000
    ),
)

EMERGENCY_TITLE = "新品发布会筹备专题协调会"
EMERGENCY_REASON = "新品发布会提前一周，宣传素材与技术参数需当天协调确认。"
EMERGENCY_PLACE = "三楼第二会议室"
EMERGENCY_MINUTES = 60
# Before this hour the emergency meeting is held today at EMERGENCY_TODAY, else tomorrow at
# EMERGENCY_TOMORROW.
EMERGENCY_CUTOFF = time(14, 0)
EMERGENCY_TODAY = time(16, 0)
EMERGENCY_TOMORROW = time(10, 0)


def _settle(meeting: Meeting, *, recorder: Person, at: datetime) -> None:
    """Every agenda item gets its outcome (the open-discussion slot needs none)."""
    for title in items_without_outcome(meeting):
        item = meeting.agenda.items.get(title=title)
        item_record(item=item, outcome="closed", actor=recorder, now=at)


def _hold(meeting: Meeting, *, people: dict, decisions=(), approve: bool) -> Minutes:
    """The recorder settles the items, records ``decisions`` and closes the record just after
    the meeting, then drafts the minutes and sends them to the host, who approves them when
    ``approve``."""
    recorder, host = people["zhaoxue"], people["liuyang"]
    departments = {d.name: d for d in Department.objects.all()}
    start, end = meeting.starts_at, meeting.ends_at
    _settle(meeting, recorder=recorder, at=start + timedelta(minutes=20))
    for n, spec in enumerate(decisions):
        decision_create(
            meeting=meeting,
            text=spec.text,
            department=departments[spec.department],
            responsible=people[spec.responsible],
            due_on=as_shanghai(start).date() + timedelta(days=spec.days),
            actor=recorder,
            now=start + timedelta(minutes=30 + n),
            allocates_resources=spec.amount > 0,
            resource_kind="money" if spec.amount else "",
            amount=spec.amount or None,
            voted=True,
        )
    record_close(meeting=meeting, actor=recorder, now=end + timedelta(minutes=10))
    minutes = minutes_draft(meeting=meeting, actor=recorder, now=end + timedelta(minutes=20))
    minutes = minutes_submit(minutes=minutes, actor=recorder, now=end + timedelta(minutes=40))
    if approve:
        minutes = minutes_approve(minutes=minutes, actor=host, now=end + timedelta(minutes=50))
    return minutes


def hold_recent_meetings(*, series: MeetingSeries, people: dict, now: datetime) -> list[Meeting]:
    """The two latest weekly meetings that ended at least an hour before ``now``: the earlier
    one's minutes approved, the latest one's waiting for the host."""
    recent = list(
        Meeting.objects.filter(
            series=series, status=Meeting.Status.PUBLISHED, ends_at__lte=now - timedelta(hours=1)
        ).order_by("-starts_at")[:2]
    )
    if len(recent) == 2:
        _hold(recent[1], people=people, approve=True)
    if recent:
        _hold(recent[0], people=people, decisions=DECISIONS, approve=False)
    return recent


def emergency_start(now: datetime) -> datetime:
    """Today at EMERGENCY_TODAY when ``now`` is before EMERGENCY_CUTOFF, else tomorrow at
    EMERGENCY_TOMORROW (Shanghai time)."""
    local = as_shanghai(now)
    if local.time() < EMERGENCY_CUTOFF:
        return datetime.combine(local.date(), EMERGENCY_TODAY, tzinfo=SHANGHAI)
    return datetime.combine(local.date() + timedelta(days=1), EMERGENCY_TOMORROW, tzinfo=SHANGHAI)


def announce_emergency_meeting(*, series: MeetingSeries, coordinator: Person, now: datetime) -> Meeting:
    """The coordinator called an emergency meeting a quarter of an hour ago: scheduled, its
    agenda built and confirmed, its notice published (an emergency, inside the notice lead)."""
    at = now - timedelta(minutes=15)
    meeting = meeting_create_emergency(
        series=series,
        title=EMERGENCY_TITLE,
        starts_at=emergency_start(now),
        duration_minutes=EMERGENCY_MINUTES,
        location=EMERGENCY_PLACE,
        reason=EMERGENCY_REASON,
        actor=coordinator,
        now=at,
    )
    agenda = agenda_build(meeting=meeting, actor=coordinator, now=at + timedelta(minutes=2))
    agenda_confirm(agenda=agenda, actor=coordinator, now=at + timedelta(minutes=4))
    meeting_publish(
        meeting=meeting,
        actor=coordinator,
        now=at + timedelta(minutes=6),
        emergency=True,
        emergency_reason=EMERGENCY_REASON,
    )
    meeting.refresh_from_db()
    return meeting


def load_present(*, series: MeetingSeries, people: dict, now: datetime) -> None:
    """Hold the recent meetings, announce today's emergency meeting, and let the ledger mark
    what is late by ``now``."""
    hold_recent_meetings(series=series, people=people, now=now)
    announce_emergency_meeting(series=series, coordinator=people["chenjing"], now=now)
    obligations_mark_breached(now=now)
