"""Emergency decision pages: those awaiting ratification (the leadership's list), recording one,
and one decision with its ratification."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xietong.core.auth import login_required
from xietong.core.forms import submit_action, submit_form
from xietong.core.params import parse_id
from xietong.org.permissions import require

from . import emergency, selectors, services
from .forms import EmergencyForm


@login_required
@require_GET
def emergency_list(request):
    before = parse_id(request.GET.get("before"))
    rows = emergency.awaiting_ratification(request.user, before=before)
    more = rows[-1].pk if len(rows) == emergency.PAGE else None
    return render(
        request,
        "approvals/emergency_list.html",
        {"rows": rows, "more": more, "templates": emergency.director_templates(request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def emergency_new(request, pk: int):
    template = selectors.get_template(pk)
    if not template.is_active:
        raise Http404
    require(
        template in emergency.director_templates(request.user),
        _("Only the director named in the regulation may record an emergency decision."),
    )
    definition = services.current_template_version(template).definition
    form = EmergencyForm(request.POST or None, definition=definition)
    own = {"matter", "reason", "group", "consulted", "consultation", "decision", "executed", "amount"}

    def again(status: int):
        return render(
            request, "approvals/emergency_new.html", {"template": template, "form": form}, status=status
        )

    if request.method == "POST":
        return submit_form(
            request,
            form,
            lambda data, **who: emergency.emergency_decide(
                template=template,
                matter=data["matter"],
                decision=data["decision"],
                reason=data["reason"],
                group=data["group"],
                consulted=data["consulted"],
                consultation=data["consultation"],
                executed=data["executed"],
                amount=data.get("amount"),
                values={k: v for k, v in data.items() if k not in own},
                **who,
            ),
            success=_("Emergency decision recorded; its ratification is under way."),
            redirect_to=lambda decision: decision.get_absolute_url(),
            invalid=again,
        )
    return again(200)


@login_required
@require_GET
def emergency_detail(request, pk: int):
    decision = emergency.get_emergency_for_user(request.user, pk)
    return render(
        request,
        "approvals/emergency_detail.html",
        {
            "decision": decision,
            "can_execute": decision.executed_at is None and decision.director_id == request.user.pk,
        },
    )


@login_required
@require_POST
def emergency_execute(request, pk: int):
    decision = emergency.get_emergency_for_user(request.user, pk)
    return submit_action(
        request,
        lambda **who: emergency.emergency_execute(emergency=decision, **who),
        success=_("Recorded as carried out."),
        redirect_to=decision.get_absolute_url(),
    )
