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
from django.db.models import Count
from xietong.actions.models import ActionItem
from xietong.meetings.models import Meeting
from xietong.org.models import Person, Role
from django.utils import timezone
coord = Person.objects.get(roles__role=Role.COORDINATOR)
# An owner without department roles (so / and /actions/ show "mine") with, as near as the data
# allows, TEN open items at every size: 我的待办 then shows the same amount at 1x and 10x, and
# the 10x/1x ratio measures the data's growth, not a busier person.
counts = (
    ActionItem.objects.filter(status__in=["open", "in_progress"], owner__roles__isnull=True)
    .values("owner").annotate(n=Count("id"))
)
owner = Person.objects.get(pk=min(counts, key=lambda c: (abs(c["n"] - 10), c["owner"]))["owner"])
meeting = Meeting.objects.filter(status="held").order_by("-starts_at").first()
# The current year: the generator fills the last `--years` back from today, so the current
# year holds the same meetings at 1x and 10x (an earlier year would grow with the scale).
year = timezone.localdate().year
paths = {
    "actions": ("coord", "/actions/", "/__bench__/actions/"),
    "home": ("owner", "/", "/__bench__/home/"),
    "agenda": ("coord", f"/meetings/{meeting.pk}/", f"/__bench__/agenda/{meeting.pk}/"),
    "archive": ("coord", f"/minutes/archive/?year={year}", f"/__bench__/archive/?year={year}"),
}
clients, cookies = {}, {}
for who, person in (("coord", coord), ("owner", owner)):
    c = Client(); c.force_login(person); clients[who] = c
    cookies[who] = c.cookies["sessionid"].value
queries = {}
for name, (who, page, bare) in paths.items():
    for kind, url in (("page", page), ("bare", bare)):
        clients[who].get(url)  # warm
        with CaptureQueriesContext(connection) as ctx:
            r = clients[who].get(url)
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


def load(port: int, path: str, cookie: str, threads: int, seconds: float) -> tuple[float, float]:
    """Closed loop: `threads` clients, each sends the next request when the last answered."""
    latencies: list[float] = []
    errors: list[int] = []
    stop = time.monotonic() + seconds
    headers = {"Cookie": f"sessionid={cookie}", "Accept-Language": "zh-hans"}

    def worker():
        mine = []
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            resp.read()
            conn.close()
            mine.append(time.perf_counter() - t0)
            if resp.status != 200:
                errors.append(resp.status)
        latencies.extend(mine)

    started = time.monotonic()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.monotonic() - started
    if errors:
        raise SystemExit(f"{path}: HTTP {errors[0]} ({len(errors)} errors)")
    return len(latencies) / elapsed, statistics.median(latencies) * 1000


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
            for scale, (info, port) in sizes.items():
                for name in (*PAGES, "hello", "chrome"):
                    if name in ("hello", "chrome"):
                        runs = [("bare", f"/__bench__/{name}/", "coord")]
                    else:
                        who, page, bare = info["paths"][name]
                        runs = [("page", page, who), ("bare", bare, who)]
                    for kind, path, who in runs:
                        r = load(port, path, info["cookies"][who], args.threads, args.seconds)
                        results.setdefault((scale, name, kind), []).append(r)
            print(f"repetition {rep + 1}/{args.reps} done", flush=True)
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait()
    report(results, sizes, scales)


def report(results, sizes, scales) -> None:
    def med(key):
        runs = results[key]
        return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)

    small, large = scales[0], scales[-1]
    print()
    head = f"{'page':<9}{'size':>5}{'items':>9}{'req/s':>8}{'p50 ms':>8}{'bare r/s':>9}{'bare p50':>9}"
    head += f"{'page/bare':>10}{'vs hello':>9}{'queries':>9}{'q bare':>7}"
    print(head)
    for name in PAGES:
        for scale in scales:
            info = sizes[scale][0]
            rps, p50 = med((scale, name, "page"))
            brps, bp50 = med((scale, name, "bare"))
            hrps, _ = med((scale, "hello", "bare"))
            print(
                f"{name:<9}{str(scale) + 'x':>5}{info['items']:>9}{rps:>8.0f}{p50:>8.1f}{brps:>9.0f}{bp50:>9.1f}"
                f"{p50 / bp50:>10.2f}{hrps / rps:>9.1f}{info['queries'][name + ':page']:>9}"
                f"{info['queries'][name + ':bare']:>7}"
            )
    for name in ("hello", "chrome"):
        for scale in scales:
            hrps, hp50 = med((scale, name, "bare"))
            print(f"{name:<9}{str(scale) + 'x':>5}{'':>9}{hrps:>8.0f}{hp50:>8.1f}")
    print()
    print(
        f"{'page':<9}{'p50 ' + str(large) + 'x/' + str(small) + 'x':>14}{'req/s ratio':>12}  targets: page/bare <= 1.5, 10x/1x <= 1.2"
    )
    for name in PAGES:
        rs, ps = med((small, name, "page"))
        rl, pl = med((large, name, "page"))
        print(f"{name:<9}{pl / ps:>14.2f}{rs / rl:>12.2f}")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
