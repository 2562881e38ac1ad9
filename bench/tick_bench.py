"""Benchmark: the obligation tick over a ledger of 1,000,000 obligations with 1,000 due, next to
10,000 with the same 1,000 due, in one run (issue #5, point 4).

    .venv/bin/python bench/tick_bench.py [--large 1000000 --small 10000 --due 1000 --reps 5 --keep DIR]

Not a test. Builds two SQLite files (migrated once, then copied), fills them with one set-based
INSERT each (a recursive CTE: the ledger is fixture data here, not written through the
services), then times ``ledger_tick`` — the breach UPDATE … RETURNING, its core_event rows and
the consecutive-miss check — on each, interleaved, restoring the 1,000 due rows between runs.
Prints both sizes, the median tick, the ratio large/small and µs per due obligation.
Targets: ratio ≤ 1.5; ≤ 100 µs per due obligation on SQLite.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEOPLE = 300
NOW = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)


def _migrate(path: Path) -> None:
    env = {
        **os.environ,
        "XIETONG_SQLITE_PATH": str(path),
        "DATABASE_URL": "",
        "DJANGO_SETTINGS_MODULE": "xietong.settings",
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)


def _use(path: Path) -> None:
    from django.db import connections

    connections["default"].close()
    connections["default"].settings_dict["NAME"] = str(path)


def _fill(path: Path, total: int, due: int) -> None:
    """``due`` pending rows due just before NOW; the rest: 30 % pending in the future (with
    reminders ahead), 70 % history (met, some breached late, some waived) spread over the
    past two years. Owners: PEOPLE persons in 4 departments."""
    from django.contrib.auth.hashers import make_password  # noqa: F401  (app registry ready)
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from xietong.org.models import Department, Person
    from xietong.policy.services import policy_install_preset

    _use(path)
    with transaction.atomic():
        version = policy_install_preset(name="seed01-weekly", now=NOW).versions.get()
        depts = [Department.objects.create(name=f"部门{i}", sort_order=i) for i in range(4)]
        Person.objects.bulk_create(
            Person(username=f"p{i}", password="!", full_name=f"人员{i}", department=depts[i % 4])
            for i in range(PEOPLE)
        )
        first_person = Person.objects.order_by("pk").values_list("pk", flat=True).first()
        ct = ContentType.objects.get_for_model(Department).pk
        now_s = NOW.strftime("%Y-%m-%d %H:%M:%S")
        rest = total - due
        future = rest * 3 // 10
        kinds = f"CASE (i / {PEOPLE}) % 4 WHEN 0 THEN 'action_due' WHEN 1 THEN 'submission' WHEN 2 THEN 'decision_ack' ELSE 'progress_report' END"
        # i in 1..due: due now; due < i <= due+future: future; the rest: history.
        due_at = (
            f"CASE WHEN i <= {due} THEN datetime('{now_s}', '-' || (i % 600 + 1) || ' seconds') "
            f"WHEN i <= {due + future} THEN datetime('{now_s}', '+' || (i % 200000 + 3600) || ' minutes') "
            f"ELSE datetime('{now_s}', '-' || (i % 1000000 + 700) || ' minutes') END"
        )
        state = (
            # by i / PEOPLE, not i: each person's history mixes met, breached and waived
            f"CASE WHEN i <= {due + future} THEN 'pending' WHEN (i / {PEOPLE}) % 10 = 0 THEN 'breached' "
            f"WHEN (i / {PEOPLE}) % 25 = 1 THEN 'waived' ELSE 'met' END"
        )
        with connection.cursor() as cur:
            cur.execute(
                "INSERT INTO obligations_obligation (kind, rule, clause, policy_version_id, responsible_id, "
                "department_id, subject_type_id, subject_id, due_at, calendar_flagged, state, opened_at, "
                "closed_at, closed_by_id, escalation_step, note, warn_at, remind_at, remind_second_at, "
                "reminded_step, waived_by_id) "
                f"WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < {total}), "
                f"rows AS (SELECT i, {due_at} AS due_at, {state} AS state, {kinds} AS kind FROM seq) "
                f"SELECT kind, 'submission_cutoff', '第五条(二)4', %s, %s + (i % {PEOPLE}), %s + (i % 4), %s, i, "
                f"due_at, 0, state, datetime(due_at, '-7 days'), "
                f"CASE WHEN state = 'pending' THEN NULL ELSE due_at END, NULL, 0, '', "
                f"datetime(due_at, '-3 days'), "
                f"CASE WHEN state = 'pending' AND i > {due} THEN datetime(due_at, '-1 day') END, "
                f"CASE WHEN state = 'pending' AND i > {due} THEN datetime(due_at, '-2 hours') END, 0, NULL "
                f"FROM rows",
                [version.pk, first_person, depts[0].pk, ct],
            )
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    connection.close()


def _reset(path: Path, due: int) -> None:
    from django.db import connection, transaction

    _use(path)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "UPDATE obligations_obligation SET state = 'pending', escalation_step = 0 WHERE id <= %s", [due]
        )
        cur.execute("DELETE FROM core_event")


def _tick(path: Path) -> tuple[float, object]:
    from django.db import connection

    from xietong.obligations.tick import ledger_tick

    _use(path)
    connection.ensure_connection()
    start = time.perf_counter()
    result = ledger_tick(now=NOW)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--due", type=int, default=1_000)
    parser.add_argument("--reps", type=int, default=9)
    parser.add_argument("--keep", type=Path, default=None, help="keep/reuse the databases in this directory")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xietong.settings")
    os.environ["DATABASE_URL"] = ""
    sys.path.insert(0, str(ROOT))
    work = args.keep or Path(tempfile.mkdtemp(prefix="tickbench-"))
    work.mkdir(parents=True, exist_ok=True)
    sizes = {"small": args.small, "large": args.large}
    paths = {name: work / f"ledger-{n}.sqlite3" for name, n in sizes.items()}
    os.environ["XIETONG_SQLITE_PATH"] = str(work / "empty.sqlite3")
    fresh = [name for name, p in paths.items() if not p.exists()]
    if fresh:
        empty = work / "empty.sqlite3"
        if not empty.exists():
            _migrate(empty)
        for name in fresh:
            shutil.copy(empty, paths[name])

    import django

    django.setup()
    for name in fresh:
        t0 = time.perf_counter()
        _fill(paths[name], sizes[name], args.due)
        print(f"filled {sizes[name]:>9,} obligations in {time.perf_counter() - t0:.1f} s", flush=True)

    times: dict[str, list[float]] = {name: [] for name in sizes}
    for _rep in range(args.reps):
        for name in sizes:  # interleaved
            _reset(paths[name], args.due)
            seconds, result = _tick(paths[name])
            assert result.breached == args.due, (name, result)
            times[name].append(seconds)
    # Idempotence at scale: a second tick at the same moment changes nothing.
    for name in sizes:
        _seconds, again = _tick(paths[name])
        assert (again.breached, again.reminded, again.escalated) == (0, {}, 0), again

    med = {name: statistics.median(t) for name, t in times.items()}
    print(f"due obligations per tick: {args.due:,}  (reps: {args.reps}, median)")
    for name in sizes:
        per = med[name] / args.due * 1e6
        print(
            f"  ledger {sizes[name]:>9,}: tick {med[name] * 1000:7.1f} ms  = {per:6.1f} µs per due obligation"
            f"  (runs: {', '.join(f'{t * 1000:.0f}' for t in times[name])} ms)"
        )
    print(
        f"  ratio {sizes['large']:,} / {sizes['small']:,}: {med['large'] / med['small']:.2f}  (target ≤ 1.5)"
    )
    print(
        f"  per due obligation at {sizes['large']:,}: {med['large'] / args.due * 1e6:.1f} µs  (target ≤ 100 µs)"
    )
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
