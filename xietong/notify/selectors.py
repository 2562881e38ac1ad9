"""Notification reads: the inbox (keyset pages, unread first), the badge count, delivery lists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Case, IntegerField, Q, Value, When
from django.shortcuts import get_object_or_404
from django.utils import timezone

from xietong.core.params import parse_id, parse_int
from xietong.org.models import Department, Role
from xietong.org.permissions import require, roles_of
from xietong.policy.calendar import as_shanghai

from .models import Delivery, DepartmentRobot, Message, Preference

PAGE_SIZE = 30


@dataclass(frozen=True)
class Page:
    items: list
    next_key: tuple[int, int] | None


def unread_count(person) -> int:
    """One COUNT over the partial index of unread messages."""
    return Message.objects.filter(recipient=person, read_at__isnull=True).count()


def inbox_page(person, *, after: tuple[int, int] | None = None, limit: int | None = None) -> Page:
    """The person's messages, unread first, newest first within each; keyset (read, id)."""
    limit = limit or PAGE_SIZE
    qs = Message.objects.filter(recipient=person).annotate(
        is_read=Case(When(read_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField())
    )
    if after is not None:
        read, pk = after
        qs = qs.filter(Q(is_read__gt=read) | Q(is_read=read, id__lt=pk))
    rows = list(qs.order_by("is_read", "-id")[: limit + 1])
    next_key = (rows[limit - 1].is_read, rows[limit - 1].pk) if len(rows) > limit else None
    return Page(items=rows[:limit], next_key=next_key)


def parse_key(raw: str) -> tuple[int, int] | None:
    read_text, _sep, pk_text = raw.partition("-")
    read, pk = parse_int(read_text, maximum=1), parse_id(pk_text)
    if read is None or pk is None:
        return None
    return read, pk


def format_key(key: tuple[int, int]) -> str:
    return f"{key[0]}-{key[1]}"


def deliveries_for_coordinator(*, state: str, after: int | None = None, limit: int | None = None) -> Page:
    """Dead (or still failing) deliveries, newest first, with what the page shows preloaded."""
    limit = limit or PAGE_SIZE
    qs = Delivery.objects.select_related("person", "message", "robot__department")
    if state == Delivery.State.DEAD:
        qs = qs.filter(state=Delivery.State.DEAD)
    else:  # failing: pending with at least one failed attempt
        qs = qs.filter(state=Delivery.State.PENDING).exclude(last_error="")
    if after is not None:
        qs = qs.filter(id__lt=after)
    rows = list(qs.order_by("-id")[: limit + 1])
    next_key = (0, rows[limit - 1].pk) if len(rows) > limit else None
    return Page(items=rows[:limit], next_key=next_key)


def robots_of(department) -> dict[str, DepartmentRobot]:
    return {r.kind: r for r in DepartmentRobot.objects.filter(department=department)}


def preference_of(person) -> Preference:
    """The person's channel choices (an unsaved row with the defaults when never set)."""
    try:
        return person.notify_preference
    except Preference.DoesNotExist:
        return Preference(person=person)


# ---- group robots ------------------------------------------------------------------------------


def can_manage_robots(actor, department: Department, now: datetime) -> bool:
    """The coordinator manages every department's group robots, a department head their own."""
    roles = roles_of(actor, on=as_shanghai(now).date())
    return roles.is_coordinator or roles.has(Role.HEAD, department.pk)


def get_robot_for_user(person, pk: int, *, now: datetime | None = None) -> DepartmentRobot:
    """Group robot ``pk`` with its department, for one who manages it (can_manage_robots):
    Forbidden for anyone else, Http404 only when there is no such robot. Robots have no page of
    their own; every use of one is a step (test, remove)."""
    robot = get_object_or_404(DepartmentRobot.objects.select_related("department"), pk=pk)
    require(can_manage_robots(person, robot.department, now or timezone.now()))
    return robot
