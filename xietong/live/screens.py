"""The three live screens: host console, participant phone, projector.

The pages themselves are plain server-rendered shells served by gunicorn; everything that
changes arrives over the live room's WebSocket (uvicorn, ``xietong.asgi``) and is drawn by
``static/xietong/live.js``. The page tells the script where the WebSocket is
(``settings.LIVE_WS_URL``, or the page's own host on the port of XIETONG_LIVE_BIND).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from xietong.core.auth import login_required
from xietong.meetings.models import Meeting

from . import roompass, selectors, services, tokens
from .views import seat_choices


def live_port() -> int:
    _host, _sep, port = settings.LIVE_BIND.rpartition(":")
    return int(port) if port.isdigit() else 8001


def ws_config(meeting: Meeting) -> dict:
    """Where the screen opens its WebSocket: a full URL, or a port on the page's own host."""
    path = f"/ws/live/{meeting.pk}/"
    if settings.LIVE_WS_URL:
        return {"ws_url": settings.LIVE_WS_URL + path}
    return {"ws_port": live_port(), "ws_path": path}


def _visible(request, pk: int, now, person=None, **runs) -> Meeting:
    """The meeting for one of its screens (selectors.get_room_meeting_for_user): 404 for those who
    may not see it."""
    person = person if person is not None else request.user
    return selectors.get_room_meeting_for_user(person, pk, now=now, **runs)


def strings() -> dict:
    """Labels the script writes into the page (translated here: the script has no catalogue)."""
    return {
        "connecting": _("Connecting…"),
        "connected": _("Live"),
        "reconnecting": _("Connection lost, reconnecting…"),
        "no_item": _("No item under discussion."),
        "budget": _("Budget"),
        "elapsed": _("Elapsed"),
        "meeting_clock": _("Meeting time"),
        "cap": _("Cap"),
        "at_budget": _("The item has reached its time budget."),
        "over_budget": _("The item is over its time budget."),
        "at_cap": _("The meeting has reached its time cap."),
        "over_cap": _("The meeting is over its time cap."),
        "next_item": _("Next item"),
        "start_item": _("Start"),
        "open_discussion": _("Open discussion"),
        "deferral_reason": _("This item is not finished. Why is it deferred?"),
        "end_meeting": _("End the meeting"),
        "confirm_end": _("End the meeting now?"),
        "start_meeting": _("Start the meeting"),
        "speakers": _("Speakers' list"),
        "nobody_waiting": _("Nobody is waiting for the floor."),
        "grant": _("Give the floor"),
        "up": _("Move up"),
        "down": _("Move down"),
        "end_speech": _("End the speech"),
        "speaking": _("Speaking"),
        "nobody_speaking": _("Nobody has the floor."),
        "over_limit": _("Over the speaking limit"),
        "vote": _("Vote"),
        "open_vote": _("Open a vote"),
        "proposal": _("Proposal"),
        "secret": _("Secret ballot"),
        "close_vote": _("Close the vote"),
        "no_vote": _("No vote is open."),
        "voted": _("Voted"),
        "eligible": _("Entitled to vote"),
        "agree": _("Agree"),
        "against": _("Against"),
        "abstain": _("Abstain"),
        "tally_after_close": _("Secret ballot: the count is shown when the vote closes."),
        "passed": _("Passed"),
        "failed": _("Not passed"),
        "last_result": _("Last result"),
        "signed_in": _("Signed in"),
        "late": _("late"),
        "for": _("for %(name)s"),
        "not_signed_in": _("You have not signed in."),
        "sign_in": _("Sign in"),
        "you_are_signed_in": _("You are signed in."),
        "request_floor": _("Ask for the floor"),
        "withdraw": _("Withdraw my request"),
        "in_queue": _("You are on the speakers' list."),
        "your_turn": _("You have the floor."),
        "your_ballot": _("Your ballot: %(choice)s"),
        "you_voted": _("You have voted."),
        "not_eligible": _("You are not entitled to vote on this."),
        "agenda": _("Agenda"),
        "progress": _("%(done)s of %(total)s items dealt with"),
        "ended": _("The meeting has ended."),
        "not_started": _("The meeting has not started yet."),
        "min": _("min"),
        "status_pending": _("Not yet discussed"),
        "status_current": _("Under discussion"),
        "status_done": _("Discussed"),
        "status_deferred": _("Deferred"),
        "rule": _("Rule"),
    }


def transitions_for_script() -> dict:
    """The live room's transition tables as the script reads them (table → step → its states
    and role): a screen offers a step where the object's state and the viewer's role allow it."""
    return {
        name: {action: {"states": sorted(s.states), "role": s.role} for action, s in table.items()}
        for name, table in services.TABLES.items()
    }


def _render(request, template: str, meeting: Meeting, role: str, now, me=None, **extra):
    if me is None and request.user.is_authenticated:
        me = request.user.pk
    config = {
        "meeting_id": meeting.pk,
        "role": role,
        "me": me,
        "strings": strings(),
        "transitions": transitions_for_script(),
        **ws_config(meeting),
        **extra.pop("config", {}),
    }
    return render(request, template, {"meeting": meeting, "now": now, "live_config": config, **extra})


@login_required
@require_GET
def host_console(request, pk: int):
    now = timezone.now()
    meeting = _visible(
        request,
        pk,
        now,
        runs=selectors.DESK,
        screen=True,
        refusal=_("Only the meeting's host and recorder run the live room."),
    )
    projector_url = request.build_absolute_uri(reverse("live:projector", args=[meeting.pk])) + (
        "?t=" + tokens.projector_token(meeting.pk)
    )
    return _render(
        request,
        "live/host.html",
        meeting,
        "host",
        now,
        projector_url=projector_url,
        signin_qr_url=reverse("live:signin_qr", args=[meeting.pk]),
    )


@require_GET
def phone(request, pk: int):
    """The participant's phone: for a logged-in person, or for the holder of this meeting's
    room pass (left by a personal sign-in link); anyone else goes to the login page."""
    now = timezone.now()
    if request.user.is_authenticated:
        person = request.user
    else:
        room_pass = roompass.holder(request.session, pk, now)
        if room_pass is None:
            return redirect_to_login(request.get_full_path())
        person = room_pass.person
    meeting = _visible(request, pk, now, person)
    # A delegate replacing several invitees chooses on the phone whom they sit for (as on
    # the QR sign-in page); with one seat the button signs in without asking.
    seats = seat_choices(meeting, person)
    return _render(
        request, "live/phone.html", meeting, "phone", now, me=person.pk, seats=seats if len(seats) > 1 else []
    )


@require_GET
def projector(request, pk: int):
    """Read-only room screen: opened with the signed link from the host console (no login)."""
    now = timezone.now()
    token = request.GET.get("t", "")
    if tokens.projector_meeting_id(token) != pk:
        if not request.user.is_authenticated:
            raise PermissionDenied(_("This projector link is not valid."))
        _visible(request, pk, now)
        token = ""
    meeting = Meeting.objects.filter(pk=pk).first()
    if meeting is None:
        raise Http404
    qr = reverse("live:signin_qr", args=[meeting.pk]) + (f"?p={token}" if token else "")
    return _render(
        request, "live/projector.html", meeting, "projector", now, config={"token": token}, signin_qr_url=qr
    )
