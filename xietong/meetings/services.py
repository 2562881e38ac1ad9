"""Meetings: scheduling occurrences of a series, publishing notices, replies, changes and cancelling.

The notice, the invitations (Rsvp) and the reply duties follow seed 01 第五条(二)1 (the
coordinator fixes the agenda and notifies the participants), 第五条(三)3 (a head who cannot
attend sends the deputy or liaison and says so in advance) and seed 02 二、(一)2–4 (who is
invited, at least the notice lead time). Every number comes from the meeting's policy version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from xietong.core import transitions
from xietong.core.errors import DomainError
from xietong.core.events import record_event
from xietong.core.transitions import Step, step
from xietong.obligations.models import Obligation, ObligationKind
from xietong.obligations.selectors import obligations_for
from xietong.obligations.services import obligation_close, obligation_open, obligation_waive
from xietong.org.models import Person, Role
from xietong.org.permissions import Roles, holders, require, roles_of
from xietong.policy.calendar import SHANGHAI, CalendarResult, as_shanghai
from xietong.policy.labels import HOLIDAY_NAMES
from xietong.policy.selectors import business_calendar, current_version

from .hooks import agenda_outline
from .models import Meeting, MeetingSeries, Notice, Rsvp
from .recurrence import closed_day, first_free, next_working_start
from .selectors import delegate_allowed, may_answer, meeting_invitee_plan, open_occurrence

MAX_REASON = 300
MAX_LOCATION = 120
MAX_TITLE = 120

MS = Meeting.Status
COORDINATOR = "coordinator"
RECORDER_OR_HOST = "recorder_or_host"  # the meeting's recorder or its host
NOT_HELD = frozenset({MS.PLANNED, MS.PUBLISHED})

# action -> (the states it may start from, who may take it). Publishing, moving and cancelling
# also need the meeting not to have started; closing the record needs it to have started
# (records.services.record_close).
TRANSITIONS: dict[str, Step] = {
    "publish": step({MS.PLANNED}, COORDINATOR),
    "reschedule": step(NOT_HELD, COORDINATOR),
    "cancel": step(NOT_HELD, COORDINATOR),
    "close": step(NOT_HELD, RECORDER_OR_HOST),
}


def holds(role: str, meeting: Meeting, person, *, roles: Roles) -> bool:
    """Whether ``person`` (holding ``roles`` today) takes ``role`` on ``meeting``."""
    if role == COORDINATOR:
        return roles.is_coordinator
    return (
        person is not None and person.pk is not None and person.pk in (meeting.recorder_id, meeting.host_id)
    )


def allowed_actions(meeting: Meeting, person, *, roles: Roles) -> list[str]:
    """The steps ``person`` may take on ``meeting`` now, as far as its state and their role go."""
    return transitions.allowed_actions(
        TRANSITIONS, meeting.status, lambda role: holds(role, meeting, person, roles=roles)
    )


def _open_meeting_duties(meeting: Meeting, *, now: datetime) -> None:
    """The coordinator must confirm the agenda and publish the notice before their cut-offs."""
    version = meeting.policy_version
    rules = version.rules
    calendar = business_calendar()
    coordinator = next(iter(holders(Role.COORDINATOR)), None)
    for kind, rule in ((ObligationKind.AGENDA, "agenda_cutoff"), (ObligationKind.NOTICE, "notice_lead")):
        due = rules.deadline(rule, meeting.starts_at, calendar)
        if due is None:
            continue
        obligation_open(
            kind=kind,
            rule=rule,
            subject=meeting,
            due=due,
            policy_version=version,
            now=now,
            responsible=coordinator,
            department=coordinator.department if coordinator else None,
        )
    # The departments' progress reports before this meeting are opened by the action items
    # (a reaction to meeting.scheduled, see xietong/actions/apps.py).


def meeting_schedule(
    *,
    series: MeetingSeries | None,
    starts_at: datetime,
    now: datetime,
    actor=None,
    title: str | None = None,
    duration_minutes: int | None = None,
    policy=None,
    location: str | None = None,
    host=None,
    recorder=None,
    is_emergency: bool = False,
    emergency_reason: str = "",
) -> Meeting:
    """Create one meeting (of ``series`` or standalone) and open its agenda/notice duties.

    The meeting keeps the policy version current at scheduling; its length never
    exceeds the policy's duration cap. Records ``meeting.scheduled`` (to which the action
    items react: departments with open items owe a progress report before this meeting).
    """
    policy = policy or series.policy  # type: ignore[union-attr]  # a standalone meeting is given its policy
    version = current_version(policy, at=now)  # the version in force when it is scheduled
    cap = version.rules.minutes("meeting_duration_cap")
    minutes = min(duration_minutes or (series.duration_minutes if series else cap), cap)
    local = starts_at.astimezone(SHANGHAI)
    with transaction.atomic():
        meeting = Meeting.objects.create(
            series=series,
            policy_version=version,
            title=title or (f"{series.name}（{local:%Y-%m-%d}）" if series else ""),
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=minutes),
            occurrence=starts_at if series is not None else None,
            location=location if location is not None else (series.location if series else ""),
            online_url=series.online_url if series else "",
            host=host or (series.host if series else None),
            recorder=recorder or (series.recorder if series else None),
            is_emergency=is_emergency,
            emergency_reason=emergency_reason,
        )
        _open_meeting_duties(meeting, now=now)
        record_event(
            name="meeting.scheduled",
            actor=actor,
            subject=meeting,
            now=now,
            emergency=is_emergency,
            **_closed_day_data(meeting.starts_at),
        )
    return meeting


def _closed_day_data(starts_at: datetime) -> dict:
    """What the coordinator is warned of when a meeting falls on a day the organisation does not
    work (the next working day offered instead); nothing on a working day."""
    calendar = business_calendar()
    day = closed_day(starts_at, calendar)
    if day is None:
        return {}
    return {
        "closed_day": day.day.isoformat(),
        "holiday": day.holiday_name or "",
        "next_working": next_working_start(starts_at, calendar).isoformat(),
    }


def series_next_meeting(*, series: MeetingSeries, now: datetime, actor=None) -> Meeting:
    """The series' next meeting that has not started, scheduling it if needed."""
    existing = (
        Meeting.objects.filter(series=series, starts_at__gt=now)
        .exclude(status=Meeting.Status.CANCELLED)
        .order_by("starts_at")
        .first()
    )
    if existing is not None:
        return existing
    start = next_free_occurrence(series, after=now)
    return meeting_schedule(series=series, starts_at=start, now=now, actor=actor)


def series_open_meeting(*, series: MeetingSeries, now: datetime, actor=None) -> Meeting:
    """The meeting new topics of ``series`` go to (see selectors.open_occurrence),
    scheduling it if needed."""
    found = open_occurrence(series, now=now)
    if found is None:
        return series_next_meeting(series=series, now=now, actor=actor)
    if found.meeting is not None:
        return found.meeting
    return meeting_schedule(series=series, starts_at=found.starts_at, now=now, actor=actor)


def series_meeting_after(*, meeting: Meeting, now: datetime, actor=None) -> Meeting:
    """The series' meeting following ``meeting`` (for roll-over), scheduling it if needed."""
    nxt = (
        Meeting.objects.filter(series=meeting.series_id and meeting.series, starts_at__gt=meeting.starts_at)
        .exclude(status=Meeting.Status.CANCELLED)
        .order_by("starts_at")
        .first()
    )
    if nxt is not None:
        return nxt
    assert meeting.series is not None, "only a series meeting has a following one"
    start = next_free_occurrence(meeting.series, after=meeting.starts_at)
    return meeting_schedule(series=meeting.series, starts_at=start, now=now, actor=actor)


def next_free_occurrence(series: MeetingSeries, *, after: datetime) -> datetime:
    """The series' first start time after ``after`` that no meeting stands for yet.

    A cancelled occurrence stays cancelled (rolling topics over must not bring it back), and
    a moved one stays moved (a meeting taken off a public holiday is not scheduled there again).
    """
    taken = {
        start
        for start in Meeting.objects.filter(series=series, occurrence__gt=after).values_list(
            "occurrence", flat=True
        )
        if start is not None
    }
    start = first_free(series, after=after, taken=taken)
    if start is not None:
        return start
    raise DomainError(_("The series has no further occurrence."), code="no_occurrence")


# ---- helpers ------------------------------------------------------------------------------


def require_coordinator(actor, *, now: datetime) -> None:
    """Forbidden unless ``actor`` is the coordinator (执行小组组长) on ``now``'s date (delegations count)."""
    require(
        actor is not None and roles_of(actor, on=as_shanghai(now).date()).is_coordinator,
        _("Only the coordinator may do this."),
    )


def _fmt(moment: datetime) -> str:
    return date_format(as_shanghai(moment), "Y-m-d H:i")


def _auto_title(series: MeetingSeries, starts_at: datetime) -> str:
    return f"{series.name}（{as_shanghai(starts_at):%Y-%m-%d}）"


def _check_not_started(meeting: Meeting, action: str, *, now: datetime) -> None:
    """Refuse ``action`` unless the table allows it from the meeting's state and it has not started."""
    if meeting.status == MS.PUBLISHED:
        transitions.refuse_unless(
            TRANSITIONS,
            action,
            meeting.status,
            _("The notice of this meeting is already published."),
            code="already_published",
        )
    transitions.refuse_unless(
        TRANSITIONS,
        action,
        meeting.status,
        _("This meeting is %(status)s; it can no longer be changed."),
        code="meeting_closed",
        status=meeting.get_status_display(),
    )
    if now >= meeting.starts_at:
        raise DomainError(_("The meeting has already started."), code="meeting_started")


def deferral_target(*, meeting: Meeting, topic, now: datetime, actor) -> Meeting:
    """Where a topic goes when it leaves ``meeting``: the series' following meeting (scheduled if needed).

    For a meeting outside any series (an emergency meeting) that is the first meeting of
    the topic's series after it.
    """
    if meeting.series_id is not None:
        return series_meeting_after(meeting=meeting, now=now, actor=actor)
    series = topic.series
    nxt = (
        Meeting.objects.filter(series=series, starts_at__gt=meeting.starts_at)
        .exclude(status=Meeting.Status.CANCELLED)
        .order_by("starts_at")
        .first()
    )
    if nxt is not None:
        return nxt
    start = next_free_occurrence(series, after=max(meeting.starts_at, now))
    return meeting_schedule(series=series, starts_at=start, now=now, actor=actor)


def rsvp_due(meeting: Meeting, *, now: datetime, calendar=None) -> tuple[str, CalendarResult]:
    """The rule and deadline for replying to ``meeting``'s notice sent at ``now``.

    The policy's absence-notice lead (seed 01 第五条(三)3) when it has one, otherwise the
    meeting start under the notice rule. A notice sent close to that deadline (on time on the
    Friday before a Monday meeting, or an emergency) still leaves the invitees at least the
    policy's ``absence_notice_after_notice`` minutes after it: the deadline is the later of
    the two, never after the meeting starts. Without that rule a notice sent after the lead
    deadline gives until the start.
    """
    rules = meeting.policy_version.rules
    start = CalendarResult(as_shanghai(meeting.starts_at))
    if rules.get("absence_notice_lead") is None:
        return "notice_lead", start
    calendar = calendar or business_calendar()
    due = rules.deadline("absence_notice_lead", meeting.starts_at, calendar)
    flags = due.unpublished_years if due else frozenset()
    least = rules.get("absence_notice_after_notice")
    if due is not None and least is not None and least.minutes is not None:
        floor = as_shanghai(now) + timedelta(minutes=least.minutes)
        if floor > due.value:
            return "absence_notice_after_notice", CalendarResult(min(floor, start.value), flags)
    if due is None or due.value < now:
        return "absence_notice_lead", CalendarResult(start.value, flags)
    return "absence_notice_lead", due


def notice_deadline(meeting: Meeting, *, calendar=None) -> CalendarResult | None:
    """The latest moment the notice may go out (policy rule notice_lead)."""
    return meeting.policy_version.rules.deadline(
        "notice_lead", meeting.starts_at, calendar or business_calendar()
    )


def notice_text(meeting: Meeting, *, cancellation: bool = False) -> str:
    """The notice as plain text, in the organisation's language (it is a record sent to everyone)."""
    with translation.override(settings.LANGUAGE_CODE):
        lines = [meeting.title]
        if cancellation:
            lines.append(str(_("This meeting is cancelled.")))
            if meeting.cancelled_reason:
                lines.append(str(_("Reason: %(reason)s") % {"reason": meeting.cancelled_reason}))
            return "\n".join(lines)
        lines.append(
            str(
                _("Time: %(start)s – %(end)s")
                % {"start": _fmt(meeting.starts_at), "end": _fmt(meeting.ends_at)}
            )
        )
        if meeting.location:
            lines.append(str(_("Place: %(place)s") % {"place": meeting.location}))
        if meeting.online_url:
            lines.append(str(_("Online: %(url)s") % {"url": meeting.online_url}))
        if meeting.host_id:
            lines.append(str(_("Host: %(name)s") % {"name": meeting.host}))
        if meeting.recorder_id:
            lines.append(str(_("Recorder: %(name)s") % {"name": meeting.recorder}))
        if meeting.is_emergency:
            lines.append(str(_("Emergency meeting: %(reason)s") % {"reason": meeting.emergency_reason}))
        items = agenda_outline.call(meeting)
        if items:
            lines.append(str(_("Agenda:")))
            for n, (title, minutes) in enumerate(items, 1):
                lines.append(
                    str(
                        _("%(n)s. %(title)s — %(minutes)s min") % {"n": n, "title": title, "minutes": minutes}
                    )
                )
        return "\n".join(lines)


def _issue_notice(meeting: Meeting, *, actor, now: datetime, cancellation: bool = False) -> Notice:
    return Notice.objects.create(
        meeting=meeting,
        sequence=meeting.ics_sequence,
        published_at=now,
        published_by=actor if actor is not None and actor.pk else None,
        is_emergency=meeting.is_emergency,
        is_cancellation=cancellation,
        body=notice_text(meeting, cancellation=cancellation),
    )


def _open_rsvp_duty(
    meeting: Meeting, rsvp: Rsvp, *, rule: str, due: CalendarResult, now: datetime
) -> Obligation:
    return obligation_open(
        kind=ObligationKind.RSVP,
        rule=rule,
        subject=meeting,
        due=due,
        policy_version=meeting.policy_version,
        now=now,
        responsible=rsvp.invitee,
        department=rsvp.department,
    )


# ---- scheduling from the pages ------------------------------------------------------------


def meeting_schedule_next(*, series: MeetingSeries, actor, now: datetime) -> Meeting:
    """Schedule the series' next occurrence after its last planned meeting (or after ``now``).

    Coordinator only; the series must be active. Opens the agenda and notice duties
    (see meeting_schedule). Records ``meeting.scheduled``.
    """
    require_coordinator(actor, now=now)
    if not series.is_active:
        raise DomainError(_("This meeting series is not active."), code="series_inactive")
    with transaction.atomic():
        MeetingSeries.objects.select_for_update(of=("self",)).get(pk=series.pk)
        last = (
            Meeting.objects.filter(series=series, starts_at__gt=now)
            .exclude(status=Meeting.Status.CANCELLED)
            .order_by("-starts_at")
            .first()
        )
        start = next_free_occurrence(series, after=last.starts_at if last is not None else now)
        return meeting_schedule(series=series, starts_at=start, now=now, actor=actor)


def meeting_create_emergency(
    *,
    series: MeetingSeries,
    title: str,
    starts_at: datetime,
    duration_minutes: int,
    location: str,
    reason: str,
    actor,
    now: datetime,
) -> Meeting:
    """An emergency meeting (seed 02 三、(六)1) under ``series``' policy, host and recorder.

    Coordinator only. The meeting stands on its own (it is not an occurrence of the
    series, so topic roll-over keeps targeting the regular meetings). A reason is
    required; the length may not pass the policy's duration cap. Preparation duties
    whose deadline has already passed are waived: an emergency cannot meet them.
    Records ``meeting.scheduled`` (emergency=True).
    """
    require_coordinator(actor, now=now)
    reason = (reason or "").strip()
    title = (title or "").strip()
    location = (location or "").strip()
    if not title:
        raise DomainError(_("Give the meeting a title."), code="title_required", field="title")
    if len(title) > MAX_TITLE:
        raise DomainError(_("The title is too long."), code="too_long", field="title")
    if not reason:
        raise DomainError(_("Say why the meeting is urgent."), code="reason_required", field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(_("The reason is too long."), code="too_long", field="reason")
    if len(location) > MAX_LOCATION:
        raise DomainError(_("The place is too long."), code="too_long", field="location")
    if starts_at <= now:
        raise DomainError(_("The meeting must start in the future."), code="in_past", field="starts_at")
    rules = current_version(series.policy, at=now).rules
    cap = rules.minutes("meeting_duration_cap")
    if duration_minutes is None or duration_minutes < 1 or duration_minutes > cap:
        raise DomainError(
            _("A meeting may last at most %(cap)s minutes (%(clause)s)."),
            code="over_cap",
            field="duration_minutes",
            params={"cap": cap, "clause": rules.get("meeting_duration_cap").clause},
        )
    with transaction.atomic():
        meeting = meeting_schedule(
            series=None,
            policy=series.policy,
            starts_at=starts_at,
            now=now,
            actor=actor,
            title=title,
            duration_minutes=duration_minutes,
            location=location,
            host=series.host,
            recorder=series.recorder,
            is_emergency=True,
            emergency_reason=reason,
        )
        obligations_for(meeting).filter(state=Obligation.State.PENDING, due_at__lt=now).update(
            state=Obligation.State.WAIVED, closed_at=now, note="emergency meeting"
        )
    return meeting


# ---- publishing ---------------------------------------------------------------------------


def meeting_publish(
    *, meeting: Meeting, actor, now: datetime, emergency: bool = False, emergency_reason: str = ""
) -> Notice:
    """Publish the notice of ``meeting`` and invite its participants.

    Preconditions: coordinator; meeting PLANNED and not started; its agenda CONFIRMED;
    ``now`` not later than the notice deadline (policy rule notice_lead) unless published
    as an emergency with a reason (a meeting created as an emergency already is one).
    Side effects: a Notice (sequence = meeting.ics_sequence); meeting PUBLISHED (with the
    emergency flag and reason when used); agenda PUBLISHED; the NOTICE duty closed; one
    Rsvp per invitee (meeting_invitee_plan) with an RSVP duty each. Records
    ``meeting.published`` (emergency, late, invitees), to which the agenda reacts: it must be
    CONFIRMED (else "Confirm the agenda before publishing the notice." and nothing changes)
    and becomes PUBLISHED.
    """
    require_coordinator(actor, now=now)
    emergency_reason = (emergency_reason or "").strip()
    if len(emergency_reason) > MAX_REASON:
        raise DomainError(_("The reason is too long."), code="too_long", field="emergency_reason")
    with transaction.atomic():
        meeting = (
            Meeting.objects.select_for_update(of=("self",))
            .select_related("series", "host", "recorder")
            .get(pk=meeting.pk)
        )
        _check_not_started(meeting, "publish", now=now)
        if meeting.is_emergency and not emergency:
            emergency, emergency_reason = True, emergency_reason or meeting.emergency_reason
        calendar = business_calendar()
        deadline = notice_deadline(meeting, calendar=calendar)
        late = deadline is not None and now > deadline.value
        if emergency and not emergency_reason:
            raise DomainError(
                _("Say why this is an emergency meeting."),
                code="emergency_reason_required",
                field="emergency_reason",
            )
        if deadline is not None and late and not emergency:
            notice_rule = meeting.policy_version.rules.get("notice_lead")  # there since it set the deadline
            raise DomainError(
                _(
                    "Too late for the notice: under %(clause)s it had to go out by %(deadline)s. "
                    "Publish it as an emergency meeting with a reason, or move the meeting."
                ),
                code="notice_too_late",
                params={
                    "clause": notice_rule.clause if notice_rule else "",
                    "deadline": _fmt(deadline.value),
                },
            )
        if emergency:
            meeting.is_emergency = True
            meeting.emergency_reason = emergency_reason
        meeting.status = Meeting.Status.PUBLISHED
        meeting.published_at = now
        meeting.save(update_fields=["is_emergency", "emergency_reason", "status", "published_at"])
        notice = _issue_notice(meeting, actor=actor, now=now)
        closed = obligation_close(kind=ObligationKind.NOTICE, subject=meeting, now=now, actor=actor)
        rule, due = rsvp_due(meeting, now=now, calendar=calendar)
        plan = meeting_invitee_plan(meeting)
        rsvps = Rsvp.objects.bulk_create(
            [
                Rsvp(
                    meeting=meeting,
                    invitee=inv.person,
                    invited_as=inv.invited_as,
                    department=inv.department,
                    on_behalf_of=inv.on_behalf_of,
                    notified_at=now,
                )
                for inv in plan
            ]
        )
        for rsvp in rsvps:
            _open_rsvp_duty(meeting, rsvp, rule=rule, due=due, now=now)
        record_event(
            name="meeting.published",
            actor=actor,
            subject=meeting,
            now=now,
            sequence=notice.sequence,
            emergency=meeting.is_emergency,
            emergency_reason=meeting.emergency_reason,
            late=bool(closed is not None and closed.state == Obligation.State.BREACHED),
            invitees=len(rsvps),
        )
    return notice


@dataclass(frozen=True)
class ChangeWarning:
    """Something moving a meeting does that the coordinator confirms first."""

    code: str  # "replies_reset" | "inside_notice_lead" | "closed_day"
    text: str  # in the language of the page that shows it
    clause: str = ""
    suggested: datetime | None = None  # a better start (the next working day)


def _check_reschedule(meeting: Meeting, *, starts_at: datetime, location: str, now: datetime) -> bool:
    """Refuse a change meeting_reschedule would refuse; whether the start moves."""
    if len(location) > MAX_LOCATION:
        raise DomainError(_("The place is too long."), code="too_long", field="location")
    if starts_at is None or starts_at <= now:
        raise DomainError(_("The meeting must start in the future."), code="in_past", field="starts_at")
    _check_not_started(meeting, "reschedule", now=now)
    moved = starts_at != meeting.starts_at
    if not moved and location == meeting.location:
        raise DomainError(_("Nothing changed."), code="unchanged", field="starts_at")
    return moved


def reschedule_warnings(meeting: Meeting, *, starts_at: datetime, now: datetime) -> list[ChangeWarning]:
    """What moving ``meeting`` to ``starts_at`` would do beyond the move itself.

    - the replies are reset (a published meeting: everyone answers again for the new time);
    - the new time is inside the notice lead time (policy rule notice_lead, with its clause):
      only an emergency meeting may be called at such short notice;
    - the new day is not a working day (the next working day is offered).
    """
    found: list[ChangeWarning] = []
    if starts_at == meeting.starts_at:
        return found
    if meeting.status == MS.PUBLISHED:
        counts = meeting.rsvps.aggregate(
            invitees=Count("id"), answered=Count("id", filter=~Q(response=Rsvp.Response.PENDING))
        )
        invitees, answered = counts["invitees"], counts["answered"]
        found.append(
            ChangeWarning(
                "replies_reset",
                str(
                    _(
                        "Every reply will be reset: the %(invitees)s invitees (%(answered)s have "
                        "answered) are told the new time and asked to reply again."
                    )
                    % {"invitees": invitees, "answered": answered}
                ),
            )
        )
    calendar = business_calendar()
    deadline = meeting.policy_version.rules.deadline("notice_lead", starts_at, calendar)
    if deadline is not None and now > deadline.value:
        clause = meeting.policy_version.rules.get("notice_lead").clause
        found.append(
            ChangeWarning(
                "inside_notice_lead",
                str(
                    _(
                        "The new time is inside the notice lead time: under %(clause)s the notice "
                        "for it had to go out by %(deadline)s. Only an emergency meeting may be "
                        "called at such short notice."
                    )
                    % {"clause": clause, "deadline": _fmt(deadline.value)}
                ),
                clause=clause,
            )
        )
    day = closed_day(starts_at, calendar)
    if day is not None:
        suggested = next_working_start(starts_at, calendar)
        found.append(
            ChangeWarning(
                "closed_day",
                str(closed_day_text(day.day.isoformat(), day.holiday_name or "", suggested)),
                suggested=suggested,
            )
        )
    return found


def closed_day_text(day: str, holiday: str, suggested: datetime):
    """ "2026-10-05 is not a working day (National Day)…" in the current language."""
    if holiday:
        return _("%(day)s is not a working day (%(holiday)s). The next working day is %(next)s.") % {
            "day": day,
            "holiday": HOLIDAY_NAMES.get(holiday, holiday),
            "next": _fmt(suggested),
        }
    return _("%(day)s is not a working day. The next working day is %(next)s.") % {
        "day": day,
        "next": _fmt(suggested),
    }


def meeting_reschedule_check(
    *, meeting: Meeting, starts_at: datetime, location: str, actor, now: datetime
) -> list[ChangeWarning]:
    """The confirm step before meeting_reschedule: refuses what it would refuse (coordinator;
    PLANNED or PUBLISHED, not started; a future start; something changed) and returns
    reschedule_warnings. Writes nothing."""
    require_coordinator(actor, now=now)
    meeting = Meeting.objects.select_related("policy_version").get(pk=meeting.pk)
    _check_reschedule(meeting, starts_at=starts_at, location=(location or "").strip(), now=now)
    return reschedule_warnings(meeting, starts_at=starts_at, now=now)


def meeting_reschedule(
    *, meeting: Meeting, starts_at: datetime, location: str, actor, now: datetime
) -> Meeting:
    """Move ``meeting`` (keeping its length) and/or change its place.

    Preconditions: coordinator; meeting PLANNED or PUBLISHED and not started; the new
    start in the future. The pages show meeting_reschedule_check's warnings first (replies
    reset, inside the notice lead time, not a working day). Side effects: ics_sequence + 1
    (same UID; the series occurrence it stands for stays); an auto-generated title follows
    the new date; pending agenda/notice/progress duties get the new deadlines (the Thursday
    cut-offs follow the meeting); a published meeting gets a new Notice, and when the time
    moved every reply is reset and a new reply duty opened (people answer for the new time).
    Records ``meeting.rescheduled`` (old and new start, moved, inside_notice_lead), from which
    every invitee is told what changed.
    """
    require_coordinator(actor, now=now)
    location = (location or "").strip()
    with transaction.atomic():
        meeting = (
            Meeting.objects.select_for_update(of=("self",))
            .select_related("series", "host", "recorder")
            .get(pk=meeting.pk)
        )
        moved = _check_reschedule(meeting, starts_at=starts_at, location=location, now=now)
        warnings = reschedule_warnings(meeting, starts_at=starts_at, now=now)
        old_start = meeting.starts_at
        length = meeting.ends_at - meeting.starts_at
        if meeting.series is not None and meeting.title == _auto_title(meeting.series, old_start):
            meeting.title = _auto_title(meeting.series, starts_at)
        meeting.starts_at = starts_at
        meeting.ends_at = starts_at + length
        meeting.location = location
        meeting.ics_sequence += 1
        meeting.save(update_fields=["title", "starts_at", "ends_at", "location", "ics_sequence"])
        calendar = business_calendar()
        rules = meeting.policy_version.rules
        if moved:
            for kind, rule in (
                (ObligationKind.AGENDA, "agenda_cutoff"),
                (ObligationKind.NOTICE, "notice_lead"),
            ):
                pending = obligations_for(meeting).filter(kind=kind, state=Obligation.State.PENDING).first()
                due = rules.deadline(rule, meeting.starts_at, calendar)
                if pending is not None and due is not None:
                    obligation_open(
                        kind=kind,
                        rule=rule,
                        subject=meeting,
                        due=due,
                        policy_version=meeting.policy_version,
                        now=now,
                        responsible=pending.responsible,
                        department=pending.department,
                    )
            # The departments' progress reports before the meeting move with it (one each).
            progress_due = rules.deadline("progress_report_cutoff", meeting.starts_at, calendar)
            progress = obligations_for(meeting).filter(
                kind=ObligationKind.PROGRESS_REPORT, state=Obligation.State.PENDING
            )
            for pending in list(progress) if progress_due is not None else []:
                obligation_open(
                    kind=pending.kind,
                    rule=pending.rule,
                    subject=meeting,
                    due=progress_due,
                    policy_version=meeting.policy_version,
                    now=now,
                    responsible=pending.responsible,
                    department=pending.department,
                    calendar=calendar,
                )
        if meeting.status == Meeting.Status.PUBLISHED:
            _issue_notice(meeting, actor=actor, now=now)
            if moved:
                rule, due = rsvp_due(meeting, now=now, calendar=calendar)
                rsvps = list(meeting.rsvps.select_related("invitee", "department"))
                meeting.rsvps.update(
                    response=Rsvp.Response.PENDING,
                    delegate=None,
                    reason="",
                    answered_at=None,
                    answered_late=False,
                    notified_at=now,
                )
                for rsvp in rsvps:
                    _open_rsvp_duty(meeting, rsvp, rule=rule, due=due, now=now)
        record_event(
            name="meeting.rescheduled",
            actor=actor,
            subject=meeting,
            now=now,
            old_start=old_start.isoformat(),
            new_start=meeting.starts_at.isoformat(),
            location=meeting.location,
            sequence=meeting.ics_sequence,
            moved=moved,
            inside_notice_lead=any(w.code == "inside_notice_lead" for w in warnings),
            **_closed_day_data(meeting.starts_at),
        )
    return meeting


def meeting_cancel(*, meeting: Meeting, reason: str, actor, now: datetime) -> Meeting:
    """Cancel ``meeting`` before it starts.

    Preconditions: coordinator; meeting PLANNED or PUBLISHED and not started; a reason.
    Side effects: CANCELLED with the reason; ics_sequence + 1; a cancellation Notice;
    every pending duty on the meeting waived. Records ``meeting.cancelled``, to which the
    agenda reacts: the meeting's topics go back to TRIAGED and roll over to the series'
    following meeting (topic_defer, with cancelled_topic_reason shown to the submitter).
    """
    require_coordinator(actor, now=now)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why the meeting is cancelled."), code="reason_required", field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(_("The reason is too long."), code="too_long", field="reason")
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update(of=("self",)).select_related("series").get(pk=meeting.pk)
        _check_not_started(meeting, "cancel", now=now)
        meeting.status = Meeting.Status.CANCELLED
        meeting.cancelled_reason = reason
        meeting.ics_sequence += 1
        meeting.save(update_fields=["status", "cancelled_reason", "ics_sequence"])
        _issue_notice(meeting, actor=actor, now=now, cancellation=True)
        waived = obligation_waive(kind=None, subject=meeting, now=now, note="meeting cancelled")
        record_event(
            name="meeting.cancelled",
            actor=actor,
            subject=meeting,
            now=now,
            reason=reason,
            sequence=meeting.ics_sequence,
            waived=waived,
            topics=[],
        )
    return meeting


def cancelled_topic_reason(meeting: Meeting) -> str:
    """What a topic rolled over from a cancelled meeting says, in the organisation's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(_("Meeting cancelled: %(reason)s") % {"reason": meeting.cancelled_reason})[:MAX_REASON]


# ---- replies ------------------------------------------------------------------------------


def rsvp_answer(
    *, rsvp: Rsvp, response: str, delegate: Person | None = None, reason: str = "", actor, now: datetime
) -> Rsvp:
    """Answer a meeting notice: attend, send a named delegate, or be absent with a reason.

    Preconditions: ``actor`` is the invitee or their period delegate (else Forbidden);
    the meeting is published and has not started. A delegate is a named person other
    than the invitee; a department head sends the department's deputy or liaison (seed 01
    第五条(三)3), or someone else of the department where the policy's ``delegate_scope`` allows. Absence needs a reason. Answers may change until
    the meeting starts. Side effects: the reply is stored; the invitee's RSVP duty is
    closed — after its deadline the answer is accepted but marked late from the ledger.
    Changing an answer to absent/delegate after the first reply counts as a new notice
    of absence and is judged against the same deadline. Records ``rsvp.answered``.
    """
    rsvp = Rsvp.objects.select_related("meeting", "invitee").get(pk=rsvp.pk)
    require(may_answer(rsvp, actor), _("Only the invitee (or their delegate) may answer this notice."))
    reason = (reason or "").strip()
    if response not in (Rsvp.Response.ATTEND, Rsvp.Response.DELEGATE, Rsvp.Response.ABSENT):
        raise DomainError(_("Choose an answer."), code="response_required", field="response")
    if len(reason) > MAX_REASON:
        raise DomainError(_("The reason is too long."), code="too_long", field="reason")
    if response == Rsvp.Response.DELEGATE:
        if delegate is None:
            raise DomainError(
                _("Name the person who attends for you."), code="delegate_required", field="delegate"
            )
        if delegate.pk == rsvp.invitee_id:
            raise DomainError(_("The delegate must be someone else."), code="delegate_self", field="delegate")
        if not delegate_allowed(rsvp, delegate):
            raise DomainError(
                ERR_DELEGATE[rsvp.meeting.policy_version.rules.choice("delegate_scope")],
                code="delegate_not_allowed",
                field="delegate",
                params={"clause": _delegate_clause(rsvp.meeting)},
            )
    else:
        delegate = None
    if response == Rsvp.Response.ABSENT and not reason:
        raise DomainError(_("Say why you cannot attend."), code="reason_required", field="reason")
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update(of=("self",)).get(pk=rsvp.meeting_id)
        if meeting.status != Meeting.Status.PUBLISHED:
            raise DomainError(_("This meeting is not open for replies."), code="not_published")
        if now >= meeting.starts_at:
            raise DomainError(_("The meeting has started; replies are closed."), code="meeting_started")
        rsvp = Rsvp.objects.select_for_update(of=("self",)).get(pk=rsvp.pk)
        previous = rsvp.response
        closed = obligation_close(
            kind=ObligationKind.RSVP, subject=meeting, now=now, actor=actor, responsible=rsvp.invitee
        )
        renotice = (
            closed is None
            and previous != Rsvp.Response.PENDING
            and response != previous
            and response in (Rsvp.Response.ABSENT, Rsvp.Response.DELEGATE)
        )
        if renotice:
            # A late switch to absence is a new notice of absence: one more entry in the ledger.
            rule, due = rsvp_due(meeting, now=rsvp.notified_at or meeting.published_at or now)
            _open_rsvp_duty(meeting, rsvp, rule=rule, due=due, now=now)
            closed = obligation_close(
                kind=ObligationKind.RSVP, subject=meeting, now=now, actor=actor, responsible=rsvp.invitee
            )
        if closed is not None:
            rsvp.answered_late = closed.state == Obligation.State.BREACHED
        rsvp.response = response
        rsvp.delegate = delegate
        rsvp.reason = reason if response != Rsvp.Response.ATTEND else ""
        rsvp.answered_at = now
        rsvp.save(update_fields=["response", "delegate", "reason", "answered_at", "answered_late"])
        record_event(
            name="rsvp.answered",
            actor=actor,
            subject=meeting,
            now=now,
            invitee=rsvp.invitee_id,
            response=response,
            delegate=delegate.pk if delegate else None,
            late=rsvp.answered_late,
            on_behalf=actor.pk != rsvp.invitee_id,
        )
    return rsvp


ERR_DELEGATE = {
    "deputy_or_liaison": _("A department head sends the department's deputy or liaison (%(clause)s)."),
    "department": _(
        "A department head sends a deputy, the liaison or someone of the department (%(clause)s)."
    ),
}


def _delegate_clause(meeting: Meeting) -> str:
    rule = meeting.policy_version.rules.get("delegate_scope")
    return rule.clause if rule else _absence_clause(meeting)


def _absence_clause(meeting: Meeting) -> str:
    rule = meeting.policy_version.rules.get("absence_notice_lead") or meeting.policy_version.rules.get(
        "notice_lead"
    )
    return rule.clause if rule else ""


def coordinator_of_record() -> Person | None:
    """The person holding the coordinator role (the notices' organiser)."""
    return next(iter(holders(Role.COORDINATOR)), None)


def notice_mark_read(*, meeting: Meeting, person, now: datetime) -> int:
    """Record that ``person`` has opened the notice of ``meeting`` (first opening only).

    A read receipt, not a state transition: no event is recorded. Returns the rows touched
    (0 for someone who is not invited or has read it before).
    """
    return Rsvp.objects.filter(meeting=meeting, invitee=person, read_at__isnull=True).update(read_at=now)
