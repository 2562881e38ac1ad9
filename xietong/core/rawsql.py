"""Helpers for the few hot reads whose SQL is written out (``Model.objects.raw`` or a cursor).

On the pages everyone opens, building a query through the ORM (joins, subqueries, ordering on
related fields) cost several times running it on this hardware (bench/README.md); those reads
spell their SQL out and are tested against the ORM filters they replace. Values read from a
joined table come back as the database returns them: ``aware`` gives datetimes as the ORM
would, ``partial`` builds a related instance with only the columns read (the others are
deferred and load on access, as with ``.only()``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils import timezone


def aware(value):
    """A datetime read outside the ORM as the ORM returns it (SQLite stores naive UTC)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is not None and timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    return value


def partial(model, db: str, **values):
    """An instance of ``model`` with only ``values`` loaded (by attname; the rest deferred)."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(db, names, [values[n] for n in names])


def set_prefetched(instance, name: str, rows: list) -> None:
    """Make ``instance.<name>.all()`` answer ``rows`` without a query, as prefetch_related does
    (``name``: a reverse relation whose rows were read by hand)."""
    qs = getattr(instance, name).get_queryset()
    qs._result_cache = rows
    qs._prefetch_done = True
    if not hasattr(instance, "_prefetched_objects_cache"):
        instance._prefetched_objects_cache = {}
    instance._prefetched_objects_cache[name] = qs


def columns(model, alias: str, prefix: str) -> str:
    """Every column of ``model`` read from the table aliased ``alias``, as "<prefix><attname>"
    (for a joined table whose whole row is wanted; see ``joined``)."""
    return ", ".join(f'{alias}."{f.column}" AS "{prefix}{f.attname}"' for f in model._meta.concrete_fields)


_converters: dict[tuple, list] = {}


def joined(model, row, prefix: str):
    """The ``model`` instance read through ``columns(model, alias, prefix)`` on the raw-query
    ``row`` (None when the outer join found none), each value converted as the ORM converts
    it (aware datetimes, booleans, JSON)."""
    from django.db import connections

    db = row._state.db
    if getattr(row, prefix + model._meta.pk.attname) is None:
        return None
    connection = connections[db]
    fields = _converters.get((model, db))
    if fields is None:
        fields = []
        for f in model._meta.concrete_fields:
            col = f.get_col(model._meta.db_table)
            fields.append(
                (f.attname, col, connection.ops.get_db_converters(col) + col.get_db_converters(connection))
            )
        _converters[(model, db)] = fields
    names, values = [], []
    for attname, col, converters in fields:
        value = getattr(row, prefix + attname)
        for convert in converters:
            value = convert(value, col, connection)
        names.append(attname)
        values.append(value)
    return model.from_db(db, names, values)


_plans: dict[tuple, list] = {}


def instances(model, sql: str, params, *, using: str | None = None) -> list:
    """``model.objects.raw(sql, params)`` as a list, for the pages read on every visit.

    The same instances (model columns by name, converted as the ORM converts them; other
    columns set as plain attributes, unconverted, as ``raw()`` does), without the per-query
    set-up of ``RawQuerySet``, which on a few rows cost several times the query: the plan for
    reading a given list of columns is worked out once per process."""
    from django.db import connections, router

    db = using or router.db_for_read(model)
    connection = connections[db]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        if not rows:
            return []
        names = tuple(c[0] for c in cursor.description)
    key = (model, db, names)
    plan = _plans.get(key)
    if plan is None:
        order = {f.column: i for i, f in enumerate(model._meta.concrete_fields)}
        by_column = {f.column: f for f in model._meta.concrete_fields}
        if model._meta.pk.column not in names:
            raise ValueError(f"the query must read {model._meta.pk.column!r} of {model.__name__}")
        fields, extras = [], []
        for index, name in enumerate(names):
            field = by_column.get(name)
            if field is None:
                extras.append((index, name))
                continue
            col = field.get_col(model._meta.db_table)
            converters = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            fields.append((index, field.attname, col, converters))
        # Model.from_db takes the values in the model's field order, whatever the query's.
        fields.sort(key=lambda f: order[f[2].target.column])
        plan = _plans[key] = [tuple(f[1] for f in fields), fields, extras]
    attnames, fields, extras = plan
    found = []
    for row in rows:
        values = []
        for index, _attname, col, converters in fields:
            value = row[index]
            for convert in converters:
                value = convert(value, col, connection)
            values.append(value)
        instance = model.from_db(db, attnames, values)
        for index, name in extras:
            setattr(instance, name, row[index])
        found.append(instance)
    return found
