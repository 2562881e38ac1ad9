"""Action-item pages: the role-aware list and one item with the steps its viewer may take."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from xietong.core.auth import login_required
from xietong.core.forms import Message, submit_action, submit_form
from xietong.meetings.models import Meeting
from xietong.obligations.colours import action_deadline, is_overdue
from xietong.org.models import Department, Role
from xietong.org.permissions import Roles, roles_of
from xietong.policy.calendar import as_shanghai
from xietong.policy.selectors import business_calendar

from . import selectors, services
from .forms import ActionFilterForm, CompleteForm, ProgressForm, ReasonForm, format_key, parse_key
from .models import ActionItem

S = ActionItem.Status
DEPARTMENT_VIEW_ROLES = selectors.DEPARTMENT_VIEW_ROLES


def _roles(request, now) -> Roles:
    return roles_of(request.user, on=as_shanghai(now).date())


def _next_link(request, key) -> str:
    query = request.GET.copy()
    query["after"] = format_key(key)
    return "?" + query.urlencode()


# ---- list ---------------------------------------------------------------------------------


def _filter_fields(form: ActionFilterForm) -> dict:
    """The filter form's fields as (name, label, choices / input type) for the template."""
    f = form.fields
    departments = [("", "—"), *((d.pk, d.name) for d in f["department"].queryset.only("name"))]
    return {
        "filter_choices": [
            ("department", f["department"].label, departments),
            ("status", f["status"].label, f["status"].choices),
            ("overdue", f["overdue"].label, f["overdue"].choices),
        ],
        "filter_inputs": [
            ("meeting", f["meeting"].label, "number"),
            ("due_from", f["due_from"].label, "date"),
            ("due_to", f["due_to"].label, "date"),
        ],
    }


@login_required
@require_GET
def action_list(request):
    """The coordinator: every item, filtered; a head, deputy or liaison: their department's open
    items; anyone else: their own open items (我的待办). One page by (due date, id)."""
    now = timezone.now()
    roles = _roles(request, now)
    context = {"now": now, "scope": "mine", "form": None, "departments": [], "department": None}
    after = parse_key(request.GET.get("after", ""))
    if roles.is_coordinator:
        form = ActionFilterForm(request.GET)
        context.update(form=form, scope="all", **_filter_fields(form))
        if form.is_valid():
            data = form.cleaned_data
            page = selectors.actions_for_coordinator(
                now=now,
                department=data["department"],
                status=data["status"] or None,
                overdue={"yes": True, "no": False}.get(data["overdue"]),
                meeting=data["meeting"],
                series=data["series"],
                due_from=data["due_from"],
                due_to=data["due_to"],
                after=after,
                limit=selectors.PAGE_SIZE,
            )
        else:
            page = selectors.Page(items=[], next_key=None)
    else:
        dept_ids = sorted(set().union(*(roles.departments(r) for r in DEPARTMENT_VIEW_ROLES)))
        if dept_ids:
            departments = list(Department.objects.filter(pk__in=dept_ids).order_by("name"))
            chosen = request.GET.get("department", "")
            department = next((d for d in departments if str(d.pk) == chosen), departments[0])
            context.update(scope="department", departments=departments, department=department)
            page = selectors.open_page(now=now, department=department, after=after, limit=selectors.PAGE_SIZE)
        else:
            page = selectors.open_page(now=now, owner=request.user, after=after, limit=selectors.PAGE_SIZE)
    context["acks"] = selectors.ack_duties_for_liaison(sorted(roles.departments(Role.LIAISON)))
    context["page"] = page
    context["next_link"] = _next_link(request, page.next_key) if page.next_key else ""
    return render(request, "actions/list.html", context)


# ---- one item -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Abilities:
    see: bool
    start: bool
    complete: bool
    cancel: bool
    reopen: bool
    report: bool


def _abilities(item: ActionItem, user, roles: Roles) -> Abilities:
    # The steps offered are the table's (actions.services.TRANSITIONS) for this viewer.
    steps = services.allowed_actions(item, user, roles=roles)
    return Abilities(
        see=selectors.may_see_action_item(item, user, roles=roles),
        start="start" in steps,
        complete="complete" in steps,
        cancel="cancel" in steps,
        reopen="reopen" in steps,
        report="report" in steps,
    )


def _detail(request, item: ActionItem, now, status: int = 200, **forms):
    roles = _roles(request, now)
    can = _abilities(item, request.user, roles)
    calendar = business_calendar()
    context = {
        "now": now,
        "item": item,
        "decision": item.decision,
        "meeting": item.meeting,
        "overdue": is_overdue(item, now=now, calendar=calendar),
        "deadline": action_deadline(item.due_on, calendar),
        "reports": list(
            item.reports.select_related("reporter", "for_meeting").order_by("-reported_at", "-id")
        ),
        "can": can,
        "complete_form": forms.get("complete_form") or (CompleteForm() if can.complete else None),
        "cancel_form": forms.get("cancel_form") or (ReasonForm(prefix="cancel") if can.cancel else None),
        "reopen_form": forms.get("reopen_form") or (ReasonForm(prefix="reopen") if can.reopen else None),
        "progress_form": forms.get("progress_form") or (ProgressForm() if can.report else None),
    }
    return render(request, "actions/detail.html", context, status=status)


@login_required
@require_GET
def action_detail(request, pk: int):
    now = timezone.now()
    return _detail(request, selectors.get_action_item_for_user(request.user, pk, now=now), now)


@login_required
@require_POST
def action_start(request, pk: int):
    now = timezone.now()
    item = _for_step(request, pk, "start", now)
    return submit_action(
        request,
        lambda **who: services.action_start(item=item, **who),
        success=_("Work on the action item has started."),
        redirect_to=reverse("actions:detail", args=[pk]),
        now=now,
    )


def _for_step(request, pk: int, action: str, now) -> ActionItem:
    """The item for one of its steps: 403 for anyone without that step's role (TRANSITIONS)."""
    role = services.TRANSITIONS[action].role
    return selectors.get_action_item_for_user(
        request.user,
        pk,
        now=now,
        may_act=lambda item, roles: services.holds(role, item, request.user, roles=roles),
    )


def _form_step(request, pk: int, *, action: str, form_class, form_key: str, call, done: str, prefix=None):
    """Shared shape of the steps with a form: authorise, parse, call the service, re-render on error."""
    now = timezone.now()
    item = _for_step(request, pk, action, now)
    form = form_class(request.POST, prefix=prefix) if prefix else form_class(request.POST)
    return submit_form(
        request,
        form,
        lambda data, **who: call(item=item, data=data, **who),
        success=done,
        redirect_to=reverse("actions:detail", args=[pk]),
        invalid=lambda status: _detail(request, item, now, status=status, **{form_key: form}),
        now=now,
    )


@login_required
@require_POST
def action_complete(request, pk: int):
    return _form_step(
        request,
        pk,
        action="complete",
        form_class=CompleteForm,
        form_key="complete_form",
        call=lambda item, data, actor, now: services.action_complete(
            item=item, evidence=data["evidence"], actor=actor, now=now
        ),
        done=_("The action item is marked done."),
    )


@login_required
@require_POST
def action_cancel(request, pk: int):
    return _form_step(
        request,
        pk,
        action="cancel",
        form_class=ReasonForm,
        prefix="cancel",
        form_key="cancel_form",
        call=lambda item, data, actor, now: services.action_cancel(
            item=item, reason=data["reason"], actor=actor, now=now
        ),
        done=_("The action item was cancelled."),
    )


@login_required
@require_POST
def action_reopen(request, pk: int):
    return _form_step(
        request,
        pk,
        action="reopen",
        form_class=ReasonForm,
        prefix="reopen",
        form_key="reopen_form",
        call=lambda item, data, actor, now: services.action_reopen(
            item=item, reason=data["reason"], actor=actor, now=now
        ),
        done=_("The action item was reopened."),
    )


@login_required
@require_POST
def action_report(request, pk: int):
    return _form_step(
        request,
        pk,
        action="report",
        form_class=ProgressForm,
        form_key="progress_form",
        call=lambda item, data, actor, now: services.progress_report(
            item=item,
            status=data["status"],
            reason=data["reason"],
            note=data["note"],
            actor=actor,
            now=now,
        ),
        done=_("Progress reported."),
    )


# ---- acknowledging the meeting's tasks ------------------------------------------------------


@login_required
@require_POST
def tasks_acknowledge(request, meeting_pk: int, department_pk: int):
    meeting = get_object_or_404(Meeting, pk=meeting_pk)
    department = get_object_or_404(Department, pk=department_pk)
    return submit_action(
        request,
        lambda **who: services.tasks_acknowledge(meeting=meeting, department=department, **who),
        success=_acknowledged_message,
        redirect_to=reverse("actions:list"),
    )


def _acknowledged_message(duty) -> Message:
    if duty.state == duty.State.BREACHED:
        return messages.WARNING, _("Acknowledged late (%(clause)s).") % {"clause": duty.clause}
    return _("Receipt of the tasks acknowledged.")
