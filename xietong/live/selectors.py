"""Reading the live room: the public snapshot every screen shows, and the reports after it.

``room_state`` is the contract with the real-time layer (xietong.live.realtime): one
JSON-serialisable dict, the same for every viewer (nothing per person in it), with server
timestamps only — screens compute countdowns from ``server_now`` and the ``started_at`` /
limit fields with their own clock offset.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Subquery
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from xietong.agenda.models import AgendaItem
from xietong.core.errors import Forbidden
from xietong.meetings.models import Meeting, Rsvp
from xietong.meetings.selectors import get_meeting_for_user
from xietong.policy.rules import MAJORITY_METHOD_NAMES
from xietong.records.models import Attendance

from . import rules as decision_rules
from .models import Ballot, Guest, ItemRun, Room, Speech, Vote, VoteParticipation

CAP_RULE = "meeting_duration_cap"

RESULT_TEXTS = {
    decision_rules.PASSED: gettext_lazy("Passed"),
    decision_rules.NO_QUORUM: gettext_lazy("Not passed: too few voters present (no quorum)"),
    decision_rules.NO_MAJORITY: gettext_lazy("Not passed: the required majority was not reached"),
    decision_rules.TOO_FEW_AGREES: gettext_lazy("Not passed: too few votes in favour"),
}
# Each failing test of a vote that failed more than one, joined after "Not passed: ".
FAILURE_TEXTS = {
    decision_rules.NO_QUORUM: gettext_lazy("too few voters present (no quorum)"),
    decision_rules.NO_MAJORITY: gettext_lazy("the required majority was not reached"),
    decision_rules.TOO_FEW_AGREES: gettext_lazy("too few votes in favour"),
}


# ---- one room for one person ------------------------------------------------------------------

# Who runs the room: the meeting's host and recorder (the console, the attendance desk), or
# its host alone (admitting guests).
DESK = "desk"
HOST = "host"
ROOM_RELATIONS = ("host", "recorder", "policy_version")


def get_room_meeting_for_user(
    person,
    pk: int,
    *,
    now: datetime | None = None,
    runs: str | None = None,
    refusal=None,
    screen: bool = False,
) -> Meeting:
    """Meeting ``pk`` with its host, recorder and regulation, for its live room.

    Http404 for anyone who may not see the meeting (meetings_visible_to). With ``runs`` (DESK or
    HOST), Forbidden (``refusal``, when given) for anyone who does not run the room so; Http404
    only when there is no such meeting, or, for one of the room's ``screen``s (the host
    console), for anyone who may not see it.
    """
    if runs is None or screen:
        meeting = get_meeting_for_user(person, pk, now=now, related=ROOM_RELATIONS)
    else:
        meeting = get_object_or_404(Meeting.objects.select_related(*ROOM_RELATIONS), pk=pk)
    if runs is None:
        return meeting
    runners = {meeting.host_id} if runs == HOST else {meeting.host_id, meeting.recorder_id}
    if person.pk not in runners:
        raise Forbidden(refusal)
    return meeting


def room_times(meeting: Meeting) -> tuple[datetime | None, datetime | None]:
    """(started, ended) of ``meeting``'s live room, None for what has not happened (or no room)."""
    found = Room.objects.filter(meeting=meeting).values_list("started_at", "ended_at").first()
    return found if found is not None else (None, None)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def describe_rule(*, method: str, min_agree: int | None, quorum_percent: int | None, clause: str = "") -> str:
    """The decision rule in words, in the active language, with the clause it comes from."""
    parts = [str(MAJORITY_METHOD_NAMES.get(method, method))]
    if min_agree:
        parts.append(
            ngettext("at least %(count)s vote in favour", "at least %(count)s votes in favour", min_agree)
            % {"count": min_agree}
        )
    if quorum_percent:
        parts.append(
            _("quorum: %(percent)s%% of those entitled to vote present") % {"percent": quorum_percent}
        )
    text = _("; ").join(parts)
    if clause:
        text = _("%(rule)s (%(clause)s)") % {"rule": text, "clause": clause}
    return text


def vote_rule_text(vote: Vote) -> str:
    return describe_rule(
        method=vote.method, min_agree=vote.min_agree, quorum_percent=vote.quorum_percent, clause=vote.clause
    )


def vote_failures(vote: Vote) -> tuple[str, ...]:
    """Every test a closed vote failed, from its stored counts and the rule copied at opening."""
    if vote.status != Vote.Status.CLOSED or vote.passed or vote.present_count is None:
        return ()
    outcome = decision_rules.decide(
        decision_rules.Counts(
            agree=vote.agree,
            against=vote.against,
            abstain=vote.abstain,
            present=vote.present_count,
            eligible=vote.eligible_count,
        ),
        method=vote.method,
        min_agree=vote.min_agree,
        quorum_percent=vote.quorum_percent,
    )
    return outcome.failures or (vote.result_code,)


def vote_result_text(vote: Vote) -> str:
    """ "Passed", or every reason it did not pass (not only the first)."""
    if vote.status != Vote.Status.CLOSED:
        return ""
    failures = vote_failures(vote)
    if len(failures) > 1:
        reasons = _("; ").join(str(FAILURE_TEXTS.get(code, code)) for code in failures)
        return str(_("Not passed: %(reasons)s") % {"reasons": reasons})
    return str(RESULT_TEXTS.get(vote.result_code, vote.result_code))


def cap_of(meeting: Meeting) -> tuple[int, str]:
    """The meeting's duration cap in minutes (its agenda's, else the policy's) and the clause."""
    rule = meeting.policy_version.rules.get(CAP_RULE)
    clause = rule.clause if rule is not None else ""
    agenda = getattr(meeting, "agenda", None) if hasattr(meeting, "agenda") else None
    if agenda is not None:
        return agenda.cap_minutes, clause
    return (rule.minutes if rule is not None and rule.minutes else 0), clause


def _name(person) -> str:
    return person.get_full_name() if person is not None else ""


def _vote_dict(vote: Vote, *, voted: list[str], ballots: list[dict] | None) -> dict:
    closed = vote.status == Vote.Status.CLOSED
    show_tally = closed or not vote.secret
    out = {
        "id": vote.pk,
        "proposal": vote.proposal,
        "secret": vote.secret,
        "item_id": vote.agenda_item_id,
        "status": vote.status,
        "rule": vote_rule_text(vote),
        "method": vote.method,
        "min_agree": vote.min_agree,
        "quorum_percent": vote.quorum_percent,
        "eligible_count": vote.eligible_count,
        "voted_count": len(voted),
        "voted": voted,
        "tally": (
            {"agree": vote.agree, "against": vote.against, "abstain": vote.abstain} if show_tally else None
        ),
        "opened_at": _iso(vote.opened_at),
    }
    if not vote.secret and ballots is not None:
        out["ballots"] = ballots
    if closed:
        out.update(
            closed_at=_iso(vote.closed_at),
            present_count=vote.present_count,
            passed=vote.passed,
            result_code=vote.result_code,
            failures=list(vote_failures(vote)),
            result=vote_result_text(vote),
            decision_id=vote.decision_id,
        )
    return out


def _person_name(row: Mapping[str, Any], prefix: str) -> str:
    """Person.get_full_name() from a ``values()`` row: the name, else the username."""
    return row[f"{prefix}__full_name"] or row[f"{prefix}__username"] or ""


def _voted_by_vote(votes: list[Vote]) -> dict[int, list[Mapping[str, Any]]]:
    """Who has voted in each of ``votes`` (one query), by name: seat name, voter id."""
    found: dict[int, list[Mapping[str, Any]]] = defaultdict(list)
    if votes:
        rows = (
            VoteParticipation.objects.filter(vote_id__in=[v.pk for v in votes])
            .order_by("seat__full_name", "seat_id")
            .values("vote_id", "voter_id", "seat__full_name", "seat__username")
        )
        for row in rows:
            found[row["vote_id"]].append(row)
    return found


def _ballots_by_vote(votes: list[Vote]) -> dict[int, list[dict]]:
    """The named ballots of ``votes`` (one query; none for secret votes)."""
    named = [v.pk for v in votes if not v.secret]
    found: dict[int, list[dict]] = defaultdict(list)
    if named:
        rows = (
            Ballot.objects.filter(vote_id__in=named)
            .order_by("id")
            .values(
                "vote_id",
                "seat_id",
                "voter_id",
                "choice",
                "seat__full_name",
                "seat__username",
                "voter__full_name",
                "voter__username",
            )
        )
        for b in rows:
            found[b["vote_id"]].append(
                {
                    "name": _person_name(b, "seat"),
                    "cast_by": _person_name(b, "voter") if b["voter_id"] != b["seat_id"] else None,
                    "choice": b["choice"],
                }
            )
    return found


def room_state(meeting: Meeting, now: datetime) -> dict:
    """The public snapshot of the live room (see the module docstring).

    Computed once per change for every screen (xietong.live.realtime), so it is kept cheap
    and its query count is pinned (test_services): the meeting with its agenda, room, host
    and counts; the items with their progress; the speakers' list; the votes; who has
    voted; attendance — plus the named ballots and the guests only when there are any.
    Rows are read as the columns shown (``values``), not as whole people and topics.
    """
    meeting = (
        Meeting.objects.select_related("policy_version", "agenda", "live_room")
        .annotate(
            host_full_name=F("host__full_name"),
            host_username=F("host__username"),
            invited=Subquery(
                Rsvp.objects.filter(meeting=OuterRef("pk"))
                .order_by()
                .values("meeting")
                .annotate(n=Count("id"))
                .values("n")
            ),
            has_guests=Exists(Guest.objects.filter(meeting=OuterRef("pk"))),
        )
        .get(pk=meeting.pk)
    )
    # A meeting nobody has used the room of yet reads as an empty room (no write in a read).
    try:
        room = meeting.live_room
    except Room.DoesNotExist:
        room = Room(meeting=meeting)
    cap_minutes, cap_clause = cap_of(meeting)
    speaking_rule = meeting.policy_version.rules.get("speaking_limit")

    items = list(
        AgendaItem.objects.filter(agenda__meeting=meeting)
        .order_by("position", "id")
        .values(
            "id",
            "title",
            "kind",
            "budget_minutes",
            "topic__department__name",
            "live_run__room_id",
            "live_run__status",
            "live_run__started_at",
            "live_run__elapsed_seconds",
            "live_run__deferral_reason",
        )
    )
    item_rows = []
    runs: dict[int, Mapping[str, Any]] = {}
    run: Mapping[str, Any] | None
    for item in items:
        run = item if room.pk is not None and item["live_run__room_id"] == room.pk else None
        if run is not None:
            runs[item["id"]] = run
        status = run["live_run__status"] if run else ItemRun.Status.PENDING
        item_rows.append(
            {
                "id": item["id"],
                "title": item["title"],
                "kind": item["kind"],
                "department": item["topic__department__name"] or "",
                "budget_minutes": item["budget_minutes"],
                "status": status,
                "started_at": _iso(run["live_run__started_at"])
                if run and status == ItemRun.Status.CURRENT
                else None,
                "elapsed_seconds": run["live_run__elapsed_seconds"] if run else 0,
                "deferral_reason": run["live_run__deferral_reason"] if run else "",
            }
        )
    current = None
    if room.current_item_id is not None:
        run = runs.get(room.current_item_id)
        current = {
            "id": room.current_item_id,
            "started_at": _iso(run["live_run__started_at"] if run else None),
            # Time already spent on it before (an item set aside and taken up again).
            "elapsed_before": run["live_run__elapsed_seconds"] if run else 0,
            "budget_minutes": next(
                (i["budget_minutes"] for i in items if i["id"] == room.current_item_id), None
            ),
        }

    speeches = list(
        Speech.objects.filter(meeting=meeting, status__in=[Speech.Status.QUEUED, Speech.Status.SPEAKING])
        .order_by("order", "id")
        .values(
            "id",
            "status",
            "person_id",
            "person__full_name",
            "person__username",
            "department__name",
            "requested_at",
            "started_at",
            "limit_seconds",
            "agenda_item_id",
        )
    )
    queue = [
        {
            "id": s["id"],
            "status": s["status"],
            "person": _person_name(s, "person"),
            "person_id": s["person_id"],
            "department": s["department__name"] or "",
            "requested_at": _iso(s["requested_at"]),
            "order": n,
        }
        for n, s in enumerate((s for s in speeches if s["status"] == Speech.Status.QUEUED), start=1)
    ]
    speaking = next((s for s in speeches if s["status"] == Speech.Status.SPEAKING), None)
    speech = None
    if speaking is not None:
        speech = {
            "id": speaking["id"],
            "status": speaking["status"],
            "person": _person_name(speaking, "person"),
            "person_id": speaking["person_id"],
            "department": speaking["department__name"] or "",
            "started_at": _iso(speaking["started_at"]),
            "limit_seconds": speaking["limit_seconds"],
            "item_id": speaking["agenda_item_id"],
        }

    # The open vote and the last closed one, from one read of the meeting's (few) votes.
    votes = list(Vote.objects.filter(meeting=meeting).order_by("id"))
    open_vote = next((v for v in reversed(votes) if v.status == Vote.Status.OPEN), None)
    closed = [v for v in votes if v.status == Vote.Status.CLOSED]
    last = max(closed, key=lambda v: (v.closed_at, v.pk)) if closed else None
    shown = [v for v in (open_vote, last) if v is not None]
    voted = _voted_by_vote(shown)
    ballots = _ballots_by_vote(shown)

    def vote_out(v: Vote) -> dict:
        rows = voted.get(v.pk, [])
        out = _vote_dict(
            v,
            voted=[_person_name(p, "seat") for p in rows],
            ballots=None if v.secret else ballots.get(v.pk, []),
        )
        # Who has cast a ballot (public, like the names): lets a phone know its own ballot
        # is in, for secret votes too (no choice is linked to it).
        out["voter_ids"] = sorted(p["voter_id"] for p in rows)
        return out

    vote = vote_out(open_vote) if open_vote is not None else None
    last_vote = vote_out(last) if last is not None else None

    # Invited in someone's place through a standing delegation (meetings.Rsvp.on_behalf_of).
    standing = Rsvp.objects.filter(meeting=meeting, invitee=OuterRef("person_id"))
    attendances = (
        Attendance.objects.filter(
            meeting=meeting, status__in=[Attendance.Status.PRESENT, Attendance.Status.LATE]
        )
        .annotate(
            standing_name=Subquery(standing.values("on_behalf_of__full_name")[:1]),
            standing_login=Subquery(standing.values("on_behalf_of__username")[:1]),
        )
        .order_by("signed_in_at", "id")
        .values(
            "person_id",
            "person__full_name",
            "person__username",
            "person__department__name",
            "status",
            "on_behalf_of_id",
            "on_behalf_of__full_name",
            "on_behalf_of__username",
            "signed_in_at",
            "standing_name",
            "standing_login",
        )
    )
    signed_in = [
        {
            "person_id": a["person_id"],
            "name": _person_name(a, "person"),
            "department": a["person__department__name"] or "",
            "late": a["status"] == Attendance.Status.LATE,
            "delegate_for": _person_name(a, "on_behalf_of")
            if a["on_behalf_of_id"]
            else (a["standing_name"] or a["standing_login"] or None),
            "signed_in_at": _iso(a["signed_in_at"]),
        }
        for a in attendances
    ]
    guests = (
        [
            {"name": g["name"], "person_id": g["person_id"], "admitted_at": _iso(g["admitted_at"])}
            for g in Guest.objects.filter(meeting=meeting)
            .order_by("id")
            .values("name", "person_id", "admitted_at")
        ]
        if meeting.has_guests
        else []
    )
    host_name = (meeting.host_full_name or meeting.host_username or "") if meeting.host_id else ""
    return {
        "version": room.version,
        "server_now": now.isoformat(),
        "meeting": {
            "id": meeting.pk,
            "title": meeting.title,
            "location": meeting.location,
            "starts_at": _iso(meeting.starts_at),
            "ends_at": _iso(meeting.ends_at),
            "started_at": _iso(room.started_at),
            "ended_at": _iso(room.ended_at),
            # The room's state (not started / running / ended): the screens offer the commands
            # its table (live.services.ROOM_TRANSITIONS) accepts in it.
            "status": room.status,
            "ended": room.status == Room.Status.ENDED,
            "cap_minutes": cap_minutes,
            "cap_clause": cap_clause,
            "speaking_limit_seconds": speaking_rule.minutes * 60
            if speaking_rule and speaking_rule.minutes
            else None,
            "speaking_limit_clause": speaking_rule.clause if speaking_rule else "",
            "host": host_name,
            "host_id": meeting.host_id,
            "recorder_id": meeting.recorder_id,
            "cancelled": meeting.status == Meeting.Status.CANCELLED,
        },
        "items": item_rows,
        "current_item": current,
        "queue": queue,
        "speech": speech,
        "vote": vote,
        "last_vote": last_vote,
        "signed_in": signed_in,
        "guests": guests,
        "invited_count": meeting.invited or 0,
    }


# ---- after the meeting --------------------------------------------------------------------


@dataclass(frozen=True)
class DepartmentTime:
    department: str
    seconds: int
    speeches: int
    over_limit: int


def finished_speeches(meeting: Meeting) -> list[Speech]:
    """The speeches given, in order, with speaker, department and item preloaded."""
    return list(
        Speech.objects.filter(meeting=meeting, status=Speech.Status.DONE)
        .select_related("person", "department", "agenda_item")
        .order_by("started_at", "id")
    )


def speaking_time_by_department(meeting: Meeting) -> list[DepartmentTime]:
    """Total speaking time per department (most first), seed 02 四、(一) equal speaking time."""
    seconds: dict[str, int] = defaultdict(int)
    count: dict[str, int] = defaultdict(int)
    over: dict[str, int] = defaultdict(int)
    for s in finished_speeches(meeting):
        key = s.department.name if s.department else "—"
        seconds[key] += s.duration_seconds or 0
        count[key] += 1
        over[key] += 1 if s.over_limit else 0
    rows = [DepartmentTime(k, seconds[k], count[k], over[k]) for k in seconds]
    return sorted(rows, key=lambda r: (-r.seconds, r.department))


def closed_votes(meeting: Meeting) -> list[Vote]:
    return list(
        Vote.objects.filter(meeting=meeting, status=Vote.Status.CLOSED)
        .select_related("agenda_item", "decision")
        .order_by("closed_at", "id")
    )


def guests_of(meeting: Meeting) -> list[Guest]:
    return list(Guest.objects.filter(meeting=meeting).order_by("id"))


def room_of(meeting: Meeting) -> Room | None:
    return Room.objects.filter(meeting=meeting).first()


# ---- into the minutes draft ------------------------------------------------------------------


def duration_text(seconds: int | None) -> str:
    """m:ss, e.g. 3:05."""
    seconds = max(0, int(seconds or 0))
    return f"{seconds // 60}:{seconds % 60:02d}"


def _speech_line(s: Speech) -> str:
    name = _name(s.person)
    if s.department is not None:
        name = _("%(name)s (%(department)s)") % {"name": name, "department": s.department.name}
    text = _("%(name)s, %(duration)s") % {"name": name, "duration": duration_text(s.duration_seconds)}
    if s.over_limit:
        text = _("%(speech)s (over the limit)") % {"speech": text}
    return text


def _vote_line(v: Vote) -> str:
    kind = _("secret ballot") if v.secret else _("named vote")
    return _(
        "Vote (%(kind)s): %(proposal)s — agree %(agree)s, against %(against)s, abstain %(abstain)s;"
        " %(present)s of %(eligible)s voters present; %(result)s. Rule: %(rule)s"
    ) % {
        "kind": kind,
        "proposal": v.proposal,
        "agree": v.agree,
        "against": v.against,
        "abstain": v.abstain,
        "present": v.present_count if v.present_count is not None else "—",
        "eligible": v.eligible_count,
        "result": vote_result_text(v),
        "rule": vote_rule_text(v),
    }


def minutes_lines(meeting: Meeting) -> dict:
    """What the live room adds to the minutes draft (xietong.minutes.services), in the active
    language: ``items`` (agenda item id, or None for none → lines: speeches, then votes),
    ``guests`` (one line or none) and ``speaking`` (time per department, or none)."""
    by_item: dict[int | None, list[str]] = defaultdict(list)
    speeches = finished_speeches(meeting)
    grouped: dict[int | None, list[Speech]] = defaultdict(list)
    for s in speeches:
        grouped[s.agenda_item_id].append(s)
    for item_id, rows in grouped.items():
        by_item[item_id].append(_("Speeches: %(list)s") % {"list": "；".join(_speech_line(s) for s in rows)})
    for v in closed_votes(meeting):
        by_item[v.agenda_item_id].append(_vote_line(v))
    guests = guests_of(meeting)
    guest_lines = [_("Guests: %(names)s") % {"names": "、".join(g.name for g in guests)}] if guests else []
    per_department = speaking_time_by_department(meeting)
    speaking = []
    if per_department:
        speaking.append(
            _("Speaking time by department: %(list)s")
            % {"list": "；".join(f"{r.department} {duration_text(r.seconds)}" for r in per_department)}
        )
    return {"items": dict(by_item), "guests": guest_lines, "speaking": speaking}
