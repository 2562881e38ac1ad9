"""Ledger pages: the warning boards, the leadership's escalations, compliance figures, waiving."""

from __future__ import annotations

from datetime import date, timedelta
from io import BytesIO
from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from openpyxl import Workbook

from xietong.core.auth import login_required
from xietong.core.forms import submit_form
from xietong.core.spreadsheets import append_row
from xietong.org.models import Department, Role
from xietong.org.permissions import Roles, require, roles_of
from xietong.policy.calendar import as_shanghai

from . import colours, selectors, services
from .forms import WaiveForm, format_key, parse_key
from .permissions import follow_through_page


def _roles(request, now) -> Roles:
    return roles_of(request.user, on=as_shanghai(now).date())


def _require_leadership(roles: Roles) -> None:
    require(
        roles.has(Role.LEADERSHIP) or roles.is_coordinator, _("Only the leadership group may see this page.")
    )


@login_required
@require_GET
def index(request):
    """The follow-through entry of the navigation: each role lands on its own page."""
    landing = follow_through_page(_roles(request, timezone.now()))
    require(
        landing is not None,
        _("Only the coordinator, the leadership group and department heads follow the ledger."),
    )
    return redirect(landing)


# Duties listed per department on a board (the most overdue first); the rest are on the
# department's own list, linked with their number.
BOARD_ROWS = 5
# Duties per page of a department's list.
LIST_ROWS = 50


@login_required
@require_GET
def coordinator_board(request):
    """This week's yellow and red duties of every department (coordinator)."""
    now = timezone.now()
    require(_roles(request, now).is_coordinator, _("Only the coordinator may see this page."))
    groups = selectors.warning_board(now, limit=BOARD_ROWS)
    return _board(request, now, groups, "all")


def _board(request, now, groups, scope):
    legend = colours.colour_legend([ob for group in groups for ob in group.duties])
    return render(
        request, "obligations/board.html", {"now": now, "groups": groups, "scope": scope, "legend": legend}
    )


@login_required
@require_GET
def department_board(request):
    """A department head's (or deputy's) own departments' yellow and red duties."""
    now = timezone.now()
    roles = _roles(request, now)
    departments = roles.departments(Role.HEAD) | roles.departments(Role.DEPUTY)
    require(bool(departments), _("Only a department head may see this page."))
    groups = selectors.warning_board(now, limit=BOARD_ROWS, department_ids=departments)
    return _board(request, now, groups, "department")


@login_required
@require_GET
def board_department(request, department_pk: int | None = None):
    """All of one department's yellow and red duties of the board, a page at a time. The
    coordinator sees every department (and the duties of no department); a head or deputy their
    own."""
    now = timezone.now()
    roles = _roles(request, now)
    dept = None if department_pk is None else get_object_or_404(Department, pk=department_pk)
    heads = roles.departments(Role.HEAD) | roles.departments(Role.DEPUTY)
    require(
        roles.is_coordinator or (department_pk is not None and department_pk in heads),
        _("Only the coordinator and the department's head may see this page."),
    )
    rows = selectors.board_duties_of(
        now, department_id=department_pk, limit=LIST_ROWS + 1, after=parse_key(request.GET.get("after", ""))
    )
    next_link = ""
    if len(rows) > LIST_ROWS:
        rows = rows[:LIST_ROWS]
        next_link = "?" + urlencode({"after": format_key((rows[-1].due_at, rows[-1].pk))})
    return render(
        request,
        "obligations/board_department.html",
        {
            "now": now,
            "department": dept,
            "duties": rows,
            "scope": "all" if roles.is_coordinator else "department",
            "legend": colours.colour_legend(rows),
            "next_link": next_link,
        },
    )


@login_required
@require_GET
def leadership(request):
    """Escalations to the leadership group, each with the consecutive misses that led there."""
    now = timezone.now()
    _require_leadership(_roles(request, now))
    rows = []
    for ob, history in selectors.escalations():
        rule = ob.policy_version.rules.get("escalation_misses")
        rows.append((ob, history, rule.clause if rule else ""))
    return render(request, "obligations/leadership.html", {"now": now, "rows": rows})


def _period(request, now) -> tuple[date, date, dict]:
    """The chosen period (default: this month so far); errors per field."""
    today = as_shanghai(now).date()
    errors: dict[str, str] = {}
    values = {}
    for name, default in (("start", today.replace(day=1)), ("end", today)):
        raw = request.GET.get(name, "").strip()
        if not raw:
            values[name] = default
            continue
        try:
            values[name] = date.fromisoformat(raw)
        except ValueError:
            errors[name] = _("Enter a date such as 2026-03-01.")
            values[name] = default
    if not errors and values["end"] < values["start"]:
        errors["end"] = _("The end must not be before the start.")
    if not errors and values["end"] - values["start"] > timedelta(days=3660):
        errors["end"] = _("Choose a period of at most ten years.")
    return values["start"], values["end"], errors


@login_required
@require_GET
def compliance(request):
    now = timezone.now()
    _require_leadership(_roles(request, now))
    start, end, errors = _period(request, now)
    figures = None if errors else selectors.compliance(start=start, end=end, now=now)
    status = 400 if errors else 200
    return render(
        request,
        "obligations/compliance.html",
        {"now": now, "figures": figures, "errors": errors, "start": start, "end": end, "raw": request.GET},
        status=status,
    )


@login_required
@require_GET
def compliance_xlsx(request):
    now = timezone.now()
    _require_leadership(_roles(request, now))
    start, end, errors = _period(request, now)
    if errors:
        return HttpResponse("; ".join(errors.values()), status=400, content_type="text/plain; charset=utf-8")
    figures = selectors.compliance(start=start, end=end, now=now)
    headers = [
        _("Met on time"),
        _("Done late"),
        _("Breached (not done)"),
        _("Waived"),
        _("Not yet due"),
        _("Total"),
    ]
    book = Workbook()
    sheet = book.active
    sheet.title = _("By clause")[:31]
    # Clause labels come from policy files and department names from roster files: text only.
    append_row(sheet, [_("Period"), f"{start.isoformat()} – {end.isoformat()}"])
    append_row(sheet, [_("Clause"), *headers])
    for row in figures["by_clause"]:
        append_row(sheet, [row["clause"] or "—", *(row[c] for c in selectors.COMPLIANCE_COLUMNS)])
    append_row(sheet, [_("Total"), *(figures["total"][c] for c in selectors.COMPLIANCE_COLUMNS)])
    depts = book.create_sheet(_("By department")[:31])
    append_row(depts, [_("Period"), f"{start.isoformat()} – {end.isoformat()}"])
    append_row(depts, [_("Department"), *headers])
    for row in figures["by_department"]:
        append_row(depts, [row["department"] or "—", *(row[c] for c in selectors.COMPLIANCE_COLUMNS)])
    append_row(depts, [_("Total"), *(figures["total"][c] for c in selectors.COMPLIANCE_COLUMNS)])
    out = BytesIO()
    book.save(out)
    response = HttpResponse(
        out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="compliance-{start.isoformat()}-{end.isoformat()}.xlsx"'
    )
    return response


@login_required
@require_http_methods(["GET", "POST"])
def waive(request, pk: int):
    """The coordinator waives one open duty, with a reason (recorded as obligation.waived)."""
    now = timezone.now()
    ob = selectors.get_obligation_for_user(request.user, pk, now=now, waive=True)
    form = WaiveForm(request.POST if request.method == "POST" else None)

    def page(status: int = 200):
        errors = {name: " ".join(texts) for name, texts in form.errors.items()}
        reason = (form["reason"].value() or "") if form.is_bound else ""
        context = {
            "now": now,
            "ob": ob,
            "errors": errors,
            "reason": reason,
            "colour": colours.colour(ob, now),
        }
        return render(request, "obligations/waive.html", context, status=status)

    if request.method != "POST":
        return page()
    return submit_form(
        request,
        form,
        lambda data, **who: services.obligation_waive_by_coordinator(
            obligation=ob, reason=data["reason"], **who
        ),
        success=_("The duty is waived."),
        redirect_to=reverse("obligations:board"),
        invalid=page,
        now=now,
    )
