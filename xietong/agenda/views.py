"""The agenda builder: the coordinator's page for building, confirming and publishing an agenda."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from xietong.core.auth import login_required
from xietong.core.errors import DomainError
from xietong.core.forms import Message, submit_action, submit_form
from xietong.core.optlock import StaleEdit
from xietong.meetings import selectors as meeting_selectors
from xietong.meetings import services as meeting_services
from xietong.meetings.forms import PublishForm
from xietong.meetings.models import Meeting
from xietong.obligations.models import ObligationKind
from xietong.org.permissions import roles_of
from xietong.policy.calendar import as_shanghai
from xietong.policy.selectors import business_calendar

from . import selectors, services
from .forms import BudgetForm, MoveForm, RemoveForm
from .models import Agenda


def _meeting(request, pk: int, now) -> Meeting:
    """The meeting for its builder: 404 for outsiders, 403 for anyone but the coordinator."""
    return selectors.get_agenda_meeting_for_user(request.user, pk, now=now)


def _items_context(
    meeting: Meeting, agenda: Agenda | None, *, budget_errors: dict | None = None, calendar=None
) -> dict:
    rules = meeting.policy_version.rules
    items = selectors.agenda_items(agenda)
    total = sum(i.budget_minutes for i in items)
    cap = rules.minutes("meeting_duration_cap")
    return {
        "meeting": meeting,
        "agenda": agenda,
        "items": items,
        "followup": selectors.followup_rows(
            meeting, (i.kind for i in items), now=timezone.now(), calendar=calendar
        ),
        "total": total,
        "cap": cap,
        "over_cap": total > cap,
        "cap_clause": services.cap_clause(meeting),
        "editable": agenda is not None and agenda.status in services.TRANSITIONS["edit"].states,
        "budget_errors": budget_errors or {},
    }


def _builder_context(
    request, meeting: Meeting, now, *, publish_form=None, budget_errors=None, remove_form=None
):
    rules = meeting.policy_version.rules
    agenda = selectors.agenda_for_meeting(meeting)
    calendar = business_calendar()
    deadline = meeting_services.notice_deadline(meeting, calendar=calendar)
    agenda_cutoff = rules.deadline("agenda_cutoff", meeting.starts_at, calendar)
    duties = {
        d.kind: d for d in meeting_selectors.meeting_obligations(meeting) if d.kind != ObligationKind.RSVP
    }
    invitees = (
        meeting_selectors.meeting_invitee_plan(meeting) if meeting.status == Meeting.Status.PLANNED else []
    )
    attendee_cap = rules.get("attendee_cap")
    slot = rules.get("open_discussion_slot")
    default_budget = rules.get("default_item_budget")
    roles = roles_of(request.user, on=as_shanghai(now).date())
    return {
        **_items_context(meeting, agenda, budget_errors=budget_errors, calendar=calendar),
        # The buttons offered are the table's steps (agenda.services.TRANSITIONS); building makes
        # the first draft.
        "steps": services.allowed_actions(agenda, roles=roles) if agenda else ["build"],
        "now": now,
        "candidates": selectors.candidate_topics(meeting) if meeting.status == Meeting.Status.PLANNED else [],
        "deferred": selectors.deferred_topics(agenda),
        "notice_deadline": deadline,
        "notice_clause": rules.get("notice_lead").clause if rules.get("notice_lead") else "",
        "notice_late": deadline is not None and now > deadline.value,
        "agenda_cutoff": agenda_cutoff,
        "agenda_clause": rules.get("agenda_cutoff").clause if rules.get("agenda_cutoff") else "",
        "agenda_duty": duties.get(ObligationKind.AGENDA),
        "notice_duty": duties.get(ObligationKind.NOTICE),
        "slot": slot,
        "default_budget": default_budget,
        "invitees": invitees,
        "attendee_cap": attendee_cap,
        "over_attendee_cap": attendee_cap is not None and len(invitees) > (attendee_cap.count or 0),
        "publish_form": publish_form
        or PublishForm(
            initial={"emergency": meeting.is_emergency, "emergency_reason": meeting.emergency_reason}
        ),
        "remove_form": remove_form,
    }


@login_required
@require_GET
def builder(request, meeting_pk: int):
    now = timezone.now()
    meeting = _meeting(request, meeting_pk, now)
    return render(request, "agenda/builder.html", _builder_context(request, meeting, now))


@login_required
@require_POST
def build(request, meeting_pk: int):
    now = timezone.now()
    meeting = _meeting(request, meeting_pk, now)
    agenda = services.agenda_build(meeting=meeting, actor=request.user, now=now)
    deferred = len(selectors.deferred_topics(agenda))
    messages.success(request, _("Agenda built."))
    if deferred:
        messages.info(request, _("Topics that did not fit were moved to the next meeting; see below."))
    return redirect("agenda:builder", meeting.pk)


@login_required
@require_POST
def item_move(request, pk: int):
    now = timezone.now()
    item = selectors.get_agenda_item_for_user(request.user, pk, now=now)
    form = MoveForm(request.POST)
    direction = form.cleaned_data["direction"] if form.is_valid() else ""
    meeting = _meeting(request, item.agenda.meeting_id, now)
    try:
        services.agenda_item_move(item=item, direction=direction, actor=request.user, now=now)
    except DomainError as err:
        if not request.htmx:
            raise
        messages.error(request, str(err))
    if request.htmx:
        return render(request, "agenda/_items.html", _items_context(meeting, item.agenda))
    return redirect("agenda:builder", meeting.pk)


@login_required
@require_POST
def item_budget(request, pk: int):
    now = timezone.now()
    item = selectors.get_agenda_item_for_user(request.user, pk, now=now)
    meeting = _meeting(request, item.agenda.meeting_id, now)
    form = BudgetForm(request.POST)
    error = None
    status = 400
    if form.is_valid():
        try:
            services.agenda_item_set_budget(
                item=item,
                minutes=form.cleaned_data["budget_minutes"],
                expected_version=form.expected_version,
                actor=request.user,
                now=now,
            )
        except StaleEdit as err:
            # The row shows the saved budget again; the message keeps the one this editor typed.
            mine = _("You entered %(minutes)s minutes.") % {"minutes": form.cleaned_data["budget_minutes"]}
            error, status = f"{err} {mine}", 409
        except DomainError as err:
            error = str(err)
    else:
        error = " ".join(str(e) for e in form.errors.get("budget_minutes", [])) or _(
            "Enter a number of minutes."
        )
    if request.htmx:
        errors = {item.pk: error} if error else {}
        return render(
            request, "agenda/_items.html", _items_context(meeting, item.agenda, budget_errors=errors)
        )
    if error:
        return render(
            request,
            "agenda/builder.html",
            _builder_context(request, meeting, now, budget_errors={item.pk: error}),
            status=status,
        )
    return redirect("agenda:builder", meeting.pk)


@login_required
@require_POST
def item_remove(request, pk: int):
    now = timezone.now()
    item = selectors.get_agenda_item_for_user(request.user, pk, now=now)
    meeting = _meeting(request, item.agenda.meeting_id, now)
    form = RemoveForm(request.POST)
    form.item_pk = item.pk

    return submit_form(
        request,
        form,
        lambda data, **who: services.agenda_item_remove(item=item, reason=data["reason"], **who),
        success=_("The item was taken off the agenda."),
        redirect_to=reverse("agenda:builder", args=[meeting.pk]),
        invalid=lambda status: render(
            request,
            "agenda/builder.html",
            _builder_context(request, meeting, now, remove_form=form),
            status=status,
        ),
        now=now,
    )


@login_required
@require_POST
def confirm(request, meeting_pk: int):
    now = timezone.now()
    agenda = selectors.get_agenda_for_user(request.user, meeting_pk, now=now)
    meeting = agenda.meeting
    return submit_action(
        request,
        lambda **who: services.agenda_confirm(agenda=agenda, **who),
        success=_confirmed_message,
        redirect_to=reverse("agenda:builder", args=[meeting.pk]),
        now=now,
    )


def _confirmed_message(duty) -> Message:
    if duty is not None and duty.state == duty.State.BREACHED:
        return (
            messages.WARNING,
            _("Agenda confirmed after its deadline (%(clause)s); this is recorded as late.")
            % {"clause": duty.clause},
        )
    return _("Agenda confirmed.")


@login_required
@require_POST
def reopen(request, meeting_pk: int):
    now = timezone.now()
    agenda = selectors.get_agenda_for_user(request.user, meeting_pk, now=now)
    meeting = agenda.meeting
    return submit_action(
        request,
        lambda **who: services.agenda_reopen(agenda=agenda, **who),
        success=_("The agenda is a draft again."),
        redirect_to=reverse("agenda:builder", args=[meeting.pk]),
        now=now,
    )


@login_required
@require_POST
def publish(request, meeting_pk: int):
    now = timezone.now()
    meeting = _meeting(request, meeting_pk, now)
    form = PublishForm(request.POST)
    return submit_form(
        request,
        form,
        lambda data, **who: meeting_services.meeting_publish(
            meeting=meeting,
            emergency=data["emergency"],
            emergency_reason=data["emergency_reason"],
            **who,
        ),
        success=_("The notice was published."),
        redirect_to=reverse("meetings:detail", args=[meeting.pk]),
        invalid=lambda status: render(
            request,
            "agenda/builder.html",
            _builder_context(request, _meeting(request, meeting_pk, now), now, publish_form=form),
            status=status,
        ),
        now=now,
    )
