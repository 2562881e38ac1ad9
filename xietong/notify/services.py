"""Notification writes: the dispatcher (events → messages and deliveries), the sender,
the daily digest, the coordinator's retry, reading, preferences and department robots.

Delivery guarantees (reliability.md §6):
- The Event row is written in the same transaction as the change it records, so nothing
  is lost before dispatch. ``notify_dispatch`` writes Messages (unique per event and
  recipient), Deliveries (unique per message and channel) and sets ``dispatched_at`` in one
  transaction: a crash redoes the whole batch, and the unique keys make a redo write nothing
  twice.
- ``notify_deliver`` claims due rows with a conditional UPDATE (a lease with a token), so two
  workers never hold the same row; a killed worker's rows come back when the lease lapses.
- The remaining at-least-once window: a worker that dies after the channel accepted a
  message and before it recorded "sent" will have it sent again after the lease. E-mail
  carries a Message-ID derived from the delivery id, so the resend is recognisable; the
  robot webhooks take no idempotency key, so a duplicate group message is possible there.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce, Greatest
from django.utils.translation import gettext_lazy as _

from xietong.core import transitions
from xietong.core.crypto import InvalidToken
from xietong.core.errors import DomainError
from xietong.core.events import record_event
from xietong.core.models import Event
from xietong.core.optlock import require_current
from xietong.core.transitions import Step, step
from xietong.org.models import Department, Person
from xietong.org.permissions import require, roles_of
from xietong.policy.calendar import as_shanghai

from . import channels, robots
from .handlers import REGISTRY
from .models import ROBOT_CHANNELS, Channel, Delivery, DepartmentRobot, Message, Preference
from .selectors import can_manage_robots, preference_of
from .topics import recipient_language

log = logging.getLogger(__name__)
D = Delivery.State
DISPATCH_BATCH = 200
DELIVER_BATCH = 50

SENDER = "sender"  # the delivery run (notify_deliver) and the daily digest (notify_digest)
COORDINATOR = "coordinator"

# action -> (the states it may start from, who takes it). The sender's steps are set-based
# updates whose WHERE clause names the state the table gives.
TRANSITIONS: dict[str, Step] = {
    "claim": step({D.PENDING}, SENDER),  # leased for one run, still pending
    "send": step({D.PENDING}, SENDER),  # → sent; a digest takes its bundled e-mails with it
    "fail": step({D.PENDING}, SENDER),  # → pending again at the next attempt, or dead at the last
    "bundle": step({D.HELD}, SENDER),  # → bundled into the day's digest
    "send_bundled": step({D.BUNDLED}, SENDER),  # → sent with the digest that carries it
    "unbundle": step({D.BUNDLED}, SENDER),  # its digest went out without it → held again
    "retry": step({D.DEAD}, COORDINATOR),  # → pending, attempts from zero
}


def _from(action: str) -> str:
    return transitions.sole_state(TRANSITIONS, action)


# ---- dispatch: events → inbox messages and deliveries ------------------------------------


def _subject(event: Event):
    model = ContentType.objects.get_for_id(event.subject_type_id).model_class()
    if model is None:
        raise LookupError(f"event {event.pk}: its subject's model is no longer installed")
    return model._default_manager.get(pk=event.subject_id)


def notify_dispatch(*, now: datetime, batch: int = DISPATCH_BATCH) -> int:
    """Turn up to ``batch`` undispatched events (oldest first) into messages; returns how many
    events were handled. Idempotent: a redone batch adds nothing (unique keys)."""
    with transaction.atomic():
        qs = Event.objects.filter(dispatched_at__isnull=True).order_by("id")
        if connection.features.has_select_for_update_skip_locked:
            # Two dispatchers on PostgreSQL take different events; SQLite serialises writers.
            qs = qs.select_for_update(skip_locked=True)
        events = list(qs[:batch])
        if not events:
            return 0
        plans = []  # (event, plan)
        for event in events:
            handler = REGISTRY.get(event.name)
            if handler is None:
                continue
            try:
                subject = _subject(event)
            except ObjectDoesNotExist:
                continue  # the object is gone: nothing left to tell anyone about
            for plan in handler(event, subject):
                plans.append((event, plan))
        if plans:
            _write_messages(plans, now=now)
        Event.objects.filter(pk__in=[e.pk for e in events]).update(dispatched_at=now)
    return len(events)


def _write_messages(plans, *, now: datetime) -> None:
    recipient_ids = {pk for _event, plan in plans for pk in plan.recipients}
    people = {
        p.pk: p
        for p in Person.objects.filter(pk__in=recipient_ids, is_active=True).select_related(
            "notify_preference"
        )
    }
    Message.objects.bulk_create(
        [
            Message(
                event=event,
                recipient_id=pk,
                topic=plan.topic,
                params=plan.params,
                link=plan.link,
                created_at=now,
            )
            for event, plan in plans
            for pk in plan.recipients
            if pk in people
        ],
        ignore_conflicts=True,
    )
    messages = Message.objects.filter(event_id__in={e.pk for e, _p in plans}, recipient_id__in=people)
    robots_by_department: defaultdict[int | None, list] = defaultdict(list)
    # Only what routing needs: the encrypted address is read when each delivery is sent.
    for robot in DepartmentRobot.objects.filter(
        is_active=True, department_id__in={p.department_id for p in people.values() if p.department_id}
    ).only("pk", "department_id", "kind"):
        robots_by_department[robot.department_id].append(robot)
    deliveries = []
    for message in messages:
        person = people[message.recipient_id]
        pref = preference_of(person)
        if pref.email and person.email:
            deliveries.append(
                Delivery(
                    message=message,
                    person=person,
                    channel=Channel.EMAIL,
                    state=D.HELD if pref.daily_digest else D.PENDING,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
        if pref.robots:
            for robot in robots_by_department.get(person.department_id, ()):
                deliveries.append(
                    Delivery(
                        message=message,
                        person=person,
                        channel=robot.kind,
                        robot=robot,
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
    Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)


# ---- deliver: send due deliveries with a lease --------------------------------------------


def notify_claim(
    *, now: datetime, limit: int = DELIVER_BATCH, token: str | None = None
) -> tuple[str, list[int]]:
    """Claim up to ``limit`` due deliveries for ``NOTIFY_LEASE_SECONDS``; returns (token, ids).

    The UPDATE re-checks "pending and not claimed by a live lease" row by row, so of two
    workers racing for a row exactly one gets it.
    """
    token = token or uuid.uuid4().hex
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
    due = Delivery.objects.filter(free, state=_from("claim"), next_attempt_at__lte=now)
    with transaction.atomic():
        ids = list(due.order_by("next_attempt_at", "id").values_list("id", flat=True)[:limit])
        if ids:
            due.filter(pk__in=ids).update(
                claimed_until=now + timedelta(seconds=settings.NOTIFY_LEASE_SECONDS), claim_token=token
            )
    claimed = list(
        Delivery.objects.filter(pk__in=ids, claim_token=token).order_by("id").values_list("id", flat=True)
    )
    return token, claimed


def backoff(attempts: int) -> timedelta:
    """Exponential backoff with full jitter: uniform(0, min(cap, base·2^(attempts-1))), ≥ 1 s."""
    ceiling = min(
        settings.NOTIFY_RETRY_CAP_SECONDS, settings.NOTIFY_RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1)
    )
    return timedelta(seconds=max(1.0, random.uniform(0, ceiling)))  # noqa: S311 - jitter, not security


def _reserve_robot_slot(robot_id: int, kind: str, now: datetime):
    """None when this send may go now (the slot is taken), else the time of the next free slot."""
    spacing = timedelta(seconds=robots.SPACING[kind])
    taken = (
        DepartmentRobot.objects.filter(pk=robot_id)
        .filter(Q(next_slot_at__isnull=True) | Q(next_slot_at__lte=now))
        .update(next_slot_at=now + spacing)
    )
    if taken:
        return None
    return DepartmentRobot.objects.filter(pk=robot_id).values_list("next_slot_at", flat=True).first()


def _finish(delivery: Delivery, token: str, **fields) -> bool:
    """Write the outcome only if we still hold the claim (a lapsed lease may be someone else's)."""
    fields.setdefault("claimed_until", None)
    fields.setdefault("claim_token", "")
    return bool(Delivery.objects.filter(pk=delivery.pk, claim_token=token).update(**fields))


def deliver_one(delivery: Delivery, *, token: str, now: datetime) -> str:
    """Send one claimed delivery and record the outcome: sent / retry / dead / wait."""
    if delivery.channel in ROBOT_CHANNELS and (delivery.robot is None or not delivery.robot.is_active):
        _finish(
            delivery,
            token,
            state=D.DEAD,
            attempts=delivery.attempts + 1,
            last_error="the department's robot was removed or switched off",
        )
        return "dead"
    if delivery.channel in ROBOT_CHANNELS and delivery.robot_id is not None:
        slot = _reserve_robot_slot(delivery.robot_id, delivery.channel, now)
        if slot is not None:
            # The vendor's per-minute limit: queue behind it, never drop.
            _finish(delivery, token, next_attempt_at=slot)
            return "wait"
    if delivery.message_id is None:
        # A digest: exactly the e-mails bundled now are in it and are marked sent with it.
        delivery.bundled_ids = list(
            delivery.bundled.filter(state=_from("send_bundled")).values_list("id", flat=True)
        )
    try:
        try:
            channels.send(delivery, language=recipient_language(delivery.person), now=now)
        except InvalidToken:
            # Stored with a data key this installation no longer has (see rotate_data_key).
            raise channels.SendFailed("the robot's address cannot be decrypted with the data keys") from None
    except channels.SendFailed as failure:
        if failure.throttled and delivery.robot_id:
            pause = now + timedelta(seconds=robots.THROTTLE_PAUSE[delivery.channel])
            DepartmentRobot.objects.filter(pk=delivery.robot_id).update(next_slot_at=pause)
            _finish(delivery, token, next_attempt_at=pause, last_error=failure.reason)
            return "wait"
        attempts = delivery.attempts + 1
        if attempts >= settings.NOTIFY_MAX_ATTEMPTS:
            _finish(delivery, token, state=D.DEAD, attempts=attempts, last_error=failure.reason)
            log.warning(
                "notification delivery %s dead after %s attempts: %s", delivery.pk, attempts, failure.reason
            )
            return "dead"
        _finish(
            delivery,
            token,
            attempts=attempts,
            last_error=failure.reason,
            next_attempt_at=now + backoff(attempts),
        )
        return "retry"
    with transaction.atomic():
        done = _finish(
            delivery, token, state=D.SENT, attempts=delivery.attempts + 1, sent_at=now, last_error=""
        )
        if done and delivery.message_id is None:
            Delivery.objects.filter(pk__in=delivery.bundled_ids).update(state=D.SENT, sent_at=now)
    return "sent"


def notify_deliver(
    *, now: datetime, limit: int = DELIVER_BATCH, deadline: float | None = None
) -> dict[str, int]:
    """One pass of the sender: claim due deliveries, send each, record outcomes.

    ``deadline`` (a ``time.monotonic()`` value) ends the pass between two deliveries, after
    at least one: the rest of the claim is handed back, so a run stops in time for a
    graceful worker stop instead of being killed in the middle.
    """
    token, ids = notify_claim(now=now, limit=limit)
    outcomes: dict[str, int] = defaultdict(int)
    started = time.monotonic()
    # The robots' encrypted columns are read per delivery (deliver_one), so one unreadable
    # robot fails its own deliveries, not the whole pass.
    rows = (
        Delivery.objects.filter(pk__in=ids)
        .select_related("person", "robot", "message")
        .defer("robot__webhook_url", "robot__secret")
        .order_by("id")
    )
    for done, delivery in enumerate(rows):
        # Slow receivers ate half the lease: hand the rest back rather than risk another
        # worker claiming them after the lease while we are still sending.
        lease_spent = time.monotonic() - started > settings.NOTIFY_LEASE_SECONDS / 2
        if lease_spent or (deadline is not None and done and time.monotonic() >= deadline):
            Delivery.objects.filter(pk__in=ids, claim_token=token).update(claimed_until=None, claim_token="")
            break
        outcomes[deliver_one(delivery, token=token, now=now)] += 1
    return dict(outcomes)


def next_due_at():
    return (
        Delivery.objects.filter(state=D.PENDING)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )


def next_claimable_at():
    """When the next pending delivery can be claimed: its attempt time, or later if another
    worker's claim on it is still running (a killed worker's rows wait for their lease)."""
    return (
        Delivery.objects.filter(state=D.PENDING)
        .annotate(free_at=Greatest("next_attempt_at", Coalesce("claimed_until", "next_attempt_at")))
        .order_by("free_at")
        .values_list("free_at", flat=True)
        .first()
    )


# ---- daily digest -------------------------------------------------------------------------


def notify_digest(*, now: datetime) -> int:
    """Bundle each digest reader's held e-mails into one digest delivery for the day (local
    date); returns how many digests got new content. Running it twice a day adds to a
    digest not yet sent and otherwise leaves the rest for the next day."""
    day = as_shanghai(now).date()
    count = 0
    # An e-mail bundled while its digest was already being sent was not in that e-mail.
    Delivery.objects.filter(state=_from("unbundle"), digest__state=D.SENT).update(state=D.HELD, digest=None)
    people = Delivery.objects.filter(state=_from("bundle")).values_list("person_id", flat=True).distinct()
    for person_id in list(people):
        with transaction.atomic():
            digest, _created = Delivery.objects.get_or_create(
                person_id=person_id,
                digest_day=day,
                message=None,
                defaults={"channel": Channel.EMAIL, "next_attempt_at": now, "created_at": now},
            )
            if digest.state != D.PENDING or digest.claim_token:
                continue
            moved = Delivery.objects.filter(person_id=person_id, state=_from("bundle")).update(
                state=D.BUNDLED, digest=digest
            )
            count += bool(moved)
    return count


# ---- the coordinator's dead-letter list ---------------------------------------------------


def notify_retry(*, actor, now: datetime, delivery_ids: list[int] | None = None) -> int:
    """The coordinator sends dead deliveries again (all, or those listed): back to pending
    with a fresh attempt count, due now. Returns how many."""
    require(roles_of(actor, on=as_shanghai(now).date()).is_coordinator)
    qs = Delivery.objects.filter(state=_from("retry"))
    if delivery_ids is not None:
        qs = qs.filter(pk__in=delivery_ids)
    with transaction.atomic():
        ids = list(qs.values_list("id", flat=True))
        count = Delivery.objects.filter(pk__in=ids, state=_from("retry")).update(
            state=D.PENDING, attempts=0, next_attempt_at=now, claimed_until=None, claim_token=""
        )
        if count:
            record_event(name="notify.retried", actor=actor, subject=actor, now=now, deliveries=ids[:500])
    return count


# ---- inbox --------------------------------------------------------------------------------


def message_mark_read(*, actor, now: datetime, message: Message) -> None:
    require(message.recipient_id == actor.pk)
    Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=now)


def messages_mark_all_read(*, actor, now: datetime) -> int:
    return Message.objects.filter(recipient=actor, read_at__isnull=True).update(read_at=now)


# ---- preferences and robots ---------------------------------------------------------------


def preference_set(
    *, actor, now: datetime, person: Person, email: bool, robots: bool, daily_digest: bool
) -> Preference:
    """A person sets their own channels. Already held digest e-mails stay in the digest."""
    require(actor.pk == person.pk)
    with transaction.atomic():
        pref, _created = Preference.objects.update_or_create(
            person=person,
            defaults={"email": email, "robots": robots, "daily_digest": daily_digest, "updated_at": now},
        )
        record_event(
            name="notify.preferences_set",
            actor=actor,
            subject=pref,
            now=now,
            email=email,
            robots=robots,
            daily_digest=daily_digest,
        )
    return pref


ROBOT_ERRORS = {
    "unknown_kind": _("Choose a robot type."),
    "invalid_url": _("Enter the robot's webhook address as shown by the chat app."),
    "not_https": _("The webhook address must start with https://."),
    "wrong_host": _("This is not a webhook address of the chosen chat app."),
    "wrong_path": _("This is not a group-robot webhook address of the chosen chat app."),
    "missing_key": _("The webhook address lacks its key or access token."),
    "no_secret_for_wecom": _("WeCom group robots have no signing secret; leave it empty."),
    "bad_secret": _("The signing secret does not have the shape the chat app shows (DingTalk: SEC…)."),
}


def robot_set(
    *,
    actor,
    now: datetime,
    department: Department,
    kind: str,
    webhook_url: str,
    secret: str,
    is_active: bool = True,
    expected_version: int | None = None,
) -> DepartmentRobot:
    """Add or change one of the department's group robots (the head or the coordinator).

    An empty ``secret`` keeps the stored one. Bad input raises DomainError on the field and
    nothing is saved. ``expected_version`` (from the robot form) is the ``edit_version`` of
    the department's robot of ``kind`` the editor started from, 0 for none: if it changed in
    between, ``StaleEdit`` (code "stale") is raised and nothing is saved.
    """
    require(can_manage_robots(actor, department, now))
    existing = DepartmentRobot.objects.filter(department=department, kind=kind).first()
    if not secret.strip() and existing is not None and kind != Channel.WECOM:
        secret = existing.secret
    try:
        robots.validate(kind, webhook_url, secret, test_hosts=tuple(settings.NOTIFY_TEST_HOSTS))
    except robots.InvalidRobot as exc:
        raise DomainError(ROBOT_ERRORS[exc.code], code=exc.code, field=exc.field) from None
    with transaction.atomic():
        # The department row serialises its robots' saves, a first one (no robot row to lock yet)
        # included.
        Department.objects.select_for_update().filter(pk=department.pk).exists()
        current = DepartmentRobot.objects.filter(department=department, kind=kind).first()
        version = current.edit_version if current is not None else 0
        require_current(version, expected_version)
        robot, _created = DepartmentRobot.objects.update_or_create(
            department=department,
            kind=kind,
            defaults={
                "webhook_url": webhook_url.strip(),
                "secret": secret.strip(),
                "is_active": is_active,
                "updated_at": now,
                "edit_version": version + 1,
            },
        )
        # The address and secret are credentials: the audit trail names the robot only.
        record_event(
            name="notify.robot_set",
            actor=actor,
            subject=robot,
            now=now,
            department=department.pk,
            kind=kind,
            is_active=is_active,
            created=_created,
        )
    return robot


def robot_remove(*, actor, now: datetime, robot: DepartmentRobot) -> None:
    """Remove a robot; its unsent deliveries then go to the dead-letter list with the reason."""
    require(can_manage_robots(actor, robot.department, now))
    with transaction.atomic():
        record_event(
            name="notify.robot_removed", actor=actor, subject=robot.department, now=now, kind=robot.kind
        )
        robot.delete()


def robot_test(*, actor, now: datetime, robot: DepartmentRobot) -> None:
    """Send a test message through ``robot`` now, so whoever set it up sees it arrive in the
    group; a refusal by the vendor (or no answer) is a DomainError carrying the vendor's reason."""
    require(can_manage_robots(actor, robot.department, now))
    try:
        channels.post_robot(
            robot,
            title=str(_("Xietong test message")),
            text=str(
                _("This group robot works: notifications for %(department)s will arrive here.")
                % {"department": robot.department.name}
            ),
            link=settings.SITE_URL,
            mention=None,
            now=now,
        )
    except channels.SendFailed as exc:
        with transaction.atomic():
            record_event(
                name="notify.robot_tested",
                actor=actor,
                subject=robot.department,
                now=now,
                kind=robot.kind,
                ok=False,
                reason=exc.reason,
            )
        raise DomainError(
            _("The test message was not delivered: %(reason)s"),
            code="robot_test_failed",
            params={"reason": exc.reason},
        ) from None
    with transaction.atomic():
        record_event(
            name="notify.robot_tested",
            actor=actor,
            subject=robot.department,
            now=now,
            kind=robot.kind,
            ok=True,
        )
