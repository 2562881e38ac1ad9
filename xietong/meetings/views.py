"""Meeting pages: the list (with scheduling) and a meeting's .ics. The meeting page and its notice
show later stages too and are served by the desk app (xietong/desk/meeting_views.py)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from xietong.core.auth import login_required
from xietong.core.forms import Message, submit_action, submit_form
from xietong.org.permissions import roles_of
from xietong.policy.calendar import as_shanghai

from . import selectors, services
from .forms import EmergencyMeetingForm
from .ics import ics_filename, meeting_ics
from .models import Meeting, MeetingSeries


def _is_coordinator(request, now) -> bool:
    return roles_of(request.user, on=as_shanghai(now).date()).is_coordinator


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


def _scheduled_message(meeting: Meeting) -> Message:
    """Scheduled; on a day off, a warning with the next working day (the meeting page offers it)."""
    text = _("Meeting scheduled: %(title)s") % {"title": meeting.title}
    closed = selectors.meeting_closed_day(meeting)
    if closed is None:
        return text
    return messages.WARNING, " ".join(
        (text, str(services.closed_day_text(closed.day.isoformat(), closed.holiday, closed.suggested)))
    )


@login_required
@require_POST
def schedule_next(request, series_pk: int):
    now = timezone.now()
    series = get_object_or_404(MeetingSeries, pk=series_pk)
    return submit_action(
        request,
        lambda **who: services.meeting_schedule_next(series=series, **who),
        success=_scheduled_message,
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


@login_required
@require_GET
def meeting_ics_download(request, pk: int):
    now = timezone.now()
    meeting = selectors.get_meeting_for_user(request.user, pk, now=now)
    data = meeting_ics(meeting, for_person=request.user)
    method = "CANCEL" if meeting.status == Meeting.Status.CANCELLED else "REQUEST"
    response = HttpResponse(data, content_type=f"text/calendar; charset=utf-8; method={method}")
    response["Content-Disposition"] = f'attachment; filename="{ics_filename(meeting)}"'
    return response
