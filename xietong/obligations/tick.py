"""The scheduler's pass over the ledger: breaches, reminders and escalations, set-based.

Each step is one ``UPDATE … RETURNING id`` whose WHERE clause is also its guard (a row leaves
the matched set the moment it is updated), followed in the same transaction by one
``INSERT … SELECT`` into core_event (the notify app's outbox). Two workers running the same
tick therefore cannot both change a row, and so cannot both write its event: on PostgreSQL
the second UPDATE re-checks the WHERE clause after waiting for the first one's row locks; on
SQLite the writers queue on the database lock (transaction_mode IMMEDIATE). A crash rolls
the state change and its events back together.

Only rows that are due are touched, through the partial indexes on ``due_at`` and
``remind_at`` of pending duties, so the cost follows what is due, not the ledger's size.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction

from xietong.core.models import Event
from xietong.policy.models import PolicyVersion

from .models import Obligation

# Under SQLite's default limit of bound variables even on old builds.
_CHUNK = 900

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Written into the SQL as literals, not bound: SQLite uses a partial index ("WHERE state =
# 'pending'") only when the query's own WHERE clause visibly implies its condition. They are
# model constants, never input — hence the S608 waivers on these statements.
_PENDING, _BREACHED, _MET = (
    Obligation.State.PENDING.value,
    Obligation.State.BREACHED.value,
    Obligation.State.MET.value,
)


@dataclass
class TickResult:
    breached: int = 0
    reminded: dict[int, int] = field(default_factory=dict)  # step -> count
    escalated: int = 0


def _tables() -> tuple[str, str]:
    qn = connection.ops.quote_name
    return qn(Obligation._meta.db_table), qn(Event._meta.db_table)


def _dt(value: datetime):
    return connection.ops.adapt_datetimefield_value(value)


def _insert_events(ids: list[int], *, name: str, now: datetime, data: dict, subject_type_id: int) -> None:
    """One event per obligation id, all with the same name and data, set-based."""
    ob_table, ev_table = _tables()
    payload = json.dumps(data, separators=(",", ":"))
    # PostgreSQL types an untyped parameter in a SELECT list as text; the column is jsonb.
    data_sql = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    with connection.cursor() as cursor:
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = ",".join(["%s"] * len(chunk))
            cursor.execute(
                f"INSERT INTO {ev_table} (name, actor_id, at, subject_type_id, subject_id, data) "  # noqa: S608
                f"SELECT %s, NULL, %s, %s, id, {data_sql} FROM {ob_table} WHERE id IN ({marks})",
                [name, _dt(now), subject_type_id, payload, *chunk],
            )


def _breach(now: datetime, subject_type_id: int) -> list[int]:
    ob_table, _ev = _tables()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {ob_table} SET state = '{_BREACHED}', remind_at = NULL, remind_second_at = NULL "  # noqa: S608
            f"WHERE state = '{_PENDING}' AND due_at < %s RETURNING id",
            [_dt(now)],
        )
        ids = [row[0] for row in cursor.fetchall()]
    _insert_events(ids, name="obligation.breached", now=now, data={}, subject_type_id=subject_type_id)
    return ids


def _remind(now: datetime, subject_type_id: int) -> dict[int, int]:
    """Send the reminders whose moment has come; when both have (the scheduler was down), only the
    second. ``reminded_step`` only grows, and ``remind_at`` moves on in the same statement."""
    ob_table, _ev = _tables()
    at = _dt(now)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {ob_table} SET "  # noqa: S608
            f"reminded_step = CASE WHEN remind_second_at IS NOT NULL AND remind_second_at <= %s "
            f"THEN reminded_step + 2 ELSE reminded_step + 1 END, "
            f"remind_at = CASE WHEN remind_second_at IS NOT NULL AND remind_second_at <= %s "
            f"THEN NULL ELSE remind_second_at END, "
            f"remind_second_at = NULL "
            f"WHERE state = '{_PENDING}' AND remind_at IS NOT NULL AND remind_at <= %s AND due_at >= %s "
            f"RETURNING id, reminded_step",
            [at, at, at, at],
        )
        rows = cursor.fetchall()
    by_step: dict[int, list[int]] = {}
    for pk, step in rows:
        by_step.setdefault(step, []).append(pk)
    for step, ids in sorted(by_step.items()):
        _insert_events(
            ids, name="obligation.reminder", now=now, data={"step": step}, subject_type_id=subject_type_id
        )
    return {step: len(ids) for step, ids in by_step.items()}


def _run_length(owner: str) -> str:
    """The COUNT subquery for one owner column ("responsible_id" or "department_id")."""
    ob_table, _ev = _tables()
    extra = "" if owner == "responsible_id" else " AND {t}.responsible_id IS NULL"
    p_extra, m_extra = extra.format(t="p"), extra.format(t="m")
    return (
        f"(SELECT COUNT(*) FROM {ob_table} p WHERE p.{owner} = o.{owner}{p_extra} "  # noqa: S608
        f"AND p.kind = o.kind AND p.state = '{_BREACHED}' AND p.due_at <= o.due_at "
        f"AND (p.due_at < o.due_at OR p.id <= o.id) "
        f"AND p.due_at > COALESCE((SELECT m.due_at FROM {ob_table} m WHERE m.{owner} = o.{owner}{m_extra} "
        f"AND m.kind = o.kind AND m.state = '{_MET}' AND m.due_at <= o.due_at "
        f"ORDER BY m.due_at DESC LIMIT 1), %s))"
    )


def consecutive_misses(ids: list[int]) -> dict[int, int]:
    """For each breached obligation id: how many breached duties in a row its owner has, ending with it.

    "Consecutive" means: among the owner's duties of the same kind, in order of ``due_at`` (then
    id), the breached ones after the last one that was met on time. Waived and still-pending
    duties neither count nor break the run. The owner is the responsible person, or — for a duty
    without a person — the department (its duties without a person).

    Each count is two seeks on the (owner, kind, state, due_at) indexes plus the length of the
    current run, whatever the size of the owner's history.
    """
    if not ids:
        return {}
    ob_table, _ev = _tables()
    result: dict[int, int] = {}
    epoch = _dt(_EPOCH)
    with connection.cursor() as cursor:
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = ",".join(["%s"] * len(chunk))
            cursor.execute(
                f"SELECT o.id, CASE WHEN o.responsible_id IS NOT NULL "  # noqa: S608
                f"THEN {_run_length('responsible_id')} ELSE {_run_length('department_id')} END "
                f"FROM {ob_table} o WHERE o.id IN ({marks})",
                [epoch, epoch, *chunk],
            )
            for pk, n in cursor.fetchall():
                if n:
                    result[pk] = n
    return result


def _escalate(ids: list[int], now: datetime, subject_type_id: int) -> int:
    misses = consecutive_misses(ids)
    if not misses:
        return 0
    rows = list(Obligation.objects.filter(pk__in=list(misses)).values_list("pk", "policy_version_id"))
    thresholds = {
        version.pk: version.rules.count("escalation_misses")
        for version in PolicyVersion.objects.filter(pk__in={v for _pk, v in rows})
    }
    by_n: dict[int, list[int]] = {}
    for pk, version_id in rows:
        threshold = thresholds.get(version_id)
        if threshold and misses[pk] >= threshold:
            by_n.setdefault(misses[pk], []).append(pk)
    ob_table, _ev = _tables()
    count = 0
    with connection.cursor() as cursor:
        for n, pks in sorted(by_n.items()):
            marks = ",".join(["%s"] * len(pks))
            cursor.execute(
                f"UPDATE {ob_table} SET escalation_step = %s WHERE escalation_step = 0 AND id IN ({marks}) RETURNING id",  # noqa: S608
                [n, *pks],
            )
            done = [row[0] for row in cursor.fetchall()]
            _insert_events(
                done,
                name="obligation.escalated",
                now=now,
                data={"misses": n},
                subject_type_id=subject_type_id,
            )
            count += len(done)
    return count


def ledger_tick(*, now: datetime) -> TickResult:
    """One pass: breach what is overdue (and escalate repeated misses), then send due reminders.

    Idempotent: running it again at the same ``now`` — or concurrently — changes nothing more.
    """
    subject_type_id = ContentType.objects.get_for_model(Obligation).pk
    result = TickResult()
    with transaction.atomic():
        breached = _breach(now, subject_type_id)
        result.escalated = _escalate(breached, now, subject_type_id)
        result.breached = len(breached)
    with transaction.atomic():
        result.reminded = _remind(now, subject_type_id)
    return result
