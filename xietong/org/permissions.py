"""Who holds which role — the one place role questions are answered.

Roles come from RoleAssignment rows, plus those of anyone who has delegated to the
person for a period covering the day asked about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q
from django.utils import timezone

from xietong.core.errors import Forbidden

from .models import Delegation, Person, Role, RoleAssignment


@dataclass(frozen=True)
class Roles:
    org_roles: frozenset[str] = frozenset()
    # role -> department ids
    dept_roles: dict[str, frozenset[int]] = field(default_factory=dict)

    def has(self, role: str, department_id: int | None = None) -> bool:
        if department_id is None:
            return role in self.org_roles or bool(self.dept_roles.get(role))
        return department_id in self.dept_roles.get(role, frozenset())

    def departments(self, role: str) -> frozenset[int]:
        return self.dept_roles.get(role, frozenset())

    @property
    def is_coordinator(self) -> bool:
        return Role.COORDINATOR in self.org_roles


def roles_of(person: Person, *, on: date | None = None) -> Roles:
    """The person's roles on ``on`` (today in Shanghai by default), delegations included."""
    if person is None or not person.is_authenticated:
        return Roles()
    on = on or timezone.localdate()
    cache = getattr(person, "_roles_cache", None)
    if cache is not None and cache[0] == on:
        return cache[1]
    # One query: the person's own assignments and those of whoever delegated to them on ``on``.
    principals = Delegation.objects.filter(delegate=person, starts_on__lte=on, ends_on__gte=on)
    found = RoleAssignment.objects.filter(
        Q(person=person) | Q(person_id__in=principals.values("principal_id"))
    ).values_list("role", "department_id")
    org_roles: set[str] = set()
    dept_roles: dict[str, set[int]] = {}
    for role, department_id in found:
        if department_id is None:
            org_roles.add(role)
        else:
            dept_roles.setdefault(role, set()).add(department_id)
    roles = Roles(frozenset(org_roles), {k: frozenset(v) for k, v in dept_roles.items()})
    person._roles_cache = (on, roles)
    return roles


def require(condition: bool, message=None) -> None:
    if not condition:
        raise Forbidden(message)


def holders(role: str, department_id: int | None = None) -> list[Person]:
    """People holding ``role`` (for ``department_id`` when it is a department role)."""
    qs = Person.objects.filter(is_active=True, roles__role=role)
    if department_id is not None:
        qs = qs.filter(roles__department_id=department_id)
    return list(qs.distinct().select_related("department"))


@dataclass(frozen=True)
class MobileScope:
    """Whose mobile number a viewer may read (PIPL's minimum necessary): the coordinator and
    administrators everyone's, a department head their department's people, everyone their own.
    """

    everyone: bool = False
    department_ids: frozenset[int] = frozenset()
    person_id: int | None = None

    @property
    def others(self) -> bool:
        """Whether the scope reaches anyone besides the viewer (a directory column is worth it)."""
        return self.everyone or bool(self.department_ids)

    def covers(self, person: Person) -> bool:
        return (
            self.everyone
            or (self.person_id is not None and person.pk == self.person_id)
            or (person.department_id is not None and person.department_id in self.department_ids)
        )


def mobile_scope(viewer, *, on: date | None = None) -> MobileScope:
    """The one answer to "whose mobile may ``viewer`` see", for every page that shows mobiles."""
    if viewer is None or not viewer.is_authenticated:
        return MobileScope()
    roles = roles_of(viewer, on=on)
    if viewer.is_superuser or roles.is_coordinator:
        return MobileScope(everyone=True, person_id=viewer.pk)
    return MobileScope(department_ids=roles.departments(Role.HEAD), person_id=viewer.pk)
