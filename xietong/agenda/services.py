"""Building and confirming a meeting's agenda (议程).

The coordinator fixes the agenda from the triaged topics by priority (seed 01 第五条(二)1),
within the meeting's duration cap (第五条(二)2), each item with a time budget (seed 02
二、(一)3) and an open-discussion slot kept last (seed 02 三、(六)1). Every number comes
from the meeting's policy version. Topics change state only through the topics services.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from xietong.core import transitions
from xietong.core.errors import DomainError
from xietong.core.events import record_event
from xietong.core.hooks import Hook
from xietong.core.optlock import check_and_bump
from xietong.core.transitions import Step, step
from xietong.meetings.models import Meeting
from xietong.meetings.services import (
    COORDINATOR,
    cancelled_topic_reason,
    deferral_target,
    require_coordinator,
)
from xietong.obligations.models import Obligation, ObligationKind
from xietong.obligations.services import obligation_close
from xietong.org.permissions import Roles
from xietong.topics import services as topic_services
from xietong.topics.models import Topic

from .models import Agenda, AgendaItem

MAX_REASON = 300

A = Agenda.Status

# action -> (the states it may start from, who may take it: the coordinator). "build" rebuilds a
# draft from the triaged topics and "edit" moves, re-budgets or removes its items; both, and
# confirming, also need the meeting planned and not started. "publish" happens with the
# meeting's notice (meetings.services.meeting_publish).
TRANSITIONS: dict[str, Step] = {
    "build": step({A.DRAFT}, COORDINATOR),
    "edit": step({A.DRAFT}, COORDINATOR),
    "confirm": step({A.DRAFT}, COORDINATOR),
    "reopen": step({A.CONFIRMED}, COORDINATOR),
    "publish": step({A.CONFIRMED}, COORDINATOR),
}


def allowed_actions(agenda: Agenda, *, roles: Roles) -> list[str]:
    """The steps someone holding ``roles`` today may take on ``agenda`` now, as far as its state goes."""
    return transitions.allowed_actions(TRANSITIONS, agenda.status, lambda role: roles.is_coordinator)


def _no_followup(meeting: Meeting, *, now: datetime | None = None, calendar=None) -> list:
    return []


# The "上次会议决议跟进" rows of a meeting's agenda: open action items of earlier meetings of its
# series. The action items come later in the cycle, so they supply the answer
# (ActionsConfig.ready); without them an agenda has no follow-up item.
followup_items: Hook[Callable[..., list]] = Hook("an agenda's follow-up items", default=_no_followup)


def _rules(meeting: Meeting):
    return meeting.policy_version.rules


def cap_clause(meeting: Meeting) -> str:
    rule = _rules(meeting).get("meeting_duration_cap")
    return rule.clause if rule else ""


def _locked_draft(agenda: Agenda, action: str, *, now: datetime) -> Agenda:
    """The agenda locked, once the table allows ``action`` from its state and the meeting is still ahead."""
    agenda = (
        Agenda.objects.select_for_update(of=("self",))
        .select_related("meeting__policy_version")
        .get(pk=agenda.pk)
    )
    transitions.refuse_unless(
        TRANSITIONS,
        action,
        agenda.status,
        _("The agenda is %(status)s; reopen it to change it."),
        code="agenda_not_draft",
        status=agenda.get_status_display(),
    )
    meeting = agenda.meeting
    if meeting.status in (Meeting.Status.CANCELLED, Meeting.Status.HELD):
        raise DomainError(_("This meeting can no longer be changed."), code="meeting_closed")
    if now >= meeting.starts_at:
        raise DomainError(_("The meeting has already started."), code="meeting_started")
    return agenda


def _renumber(agenda: Agenda) -> None:
    """Positions 1..n with the open-discussion slot last."""
    items = list(agenda.items.order_by("position", "id"))
    items.sort(key=lambda i: (i.kind == AgendaItem.Kind.OPEN_DISCUSSION, i.position, i.pk))
    for n, item in enumerate(items, 1):
        if item.position != n:
            item.position = n
            item.save(update_fields=["position"])


def agenda_total(agenda: Agenda) -> int:
    return agenda.items.aggregate(total=Sum("budget_minutes"))["total"] or 0


def _full_reason(meeting: Meeting, cap: int) -> str:
    # Stored on the topic and shown to its submitter: written in the organisation's language.
    with translation.override(settings.LANGUAGE_CODE):
        return str(
            _("Agenda full: the meeting is capped at %(cap)s minutes (%(clause)s).")
            % {"cap": cap, "clause": cap_clause(meeting)}
        )[:MAX_REASON]


def _defer(*, agenda: Agenda, topic, reason: str, actor, now: datetime, target: Meeting | None) -> Meeting:
    """Send ``topic`` (TRIAGED or SCHEDULED) to the following meeting with ``reason``."""
    target = target or deferral_target(meeting=agenda.meeting, topic=topic, now=now, actor=actor)
    topic_services.topic_defer(topic=topic, to_meeting=target, reason=reason, actor=actor, now=now)
    record_event(
        name="agenda.topic_deferred",
        actor=actor,
        subject=agenda,
        now=now,
        topic=topic.pk,
        title=topic.title,
        department=str(topic.department) if topic.department_id else "",
        reason=reason,
        to_meeting=target.pk,
    )
    return target


def agenda_build(*, meeting: Meeting, actor, now: datetime) -> Agenda:
    """Build (or rebuild) the draft agenda of ``meeting`` from its triaged topics.

    Preconditions: coordinator; meeting planned and not started; agenda absent or DRAFT.
    Topics TRIAGED for this meeting are taken by priority (urgent first, unset last) then
    submission time, each with its own budget or the policy's default_item_budget, and
    placed while they fit under meeting_duration_cap minus the open_discussion_slot
    (the slot is the last item; none when the policy says 0). A topic that does not fit
    is deferred to the series' following meeting (topic_defer) with a reason naming the
    cap and its clause; placed ones become SCHEDULED (topic_schedule). A rebuild first
    un-schedules the topics of the current items. When open action items of earlier
    meetings of the series exist (followup_items), a FOLLOW_UP item
    "上次会议决议跟进" comes first with the default_item_budget, counted under the cap.
    Records ``agenda.built`` and one ``agenda.topic_deferred`` per deferred topic.
    """
    require_coordinator(actor, now=now)
    rules = _rules(meeting)
    cap = rules.minutes("meeting_duration_cap")
    slot = rules.minutes("open_discussion_slot")
    default_budget = rules.minutes("default_item_budget")
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update(of=("self",)).get(pk=meeting.pk)
        if meeting.status != Meeting.Status.PLANNED:
            raise DomainError(
                _("The agenda can only be built before the notice is published."), code="meeting_not_planned"
            )
        agenda, _created = Agenda.objects.get_or_create(
            meeting=meeting, defaults={"cap_minutes": cap, "updated_at": now}
        )
        agenda = _locked_draft(agenda, "build", now=now)
        for item in agenda.items.filter(topic__isnull=False).select_related("topic"):
            if item.topic is not None and item.topic.status == Topic.Status.SCHEDULED:
                topic_services.topic_unschedule(topic=item.topic, actor=actor, now=now)
        agenda.items.all().delete()

        candidates = (
            Topic.objects.filter(meeting=meeting, status=Topic.Status.TRIAGED)
            .select_related("department", "series")
            .order_by(F("priority").asc(nulls_last=True), F("submitted_at").asc(nulls_last=True), "id")
        )
        room = cap - slot
        used = 0
        followup = bool(followup_items.call(meeting)) and default_budget <= room
        if followup:
            used = default_budget
        placed, deferred = [], []
        for topic in candidates:
            budget = topic.budget_minutes or default_budget
            if used + budget <= room:
                used += budget
                placed.append((topic, budget))
            else:
                deferred.append(topic)

        position = 0
        if followup:
            position = 1
            with translation.override(settings.LANGUAGE_CODE):
                followup_title = str(AgendaItem.Kind.FOLLOW_UP.label)
            AgendaItem.objects.create(
                agenda=agenda,
                kind=AgendaItem.Kind.FOLLOW_UP,
                position=position,
                title=followup_title,
                budget_minutes=default_budget,
            )
        for topic, budget in placed:
            position += 1
            AgendaItem.objects.create(
                agenda=agenda,
                kind=AgendaItem.Kind.TOPIC,
                topic=topic,
                position=position,
                title=topic.title[:120],
                budget_minutes=budget,
            )
            topic_services.topic_schedule(topic=topic, actor=actor, now=now)
        if slot > 0:
            with translation.override(settings.LANGUAGE_CODE):
                title = str(AgendaItem.Kind.OPEN_DISCUSSION.label)
            AgendaItem.objects.create(
                agenda=agenda,
                kind=AgendaItem.Kind.OPEN_DISCUSSION,
                position=position + 1,
                title=title,
                budget_minutes=slot,
            )
        target = None
        if deferred:
            reason = _full_reason(meeting, cap)
            for topic in deferred:
                target = _defer(
                    agenda=agenda,
                    topic=topic,
                    reason=reason,
                    actor=actor,
                    now=now,
                    target=target if meeting.series_id else None,
                )
        agenda.cap_minutes = cap
        agenda.updated_at = now
        agenda.save(update_fields=["cap_minutes", "updated_at"])
        record_event(
            name="agenda.built",
            actor=actor,
            subject=agenda,
            now=now,
            placed=[t.pk for t, _b in placed],
            deferred=[t.pk for t in deferred],
            followup=followup,
            total=used + (slot if slot > 0 else 0),
            cap=cap,
        )
    return agenda


def agenda_item_move(*, item: AgendaItem, direction: str, actor, now: datetime) -> AgendaItem:
    """Swap ``item`` with its neighbour above ("up") or below ("down").

    Preconditions: coordinator; agenda DRAFT. The open-discussion slot stays last: it
    cannot be moved and nothing moves below it. Records ``agenda.item_moved``.
    """
    require_coordinator(actor, now=now)
    if direction not in ("up", "down"):
        raise DomainError(_("Move an item up or down."), code="bad_direction")
    with transaction.atomic():
        agenda = _locked_draft(item.agenda, "edit", now=now)
        item = AgendaItem.objects.get(pk=item.pk, agenda=agenda)
        if item.kind == AgendaItem.Kind.OPEN_DISCUSSION:
            raise DomainError(_("The open-discussion slot stays at the end."), code="cannot_move")
        siblings = agenda.items.exclude(kind=AgendaItem.Kind.OPEN_DISCUSSION)
        if direction == "up":
            other = siblings.filter(position__lt=item.position).order_by("-position", "-id").first()
        else:
            other = siblings.filter(position__gt=item.position).order_by("position", "id").first()
        if other is None:
            raise DomainError(_("The item cannot move further."), code="cannot_move")
        item.position, other.position = other.position, item.position
        item.save(update_fields=["position"])
        other.save(update_fields=["position"])
        agenda.updated_at = now
        agenda.save(update_fields=["updated_at"])
        record_event(
            name="agenda.item_moved", actor=actor, subject=agenda, now=now, item=item.pk, direction=direction
        )
    return item


def agenda_item_set_budget(
    *, item: AgendaItem, minutes: int, actor, now: datetime, expected_version: int | None = None
) -> AgendaItem:
    """Change the time budget of ``item``.

    Preconditions: coordinator; agenda DRAFT; at least one minute; the agenda total
    stays within the policy's duration cap (field error naming the cap and its clause);
    ``expected_version`` (from the budget form) is the item's ``edit_version`` — if someone
    changed the budget in between, ``StaleEdit`` (code "stale") is raised and nothing changes.
    Records ``agenda.item_budget_set``.
    """
    require_coordinator(actor, now=now)
    if minutes is None or minutes < 1:
        raise DomainError(_("Give at least one minute."), code="budget_too_small", field="budget_minutes")
    with transaction.atomic():
        agenda = _locked_draft(item.agenda, "edit", now=now)
        item = AgendaItem.objects.get(pk=item.pk, agenda=agenda)  # the agenda's lock serialises its items
        bumped = check_and_bump(item, expected_version, field="budget_minutes")
        meeting = agenda.meeting
        cap = _rules(meeting).minutes("meeting_duration_cap")
        others = agenda_total(agenda) - item.budget_minutes
        if others + minutes > cap:
            raise DomainError(
                _("That makes %(total)s minutes; the meeting is capped at %(cap)s minutes (%(clause)s)."),
                code="over_cap",
                field="budget_minutes",
                params={"total": others + minutes, "cap": cap, "clause": cap_clause(meeting)},
            )
        old = item.budget_minutes
        item.budget_minutes = minutes
        item.save(update_fields=["budget_minutes", *bumped])
        agenda.updated_at = now
        agenda.save(update_fields=["updated_at"])
        record_event(
            name="agenda.item_budget_set",
            actor=actor,
            subject=agenda,
            now=now,
            item=item.pk,
            old=old,
            new=minutes,
        )
    return item


def agenda_item_remove(*, item: AgendaItem, reason: str, actor, now: datetime) -> Agenda:
    """Take ``item`` off the draft agenda; its topic rolls over with the coordinator's reason.

    Preconditions: coordinator; agenda DRAFT; a reason. Side effects: the topic goes back
    to TRIAGED and is deferred to the series' following meeting
    (topic_defer, the reason shown to the submitter); positions close up. Records
    ``agenda.item_removed`` (and ``agenda.topic_deferred``).
    """
    require_coordinator(actor, now=now)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            _("Say why the item is taken off the agenda."), code="reason_required", field="reason"
        )
    if len(reason) > MAX_REASON:
        raise DomainError(_("The reason is too long."), code="too_long", field="reason")
    with transaction.atomic():
        agenda = _locked_draft(item.agenda, "edit", now=now)
        item = AgendaItem.objects.select_related("topic__series", "topic__department").get(
            pk=item.pk, agenda=agenda
        )
        topic = item.topic
        item_data = {"item": item.pk, "title": item.title, "kind": item.kind}
        item.delete()
        # topic_defer takes a SCHEDULED topic off the agenda and back to TRIAGED itself.
        if topic is not None and topic.status in (Topic.Status.SCHEDULED, Topic.Status.TRIAGED):
            _defer(agenda=agenda, topic=topic, reason=reason, actor=actor, now=now, target=None)
        _renumber(agenda)
        agenda.updated_at = now
        agenda.save(update_fields=["updated_at"])
        record_event(
            name="agenda.item_removed", actor=actor, subject=agenda, now=now, reason=reason, **item_data
        )
    return agenda


def agenda_confirm(*, agenda: Agenda, actor, now: datetime) -> Obligation | None:
    """DRAFT → CONFIRMED; closes the meeting's AGENDA duty.

    Preconditions: coordinator; agenda DRAFT with at least one item; within the cap.
    Whether it was on time is read from the ledger: the returned obligation is BREACHED
    when confirmed after the agenda cut-off (None when there was no open duty).
    Records ``agenda.confirmed`` (late, clause).
    """
    require_coordinator(actor, now=now)
    with transaction.atomic():
        agenda = _locked_draft(agenda, "confirm", now=now)
        if not agenda.items.exists():
            raise DomainError(_("The agenda is empty."), code="agenda_empty")
        meeting = agenda.meeting
        cap = _rules(meeting).minutes("meeting_duration_cap")
        total = agenda_total(agenda)
        if total > cap:
            raise DomainError(
                _("That makes %(total)s minutes; the meeting is capped at %(cap)s minutes (%(clause)s)."),
                code="over_cap",
                params={"total": total, "cap": cap, "clause": cap_clause(meeting)},
            )
        agenda.status = Agenda.Status.CONFIRMED
        agenda.confirmed_at = now
        agenda.updated_at = now
        agenda.save(update_fields=["status", "confirmed_at", "updated_at"])
        closed = obligation_close(kind=ObligationKind.AGENDA, subject=meeting, now=now, actor=actor)
        late = closed is not None and closed.state == Obligation.State.BREACHED
        record_event(
            name="agenda.confirmed",
            actor=actor,
            subject=agenda,
            now=now,
            late=late,
            clause=closed.clause if closed else "",
            total=total,
        )
    return closed


def agenda_reopen(*, agenda: Agenda, actor, now: datetime) -> Agenda:
    """CONFIRMED → DRAFT, only before the notice is published and before the meeting.

    The AGENDA duty stays as it was closed (its lateness is history). Records
    ``agenda.reopened``.
    """
    require_coordinator(actor, now=now)
    with transaction.atomic():
        agenda = Agenda.objects.select_for_update(of=("self",)).select_related("meeting").get(pk=agenda.pk)
        transitions.refuse_unless(
            TRANSITIONS,
            "reopen",
            agenda.status,
            _("Only a confirmed, unpublished agenda can be reopened."),
            code="agenda_not_confirmed",
        )
        if now >= agenda.meeting.starts_at:
            raise DomainError(_("The meeting has already started."), code="meeting_started")
        agenda.status = Agenda.Status.DRAFT
        agenda.updated_at = now
        agenda.save(update_fields=["status", "updated_at"])
        record_event(name="agenda.reopened", actor=actor, subject=agenda, now=now)
    return agenda


# ---- the agenda's part in the meeting's own changes ----------------------------------------------
# Reactions to the meeting's events (registered in AgendaConfig.ready), run in the meeting
# service's transaction: a refusal here undoes the whole change.


def agenda_outline(meeting: Meeting) -> list[tuple[Any, int]]:
    """The meeting's agenda as (title, minutes) in order, for its notice and calendar file; the
    open-discussion slot is named by its kind (a lazy label, shown in the reader's language)."""
    items = AgendaItem.objects.filter(agenda__meeting=meeting).order_by("position", "id")
    return [
        (
            AgendaItem.Kind.OPEN_DISCUSSION.label
            if item.kind == AgendaItem.Kind.OPEN_DISCUSSION
            else item.title,
            item.budget_minutes,
        )
        for item in items
    ]


def agenda_publish_with_notice(*, event, subject: Meeting, actor, now: datetime) -> None:
    """On ``meeting.published``: the agenda must be CONFIRMED, and it is PUBLISHED with the notice."""
    agenda = Agenda.objects.select_for_update(of=("self",)).filter(meeting=subject).first()
    refusal = _("Confirm the agenda before publishing the notice.")
    if agenda is None:
        raise DomainError(refusal, code="agenda_not_confirmed")
    transitions.refuse_unless(TRANSITIONS, "publish", agenda.status, refusal, code="agenda_not_confirmed")
    agenda.status = Agenda.Status.PUBLISHED
    agenda.updated_at = now
    agenda.save(update_fields=["status", "updated_at"])


def topics_roll_over(*, event, subject: Meeting, actor, now: datetime) -> dict:
    """On ``meeting.cancelled``: the meeting's scheduled and triaged topics go back to TRIAGED and
    roll over to the series' following meeting (topic_defer, the cancellation reason shown to
    the submitter). Adds ``topics`` (the moved ones) to the event."""
    meeting = subject
    topic_reason = cancelled_topic_reason(meeting)
    topic_ids = set(
        AgendaItem.objects.filter(agenda__meeting=meeting, topic__isnull=False).values_list(
            "topic_id", flat=True
        )
    )
    topics = Topic.objects.filter(pk__in=topic_ids) | Topic.objects.filter(
        meeting=meeting, status=Topic.Status.TRIAGED
    )
    moved = []
    target = None
    for topic in topics.distinct().select_related("series").order_by("id"):
        if topic.status not in (Topic.Status.SCHEDULED, Topic.Status.TRIAGED):
            continue
        if target is None or meeting.series_id is None:
            target = deferral_target(meeting=meeting, topic=topic, now=now, actor=actor)
        topic_services.topic_defer(topic=topic, to_meeting=target, reason=topic_reason, actor=actor, now=now)
        moved.append(topic.pk)
    return {"topics": moved}
