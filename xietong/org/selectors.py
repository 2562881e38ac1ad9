"""Reading the organisation: the department tree, the people directory, delegations."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Prefetch, Q, QuerySet

from xietong.core.params import MAX_ID

from .models import DEPARTMENT_ROLES, Delegation, Department, Person, Role, RoleAssignment

PEOPLE_PAGE_SIZE = 50


@dataclass
class DepartmentNode:
    department: Department
    depth: int = 0
    children: list[DepartmentNode] = field(default_factory=list)
    heads: list[Person] = field(default_factory=list)
    deputies: list[Person] = field(default_factory=list)
    liaisons: list[Person] = field(default_factory=list)


def department_tree() -> list[DepartmentNode]:
    """Every department, depth first (parents before children, siblings by order and name).

    Two queries whatever the size: the departments, and the holders of department roles.
    """
    departments = list(Department.objects.order_by("sort_order", "name", "id"))
    nodes: dict[int | None, DepartmentNode] = {d.pk: DepartmentNode(d) for d in departments}
    assignments = (
        RoleAssignment.objects.filter(
            role__in=DEPARTMENT_ROLES, department__isnull=False, person__is_active=True
        )
        .select_related("person")
        .order_by("person__full_name", "person_id")
    )
    slot: dict[str, str] = {Role.HEAD: "heads", Role.DEPUTY: "deputies", Role.LIAISON: "liaisons"}
    for assignment in assignments:
        node = nodes.get(assignment.department_id)
        if node is not None:
            getattr(node, slot[assignment.role]).append(assignment.person)
    roots: list[DepartmentNode] = []
    for d in departments:
        parent = nodes.get(d.parent_id) if d.parent_id else None
        (parent.children if parent is not None else roots).append(nodes[d.pk])

    ordered: list[DepartmentNode] = []
    seen: set[int] = set()

    def walk(node: DepartmentNode, depth: int) -> None:
        if node.department.pk in seen:
            return
        seen.add(node.department.pk)
        node.depth = depth
        ordered.append(node)
        for child in node.children:
            walk(child, depth + 1)

    for root in roots:
        walk(root, 0)
    # A parent cycle (only possible by hand in the admin) would hide its members: show them at the top.
    for d in departments:
        walk(nodes[d.pk], 0)
    return ordered


def encode_cursor(person: Person) -> str:
    raw = json.dumps([person.full_name, person.pk], ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str | None) -> tuple[str, int] | None:
    """The (name, id) a page starts after; None for a missing or mangled token."""
    if not token:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        name, pk = json.loads(raw)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        return None
    if not isinstance(name, str) or not isinstance(pk, int) or isinstance(pk, bool) or not 0 < pk <= MAX_ID:
        return None
    return name, pk


def people_page(
    *, department_id: int | None = None, after: str | None = None, limit: int = PEOPLE_PAGE_SIZE
) -> tuple[list[Person], str | None]:
    """One page of active people ordered by (name, id), and the cursor of the next page.

    Keyset pagination: the page starts after the (name, id) in ``after``; no OFFSET, no COUNT.
    Two queries: the people (with department), their roles.
    """
    qs = Person.objects.filter(is_active=True)
    if department_id is not None:
        qs = qs.filter(department_id=department_id)
    position = decode_cursor(after)
    if position is not None:
        name, pk = position
        qs = qs.filter(Q(full_name__gt=name) | Q(full_name=name, pk__gt=pk))
    qs = (
        qs.select_related("department")
        .prefetch_related(Prefetch("roles", queryset=RoleAssignment.objects.select_related("department")))
        .order_by("full_name", "id")
    )
    people = list(qs[: limit + 1])
    if len(people) > limit:
        people = people[:limit]
        return people, encode_cursor(people[-1])
    return people, None


def person_detail(pk: int, *, today: date) -> Person:
    """A person with department, roles and current or future delegations preloaded (DoesNotExist if absent)."""
    active = Delegation.objects.filter(ends_on__gte=today).order_by("starts_on", "id")
    return (
        Person.objects.select_related("department")
        .prefetch_related(
            Prefetch("roles", queryset=RoleAssignment.objects.select_related("department").order_by("role")),
            Prefetch("delegations_given", queryset=active.select_related("delegate")),
            Prefetch("delegations_received", queryset=active.select_related("principal")),
        )
        .get(pk=pk)
    )


def current_delegations(*, today: date, limit: int = 200) -> QuerySet[Delegation]:
    """Delegations not yet over, soonest first, people preloaded (bounded: a handful at any time)."""
    return (
        Delegation.objects.filter(ends_on__gte=today)
        .select_related("principal__department", "delegate__department")
        .order_by("starts_on", "id")[:limit]
    )


def departments_for_filter() -> QuerySet[Department]:
    return Department.objects.filter(is_active=True).order_by("sort_order", "name")
