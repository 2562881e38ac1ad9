"""Which domain events notify whom: event name → recipients, topic, params, link.

A handler gets the Event and its subject row and returns Plans; the dispatcher writes one
Message per (event, recipient). Params are plain JSON (ISO times, ids, names) so the text is
rendered later in the reader's language (topics.py). Events without a handler are only
marked dispatched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import reverse

from xietong.approvals.models import Task as ApprovalTask
from xietong.meetings.models import Meeting
from xietong.minutes.services import minutes_recipients
from xietong.org.models import Role
from xietong.org.permissions import holders
from xietong.policy.calendar import as_shanghai
from xietong.records.models import Decision
from xietong.requests.services import RECEIVER_ROLES


@dataclass
class Plan:
    recipients: list[int]
    topic: str
    params: dict = field(default_factory=dict)
    link: str = ""


Handler = Callable[..., list[Plan]]
REGISTRY: dict[str, Handler] = {}


def handles(*names: str):
    def register(fn: Handler) -> Handler:
        for name in names:
            REGISTRY[name] = fn
        return fn

    return register


def _unique(ids) -> list[int]:
    return list(dict.fromkeys(i for i in ids if i))


# ---- meetings -----------------------------------------------------------------------------

MEETING_TOPIC = {
    "meeting.published": "meeting_notice",
    "meeting.rescheduled": "meeting_rescheduled",
    "meeting.cancelled": "meeting_cancelled",
}


@handles(*MEETING_TOPIC)
def meeting_changed(event, meeting) -> list[Plan]:
    """Every invitee; the e-mail carries the meeting's .ics (REQUEST, or CANCEL). A change says
    what changed: the old and new time (and that the replies were reset), or the new place.
    Someone invited in another's place (a standing delegation) is told for whom."""
    rows = meeting.rsvps.order_by("id").values_list(
        "invitee_id", "on_behalf_of__full_name", "on_behalf_of__username"
    )
    topic = MEETING_TOPIC[event.name]
    if event.name == "meeting.rescheduled" and event.data.get("moved") is False:
        topic = "meeting_place_changed"
    params = {
        "meeting": meeting.pk,
        "title": meeting.title,
        # The time the event recorded: a later change sends its own message.
        "starts_at": event.data.get("new_start") or meeting.starts_at.isoformat(),
        "old_starts_at": event.data.get("old_start", ""),
        "place": event.data.get("location", meeting.location) or meeting.online_url,
        "reason": event.data.get("reason", ""),
        "ics": True,
    }
    link = reverse("meetings:detail", args=[meeting.pk])
    plans = [
        Plan(
            recipients=_unique(pk for pk, name, login in rows if not (name or login)),
            topic=topic,
            params=params,
            link=link,
        )
    ]
    plans += [
        Plan(recipients=[pk], topic=topic, params={**params, "on_behalf_of": name or login}, link=link)
        for pk, name, login in rows
        if name or login
    ]
    return plans


@handles("meeting.scheduled")
def meeting_on_closed_day(event, meeting) -> list[Plan]:
    """A meeting scheduled (or generated) on a day the organisation does not work: the
    coordinator is warned and offered the next working day (on the meeting page)."""
    day = event.data.get("closed_day")
    if not day or meeting.status == Meeting.Status.CANCELLED:
        return []
    if as_shanghai(meeting.starts_at).date().isoformat() != day:
        return []  # moved off that day before anyone was told
    return [
        Plan(
            recipients=_unique(p.pk for p in holders(Role.COORDINATOR)),
            topic="meeting_on_closed_day",
            params={
                "meeting": meeting.pk,
                "title": meeting.title,
                "closed_day": event.data["closed_day"],
                "holiday": event.data.get("holiday", ""),
                "next_working_at": event.data.get("next_working", ""),
            },
            link=reverse("meetings:detail", args=[meeting.pk]),
        )
    ]


# ---- topics -------------------------------------------------------------------------------

TOPIC_SENT_BACK = {
    "topic.returned": "topic_returned",
    "topic.returned_by_coordinator": "topic_returned_by_coordinator",
    "topic.rejected": "topic_rejected",
    "topic.rolled_over": "topic_deferred",
}


@handles(*TOPIC_SENT_BACK)
def topic_sent_back(event, topic) -> list[Plan]:
    """The topic's author learns it was returned, rejected or deferred, and why."""
    params = {
        "title": topic.title,
        "reason": event.data.get("reason") or event.data.get("comment") or "",
    }
    if event.name == "topic.rolled_over":
        later = Meeting.objects.filter(pk=event.data.get("to_meeting")).only("title", "starts_at").first()
        params["meeting"] = later.title if later else ""
        params["starts_at"] = later.starts_at.isoformat() if later else ""
    return [
        Plan(
            recipients=_unique([topic.author_id]) if topic.author_id != event.actor_id else [],
            topic=TOPIC_SENT_BACK[event.name],
            params=params,
            link=reverse("topics:detail", args=[topic.pk]),
        )
    ]


# ---- minutes ------------------------------------------------------------------------------


@handles("minutes.approved")
def minutes_approved(event, minutes) -> list[Plan]:
    """The person who drafted the minutes learns they were approved."""
    return [
        Plan(
            recipients=_unique([minutes.drafted_by_id]),
            topic="minutes_approved",
            params={"title": minutes.meeting.title, "number": minutes.number},
            link=reverse("minutes:version", args=[minutes.pk]),
        )
    ]


@handles("minutes.distributed")
def minutes_distributed(event, minutes) -> list[Plan]:
    """Everyone the approved minutes went to (minutes_recipients, as recorded in the event)."""
    recipients = event.data.get("recipients")
    if recipients is None:
        recipients = minutes_recipients(minutes.meeting_id)
    return [
        Plan(
            recipients=_unique(recipients),
            topic="minutes_distributed",
            params={"title": minutes.meeting.title, "number": minutes.number},
            link=reverse("minutes:version", args=[minutes.pk]),
        )
    ]


# ---- decisions and actions ----------------------------------------------------------------


@handles("decision.created")
def decision_created(event, decision) -> list[Plan]:
    """A decision allocating resources waits for the leadership group: tell them."""
    if event.data.get("status", decision.status) != Decision.Status.AWAITING_LEADERSHIP:
        return []
    return [
        Plan(
            recipients=_unique(p.pk for p in holders(Role.LEADERSHIP)),
            topic="decision_awaiting_leadership",
            params={"title": decision.meeting.title, "text": decision.text[:200]},
            link=reverse("records:meeting", args=[decision.meeting_id]),
        )
    ]


@handles("action.created")
def action_created(event, item) -> list[Plan]:
    return [
        Plan(
            recipients=_unique([item.owner_id]),
            topic="action_assigned",
            params={"text": item.title, "due_on": item.due_on.isoformat()},
            link=reverse("actions:detail", args=[item.pk]),
        )
    ]


# ---- approvals ----------------------------------------------------------------------------

APPROVAL_DECIDED = {
    "approval.approved": "approval_step_approved",
    "approval.returned": "approval_returned",
    "approval.rejected": "approval_rejected",
}


@handles("approval.submitted", "approval.resubmitted", "approval.approved", "approval.transferred")
@handles(*APPROVAL_DECIDED)
def approval_changed(event, approval) -> list[Plan]:
    """The approvers of a step that opened with this event learn it awaits them; the applicant
    learns of each decision (and that the approval is finished)."""
    link = reverse("approvals:detail", args=[approval.pk])
    params = {
        "title": approval.title,
        "step": event.data.get("step", ""),
        "comment": event.data.get("comment") or event.data.get("reason") or "",
        "actor": (event.actor.full_name or event.actor.username) if event.actor_id else "",
    }
    plans = []
    opened = ApprovalTask.objects.filter(
        approval=approval, pk__in=event.data.get("opened_tasks") or ()
    ).values_list("approver_id", flat=True)
    waiting = [pk for pk in opened if pk != event.actor_id]
    if waiting:
        plans.append(Plan(_unique(waiting), "approval_awaiting", params, link))
    if event.name in APPROVAL_DECIDED and approval.applicant_id != event.actor_id:
        topic = "approval_finished" if event.data.get("finished") else APPROVAL_DECIDED[event.name]
        plans.append(Plan(_unique([approval.applicant_id]), topic, params, link))
    return plans


# ---- cross-department requests -------------------------------------------------------------

REQUEST_ANSWERED = {
    "request.accepted": "request_accepted",
    "request.refused": "request_refused",
    "request.delivered": "request_delivered",
}


@handles("request.submitted", "request.reassigned", *REQUEST_ANSWERED)
def request_changed(event, request) -> list[Plan]:
    """A new request reaches whoever answers for the receiving department; its answer and its
    delivery reach the requester."""
    link = reverse("requests:detail", args=[request.pk])
    params = {
        "title": request.title,
        "from_department": request.from_department.name,
        "to_department": request.to_department.name,
        "due_at": event.data.get("due_at", ""),
        "clause": event.data.get("clause", ""),
        "committed_by": event.data.get("committed_by", ""),
        "comment": event.data.get("comment") or event.data.get("reason") or "",
        "actor": (event.actor.full_name or event.actor.username) if event.actor_id else "",
    }
    if event.name in ("request.submitted", "request.reassigned"):
        # The department the event sent it to: a request handed on since then is told by its own event.
        department_id = event.data.get("to_department") or request.to_department_id
        receivers = [p.pk for role in RECEIVER_ROLES for p in holders(role, department_id)]
        return [Plan(_unique(r for r in receivers if r != event.actor_id), "request_received", params, link)]
    if request.requester_id == event.actor_id:
        return []
    return [Plan(_unique([request.requester_id]), REQUEST_ANSWERED[event.name], params, link)]


# ---- the follow-through ledger ------------------------------------------------------------


def _obligation_params(obligation, event) -> dict:
    responsible = obligation.responsible
    return {
        "obligation": obligation.pk,
        "duty": obligation.kind,
        "clause": obligation.clause,
        "due_at": obligation.due_at.isoformat(),
        "responsible": (responsible.full_name or responsible.username) if responsible else "",
        "step": event.data.get("step", ""),
        "misses": event.data.get("misses", ""),
    }


def _department_of(obligation):
    if obligation.department_id:
        return obligation.department_id
    return obligation.responsible.department_id if obligation.responsible_id else None


@handles("obligation.reminder")
def obligation_reminder(event, obligation) -> list[Plan]:
    """The responsible person, or the department's liaison when the duty has no person."""
    if obligation.responsible_id:
        recipients = [obligation.responsible_id]
    else:
        department = _department_of(obligation)
        recipients = [p.pk for p in holders(Role.LIAISON, department)] if department else []
    return [Plan(_unique(recipients), "obligation_reminder", _obligation_params(obligation, event))]


@handles("obligation.breached")
def obligation_breached(event, obligation) -> list[Plan]:
    """The responsible person (the liaison when none) and their department's head."""
    department = _department_of(obligation)
    recipients = [obligation.responsible_id] if obligation.responsible_id else []
    if department:
        if not recipients:
            recipients += [p.pk for p in holders(Role.LIAISON, department)]
        recipients += [p.pk for p in holders(Role.HEAD, department)]
    return [Plan(_unique(recipients), "obligation_breached", _obligation_params(obligation, event))]


@handles("obligation.escalated")
def obligation_escalated(event, obligation) -> list[Plan]:
    return [
        Plan(
            _unique(p.pk for p in holders(Role.LEADERSHIP)),
            "obligation_escalated",
            _obligation_params(obligation, event),
        )
    ]
