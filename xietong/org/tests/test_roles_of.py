"""roles_of (one plain query): own roles plus those of whoever delegated to the person, on the
days the delegation covers (both ends included), and cached per person and day."""

from __future__ import annotations

from datetime import date, timedelta

from xietong.org.models import Delegation, Person, Role
from xietong.org.permissions import roles_of

START = date(2026, 3, 2)
END = date(2026, 3, 6)


def test_delegated_roles_on_the_covered_days_only(torg, django_assert_num_queries):
    tech = torg.departments["tech"].pk
    Delegation.objects.create(
        principal=torg.tech_head, delegate=torg.tech_deputy, starts_on=START, ends_on=END
    )
    for day, holds in [
        (START - timedelta(days=1), False),
        (START, True),
        (END, True),
        (END + timedelta(days=1), False),
    ]:
        deputy = Person.objects.get(pk=torg.tech_deputy.pk)
        with django_assert_num_queries(1):
            roles = roles_of(deputy, on=day)
            assert roles_of(deputy, on=day) is roles  # cached for the day
        assert roles.has(Role.HEAD, tech) is holds, day
        assert roles.has(Role.DEPUTY, tech)  # their own role, every day
    head = roles_of(torg.tech_head, on=START)
    assert head.has(Role.HEAD, tech) and not head.is_coordinator
    assert roles_of(torg.coordinator, on=START).is_coordinator
    assert roles_of(torg.outsider, on=START).org_roles == frozenset()
    assert not any(roles_of(torg.outsider, on=START).dept_roles.values())
