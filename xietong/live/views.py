"""The live room's HTTP pages other than the three live screens (xietong.live.screens):
the sign-in landing behind the room's QR code, personal one-time sign-in links, the
recorder's attendance desk (manual sign-in, guests) and the speaking-time report."""

from __future__ import annotations

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xietong.core.auth import login_required
from xietong.core.errors import DomainError
from xietong.core.forms import submit_action, submit_form
from xietong.meetings.models import Meeting, Rsvp
from xietong.meetings.selectors import get_meeting_for_user
from xietong.org.models import Person
from xietong.records.models import Attendance

from . import roompass, selectors, services, tokens
from .forms import GuestForm, ManualSigninForm, SigninForm, VoteDecisionForm
from .models import Room, Vote


def _meeting_by_token(pk: int) -> Meeting:
    """The meeting behind a sign-in QR code or projector link: the token, not the viewer's
    account, decides what opens (checked by the caller)."""
    return get_object_or_404(Meeting.objects.select_related(*selectors.ROOM_RELATIONS), pk=pk)


def _room(request, pk: int, *, runs: str | None = None, refusal=None) -> Meeting:
    """The meeting for its room: 404 for those who may not see it; with ``runs``, 403 for anyone
    else but those who run the room so (selectors.DESK, selectors.HOST)."""
    return selectors.get_room_meeting_for_user(request.user, pk, runs=runs, refusal=refusal)


def _desk(meeting: Meeting, user) -> bool:
    return services.is_recorder(meeting, user) or services.is_host(meeting, user)


def signin_url(request, meeting: Meeting) -> str:
    """The absolute URL the room's QR code carries."""
    room = services.room_for(meeting)
    return request.build_absolute_uri(reverse("live:signin", args=[meeting.pk, room.signin_token]))


def qr_svg(text: str) -> str:
    """An SVG QR code (vector paths: no image library needed)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    return image.to_string(encoding="unicode")


@require_GET
def signin_qr(request, pk: int):
    """The sign-in QR code, for the host's console, the recorder's desk and the projector
    (logged-in host/recorder, or the projector's signed link ``?p=``)."""
    meeting = _meeting_by_token(pk)
    allowed = request.user.is_authenticated and _desk(meeting, request.user)
    if not allowed:
        allowed = tokens.projector_meeting_id(request.GET.get("p", "")) == meeting.pk
    if not allowed:
        raise PermissionDenied
    response = HttpResponse(qr_svg(signin_url(request, meeting)), content_type="image/svg+xml")
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def signin_code_renew(request, pk: int):
    meeting = _room(request, pk, runs=selectors.DESK, refusal=services.ERR_NOT_HOST)
    return submit_action(
        request,
        lambda **who: services.signin_code_renew(meeting=meeting, **who),
        success=_("A new sign-in code is shown; the old one no longer works."),
        redirect_to=reverse("live:desk", args=[pk]),
    )


def seat_choices(meeting: Meeting, person: Person) -> list[tuple[int, str]]:
    """(pk, name) of the invitees ``person`` may sit for, themselves first (QR page, phone)."""
    seats = services.seats_for(meeting, person)
    names = dict(Person.objects.filter(pk__in=seats).values_list("pk", "full_name"))
    return [(pk, names.get(pk, "")) for pk in seats]


@login_required
@require_http_methods(["GET", "POST"])
def signin(request, pk: int, token: str):
    """The page the room's QR code opens on a phone: one button to sign in."""
    now = timezone.now()
    meeting = _meeting_by_token(pk)
    # A wrong token opens nothing, not even the room (a stranger's guess leaves no trace).
    room = Room.objects.filter(meeting=meeting).first()
    if room is None or not constant_time_compare(token, room.signin_token):
        return render(request, "live/signin.html", {"meeting": meeting, "invalid": True}, status=404)
    attendance = Attendance.objects.filter(
        meeting=meeting, person=request.user, status__in=services.PRESENT
    ).first()
    seats = seat_choices(meeting, request.user)
    form = SigninForm(
        request.POST if request.method == "POST" else None, seats=seats if len(seats) > 1 else None
    )
    error = None
    status = 200
    if request.method == "POST" and attendance is None:
        if form.is_valid():
            try:
                attendance = services.signin_self(
                    meeting=meeting,
                    actor=request.user,
                    now=now,
                    token=token,
                    on_behalf_of=form.cleaned_data.get("on_behalf_of"),
                )
            except DomainError as err:
                error, status = str(err), 400
            else:
                messages.success(request, _("You are signed in."))
                return redirect("live:phone", meeting.pk)
        else:
            status = 400
    context = {
        "meeting": meeting,
        "attendance": attendance,
        "invited": bool(seats),
        # Invited in someone's place through a standing delegation: the page says for whom.
        "standing_for": Rsvp.objects.filter(meeting=meeting, invitee=request.user, on_behalf_of__isnull=False)
        .select_related("on_behalf_of")
        .first(),
        "form": form if len(seats) > 1 else None,
        "error": error,
        "late": now > meeting.starts_at,
    }
    return render(request, "live/signin.html", context, status=status)


@require_http_methods(["GET", "POST"])
def signin_link(request, token: str):
    """A personal one-time link from the notice: GET shows whose link it is (so that link
    previews do not use it up), POST signs the person in to the meeting.

    Nobody is logged in: the phone gets a room pass for this meeting only (sign in, the
    speakers' list, ballots; ``xietong.live.roompass``). Someone already logged in as the
    link's person simply goes on to the room; someone logged in as another person is
    refused (the link is not a way to change accounts).
    """
    now = timezone.now()
    try:
        meeting, person, _nonce = services.signin_link_read(token, now=now)
    except DomainError as err:
        return render(request, "live/signin_link.html", {"error": str(err)}, status=404)
    context = {"meeting": meeting, "person": person, "error": None}
    logged_in = request.user.is_authenticated
    if logged_in and request.user.pk != person.pk:
        context["error"] = _("You are logged in as someone else; log out to use this personal link.")
        return render(request, "live/signin_link.html", context, status=403)
    if request.method == "POST":
        try:
            services.signin_with_link(token=token, now=now)
        except DomainError as err:
            context["error"] = str(err)
            return render(request, "live/signin_link.html", context, status=400)
        if not logged_in:
            roompass.grant(
                request.session,
                meeting_id=meeting.pk,
                person=person,
                expires=services.signin_link_expires(meeting),
            )
        messages.success(request, _("You are signed in."))
        return redirect("live:phone", meeting.pk)
    return render(request, "live/signin_link.html", context)


# ---- the recorder's desk ----------------------------------------------------------------------


def _desk_context(request, meeting: Meeting, *, signin_form=None, guest_form=None, error=None) -> dict:
    rsvps = list(
        Rsvp.objects.filter(meeting=meeting)
        .select_related("invitee", "delegate", "department", "on_behalf_of")
        .order_by("department__sort_order", "invitee__full_name", "id")
    )
    people, invitees = _desk_people(meeting)
    seats = services.taken_seats(meeting)
    attendances = {
        a.person_id: a
        for a in Attendance.objects.filter(meeting=meeting).select_related("person", "on_behalf_of")
    }
    rows = []
    for r in rsvps:
        seat = seats.get(r.invitee_id)
        rows.append({"rsvp": r, "attendance": seat, "own": attendances.get(r.invitee_id)})
    return {
        "meeting": meeting,
        "rows": rows,
        "guests": selectors.guests_of(meeting),
        "signin_form": signin_form or ManualSigninForm(people=people, invitees=invitees),
        "guest_form": guest_form or (GuestForm() if services.is_host(meeting, request.user) else None),
        "is_host": services.is_host(meeting, request.user),
        "signin_url": signin_url(request, meeting),
        "link_url": None,
        "error": error,
        "room": services.room_for(meeting),
        "now": timezone.now(),
    }


def _desk_people(meeting: Meeting) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    rsvps = (
        Rsvp.objects.filter(meeting=meeting).select_related("invitee").order_by("invitee__full_name", "id")
    )
    invitees = [(r.invitee_id, r.invitee.get_full_name()) for r in rsvps]
    # Delegates (named on the notice or holding a delegation) are not invitees: anyone
    # active may be chosen; the service decides whether they may sit for the seat.
    people = list(
        Person.objects.filter(is_active=True).order_by("full_name", "id").values_list("pk", "full_name")
    )
    return people, invitees


@login_required
@require_GET
def desk(request, pk: int):
    meeting = _room(request, pk, runs=selectors.DESK)
    return render(request, "live/desk.html", _desk_context(request, meeting))


@login_required
@require_POST
def desk_signin(request, pk: int):
    now = timezone.now()
    meeting = _room(request, pk, runs=selectors.DESK)
    people, invitees = _desk_people(meeting)
    form = ManualSigninForm(request.POST, people=people, invitees=invitees)

    def sign_in(data, **who):
        found = Person.objects.in_bulk([x for x in (data["person"], data["on_behalf_of"]) if x])
        try:
            return services.signin_by_recorder(
                meeting=meeting,
                person=found.get(data["person"]),
                on_behalf_of=found.get(data["on_behalf_of"]) if data["on_behalf_of"] else None,
                **who,
            )
        except PermissionDenied as err:
            # The person is not invited: a field error on the desk, not a 403 for the recorder.
            raise DomainError(str(err), code="not_invited", field="person") from err

    return submit_form(
        request,
        form,
        sign_in,
        success=_("Signed in."),
        redirect_to=reverse("live:desk", args=[pk]),
        invalid=lambda status: render(
            request, "live/desk.html", _desk_context(request, meeting, signin_form=form), status=status
        ),
        now=now,
    )


@login_required
@require_POST
def guest_admit(request, pk: int):
    now = timezone.now()
    meeting = _room(request, pk, runs=selectors.HOST)
    form = GuestForm(request.POST)
    return submit_form(
        request,
        form,
        lambda data, **who: services.guest_admit(
            meeting=meeting, name=data["name"], note=data["note"], **who
        ),
        success=_("Guest admitted."),
        redirect_to=reverse("live:desk", args=[pk]),
        invalid=lambda status: render(
            request, "live/desk.html", _desk_context(request, meeting, guest_form=form), status=status
        ),
        now=now,
    )


# ---- after the meeting --------------------------------------------------------------------------


@login_required
@require_GET
def speaking_report(request, pk: int):
    """Speaking time per department and every speech (seed 02 四、(一): equal speaking time)."""
    now = timezone.now()
    meeting = get_meeting_for_user(request.user, pk, now=now)
    rows = selectors.speaking_time_by_department(meeting)
    total = sum(r.seconds for r in rows)
    context = {
        "meeting": meeting,
        "rows": rows,
        "total": total,
        "speeches": selectors.finished_speeches(meeting),
        "votes": selectors.closed_votes(meeting),
        "duration": selectors.duration_text,
        "rule_text": selectors.vote_rule_text,
        "result_text": selectors.vote_result_text,
        "room": selectors.room_of(meeting),
        "desk": _desk(meeting, request.user),
    }
    return render(request, "live/speaking.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def vote_decision(request, pk: int, vote_pk: int):
    """The host or recorder records a passed vote as a decision; the vote's counts, rule and
    result stay linked to it (``decision.vote``)."""
    now = timezone.now()
    meeting = _room(request, pk, runs=selectors.DESK)
    vote = get_object_or_404(Vote, pk=vote_pk, meeting=meeting)
    initial = {"text": vote.proposal}
    form = VoteDecisionForm(request.POST if request.method == "POST" else None, initial=initial)

    def page(status: int = 200):
        context = {
            "meeting": meeting,
            "vote": vote,
            "form": form,
            "rule": selectors.vote_rule_text(vote),
            "result": selectors.vote_result_text(vote),
            "decidable": vote.status == Vote.Status.CLOSED and vote.passed and vote.decision_id is None,
        }
        return render(request, "live/vote_decision.html", context, status=status)

    if request.method != "POST":
        return page()
    return submit_form(
        request,
        form,
        lambda data, **who: services.vote_to_decision(
            meeting=meeting,
            vote=vote,
            text=data["text"],
            department=data["department"],
            responsible=data["responsible"],
            due_on=data["due_on"],
            allocates_resources=data["allocates_resources"],
            resource_kind=data["resource_kind"],
            amount=data["amount"],
            **who,
        ),
        success=_("Decision recorded."),
        redirect_to=reverse("live:speaking", args=[meeting.pk]),
        invalid=page,
        now=now,
    )
