"""Issue #3 gaps: topics follow their item's outcome, the leadership-approval duty and late
approvals, the lock on a closed record, and bad input shown escaped (record page, minutes, .docx)."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from xietong.actions import services as action_services
from xietong.actions.models import ActionItem
from xietong.core.errors import DomainError
from xietong.core.models import Event
from xietong.meetings import services as meeting_services
from xietong.meetings.models import Meeting
from xietong.meetings.tests.factories import THU_1800, sh
from xietong.minutes import services as minutes_services
from xietong.obligations.models import Obligation, ObligationKind
from xietong.policy.models import PolicyVersion
from xietong.policy.rules import load_preset, to_data
from xietong.records import services
from xietong.records.models import Attendance, Decision, ItemRecord
from xietong.records.tests.helpers import DURING, decide, held_meeting, items_of, settle_items
from xietong.topics.models import Topic

AFTER = sh(2026, 3, 9, 10, 45)  # the meeting (09:00–10:30) is over
TUE = sh(2026, 3, 10, 10, 0)
THU = sh(2026, 3, 12, 10, 0)
XSS = '<script>alert("x")</script><b>粗</b>'


@pytest.fixture
def meeting(torg):
    return held_meeting(torg, topics=2)


def _english(client):
    client.cookies["django_language"] = "en"
    return client


def _duties(kind, subject):
    return list(
        Obligation.objects.filter(
            kind=kind, subject_type=ContentType.objects.get_for_model(subject), subject_id=subject.pk
        ).order_by("id")
    )


def _resource(torg, meeting, **overrides):
    return decide(torg, meeting, allocates_resources=True, resource_kind="money", amount="5000", **overrides)


def _close(torg, meeting, now=AFTER):
    settle_items(torg, meeting)
    services.record_close(meeting=meeting, actor=torg.recorder, now=now)
    meeting.refresh_from_db()


# ---- 2. the topic follows its item's outcome ------------------------------------------------


@pytest.mark.parametrize("outcome", ["decided", "closed"])
def test_decided_or_closed_item_moves_its_topic_to_done(torg, meeting, outcome):
    first, second = items_of(meeting)
    services.item_record(item=first, outcome=outcome, notes="讨论", actor=torg.recorder, now=DURING)
    assert Topic.objects.get(pk=first.topic_id).status == Topic.Status.DONE
    assert Topic.objects.get(pk=second.topic_id).status == Topic.Status.SCHEDULED
    event = Event.objects.get(name="topic.done", subject_id=first.topic_id)
    assert event.actor_id == torg.recorder.pk and event.data["outcome"] == outcome
    # Changing between decided and closed keeps it done, without a second event.
    other = "closed" if outcome == "decided" else "decided"
    services.item_record(item=first, outcome=other, actor=torg.recorder, now=DURING)
    assert Topic.objects.get(pk=first.topic_id).status == Topic.Status.DONE
    assert Event.objects.filter(name="topic.done").count() == 1


def test_deferred_item_still_puts_the_topic_back_in_the_pool(torg, meeting):
    first, _ = items_of(meeting)
    services.item_record(item=first, outcome="deferred", reason="待补充材料", actor=torg.recorder, now=DURING)
    topic = Topic.objects.get(pk=first.topic_id)
    assert topic.status == Topic.Status.TRIAGED and topic.rollover_count == 1
    assert topic.meeting.starts_at == sh(2026, 3, 16, 9, 0)
    assert not Event.objects.filter(name="topic.done").exists()


def test_decided_then_deferred_reopens_and_defers_the_topic(torg, meeting):
    first, _ = items_of(meeting)
    services.item_record(item=first, outcome="decided", actor=torg.recorder, now=DURING)
    services.item_record(
        item=first, outcome="deferred", reason="改为下次讨论", actor=torg.recorder, now=DURING
    )
    topic = Topic.objects.get(pk=first.topic_id)
    assert topic.status == Topic.Status.TRIAGED and topic.deferral_reason == "改为下次讨论"
    assert Event.objects.filter(name="topic.reopened", subject_id=topic.pk).exists()


def test_refused_item_record_leaves_the_topic_as_it_was(torg, meeting):
    first, _ = items_of(meeting)
    with pytest.raises(DomainError):
        services.item_record(
            item=first, outcome="decided", notes="x" * 10001, actor=torg.recorder, now=DURING
        )
    assert Topic.objects.get(pk=first.topic_id).status == Topic.Status.SCHEDULED
    assert not ItemRecord.objects.exists()


def test_topic_page_shows_it_was_dealt_with(torg, meeting, login):
    first, _ = items_of(meeting)
    services.item_record(item=first, outcome="decided", actor=torg.recorder, now=DURING)
    with time_machine.travel(AFTER, tick=False):
        page = _english(login(torg.tech_liaison)).get(f"/topics/{first.topic_id}/").content.decode()
    assert 'data-status="done"' in page and 'data-event="topic.done"' in page


# ---- 3. leadership approval: its duty, and approvals after the record is closed ----------------


def test_resource_decision_opens_the_leadership_duty_under_the_policy(torg, meeting):
    decision = _resource(torg, meeting)
    (duty,) = _duties(ObligationKind.LEADERSHIP_APPROVAL, decision)
    rule = meeting.policy_version.rules.get("leadership_approval_days")
    assert duty.state == Obligation.State.PENDING
    assert duty.rule == "leadership_approval_days" and duty.clause == rule.clause
    # seed 01: 2 working days after it was recorded (Monday 09:40 → Wednesday 09:40).
    assert rule.count == 2
    assert duty.due_at == sh(2026, 3, 11, 9, 40)
    assert duty.responsible_id == torg.chair.pk and duty.department_id is None
    assert not _duties(ObligationKind.LEADERSHIP_APPROVAL, decide(torg, meeting))  # effective: none


def test_leadership_duty_due_skips_the_weekend(torg, meeting):
    friday = sh(2026, 3, 13, 16, 0)
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=sh(2026, 3, 13, 15, 0), ends_at=sh(2026, 3, 13, 17, 0)
    )
    meeting.refresh_from_db()
    decision = _resource(torg, meeting, now=friday, due_on=date(2026, 3, 20))
    (duty,) = _duties(ObligationKind.LEADERSHIP_APPROVAL, decision)
    assert duty.due_at == sh(2026, 3, 17, 16, 0)


def test_no_leadership_duty_when_the_policy_has_no_such_rule(torg, meeting):
    data = to_data(load_preset("seed01-weekly"))
    data["policy"]["key"] = torg.policy.key
    del data["rules"]["leadership_approval_days"]
    last = torg.policy.versions.order_by("-number").first()
    version = PolicyVersion.objects.create(
        policy=torg.policy, number=last.number + 1, data=data, created_at=timezone.now(), reason="test"
    )
    Meeting.objects.filter(pk=meeting.pk).update(policy_version=version)
    meeting.refresh_from_db()
    decision = _resource(torg, meeting)
    assert decision.status == Decision.Status.AWAITING_LEADERSHIP
    assert not _duties(ObligationKind.LEADERSHIP_APPROVAL, decision)
    services.decision_approve(decision=decision, actor=torg.chair, now=TUE)  # nothing to close: fine


def test_approval_in_time_meets_the_duty_and_a_late_one_breaches_it(torg, meeting):
    on_time, late = _resource(torg, meeting), _resource(torg, meeting, text="第二项")
    services.decision_approve(decision=on_time, actor=torg.chair, now=TUE)
    services.decision_reject(decision=late, reason="预算不足", actor=torg.chair, now=THU)
    assert _duties(ObligationKind.LEADERSHIP_APPROVAL, on_time)[0].state == Obligation.State.MET
    duty = _duties(ObligationKind.LEADERSHIP_APPROVAL, late)[0]
    assert duty.state == Obligation.State.BREACHED and duty.closed_at == THU
    assert Event.objects.get(name="decision.rejected").data["late"] is True


def test_approval_after_closing_opens_the_departments_acknowledgement(torg, meeting):
    decision = _resource(torg, meeting)
    _close(torg, meeting)
    assert not _duties(ObligationKind.DECISION_ACK, meeting)  # no action items yet
    services.decision_approve(decision=decision, comment="同意", actor=torg.chair, now=TUE)
    assert ActionItem.objects.get(decision=decision).department_id == torg.departments["tech"].pk
    (ack,) = _duties(ObligationKind.DECISION_ACK, meeting)
    minutes = meeting.policy_version.rules.get("decision_ack").minutes
    assert ack.department_id == torg.departments["tech"].pk
    assert ack.responsible_id == torg.tech_liaison.pk
    assert ack.due_at == TUE + timezone.timedelta(minutes=minutes)  # counted from the approval
    assert ack.state == Obligation.State.PENDING
    assert Event.objects.get(name="decision.approved").data["ack_opened"] is True
    # The liaison acknowledges it like any other task.
    done = action_services.tasks_acknowledge(
        meeting=meeting, department=torg.departments["tech"], actor=torg.tech_liaison, now=TUE
    )
    assert done.state == Obligation.State.MET


def test_approval_after_closing_reuses_a_duty_still_open_and_rejection_opens_none(torg, meeting):
    decide(torg, meeting)  # an effective tech decision: tech owes an acknowledgement at closing
    first = _resource(torg, meeting)
    second = _resource(torg, meeting, text="第二项")
    rejected = _resource(
        torg, meeting, text="第三项", department=torg.departments["market"], responsible=torg.market_head
    )
    _close(torg, meeting)
    assert len(_duties(ObligationKind.DECISION_ACK, meeting)) == 1
    services.decision_approve(decision=first, actor=torg.chair, now=AFTER)
    assert len(_duties(ObligationKind.DECISION_ACK, meeting)) == 1  # still open: covers it
    action_services.tasks_acknowledge(
        meeting=meeting, department=torg.departments["tech"], actor=torg.tech_liaison, now=AFTER
    )
    services.decision_approve(decision=second, actor=torg.chair, now=TUE)
    duties = _duties(ObligationKind.DECISION_ACK, meeting)
    assert [d.state for d in duties] == [Obligation.State.MET, Obligation.State.PENDING]
    services.decision_reject(decision=rejected, reason="不同意", actor=torg.chair, now=TUE)
    assert not any(
        d.department_id == torg.departments["market"].pk
        for d in _duties(ObligationKind.DECISION_ACK, meeting)
    )
    assert not ActionItem.objects.filter(decision=rejected).exists()
    assert _duties(ObligationKind.LEADERSHIP_APPROVAL, rejected)[0].state == Obligation.State.MET


def test_approval_before_closing_leaves_the_acknowledgement_to_the_close(torg, meeting):
    decision = _resource(torg, meeting)
    services.decision_approve(decision=decision, actor=torg.chair, now=DURING)
    assert not _duties(ObligationKind.DECISION_ACK, meeting)
    _close(torg, meeting)
    assert [d.department_id for d in _duties(ObligationKind.DECISION_ACK, meeting)] == [
        torg.departments["tech"].pk
    ]


# ---- 4. a closed record is locked --------------------------------------------------------------


def _snapshot():
    return (
        list(Attendance.objects.values_list("person_id", "status", "reason")),
        list(ItemRecord.objects.values_list("agenda_item_id", "outcome", "notes")),
        list(Decision.objects.values_list("id", "status", "text")),
        list(Topic.objects.values_list("id", "status")),
        ActionItem.objects.count(),
    )


@pytest.fixture
def closed(torg, meeting):
    services.attendance_record(
        meeting=meeting, person=torg.tech_head, status="present", actor=torg.recorder, now=DURING
    )
    first, _ = items_of(meeting)
    services.item_record(item=first, outcome="decided", notes="讨论", actor=torg.recorder, now=DURING)
    decide(torg, meeting)
    _close(torg, meeting)
    return meeting


@pytest.mark.parametrize(
    "call",
    [
        lambda torg, m: services.attendance_record(
            meeting=m, person=torg.tech_head, status="absent", reason="出差", actor=torg.recorder, now=AFTER
        ),
        lambda torg, m: services.attendance_record(
            meeting=m, person=torg.market_head, status="present", actor=torg.host, now=AFTER
        ),
        lambda torg, m: services.attendance_signin(
            meeting=m, person=torg.market_head, actor=torg.market_head, now=AFTER
        ),
        lambda torg, m: services.item_record(
            item=items_of(m)[0], outcome="closed", notes="改", actor=torg.recorder, now=AFTER
        ),
        lambda torg, m: services.item_record(
            item=items_of(m)[1], outcome="deferred", reason="下次", actor=torg.recorder, now=AFTER
        ),
        lambda torg, m: decide(torg, m, now=AFTER),
        lambda torg, m: decide(
            torg, m, actor=torg.host, now=AFTER, allocates_resources=True, resource_kind="money", amount=1
        ),
    ],
    ids=["attendance", "attendance-host", "signin", "item", "item-defer", "decision", "decision-host"],
)
def test_closed_record_refuses_changes_through_the_services(torg, closed, call):
    before = _snapshot()
    with pytest.raises(DomainError) as err:
        call(torg, closed)
    assert err.value.code == "record_closed"
    assert str(err.value) == str(services.ERR_RECORD_CLOSED)
    assert _snapshot() == before


def test_paste_import_into_a_closed_record_is_refused(torg, closed):
    before = _snapshot()
    with pytest.raises(DomainError) as err:
        minutes_services.minutes_paste_import(
            meeting=closed,
            text="[补充任务](负责人:周技术,截止日期:2026-03-20)",
            actor=torg.recorder,
            now=AFTER,
        )
    assert err.value.code == "record_closed"
    assert _snapshot() == before


@pytest.mark.parametrize(
    ("url", "data"),
    [
        (
            "/records/meeting/{m}/attendance/",
            {"a{p}-status": "absent", "a{p}-reason": "出差"},
        ),
        ("/records/item/{i}/", {"i{i}-outcome": "closed", "i{i}-notes": "改"}),
        (
            "/records/meeting/{m}/decisions/",
            {"text": "补充决议", "department": "{d}", "responsible": "{r}", "due_on": "2026-03-20"},
        ),
    ],
    ids=["attendance", "item", "decision"],
)
def test_closed_record_refuses_changes_through_the_views(torg, closed, login, url, data):
    item = items_of(closed)[0]
    subs = {
        "m": closed.pk,
        "i": item.pk,
        "p": torg.tech_head.pk,
        "d": torg.departments["tech"].pk,
        "r": torg.tech_head.pk,
    }
    fill = lambda v: v.format(**subs)  # noqa: E731
    before = _snapshot()
    with time_machine.travel(AFTER, tick=False):
        response = login(torg.recorder).post(fill(url), {fill(k): fill(v) for k, v in data.items()})
    assert response.status_code == 403
    assert _snapshot() == before


def test_closed_record_page_shows_no_forms_but_the_leadership_still_answers(torg, meeting, login):
    decision = _resource(torg, meeting)
    _close(torg, meeting)
    with time_machine.travel(AFTER, tick=False):
        page = _english(login(torg.recorder)).get(f"/records/meeting/{meeting.pk}/").content.decode()
        assert 'id="record-locked"' in page
        assert 'id="decision-form"' not in page
        assert f"/records/item/{items_of(meeting)[0].pk}/" not in page
        assert f"/records/meeting/{meeting.pk}/attendance/" not in page
        response = login(torg.chair).post(f"/records/decision/{decision.pk}/approve/", {"comment": "同意"})
    assert response.status_code == 302
    decision.refresh_from_db()
    assert decision.status == Decision.Status.EFFECTIVE


# ---- 5. bad input -------------------------------------------------------------------------------


def test_html_in_every_record_field_is_shown_escaped(torg, meeting, login):
    first, second = items_of(meeting)
    services.attendance_record(
        meeting=meeting, person=torg.market_head, status="absent", reason=XSS, actor=torg.recorder, now=DURING
    )
    services.item_record(item=first, outcome="decided", notes=XSS, actor=torg.recorder, now=DURING)
    services.item_record(item=second, outcome="deferred", reason=XSS[:60], actor=torg.recorder, now=DURING)
    decide(torg, meeting, text=XSS)
    rejected = _resource(torg, meeting, text="资源")
    services.decision_reject(decision=rejected, reason=XSS, actor=torg.chair, now=DURING)
    with time_machine.travel(DURING, tick=False):
        page = login(torg.recorder).get(f"/records/meeting/{meeting.pk}/").content.decode()
    assert "<script>alert" not in page and "<b>粗" not in page
    assert page.count("&lt;script&gt;alert(") >= 5


def test_html_and_control_characters_reach_the_minutes_and_docx_safely(torg, meeting, login):
    first, _ = items_of(meeting)
    # Word pastes \x07 (cell marks) and \x0b (manual line breaks): invisible, and not XML.
    services.item_record(
        item=first, outcome="decided", notes=f"{XSS}\x07第一行\x0b第二行\x01", actor=torg.recorder, now=DURING
    )
    record = ItemRecord.objects.get()
    assert record.notes == f"{XSS}第一行\n第二行"
    decide(torg, meeting, text=f"{XSS}\x08", agenda_item=first)
    minutes = minutes_services.minutes_draft(meeting=meeting, actor=torg.recorder, now=AFTER)
    assert XSS in minutes.body
    minutes_services.minutes_save(
        minutes=minutes,
        body=minutes.body + "\n补充\x07说明",
        expected_version=minutes.edit_version,
        actor=torg.recorder,
        now=AFTER,
    )
    client = login(torg.recorder)
    with time_machine.travel(AFTER, tick=False):
        page = client.get(f"/minutes/{minutes.pk}/").content.decode()
        response = client.get(f"/minutes/{minutes.pk}/minutes.docx")
    assert "<script>alert" not in page and "&lt;script&gt;alert(" in page
    assert response.status_code == 200
    xml = zipfile.ZipFile(io.BytesIO(response.content)).read("word/document.xml").decode()
    assert "<script>" not in xml and "&lt;script&gt;alert(" in xml
    assert "补充说明" in xml


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"text": "\x07\x0b "}, "required", "text"),
        ({"responsible": "inactive"}, "unknown_person", "responsible"),
    ],
)
def test_decision_text_of_control_characters_only_and_unknown_people_are_refused(
    torg, meeting, overrides, code, field
):
    if overrides.get("responsible") == "inactive":
        torg.outsider.is_active = False
        torg.outsider.save()
        overrides = {"responsible": torg.outsider}
    with pytest.raises(DomainError) as err:
        decide(torg, meeting, **overrides)
    assert (err.value.code, err.value.field) == (code, field)
    assert not Decision.objects.exists()


def test_attendance_over_long_reason_and_unknown_delegate_are_field_errors(torg, meeting, login):
    meeting_services.meeting_publish(meeting=meeting, actor=torg.coordinator, now=THU_1800)
    p = torg.tech_head.pk
    client = _english(login(torg.recorder))
    with time_machine.travel(DURING, tick=False):
        long = client.post(
            f"/records/meeting/{meeting.pk}/attendance/",
            {f"a{p}-status": "absent", f"a{p}-reason": "长" * 301},
        )
        unknown = client.post(
            f"/records/meeting/{meeting.pk}/attendance/",
            {f"a{p}-status": "delegate", f"a{p}-delegate": 999999},
        )
    assert long.status_code == 400 and unknown.status_code == 400
    assert not Attendance.objects.exists()


def test_record_page_shows_when_the_leadership_must_decide(torg, meeting, login):
    decision = _resource(torg, meeting)
    with time_machine.travel(THU, tick=False):
        page = _english(login(torg.chair)).get(f"/records/meeting/{meeting.pk}/").content.decode()
    assert f'data-approval-due="{decision.pk}"' in page
    assert meeting.policy_version.rules.get("leadership_approval_days").clause in page
    assert "2026-03-11 09:40" in page
    services.decision_approve(decision=decision, actor=torg.chair, now=THU)
    with time_machine.travel(THU, tick=False):
        page = _english(login(torg.chair)).get(f"/records/meeting/{meeting.pk}/").content.decode()
    assert "data-approval-due" not in page
