"""Every transition: allowed, refused for the wrong role, refused in the wrong state, late but allowed."""

from datetime import date, time, timedelta

import pytest

from xietong.core.errors import DomainError, Forbidden
from xietong.core.events import events_for
from xietong.meetings.models import MeetingSeries
from xietong.meetings.services import series_meeting_after
from xietong.obligations.models import Obligation, ObligationKind
from xietong.obligations.selectors import late_steps, obligations_for
from xietong.org.models import Delegation
from xietong.policy.services import policy_install_preset
from xietong.topics import services
from xietong.topics.models import Topic

from .conftest import (
    FRI,
    MEETING,
    THU_EARLY,
    THU_HEAD_LATE,
    THU_SUBMIT_LATE,
    THU_SUBMIT_OK,
    WED,
    advance,
    make_topic,
    sh,
)

S = Topic.Status


def duty(topic, kind):
    return [o for o in obligations_for(topic) if o.kind == kind]


def event_names(topic):
    return [e.name for e in events_for(topic)]


# ---- create ------------------------------------------------------------------------------------


def test_create_targets_next_meeting_and_opens_submission_duty(torg, topic):
    assert topic.status == S.DRAFT
    assert topic.meeting.starts_at == MEETING
    assert topic.author == torg.tech_liaison
    assert set(topic.departments_involved.values_list("name", flat=True)) == {"办公室", "财务部"}
    assert "停车位" in topic.tokens.split()
    (sub,) = duty(topic, ObligationKind.SUBMISSION)
    assert sub.state == Obligation.State.PENDING
    assert sub.due_at == sh(2026, 3, 5, 15, 0)
    assert sub.clause == "第五条(二)4"
    assert sub.responsible == torg.tech_liaison
    assert sub.department == torg.departments["tech"]
    assert event_names(topic) == ["topic.created"]


@pytest.mark.parametrize(
    "persona", ["tech_head", "tech_deputy", "market_liaison", "coordinator", "outsider", "chair"]
)
def test_create_refused_outside_the_liaison_role(torg, persona):
    with pytest.raises(Forbidden):
        make_topic(torg, actor=getattr(torg, persona))
    assert not Topic.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("title", "   ", "required"),
        ("background", "", "required"),
        ("collaboration_need", "", "required"),
        ("expected_outcome", "", "required"),
        ("initial_solution", "", "required"),
        ("title", "长" * 121, "too_long"),
        ("w_why", "长" * 1001, "too_long"),
        ("departments_involved", [], "departments_required"),
    ],
)
def test_create_refuses_bad_input_field_by_field(torg, field, value, code):
    with pytest.raises(DomainError) as exc:
        make_topic(torg, **{field: value})
    assert exc.value.code == code
    assert exc.value.field == field
    assert not Topic.objects.exists()


def test_create_refuses_an_inactive_series(torg):
    MeetingSeries.objects.filter(pk=torg.series.pk).update(is_active=False)
    torg.series.refresh_from_db()
    with pytest.raises(DomainError) as exc:
        make_topic(torg)
    assert exc.value.code == "series_inactive"


def test_create_after_the_cutoffs_but_before_the_agenda_is_fixed_targets_that_meeting_late(torg):
    # Thursday 16:00: the submission cut-off (15:00) has passed, the agenda cut-off (17:00) not.
    topic = make_topic(torg, now=THU_SUBMIT_LATE)
    assert topic.meeting.starts_at == MEETING
    topic = advance(torg, topic, "approved", now=THU_SUBMIT_LATE)
    topic = services.topic_submit(topic=topic, actor=torg.tech_liaison, now=THU_SUBMIT_LATE)
    assert topic.status == S.SUBMITTED
    assert topic.closed_duty.state == Obligation.State.BREACHED
    assert [o.clause for o in late_steps(topic)] == ["第五条(三)2", "第五条(二)4"]


def test_create_after_the_agenda_cutoff_targets_the_following_meeting_in_time(torg):
    # Friday: this Monday's agenda is fixed (第五条(二)1), so the topic goes to the week after.
    topic = make_topic(torg, now=FRI)
    assert topic.meeting.starts_at == MEETING + timedelta(days=7)
    topic = advance(torg, topic, "approved", now=FRI)
    # It is submitted in that meeting's topic window (第六条1: Thursday 12 March from 10:00).
    with pytest.raises(DomainError) as exc:
        services.topic_submit(topic=topic, actor=torg.tech_liaison, now=FRI)
    assert exc.value.code == "window_not_open"
    topic = services.topic_submit(topic=topic, actor=torg.tech_liaison, now=sh(2026, 3, 12, 11, 0))
    assert topic.closed_duty.state == Obligation.State.MET
    assert late_steps(topic) == []


def test_drafting_before_the_topic_window_opens_is_allowed(torg):
    # 第六条1: the window opens Thursday 10:00; a Monday draft is fine.
    topic = make_topic(torg, now=sh(2026, 3, 2, 8, 0))
    assert topic.status == S.DRAFT


# ---- update ------------------------------------------------------------------------------------


def test_update_a_draft_recomputes_tokens(torg, topic):
    topic = services.topic_update(
        topic=topic,
        actor=torg.tech_liaison,
        now=WED,
        title="食堂午餐排队时间过长",
        departments_involved=[torg.departments["market"]],
    )
    topic.refresh_from_db()
    assert topic.title == "食堂午餐排队时间过长"
    assert "食堂" in topic.tokens.split()
    assert list(topic.departments_involved.values_list("name", flat=True)) == ["市场部"]
    (event,) = [e for e in events_for(topic) if e.name == "topic.updated"]
    assert set(event.data["fields"]) == {"title", "departments_involved"}


def test_update_refused_for_head_and_outside_draft(torg, topic):
    with pytest.raises(Forbidden):
        services.topic_update(topic=topic, actor=torg.tech_head, now=WED, title="x")
    advance(torg, topic, "in_review")
    with pytest.raises(DomainError) as exc:
        services.topic_update(topic=topic, actor=torg.tech_liaison, now=WED, title="新的标题")
    assert exc.value.code == "wrong_state"
    topic.refresh_from_db()
    assert topic.title.startswith("新办公楼")


def test_update_refuses_emptying_a_required_field(torg, topic):
    with pytest.raises(DomainError) as exc:
        services.topic_update(topic=topic, actor=torg.tech_liaison, now=WED, background="")
    assert exc.value.field == "background"


# ---- head review -----------------------------------------------------------------------------


def test_send_for_review_opens_head_review_duty(torg, topic):
    topic = services.topic_send_for_review(topic=topic, actor=torg.tech_liaison, now=WED)
    assert topic.status == S.IN_REVIEW
    (review,) = duty(topic, ObligationKind.HEAD_REVIEW)
    assert review.responsible == torg.tech_head
    assert review.due_at == sh(2026, 3, 5, 12, 0)
    assert review.clause == "第五条(三)2"
    assert review.state == Obligation.State.PENDING


@pytest.mark.parametrize("persona", ["tech_head", "tech_deputy", "market_liaison", "coordinator", "outsider"])
def test_send_for_review_refused_for_other_roles(torg, topic, persona):
    with pytest.raises(Forbidden):
        services.topic_send_for_review(topic=topic, actor=getattr(torg, persona), now=WED)
    topic.refresh_from_db()
    assert topic.status == S.DRAFT
    assert not duty(topic, ObligationKind.HEAD_REVIEW)


def test_send_for_review_refused_in_wrong_state(torg, topic):
    advance(torg, topic, "in_review")
    with pytest.raises(DomainError) as exc:
        services.topic_send_for_review(topic=topic, actor=torg.tech_liaison, now=WED)
    assert exc.value.code == "wrong_state"


def test_approve_on_time_meets_the_duty(torg, topic):
    advance(torg, topic, "in_review")
    topic = services.topic_approve(topic=topic, actor=torg.tech_head, now=THU_EARLY, comment="同意")
    assert topic.status == S.APPROVED
    assert topic.head_comment == "同意"
    assert topic.closed_duty.state == Obligation.State.MET
    assert late_steps(topic) == []


def test_approve_late_is_allowed_and_recorded_with_its_clause(torg, topic):
    advance(torg, topic, "in_review")
    topic = services.topic_approve(topic=topic, actor=torg.tech_head, now=THU_HEAD_LATE)
    assert topic.status == S.APPROVED
    (late,) = late_steps(topic)
    assert late.kind == ObligationKind.HEAD_REVIEW
    assert late.clause == "第五条(三)2"
    assert late.due_at == sh(2026, 3, 5, 12, 0)
    (event,) = [e for e in events_for(topic) if e.name == "topic.approved"]
    assert event.data["late"] is True
    assert event.data["clause"] == "第五条(三)2"


@pytest.mark.parametrize(
    "persona", ["tech_liaison", "tech_deputy", "market_head", "coordinator", "chair", "outsider"]
)
def test_approve_refused_for_anyone_but_the_department_head(torg, topic, persona):
    advance(torg, topic, "in_review")
    with pytest.raises(Forbidden):
        services.topic_approve(topic=topic, actor=getattr(torg, persona), now=THU_EARLY)
    topic.refresh_from_db()
    assert topic.status == S.IN_REVIEW
    assert duty(topic, ObligationKind.HEAD_REVIEW)[0].state == Obligation.State.PENDING


def test_approve_refused_in_wrong_state(torg, topic):
    with pytest.raises(DomainError) as exc:
        services.topic_approve(topic=topic, actor=torg.tech_head, now=THU_EARLY)
    assert exc.value.code == "wrong_state"


def test_a_deputy_holding_the_head_role_by_delegation_may_approve(torg, topic):
    advance(torg, topic, "in_review")
    Delegation.objects.create(
        principal=torg.tech_head,
        delegate=torg.tech_deputy,
        starts_on=date(2026, 3, 5),
        ends_on=date(2026, 3, 6),
    )
    topic = services.topic_approve(topic=topic, actor=torg.tech_deputy, now=THU_EARLY)
    assert topic.status == S.APPROVED
    assert topic.closed_duty.closed_by == torg.tech_deputy


def test_a_delegation_outside_its_period_gives_nothing(torg, topic):
    advance(torg, topic, "in_review")
    Delegation.objects.create(
        principal=torg.tech_head,
        delegate=torg.tech_deputy,
        starts_on=date(2026, 3, 6),
        ends_on=date(2026, 3, 6),
    )
    with pytest.raises(Forbidden):
        services.topic_approve(topic=topic, actor=torg.tech_deputy, now=THU_EARLY)


def test_return_needs_a_comment_and_keeps_submission_duty_open(torg, topic):
    advance(torg, topic, "in_review")
    with pytest.raises(DomainError) as exc:
        services.topic_return(topic=topic, actor=torg.tech_head, now=THU_EARLY, comment="  ")
    assert (exc.value.code, exc.value.field) == ("reason_required", "comment")
    topic = services.topic_return(topic=topic, actor=torg.tech_head, now=THU_EARLY, comment="补充费用测算")
    assert topic.status == S.DRAFT
    assert topic.head_comment == "补充费用测算"
    assert duty(topic, ObligationKind.HEAD_REVIEW)[0].state == Obligation.State.MET
    assert duty(topic, ObligationKind.SUBMISSION)[0].state == Obligation.State.PENDING
    # sending again clears the comment from the page (it stays in the history) and opens a new review duty
    topic = services.topic_send_for_review(topic=topic, actor=torg.tech_liaison, now=THU_EARLY)
    assert topic.head_comment == ""
    assert [o.state for o in duty(topic, ObligationKind.HEAD_REVIEW)] == ["met", "pending"]
    assert "topic.returned" in event_names(topic)


def test_return_refused_for_liaison_and_wrong_state(torg, topic):
    with pytest.raises(DomainError):
        services.topic_return(topic=topic, actor=torg.tech_head, now=THU_EARLY, comment="x")
    advance(torg, topic, "in_review")
    with pytest.raises(Forbidden):
        services.topic_return(topic=topic, actor=torg.tech_liaison, now=THU_EARLY, comment="x")


# ---- submission ----------------------------------------------------------------------------------


def test_submit_on_time(torg, topic):
    topic = advance(torg, topic, "approved")
    topic = services.topic_submit(topic=topic, actor=torg.tech_liaison, now=THU_SUBMIT_OK)
    assert topic.status == S.SUBMITTED
    assert topic.submitted_at == THU_SUBMIT_OK
    assert topic.closed_duty.state == Obligation.State.MET
    assert late_steps(topic) == []


def test_submit_late_is_allowed_and_marked_late_under_its_clause(torg, topic):
    topic = advance(torg, topic, "approved")
    topic = services.topic_submit(topic=topic, actor=torg.tech_liaison, now=THU_SUBMIT_LATE)
    assert topic.status == S.SUBMITTED
    assert topic.closed_duty.state == Obligation.State.BREACHED
    (late,) = late_steps(topic)
    assert (late.kind, late.clause, late.due_at) == (
        ObligationKind.SUBMISSION,
        "第五条(二)4",
        sh(2026, 3, 5, 15, 0),
    )
    (event,) = [e for e in events_for(topic) if e.name == "topic.submitted"]
    assert event.data["late"] is True
    assert event.data["due"] == "2026-03-05T15:00:00+08:00"


@pytest.mark.parametrize("persona", ["tech_head", "tech_deputy", "market_liaison", "coordinator"])
def test_submit_refused_for_other_roles(torg, topic, persona):
    advance(torg, topic, "approved")
    with pytest.raises(Forbidden):
        services.topic_submit(topic=topic, actor=getattr(torg, persona), now=THU_SUBMIT_OK)
    topic.refresh_from_db()
    assert topic.status == S.APPROVED


def test_submit_refused_before_approval(torg, topic):
    with pytest.raises(DomainError) as exc:
        services.topic_submit(topic=topic, actor=torg.tech_liaison, now=THU_SUBMIT_OK)
    assert exc.value.code == "wrong_state"
    advance(torg, topic, "in_review")
    with pytest.raises(DomainError):
        services.topic_submit(topic=topic, actor=torg.tech_liaison, now=THU_SUBMIT_OK)


def test_a_topic_whose_meeting_has_started_moves_to_the_next_meeting(torg, topic):
    later = sh(2026, 3, 10, 10, 0)
    topic = services.topic_send_for_review(topic=topic, actor=torg.tech_liaison, now=later)
    assert topic.meeting.starts_at == sh(2026, 3, 16, 9, 0)
    subs = duty(topic, ObligationKind.SUBMISSION)
    assert [o.state for o in subs] == ["waived", "pending"]
    assert subs[1].due_at == sh(2026, 3, 12, 15, 0)
    (review,) = duty(topic, ObligationKind.HEAD_REVIEW)
    assert review.due_at == sh(2026, 3, 12, 12, 0)
    (event,) = [e for e in events_for(topic) if e.name == "topic.sent_for_review"]
    assert event.data["moved_to_next_meeting"] is True


def test_a_breached_duty_is_closed_when_the_topic_moves_on(torg, topic):
    from xietong.obligations.services import obligations_mark_breached

    obligations_mark_breached(now=sh(2026, 3, 9, 0, 0))
    services.topic_send_for_review(topic=topic, actor=torg.tech_liaison, now=sh(2026, 3, 10, 10, 0))
    subs = duty(topic, ObligationKind.SUBMISSION)
    assert [(o.state, o.closed_at is not None) for o in subs] == [("breached", True), ("pending", False)]


# ---- a holiday week: Thursday 1 October 2026 is National Day ---------------------------------------


def test_cutoffs_move_earlier_when_thursday_is_a_holiday(torg):
    # seed 01 preset: if_closed = "earlier" → the previous working day, Wednesday 30 September.
    rules = torg.policy.current_version().rules
    assert rules.get("submission_cutoff").if_closed == "earlier"
    topic = make_topic(torg, now=sh(2026, 9, 28, 10, 0))
    assert topic.meeting.starts_at == sh(2026, 10, 5, 9, 0)
    (sub,) = duty(topic, ObligationKind.SUBMISSION)
    assert sub.due_at == sh(2026, 9, 30, 15, 0)
    topic = services.topic_send_for_review(topic=topic, actor=torg.tech_liaison, now=sh(2026, 9, 29, 9, 0))
    (review,) = duty(topic, ObligationKind.HEAD_REVIEW)
    assert review.due_at == sh(2026, 9, 30, 12, 0)
    topic = services.topic_approve(topic=topic, actor=torg.tech_head, now=sh(2026, 9, 30, 11, 0))
    assert topic.closed_duty.state == Obligation.State.MET
    # 16:00 on Wednesday is late even though "Thursday" has not come yet.
    topic = services.topic_submit(topic=topic, actor=torg.tech_liaison, now=sh(2026, 9, 30, 16, 0))
    assert topic.closed_duty.state == Obligation.State.BREACHED
    assert topic.closed_duty.clause == "第五条(二)4"


def test_a_policy_without_head_review_rule_opens_no_review_duty(torg):
    policy = policy_install_preset(name="seed02-coordination", now=WED)
    series = MeetingSeries.objects.create(
        name="协调会", policy=policy, rrule="FREQ=WEEKLY;BYDAY=MO", start_time=time(9, 0)
    )
    topic = make_topic(torg, series=series)
    (sub,) = duty(topic, ObligationKind.SUBMISSION)
    # seed 02 preset: 3 working days before the meeting, 17:00
    assert sub.due_at == sh(2026, 3, 4, 17, 0)
    topic = services.topic_send_for_review(topic=topic, actor=torg.tech_liaison, now=WED)
    assert duty(topic, ObligationKind.HEAD_REVIEW) == []
    topic = services.topic_approve(topic=topic, actor=torg.tech_head, now=WED)
    assert topic.closed_duty is None


# ---- coordinator -------------------------------------------------------------------------------


def test_triage_defaults_the_budget_from_the_policy(torg, topic):
    topic = advance(torg, topic, "submitted")
    topic = services.topic_triage(
        topic=topic, actor=torg.coordinator, now=THU_SUBMIT_OK, category="resource", priority=1
    )
    assert topic.status == S.TRIAGED
    assert (topic.category, topic.priority) == ("resource", 1)
    assert topic.budget_minutes == torg.policy.current_version().rules.minutes("default_item_budget")
    # the coordinator may change the triage
    topic = services.topic_triage(
        topic=topic, actor=torg.coordinator, now=FRI, category="issue", priority=3, budget_minutes=30
    )
    assert (topic.category, topic.priority, topic.budget_minutes) == ("issue", 3, 30)


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"category": "nonsense", "priority": 1}, "category_invalid", "category"),
        ({"category": "issue", "priority": 9}, "priority_invalid", "priority"),
        ({"category": "issue", "priority": 1, "budget_minutes": 0}, "budget_invalid", "budget_minutes"),
        ({"category": "issue", "priority": 1, "budget_minutes": 91}, "budget_invalid", "budget_minutes"),
    ],
)
def test_triage_refuses_bad_input(torg, topic, kwargs, code, field):
    advance(torg, topic, "submitted")
    with pytest.raises(DomainError) as exc:
        services.topic_triage(topic=topic, actor=torg.coordinator, now=FRI, **kwargs)
    assert (exc.value.code, exc.value.field) == (code, field)
    topic.refresh_from_db()
    assert topic.status == S.SUBMITTED


@pytest.mark.parametrize("persona", ["tech_head", "tech_liaison", "host", "recorder", "chair"])
def test_triage_refused_for_anyone_but_the_coordinator(torg, topic, persona):
    advance(torg, topic, "submitted")
    with pytest.raises(Forbidden):
        services.topic_triage(
            topic=topic, actor=getattr(torg, persona), now=FRI, category="issue", priority=1
        )


def test_triage_refused_before_submission(torg, topic):
    advance(torg, topic, "approved")
    with pytest.raises(DomainError) as exc:
        services.topic_triage(topic=topic, actor=torg.coordinator, now=FRI, category="issue", priority=1)
    assert exc.value.code == "wrong_state"


def test_coordinator_return_needs_a_reason_and_goes_back_to_draft(torg, topic):
    advance(torg, topic, "triaged")
    with pytest.raises(DomainError) as exc:
        services.topic_coordinator_return(topic=topic, actor=torg.coordinator, now=FRI, reason="")
    assert exc.value.field == "reason"
    with pytest.raises(Forbidden):
        services.topic_coordinator_return(topic=topic, actor=torg.host, now=FRI, reason="x")
    topic = services.topic_coordinator_return(
        topic=topic, actor=torg.coordinator, now=FRI, reason="请补充数据"
    )
    assert topic.status == S.DRAFT
    assert topic.coordinator_reason == "请补充数据"
    with pytest.raises(DomainError):
        services.topic_coordinator_return(topic=topic, actor=torg.coordinator, now=FRI, reason="again")


def test_reject_needs_a_reason(torg, topic):
    advance(torg, topic, "submitted")
    with pytest.raises(DomainError):
        services.topic_reject(topic=topic, actor=torg.coordinator, now=FRI, reason=" ")
    with pytest.raises(Forbidden):
        services.topic_reject(topic=topic, actor=torg.tech_head, now=FRI, reason="x")
    topic = services.topic_reject(topic=topic, actor=torg.coordinator, now=FRI, reason="不属于跨科室事项")
    assert topic.status == S.REJECTED
    assert topic.coordinator_reason == "不属于跨科室事项"
    with pytest.raises(DomainError):
        services.topic_reject(topic=topic, actor=torg.coordinator, now=FRI, reason="x")


def test_reject_refused_for_a_draft(torg, topic):
    with pytest.raises(DomainError) as exc:
        services.topic_reject(topic=topic, actor=torg.coordinator, now=FRI, reason="x")
    assert exc.value.code == "wrong_state"


# ---- withdraw ----------------------------------------------------------------------------------


def test_withdraw_waives_open_duties(torg, topic):
    advance(torg, topic, "in_review")
    topic = services.topic_withdraw(topic=topic, actor=torg.tech_liaison, now=WED, reason="已内部解决")
    assert topic.status == S.WITHDRAWN
    assert {o.state for o in obligations_for(topic)} == {Obligation.State.WAIVED}


@pytest.mark.parametrize("status", ["draft", "in_review", "approved", "submitted", "triaged"])
def test_withdraw_allowed_before_scheduling(torg, topic, status):
    if status != "draft":
        advance(torg, topic, status)
    topic = services.topic_withdraw(topic=topic, actor=torg.tech_liaison, now=FRI)
    assert topic.status == S.WITHDRAWN


def test_withdraw_refused_once_scheduled_or_for_the_head(torg, topic):
    with pytest.raises(Forbidden):
        services.topic_withdraw(topic=topic, actor=torg.tech_head, now=WED)
    advance(torg, topic, "scheduled")
    with pytest.raises(DomainError) as exc:
        services.topic_withdraw(topic=topic, actor=torg.tech_liaison, now=FRI)
    assert exc.value.code == "wrong_state"


# ---- agenda placement --------------------------------------------------------------------------


def test_schedule_and_unschedule(torg, topic):
    topic = advance(torg, topic, "triaged")
    with pytest.raises(Forbidden):
        services.topic_schedule(topic=topic, actor=torg.tech_liaison, now=FRI)
    topic = services.topic_schedule(topic=topic, actor=torg.coordinator, now=FRI)
    assert topic.status == S.SCHEDULED
    with pytest.raises(DomainError):
        services.topic_schedule(topic=topic, actor=torg.coordinator, now=FRI)
    with pytest.raises(Forbidden):
        services.topic_unschedule(topic=topic, actor=torg.host, now=FRI)
    topic = services.topic_unschedule(topic=topic, actor=torg.coordinator, now=FRI)
    assert topic.status == S.TRIAGED
    with pytest.raises(DomainError):
        services.topic_unschedule(topic=topic, actor=torg.coordinator, now=FRI)
    assert event_names(topic)[-2:] == ["topic.scheduled", "topic.unscheduled"]


def test_schedule_refused_before_triage(torg, topic):
    advance(torg, topic, "submitted")
    with pytest.raises(DomainError) as exc:
        services.topic_schedule(topic=topic, actor=torg.coordinator, now=FRI)
    assert exc.value.code == "wrong_state"


def test_defer_rolls_the_topic_over_to_a_later_meeting(torg, topic):
    topic = advance(torg, topic, "triaged")
    first = topic.meeting
    nxt = series_meeting_after(meeting=first, now=FRI)
    topic = services.topic_defer(
        topic=topic, to_meeting=nxt, reason="议程已满", actor=torg.coordinator, now=FRI
    )
    assert topic.status == S.TRIAGED
    assert topic.meeting == nxt
    assert topic.rollover_count == 1
    assert topic.deferral_reason == "议程已满"
    (event,) = [e for e in events_for(topic) if e.name == "topic.rolled_over"]
    assert event.data == {
        "from_meeting": first.pk,
        "to_meeting": nxt.pk,
        "reason": "议程已满",
        "count": 1,
    }
    # scheduled on the next agenda, then deferred again
    topic = services.topic_schedule(topic=topic, actor=torg.coordinator, now=FRI)
    third = series_meeting_after(meeting=nxt, now=FRI)
    topic = services.topic_defer(
        topic=topic, to_meeting=third, reason="时间不够", actor=torg.coordinator, now=FRI
    )
    assert (topic.status, topic.rollover_count, topic.meeting) == (S.TRIAGED, 2, third)


def test_defer_refusals(torg, topic):
    topic = advance(torg, topic, "triaged")
    nxt = series_meeting_after(meeting=topic.meeting, now=FRI)
    with pytest.raises(Forbidden):
        services.topic_defer(topic=topic, to_meeting=nxt, reason="x", actor=torg.tech_liaison, now=FRI)
    with pytest.raises(DomainError) as exc:
        services.topic_defer(topic=topic, to_meeting=nxt, reason="", actor=torg.coordinator, now=FRI)
    assert exc.value.code == "reason_required"
    with pytest.raises(DomainError) as exc:
        services.topic_defer(
            topic=topic, to_meeting=topic.meeting, reason="x", actor=torg.coordinator, now=FRI
        )
    assert exc.value.code == "meeting_not_later"
    services.topic_withdraw(topic=topic, actor=torg.tech_liaison, now=FRI)
    with pytest.raises(DomainError) as exc:
        services.topic_defer(topic=topic, to_meeting=nxt, reason="x", actor=torg.coordinator, now=FRI)
    assert exc.value.code == "wrong_state"
    topic.refresh_from_db()
    assert topic.rollover_count == 0


# ---- the whole permission matrix -----------------------------------------------------------------

PERSONAS = [
    "chair",
    "coordinator",
    "host",
    "recorder",
    "tech_head",
    "tech_liaison",
    "tech_deputy",
    "market_head",
    "market_liaison",
    "finance_head",
    "finance_liaison",
    "outsider",
]

# action -> (status the topic is brought to, who may act, the call)
MATRIX = {
    "send_review": (
        "draft",
        {"tech_liaison"},
        lambda t, p: services.topic_send_for_review(topic=t, actor=p, now=WED),
    ),
    "approve": (
        "in_review",
        {"tech_head"},
        lambda t, p: services.topic_approve(topic=t, actor=p, now=THU_EARLY),
    ),
    "return": (
        "in_review",
        {"tech_head"},
        lambda t, p: services.topic_return(topic=t, actor=p, now=THU_EARLY, comment="c"),
    ),
    "submit": (
        "approved",
        {"tech_liaison"},
        lambda t, p: services.topic_submit(topic=t, actor=p, now=THU_SUBMIT_OK),
    ),
    "triage": (
        "submitted",
        {"coordinator"},
        lambda t, p: services.topic_triage(topic=t, actor=p, now=FRI, category="issue", priority=2),
    ),
    "coordinator_return": (
        "submitted",
        {"coordinator"},
        lambda t, p: services.topic_coordinator_return(topic=t, actor=p, now=FRI, reason="r"),
    ),
    "reject": (
        "submitted",
        {"coordinator"},
        lambda t, p: services.topic_reject(topic=t, actor=p, now=FRI, reason="r"),
    ),
    "withdraw": (
        "submitted",
        {"tech_liaison"},
        lambda t, p: services.topic_withdraw(topic=t, actor=p, now=FRI),
    ),
    "schedule": ("triaged", {"coordinator"}, lambda t, p: services.topic_schedule(topic=t, actor=p, now=FRI)),
    "unschedule": (
        "scheduled",
        {"coordinator"},
        lambda t, p: services.topic_unschedule(topic=t, actor=p, now=FRI),
    ),
    "edit": (
        "draft",
        {"tech_liaison"},
        lambda t, p: services.topic_update(topic=t, actor=p, now=WED, title="改过的标题"),
    ),
}


@pytest.mark.parametrize("action", list(MATRIX))
def test_permission_matrix(torg, topic, action):
    status, allowed, call = MATRIX[action]
    if status != "draft":
        topic = advance(torg, topic, status)
    before = (topic.status, Obligation.objects.count(), len(event_names(topic)))
    for persona in PERSONAS:
        if persona in allowed:
            continue
        with pytest.raises(Forbidden):
            call(topic, getattr(torg, persona))
        topic.refresh_from_db()
        assert (topic.status, Obligation.objects.count(), len(event_names(topic))) == before, persona
    for persona in allowed:
        call(topic, getattr(torg, persona))
    assert len(event_names(topic)) == before[2] + 1


def test_available_actions_follow_role_and_state(torg, topic):
    assert services.available_actions(topic=topic, person=torg.tech_liaison, now=WED) == [
        "edit",
        "send_review",
        "withdraw",
    ]
    assert services.available_actions(topic=topic, person=torg.tech_head, now=WED) == []
    topic = advance(torg, topic, "in_review")
    assert services.available_actions(topic=topic, person=torg.tech_head, now=WED) == ["approve", "return"]
    topic = advance(torg, topic, "submitted", now=THU_EARLY)
    assert services.available_actions(topic=topic, person=torg.coordinator, now=FRI) == [
        "triage",
        "coordinator_return",
        "reject",
    ]
    assert services.available_actions(topic=topic, person=torg.outsider, now=FRI) == []
