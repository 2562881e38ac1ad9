"""Notification pages: inbox, preferences, department robots, the coordinator's delivery list."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xietong.core.auth import login_required
from xietong.core.errors import DomainError
from xietong.core.forms import submit_action, submit_form
from xietong.core.health import job_health
from xietong.core.optlock import StaleEdit
from xietong.core.params import parse_id
from xietong.org.models import Department, Role
from xietong.org.permissions import require, roles_of
from xietong.policy.calendar import as_shanghai

from . import selectors, services
from .forms import PreferenceForm, RobotForm
from .models import ROBOT_CHANNELS, Delivery, DepartmentRobot, Message
from .topics import render as render_topic


def _roles(request, now):
    return roles_of(request.user, on=as_shanghai(now).date())


@login_required
@require_GET
def inbox(request):
    page = selectors.inbox_page(request.user, after=selectors.parse_key(request.GET.get("after", "")))
    rows = [(m, render_topic(m.topic, m.params)) for m in page.items]
    context = {
        "rows": rows,
        "unread": selectors.unread_count(request.user),
        "next_link": f"?after={selectors.format_key(page.next_key)}" if page.next_key else "",
    }
    return render(request, "notify/inbox.html", context)


@login_required
@require_GET
def badge(request):
    """The nav's unread count, loaded by htmx so other pages pay no query for it."""
    count = selectors.unread_count(request.user)
    fragment = f'<span class="badge late" data-unread-count="{count}">{count}</span>' if count else ""
    return HttpResponse(fragment)


@login_required
@require_POST
def mark_read(request, pk: int):
    message = get_object_or_404(Message, pk=pk, recipient=request.user)
    services.message_mark_read(actor=request.user, now=timezone.now(), message=message)
    if message.link and request.POST.get("open"):
        return redirect(message.link)
    return redirect("notify:inbox")


@login_required
@require_POST
def mark_all_read(request):
    services.messages_mark_all_read(actor=request.user, now=timezone.now())
    return redirect("notify:inbox")


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    pref = selectors.preference_of(request.user)
    initial = {"email": pref.email, "robots": pref.robots, "daily_digest": pref.daily_digest}
    form = PreferenceForm(request.POST or None, initial=initial)

    def page(status: int = 200):
        now = timezone.now()
        context = {
            "form": form,
            "manages_robots": bool(_manageable_departments(request, now)),
            "is_coordinator": _roles(request, now).is_coordinator,
        }
        return render(request, "notify/preferences.html", context, status=status)

    if request.method != "POST":
        return page()
    return submit_form(
        request,
        form,
        lambda data, **who: services.preference_set(person=request.user, **data, **who),
        success=_("Your notification settings are saved."),
        redirect_to=reverse("notify:preferences"),
        invalid=page,
    )


def _manageable_departments(request, now) -> list[Department]:
    roles = _roles(request, now)
    qs = Department.objects.filter(is_active=True)
    if not roles.is_coordinator:
        qs = qs.filter(pk__in=roles.departments(Role.HEAD))
    return list(qs.order_by("sort_order", "name"))


@login_required
@require_http_methods(["GET", "POST"])
def robots(request, department_pk: int | None = None):
    """A department head (their departments) or the coordinator (every department)."""
    now = timezone.now()
    departments = _manageable_departments(request, now)
    require(bool(departments), _("Only a department head or the coordinator manages group robots."))
    department = departments[0]
    if department_pk is not None:
        department = next((d for d in departments if d.pk == department_pk), None)
        require(department is not None, _("Only a department head or the coordinator manages group robots."))
    existing = selectors.robots_of(department)
    chosen = existing.get(request.GET.get("kind", ""))
    if chosen is not None:
        initial = {"kind": chosen.kind, "is_active": chosen.is_active}
        form = RobotForm(request.POST or None, initial=initial, version=chosen.edit_version)
    else:
        form = RobotForm(request.POST or None, version=0)

    def page(status: int = 200):
        existing = selectors.robots_of(department)
        context = {
            "departments": departments,
            "department": department,
            "robots": [existing[k] for k in ROBOT_CHANNELS if k in existing],
            "form": form,
        }
        return render(request, "notify/robots.html", context, status=status)

    def stale(err: StaleEdit):
        saved = selectors.robots_of(department).get(form.cleaned_data["kind"])
        form.mark_stale(err, saved=RobotForm(initial=_robot_initial(saved) if saved else {}))
        return page(409)

    if request.method != "POST":
        return page()
    return submit_form(
        request,
        form,
        lambda data, **who: services.robot_set(
            department=department,
            kind=data["kind"],
            webhook_url=data["webhook_url"],
            secret=data["secret"],
            is_active=data["is_active"],
            expected_version=form.expected_version,
            **who,
        ),
        success=_("The group robot is saved."),
        redirect_to=reverse("notify:department_robots", args=[department.pk]),
        invalid=page,
        stale=stale,
        now=now,
    )


def _robot_initial(robot: DepartmentRobot) -> dict:
    """A saved robot as the stale panel shows it: the address without its credential, no secret."""
    return {"kind": robot.kind, "webhook_url": robot.masked_url, "is_active": robot.is_active}


@login_required
@require_POST
def robot_remove(request, pk: int):
    robot = selectors.get_robot_for_user(request.user, pk)
    return submit_action(
        request,
        lambda **who: services.robot_remove(robot=robot, **who),
        success=_("The group robot was removed."),
        redirect_to=reverse("notify:department_robots", args=[robot.department_id]),
    )


@login_required
@require_POST
def robot_test(request, pk: int):
    robot = selectors.get_robot_for_user(request.user, pk)
    try:
        services.robot_test(actor=request.user, now=timezone.now(), robot=robot)
    except DomainError as err:
        if err.code != "robot_test_failed":
            raise
        messages.error(request, str(err))
    else:
        messages.success(request, _("The test message was sent; check the group chat."))
    return redirect("notify:department_robots", robot.department_id)


@login_required
@require_GET
def deliveries(request):
    """The coordinator's dead-letter list (and deliveries still failing), with retry."""
    now = timezone.now()
    require(_roles(request, now).is_coordinator, _("Only the coordinator sees the delivery list."))
    state = "failing" if request.GET.get("state") == "failing" else Delivery.State.DEAD
    page = selectors.deliveries_for_coordinator(state=state, after=parse_id(request.GET.get("after")))
    rows = [
        (d, render_topic(d.message.topic, d.message.params) if d.message_id else None) for d in page.items
    ]
    context = {
        "rows": rows,
        "jobs": job_health(now=now),
        "stale_minutes": settings.HEALTH_STALE_MINUTES,
        "state": state,
        "next_link": f"?state={state}&after={page.next_key[1]}" if page.next_key else "",
    }
    return render(request, "notify/deliveries.html", context)


@login_required
@require_POST
def retry(request):
    now = timezone.now()
    ids = (
        None
        if request.POST.get("all")
        else [n for n in map(parse_id, request.POST.getlist("delivery")) if n is not None]
    )
    return submit_action(
        request,
        lambda **who: services.notify_retry(delivery_ids=ids, **who),
        success=lambda count: _("%(n)s deliveries will be sent again.") % {"n": count},
        redirect_to=reverse("notify:deliveries"),
        now=now,
    )
