"""Benchmark: product pages vs bare pages at 1x and 10x data, served by gunicorn (WSGI).

    .venv/bin/python bench/run.py [--years 5 --items-per-meeting 0 --scales 1,10 --reps 5 --seconds 3]

See bench/README.md. Not a test: it prints a table of medians and ratios.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")

PAGES = ("actions", "home", "agenda", "archive")


def env_for(db_dir: Path) -> dict:
    env = dict(os.environ)
    env.update(
        XIETONG_SQLITE_PATH=str(db_dir / "xietong.sqlite3"),
        XIETONG_VAR_DIR=str(db_dir),
        XIETONG_BENCH="1",
        DJANGO_SETTINGS_MODULE="xietong.settings",
        PYTHONPATH=str(ROOT),
    )
    return env


def generate(db_dir: Path, args, scale: int) -> None:
    if (db_dir / "xietong.sqlite3").exists():
        return
    db_dir.mkdir(parents=True, exist_ok=True)
    env = env_for(db_dir)
    subprocess.run([PY, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    cmd = [PY, "manage.py", "generate", "--departments", str(args.departments), "--people", str(args.people)]
    cmd += [
        "--years",
        str(args.years),
        "--scale",
        str(scale),
        "--items-per-meeting",
        str(args.items_per_meeting),
    ]
    subprocess.run(cmd, cwd=ROOT, env=env, check=True)


# Run inside the database's environment: pick the personas and objects, make sessions and
# count the queries of each page with the Django test client.
PREPARE = r"""
import json, django
django.setup()
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from xietong.actions.models import ActionItem
from bench.inproc import personas
paths, cookies = personas()  # the same personas and pages as bench/inproc.py
paths = {name: paths[name] for name in ("actions", "home", "agenda", "archive")}
queries = {}
for name, (who, page, bare) in paths.items():
    client = Client(headers={"Cookie": cookies[who]})
    for kind, url in (("page", page), ("bare", bare)):
        client.get(url)  # warm
        with CaptureQueriesContext(connection) as ctx:
            r = client.get(url)
        assert r.status_code == 200, (url, r.status_code)
        queries[f"{name}:{kind}"] = len(ctx.captured_queries)
print("JSON" + json.dumps({"paths": paths, "cookies": cookies, "queries": queries,
      "items": ActionItem.objects.count()}))
"""


def prepare(db_dir: Path) -> dict:
    out = subprocess.run(
        [PY, "-c", PREPARE], cwd=ROOT, env=env_for(db_dir), check=True, capture_output=True, text=True
    )
    line = next(x for x in out.stdout.splitlines() if x.startswith("JSON"))
    return json.loads(line[4:])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(db_dir: Path, workers: int) -> tuple[subprocess.Popen, int]:
    port = free_port()
    cmd = [
        GUNICORN,
        "xietong.wsgi:application",
        "-w",
        str(workers),
        "-b",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env_for(db_dir))
    for _ in range(100):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return proc, port
        except OSError:
            time.sleep(0.1)
    proc.terminate()
    raise SystemExit("gunicorn did not start")


def load(targets: list[tuple[int, str, str]], threads: int, seconds: float) -> list[tuple[float, float]]:
    """Closed loop: `threads` clients, each sends the next request when the last answered,
    cycling through `targets` (port, path, cookie) request by request, so every target meets
    the same moments of the machine (these VMs drift by tens of percent within seconds).
    Returns (req/s, p50 ms) per target."""
    latencies: list[list[float]] = [[] for _ in targets]
    errors: list[tuple[str, int]] = []
    stop = time.monotonic() + seconds

    def worker(offset: int):
        mine: list[list[float]] = [[] for _ in targets]
        n = offset
        while time.monotonic() < stop:
            i = n % len(targets)
            port, path, cookie = targets[i]
            headers = {"Cookie": cookie, "Accept-Language": "zh-hans"}
            t0 = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            resp.read()
            conn.close()
            mine[i].append(time.perf_counter() - t0)
            if resp.status != 200:
                errors.append((path, resp.status))
            n += 1
        for i, found in enumerate(mine):
            latencies[i].extend(found)

    started = time.monotonic()
    pool = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.monotonic() - started
    if errors:
        raise SystemExit(f"{errors[0][0]}: HTTP {errors[0][1]} ({len(errors)} errors)")
    return [(len(found) / elapsed, statistics.median(found) * 1000) for found in latencies]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--departments", type=int, default=30)
    ap.add_argument("--people", type=int, default=500)
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--items-per-meeting", type=int, default=0)
    ap.add_argument("--scales", default="1,10")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--keep", help="directory to keep (and reuse) the databases in")
    args = ap.parse_args()
    scales = [int(s) for s in args.scales.split(",")]
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="xietong-bench-"))
    sizes, procs = {}, []
    try:
        for scale in scales:
            db_dir = base / f"x{scale}"
            print(f"[{scale}x] generating in {db_dir} ...", flush=True)
            generate(db_dir, args, scale)
            info = prepare(db_dir)
            proc, port = serve(db_dir, args.workers)
            procs.append(proc)
            sizes[scale] = (info, port)
            print(f"[{scale}x] {info['items']} action items, served on port {port}", flush=True)
        results: dict[tuple, list[tuple[float, float]]] = {}
        for rep in range(args.reps):
            # One window per page: the page and its bare page at every size, alternating.
            for name in (*PAGES, "hello"):
                keys, targets = [], []
                for scale, (info, port) in sizes.items():
                    if name == "hello":
                        runs = [
                            ("hello", "/__bench__/hello/", "coord"),
                            ("chrome", "/__bench__/chrome/", "coord"),
                        ]
                    else:
                        who, page, bare = info["paths"][name]
                        runs = [("page", page, who), ("bare", bare, who)]
                    for kind, path, who in runs:
                        keys.append((scale, name, kind) if name != "hello" else (scale, kind, "bare"))
                        targets.append((port, path, info["cookies"][who]))
                for key, r in zip(
                    keys, load(targets, args.threads, args.seconds * len(targets)), strict=True
                ):
                    results.setdefault(key, []).append(r)
            print(f"repetition {rep + 1}/{args.reps} done", flush=True)
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait()
    report(results, sizes, scales)


def report(results, sizes, scales) -> None:
    """Medians of the repetitions. A ratio is the median of the ratios of each repetition
    (both sides measured in the same window), not the ratio of two medians."""

    def med(key):
        runs = results[key]
        return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)

    def ratio(top, bottom):
        return statistics.median(a[1] / b[1] for a, b in zip(results[top], results[bottom], strict=True))

    small, large = scales[0], scales[-1]
    print()
    print(
        f"{'page':<9}{'size':>5}{'items':>9}{'p50 ms':>8}{'bare p50':>9}{'page/bare':>10}"
        f"{'x hello':>8}{'queries':>9}{'q bare':>7}"
    )
    for name in PAGES:
        for scale in scales:
            info = sizes[scale][0]
            _, p50 = med((scale, name, "page"))
            _, bp50 = med((scale, name, "bare"))
            _, hp50 = med((scale, "hello", "bare"))
            print(
                f"{name:<9}{str(scale) + 'x':>5}{info['items']:>9}{p50:>8.1f}{bp50:>9.1f}"
                f"{ratio((scale, name, 'page'), (scale, name, 'bare')):>10.2f}{p50 / hp50:>8.1f}"
                f"{info['queries'][name + ':page']:>9}{info['queries'][name + ':bare']:>7}"
            )
    for name in ("hello", "chrome"):
        for scale in scales:
            _, hp50 = med((scale, name, "bare"))
            print(f"{name:<9}{str(scale) + 'x':>5}{'':>9}{hp50:>8.1f}")
    print()
    print(
        f"{'page':<9}{'p50 ' + str(large) + 'x/' + str(small) + 'x':>14}  targets: page/bare <= 1.5, 10x/1x <= 1.2"
    )
    for name in PAGES:
        print(f"{name:<9}{ratio((large, name, 'page'), (small, name, 'page')):>14.2f}")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
