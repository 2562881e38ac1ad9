"""Meeting pages: the list, one meeting, its notice (with the reply form) and its .ics."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from xietong.core.auth import login_required
from xietong.core.forms import submit_action, submit_form
from xietong.obligations.models import ObligationKind
from xietong.org.permissions import require, roles_of
from xietong.policy.calendar import as_shanghai

from . import selectors, services
from .forms import CancelForm, EmergencyMeetingForm, RescheduleForm, RsvpForm
from .html import duty_rows_html, reply_rows_html
from .ics import ics_filename, meeting_ics
from .models import Meeting, MeetingSeries, Rsvp


def _is_coordinator(request, now) -> bool:
    return roles_of(request.user, on=as_shanghai(now).date()).is_coordinator


def _visible_meeting(request, pk: int, now, read=selectors.meeting_for_detail) -> Meeting:
    """The meeting as ``read`` gives it, or 404 for someone who may not see it."""
    # Role holders see every meeting: no separate visibility query for them.
    if not selectors.may_open_meeting(request.user, pk, on=as_shanghai(now).date()):
        raise Http404
    try:
        return read(pk)
    except Meeting.DoesNotExist:
        raise Http404 from None


# ---- list ---------------------------------------------------------------------------------


def _list_context(request, now, *, emergency_form=None) -> dict:
    coordinator = _is_coordinator(request, now)
    upcoming = selectors.meetings_upcoming(request.user, now=now, after=request.GET.get("after"))
    recent = selectors.meetings_recent(request.user, now=now, before=request.GET.get("before"))
    return {
        "now": now,
        "upcoming": upcoming,
        "recent": recent,
        "is_coordinator": coordinator,
        "series_list": selectors.active_series() if coordinator else [],
        "emergency_form": emergency_form or (EmergencyMeetingForm() if coordinator else None),
    }


@login_required
@require_GET
def meeting_list(request):
    now = timezone.now()
    return render(request, "meetings/list.html", _list_context(request, now))


@login_required
@require_POST
def schedule_next(request, series_pk: int):
    now = timezone.now()
    series = get_object_or_404(MeetingSeries, pk=series_pk)
    return submit_action(
        request,
        lambda **who: services.meeting_schedule_next(series=series, **who),
        success=lambda meeting: _("Meeting scheduled: %(title)s") % {"title": meeting.title},
        redirect_to=lambda meeting: reverse("meetings:detail", args=[meeting.pk]),
        now=now,
    )


@login_required
@require_POST
def emergency_create(request):
    now = timezone.now()
    services.require_coordinator(request.user, now=now)
    form = EmergencyMeetingForm(request.POST)
    return submit_form(
        request,
        form,
        lambda data, **who: services.meeting_create_emergency(
            series=data["series"],
            title=data["title"],
            starts_at=data["starts_at"],
            duration_minutes=data["duration_minutes"],
            location=data["location"],
            reason=data["reason"],
            **who,
        ),
        success=_("Emergency meeting scheduled."),
        redirect_to=lambda meeting: reverse("meetings:detail", args=[meeting.pk]),
        invalid=lambda status: render(
            request, "meetings/list.html", _list_context(request, now, emergency_form=form), status=status
        ),
        now=now,
    )


def _followup(meeting: Meeting, kinds, now) -> list:
    """The rows under the agenda's "上次会议决议跟进" item (agenda.selectors.followup_rows)."""
    from xietong.agenda.selectors import followup_rows

    return followup_rows(meeting, kinds, now=now, calendar=getattr(meeting, "org_calendar", None))


def _answerable(meeting: Meeting, replies: list[selectors.ReplyRow], person) -> bool:
    """Whether ``person`` may answer one of the replies (selectors.rsvps_answerable_by, from
    the rows already read)."""
    if person is None or not person.is_authenticated or not replies:
        return False  # nothing to answer (e.g. before the notice): no delegation look-up
    if any(r.invitee_id == person.pk for r in replies):
        return True  # their own reply: no delegation look-up either
    ids = {person.pk, *selectors.principals_of(person, on=as_shanghai(meeting.starts_at).date())}
    return any(r.invitee_id in ids for r in replies)


def _detail_context(request, meeting: Meeting, now, *, reschedule_form=None, cancel_form=None) -> dict:
    """The meeting page of ``meeting`` (selectors.meeting_with_relations): its agenda items,
    replies and duties read here as plain rows, the replies and duties written in Python."""
    coordinator = _is_coordinator(request, now)
    agenda = selectors.preloaded_agenda(meeting)  # read with the meeting
    items = selectors.agenda_rows(agenda)
    replies = selectors.reply_rows(meeting)
    followup = _followup(meeting, (row[0] for row in items), now)
    duties = selectors.duty_rows(meeting)
    rsvp_duties = {d.responsible_id: d for d in duties if d.kind == ObligationKind.RSVP}
    answerable = _answerable(meeting, replies, request.user)
    user_pk = request.user.pk
    changeable = (
        coordinator
        and meeting.status in (Meeting.Status.PLANNED, Meeting.Status.PUBLISHED)
        and (now < meeting.starts_at)
    )
    return {
        "now": now,
        "meeting": meeting,
        "agenda": agenda,
        "items": items,
        "followup": followup,
        "total": sum(row[3] for row in items),
        "cap_clause": _cap_clause(meeting),
        "replies": replies,
        "reply_rows": reply_rows_html(replies, rsvp_duties, now),
        "counts": selectors.rsvp_counts(replies),
        "duty_rows": duty_rows_html(duties, now),
        "notice": selectors.latest_notice(meeting),
        "is_coordinator": coordinator,
        "changeable": changeable,
        "reschedule_form": reschedule_form
        or (
            RescheduleForm(
                initial={
                    "starts_at": as_shanghai(meeting.starts_at).replace(tzinfo=None),
                    "location": meeting.location,
                }
            )
            if changeable
            else None
        ),
        "cancel_form": cancel_form or (CancelForm() if changeable else None),
        "answerable": answerable,
        "takes_part": answerable or any(user_pk in (r.invitee_id, r.delegate_id) for r in replies),
    }


def _cap_clause(meeting: Meeting) -> str:
    rule = meeting.policy_version.rules.get("meeting_duration_cap")
    return rule.clause if rule else ""


@login_required
@require_GET
def meeting_detail(request, pk: int):
    now = timezone.now()
    meeting = _visible_meeting(request, pk, now, read=selectors.meeting_with_relations)
    return render(request, "meetings/detail.html", _detail_context(request, meeting, now))


@login_required
@require_POST
def meeting_reschedule(request, pk: int):
    now = timezone.now()
    services.require_coordinator(request.user, now=now)
    meeting = get_object_or_404(Meeting, pk=pk)
    form = RescheduleForm(request.POST)
    return submit_form(
        request,
        form,
        lambda data, **who: services.meeting_reschedule(
            meeting=meeting, starts_at=data["starts_at"], location=data["location"], **who
        ),
        success=_("The meeting was changed and a new notice issued."),
        redirect_to=reverse("meetings:detail", args=[pk]),
        invalid=lambda status: render(
            request,
            "meetings/detail.html",
            _detail_context(request, selectors.meeting_with_relations(pk), now, reschedule_form=form),
            status=status,
        ),
        now=now,
    )


@login_required
@require_POST
def meeting_cancel(request, pk: int):
    now = timezone.now()
    services.require_coordinator(request.user, now=now)
    meeting = get_object_or_404(Meeting, pk=pk)
    form = CancelForm(request.POST)
    return submit_form(
        request,
        form,
        lambda data, **who: services.meeting_cancel(meeting=meeting, reason=data["reason"], **who),
        success=_("The meeting was cancelled."),
        redirect_to=reverse("meetings:detail", args=[pk]),
        invalid=lambda status: render(
            request,
            "meetings/detail.html",
            _detail_context(request, selectors.meeting_with_relations(pk), now, cancel_form=form),
            status=status,
        ),
        now=now,
    )


@login_required
@require_GET
def meeting_ics_download(request, pk: int):
    now = timezone.now()
    meeting = _visible_meeting(request, pk, now)
    data = meeting_ics(meeting, for_person=request.user)
    method = "CANCEL" if meeting.status == Meeting.Status.CANCELLED else "REQUEST"
    response = HttpResponse(data, content_type=f"text/calendar; charset=utf-8; method={method}")
    response["Content-Disposition"] = f'attachment; filename="{ics_filename(meeting)}"'
    return response


# ---- the notice and replies ---------------------------------------------------------------


def _notice_context(request, meeting: Meeting, now, *, bound: dict | None = None) -> dict:
    agenda = selectors.agenda_of(meeting)
    items = sorted(agenda.items.all(), key=lambda i: (i.position, i.pk)) if agenda else []
    followup = _followup(meeting, (i.kind for i in items), now)
    duties = selectors.rsvp_obligations(meeting)
    open_for_replies = meeting.status == Meeting.Status.PUBLISHED and now < meeting.starts_at
    entries = []
    for rsvp in selectors.rsvps_answerable_by(meeting, request.user):
        form = (bound or {}).get(rsvp.pk)
        if form is None and open_for_replies:
            form = RsvpForm(
                prefix=f"r{rsvp.pk}",
                candidates=selectors.delegate_candidates(rsvp),
                initial={
                    "response": rsvp.response if rsvp.response != Rsvp.Response.PENDING else None,
                    "delegate": rsvp.delegate_id,
                    "reason": rsvp.reason,
                },
            )
        entries.append({"rsvp": rsvp, "form": form, "duty": duties.get(rsvp.invitee_id)})
    return {
        "now": now,
        "meeting": meeting,
        "notice": selectors.latest_notice(meeting),
        "items": items,
        "followup": followup,
        "entries": entries,
        "open_for_replies": open_for_replies,
    }


@login_required
@require_GET
def meeting_notice(request, pk: int):
    now = timezone.now()
    meeting = _visible_meeting(request, pk, now)
    if meeting.status == Meeting.Status.PLANNED:
        raise Http404
    services.notice_mark_read(meeting=meeting, person=request.user, now=now)
    return render(request, "meetings/notice.html", _notice_context(request, meeting, now))


@login_required
@require_POST
def rsvp_answer(request, pk: int):
    now = timezone.now()
    rsvp = get_object_or_404(Rsvp.objects.select_related("meeting", "invitee"), pk=pk)
    require(services.may_answer(rsvp, request.user))
    form = RsvpForm(request.POST, prefix=f"r{rsvp.pk}", candidates=selectors.delegate_candidates(rsvp))
    # The candidate list is only the picker; the service decides who may attend for whom.
    form.fields["delegate"].queryset = form.fields["delegate"].queryset.model.objects.filter(is_active=True)

    def page(status: int):
        meeting = selectors.meeting_for_detail(rsvp.meeting_id)
        form.fields["delegate"].queryset = selectors.delegate_candidates(rsvp)
        context = _notice_context(request, meeting, now, bound={rsvp.pk: form})
        return render(request, "meetings/notice.html", context, status=status)

    return submit_form(
        request,
        form,
        lambda data, **who: services.rsvp_answer(
            rsvp=rsvp,
            response=data["response"],
            delegate=data.get("delegate"),
            reason=data.get("reason", ""),
            **who,
        ),
        success=lambda answered: (
            (messages.WARNING, _("Your answer was recorded, after the deadline."))
            if answered.answered_late
            else _("Your answer was recorded.")
        ),
        redirect_to=reverse("meetings:notice", args=[rsvp.meeting_id]),
        invalid=page,
        now=now,
    )
