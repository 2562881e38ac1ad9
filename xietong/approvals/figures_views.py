"""The coordinator's approval pages: running steps by template, step and age, and the figures of
decided steps (page and .xlsx)."""

from __future__ import annotations

from datetime import date, timedelta
from io import BytesIO
from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from openpyxl import Workbook

from xietong.core.auth import login_required
from xietong.core.params import parse_id
from xietong.core.spreadsheets import append_row
from xietong.obligations.forms import format_key, parse_key
from xietong.org.permissions import require
from xietong.policy.calendar import as_shanghai

from . import figures

MAX_PERIOD = timedelta(days=3660)


def _require(request) -> None:
    require(
        figures.may_see_figures(request.user),
        _("Only the coordinator and the leadership group may see the approval figures."),
    )


@login_required
@require_GET
def overview(request):
    _require(request)
    now = timezone.now()
    template_id = parse_id(request.GET.get("template"))
    rows = figures.running_steps(
        template_id=template_id, after=parse_key(request.GET.get("after", "")), limit=figures.LIST_ROWS + 1
    )
    next_link = ""
    if len(rows) > figures.LIST_ROWS:
        rows = rows[: figures.LIST_ROWS]
        query = {"after": format_key((rows[-1].opened_at, rows[-1].pk))}
        if template_id is not None:
            query["template"] = str(template_id)
        next_link = "?" + urlencode(query)
    return render(
        request,
        "approvals/overview.html",
        {
            "now": now,
            "by_step": figures.running_by_step(),
            "tasks": rows,
            "template_id": template_id,
            "next_link": next_link,
        },
    )


def _period(request) -> tuple[figures.Period, dict[str, str]]:
    """The chosen period (default: this month so far); errors per field."""
    today = as_shanghai(timezone.now()).date()
    errors: dict[str, str] = {}
    values: dict[str, date] = {}
    for name, default in (("start", today.replace(day=1)), ("end", today)):
        raw = request.GET.get(name, "").strip()
        try:
            values[name] = date.fromisoformat(raw) if raw else default
        except ValueError:
            errors[name] = _("Enter a date such as 2026-03-01.")
            values[name] = default
    if not errors and values["end"] < values["start"]:
        errors["end"] = _("The end must not be before the start.")
    if not errors and values["end"] - values["start"] > MAX_PERIOD:
        errors["end"] = _("Choose a period of at most ten years.")
    return figures.Period(values["start"], values["end"]), errors


@login_required
@require_GET
def figures_page(request):
    _require(request)
    period, errors = _period(request)
    data = None if errors else figures.figures(period)
    return render(
        request,
        "approvals/figures.html",
        {"figures": data, "period": period, "errors": errors, "raw": request.GET, "hours": figures.hours},
        status=400 if errors else 200,
    )


@login_required
@require_GET
def figures_xlsx(request):
    _require(request)
    period, errors = _period(request)
    if errors:
        return HttpResponse("; ".join(errors.values()), status=400, content_type="text/plain; charset=utf-8")
    data = figures.figures(period)
    numbers = [
        _("Decisions"),
        _("Median hours"),
        _("% within the limit"),
        _("Returned for changes"),
        _("Rejected"),
    ]
    span = [_("Period"), f"{period.start.isoformat()} – {period.end.isoformat()}"]
    book = Workbook()
    steps = book.active
    steps.title = _("By step")[:31]
    # Template, step and people names are data typed by users: written as text, never formulas.
    append_row(steps, span)
    append_row(steps, [_("Template"), _("Step"), *numbers])
    for row in data["by_step"]:
        append_row(
            steps,
            [
                row["template"],
                row["step_name"],
                row["decisions"],
                figures.hours(row["median"]),
                row["within_percent"],
                row["returned"],
                row["rejected"],
            ],
        )
    people = book.create_sheet(_("By approver")[:31])
    append_row(people, span)
    append_row(people, [_("Approver"), _("Template"), *numbers])
    for row in data["by_approver"]:
        append_row(
            people,
            [
                row["approver"],
                row["template"],
                row["decisions"],
                figures.hours(row["median"]),
                row["within_percent"],
                row["returned"],
                row["rejected"],
            ],
        )
    out = BytesIO()
    book.save(out)
    response = HttpResponse(
        out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="approvals-{period.start.isoformat()}-{period.end.isoformat()}.xlsx"'
    )
    return response
