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
