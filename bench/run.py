"""Benchmark: what users feel on the hot pages, at 1x and 10x data, served as in production.

    .venv/bin/python bench/run.py [--keep DIR] [--postgres] [--years 1 --items-per-meeting 385]
                                  [--scales 1,10 --reps 5 --requests 40 --seconds 3 --clients 8,50]

Each scale's database is built by `xietong generate` and served by `xietong serve` (gunicorn,
its default sync workers) with the bench-only settings (bench/settings.py: the product's
settings plus a query-count header). Per page and size: p50 and p95 one request at a time (a
sequential client, pages and sizes interleaved request by request), p95 and requests per second
with 8 and with 50 concurrent clients (wrk, bench/wrk.lua), and the page's query count; then
the budgets with PASS/FAIL. See bench/README.md. Not a test.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
XIETONG = str(ROOT / ".venv" / "bin" / "xietong")
WRK_SCRIPT = str(ROOT / "bench" / "wrk.lua")
DEFAULT_PG = "postgres://root@127.0.0.1:5432/xietong_bench"
MARKER = "generated"  # written in a scale's directory once its database is complete

PAGES = ("actions", "home", "meeting", "agenda", "archive", "topics", "board")
LABELS = {
    "actions": "action list",
    "home": "我的待办",
    "meeting": "meeting page",
    "agenda": "agenda",
    "archive": "archive",
    "topics": "topic list",
    "board": "board",
}

# Budgets (issue 19): what a user feels, not a ratio to a stripped-down page.
P95_SINGLE_MS = 50.0  # p95 one request at a time, at the largest scale
P95_LOADED_MS = 300.0  # p95 with the most concurrent clients, on the default workers
GROWTH_P50 = 1.2  # p50 at the largest scale / p50 at the smallest, one at a time


def pg_url(base: str, scale: int) -> str:
    """The scale's own database next to the one named in DATABASE_URL: <name>_x<scale>."""
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"{parts.path.rstrip('/')}_x{scale}"))


def env_for(db_dir: Path, database_url: str | None) -> dict:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env.update(
        XIETONG_SQLITE_PATH=str(db_dir / "xietong.sqlite3"),
        XIETONG_VAR_DIR=str(db_dir),
        DJANGO_SETTINGS_MODULE="bench.settings",
        PYTHONPATH=str(ROOT),
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def recreate_pg(database_url: str) -> None:
    """Drop and create the scale's database (only databases named <name>_x<scale>)."""
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def generate(db_dir: Path, database_url: str | None, args, scale: int) -> None:
    """Build the scale's database unless a complete one made the same way is there (`--keep
    DIR` reuses it; other sizes or another database are built again)."""
    cmd = [XIETONG, "generate", "--departments", str(args.departments), "--people", str(args.people)]
    cmd += ["--years", str(args.years), "--scale", str(scale)]
    cmd += ["--items-per-meeting", str(args.items_per_meeting)]
    made = f"{database_url or 'sqlite'} {' '.join(cmd[1:])}\n"
    if (db_dir / MARKER).exists() and (db_dir / MARKER).read_text() == made:
        return
    if db_dir.exists():
        shutil.rmtree(db_dir)  # interrupted or made otherwise: start again
    db_dir.mkdir(parents=True)
    if database_url:
        recreate_pg(database_url)
    env = env_for(db_dir, database_url)
    subprocess.run([XIETONG, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run(cmd, cwd=ROOT, env=env, check=True)
    (db_dir / MARKER).write_text(made)


def prepare(env: dict, liaison: str | None) -> dict:
    cmd = [PY, "-m", "bench.prepare", *([liaison] if liaison else [])]
    out = subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    line = next(x for x in out.stdout.splitlines() if x.startswith("JSON"))
    return json.loads(line[4:])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(env: dict, workers: int | None) -> tuple[subprocess.Popen, int]:
    """`xietong serve` as in production, pages only (no live room, no task worker)."""
    port = free_port()
    cmd = [XIETONG, "serve", "--no-live", "--no-worker", "--bind", f"127.0.0.1:{port}"]
    if workers:
        cmd += ["--workers", str(workers)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    for _ in range(300):
        if proc.poll() is not None:
            raise SystemExit(f"xietong serve stopped (exit status {proc.returncode})")
        try:
            get(port, "/healthz", "")
            return proc, port
        except OSError:
            time.sleep(0.1)
    stop(proc)
    raise SystemExit("xietong serve did not start")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)  # serve stops gunicorn gracefully
    proc.wait()


def get(port: int, path: str, cookie: str, timeout: float = 600) -> tuple[int, float, int]:
    """One request on its own connection (gunicorn's sync workers close every connection):
    (status, seconds, queries from the bench header)."""
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.request("GET", path, headers={"Cookie": cookie, "Accept-Language": "zh-hans"})
    resp = conn.getresponse()
    resp.read()
    elapsed = time.perf_counter() - t0
    conn.close()
    return resp.status, elapsed, int(resp.getheader("X-Bench-Queries") or -1)


def one_at_a_time(targets: dict, requests: int) -> dict:
    """Every (page, scale) in turn, request by request, so each meets the same moments of the
    machine; one request in flight. Returns {key: ([seconds], {query counts})}."""
    out = {key: ([], set()) for key in targets}
    for _ in range(requests):
        for key, (port, path, cookie) in targets.items():
            status, seconds, queries = get(port, path, cookie)
            if status != 200:
                raise SystemExit(f"{path}: HTTP {status}")
            out[key][0].append(seconds)
            out[key][1].add(queries)
    return out


def warm(targets: dict) -> None:
    """Eight requests at once to every page, twice: every worker compiles its templates and
    fills its caches before anything is measured."""
    with ThreadPoolExecutor(8) as pool:
        for target in [*targets.values(), *targets.values()]:
            list(pool.map(get, *zip(*[target] * 8, strict=True)))


def wrk(port: int, path: str, cookie: str, clients: int, seconds: int) -> dict:
    """A closed loop of `clients` connections for `seconds` (wrk, two threads for two cores)."""
    cmd = [
        "wrk",
        f"-t{min(2, clients)}",
        f"-c{clients}",
        f"-d{seconds}s",
        "--timeout",
        "60s",
        "-s",
        WRK_SCRIPT,
        f"http://127.0.0.1:{port}{path}",
    ]
    env = {**os.environ, "BENCH_COOKIE": cookie}
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    result = json.loads(next(x for x in out.splitlines() if x.startswith("JSON"))[4:])
    if not result["requests"]:  # not one answer within the window: no percentile to trust
        result["p50_ms"] = result["p95_ms"] = float("inf")
    result["rps"] = result["requests"] / result["seconds"]
    drain(port)
    return result


def drain(port: int) -> None:
    """Wait until the workers have answered what wrk left queued when it stopped (a slow page
    under 50 clients leaves minutes of work behind), so the next window starts idle."""
    get(port, "/healthz", "", timeout=600)


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (the value below which pct % of the samples lie)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--departments", type=int, default=30)
    ap.add_argument("--people", type=int, default=500)
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--items-per-meeting", type=int, default=0)
    ap.add_argument("--scales", default="1,10")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--requests", type=int, default=40, help="one-at-a-time requests per page, size and rep")
    ap.add_argument("--seconds", type=int, default=3, help="length of each concurrent (wrk) window")
    ap.add_argument("--clients", default="8,50", help="concurrent clients of the wrk windows ('' for none)")
    ap.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: xietong serve's)")
    ap.add_argument("--postgres", action="store_true", help="PostgreSQL: <DATABASE_URL's name>_x<scale>")
    ap.add_argument("--keep", help="directory to keep (and reuse) the databases in")
    args = ap.parse_args()
    scales = [int(s) for s in args.scales.split(",")]
    levels = [int(c) for c in args.clients.split(",") if c]
    if levels and not shutil.which("wrk"):
        raise SystemExit("wrk is needed for the concurrent windows (apt-get install -y wrk), or --clients ''")
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="xietong-bench-"))
    pg_base = os.environ.get("DATABASE_URL") or DEFAULT_PG
    engine = f"PostgreSQL ({urlsplit(pg_base).hostname})" if args.postgres else "SQLite"
    sizes, procs, liaison = {}, [], None
    single: dict[tuple, list] = {}
    loaded: dict[tuple, list] = {}
    try:
        for scale in scales:
            database_url = pg_url(pg_base, scale) if args.postgres else None
            db_dir = base / (f"pg-x{scale}" if args.postgres else f"x{scale}")
            print(f"[{scale}x] database in {db_dir} ...", flush=True)
            generate(db_dir, database_url, args, scale)
            env = env_for(db_dir, database_url)
            info = prepare(env, liaison)
            liaison = info["liaison"]  # the same person's 我的待办 at every scale
            proc, port = serve(env, args.workers)
            procs.append(proc)
            sizes[scale] = (info, port)
            print(
                f"[{scale}x] {info['items']} action items, {info['topics']} topics, {info['duties']} duties;"
                f" served on port {port}",
                flush=True,
            )
        targets = {}
        for name in PAGES:
            for scale, (info, port) in sizes.items():
                who, path = info["pages"][name]
                targets[(name, scale)] = (port, path, info["cookies"][who])
        warm(targets)
        for rep in range(args.reps):
            for key, found in one_at_a_time(targets, args.requests).items():
                single.setdefault(key, []).append(found)
            order = scales if rep % 2 == 0 else scales[::-1]
            for name in PAGES:
                for clients in levels:
                    for scale in order:
                        port, path, cookie = targets[(name, scale)]
                        loaded.setdefault((name, scale, clients), []).append(
                            wrk(port, path, cookie, clients, args.seconds)
                        )
            print(f"repetition {rep + 1}/{args.reps} done", flush=True)
    finally:
        for proc in procs:
            stop(proc)
    workers = args.workers or "default"
    print()
    print(
        f"{engine}, xietong serve with {workers} workers, {args.reps} repetitions, {date.today().isoformat()}"
    )
    report(single, loaded, sizes, scales, levels)


def report(single, loaded, sizes, scales, levels) -> None:
    """One at a time: p50/p95 of every request of every repetition. With clients: the median of
    the repetitions' p95 and req/s. Growth: the median of each repetition's p50 ratio (both
    sizes measured in the same moments)."""
    head = f"{'page':<13}{'size':>5}{'items':>9}{'p50 ms':>8}{'p95 ms':>8}"
    for clients in levels:
        head += f"{f'p95@{clients}':>9}{f'rps@{clients}':>9}"
    print(head + f"{'queries':>9}")
    for name in PAGES:
        for scale in scales:
            times = [t for found, _ in single[(name, scale)] for t in found]
            line = (
                f"{LABELS[name]:<13}{f'{scale}x':>5}{sizes[scale][0]['items']:>9}"
                f"{percentile(times, 50) * 1000:>8.1f}{percentile(times, 95) * 1000:>8.1f}"
            )
            for clients in levels:
                runs = loaded[(name, scale, clients)]
                line += f"{statistics.median(r['p95_ms'] for r in runs):>9.1f}"
                rps = statistics.median(r["rps"] for r in runs)
                line += f"{rps:>9.0f}" if rps >= 10 else f"{rps:>9.1f}"
            errors = sum(r["errors"] for clients in levels for r in loaded[(name, scale, clients)])
            line += f"{queries(single, name, scale):>9}"
            print(line + (f"  {errors} errors under load" if errors else ""))
    small, large = scales[0], scales[-1]
    most = max(levels) if levels else None
    print()
    print(
        f"{'budget':<13}{f'p95 {large}x <= {P95_SINGLE_MS:.0f} ms':>20}"
        + (f"{f'p95@{most} <= {P95_LOADED_MS:.0f} ms':>22}" if most else "")
        + f"{f'p50 {large}x/{small}x <= {GROWTH_P50}':>22}{'queries constant':>20}"
    )
    for name in PAGES:
        times = [t for found, _ in single[(name, large)] for t in found]
        p95 = percentile(times, 95) * 1000
        line = f"{LABELS[name]:<13}{verdict(p95, P95_SINGLE_MS, '.1f'):>20}"
        if most:
            worst = max(statistics.median(r["p95_ms"] for r in loaded[(name, s, most)]) for s in scales)
            if any(r["errors"] for s in scales for r in loaded[(name, s, most)]):
                worst = float("inf")  # timeouts or failed answers: no budget is met
            line += f"{verdict(worst, P95_LOADED_MS, '.0f'):>22}"
        growth = statistics.median(
            statistics.median(a[0]) / statistics.median(b[0])
            for a, b in zip(single[(name, large)], single[(name, small)], strict=True)
        )
        counts = {queries(single, name, s) for s in scales}
        constant = f"{'/'.join(str(c) for c in sorted(counts))} {'PASS' if len(counts) == 1 else 'FAIL'}"
        print(line + f"{verdict(growth, GROWTH_P50, '.2f'):>22}{constant:>20}")


def queries(single, name, scale) -> int:
    """The page's own query count: the fewest seen. A session used for more than a minute is
    touched once (core.middleware.SessionIdleMiddleware), which adds its read and write to
    one request now and then whatever the page."""
    return min(set().union(*(counts for _, counts in single[(name, scale)])))


def verdict(value: float, budget: float, fmt: str) -> str:
    return f"{value:{fmt}} {'PASS' if value <= budget else 'FAIL'}"


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
