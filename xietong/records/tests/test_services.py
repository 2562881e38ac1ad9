from __future__ import annotations

import importlib
from datetime import date
from decimal import Decimal

import pytest
from django.apps import apps as django_apps

from xietong.actions.models import ActionItem
from xietong.core.errors import DomainError, Forbidden
from xietong.core.models import Event
from xietong.meetings.models import Meeting
from xietong.meetings.services import meeting_schedule
from xietong.meetings.tests.factories import sh
from xietong.records import services
from xietong.records.models import Attendance, Decision, ItemRecord
from xietong.records.tests.helpers import BEFORE, DUE, DURING, decide, held_meeting, items_of
from xietong.topics.models import Topic

NOT_RECORDERS = ["coordinator", "chair", "tech_head", "tech_liaison", "outsider"]


@pytest.fixture
def meeting(torg):
    return held_meeting(torg)


# ---- attendance ---------------------------------------------------------------------------


def test_attendance_on_time_late_and_absent(torg, meeting):
    on_time = services.attendance_record(
        meeting=meeting,
        person=torg.tech_head,
        status="present",
        signed_in_at=sh(2026, 3, 9, 8, 55),
        actor=torg.recorder,
        now=DURING,
    )
    assert on_time.status == Attendance.Status.PRESENT
    late = services.attendance_record(
        meeting=meeting,
        person=torg.market_head,
        status="present",
        signed_in_at=sh(2026, 3, 9, 9, 7),
        actor=torg.host,
        now=sh(2026, 3, 9, 9, 30),
    )
    assert late.status == Attendance.Status.LATE and late.signed_in_at == sh(2026, 3, 9, 9, 7)
    absent = services.attendance_record(
        meeting=meeting,
        person=torg.finance_head,
        status="absent",
        reason="出差",
        actor=torg.recorder,
        now=DURING,
    )
    assert absent.status == Attendance.Status.ABSENT and absent.signed_in_at is None
    assert Event.objects.filter(name="attendance.recorded").count() == 3


def test_attendance_typed_in_after_the_start_is_present_not_late(torg, meeting):
    """From the paper sign-in sheet, after the meeting began: present is present."""
    row = services.attendance_record(
        meeting=meeting,
        person=torg.tech_head,
        status="present",
        actor=torg.recorder,
        now=sh(2026, 3, 9, 11, 0),
    )
    assert row.status == Attendance.Status.PRESENT and row.signed_in_at is None
    row = services.attendance_record(
        meeting=meeting, person=torg.tech_head, status="late", actor=torg.recorder, now=sh(2026, 3, 9, 11, 5)
    )
    assert row.status == Attendance.Status.LATE  # the recorder's explicit choice


def test_attendance_typed_in_keeps_the_live_sign_in_time(torg, meeting):
    """The live sign-in decides: on time stays present, after the start stays late."""
    services.attendance_signin(
        meeting=meeting, person=torg.tech_head, actor=torg.tech_head, now=sh(2026, 3, 9, 8, 58)
    )
    services.attendance_signin(
        meeting=meeting, person=torg.market_head, actor=torg.market_head, now=sh(2026, 3, 9, 9, 12)
    )
    later = sh(2026, 3, 9, 11, 0)
    on_time = services.attendance_record(
        meeting=meeting, person=torg.tech_head, status="present", actor=torg.recorder, now=later
    )
    assert (on_time.status, on_time.signed_in_at) == (Attendance.Status.PRESENT, sh(2026, 3, 9, 8, 58))
    late = services.attendance_record(
        meeting=meeting, person=torg.market_head, status="present", actor=torg.recorder, now=later
    )
    assert (late.status, late.signed_in_at) == (Attendance.Status.LATE, sh(2026, 3, 9, 9, 12))


def test_rows_stored_late_from_typing_time_are_corrected_where_the_sign_in_proves_presence(torg, meeting):
    """The data migration: a live sign-in before the start, overwritten later as "late" from the
    typing time, becomes present again; a row without such proof is left as it is."""
    services.attendance_signin(
        meeting=meeting, person=torg.tech_head, actor=torg.tech_head, now=sh(2026, 3, 9, 8, 58)
    )
    services.attendance_signin(
        meeting=meeting, person=torg.market_head, actor=torg.market_head, now=sh(2026, 3, 9, 9, 12)
    )
    services.attendance_record(
        meeting=meeting, person=torg.finance_head, status="late", actor=torg.recorder, now=DURING
    )
    # What the former rule stored for the on-time head typed in at 11:00.
    Attendance.objects.filter(person=torg.tech_head).update(status="late", signed_in_at=sh(2026, 3, 9, 11, 0))
    migration = importlib.import_module("xietong.records.migrations.0003_attendance_late_from_signin")
    migration.present_where_the_signin_proves_it(django_apps, None)
    rows = {a.person_id: (a.status, a.signed_in_at) for a in Attendance.objects.all()}
    assert rows[torg.tech_head.pk] == ("present", sh(2026, 3, 9, 8, 58))
    assert rows[torg.market_head.pk] == ("late", sh(2026, 3, 9, 9, 12))
    assert rows[torg.finance_head.pk][0] == "late"


def test_attendance_delegate_and_correction_keeps_one_row(torg, meeting):
    services.attendance_record(
        meeting=meeting,
        person=torg.tech_deputy,
        status="present",
        on_behalf_of=torg.tech_head,
        signed_in_at=sh(2026, 3, 9, 8, 50),
        actor=torg.recorder,
        now=DURING,
    )
    row = services.attendance_record(
        meeting=meeting,
        person=torg.tech_deputy,
        status="absent",
        reason="临时有事",
        actor=torg.recorder,
        now=DURING,
    )
    assert Attendance.objects.filter(meeting=meeting, person=torg.tech_deputy).count() == 1
    assert row.status == Attendance.Status.ABSENT and row.on_behalf_of is None


@pytest.mark.parametrize("who", NOT_RECORDERS)
def test_attendance_refused_to_others(torg, meeting, who):
    with pytest.raises(Forbidden):
        services.attendance_record(
            meeting=meeting, person=torg.tech_head, status="present", actor=getattr(torg, who), now=DURING
        )
    assert not Attendance.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"status": "absent"}, "required", "reason"),
        ({"status": "absent", "reason": "x" * 301}, "too_long", "reason"),
        ({"status": "tardy"}, "invalid_status", "status"),
        ({"status": "present", "on_behalf_of": "self"}, "delegate_self", "on_behalf_of"),
        ({"status": "present", "signed_in_at": sh(2026, 3, 9, 10, 0)}, "in_future", "signed_in_at"),
        ({"status": "present", "person": None}, "required", "person"),
    ],
)
def test_attendance_bad_input(torg, meeting, kwargs, code, field):
    kwargs = dict(kwargs)
    person = kwargs.pop("person", torg.tech_head)
    if kwargs.get("on_behalf_of") == "self":
        kwargs["on_behalf_of"] = torg.tech_head
    with pytest.raises(DomainError) as err:
        services.attendance_record(meeting=meeting, person=person, actor=torg.recorder, now=DURING, **kwargs)
    assert (err.value.code, err.value.field) == (code, field)
    assert not Attendance.objects.exists()


def test_attendance_refused_before_the_day_and_when_cancelled(torg, meeting):
    with pytest.raises(DomainError) as err:
        services.attendance_record(
            meeting=meeting,
            person=torg.tech_head,
            status="present",
            actor=torg.recorder,
            now=sh(2026, 3, 8, 18, 0),
        )
    assert err.value.code == "meeting_not_started"
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.CANCELLED)
    meeting.refresh_from_db()
    with pytest.raises(DomainError) as err:
        services.attendance_record(
            meeting=meeting, person=torg.tech_head, status="present", actor=torg.recorder, now=DURING
        )
    assert err.value.code == "meeting_cancelled"


def test_attendance_inactive_person_refused(torg, meeting):
    torg.outsider.is_active = False
    torg.outsider.save()
    with pytest.raises(DomainError) as err:
        services.attendance_record(
            meeting=meeting, person=torg.outsider, status="present", actor=torg.recorder, now=DURING
        )
    assert (err.value.code, err.value.field) == ("unknown_person", "person")


# ---- item records -------------------------------------------------------------------------


def test_item_decided_and_closed(torg, meeting):
    first, second = items_of(meeting)
    rec = services.item_record(
        item=first, outcome="decided", notes="<b>讨论</b>", actor=torg.recorder, now=DURING
    )
    assert rec.outcome == ItemRecord.Outcome.DECIDED and rec.notes == "<b>讨论</b>"
    rec = services.item_record(
        item=first, outcome="closed", notes="改为关闭", actor=torg.recorder, now=DURING
    )
    assert ItemRecord.objects.get(agenda_item=first).outcome == ItemRecord.Outcome.CLOSED
    services.item_record(item=second, outcome="closed", actor=torg.recorder, now=DURING)
    assert Event.objects.filter(name="item.recorded").count() == 3


def test_item_deferred_puts_the_topic_back_with_the_reason(torg, meeting):
    first, _second = items_of(meeting)
    reason = "技术部提供新方案后再次讨论"
    rec = services.item_record(
        item=first, outcome="deferred", reason=reason, notes="方案不成熟", actor=torg.recorder, now=DURING
    )
    topic = Topic.objects.get(pk=first.topic_id)
    following = Meeting.objects.get(series=torg.series, starts_at=sh(2026, 3, 16, 9, 0))
    assert topic.status == Topic.Status.TRIAGED
    assert topic.meeting_id == following.pk
    assert topic.deferral_reason == reason
    assert topic.rollover_count == 1
    assert rec.deferred_to_id == following.pk and rec.deferral_reason == reason
    assert Event.objects.filter(name="topic.rolled_over", subject_id=topic.pk).exists()
    event = Event.objects.get(name="item.recorded")
    assert event.actor_id == torg.recorder.pk and event.data["deferred_to"] == following.pk
    # Once deferred, the item's outcome is final.
    with pytest.raises(DomainError) as err:
        services.item_record(item=first, outcome="decided", actor=torg.recorder, now=DURING)
    assert err.value.code == "already_deferred"


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"outcome": "deferred"}, "required", "reason"),
        ({"outcome": "maybe"}, "invalid_outcome", "outcome"),
        ({"outcome": "decided", "notes": "x" * 10001}, "too_long", "notes"),
    ],
)
def test_item_bad_input(torg, meeting, kwargs, code, field):
    first, _ = items_of(meeting)
    with pytest.raises(DomainError) as err:
        services.item_record(item=first, actor=torg.recorder, now=DURING, **kwargs)
    assert (err.value.code, err.value.field) == (code, field)
    assert not ItemRecord.objects.exists()
    assert Topic.objects.get(pk=first.topic_id).status == Topic.Status.SCHEDULED


def test_item_open_discussion_cannot_be_deferred(torg, meeting):
    slot = meeting.agenda.items.get(topic__isnull=True)
    with pytest.raises(DomainError) as err:
        services.item_record(item=slot, outcome="deferred", reason="r", actor=torg.recorder, now=DURING)
    assert (err.value.code, err.value.field) == ("no_topic", "outcome")


@pytest.mark.parametrize("who", ["host", *NOT_RECORDERS])
def test_item_record_recorder_only(torg, meeting, who):
    first, _ = items_of(meeting)
    with pytest.raises(Forbidden):
        services.item_record(item=first, outcome="decided", actor=getattr(torg, who), now=DURING)
    assert not ItemRecord.objects.exists()


def test_item_record_before_start_refused(torg, meeting):
    first, _ = items_of(meeting)
    with pytest.raises(DomainError) as err:
        services.item_record(item=first, outcome="decided", actor=torg.recorder, now=BEFORE)
    assert err.value.code == "meeting_not_started"


# ---- decisions ----------------------------------------------------------------------------


def test_effective_decision_creates_its_action_item(torg, meeting):
    first, _ = items_of(meeting)
    decision = decide(torg, meeting, agenda_item=first, text="<script>alert(1)</script>\n细节")
    assert decision.status == Decision.Status.EFFECTIVE
    assert decision.text.startswith("<script>")  # stored as typed, escaped when shown
    item = ActionItem.objects.get(decision=decision)
    assert (item.owner_id, item.department_id, item.due_on, item.status) == (
        torg.tech_head.pk,
        torg.departments["tech"].pk,
        DUE,
        ActionItem.Status.OPEN,
    )
    assert item.title == "<script>alert(1)</script>"
    assert item.meeting_id == meeting.pk
    assert {e.name for e in Event.objects.all()} >= {"decision.created", "action.created"}


def test_host_may_record_a_decision_and_a_role_holder_may_be_responsible(torg, meeting):
    # The coordinator belongs to the office but heads it through a role; the liaison of tech by role.
    decision = decide(torg, meeting, actor=torg.host, responsible=torg.tech_liaison)
    assert decision.created_by_id == torg.host.pk
    assert ActionItem.objects.filter(decision=decision).exists()


@pytest.mark.parametrize("who", NOT_RECORDERS)
def test_decision_refused_to_others(torg, meeting, who):
    with pytest.raises(Forbidden):
        decide(torg, meeting, actor=getattr(torg, who))
    assert not Decision.objects.exists() and not ActionItem.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"text": "  "}, "required", "text"),
        ({"text": "x" * 2001}, "too_long", "text"),
        ({"department": None}, "required", "department"),
        ({"responsible": None}, "required", "responsible"),
        ({"responsible": "market_head"}, "responsible_not_in_department", "responsible"),
        ({"due_on": None}, "required", "due_on"),
        ({"due_on": date(2026, 3, 9)}, "due_not_after_meeting", "due_on"),
        ({"due_on": date(2026, 3, 1)}, "due_not_after_meeting", "due_on"),
        ({"allocates_resources": True, "amount": 100}, "required", "resource_kind"),
        ({"allocates_resources": True, "resource_kind": "money"}, "required", "amount"),
        (
            {"allocates_resources": True, "resource_kind": "money", "amount": "abc"},
            "invalid_amount",
            "amount",
        ),
        ({"allocates_resources": True, "resource_kind": "money", "amount": -5}, "invalid_amount", "amount"),
    ],
)
def test_decision_bad_input_saves_nothing(torg, meeting, overrides, code, field):
    if overrides.get("responsible") == "market_head":
        overrides = {**overrides, "responsible": torg.market_head}
    with pytest.raises(DomainError) as err:
        decide(torg, meeting, **overrides)
    assert (err.value.code, err.value.field) == (code, field)
    assert not Decision.objects.exists() and not ActionItem.objects.exists()


def test_decision_unknown_person_refused(torg, meeting):
    torg.tech_liaison.is_active = False
    torg.tech_liaison.save()
    with pytest.raises(DomainError) as err:
        decide(torg, meeting, responsible=torg.tech_liaison)
    assert (err.value.code, err.value.field) == ("unknown_person", "responsible")
    assert not Decision.objects.exists()


def test_decision_agenda_item_of_another_meeting_refused(torg, meeting):
    first, _ = items_of(meeting)
    later = meeting_schedule(series=torg.series, starts_at=sh(2026, 3, 23, 9, 0), now=DURING)
    with pytest.raises(DomainError) as err:
        decide(torg, later, agenda_item=first, now=sh(2026, 3, 23, 9, 30), due_on=date(2026, 4, 1))
    assert (err.value.code, err.value.field) == ("item_not_on_agenda", "agenda_item")
    assert not Decision.objects.exists()


def test_decision_before_the_meeting_refused(torg, meeting):
    with pytest.raises(DomainError) as err:
        decide(torg, meeting, now=BEFORE)
    assert err.value.code == "meeting_not_started"


def test_resource_decision_awaits_leadership_then_approval_creates_the_item(torg, meeting):
    decision = decide(torg, meeting, allocates_resources=True, resource_kind="money", amount="25000.5")
    assert decision.status == Decision.Status.AWAITING_LEADERSHIP
    assert decision.amount == Decimal("25000.50")
    assert not ActionItem.objects.exists()
    later = sh(2026, 3, 10, 10, 0)
    approved = services.decision_approve(decision=decision, comment="同意", actor=torg.chair, now=later)
    assert approved.status == Decision.Status.EFFECTIVE
    assert (approved.leadership_by_id, approved.leadership_at, approved.leadership_comment) == (
        torg.chair.pk,
        later,
        "同意",
    )
    assert ActionItem.objects.get(decision=decision).owner_id == torg.tech_head.pk
    assert Event.objects.filter(name="decision.approved", subject_id=decision.pk).exists()
    with pytest.raises(DomainError) as err:
        services.decision_approve(decision=decision, actor=torg.chair, now=later)
    assert err.value.code == "wrong_state"
    assert ActionItem.objects.count() == 1


def test_resource_decision_rejected_needs_a_reason_and_creates_nothing(torg, meeting):
    decision = decide(torg, meeting, allocates_resources=True, resource_kind="people", amount=2)
    later = sh(2026, 3, 10, 10, 0)
    with pytest.raises(DomainError) as err:
        services.decision_reject(decision=decision, reason=" ", actor=torg.chair, now=later)
    assert (err.value.code, err.value.field) == ("required", "reason")
    rejected = services.decision_reject(decision=decision, reason="预算不足", actor=torg.chair, now=later)
    assert rejected.status == Decision.Status.REJECTED and rejected.leadership_comment == "预算不足"
    assert not ActionItem.objects.exists()
    with pytest.raises(DomainError) as err:
        services.decision_approve(decision=decision, actor=torg.chair, now=later)
    assert err.value.code == "wrong_state"


def test_effective_decision_cannot_be_answered(torg, meeting):
    decision = decide(torg, meeting)
    with pytest.raises(DomainError) as err:
        services.decision_reject(decision=decision, reason="r", actor=torg.chair, now=DURING)
    assert err.value.code == "wrong_state"


@pytest.mark.parametrize("who", ["coordinator", "host", "recorder", "tech_head", "outsider"])
def test_only_leadership_answers(torg, meeting, who):
    decision = decide(torg, meeting, allocates_resources=True, resource_kind="equipment", amount=3)
    actor = getattr(torg, who)
    with pytest.raises(Forbidden):
        services.decision_approve(decision=decision, actor=actor, now=DURING)
    with pytest.raises(Forbidden):
        services.decision_reject(decision=decision, reason="", actor=actor, now=DURING)
    decision.refresh_from_db()
    assert decision.status == Decision.Status.AWAITING_LEADERSHIP
    assert not ActionItem.objects.exists()
