"""Who holds which role — the one place role questions are answered.

Roles come from RoleAssignment rows, plus those of anyone who has delegated to the
person for a period covering the day asked about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db import connections, router
from django.utils import timezone

from xietong.core.errors import Forbidden

from .models import Person, Role, RoleAssignment


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


_ROLES_SQL = """
SELECT "role", "department_id" FROM "org_roleassignment"
WHERE "person_id" = %s OR "person_id" IN (
  SELECT "principal_id" FROM "org_delegation" WHERE "delegate_id" = %s AND "starts_on" <= %s AND "ends_on" >= %s)
"""


def roles_of(person: Person, *, on: date | None = None) -> Roles:
    """The person's roles on ``on`` (today in Shanghai by default), delegations included."""
    if person is None or not person.is_authenticated:
        return Roles()
    on = on or timezone.localdate()
    cache = getattr(person, "_roles_cache", None)
    if cache is not None and cache[0] == on:
        return cache[1]
    # One plain query (asked on every page; building it through the ORM cost more than
    # running it): the person's own assignments and those of whoever delegated to them on ``on``.
    connection = connections[router.db_for_read(RoleAssignment)]
    day = connection.ops.adapt_datefield_value(on)
    with connection.cursor() as cursor:
        cursor.execute(_ROLES_SQL, [person.pk, person.pk, day, day])
        found = cursor.fetchall()
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
