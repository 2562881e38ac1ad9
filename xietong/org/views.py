"""Organisation pages: department tree, people directory, person, delegations, roster import."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xietong.core.auth import login_required
from xietong.core.forms import submit_action, submit_form
from xietong.core.params import parse_id

from . import accounts, selectors, services
from .forms import DelegationForm, RosterImportForm
from .models import Delegation, Person
from .permissions import mobile_scope, require


@login_required
@require_GET
def departments(request):
    return render(
        request,
        "org/departments.html",
        {"nodes": selectors.department_tree(), "can_manage": services.can_manage_org(request.user)},
    )


@login_required
@require_GET
def people(request):
    department_id = parse_id(request.GET.get("department"))
    rows, next_cursor = selectors.people_page(department_id=department_id, after=request.GET.get("after"))
    return render(
        request,
        "org/people.html",
        {
            "people": rows,
            "next_cursor": next_cursor,
            "department_id": department_id,
            "departments": list(selectors.departments_for_filter()),
            "is_first_page": not request.GET.get("after"),
            "can_manage": services.can_manage_org(request.user),
            "mobiles": mobile_scope(request.user),
        },
    )


@login_required
@require_POST
def send_activation(request):
    """Activation links to one person (``person``) or to every active person (of the department
    filtered on, if any) who has an e-mail address and has never logged in."""
    require(services.can_manage_org(request.user), _("Only the coordinator may send activation links."))
    department_id = parse_id(request.POST.get("department"))
    person_id = parse_id(request.POST.get("person"))
    people = accounts.never_logged_in(department_id=department_id, person_id=person_id)
    report = accounts.person_send_activation(actor=request.user, now=timezone.now(), people=people)
    if report.sent:
        messages.success(
            request,
            ngettext(
                "Activation link sent to %(count)d person.",
                "Activation links sent to %(count)d people.",
                len(report.sent),
            )
            % {"count": len(report.sent)},
        )
    if report.failed:
        messages.error(
            request,
            _("The mail server did not accept the mail for: %(names)s. Try again later.")
            % {"names": "、".join(p.full_name or p.username for p in report.failed)},
        )
    if not report.sent and not report.failed:
        messages.info(request, _("Everyone with an e-mail address has logged in already: no link was sent."))
    if person_id is not None:
        return HttpResponseRedirect(reverse("org:person", args=[person_id]))
    target = reverse("org:people")
    return HttpResponseRedirect(f"{target}?department={department_id}" if department_id else target)


@login_required
@require_GET
def person(request, pk: int):
    today = timezone.localdate()
    try:
        target = selectors.person_detail(pk, today=today)
    except Person.DoesNotExist:
        raise Http404 from None
    return render(
        request,
        "org/person.html",
        {
            "person": target,
            "can_manage": services.can_manage_org(request.user),
            "mobile_shown": mobile_scope(request.user, on=today).covers(target),
        },
    )


def _delegation_form(request, data=None) -> DelegationForm | None:
    """The form this user may fill, or None when they may not delegate at all."""
    allowed = services.delegates_allowed_for(request.user)
    if allowed is None:
        return DelegationForm(data, with_principal=True)
    if not allowed and not services.headed_departments(request.user):
        return None
    return DelegationForm(data, delegates=allowed, with_principal=False)


def _render_delegations(request, form, *, status: int = 200):
    today = timezone.localdate()
    return render(
        request,
        "org/delegations.html",
        {
            "delegations": list(selectors.current_delegations(today=today)),
            "form": form,
            "can_manage": services.can_manage_org(request.user),
        },
        status=status,
    )


@login_required
@require_GET
def delegations(request):
    return _render_delegations(request, _delegation_form(request))


@login_required
@require_POST
def delegation_create(request):
    form = _delegation_form(request, request.POST)
    require(form is not None, _("Only a department head or the coordinator may delegate."))
    return submit_form(
        request,
        form,
        lambda data, **who: services.delegation_create(
            principal=data.get("principal") or request.user,
            delegate=data["delegate"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            reason=data["reason"],
            **who,
        ),
        success=_("Delegation recorded."),
        redirect_to=reverse("org:delegations"),
        invalid=lambda status: _render_delegations(request, form, status=status),
        status=200,
    )


@login_required
@require_POST
def delegation_revoke(request, pk: int):
    delegation = get_object_or_404(Delegation, pk=pk)
    return submit_action(
        request,
        lambda **who: services.delegation_revoke(delegation=delegation, **who),
        success=_("Delegation revoked."),
        redirect_to=reverse("org:delegations"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def roster_import(request):
    """GET: the upload form. POST: check (mode=check) or import (mode=import) and show the report."""
    require(services.can_manage_org(request.user), _("Only the coordinator may import the roster."))
    report = None
    if request.method == "POST":
        form = RosterImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            report = services.roster_import(
                file_bytes=upload.read(),
                filename=upload.name,
                actor=request.user,
                now=timezone.now(),
                dry_run=request.POST.get("mode") != "import",
            )
    else:
        form = RosterImportForm()
    return render(request, "org/import.html", {"form": form, "report": report, "can_manage": True})


@login_required
@require_GET
def roster_template(request):
    """A CSV with the headers and one example row (UTF-8 with BOM so Excel opens it right)."""
    require(services.can_manage_org(request.user), _("Only the coordinator may import the roster."))
    lines = [
        "部门,上级部门,姓名,职务,手机,邮箱,角色,账号,企业微信,钉钉,飞书",
        "技术部,,张三,技术部经理,13800000000,zhangsan@example.cn,科室负责人、领导小组成员,,,,",
    ]
    response = HttpResponse("\ufeff" + "\r\n".join(lines) + "\r\n", content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="roster-template.csv"'
    return response
