"""The meeting page (with its reschedule and cancel forms) and the meeting notice (with the reply
form): pages that show a meeting's agenda and follow-up beside its own facts."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from xietong.core.auth import login_required
from xietong.core.errors import DomainError
from xietong.core.forms import Message, add_form_error, submit_form
from xietong.meetings import selectors, services
from xietong.meetings.forms import CancelForm, RescheduleForm, RsvpForm
from xietong.meetings.models import Meeting, Rsvp
from xietong.minutes.selectors import may_read_minutes
from xietong.obligations.models import ObligationKind
from xietong.org.permissions import roles_of
from xietong.policy.calendar import as_shanghai

from . import meeting_page


def _meeting(request, pk: int, now, *, coordinate: bool = False) -> Meeting:
    """The meeting as its page shows it: 404 for someone who may not see it, and with
    ``coordinate`` 403 for anyone else but the coordinator."""
    return selectors.get_meeting_for_user(
        request.user, pk, now=now, related=meeting_page.PAGE_RELATIONS, coordinate=coordinate
    )


# ---- the meeting page ---------------------------------------------------------------------


def _detail_context(
    request, meeting: Meeting, now, *, reschedule_form=None, cancel_form=None, confirm=None
) -> dict:
    today = as_shanghai(now).date()
    roles = roles_of(request.user, on=today)
    coordinator = roles.is_coordinator
    agenda = meeting_page.agenda_of(meeting)
    items = meeting_page.agenda_items(agenda)
    replies = list(selectors.meeting_replies(meeting))
    duties = list(selectors.meeting_obligations(meeting))
    answerable = selectors.may_answer_one_of(replies, request.user, meeting=meeting)
    # The forms offered are the table's steps (meetings.services.TRANSITIONS) until the meeting starts.
    steps = services.allowed_actions(meeting, request.user, roles=roles) if now < meeting.starts_at else []
    changeable = "reschedule" in steps or "cancel" in steps
    cap_rule = meeting.policy_version.rules.get("meeting_duration_cap")
    return {
        "now": now,
        "meeting": meeting,
        "agenda": agenda,
        "items": items,
        "followup": meeting_page.followup(meeting, items, now=now),
        "total": sum(item.budget_minutes for item in items),
        "cap_clause": cap_rule.clause if cap_rule else "",
        "replies": replies,
        "rsvp_duties": {d.responsible_id: d for d in duties if d.kind == ObligationKind.RSVP},
        "counts": selectors.rsvp_counts(replies),
        "duties": duties,
        "notice": selectors.latest_notice(meeting),
        "is_coordinator": coordinator,
        # The minutes' link only for their readers (the rule of the minutes pages themselves).
        "reads_minutes": may_read_minutes(request.user, meeting, on=today)[0],
        "changeable": changeable,
        "steps": steps,
        "reschedule_form": reschedule_form
        or (
            RescheduleForm(
                initial={
                    "starts_at": as_shanghai(meeting.starts_at).replace(tzinfo=None),
                    "location": meeting.location,
                }
            )
            if "reschedule" in steps
            else None
        ),
        "cancel_form": cancel_form or (CancelForm() if "cancel" in steps else None),
        # A day off is pointed out to whoever may move the meeting, with the next working day.
        "closed_day": selectors.meeting_closed_day(meeting) if "reschedule" in steps else None,
        "confirm": confirm,
        "answerable": answerable,
        "takes_part": answerable or any(request.user.pk in (r.invitee_id, r.delegate_id) for r in replies),
    }


@login_required
@require_GET
def meeting_detail(request, pk: int):
    now = timezone.now()
    meeting = _meeting(request, pk, now)
    return render(request, "desk/meeting_detail.html", _detail_context(request, meeting, now))


@login_required
@require_POST
def meeting_reschedule(request, pk: int):
    """Two steps: the change with what it does (replies reset, inside the notice lead time, a day
    off), then, confirmed, the change itself. A change that does nothing of the kind goes at once."""
    now = timezone.now()
    meeting = _meeting(request, pk, now, coordinate=True)
    form = RescheduleForm(request.POST)

    def page(status: int, confirm=None):
        return render(
            request,
            "desk/meeting_detail.html",
            _detail_context(request, _meeting(request, pk, now), now, reschedule_form=form, confirm=confirm),
            status=status,
        )

    if form.is_valid() and not form.cleaned_data["confirmed"]:
        data = form.cleaned_data
        try:
            warnings = services.meeting_reschedule_check(
                meeting=meeting,
                starts_at=data["starts_at"],
                location=data["location"],
                actor=request.user,
                now=now,
            )
        except DomainError as err:
            add_form_error(form, err)
            return page(400)
        if warnings:
            return page(200, confirm={"starts_at": data["starts_at"], "warnings": warnings})
    return submit_form(
        request,
        form,
        lambda data, **who: services.meeting_reschedule(
            meeting=meeting, starts_at=data["starts_at"], location=data["location"], **who
        ),
        success=lambda moved: (
            _("The meeting was changed and a new notice issued.")
            if moved.status == Meeting.Status.PUBLISHED
            else _("The meeting was changed.")
        ),
        redirect_to=reverse("meetings:detail", args=[pk]),
        invalid=page,
        now=now,
    )


@login_required
@require_POST
def meeting_cancel(request, pk: int):
    now = timezone.now()
    meeting = _meeting(request, pk, now, coordinate=True)
    form = CancelForm(request.POST)
    return submit_form(
        request,
        form,
        lambda data, **who: services.meeting_cancel(meeting=meeting, reason=data["reason"], **who),
        success=_("The meeting was cancelled."),
        redirect_to=reverse("meetings:detail", args=[pk]),
        invalid=lambda status: render(
            request,
            "desk/meeting_detail.html",
            _detail_context(request, _meeting(request, pk, now), now, cancel_form=form),
            status=status,
        ),
        now=now,
    )


# ---- the notice and replies ---------------------------------------------------------------


def _notice_context(request, meeting: Meeting, now, *, bound: dict | None = None) -> dict:
    items = meeting_page.agenda_items(meeting_page.agenda_of(meeting))
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
        "followup": meeting_page.followup(meeting, items, now=now),
        "entries": entries,
        "open_for_replies": open_for_replies,
    }


@login_required
@require_GET
def meeting_notice(request, pk: int):
    now = timezone.now()
    meeting = _meeting(request, pk, now)
    if meeting.status == Meeting.Status.PLANNED:
        raise Http404
    services.notice_mark_read(meeting=meeting, person=request.user, now=now)
    return render(request, "desk/meeting_notice.html", _notice_context(request, meeting, now))


def _answered_message(answered: Rsvp) -> Message:
    if answered.answered_late:
        return messages.WARNING, _("Your answer was recorded, after the deadline.")
    return _("Your answer was recorded.")


@login_required
@require_POST
def rsvp_answer(request, pk: int):
    now = timezone.now()
    rsvp = selectors.get_rsvp_for_user(request.user, pk)
    form = RsvpForm(request.POST, prefix=f"r{rsvp.pk}", candidates=selectors.delegate_candidates(rsvp))
    # The candidate list is only the picker; the service decides who may attend for whom.
    form.fields["delegate"].queryset = form.fields["delegate"].queryset.model.objects.filter(is_active=True)

    def page(status: int):
        meeting = meeting_page.with_page_relations(Meeting.objects.all()).get(pk=rsvp.meeting_id)
        form.fields["delegate"].queryset = selectors.delegate_candidates(rsvp)
        return render(
            request,
            "desk/meeting_notice.html",
            _notice_context(request, meeting, now, bound={rsvp.pk: form}),
            status=status,
        )

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
        success=_answered_message,
        redirect_to=reverse("meetings:notice", args=[rsvp.meeting_id]),
        invalid=page,
        now=now,
    )
