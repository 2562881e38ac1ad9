"""Approval pages: templates (coordinator), filing, an approval with its timeline and buttons,
the printable 审批单, the applicant's list (我发起的) and the approver's list."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xietong.core.auth import login_required
from xietong.core.forms import submit_form
from xietong.core.params import parse_id
from xietong.org.permissions import require
from xietong.org.services import can_manage_org
from xietong.policy.calendar import as_shanghai

from . import selectors, services
from .forms import ApplyForm, CommentForm, TemplateCreateForm, TemplateEditForm, TransferForm
from .models import Approval

ACTION_LABELS = {
    "approve": pgettext_lazy("approval decision", "Approve"),
    "return": gettext_lazy("Return for changes"),
    "reject": gettext_lazy("Reject"),
    "transfer": gettext_lazy("Transfer"),
    "withdraw": gettext_lazy("Withdraw"),
    "resubmit": gettext_lazy("Change and resubmit"),
}

EVENT_LABELS = {
    "approval.submitted": gettext_lazy("Submitted"),
    "approval.approved": pgettext_lazy("approval decision", "Approved"),
    "approval.returned": gettext_lazy("Returned for changes"),
    "approval.rejected": gettext_lazy("Rejected"),
    "approval.transferred": gettext_lazy("Transferred"),
    "approval.withdrawn": gettext_lazy("Withdrawn"),
    "approval.resubmitted": gettext_lazy("Resubmitted"),
}


# ---- templates ------------------------------------------------------------------------------


@login_required
@require_GET
def template_list(request):
    manage = can_manage_org(request.user)
    templates = selectors.all_templates() if manage else selectors.templates_in_use()
    return render(request, "approvals/templates.html", {"templates": templates, "manage": manage})


@login_required
@require_http_methods(["GET", "POST"])
def template_create(request):
    require(can_manage_org(request.user), _("Only the coordinator may define approval templates."))
    form = TemplateCreateForm(request.POST or None)

    def again(status: int):
        return render(request, "approvals/template_new.html", {"form": form}, status=status)

    if request.method == "POST":
        return submit_form(
            request,
            form,
            lambda data, **who: services.template_create(**data, **who),
            success=_("Template saved."),
            redirect_to=lambda template: template.get_absolute_url(),
            invalid=again,
        )
    return again(200)


@login_required
@require_http_methods(["GET", "POST"])
def template_detail(request, pk: int):
    template = selectors.get_template(pk)
    manage = can_manage_org(request.user)
    if not manage and not template.is_active:
        raise Http404
    current = services.current_template_version(template)
    form = None
    if manage:
        form = TemplateEditForm(request.POST or None, initial={"text": current.text})

    def again(status: int):
        return render(
            request,
            "approvals/template.html",
            {"template": template, "version": current, "form": form, "versions": template.versions.all()},
            status=status,
        )

    if request.method == "POST":
        require(manage, _("Only the coordinator may define approval templates."))
        assert form is not None
        return submit_form(
            request,
            form,
            lambda data, **who: services.template_version_create(template=template, **data, **who),
            success=lambda version: _("Version %(number)s saved.") % {"number": version.number},
            redirect_to=template.get_absolute_url(),
            invalid=again,
        )
    return again(200)


# ---- filing ---------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def apply(request, pk: int):
    template = selectors.get_template(pk)
    if not template.is_active:
        raise Http404
    definition = services.current_template_version(template).definition
    form = ApplyForm(request.POST or None, definition=definition)

    def again(status: int):
        return render(
            request,
            "approvals/apply.html",
            {"template": template, "form": form, "approval": None},
            status=status,
        )

    if request.method == "POST":
        return submit_form(
            request,
            form,
            lambda data, **who: services.approval_submit(
                template=template,
                title=data["title"],
                amount=data.get("amount"),
                values={k: v for k, v in data.items() if k not in ("title", "amount")},
                **who,
            ),
            success=_("Submitted for approval."),
            redirect_to=lambda approval: approval.get_absolute_url(),
            invalid=again,
        )
    return again(200)


# ---- one approval ---------------------------------------------------------------------------


def _action_form(action: str, data=None):
    """The form under one button; prefixed so the page's several forms keep distinct ids."""
    form_class = TransferForm if action == "transfer" else CommentForm
    return form_class(data, prefix=action)


def _detail(request, approval: Approval, *, status: int = 200, forms: dict | None = None):
    now = timezone.now()
    actions = services.approval_actions(approval, request.user, now=now)
    forms = forms or {}
    buttons = [
        {
            "action": action,
            "label": ACTION_LABELS[action],
            "form": forms.get(action) or _action_form(action),
        }
        for action in actions
        if action != "resubmit"
    ]
    return render(
        request,
        "approvals/detail.html",
        {
            "approval": approval,
            "buttons": buttons,
            "can_resubmit": "resubmit" in actions,
            "tasks": list(approval.tasks.all()),
            "timeline": selectors.approval_timeline(approval),
            "event_labels": EVENT_LABELS,
        },
        status=status,
    )


@login_required
@require_GET
def detail(request, pk: int):
    return _detail(request, selectors.get_approval_for_user(request.user, pk))


@login_required
@require_GET
def print_view(request, pk: int):
    approval = selectors.get_approval_for_user(request.user, pk)
    signed = [t for t in approval.tasks.all() if t.decided_at is not None]
    return render(
        request, "approvals/print.html", {"approval": approval, "signed": signed, "now": timezone.now()}
    )


def _call(action: str, approval: Approval, data: dict):
    comment = data.get("comment", "")
    calls = {
        "approve": lambda **who: services.approval_approve(approval=approval, comment=comment, **who),
        "return": lambda **who: services.approval_return(approval=approval, comment=comment, **who),
        "reject": lambda **who: services.approval_reject(approval=approval, reason=comment, **who),
        "transfer": lambda **who: services.approval_transfer(
            approval=approval, to=data.get("to"), comment=comment, **who
        ),
        "withdraw": lambda **who: services.approval_withdraw(approval=approval, **who),
    }
    return calls[action]


DONE = {
    "approve": gettext_lazy("Approved."),
    "return": gettext_lazy("Returned to the applicant."),
    "reject": gettext_lazy("Rejected."),
    "transfer": gettext_lazy("Handed over."),
    "withdraw": gettext_lazy("Withdrawn."),
}


@login_required
@require_POST
def act(request, pk: int, action: str):
    if action not in DONE:
        raise Http404
    approval = selectors.get_approval_for_user(request.user, pk)
    form = _action_form(action, request.POST)
    return submit_form(
        request,
        form,
        lambda data, actor, now: _call(action, approval, data)(actor=actor, now=now),
        success=str(DONE[action]),
        redirect_to=approval.get_absolute_url(),
        invalid=lambda status: _detail(request, approval, status=status, forms={action: form}),
    )


@login_required
@require_http_methods(["GET", "POST"])
def resubmit(request, pk: int):
    approval = selectors.get_approval_for_user(request.user, pk)
    require(approval.applicant_id == request.user.pk, _("Only the applicant may do this."))
    if approval.status != Approval.Status.RETURNED:
        raise Http404
    definition = approval.version.definition
    initial = {"title": approval.title, "amount": approval.amount, **approval.values}
    form = ApplyForm(request.POST or None, definition=definition, initial=initial)

    def again(status: int):
        return render(
            request,
            "approvals/apply.html",
            {"template": approval.version.template, "form": form, "approval": approval},
            status=status,
        )

    if request.method == "POST":
        return submit_form(
            request,
            form,
            lambda data, **who: services.approval_resubmit(
                approval=approval,
                title=data["title"],
                amount=data.get("amount"),
                values={k: v for k, v in data.items() if k not in ("title", "amount")},
                **who,
            ),
            success=_("Resubmitted."),
            redirect_to=approval.get_absolute_url(),
            invalid=again,
        )
    return again(200)


# ---- lists ----------------------------------------------------------------------------------


@login_required
@require_GET
def mine(request):
    before = parse_id(request.GET.get("before"))
    rows = selectors.my_approvals(request.user, before=before)
    more = rows[-1].pk if len(rows) == selectors.PAGE else None
    return render(request, "approvals/mine.html", {"rows": rows, "more": more})


@login_required
@require_GET
def todo(request):
    on = as_shanghai(timezone.now()).date()
    return render(
        request, "approvals/todo.html", {"tasks": selectors.approvals_to_handle(request.user, on=on)}
    )
