"""``xietong serve``: the page server (gunicorn, WSGI), the live server (uvicorn, ASGI) and
the task worker (Huey), together.

gunicorn bounds the request head with its defaults (a request line of at most 4094 bytes, at
most 100 header fields of at most 8190 bytes each; ``--limit-request-*``) but not the body:
request bodies are bounded by ``RequestSizeLimitMiddleware`` (XIETONG_MAX_REQUEST_MB), which
answers 413 from the declared Content-Length before any of the body is read. A reverse proxy
in front may set its own limit (nginx ``client_max_body_size``) to the same value.

Pages are served by gunicorn's sync workers: Django under ASGI measured 6–7× slower per
request on the target machines (shared/reference/performance.md). The live meeting room's
WebSockets are the only traffic of the ASGI app (``xietong.asgi``), run by uvicorn on
XIETONG_LIVE_BIND (default 127.0.0.1:8001); pages find it through LIVE_WS_URL. The Huey
consumer runs the periodic jobs (the obligation tick) and queued tasks.

All run as child processes in their own process group, so a Ctrl-C in the terminal
reaches only this process, which then stops them in order: gunicorn and uvicorn gracefully
(SIGTERM: finish the requests in flight, close the sockets), the worker gracefully (SIGINT:
finish the running task; a notification run is kept well under the stop timeout,
XIETONG_NOTIFY_RUN_SECONDS), then, after XIETONG_STOP_TIMEOUT seconds, SIGTERM (huey's
immediate stop) and only a few seconds later SIGKILL. A worker killed anyway blocks nothing:
the jobs hold leases that lapse (xietong/core/leases.py). If any child dies, the others are stopped too and the command exits non-zero. Children
also get SIGTERM if this process is killed outright (Linux parent-death signal), so no
orphan keeps the port.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time

from django.core.management.base import BaseCommand, CommandError

from xietong.core.env import env_int

PR_SET_PDEATHSIG = 1
# After a graceful stop's timeout, the interrupting stop (SIGTERM) gets this long before SIGKILL.
INTERRUPT_GRACE = 5.0


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def default_workers() -> int:
    """2–4 sync workers: one per core, at least two so a slow request doesn't block the site."""
    return max(2, min(4, os.cpu_count() or 2))


def display_url(bind: str) -> str:
    if bind.startswith(("unix:", "fd://")):
        return bind
    host, _, port = bind.rpartition(":")
    host = host.strip("[]")
    if host in {"", "0.0.0.0", "::"}:  # noqa: S104 - only for the printed URL
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/"


def _host_port(bind: str) -> tuple[str, int] | None:
    if bind.startswith(("unix:", "fd://")):
        return None
    host, _, port = bind.rpartition(":")
    return host.strip("[]") or "0.0.0.0", int(port)  # noqa: S104 - gunicorn's own default


def _check_free(bind: str, variable: str = "XIETONG_BIND") -> None:
    """Refuse early, and clearly, when something already listens on the address."""
    address = _host_port(bind)
    if address is None:
        return
    family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
        try:
            probe.bind(address)
        except OSError as exc:
            raise CommandError(
                f"cannot listen on {bind}: {exc.strerror} (set {variable} to another address)"
            ) from exc


def _wait_listening(bind: str, proc: subprocess.Popen, timeout: float) -> bool:
    if bind.startswith(("unix:", "fd://")):
        return proc.poll() is None
    host, _, port = bind.rpartition(":")
    host = host.strip("[]")
    if host in {"", "0.0.0.0"}:  # noqa: S104
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection((host, int(port)), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def _live_address(live_bind: str) -> tuple[str, int]:
    """The live server's (host, port), checked to be well-formed and free."""
    live_address = _host_port(live_bind)
    if live_address is None:
        raise CommandError("XIETONG_LIVE_BIND must be host:port")
    _check_free(live_bind, "XIETONG_LIVE_BIND")
    return live_address


def _gunicorn_cmd(bind: str, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "xietong.wsgi:application",
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--timeout",
        str(env_int("XIETONG_REQUEST_TIMEOUT", 60)),
        "--graceful-timeout",
        "10",
        "--log-level",
        os.environ.get("XIETONG_SERVER_LOG_LEVEL", "warning"),
    ]


def _worker_cmd() -> list[str]:
    cmd = [
        sys.executable,
        "-m",
        "xietong",
        "run_huey",
        # Two threads: the ledger tick never waits behind a notification run that is
        # pacing robot messages (xietong/notify/tasks.py).
        "--workers",
        "2",
        "--worker-type",
        "thread",
        # The jobs use leases in the database; this clears queue locks an older version
        # may have left behind when its worker was killed.
        "--flush-locks",
    ]
    if os.environ.get("XIETONG_SERVER_LOG_LEVEL", "warning").lower() not in {"info", "debug"}:
        cmd.append("--quiet")  # otherwise it logs every run of the minute tick
    return cmd


def _live_cmd(live_address: tuple[str, int] | None) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "xietong.asgi:application",
        "--host",
        live_address[0] if live_address else "127.0.0.1",
        "--port",
        str(live_address[1] if live_address else 8001),
        "--lifespan",
        "off",
        # websockets' own sans-I/O protocol: its legacy server (uvicorn's "auto") is deprecated.
        "--ws",
        "websockets-sansio",
        "--no-access-log",
        # Open live-room sockets (and, with the Redis channel layer, its connections) would hold
        # a graceful stop for good; phones reconnect to the restarted server on their own.
        "--timeout-graceful-shutdown",
        "5",
        "--log-level",
        os.environ.get("XIETONG_SERVER_LOG_LEVEL", "warning"),
    ]


def _first_stopped(children: dict[str, subprocess.Popen]) -> str | None:
    """The name of the first child that has exited, if any."""
    for name, proc in children.items():
        if proc.poll() is not None:
            return name
    return None


class Command(BaseCommand):
    help = (
        "Serve Xietong: gunicorn (WSGI) on XIETONG_BIND, uvicorn (live room WebSockets) on "
        "XIETONG_LIVE_BIND, plus the Huey task worker."
    )

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("XIETONG_BIND", "127.0.0.1:8000"))
        parser.add_argument(
            "--live-bind",
            default=os.environ.get("XIETONG_LIVE_BIND", "127.0.0.1:8001"),
            help="host:port of the live room's WebSocket server",
        )
        parser.add_argument("--no-live", action="store_true", help="Do not start the live room server.")
        parser.add_argument("--workers", type=int, default=None, help="gunicorn sync workers (default 2–4)")
        parser.add_argument("--no-worker", action="store_true", help="Do not start the Huey worker.")

    def handle(
        self,
        *args,
        bind: str,
        live_bind: str,
        workers: int | None,
        no_worker: bool,
        no_live: bool,
        **options,
    ):
        workers = workers or env_int("XIETONG_WORKERS", default_workers())
        if workers < 1:
            raise CommandError("XIETONG_WORKERS must be at least 1")
        _check_free(bind)
        live_address = None if no_live else _live_address(live_bind)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "xietong.settings"),
        }
        gunicorn_cmd = _gunicorn_cmd(bind, workers)
        worker_cmd = _worker_cmd()
        live_cmd = _live_cmd(live_address)

        def spawn(cmd: list[str]) -> subprocess.Popen:
            # process_group=0: the terminal's Ctrl-C goes to us only; we decide the order.
            return subprocess.Popen(cmd, env=env, process_group=0, preexec_fn=_die_with_parent)  # noqa: S603

        stopping = False

        def on_signal(signum, frame):
            nonlocal stopping
            stopping = True

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        children: dict[str, subprocess.Popen] = {}
        failed = None
        try:
            children["web"] = spawn(gunicorn_cmd)
            if not no_live:
                children["live"] = spawn(live_cmd)
            if not no_worker:
                children["worker"] = spawn(worker_cmd)
            web_up = _wait_listening(bind, children["web"], timeout=30)
            live_up = no_live or _wait_listening(live_bind, children["live"], timeout=30)
            if web_up and live_up:
                self._announce(bind, None if no_live else live_bind, workers=workers, worker=not no_worker)
            elif not stopping:
                failed = "web" if not web_up else "live"
            while not stopping and failed is None:
                failed = _first_stopped(children)
                if failed is None:
                    time.sleep(0.2)
        finally:
            self._stop(children)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if failed is not None:
            code = children[failed].returncode
            raise CommandError(f"the {failed} process stopped unexpectedly (exit status {code})")
        self.stdout.write("Xietong stopped.")

    def _announce(self, bind: str, live_bind: str | None, *, workers: int, worker: bool) -> None:
        extras = (
            "" if live_bind is None else f" + live room on {display_url(live_bind).replace('http', 'ws', 1)}"
        )
        extras += " + task worker" if worker else ""
        self.stdout.write(
            f"Xietong is running at {display_url(bind)} ({workers} web workers{extras}). Press Ctrl-C to stop."
        )
        self.stdout.flush()

    def _stop(self, children: dict[str, subprocess.Popen]) -> None:
        # gunicorn, uvicorn: SIGTERM is their graceful stop; huey: SIGINT is its graceful stop
        # and SIGTERM its interrupting one.
        graceful = {"web": signal.SIGTERM, "live": signal.SIGTERM, "worker": signal.SIGINT}
        for name, proc in children.items():
            if proc.poll() is None:
                proc.send_signal(graceful[name])
        deadline = time.monotonic() + env_int("XIETONG_STOP_TIMEOUT", 30)
        for name, proc in children.items():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                if name == "worker":
                    proc.terminate()
                    try:
                        proc.wait(timeout=INTERRUPT_GRACE)
                        continue
                    except subprocess.TimeoutExpired:
                        pass
                proc.kill()
                proc.wait()
