from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from xietong.core.errors import DomainError, Forbidden
from xietong.core.models import Event
from xietong.meetings.models import Meeting
from xietong.meetings.services import series_next_meeting
from xietong.meetings.tests.factories import sh
from xietong.minutes import services
from xietong.minutes.layout import chinese_numeral
from xietong.minutes.models import Minutes
from xietong.minutes.paste import parse_pasted_minutes
from xietong.minutes.selectors import minutes_obligation, minutes_versions
from xietong.obligations.models import Obligation
from xietong.org.models import Person
from xietong.records import services as records
from xietong.records.tests.helpers import DURING, decide, held_meeting, items_of

AFTER = sh(2026, 3, 9, 11, 0)  # after the meeting (ends 10:30), before the deadline (12:30)
LATE = sh(2026, 3, 9, 13, 0)  # after the 2-hour deadline (seed 01 第五条(二)3)
NOT_RECORDERS = ["coordinator", "host", "chair", "tech_head", "tech_liaison", "outsider"]
NOT_HOSTS = ["coordinator", "recorder", "chair", "tech_head", "tech_liaison", "outsider"]


@pytest.fixture
def meeting(torg):
    return held_meeting(torg)


@pytest.fixture
def recorded(torg, meeting):
    """The meeting with attendance, one decided item (decision + action item) and one deferred."""
    records.attendance_record(
        meeting=meeting,
        person=torg.tech_head,
        status="present",
        signed_in_at=sh(2026, 3, 9, 8, 55),
        actor=torg.recorder,
        now=DURING,
    )
    records.attendance_record(
        meeting=meeting,
        person=torg.market_head,
        status="present",
        signed_in_at=sh(2026, 3, 9, 9, 10),
        actor=torg.recorder,
        now=DURING,
    )
    records.attendance_record(
        meeting=meeting,
        person=torg.finance_head,
        status="absent",
        reason="出差",
        actor=torg.recorder,
        now=DURING,
    )
    first, second = items_of(meeting)
    records.item_record(
        item=first, outcome="decided", notes="讨论停车位改造", actor=torg.recorder, now=DURING
    )
    decide(torg, meeting, agenda_item=first)
    records.item_record(
        item=second, outcome="deferred", reason="技术部提供新方案后再次讨论", actor=torg.recorder, now=DURING
    )
    return meeting


def draft(torg, meeting, now=AFTER):
    return services.minutes_draft(meeting=meeting, actor=torg.recorder, now=now)


def in_review(torg, meeting, now=AFTER):
    minutes = draft(torg, meeting, now=now)
    return services.minutes_submit(minutes=minutes, actor=torg.recorder, now=now)


def approved(torg, meeting, now=AFTER):
    return services.minutes_approve(minutes=in_review(torg, meeting, now=now), actor=torg.host, now=now)


# ---- drafting -------------------------------------------------------------------------------


def test_draft_builds_the_standard_structure_from_the_record(torg, recorded):
    with translation.override("en"):
        minutes = draft(torg, recorded)
    body = minutes.body
    assert (minutes.number, minutes.status, minutes.edit_version) == (1, Minutes.Status.DRAFT, 1)
    for text in [
        f"Minutes of {recorded.title}",
        "Time: 2026-03-09 09:00–10:30",
        "Place: 三楼会议室",
        "Host: 孙主持",
        "Recorder: 李记录",
        "周技术",
        "王市场 (late)",
        "Absent: 陈财务 (出差)",
        "一、议题1",
        "Discussion: 讨论停车位改造",
        "技术部两周内提交停车位改造方案",
        "二、议题2",
        "技术部提供新方案后再次讨论",
        "Next meeting: 2026-03-16 09:00, 三楼会议室",
    ]:
        assert text in body, text
    # The action item line is in the paste format and reads back.
    assert "(负责部门:技术部,负责人:周技术,截止日期:2026-03-20)" in body
    found = parse_pasted_minutes(
        body,
        find_people=lambda name: list(Person.objects.filter(full_name=name)),
        meeting_date=date(2026, 3, 9),
    )
    assert found.problems == []
    assert [(a.owner, a.due_on) for a in found.actions] == [(torg.tech_head, date(2026, 3, 20))]
    assert Event.objects.filter(name="minutes.drafted").count() == 1


def test_draft_writes_a_resource_decisions_amount_in_yuan(torg, meeting):
    [item, *_rest] = items_of(meeting)
    decide(
        torg,
        meeting,
        agenda_item=item,
        text="追加宣传预算",
        allocates_resources=True,
        resource_kind="money",
        amount=Decimal("50000"),
    )
    decide(
        torg,
        meeting,
        agenda_item=item,
        text="借调两人",
        allocates_resources=True,
        resource_kind="people",
        amount=2,
    )
    body = draft(torg, meeting).body
    lines = body.splitlines()
    assert "涉及资源：资金，50,000元" in lines
    assert "涉及资源：人员，2" in lines
    # Each resource line follows its decision.
    assert (
        lines.index("涉及资源：资金，50,000元")
        == next(k for k, t in enumerate(lines) if "追加宣传预算" in t) + 1
    )


def test_draft_without_a_following_meeting_says_so(torg, meeting):
    Meeting.objects.filter(series=torg.series).exclude(pk=meeting.pk).update(status=Meeting.Status.CANCELLED)
    with translation.override("en"):
        assert "Next meeting: to be announced" in draft(torg, meeting).body


def test_draft_names_the_following_meeting_of_the_series(torg, meeting):
    following = series_next_meeting(series=torg.series, now=sh(2026, 3, 10, 9, 0))
    assert following.starts_at == sh(2026, 3, 16, 9, 0)
    with translation.override("en"):
        assert "Next meeting: 2026-03-16 09:00" in draft(torg, meeting).body


def test_draft_opens_the_minutes_duty_under_the_policy_clause(torg, meeting):
    minutes = draft(torg, meeting)
    duty = minutes_obligation(meeting)
    assert duty.responsible == torg.recorder
    assert duty.due_at == sh(2026, 3, 9, 12, 30)
    assert duty.rule == "minutes_deadline" and duty.clause == "第五条(二)3"
    assert duty.state == Obligation.State.PENDING
    assert not minutes.is_late(AFTER) and minutes.is_late(LATE)


@pytest.mark.parametrize("who", NOT_RECORDERS)
def test_draft_refused_to_others(torg, meeting, who):
    with pytest.raises(Forbidden):
        services.minutes_draft(meeting=meeting, actor=getattr(torg, who), now=AFTER)
    assert not Minutes.objects.exists() and not Obligation.objects.filter(kind="minutes").exists()


def test_draft_refused_before_the_meeting_twice_or_when_cancelled(torg, meeting):
    with pytest.raises(DomainError) as err:
        draft(torg, meeting, now=sh(2026, 3, 9, 8, 0))
    assert err.value.code == "meeting_not_started"
    draft(torg, meeting)
    with pytest.raises(DomainError) as err:
        draft(torg, meeting)
    assert err.value.code == "exists"
    other = series_next_meeting(series=torg.series, now=sh(2026, 3, 10, 9, 0))
    Meeting.objects.filter(pk=other.pk).update(status=Meeting.Status.CANCELLED, recorder=torg.recorder)
    other.refresh_from_db()
    with pytest.raises(DomainError) as err:
        draft(torg, other, now=sh(2026, 3, 17, 9, 0))
    assert err.value.code == "meeting_cancelled"


# ---- saving with optimistic locking ------------------------------------------------------------


def test_save_raises_the_lock(torg, meeting):
    minutes = draft(torg, meeting)
    saved = services.minutes_save(
        minutes=minutes, body="新正文", expected_version=1, actor=torg.recorder, now=AFTER
    )
    assert saved.body == "新正文" and saved.edit_version == 2
    assert Minutes.objects.get(pk=minutes.pk).edit_version == 2


def test_concurrent_save_the_second_is_refused_and_nothing_is_lost(torg, meeting):
    minutes = draft(torg, meeting)
    first = Minutes.objects.get(pk=minutes.pk)
    second = Minutes.objects.get(pk=minutes.pk)
    services.minutes_save(minutes=first, body="甲的正文", expected_version=1, actor=torg.recorder, now=AFTER)
    with pytest.raises(DomainError) as err:
        services.minutes_save(
            minutes=second, body="乙的正文", expected_version=1, actor=torg.recorder, now=AFTER
        )
    assert err.value.code == "stale" and err.value.field == "body"
    row = Minutes.objects.get(pk=minutes.pk)
    assert row.body == "甲的正文" and row.edit_version == 2
    assert Event.objects.filter(name="minutes.saved").count() == 1


@pytest.mark.parametrize(("body", "code"), [("   ", "required"), ("长" * 50001, "too_long")])
def test_save_bad_body(torg, meeting, body, code):
    minutes = draft(torg, meeting)
    with pytest.raises(DomainError) as err:
        services.minutes_save(minutes=minutes, body=body, expected_version=1, actor=torg.recorder, now=AFTER)
    assert err.value.code == code
    assert Minutes.objects.get(pk=minutes.pk).edit_version == 1


@pytest.mark.parametrize("who", NOT_RECORDERS)
def test_save_refused_to_others(torg, meeting, who):
    minutes = draft(torg, meeting)
    with pytest.raises(Forbidden):
        services.minutes_save(
            minutes=minutes, body="x", expected_version=1, actor=getattr(torg, who), now=AFTER
        )
    assert Minutes.objects.get(pk=minutes.pk).edit_version == 1


def test_save_refused_in_review_and_after_approval(torg, meeting):
    minutes = in_review(torg, meeting)
    with pytest.raises(DomainError) as err:
        services.minutes_save(minutes=minutes, body="x", expected_version=1, actor=torg.recorder, now=AFTER)
    assert err.value.code == "wrong_state"
    services.minutes_approve(minutes=minutes, actor=torg.host, now=AFTER)
    with pytest.raises(DomainError) as err:
        services.minutes_save(minutes=minutes, body="x", expected_version=1, actor=torg.recorder, now=AFTER)
    assert err.value.code == "immutable"


# ---- submit, approve, return -------------------------------------------------------------------


def test_submit_then_approve_on_time_closes_the_duty_met(torg, meeting):
    minutes = in_review(torg, meeting)
    assert minutes.status == Minutes.Status.IN_REVIEW and minutes.submitted_at == AFTER
    minutes = services.minutes_approve(minutes=minutes, actor=torg.host, now=AFTER)
    assert minutes.status == Minutes.Status.APPROVED and minutes.approved_by == torg.host
    assert minutes_obligation(meeting).state == Obligation.State.MET
    assert not minutes.is_late(LATE)
    assert Event.objects.get(name="minutes.approved").data["late"] is False


def test_approval_after_the_deadline_is_recorded_late(torg, meeting):
    minutes = in_review(torg, meeting)
    minutes = services.minutes_approve(minutes=minutes, actor=torg.host, now=LATE)
    assert minutes_obligation(meeting).state == Obligation.State.BREACHED
    assert minutes.is_late(LATE)
    assert Event.objects.get(name="minutes.approved").data["late"] is True


def test_return_with_comment_then_edit_and_resubmit(torg, meeting):
    minutes = in_review(torg, meeting)
    minutes = services.minutes_return(minutes=minutes, comment="补充缺席原因", actor=torg.host, now=AFTER)
    assert minutes.status == Minutes.Status.RETURNED and minutes.return_comment == "补充缺席原因"
    assert minutes_obligation(meeting).state == Obligation.State.PENDING
    minutes = services.minutes_save(
        minutes=minutes, body="改后", expected_version=1, actor=torg.recorder, now=AFTER
    )
    minutes = services.minutes_submit(minutes=minutes, actor=torg.recorder, now=AFTER)
    assert minutes.status == Minutes.Status.IN_REVIEW


@pytest.mark.parametrize(("comment", "code"), [("", "required"), ("长" * 1001, "too_long")])
def test_return_needs_a_bounded_comment(torg, meeting, comment, code):
    minutes = in_review(torg, meeting)
    with pytest.raises(DomainError) as err:
        services.minutes_return(minutes=minutes, comment=comment, actor=torg.host, now=AFTER)
    assert err.value.code == code
    assert Minutes.objects.get(pk=minutes.pk).status == Minutes.Status.IN_REVIEW


@pytest.mark.parametrize("who", NOT_RECORDERS)
def test_submit_refused_to_others(torg, meeting, who):
    minutes = draft(torg, meeting)
    with pytest.raises(Forbidden):
        services.minutes_submit(minutes=minutes, actor=getattr(torg, who), now=AFTER)
    assert Minutes.objects.get(pk=minutes.pk).status == Minutes.Status.DRAFT


@pytest.mark.parametrize("who", NOT_HOSTS)
def test_approve_and_return_refused_to_others(torg, meeting, who):
    minutes = in_review(torg, meeting)
    with pytest.raises(Forbidden):
        services.minutes_approve(minutes=minutes, actor=getattr(torg, who), now=AFTER)
    with pytest.raises(Forbidden):
        services.minutes_return(minutes=minutes, comment="x", actor=getattr(torg, who), now=AFTER)
    assert Minutes.objects.get(pk=minutes.pk).status == Minutes.Status.IN_REVIEW
    assert minutes_obligation(meeting).state == Obligation.State.PENDING


def test_wrong_states_are_refused(torg, meeting):
    minutes = draft(torg, meeting)
    for call in (
        lambda: services.minutes_approve(minutes=minutes, actor=torg.host, now=AFTER),
        lambda: services.minutes_return(minutes=minutes, comment="x", actor=torg.host, now=AFTER),
        lambda: services.minutes_correct(minutes=minutes, reason="x", actor=torg.recorder, now=AFTER),
    ):
        with pytest.raises(DomainError) as err:
            call()
        assert err.value.code == "wrong_state"
    services.minutes_submit(minutes=minutes, actor=torg.recorder, now=AFTER)
    with pytest.raises(DomainError) as err:
        services.minutes_submit(minutes=minutes, actor=torg.recorder, now=AFTER)
    assert err.value.code == "wrong_state"
    services.minutes_approve(minutes=minutes, actor=torg.host, now=AFTER)
    for call in (
        lambda: services.minutes_submit(minutes=minutes, actor=torg.recorder, now=AFTER),
        lambda: services.minutes_approve(minutes=minutes, actor=torg.host, now=AFTER),
        lambda: services.minutes_return(minutes=minutes, comment="x", actor=torg.host, now=AFTER),
    ):
        with pytest.raises(DomainError) as err:
            call()
        assert err.value.code == "immutable"


# ---- corrections ---------------------------------------------------------------------------


def test_correction_is_a_new_version_and_both_stay_readable(torg, meeting):
    first = approved(torg, meeting)
    second = services.minutes_correct(minutes=first, reason="决议截止日期记错", actor=torg.recorder, now=LATE)
    assert (second.number, second.status, second.correction_reason) == (
        2,
        Minutes.Status.DRAFT,
        "决议截止日期记错",
    )
    assert second.body == first.body
    services.minutes_save(minutes=second, body="更正后", expected_version=1, actor=torg.recorder, now=LATE)
    services.minutes_submit(minutes=second, actor=torg.recorder, now=LATE)
    services.minutes_approve(minutes=second, actor=torg.host, now=LATE)
    versions = list(minutes_versions(meeting))
    assert [(v.number, v.status) for v in versions] == [(1, "approved"), (2, "approved")]
    assert versions[0].body == first.body and versions[1].body == "更正后"
    # The duty was met by the first approval; the correction does not make it late.
    assert minutes_obligation(meeting).state == Obligation.State.MET


def test_correction_refusals(torg, meeting):
    first = approved(torg, meeting)
    for who in NOT_RECORDERS:
        with pytest.raises(Forbidden):
            services.minutes_correct(minutes=first, reason="x", actor=getattr(torg, who), now=LATE)
    with pytest.raises(DomainError) as err:
        services.minutes_correct(minutes=first, reason=" ", actor=torg.recorder, now=LATE)
    assert err.value.code == "required" and err.value.field == "reason"
    services.minutes_correct(minutes=first, reason="更正", actor=torg.recorder, now=LATE)
    with pytest.raises(DomainError) as err:
        services.minutes_correct(minutes=first, reason="再更正", actor=torg.recorder, now=LATE)
    assert err.value.code == "not_latest"
    assert Minutes.objects.filter(meeting=meeting).count() == 2


def test_chinese_numbers():
    assert [chinese_numeral(n) for n in (1, 9, 10, 12, 20, 21)] == [
        "一",
        "九",
        "十",
        "十二",
        "二十",
        "二十一",
    ]
