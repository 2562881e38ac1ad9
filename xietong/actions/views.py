"""Action-item pages: the role-aware list and one item with the steps its viewer may take."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.contrib import messages
from django.db import connection
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from markupsafe import Markup, escape

from xietong.core.auth import login_required
from xietong.core.errors import DomainError
from xietong.core.html import escape_all, escaped
from xietong.core.links import one_id_url
from xietong.org.models import Department, Role
from xietong.org.permissions import Roles, require, roles_of
from xietong.policy.calendar import as_shanghai
from xietong.policy.selectors import business_calendar

from . import selectors, services
from .forms import ActionFilterForm, CompleteForm, ProgressForm, ReasonForm, format_key, parse_key
from .models import ActionItem

S = ActionItem.Status
DEPARTMENT_VIEW_ROLES = (Role.HEAD, Role.DEPUTY, Role.LIAISON)


def _roles(request, now) -> Roles:
    return roles_of(request.user, on=as_shanghai(now).date())


def _next_link(request, key) -> str:
    query = request.GET.copy()
    query["after"] = format_key(key)
    return "?" + query.urlencode()


def _keyset_page(now, **whose):
    """The first PAGE_SIZE open items of ``owner=`` or ``department=`` (selectors.open_rows)
    after ``after=`` as one page."""
    cutoff = selectors.overdue_cutoff(now=now, calendar=business_calendar())
    limit = selectors.PAGE_SIZE
    rows = selectors.open_rows(limit=limit + 1, cutoff=cutoff, **whose)
    next_key = (rows[limit - 1].due_on, rows[limit - 1].pk) if len(rows) > limit else None
    return selectors.Page(items=rows[:limit], next_key=next_key)


# ---- list ---------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _labels_in(language: str) -> dict:
    """The list's fixed labels in ``language``, worked out once per process and language
    (each lazy label costs a catalogue lookup every time it is shown)."""
    f = ActionFilterForm.base_fields

    def plain(choices):
        return [(value, str(text)) for value, text in choices]

    return {
        "department": str(f["department"].label),
        "choices": [
            ("status", str(f["status"].label), plain(f["status"].choices)),
            ("overdue", str(f["overdue"].label), plain(f["overdue"].choices)),
        ],
        "inputs": [
            ("meeting", str(f["meeting"].label), "number"),
            ("due_from", str(f["due_from"].label), "date"),
            ("due_to", str(f["due_to"].label), "date"),
        ],
    }


def _status_labels() -> dict[str, str]:
    return selectors.status_labels()


_DEPARTMENT_NAMES_SQL = 'SELECT "id", "name" FROM "org_department" ORDER BY "name"'


def _filter_fields() -> dict:
    """The filter form's fields as plain (name, label, choices / input type) for the template
    (labels and choices from the form class: no form instance needed to draw it)."""
    labels = _labels_in(translation.get_language() or "")
    with connection.cursor() as cursor:  # the department field's choices, as one plain read
        cursor.execute(_DEPARTMENT_NAMES_SQL)
        departments = [("", "—"), *cursor.fetchall()]
    return {
        "filter_choices": [("department", labels["department"], departments), *labels["choices"]],
        "filter_inputs": labels["inputs"],
    }


def _options_html(options, chosen: str) -> Markup:
    """``<option>`` elements of a filter, ``chosen`` (the submitted value) selected."""
    return _options_markup(tuple(options), chosen)


@lru_cache(maxsize=256)
def _options_markup(options: tuple, chosen: str) -> Markup:
    # Kept per distinct (options, choice): the departments are read on every page, but the
    # markup for the same names and choice is the same string.
    return Markup(  # noqa: S704 - every value and text is escaped
        "".join(
            f'<option value="{escape(value)}"{" selected" if chosen == str(value) else ""}>{escape(text)}</option>'
            for value, text in options
        )
    )


def rows_html(rows) -> Markup:
    """The list's table rows as HTML, one per (id, title, owner, department, due date in ISO
    form, colour, status, meeting) row; empty markup for no rows.

    Written here rather than in actions/list.html: the list shows fifty rows on every visit,
    and one f-string per row costs a fraction of evaluating the row cell by cell in the
    template. Texts are escaped as the template escapes them (markupsafe); ids and ISO dates
    need none. Tested against the template's former row markup (tests/test_rows_html.py)."""
    prefix = one_id_url("actions:detail", 0)[:-2]  # ".../0/" → ".../"
    labels = escaped(_status_labels())
    overdue = f' <span class="badge late" data-overdue data-colour="red">{escape(_("Overdue"))}</span>'
    soon = f' <span class="badge warn" data-colour="yellow">{escape(_("Due soon"))}</span>'
    badges = {"red": overdue, "yellow": soon}
    rows = list(rows)
    texts = iter(escape_all(text for row in rows for text in (row[1], row[2], row[3], row[7])))
    out = []
    for pk, _title, _owner, _department, due, colour, status, _meeting in rows:
        title, owner, department, meeting = next(texts), next(texts), next(texts), next(texts)
        out.append(
            f'\n  <tr data-item="{pk}">\n    <td><a href="{prefix}{pk}/">{title}</a></td>'
            f"\n    <td>{owner}</td>\n    <td>{department}</td>"
            f"\n    <td>{due}{badges.get(colour, '')}</td>\n    <td>{labels.get(status) or escape(status)}</td>"
            f"\n    <td>{meeting}</td>\n  </tr>"
        )
    return Markup("".join(out))  # noqa: S704 - every text in it is escaped here


class _NoFilter:
    """The unfiltered list: what the template reads of a bound form, with nothing to check."""

    data: dict = {}
    errors: dict = {}
    cleaned_data = dict.fromkeys(ActionFilterForm.base_fields)

    @staticmethod
    def non_field_errors() -> list:
        return []

    @staticmethod
    def is_valid() -> bool:
        return True


@login_required
@require_GET
def action_list(request):
    """The coordinator: every item, filtered; a head, deputy or liaison: their department's open
    items; anyone else: their own open items (我的待办). One page by (due date, id)."""
    now = timezone.now()
    roles = _roles(request, now)
    context = {"now": now, "scope": "mine", "form": None, "departments": [], "department": None}
    if roles.is_coordinator:
        filtered = any(request.GET.get(name) for name in ActionFilterForm.base_fields)
        form = ActionFilterForm(request.GET) if filtered else _NoFilter()
        context.update(form=form, scope="all", **_filter_fields())
        if form.is_valid():
            data = form.cleaned_data
            overdue = {"yes": True, "no": False}.get(data["overdue"])
            page = selectors.actions_for_coordinator(
                now=now,
                department=data["department"],
                status=data["status"] or None,
                overdue=overdue,
                meeting=data["meeting"],
                series=data["series"],
                due_from=data["due_from"],
                due_to=data["due_to"],
                after=parse_key(request.GET.get("after", "")),
                limit=selectors.PAGE_SIZE,
            )
        else:
            page = selectors.Page(items=[], next_key=None)
    else:
        dept_ids = sorted(set().union(*(roles.departments(r) for r in DEPARTMENT_VIEW_ROLES)))
        after = parse_key(request.GET.get("after", ""))
        if dept_ids:
            departments = list(Department.objects.filter(pk__in=dept_ids).order_by("name"))
            chosen = request.GET.get("department", "")
            department = next((d for d in departments if str(d.pk) == chosen), departments[0])
            context.update(scope="department", departments=departments, department=department)
            page = _keyset_page(now, department=department, after=after)
        else:
            page = _keyset_page(now, owner=request.user, after=after)
    context["acks"] = selectors.ack_duties_for_liaison(sorted(roles.departments(Role.LIAISON)))
    selectors.colour_rows(page.items, now=now)
    context["page"] = page
    context["rows"] = rows_html(
        (
            r.pk,
            r.title,
            r.owner_name or r.owner_username,
            r.department_name,
            r.due_on.isoformat(),
            r.colour,
            r.status,
            r.meeting_title,
        )
        for r in page.items
    )
    context["options_html"] = _options_html
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
    owner = user.pk == item.owner_id
    coordinator = roles.is_coordinator
    liaison = roles.has(Role.LIAISON, item.department_id)
    department = any(roles.has(r, item.department_id) for r in DEPARTMENT_VIEW_ROLES)
    is_open = item.status in selectors.OPEN_STATES
    return Abilities(
        see=owner or coordinator or department or roles.has(Role.LEADERSHIP),
        start=owner and item.status == S.OPEN,
        complete=owner and is_open,
        cancel=coordinator and is_open,
        reopen=coordinator and item.status in (S.DONE, S.CANCELLED),
        report=liaison and is_open,
    )


def _item(pk: int) -> ActionItem:
    return get_object_or_404(
        ActionItem.objects.select_related("department", "owner", "meeting", "decision"), pk=pk
    )


def _detail(request, item: ActionItem, now, status: int = 200, **forms):
    roles = _roles(request, now)
    can = _abilities(item, request.user, roles)
    if not can.see:
        raise Http404
    calendar = business_calendar()
    context = {
        "now": now,
        "item": item,
        "decision": item.decision,
        "meeting": item.meeting,
        "overdue": selectors.is_overdue(item, now=now, calendar=calendar),
        "deadline": selectors.action_deadline(item.due_on, calendar),
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
    return _detail(request, _item(pk), timezone.now())


@login_required
@require_POST
def action_start(request, pk: int):
    now = timezone.now()
    item = _item(pk)
    services.action_start(item=item, actor=request.user, now=now)
    messages.success(request, _("Work on the action item has started."))
    return redirect("actions:detail", pk)


def _form_step(request, pk: int, *, form_class, form_key: str, allowed, call, done: str, prefix=None):
    """Shared shape of the steps with a form: authorise, parse, call the service, re-render on error."""
    now = timezone.now()
    item = _item(pk)
    require(allowed(item, _roles(request, now)), _("You may not take this step on this action item."))
    form = form_class(request.POST, prefix=prefix) if prefix else form_class(request.POST)
    if form.is_valid():
        try:
            call(item=item, data=form.cleaned_data, actor=request.user, now=now)
        except DomainError as err:
            form.add_error(err.field if err.field in form.fields else None, str(err))
        else:
            messages.success(request, done)
            return redirect("actions:detail", pk)
    return _detail(request, item, now, status=400, **{form_key: form})


@login_required
@require_POST
def action_complete(request, pk: int):
    return _form_step(
        request,
        pk,
        form_class=CompleteForm,
        form_key="complete_form",
        allowed=lambda item, roles: request.user.pk == item.owner_id,
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
        form_class=ReasonForm,
        prefix="cancel",
        form_key="cancel_form",
        allowed=lambda item, roles: roles.is_coordinator,
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
        form_class=ReasonForm,
        prefix="reopen",
        form_key="reopen_form",
        allowed=lambda item, roles: roles.is_coordinator,
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
        form_class=ProgressForm,
        form_key="progress_form",
        allowed=lambda item, roles: roles.has(Role.LIAISON, item.department_id),
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
    from xietong.meetings.models import Meeting

    now = timezone.now()
    meeting = get_object_or_404(Meeting, pk=meeting_pk)
    department = get_object_or_404(Department, pk=department_pk)
    duty = services.tasks_acknowledge(meeting=meeting, department=department, actor=request.user, now=now)
    if duty.state == duty.State.BREACHED:
        messages.warning(request, _("Acknowledged late (%(clause)s).") % {"clause": duty.clause})
    else:
        messages.success(request, _("Receipt of the tasks acknowledged."))
    return redirect("actions:list")
