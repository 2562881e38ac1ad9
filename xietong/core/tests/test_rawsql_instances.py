"""rawsql.instances: the instances Model.objects.raw() gives, without its per-query set-up."""

from __future__ import annotations

from datetime import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from xietong.core.rawsql import instances
from xietong.org.models import Organization, Person

pytestmark = pytest.mark.django_db


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_whole_rows_match_raw_whatever_the_column_order(torg):
    Organization.objects.filter(pk=torg.org.pk).update(
        extra_closed_days=["2026-03-09"], extra_working_days=["2026-03-14"], work_start=time(8, 30)
    )
    sql = 'SELECT "work_end", "name", "extra_working_days", "id", "extra_closed_days", "work_start" FROM "org_organization"'
    expected = list(Organization.objects.raw(sql))
    found = instances(Organization, sql, [])
    assert [_fields(o) for o in found] == [_fields(o) for o in expected]
    assert found[0].extra_closed_days == ["2026-03-09"]  # JSON decoded
    assert found[0].work_start == time(8, 30)  # a time, not text


def test_datetimes_are_aware_extras_are_attributes_and_the_rest_is_deferred(torg):
    people = list(Person.objects.order_by("pk"))
    sql = (
        'SELECT p."id", p."full_name", p."last_login", p."date_joined", d."name" AS d_name'
        ' FROM "org_person" p LEFT JOIN "org_department" d ON d."id" = p."department_id"'
        ' WHERE p."id" IN (%s, %s) ORDER BY p."id"'
    )
    params = [people[0].pk, people[1].pk]
    expected = list(Person.objects.raw(sql, params))
    found = instances(Person, sql, params)
    assert [(p.pk, p.full_name, p.date_joined, p.d_name) for p in found] == [
        (p.pk, p.full_name, p.date_joined, p.d_name) for p in expected
    ]
    assert found[0].date_joined.tzinfo is not None
    assert found[0].get_deferred_fields() == expected[0].get_deferred_fields()
    with CaptureQueriesContext(connection) as ctx:
        assert found[0].username == people[0].username  # deferred: loaded on access
    assert len(ctx.captured_queries) == 1


def test_no_rows_and_a_query_without_the_primary_key(torg):
    assert instances(Person, 'SELECT "id" FROM "org_person" WHERE "id" < 0', []) == []
    with pytest.raises(ValueError, match="id"):
        instances(Person, 'SELECT "full_name" FROM "org_person"', [])
