"""Minutes pages: drafting, editing with optimistic locking, review, corrections, print,
.docx export and the archive by year → month → ISO week.

Who reads what is selectors.may_read_minutes: approved minutes are read by the meeting's
invitees, host and recorder, the leadership group and the coordinator; drafts only by the
recorder, the host and the coordinator. The archive lists the same (meetings_with_minutes_for).
"""

from __future__ import annotations

from datetime import datetime, time

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from xietong.core.auth import login_required
from xietong.core.forms import submit_action, submit_form
from xietong.core.optlock import VERSION_FIELD, StaleEdit
from xietong.meetings.models import Meeting
from xietong.policy.calendar import SHANGHAI, as_shanghai

from . import selectors, services
from .docx import official_docx
from .forms import ArchiveForm, CorrectForm, ReturnForm, SaveForm
from .layout import content_disposition
from .models import Minutes
from .official import ascii_download_name, download_name, official_document
from .selectors import archive_minutes, minutes_obligation, minutes_versions


def _page(
    request,
    meeting: Meeting,
    now: datetime,
    *,
    status: int = 200,
    save_form=None,
    stale: bool = False,
    return_form=None,
    correct_form=None,
):
    # Every caller read the meeting through get_minutes_meeting_for_user or get_minutes_for_user,
    # so its minutes are readable; drafts only for some.
    sees_drafts = selectors.sees_drafts(request.user, meeting, on=as_shanghai(now).date())
    versions = list(minutes_versions(meeting))
    latest = versions[-1] if versions else None
    if not sees_drafts:
        versions = [v for v in versions if v.status == Minutes.Status.APPROVED]
    is_recorder = request.user.pk == meeting.recorder_id
    is_host = request.user.pk == meeting.host_id
    # The steps offered are the table's (minutes.services.TRANSITIONS) for this viewer.
    actions = services.allowed_actions(latest, request.user) if latest is not None and sees_drafts else []
    editable = "save" in actions
    if editable and save_form is None:
        save_form = SaveForm(initial={"body": latest.body}, version=latest.edit_version)
    rule = meeting.policy_version.rules.get(services.MINUTES_RULE)
    obligation = minutes_obligation(meeting)
    context = {
        "now": now,
        "meeting": meeting,
        "versions": versions,
        "latest": latest if sees_drafts or (latest and latest.status == Minutes.Status.APPROVED) else None,
        "sees_drafts": sees_drafts,
        "is_recorder": is_recorder,
        "is_host": is_host,
        "editable": editable,
        "save_form": save_form if editable else None,
        "actions": actions,
        "stale": stale,
        "return_form": return_form or ReturnForm(),
        "correct_form": correct_form or CorrectForm(),
        "deadline": services.minutes_deadline(meeting),
        "clause": rule.clause if rule else "",
        "obligation": obligation,
        "late": obligation is not None and obligation.is_late(now),
    }
    return render(request, "minutes/meeting.html", context, status=status)


@login_required
@require_GET
def meeting_minutes(request, pk: int):
    now = timezone.now()
    return _page(request, selectors.get_minutes_meeting_for_user(request.user, pk, now=now), now)


@login_required
@require_POST
def draft(request, pk: int):
    meeting = selectors.get_minutes_meeting_for_user(request.user, pk, keeper=selectors.RECORDER)
    return submit_action(
        request,
        lambda **who: services.minutes_draft(meeting=meeting, **who),
        success=_("The minutes were drafted from the meeting record."),
        redirect_to=reverse("minutes:meeting", args=[pk]),
    )


@login_required
@require_POST
def save(request, pk: int):
    now = timezone.now()
    minutes = selectors.get_minutes_for_user(request.user, pk, now=now, keeper=selectors.RECORDER)
    meeting = minutes.meeting
    form = SaveForm(request.POST)

    def stale(err: StaleEdit):
        # Keep the user's text; the page shows the saved text next to it. The version
        # moves on so that saving again (after merging by hand) is accepted.
        data = request.POST.copy()
        data[VERSION_FIELD] = str(err.current)
        again = SaveForm(data)
        again.is_valid()
        again.add_error("body", str(err))
        return _page(request, meeting, now, status=409, save_form=again, stale=True)

    return submit_form(
        request,
        form,
        lambda data, **who: services.minutes_save(
            minutes=minutes, body=data["body"], expected_version=form.expected_version, **who
        ),
        success=_("The minutes were saved."),
        redirect_to=reverse("minutes:meeting", args=[meeting.pk]),
        invalid=lambda status: _page(request, meeting, now, status=status, save_form=form),
        stale=stale,
        now=now,
    )


@login_required
@require_POST
def submit(request, pk: int):
    minutes = selectors.get_minutes_for_user(request.user, pk, keeper=selectors.RECORDER)
    return submit_action(
        request,
        lambda **who: services.minutes_submit(minutes=minutes, **who),
        success=_("The minutes were sent to the host for approval."),
        redirect_to=reverse("minutes:meeting", args=[minutes.meeting_id]),
    )


@login_required
@require_POST
def approve(request, pk: int):
    minutes = selectors.get_minutes_for_user(request.user, pk, keeper=selectors.HOST)
    return submit_action(
        request,
        lambda **who: services.minutes_approve(minutes=minutes, **who),
        success=_("The minutes were approved and distributed."),
        redirect_to=reverse("minutes:meeting", args=[minutes.meeting_id]),
    )


@login_required
@require_POST
def return_(request, pk: int):
    now = timezone.now()
    minutes = selectors.get_minutes_for_user(request.user, pk, now=now, keeper=selectors.HOST)
    form = ReturnForm(request.POST)
    return submit_form(
        request,
        form,
        lambda data, **who: services.minutes_return(minutes=minutes, comment=data["comment"], **who),
        success=_("The minutes were returned to the recorder."),
        redirect_to=reverse("minutes:meeting", args=[minutes.meeting_id]),
        invalid=lambda status: _page(request, minutes.meeting, now, status=status, return_form=form),
        now=now,
    )


@login_required
@require_POST
def correct(request, pk: int):
    now = timezone.now()
    minutes = selectors.get_minutes_for_user(request.user, pk, now=now, keeper=selectors.RECORDER)
    form = CorrectForm(request.POST)
    return submit_form(
        request,
        form,
        lambda data, **who: services.minutes_correct(minutes=minutes, reason=data["reason"], **who),
        success=_("A corrected version was started."),
        redirect_to=reverse("minutes:meeting", args=[minutes.meeting_id]),
        invalid=lambda status: _page(request, minutes.meeting, now, status=status, correct_form=form),
        now=now,
    )


@login_required
@require_GET
def version(request, pk: int):
    now = timezone.now()
    minutes = selectors.get_minutes_for_user(request.user, pk, now=now)
    services.minutes_mark_read(minutes=minutes, actor=request.user, now=now)
    # The host approves or returns a version in review here too (the table decides who may).
    actions = [a for a in services.allowed_actions(minutes, request.user) if a in ("approve", "return")]
    context = {
        "minutes": minutes,
        "meeting": minutes.meeting,
        "actions": actions,
        "return_form": ReturnForm(),
    }
    return render(request, "minutes/version.html", context)


@login_required
@require_GET
def print_view(request, pk: int):
    minutes = selectors.get_minutes_for_user(request.user, pk)
    context = {"minutes": minutes, "meeting": minutes.meeting, "doc": official_document(minutes)}
    return render(request, "minutes/print.html", context)


@login_required
@require_GET
def docx_view(request, pk: int):
    minutes = selectors.get_minutes_for_user(request.user, pk)
    data = official_docx(official_document(minutes))
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    response["Content-Disposition"] = content_disposition(
        download_name(minutes), fallback=ascii_download_name(minutes)
    )
    return response


def _by_year_month_week(entries: list[dict]) -> dict:
    """``entries`` (ordered by start) grouped by year → month → ISO week of the meeting's start
    in Shanghai, each given ``local_start``."""
    years: dict[int, dict[int, dict[tuple[int, int], list[dict]]]] = {}
    for entry in entries:
        local = entry["local_start"] = as_shanghai(entry["starts_at"])
        iso = local.isocalendar()
        years.setdefault(local.year, {}).setdefault(local.month, {}).setdefault(
            (iso.year, iso.week), []
        ).append(entry)
    return years


@login_required
@require_GET
def archive(request):
    now = timezone.now()
    today = as_shanghai(now).date()
    form = ArchiveForm(request.GET)
    year, month = today.year, None
    if form.is_valid():
        year, month = form.cleaned_data["year"] or year, form.cleaned_data["month"]
    start = datetime.combine(today.replace(year=year, month=month or 1, day=1), time.min, tzinfo=SHANGHAI)
    if month is None or month == 12:
        end = start.replace(year=year + 1, month=1)
    else:
        end = start.replace(month=month + 1)
    entries = archive_minutes(request.user, start=start, end=end, on=today)
    context = {"year": year, "month": month, "years": _by_year_month_week(entries)}
    return render(request, "minutes/archive.html", context)
