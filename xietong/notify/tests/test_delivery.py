"""Sending against local servers: a real SMTP server and a real webhook receiver."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from django.db import connection

from xietong.meetings import services as meeting_services
from xietong.meetings.tests.factories import FRI_1000, THU_1800, published_meeting, sh
from xietong.notify.models import Channel, Delivery, DepartmentRobot, Message, Preference
from xietong.notify.services import notify_claim, notify_deliver, notify_digest, notify_dispatch, notify_retry

from .conftest import DINGTALK_SECRET, FEISHU_SECRET

D = Delivery.State


def _robot(torg, receiver, kind, dept="tech") -> DepartmentRobot:
    url = {
        "wecom": f"{receiver.base}/cgi-bin/webhook/send?key=wecomkey123",
        "dingtalk": f"{receiver.base}/robot/send?access_token=dingtoken123",
        "feishu": f"{receiver.base}/open-apis/bot/v2/hook/0a1b2c3d-feishu",
    }[kind]
    secret = {"wecom": "", "dingtalk": DINGTALK_SECRET, "feishu": FEISHU_SECRET}[kind]
    return DepartmentRobot.objects.create(
        department=torg.departments[dept], kind=kind, webhook_url=url, secret=secret, updated_at=THU_1800
    )


def _card_text(body: dict) -> str:
    """The markdown of a Feishu message card."""
    return body["card"]["elements"][0]["text"]["content"]


def _robots_only(torg):
    """Everyone off e-mail, so a test watches only the robot channel."""
    for person in torg.people.values():
        Preference.objects.create(person=person, email=False, robots=True, updated_at=THU_1800)


def _tech_invitees(meeting) -> int:
    return meeting.rsvps.filter(invitee__department__name="技术部").count()


def _drain(now, rounds=30, step=timedelta(seconds=5)):
    """Run the sender repeatedly, moving the clock on, until nothing is due."""
    for _ in range(rounds):
        with time_machine.travel(now, tick=False):
            notify_deliver(now=now)
        if not Delivery.objects.filter(state=D.PENDING).exists():
            return now
        now += step
    return now


# ---- e-mail -------------------------------------------------------------------------------


def test_notice_email_carries_the_ics_as_text_calendar_request(torg, smtp):
    meeting = published_meeting(torg)
    notify_dispatch(now=THU_1800)
    outcome = notify_deliver(now=THU_1800)
    invitees = meeting.rsvps.count()
    assert outcome == {"sent": invitees}
    assert len(smtp.messages) == invitees
    mail = next(m for m in smtp.messages if m["To"] == torg.tech_head.email)
    delivery = Delivery.objects.get(person=torg.tech_head, channel=Channel.EMAIL)
    assert mail["Message-ID"] == f"<xietong-delivery-{delivery.pk}@localhost>"
    assert mail.get_content_type() == "multipart/mixed"
    alternative = mail.get_payload()[0]
    assert alternative.get_content_type() == "multipart/alternative"
    parts = [p.get_content_type() for p in alternative.get_payload()]
    assert parts == ["text/plain", "text/html", "text/calendar"]
    calendar = alternative.get_payload()[2]
    assert calendar.get_param("method") == "REQUEST"
    assert calendar.get_content_charset() == "utf-8"
    ics = calendar.get_content()
    assert "METHOD:REQUEST" in ics and meeting.ics_uid in ics
    attachment = mail.get_payload()[1]
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_filename() == "invite.ics"
    import vobject

    parsed = vobject.readOne(ics)
    assert parsed.vevent.uid.value == meeting.ics_uid
    assert Delivery.objects.filter(state=D.SENT).count() == invitees


def test_cancellation_email_carries_method_cancel(torg, smtp):
    meeting = published_meeting(torg)
    notify_dispatch(now=THU_1800)
    notify_deliver(now=THU_1800)
    smtp.messages.clear()
    meeting_services.meeting_cancel(meeting=meeting, reason="改期", actor=torg.coordinator, now=FRI_1000)
    notify_dispatch(now=FRI_1000)
    notify_deliver(now=FRI_1000)
    mail = next(m for m in smtp.messages if m["To"] == torg.tech_head.email)
    calendar = mail.get_payload()[0].get_payload()[2]
    assert calendar.get_param("method") == "CANCEL"
    ics = calendar.get_content()
    assert "METHOD:CANCEL" in ics and "STATUS:CANCELLED" in ics
    assert "SEQUENCE:1" in ics


def test_smtp_refusal_is_retried_then_dead_then_the_coordinator_retries(torg, smtp, settings):
    settings.NOTIFY_MAX_ATTEMPTS = 3
    published_meeting(torg)
    notify_dispatch(now=THU_1800)
    smtp.refuse = "550 5.1.1 Mailbox unavailable"
    one = Delivery.objects.get(person=torg.tech_head)
    Delivery.objects.exclude(pk=one.pk).delete()
    now = THU_1800
    assert notify_deliver(now=now) == {"retry": 1}
    one.refresh_from_db()
    assert one.state == D.PENDING and one.attempts == 1
    assert "550" in one.last_error and "Mailbox unavailable" in one.last_error
    assert one.next_attempt_at > now
    assert notify_deliver(now=now) == {}  # not due before its backoff
    for expected in ("retry", "dead"):
        now = one.next_attempt_at
        assert notify_deliver(now=now) == {expected: 1}
        one.refresh_from_db()
    assert one.state == D.DEAD and one.attempts == 3
    assert smtp.messages == []
    # The coordinator retries after the mailbox is fixed; it is sent exactly once.
    smtp.refuse = ""
    with pytest.raises(Exception):  # noqa: B017,PT011 - Forbidden for anyone else
        notify_retry(actor=torg.tech_head, now=now, delivery_ids=[one.pk])
    assert notify_retry(actor=torg.coordinator, now=now, delivery_ids=[one.pk]) == 1
    assert notify_deliver(now=now) == {"sent": 1}
    assert notify_deliver(now=now + timedelta(hours=2)) == {}
    assert len(smtp.messages) == 1


def test_backoff_grows_with_full_jitter_and_is_capped(settings):
    from xietong.notify.services import backoff

    settings.NOTIFY_RETRY_BASE_SECONDS = 30
    settings.NOTIFY_RETRY_CAP_SECONDS = 3600
    samples = [backoff(1).total_seconds() for _ in range(200)]
    assert all(1 <= s <= 30 for s in samples) and len(set(samples)) > 100
    assert all(backoff(20).total_seconds() <= 3600 for _ in range(200))
    assert max(backoff(10).total_seconds() for _ in range(400)) > 1800


def test_daily_digest_sends_one_email_with_the_held_notifications(torg, smtp):
    Preference.objects.create(person=torg.tech_head, daily_digest=True, updated_at=THU_1800)
    meeting = published_meeting(torg)
    notify_dispatch(now=THU_1800)
    meeting_services.meeting_reschedule(
        meeting=meeting,
        starts_at=sh(2026, 3, 9, 14, 0),
        location="五楼",
        actor=torg.coordinator,
        now=FRI_1000,
    )
    notify_dispatch(now=FRI_1000)
    notify_deliver(now=FRI_1000)
    assert all(m["To"] != torg.tech_head.email for m in smtp.messages)
    held = Delivery.objects.filter(person=torg.tech_head, state=D.HELD)
    assert held.count() == 2
    morning = sh(2026, 3, 7, 8, 0)
    assert notify_digest(now=morning) == 1
    assert notify_digest(now=morning) == 0  # a second run the same day adds nothing
    smtp.messages.clear()
    assert notify_deliver(now=morning) == {"sent": 1}
    [digest] = smtp.messages
    assert digest["To"] == torg.tech_head.email
    text = digest.get_payload()[0].get_content()
    assert text.count("跨科室周例会") >= 2 or text.count("\n- ") == 2
    assert Delivery.objects.filter(person=torg.tech_head, state=D.SENT, message__isnull=False).count() == 2
    assert notify_deliver(now=morning + timedelta(hours=1)) == {}


# ---- robots -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["wecom", "dingtalk", "feishu"])
def test_robot_messages_are_signed_and_mention_the_person(torg, receiver, kind):
    _robot(torg, receiver, kind)
    _robots_only(torg)
    with time_machine.travel(THU_1800, tick=False):
        meeting = published_meeting(torg)
        notify_dispatch(now=THU_1800)
        # One goes now; the others wait for the robot's next send slot.
        assert notify_deliver(now=THU_1800) == {"sent": 1, "wait": _tech_invitees(meeting) - 1}
    assert receiver.rejected == []
    [got] = receiver.received
    body = got["body"]
    first = Delivery.objects.get(state=D.SENT).person
    if kind == "wecom":
        # No WeCom user id: a text message mentioning by mobile.
        assert body["msgtype"] == "text"
        assert body["text"]["mentioned_mobile_list"] == [first.mobile]
    elif kind == "dingtalk":
        assert body["at"]["atMobiles"] == [first.mobile]
        assert f"@{first.mobile}" in body["markdown"]["text"]
    else:
        assert "timestamp" in body and "sign" in body
        assert body["msg_type"] == "interactive"
        assert first.full_name in _card_text(body)


def test_wecom_markdown_mentions_by_user_id(torg, receiver):
    _robot(torg, receiver, "wecom")
    _robots_only(torg)
    torg.tech_head.wecom_userid = "zhou.js"
    torg.tech_head.save()
    with time_machine.travel(THU_1800, tick=False):
        published_meeting(torg)
        notify_dispatch(now=THU_1800)
        _drain(THU_1800)
    bodies = [r["body"] for r in receiver.received]
    markdown = [b for b in bodies if b["msgtype"] == "markdown"]
    assert len(markdown) == 1 and "<@zhou.js>" in markdown[0]["markdown"]["content"]


def test_robot_pace_stays_within_the_vendor_limit_and_drops_nothing(torg, receiver):
    _robot(torg, receiver, "dingtalk")
    _robots_only(torg)
    with time_machine.travel(THU_1800, tick=False):
        meeting = published_meeting(torg)
    # Many notifications for the department in one go.
    for n in range(12):
        with time_machine.travel(THU_1800 + timedelta(minutes=n), tick=False):
            meeting_services.meeting_reschedule(
                meeting=meeting,
                starts_at=sh(2026, 3, 9, 9, 0) + timedelta(minutes=10 * (n + 1)),
                location="五楼",
                actor=torg.coordinator,
                now=THU_1800 + timedelta(minutes=n),
            )
            meeting.refresh_from_db()
    now = THU_1800 + timedelta(minutes=10)
    notify_dispatch(now=now)
    total = Delivery.objects.filter(channel=Channel.DINGTALK).count()
    assert total == 13 * _tech_invitees(meeting) > 20
    sent_at = []
    for _ in range(100):
        with time_machine.travel(now, tick=False):
            outcome = notify_deliver(now=now)
        sent_at += [now] * outcome.get("sent", 0)
        if not Delivery.objects.filter(state=D.PENDING).exists():
            break
        now += timedelta(seconds=1)
    assert len(receiver.received) == total == len(sent_at)
    assert receiver.rejected == []
    # Never more than 20 in any 60 seconds.
    for start in sent_at:
        assert sum(1 for t in sent_at if start <= t < start + timedelta(seconds=60)) <= 20


def test_receiver_down_for_a_while_then_everything_arrives_exactly_once(torg, receiver, settings):
    settings.NOTIFY_RETRY_CAP_SECONDS = 60
    # Twenty rounds while the receiver is down: with full jitter a delivery may be tried in
    # every round, so the attempt limit is set above that (dying is tested on its own above).
    settings.NOTIFY_MAX_ATTEMPTS = 21
    _robot(torg, receiver, "feishu")
    _robots_only(torg)
    with time_machine.travel(THU_1800, tick=False):
        n = _tech_invitees(published_meeting(torg))
        notify_dispatch(now=THU_1800)
    receiver.down()
    now = THU_1800
    for _ in range(20):
        with time_machine.travel(now, tick=False):
            notify_deliver(now=now)
        now += timedelta(seconds=10)
    failing = Delivery.objects.filter(state=D.PENDING, attempts__gt=0)
    assert failing.count() == n and all(d.last_error for d in failing)
    assert not Delivery.objects.filter(state__in=[D.SENT, D.DEAD]).exists()
    receiver.up()
    _drain(now, rounds=60)
    assert Delivery.objects.filter(state=D.SENT).count() == n
    people = Counter(_card_text(r["body"]).rsplit("@", 1)[-1] for r in receiver.received)
    assert len(receiver.received) == n == len(people) and set(people.values()) == {1}


@pytest.mark.parametrize("mode", ["500", "timeout"])
def test_server_errors_and_timeouts_are_retried_with_a_reason(torg, receiver, mode):
    _robot(torg, receiver, "wecom")
    _robots_only(torg)
    with time_machine.travel(THU_1800, tick=False):
        n = _tech_invitees(published_meeting(torg))
        notify_dispatch(now=THU_1800)
    receiver.mode = mode
    with time_machine.travel(THU_1800, tick=False):
        assert notify_deliver(now=THU_1800)["retry"] == 1
    failed = Delivery.objects.get(attempts=1)
    assert failed.last_error == ("HTTP 500" if mode == "500" else "timed out")
    receiver.mode = "ok"
    _drain(THU_1800 + timedelta(minutes=1), rounds=60)
    assert Delivery.objects.filter(state=D.SENT).count() == n
    # A timed-out request may have been accepted before we stopped waiting (the receiver
    # took it after 1.5 s): that is the documented at-least-once window of webhooks.
    assert len(receiver.received) in ((n,) if mode == "500" else (n, n + 1))


def test_vendor_throttle_pauses_the_robot_without_counting_a_failure(torg, receiver):
    _robot(torg, receiver, "dingtalk")
    _robots_only(torg)
    with time_machine.travel(THU_1800, tick=False):
        n = _tech_invitees(published_meeting(torg))
        notify_dispatch(now=THU_1800)
        receiver.mode = "throttle"
        assert notify_deliver(now=THU_1800) == {"wait": n}
    throttled = Delivery.objects.filter(last_error__startswith="90030")
    assert throttled.count() == 1 and throttled.get().attempts == 0
    robot = DepartmentRobot.objects.get()
    assert robot.next_slot_at == THU_1800 + timedelta(minutes=10)  # DingTalk's 10-minute throttle
    receiver.mode = "ok"
    with time_machine.travel(THU_1800 + timedelta(minutes=5), tick=False):
        assert notify_deliver(now=THU_1800 + timedelta(minutes=5)) == {}
    _drain(THU_1800 + timedelta(minutes=10))
    assert len(receiver.received) == n and Delivery.objects.filter(state=D.SENT).count() == n


def test_wrong_signature_is_a_failure_with_the_vendors_reason(torg, receiver):
    robot = _robot(torg, receiver, "dingtalk")
    robot.secret = "SEC" + "f" * 64
    robot.save()
    _robots_only(torg)
    with time_machine.travel(THU_1800, tick=False):
        published_meeting(torg)
        notify_dispatch(now=THU_1800)
        notify_deliver(now=THU_1800)
    failed = Delivery.objects.get(attempts=1)
    assert failed.last_error == "310000 sign not match"
    assert receiver.received == []


def test_removed_robot_sends_its_deliveries_to_the_dead_letter_list(torg, receiver):
    robot = _robot(torg, receiver, "feishu")
    _robots_only(torg)
    with time_machine.travel(THU_1800, tick=False):
        n = _tech_invitees(published_meeting(torg))
        notify_dispatch(now=THU_1800)
    robot.delete()
    notify_deliver(now=THU_1800)
    assert Delivery.objects.filter(state=D.DEAD).count() == n
    assert receiver.received == []


# ---- workers ------------------------------------------------------------------------------


def test_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(torg, smtp, settings):
    settings.NOTIFY_LEASE_SECONDS = 120
    published_meeting(torg)
    notify_dispatch(now=THU_1800)
    total = Delivery.objects.count()
    # Worker A claims everything, sends the first two, then dies.
    token, ids = notify_claim(now=THU_1800)
    assert len(ids) == total
    from xietong.notify.services import deliver_one

    for delivery in Delivery.objects.filter(pk__in=ids[:2]).select_related("person", "message", "robot"):
        assert deliver_one(delivery, token=token, now=THU_1800) == "sent"
    # While A's lease runs, worker B finds nothing to do.
    assert notify_deliver(now=THU_1800 + timedelta(seconds=60)) == {}
    # After the lease, B sends the rest.
    assert notify_deliver(now=THU_1800 + timedelta(seconds=121)) == {"sent": total - 2}
    recipients = Counter(m["To"] for m in smtp.messages)
    assert len(smtp.messages) == total and set(recipients.values()) == {1}
    assert Delivery.objects.filter(state=D.SENT).count() == total


def test_a_lapsed_claim_cannot_overwrite_the_new_owners_outcome(torg, smtp, settings):
    settings.NOTIFY_LEASE_SECONDS = 60
    published_meeting(torg)
    notify_dispatch(now=THU_1800)
    token, ids = notify_claim(now=THU_1800, limit=1)
    token2, ids2 = notify_claim(now=THU_1800 + timedelta(seconds=61), limit=1)
    assert ids == ids2 and token != token2
    from xietong.notify.services import _finish

    stale = Delivery.objects.get(pk=ids[0])
    assert not _finish(stale, token, state=D.DEAD)
    assert Delivery.objects.get(pk=ids[0]).state == D.PENDING


@pytest.mark.django_db(transaction=True)
def test_two_worker_processes_send_each_delivery_once(workers, smtp):
    from xietong.desk.testing import build_test_org

    published_meeting(build_test_org())
    notify_dispatch(now=THU_1800)
    total = Delivery.objects.count()
    workers.snapshot()
    results = workers.run("deliver", THU_1800, processes=2)
    assert sum(r.get("sent", 0) for r in results) == total
    assert workers.query("SELECT state, COUNT(*) FROM notify_delivery GROUP BY state") == [("sent", total)]
    recipients = Counter(m["To"] for m in smtp.messages)
    assert len(smtp.messages) == total and set(recipients.values()) == {1}


def test_inbox_message_is_unique_per_event_and_recipient(torg):
    published_meeting(torg)
    notify_dispatch(now=THU_1800)
    message = Message.objects.first()
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(
            event=message.event, recipient=message.recipient, topic="x", created_at=THU_1800
        )


def test_a_slow_pass_hands_back_its_claims_before_the_lease_runs_out(torg, receiver, settings):
    settings.NOTIFY_LEASE_SECONDS = 1
    _robot(torg, receiver, "wecom")
    _robots_only(torg)
    with time_machine.travel(THU_1800, tick=False):
        n = _tech_invitees(published_meeting(torg))
        notify_dispatch(now=THU_1800)
    assert n >= 2
    receiver.mode = "timeout"  # each request takes longer than half the lease
    assert notify_deliver(now=THU_1800) == {"retry": 1}
    untouched = Delivery.objects.filter(attempts=0)
    assert untouched.count() == n - 1
    assert all(d.claim_token == "" and d.claimed_until is None for d in untouched)


@pytest.mark.django_db(transaction=True)
def test_worker_process_killed_mid_batch_loses_nothing_and_sends_nothing_twice(workers, smtp, settings):
    import signal

    from xietong.desk.testing import build_test_org

    published_meeting(build_test_org())
    notify_dispatch(now=THU_1800)
    total = Delivery.objects.count()
    assert total > 3
    workers.snapshot()
    smtp.stall_at = 1  # the second e-mail hangs: the worker is killed in the middle of its batch
    [proc] = workers.start("deliver", THU_1800, processes=1)
    try:
        assert smtp.stalled.wait(60)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
    smtp.stall_at = None
    assert len(smtp.messages) == 1
    # A second worker before the killed one's lease ran out leaves its rows alone ...
    assert workers.run("deliver", THU_1800 + timedelta(seconds=60), processes=1) == [{"sent": total - 2}]
    # ... and picks them up once it has.
    lease = timedelta(seconds=settings.NOTIFY_LEASE_SECONDS + 1)
    assert workers.run("deliver", THU_1800 + lease, processes=1) == [{"sent": 1}]
    assert workers.query("SELECT state, COUNT(*) FROM notify_delivery GROUP BY state") == [("sent", total)]
    recipients = Counter(m["To"] for m in smtp.messages)
    assert len(smtp.messages) == total and set(recipients.values()) == {1}


@pytest.mark.django_db(transaction=True)
def test_two_dispatcher_processes_write_each_message_once(workers):
    from xietong.core.models import Event
    from xietong.desk.testing import build_test_org

    torg = build_test_org()
    meeting = published_meeting(torg)
    Event.objects.exclude(name="meeting.published").update(dispatched_at=THU_1800)
    for n in range(6):
        meeting_services.meeting_reschedule(
            meeting=meeting,
            starts_at=sh(2026, 3, 9, 10, 0) + timedelta(minutes=10 * n),
            location="五楼",
            actor=torg.coordinator,
            now=THU_1800 + timedelta(minutes=n),
        )
        meeting.refresh_from_db()
    pending = Event.objects.filter(dispatched_at__isnull=True).count()
    invitees = meeting.rsvps.count()
    workers.snapshot()
    results = workers.run("dispatch", FRI_1000, processes=2)
    # Each event was taken by exactly one of them, and nothing was written twice.
    assert sum(r.get("events", 0) for r in results) == pending
    assert workers.query("SELECT COUNT(*) FROM core_event WHERE dispatched_at IS NULL") == [(0,)]
    assert workers.query("SELECT COUNT(*) FROM notify_message") == [(7 * invitees,)]
    assert workers.query("SELECT COUNT(*) FROM notify_delivery") == [(7 * invitees,)]


def test_notice_email_carries_a_personal_sign_in_link_that_works_once(torg, smtp):
    import re

    from xietong.core.errors import DomainError
    from xietong.live.services import signin_with_link
    from xietong.records.models import Attendance

    meeting = published_meeting(torg)
    notify_dispatch(now=THU_1800)
    notify_deliver(now=THU_1800)
    mails = {m["To"]: m for m in smtp.messages}
    text = mails[torg.tech_head.email].get_payload()[0].get_payload()[0].get_content()
    links = re.findall(r"/live/s/([^/\s]+)/", text)
    assert len(links) == 1, text
    other = mails[torg.market_head.email].get_payload()[0].get_payload()[0].get_content()
    assert re.findall(r"/live/s/([^/\s]+)/", other) != links  # personal, not shared

    signin_with_link(token=links[0], now=meeting.starts_at - timedelta(minutes=5))
    attendance = Attendance.objects.get(meeting=meeting, person=torg.tech_head)
    assert attendance.status == "present"
    with pytest.raises(DomainError):
        signin_with_link(token=links[0], now=meeting.starts_at)


def test_a_robot_whose_address_cannot_be_decrypted_fails_alone(torg, receiver):
    _robot(torg, receiver, "wecom")
    broken = _robot(torg, receiver, "dingtalk", dept="market")
    # Stored under a data key this installation no longer has.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE notify_departmentrobot SET webhook_url = %s WHERE id = %s", ["gAAAAAB-x", broken.pk]
        )
    _robots_only(torg)
    with time_machine.travel(THU_1800, tick=False):
        published_meeting(torg)
        notify_dispatch(now=THU_1800)
        _drain(THU_1800)
    assert Delivery.objects.filter(channel=Channel.WECOM, state=D.SENT).count() == len(receiver.received) > 0
    failed = Delivery.objects.filter(robot=broken)
    assert failed.exists() and not failed.filter(state=D.SENT).exists()
    assert {d.last_error for d in failed} == {"the robot's address cannot be decrypted with the data keys"}
