"""Benchmark (issue #4): ballot cast → updated tally on 200 WebSocket clients, next to a bare
channel-layer broadcast of the same size to the same clients, on the in-memory and the Redis
channel layer.

    .venv/bin/python bench/live_bench.py [--clients 200 --reps 20 --layers memory,redis]

What it does, per layer:

1. A fresh SQLite database (temp dir): migrate, the test organisation, the published weekly
   meeting with one voter signed in, the meeting started and its first item under discussion
   (through the real services). Sessions for the host and the voter; a projector link.
2. uvicorn serves ``bench/live_bench_app.py`` = ``xietong.asgi`` (the live server as
   ``xietong serve`` runs it: one process, websockets-sansio) plus one bench-only endpoint
   that does a bare ``group_send`` to the meeting's group.
3. ``--clients`` followers connect to the meeting (the projector's read-only link, the
   ``websockets`` library, one asyncio loop in this process), plus the host and the voter.
4. Repeated ``--reps`` times, ballot and bare alternating (which goes first alternates too):
   - ballot: the host opens a vote (not timed; every follower has it before the clock
     starts); t0; the voter sends ``ballot_cast``; t1 = when the LAST follower holds the
     state with the new version (the updated tally). The host closes the vote (not timed).
   - bare: t0; GET the bench endpoint → ``group_send`` of a text as long as the last state;
     t1 = when the last follower has it.
5. Prints medians and p95 of t1 − t0 per layer and kind, and ballot/bare ratios.

Target (issue #4): ballot ≤ 1.5× the bare broadcast, p95 under 300 ms. Not a test.
XIETONG_BENCH_TRACE=1 makes the live server print, per ballot, the time of the service
(with its commit and broadcast), of the snapshot and of the group_send (stderr).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
ORIGIN = "http://127.0.0.1:8000"

PREPARE = r"""
import json, django
from xietong.core.files import prepare_data_dir
prepare_data_dir()  # the data directory and its secret key, as the xietong command makes them
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.conf import settings
from django.test import Client
from django.utils import timezone
from xietong.desk.testing import build_test_org
from xietong.live import services, tokens
from xietong.live.tests.helpers import live_meeting

torg = build_test_org()
meeting = live_meeting(torg)
now = timezone.now()
services.signin_self(meeting=meeting, actor=torg.tech_head, now=now)
services.room_open(meeting=meeting, actor=torg.host, now=now)
services.item_next(meeting=meeting, actor=torg.host, now=now)

def cookie(person):
    client = Client()
    client.force_login(person)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}"

print(json.dumps({
    "meeting": meeting.pk,
    "host": cookie(torg.host),
    "voter": cookie(torg.tech_head),
    "token": tokens.projector_token(meeting.pk),
}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env_for(db_dir: Path, layer: str) -> dict:
    env = dict(os.environ)
    env.pop("REDIS_URL", None)
    env.update(
        XIETONG_SQLITE_PATH=str(db_dir / "xietong.sqlite3"),
        XIETONG_VAR_DIR=str(db_dir),
        DJANGO_SETTINGS_MODULE="xietong.settings",
        PYTHONPATH=str(ROOT),
        XIETONG_BENCH_LAYER=layer,
        XIETONG_BENCH_PREFIX=f"xietong-bench-{uuid.uuid4().hex[:10]}",
    )
    return env


def prepare(env: dict) -> dict:
    out = subprocess.run([PY, "-c", PREPARE], cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"preparing the database failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def serve(env: dict) -> tuple[subprocess.Popen, int]:
    port = free_port()
    cmd = [
        PY,
        "-m",
        "uvicorn",
        "bench.live_bench_app:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    cmd += ["--lifespan", "off", "--ws", "websockets-sansio", "--log-level", "warning", "--no-access-log"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)  # noqa: S603
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc, port
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("uvicorn did not start")


class Followers:
    """The followers' arrivals: which text they wait for and when the last one got it."""

    def __init__(self, count: int):
        self.count = count
        self.prefix: str | None = None
        self.got: set[int] = set()
        self.done = asyncio.Event()
        self.last_at = 0.0
        self.size = 0
        self.version = 0

    def expect(self, prefix: str) -> None:
        self.prefix, self.got, self.last_at = prefix, set(), 0.0
        self.done = asyncio.Event()

    def seen(self, n: int, text: str) -> None:
        if text.startswith('{"type":"state"'):
            self.size = len(text.encode())
        if self.prefix is not None and n not in self.got and text.startswith(self.prefix):
            self.got.add(n)
            if len(self.got) == self.count:
                self.last_at = time.perf_counter()
                self.done.set()


def state_prefix(version: int) -> str:
    return f'{{"type":"state","state":{{"version":{version},'


async def follower(n: int, url: str, followers: Followers, ready: asyncio.Event, connected: list) -> None:
    from websockets.asyncio.client import connect

    async with connect(url, origin=ORIGIN, max_size=None, ping_interval=None) as ws:
        connected.append(n)
        if len(connected) == followers.count:
            ready.set()
        async for text in ws:
            followers.seen(n, text)


class Actor:
    """The host or the voter: sends commands, keeps the version it last saw."""

    def __init__(self, ws):
        self.ws = ws
        self.version = 0
        self.replies: asyncio.Queue = asyncio.Queue()

    async def pump(self) -> None:
        async for text in self.ws:
            message = json.loads(text)
            if message["type"] == "state":
                self.version = message["state"]["version"]
                self.vote_id = (message["state"].get("vote") or {}).get("id")
            elif message["type"] in ("ok", "error"):
                await self.replies.put(message)

    async def command(self, cmd: str, args: dict, *, versioned: bool) -> None:
        message = {"cmd": cmd, "args": args}
        if versioned:
            message["version"] = self.version
        await self.ws.send(json.dumps(message))
        reply = await asyncio.wait_for(self.replies.get(), 10)
        if reply["type"] != "ok":
            raise SystemExit(f"{cmd} refused: {reply}")


async def run_layer(layer: str, port: int, info: dict, args) -> dict[str, list[float]]:
    from websockets.asyncio.client import connect

    base = f"ws://127.0.0.1:{port}/ws/live/{info['meeting']}/"
    followers = Followers(args.clients)
    ready = asyncio.Event()
    connected: list[int] = []
    tasks = []
    for n in range(args.clients):
        tasks.append(
            asyncio.create_task(follower(n, f"{base}?t={info['token']}", followers, ready, connected))
        )
        if n % 25 == 24:
            await asyncio.sleep(0.05)
    await asyncio.wait_for(ready.wait(), 60)
    host_ws = await connect(base, origin=ORIGIN, additional_headers={"Cookie": info["host"]}, max_size=None)
    voter_ws = await connect(base, origin=ORIGIN, additional_headers={"Cookie": info["voter"]}, max_size=None)
    host, voter = Actor(host_ws), Actor(voter_ws)
    pumps = [asyncio.create_task(host.pump()), asyncio.create_task(voter.pump())]
    await asyncio.sleep(0.5)

    results: dict[str, list[float]] = {"ballot": [], "bare": []}
    seq = 0

    async def host_at(version: int) -> None:
        while host.version < version:
            await asyncio.sleep(0.005)

    async def ballot() -> float:
        target = host.version + 1
        followers.expect(state_prefix(target))
        await host.command("vote_open", {"proposal": f"提案 {seq}", "secret": True}, versioned=True)
        await asyncio.wait_for(followers.done.wait(), 30)
        await host_at(target)
        await asyncio.sleep(0.05)
        vote_id = host.vote_id
        target += 1
        followers.expect(state_prefix(target))
        t0 = time.perf_counter()
        await voter.command("ballot_cast", {"vote": vote_id, "choice": "agree"}, versioned=False)
        await asyncio.wait_for(followers.done.wait(), 30)
        elapsed = followers.last_at - t0
        await host_at(target)
        target += 1
        followers.expect(state_prefix(target))
        await host.command("vote_close", {"vote": vote_id}, versioned=True)
        await asyncio.wait_for(followers.done.wait(), 30)
        await host_at(target)
        return elapsed

    async def bare() -> float:
        followers.expect(f'{{"type":"bench","seq":{seq},')
        size = followers.size
        t0 = time.perf_counter()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            f"GET /__bench__/broadcast/{info['meeting']}/{seq}/{size}/ HTTP/1.1\r\n"
            "Host: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
        )
        await writer.drain()
        await asyncio.wait_for(followers.done.wait(), 30)
        elapsed = followers.last_at - t0
        await reader.read()
        writer.close()
        return elapsed

    for rep in range(args.reps):
        order = (ballot, bare) if rep % 2 == 0 else (bare, ballot)
        for kind in order:
            seq += 1
            value = await kind()
            results[kind.__name__].append(value)
            await asyncio.sleep(0.1)
        print(
            f"  {layer} rep {rep + 1}/{args.reps}: ballot {results['ballot'][-1] * 1000:.1f} ms, "
            f"bare {results['bare'][-1] * 1000:.1f} ms (payload {followers.size} B)",
            flush=True,
        )
    for task in [*tasks, *pumps]:
        task.cancel()
    await host_ws.close()
    await voter_ws.close()
    await asyncio.gather(*tasks, *pumps, return_exceptions=True)
    return results


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[94]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--layers", default="memory,redis")
    args = parser.parse_args()
    if args.reps < 5:
        raise SystemExit("--reps must be at least 5")
    summary = {}
    for layer in args.layers.split(","):
        with tempfile.TemporaryDirectory(prefix=f"xietong-live-bench-{layer}-") as tmp:
            env = env_for(Path(tmp), layer)
            print(f"preparing {layer} …", flush=True)
            info = prepare(env)
            proc, port = serve(env)
            try:
                summary[layer] = asyncio.run(run_layer(layer, port, info, args))
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
    print()
    print(
        f"{args.clients} clients, {args.reps} reps per kind (ms; ballot = cast → last client has the new tally)"
    )
    print(f"{'layer':8} {'kind':7} {'median':>8} {'p95':>8} {'min':>8} {'max':>8}")
    for layer, results in summary.items():
        for kind in ("ballot", "bare"):
            values = results[kind]
            print(
                f"{layer:8} {kind:7} {statistics.median(values) * 1000:8.1f} {p95(values) * 1000:8.1f} "
                f"{min(values) * 1000:8.1f} {max(values) * 1000:8.1f}"
            )
        ratio_med = statistics.median(results["ballot"]) / statistics.median(results["bare"])
        ratio_p95 = p95(results["ballot"]) / p95(results["bare"])
        print(f"{layer:8} ratio   ballot/bare median {ratio_med:.2f}×, p95 {ratio_p95:.2f}×")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
