"""``xietong generate``: build a large, realistic organisation fast, for measurement.

This is a fixture generator for benchmarks (see ``bench/``), not a product feature: it writes
rows directly with ``bulk_create`` and does NOT go through the services (no events, no
permission checks; each action item's due-date duty is written into the ledger in the state the
services would have left it), because going row by row through the services
would take hours at 100k action items. The demo (``xietong demo``) uses the real services.

At scale 1 with the defaults: 30 departments, 500 people with roles, the seed01 policy, one
weekly series, 5 years of weekly meetings (each with topics, an agenda, a notice, every
invitee's reply, the meeting's duties in the ledger, decisions and approved minutes) and ~100k
action items with mixed statuses, spread due dates (some overdue) and the liaisons' progress
reports. ``--scale N`` multiplies the meeting history (N × the weeks, further back in time)
and therefore the action items; the number of items per meeting stays the same.

Only loads into a database without departments.
"""

from __future__ import annotations

import random
import time as clock
import uuid
from datetime import datetime, time, timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from xietong.actions.models import ActionItem, ProgressReport
from xietong.actions.services import ACTION_DUE_RULE
from xietong.agenda.models import Agenda, AgendaItem
from xietong.meetings.models import Meeting, MeetingSeries, Notice, Rsvp
from xietong.meetings.services import rsvp_due
from xietong.minutes.models import Minutes
from xietong.minutes.services import MINUTES_RULE, minutes_deadline
from xietong.obligations.colours import action_deadline
from xietong.obligations.models import Obligation, ObligationKind
from xietong.obligations.services import reminder_schedule, warning_start
from xietong.org.models import Department, Organization, Person, Role, RoleAssignment
from xietong.policy.calendar import SHANGHAI, CalendarResult, as_shanghai
from xietong.policy.models import PolicyVersion
from xietong.policy.selectors import business_calendar
from xietong.policy.services import policy_install_preset
from xietong.records.models import Decision
from xietong.records.services import DECISION_ACK_RULE
from xietong.topics.models import Topic

PRESET = "seed01-weekly"
PASSWORD = "xietong-bench-2026"
TARGET_ITEMS = 100_000  # action items at scale 1
TOPICS_PER_MEETING = 5
CHUNK_MEETINGS = 100  # meetings written per batch (bounded memory at large scales)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰文斌辉鹏飞雪梅琳晨宇浩然"
UNITS = [
    "办公室",
    "人力资源",
    "财务",
    "研发",
    "测试",
    "运维",
    "市场",
    "销售",
    "客服",
    "生产",
    "采购",
    "质量",
    "物流",
    "法务",
    "安全",
    "设备",
    "工艺",
    "计划",
    "仓储",
    "审计",
]
VERBS = ["完成", "落实", "整理", "提交", "协调", "推进", "核对", "修订", "梳理", "组织"]
THINGS = [
    "供应商评估报告",
    "设备检修计划",
    "客户投诉台账",
    "季度预算",
    "安全检查整改",
    "新员工培训方案",
    "产品测试用例",
    "合同审核",
    "库存盘点",
    "工艺文件",
]


def _action_status(r: float, *, overdue: bool) -> str:
    """An action item's state from a random draw: older work mostly finished, a few left overdue."""
    if overdue:
        return "done" if r < 0.9 else ("cancelled" if r < 0.95 else ("open" if r < 0.98 else "in_progress"))
    return "open" if r < 0.5 else ("in_progress" if r < 0.8 else "done")


def _agenda_items(agendas, topics) -> list[AgendaItem]:
    """Each agenda's follow-up item, then one item per topic of its meeting."""
    items = []
    for a_i, agenda in enumerate(agendas):
        items.append(
            AgendaItem(
                agenda=agenda,
                kind=AgendaItem.Kind.FOLLOW_UP,
                position=1,
                title="上次会议决议跟踪",
                budget_minutes=10,
            )
        )
        for k in range(TOPICS_PER_MEETING):
            t = topics[a_i * TOPICS_PER_MEETING + k]
            items.append(
                AgendaItem(
                    agenda=agenda,
                    kind=AgendaItem.Kind.TOPIC,
                    topic=t,
                    position=k + 2,
                    title=t.title,
                    budget_minutes=15,
                )
            )
    return items


def _invitees(*, coordinator, host, recorder, heads, liaisons, topics) -> dict:
    """Who a meeting invites, once each: person id → (person, invited as, department)."""
    invited = {coordinator.pk: (coordinator, Rsvp.InvitedAs.COORDINATOR, coordinator.department)}
    invited.setdefault(host.pk, (host, Rsvp.InvitedAs.HOST, host.department))
    invited.setdefault(recorder.pk, (recorder, Rsvp.InvitedAs.RECORDER, recorder.department))
    for dept, head in heads.items():
        invited.setdefault(head.pk, (head, Rsvp.InvitedAs.HEAD, dept))
    for topic in topics:
        liaison = liaisons[topic.department]
        invited.setdefault(liaison.pk, (liaison, Rsvp.InvitedAs.LIAISON, topic.department))
    return invited


def _held_reply(rnd, m, *, due, head: bool, colleagues):
    """An invitee's reply to a held meeting: (response, delegate, reason, answered at, late)."""
    r = rnd.random()
    late = r > 0.97
    answered = (
        (due.value + timedelta(hours=2)) if late else m.published_at + timedelta(minutes=rnd.randint(5, 600))
    )
    answered = min(answered, m.starts_at)
    if r < 0.06 and head:
        delegate = rnd.choice(colleagues) if colleagues else None
        return Rsvp.Response.DELEGATE, delegate, "出差，由本科室同事代为参会。", answered, late
    if r < 0.1:
        return Rsvp.Response.ABSENT, None, "外出培训，无法参会。", answered, late
    return Rsvp.Response.ATTEND, None, "", answered, late


class Command(BaseCommand):
    help = "Generate a large organisation for benchmarks (bulk inserts, not the services)."

    def add_arguments(self, parser):
        parser.add_argument("--departments", type=int, default=30)
        parser.add_argument("--people", type=int, default=500)
        parser.add_argument("--years", type=int, default=5)
        parser.add_argument("--scale", type=int, default=1, help="multiply the meeting history (and items)")
        parser.add_argument(
            "--items-per-meeting",
            type=int,
            default=0,
            help="action items per meeting (default: ~100k in total at scale 1)",
        )
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, **opts):
        if Department.objects.exists():
            raise CommandError("The database already has departments; generate needs an empty one.")
        n_dept = max(1, opts["departments"])
        n_people = max(n_dept * 2 + 4, opts["people"])
        weeks_base = max(1, opts["years"] * 52)
        weeks = weeks_base * max(1, opts["scale"])
        per_meeting = opts["items_per_meeting"] or max(1, round(TARGET_ITEMS / weeks_base))
        rnd = random.Random(opts["seed"])  # noqa: S311 (fixture data, not security)
        now = timezone.now()
        started = clock.monotonic()
        with transaction.atomic():
            people, heads, liaisons, coordinator, host, recorder = self._org(rnd, n_dept, n_people, now)
            policy = policy_install_preset(name=PRESET, now=now)
            version = PolicyVersion.objects.filter(policy=policy).order_by("-number").first()
            series = MeetingSeries.objects.create(
                name="跨科室周例会", policy=policy, host=host, recorder=recorder, location="三楼第一会议室"
            )
            today = as_shanghai(now).date()
            next_monday = today + timedelta(days=(7 - today.weekday()) % 7 or 7)
            mondays = [next_monday - timedelta(weeks=w) for w in range(weeks, -1, -1)]
            depts = list(heads)
            total = 0
            for i in range(0, len(mondays), CHUNK_MEETINGS):
                total += self._meetings(
                    rnd,
                    mondays[i : i + CHUNK_MEETINGS],
                    today=today,
                    now=now,
                    version=version,
                    series=series,
                    host=host,
                    recorder=recorder,
                    coordinator=coordinator,
                    depts=depts,
                    heads=heads,
                    liaisons=liaisons,
                    people=people,
                    per_meeting=per_meeting,
                )
        self.stdout.write(
            f"generated {n_dept} departments, {len(people)} people, {len(mondays)} meetings, "
            f"{total} action items in {clock.monotonic() - started:.1f} s; "
            f"coordinator={coordinator.username} password={PASSWORD}"
        )

    def _org(self, rnd, n_dept, n_people, now):
        if not Organization.objects.exists():
            Organization.objects.create(name="华信精密制造有限公司")
        depts = Department.objects.bulk_create(
            [
                Department(
                    name=f"{UNITS[i % len(UNITS)]}{'部' if i < len(UNITS) else f'{i // len(UNITS) + 1}部'}",
                    sort_order=i,
                )
                for i in range(n_dept)
            ]
        )
        pw = make_password(PASSWORD)
        people = Person.objects.bulk_create(
            [
                Person(
                    username=f"p{i:05d}",
                    full_name=rnd.choice(SURNAMES) + rnd.choice(GIVEN) + rnd.choice(GIVEN),
                    department=depts[i % n_dept],
                    title="职员",
                    password=pw,
                    is_active=True,
                    date_joined=now,
                )
                for i in range(n_people)
            ]
        )
        # p00000 coordinator, p00001 host, p00002 recorder, p00003 leadership chair;
        # then per department a head and a liaison.
        coordinator, host, recorder, chair = people[:4]
        roles = [
            RoleAssignment(person=coordinator, role=Role.COORDINATOR),
            RoleAssignment(person=host, role=Role.HOST),
            RoleAssignment(person=recorder, role=Role.RECORDER),
            RoleAssignment(person=chair, role=Role.LEADERSHIP),
        ]
        heads, liaisons = {}, {}
        staff = people[4:]
        for i, dept in enumerate(depts):
            head, liaison = staff[2 * i], staff[2 * i + 1]
            heads[dept], liaisons[dept] = head, liaison
            roles.append(RoleAssignment(person=head, role=Role.HEAD, department=dept))
            roles.append(RoleAssignment(person=liaison, role=Role.LIAISON, department=dept))
        RoleAssignment.objects.bulk_create(roles)
        return people, heads, liaisons, coordinator, host, recorder

    def _meetings(
        self,
        rnd,
        mondays,
        *,
        today,
        now,
        version,
        series,
        host,
        recorder,
        coordinator,
        depts,
        heads,
        liaisons,
        people,
        per_meeting,
    ):
        meetings = []
        for monday in mondays:
            starts = datetime.combine(monday, time(9, 0), tzinfo=SHANGHAI)
            past = monday <= today
            meetings.append(
                Meeting(
                    series=series,
                    policy_version=version,
                    title=f"跨科室周例会 {monday:%Y-%m-%d}",
                    starts_at=starts,
                    ends_at=starts + timedelta(minutes=90),
                    location="三楼第一会议室",
                    host=host,
                    recorder=recorder,
                    status=Meeting.Status.HELD if past else Meeting.Status.PUBLISHED,
                    ics_uid=f"{uuid.uuid4()}@xietong",
                    published_at=starts - timedelta(days=3),
                )
            )
        meetings = Meeting.objects.bulk_create(meetings)
        agendas = Agenda.objects.bulk_create(
            [
                Agenda(
                    meeting=m,
                    status=Agenda.Status.PUBLISHED,
                    cap_minutes=90,
                    confirmed_at=m.starts_at - timedelta(days=3),
                    updated_at=m.starts_at - timedelta(days=3),
                )
                for m in meetings
            ]
        )
        topics = []
        for m in meetings:
            for _k in range(TOPICS_PER_MEETING):
                dept = rnd.choice(depts)
                thing = rnd.choice(THINGS)
                at = m.starts_at - timedelta(days=5)
                topics.append(
                    Topic(
                        title=f"关于{thing}的协调",
                        department=dept,
                        author=liaisons[dept],
                        series=series,
                        meeting=m,
                        status=Topic.Status.DONE
                        if m.status == Meeting.Status.HELD
                        else Topic.Status.SCHEDULED,
                        background=f"{thing}进度滞后，需要跨部门协调。",
                        collaboration_need="需要相关部门提供人员和数据支持。",
                        expected_outcome="明确分工和完成时间。",
                        initial_solution="由牵头部门制定计划，各部门配合。",
                        budget_minutes=15,
                        created_at=at,
                        updated_at=at,
                        submitted_at=at,
                    )
                )
        topics = Topic.objects.bulk_create(topics)
        items = AgendaItem.objects.bulk_create(_agenda_items(agendas, topics))
        by_agenda: dict[int, list[AgendaItem]] = {}
        for it in items:
            if it.kind == AgendaItem.Kind.TOPIC:
                by_agenda.setdefault(it.agenda_id, []).append(it)
        decisions = []
        held = [(m, agendas[i]) for i, m in enumerate(meetings) if m.status == Meeting.Status.HELD]
        for m, agenda in held:
            for it in by_agenda[agenda.pk]:
                dept = it.topic.department
                decisions.append(
                    Decision(
                        meeting=m,
                        agenda_item=it,
                        text=f"{it.title}：由{dept.name}牵头落实。",
                        department=dept,
                        responsible=heads[dept],
                        due_on=m.starts_at.date() + timedelta(days=rnd.randint(7, 45)),
                        status=Decision.Status.EFFECTIVE,
                        created_at=m.starts_at + timedelta(hours=1),
                    )
                )
        decisions = Decision.objects.bulk_create(decisions)
        by_meeting: dict[int, list[Decision]] = {}
        for d in decisions:
            by_meeting.setdefault(d.meeting_id, []).append(d)
        actions = self._actions(
            rnd, held, by_meeting, today=today, now=now, people=people, per_meeting=per_meeting
        )
        ActionItem.objects.bulk_create(actions, batch_size=2000)
        self._ledger(actions, now=now, version=version)
        self._progress_reports(rnd, actions, liaisons=liaisons, now=now)
        Minutes.objects.bulk_create(
            [
                Minutes(
                    meeting=m,
                    number=1,
                    body=f"{m.title}纪要。\n一、会议决议\n（略）",
                    status=Minutes.Status.APPROVED,
                    drafted_by=recorder,
                    drafted_at=m.ends_at,
                    updated_at=m.ends_at + timedelta(days=1),
                    submitted_at=m.ends_at + timedelta(hours=3),
                    approved_by=host,
                    approved_at=m.ends_at + timedelta(days=1),
                )
                for m, _agenda in held
            ]
        )
        self._notices_and_replies(
            rnd,
            meetings,
            topics=topics,
            decisions=by_meeting,
            now=now,
            version=version,
            coordinator=coordinator,
            host=host,
            recorder=recorder,
            heads=heads,
            liaisons=liaisons,
            people=people,
        )
        return len(actions)

    def _actions(self, rnd, held, by_meeting, *, today, now, people, per_meeting) -> list[ActionItem]:
        """The held meetings' action items, in every state, with their owners and due dates."""
        actions = []
        for m, _agenda in held:
            mdec = by_meeting[m.pk]
            day = as_shanghai(m.starts_at).date()
            age = (today - day).days
            for _k in range(per_meeting):
                d = rnd.choice(mdec)
                owner = rnd.choice(people)
                due = day + timedelta(days=rnd.randint(3, 90))
                status = _action_status(rnd.random(), overdue=due < today)
                created = m.starts_at + timedelta(hours=2)
                done_at = (
                    created + timedelta(days=rnd.randint(1, max(1, min(age, 60))))
                    if status == "done"
                    else None
                )
                actions.append(
                    ActionItem(
                        decision=d,
                        meeting=m,
                        title=f"{rnd.choice(VERBS)}{rnd.choice(THINGS)}",
                        department=owner.department,
                        owner=owner,
                        due_on=due,
                        status=status,
                        evidence="已完成，见附件。" if status == "done" else "",
                        done_at=done_at if done_at is None or done_at < now else now,
                        cancel_reason="需求取消" if status == "cancelled" else "",
                        created_at=created,
                        updated_at=created,
                    )
                )
        return actions

    def _notices_and_replies(
        self,
        rnd,
        meetings,
        *,
        topics,
        decisions,
        now,
        version,
        coordinator,
        host,
        recorder,
        heads,
        liaisons,
        people,
    ) -> None:
        """Per meeting what publishing and holding it leave behind, as the services write it:
        the notice; a reply from every invitee (the coordinator, host, recorder, every head, the
        liaisons of the topics' departments), mostly "attend", some delegated or absent with a
        reason, a few late; and the meeting's duties (agenda and notice by the coordinator, each
        invitee's reply, the minutes, each decision department's acknowledgement), met for a
        held meeting, pending for one still ahead."""
        calendar = business_calendar()
        rules = version.rules
        clause = {key: (rules.get(key).clause if rules.get(key) else "") for key in rules.rules}
        meeting_type = ContentType.objects.get_for_model(Meeting)
        by_dept: dict[int, list[Person]] = {}
        for person in people:
            by_dept.setdefault(person.department_id, []).append(person)
        notices, rsvps, duties = [], [], []
        S = Obligation.State

        def duty(m, kind, rule, due, who, *, department=None, done_at=None, late=False):
            pending = done_at is None
            duties.append(
                Obligation(
                    kind=kind,
                    rule=rule,
                    clause=clause.get(rule, ""),
                    policy_version=version,
                    responsible=who,
                    department=department or who.department,
                    subject_type=meeting_type,
                    subject_id=m.pk,
                    due_at=due.value,
                    calendar_flagged=due.flagged,
                    state=S.PENDING if pending else (S.BREACHED if late else S.MET),
                    opened_at=m.published_at,
                    closed_at=done_at,
                    warn_at=warning_start(
                        due_at=due.value, opened_at=m.published_at, rules=rules, calendar=calendar
                    ),
                )
            )

        for i, m in enumerate(meetings):
            held = m.status == Meeting.Status.HELD
            published = m.published_at
            notices.append(
                Notice(
                    meeting=m,
                    sequence=m.ics_sequence,
                    published_at=published,
                    published_by=coordinator,
                    body=(
                        f"会议通知\n{m.title}\n时间：{as_shanghai(m.starts_at):%Y年%m月%d日 %H:%M}\n"
                        f"地点：{m.location}\n主持人：{host.full_name}\n记录人：{recorder.full_name}\n"
                        "请各科室负责人准时参加；不能参加的，请于会前按制度请假并指定代理人。"
                    ),
                )
            )
            for kind, rule in (
                (ObligationKind.AGENDA, "agenda_cutoff"),
                (ObligationKind.NOTICE, "notice_lead"),
            ):
                due = rules.deadline(rule, m.starts_at, calendar)
                if due is not None:
                    done = min(published, due.value) if published <= now else None
                    duty(m, kind, rule, due, coordinator, done_at=done)
            invited = _invitees(
                coordinator=coordinator,
                host=host,
                recorder=recorder,
                heads=heads,
                liaisons=liaisons,
                topics=topics[i * TOPICS_PER_MEETING : (i + 1) * TOPICS_PER_MEETING],
            )
            rule, due = rsvp_due(m, now=published, calendar=calendar)
            for person, invited_as, dept in invited.values():
                response, delegate, reason, answered, late = Rsvp.Response.PENDING, None, "", None, False
                if held:
                    colleagues = [p for p in by_dept.get(dept.pk, []) if p.pk != person.pk]
                    response, delegate, reason, answered, late = _held_reply(
                        rnd, m, due=due, head=invited_as == Rsvp.InvitedAs.HEAD, colleagues=colleagues
                    )
                rsvps.append(
                    Rsvp(
                        meeting=m,
                        invitee=person,
                        invited_as=invited_as,
                        department=dept,
                        response=response,
                        delegate=delegate if response == Rsvp.Response.DELEGATE else None,
                        reason=reason,
                        answered_at=answered,
                        answered_late=late,
                        notified_at=published,
                        read_at=answered,
                    )
                )
                duty(m, ObligationKind.RSVP, rule, due, person, department=dept, done_at=answered, late=late)
            if held:
                due = minutes_deadline(m)
                duty(
                    m,
                    ObligationKind.MINUTES,
                    MINUTES_RULE,
                    due,
                    recorder,
                    done_at=due.value - timedelta(minutes=30),
                )
                ack = rules.get(DECISION_ACK_RULE)
                if ack is not None and ack.minutes is not None:
                    ack_due = CalendarResult(as_shanghai(m.ends_at) + timedelta(minutes=ack.minutes))
                    for dept in {d.department for d in decisions.get(m.pk, [])}:
                        duty(
                            m,
                            ObligationKind.DECISION_ACK,
                            DECISION_ACK_RULE,
                            ack_due,
                            liaisons[dept],
                            department=dept,
                            done_at=m.ends_at + timedelta(minutes=20),
                        )
        Notice.objects.bulk_create(notices, batch_size=2000)
        Rsvp.objects.bulk_create(rsvps, batch_size=2000)
        Obligation.objects.bulk_create(duties, batch_size=2000)

    def _progress_reports(self, rnd, actions: list[ActionItem], *, liaisons, now: datetime) -> None:
        """What the liaisons reported before the following meetings (seed 02 四): an open item
        has a report a week after its meeting and often another a week later (in progress, or
        delayed with a reason); half the finished items were reported done."""
        R = ProgressReport.Status
        reasons = ("等待供应商报价", "相关科室人员不足", "设备到货延迟")
        reports = []
        for item in actions:
            liaison = liaisons[item.department]
            if item.status in ("open", "in_progress"):
                for week, chance in ((6, 1.0), (13, 0.5)):
                    at = item.created_at + timedelta(days=week)
                    if at >= now or rnd.random() >= chance:
                        break
                    delayed = rnd.random() < 0.2
                    reports.append(
                        ProgressReport(
                            action_item=item,
                            reporter=liaison,
                            status=R.DELAYED if delayed else R.IN_PROGRESS,
                            reason=rnd.choice(reasons) if delayed else "",
                            note="已与相关科室对接，按计划推进。",
                            reported_at=at,
                        )
                    )
            elif item.status == "done" and item.done_at is not None and rnd.random() < 0.5:
                reports.append(
                    ProgressReport(
                        action_item=item,
                        reporter=liaison,
                        status=R.DONE,
                        note="已完成，见附件。",
                        reported_at=item.done_at,
                    )
                )
        ProgressReport.objects.bulk_create(reports, batch_size=2000)

    def _ledger(self, actions: list[ActionItem], *, now: datetime, version: PolicyVersion) -> None:
        """Each item's due-date duty, as the services keep it: pending while open and not yet
        due, breached once overdue, met when done, waived when cancelled; warning and reminder
        moments from the policy, as ``obligation_open`` computes them."""
        calendar = business_calendar()
        rules = version.rules
        rule = rules.get(ACTION_DUE_RULE)
        item_type = ContentType.objects.get_for_model(ActionItem)
        S, state_of = ActionItem.Status, Obligation.State
        duties = []
        for item in actions:
            due_at = action_deadline(item.due_on, calendar)
            open_item = item.status in (S.OPEN, S.IN_PROGRESS)
            if open_item:
                state = state_of.PENDING if due_at > now else state_of.BREACHED
            else:
                state = state_of.MET if item.status == S.DONE else state_of.WAIVED
            remind_at, remind_second_at, passed = (None, None, 0)
            if state == state_of.PENDING:
                remind_at, remind_second_at, passed = reminder_schedule(
                    due_at=due_at, opened_at=now, rules=rules
                )
            duties.append(
                Obligation(
                    kind=ObligationKind.ACTION_DUE,
                    rule=ACTION_DUE_RULE,
                    clause=rule.clause if rule else "",
                    policy_version=version,
                    responsible_id=item.owner_id,
                    department_id=item.department_id,
                    subject_type=item_type,
                    subject_id=item.pk,
                    due_at=due_at,
                    state=state,
                    opened_at=item.created_at,
                    closed_at=None if open_item else (item.done_at or item.updated_at),
                    note="" if state != state_of.WAIVED else "cancelled",
                    warn_at=warning_start(
                        due_at=due_at, opened_at=item.created_at, rules=rules, calendar=calendar
                    ),
                    remind_at=remind_at,
                    remind_second_at=remind_second_at,
                    reminded_step=passed,
                )
            )
        Obligation.objects.bulk_create(duties, batch_size=2000)
