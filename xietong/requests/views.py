"""Request pages: filing a request, the outgoing and incoming lists, and one request with its
history and the buttons its transition table allows the viewer."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xietong.core.auth import login_required
from xietong.core.forms import submit_form
from xietong.core.params import parse_id
from xietong.policy.calendar import as_shanghai

from . import selectors, services
from .forms import ACTION_FORMS, SubmitForm
from .models import CollaborationRequest

ACTION_LABELS = {
    "accept": gettext_lazy("Accept"),
    "refuse": gettext_lazy("Refuse"),
    "reassign": gettext_lazy("Hand on to another department"),
    "withdraw": gettext_lazy("Withdraw"),
    "deliver": gettext_lazy("Report delivered"),
    "confirm": gettext_lazy("Confirm and rate"),
    "reopen": gettext_lazy("Not done: reopen"),
}
DONE = {
    "accept": gettext_lazy("Request accepted."),
    "refuse": gettext_lazy("Request refused."),
    "reassign": gettext_lazy("Request handed on."),
    "withdraw": gettext_lazy("Request withdrawn."),
    "deliver": gettext_lazy("Delivery reported to the requester."),
    "confirm": gettext_lazy("Request confirmed and closed."),
    "reopen": gettext_lazy("Request reopened."),
}
EVENT_LABELS = {
    "request.submitted": gettext_lazy("Submitted"),
    "request.accepted": gettext_lazy("Accepted"),
    "request.refused": gettext_lazy("Refused"),
    "request.reassigned": gettext_lazy("Handed on to another department"),
    "request.withdrawn": gettext_lazy("Withdrawn"),
    "request.delivered": gettext_lazy("Delivered"),
    "request.confirmed": gettext_lazy("Confirmed by the requester"),
    "request.reopened": gettext_lazy("Reopened"),
}


@login_required
@require_http_methods(["GET", "POST"])
def new(request):
    form = SubmitForm(request.POST or None)

    def again(status: int):
        return render(request, "requests/new.html", {"form": form}, status=status)

    if request.method == "POST":
        return submit_form(
            request,
            form,
            lambda data, **who: services.request_submit(**data, **who),
            success=_("Request sent to the receiving department."),
            redirect_to=lambda created: created.get_absolute_url(),
            invalid=again,
        )
    return again(200)


@login_required
@require_GET
def request_list(request):
    box = request.GET.get("box", "outgoing")
    before = parse_id(request.GET.get("before"))
    if box == "incoming":
        on = as_shanghai(timezone.now()).date()
        rows = selectors.incoming(request.user, on=on, before=before)
    else:
        box = "outgoing"
        rows = selectors.outgoing(request.user, before=before)
    more = rows[-1].pk if len(rows) == selectors.PAGE else None
    return render(request, "requests/list.html", {"rows": rows, "box": box, "more": more})


def _detail(request, obj: CollaborationRequest, *, status: int = 200, forms: dict | None = None):
    now = timezone.now()
    actions = services.request_actions(obj, request.user, now=now)
    forms = forms or {}
    buttons = [
        {"action": a, "label": ACTION_LABELS[a], "form": forms.get(a) or ACTION_FORMS[a](prefix=a)}
        for a in actions
    ]
    return render(
        request,
        "requests/detail.html",
        {
            "req": obj,
            "buttons": buttons,
            "timeline": selectors.request_timeline(obj),
            "duties": selectors.request_duties(obj, now=now),
            "event_labels": EVENT_LABELS,
        },
        status=status,
    )


@login_required
@require_GET
def detail(request, pk: int):
    return _detail(request, selectors.get_request_for_user(request.user, pk))


def _call(action: str, obj: CollaborationRequest, data: dict):
    calls = {
        "accept": lambda **who: services.request_accept(
            request=obj, committed_by=data.get("committed_by"), note=data.get("note", ""), **who
        ),
        "refuse": lambda **who: services.request_refuse(
            request=obj, category=data.get("category", ""), reason=data.get("reason", ""), **who
        ),
        "reassign": lambda **who: services.request_reassign(
            request=obj, to_department=data.get("to_department"), reason=data.get("reason", ""), **who
        ),
        "withdraw": lambda **who: services.request_withdraw(request=obj, **who),
        "deliver": lambda **who: services.request_deliver(request=obj, note=data.get("note", ""), **who),
        "confirm": lambda **who: services.request_confirm(
            request=obj, rating=data.get("rating"), comment=data.get("comment", ""), **who
        ),
        "reopen": lambda **who: services.request_reopen(request=obj, reason=data.get("reason", ""), **who),
    }
    return calls[action]


@login_required
@require_POST
def act(request, pk: int, action: str):
    if action not in DONE:
        raise Http404
    obj = selectors.get_request_for_user(request.user, pk)
    form = ACTION_FORMS[action](request.POST, prefix=action)
    return submit_form(
        request,
        form,
        lambda data, actor, now: _call(action, obj, data)(actor=actor, now=now),
        success=str(DONE[action]),
        # A request handed on leaves the hands (and the sight) of the department that had it.
        redirect_to=f"{reverse('requests:list')}?box=incoming"
        if action == "reassign"
        else obj.get_absolute_url(),
        invalid=lambda status: _detail(request, obj, status=status, forms={action: form}),
    )
