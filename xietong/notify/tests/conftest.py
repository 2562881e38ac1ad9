"""Local stand-ins for the outside world: a real SMTP server (aiosmtpd) and a real HTTP
receiver that checks WeCom / DingTalk / Feishu requests the way the vendors document them
and fails on command. Nothing here talks to a real address."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import email
import email.policy
import hashlib
import hmac
import json
import socket
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

DINGTALK_SECRET = "SEC" + "0123456789abcdef" * 4
FEISHU_SECRET = "FsTestSecret0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- SMTP ---------------------------------------------------------------------------------


class SmtpHandler:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.refuse: str = ""  # e.g. "550 5.1.1 mailbox unavailable"
        self.lock = threading.Lock()
        # With stall_at = n, the (n+1)-th message is never answered: the sender hangs there.
        self.stall_at: int | None = None
        self.stalled = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.stall_at is not None and len(self.messages) >= self.stall_at:
            self.stalled.set()
            await asyncio.sleep(30)
            return "451 4.3.0 Try again later"
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp(settings):
    handler = SmtpHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    try:
        yield handler
    finally:
        controller.stop()


# ---- robot webhooks -----------------------------------------------------------------------


class Receiver:
    """Answers like the vendors; ``mode`` is ok / 500 / timeout / throttle; ``down()`` closes
    the port (connection refused) and ``up()`` opens it again on the same port."""

    def __init__(self):
        self.port = free_port()
        self.mode = "ok"
        self.received: list[dict] = []  # accepted messages only
        self.rejected: list[str] = []
        self.lock = threading.Lock()
        self.server = None
        self.thread = None
        self.up()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def up(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                receiver.handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def down(self):
        if self.server is None:
            return
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()
        self.server = None

    def _answer(self, req, status: int, payload: dict):
        body = json.dumps(payload).encode()
        req.send_response(status)
        req.send_header("Content-Type", "application/json")
        req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        # The client may have stopped waiting (the timeout test).
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            req.wfile.write(body)

    def handle(self, req):
        raw = req.rfile.read(int(req.headers.get("Content-Length", 0)))
        url = urllib.parse.urlsplit(req.path)
        query = urllib.parse.parse_qs(url.query)
        kind = (
            "wecom"
            if url.path == "/cgi-bin/webhook/send"
            else "dingtalk"
            if url.path == "/robot/send"
            else "feishu"
        )
        ok = {"wecom": {"errcode": 0, "errmsg": "ok"}, "dingtalk": {"errcode": 0, "errmsg": "ok"}}.get(
            kind, {"code": 0, "msg": "success", "data": {}}
        )
        if self.mode == "500":
            return self._answer(req, 500, {"error": "boom"})
        if self.mode == "timeout":
            time.sleep(1.5)
            return self._answer(req, 200, ok)
        if self.mode == "throttle":
            code = {"wecom": 45009, "dingtalk": 90030, "feishu": 11232}[kind]
            key = "code" if kind == "feishu" else "errcode"
            return self._answer(req, 200, {key: code, "msg" if kind == "feishu" else "errmsg": "over limit"})
        if len(raw) > {"wecom": 10_000, "dingtalk": 20_000, "feishu": 20_000}[kind]:
            return self._answer(req, 200, {"errcode": 460101, "errmsg": "body too large"})
        try:
            body = json.loads(raw.decode("utf-8"))
        except ValueError:
            return self._answer(req, 400, {"errcode": 40001, "errmsg": "bad json"})
        error = self.check(kind, query, body)
        with self.lock:
            if error:
                self.rejected.append(error)
            else:
                self.received.append({"kind": kind, "body": body, "query": query})
        if error:
            code = {"dingtalk": 310000, "feishu": 19021}.get(kind, 93000)
            key = "code" if kind == "feishu" else "errcode"
            return self._answer(req, 200, {key: code, "msg" if kind == "feishu" else "errmsg": error})
        return self._answer(req, 200, ok)

    @staticmethod
    def check(kind: str, query: dict, body: dict) -> str:
        if kind == "wecom":
            if query.get("key") != ["wecomkey123"]:
                return "invalid webhook url"
            if body.get("msgtype") == "markdown":
                if len(body["markdown"]["content"].encode()) > 4096:
                    return "markdown.content exceed max length 4096"
            elif body.get("msgtype") == "text":
                if len(body["text"]["content"].encode()) > 2048:
                    return "content exceed max length 2048"
            else:
                return "invalid msgtype"
            return ""
        if kind == "dingtalk":
            ts, sign = query.get("timestamp", [""])[0], query.get("sign", [""])[0]
            if not ts or not sign:
                return "sign not match"
            # parse_qs already URL-decoded the query once: compare with the base64 digest.
            digest = hmac.new(DINGTALK_SECRET.encode(), f"{ts}\n{DINGTALK_SECRET}".encode(), hashlib.sha256)
            if sign != base64.b64encode(digest.digest()).decode():
                return "sign not match"
            if abs(int(ts) - time.time() * 1000) > 3600 * 1000:
                return "invalid timestamp"
            if body.get("msgtype") != "markdown" or "text" not in body.get("markdown", {}):
                return "invalid msgtype"
            return ""
        ts, sign = body.get("timestamp", ""), body.get("sign", "")
        expected = base64.b64encode(
            hmac.new(f"{ts}\n{FEISHU_SECRET}".encode(), b"", hashlib.sha256).digest()
        ).decode()
        if not ts or sign != expected:
            return "sign match fail or timestamp is not within one hour from current time"
        if abs(int(ts) - time.time()) > 3600:
            return "timestamp out of range"
        if body.get("msg_type") == "text":
            return "" if isinstance(body.get("content", {}).get("text"), str) else "bad request"
        if body.get("msg_type") == "interactive":
            try:
                elements = body["card"]["elements"]
                ok = all(e["text"]["tag"] in ("lark_md", "plain_text") for e in elements if e["tag"] == "div")
            except (KeyError, TypeError):
                return "bad request"
            return "" if ok and elements else "bad request"
        return "bad request"


@pytest.fixture
def receiver(settings):
    settings.NOTIFY_TEST_HOSTS = ["127.0.0.1"]
    settings.NOTIFY_HTTP_TIMEOUT_SECONDS = 0.5
    r = Receiver()
    try:
        yield r
    finally:
        r.down()


# ---- workers in separate processes on a file copy of the test database --------------------


class Workers:
    """Runs worker_proc in N processes against the test database.

    On SQLite: against a file copied from the test database (the in-memory test database
    cannot be shared across processes, and its shared-cache mode locks tables without
    waiting, unlike a real WAL database file). On PostgreSQL: against the test database
    itself (the tests using this are transactional, so their rows are committed).
    """

    def __init__(self, tmp_path, smtp_port: int):
        self.tmp_path = tmp_path
        self.path = tmp_path / "xietong.sqlite3"
        self.smtp_port = smtp_port

    @staticmethod
    def _on_sqlite() -> bool:
        from django.db import connection

        return connection.vendor == "sqlite"

    def snapshot(self) -> None:
        from xietong.desk.testing import copy_sqlite_test_database

        if self._on_sqlite():
            copy_sqlite_test_database(self.path)

    def start(self, mode: str, now, *, processes: int = 2, env: dict | None = None):
        import os
        import subprocess
        import sys

        environment = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "REDIS_URL", "PYTEST_XDIST_WORKER"}
        }
        environment.update(
            DJANGO_SETTINGS_MODULE="xietong.settings",
            XIETONG_SQLITE_PATH=str(self.path),
            XIETONG_VAR_DIR=str(self.tmp_path),
            XIETONG_SECRET_KEY="test-workers",
            XIETONG_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            XIETONG_SMTP_HOST="127.0.0.1",
            XIETONG_SMTP_PORT=str(self.smtp_port),
            **(env or {}),
        )
        if not self._on_sqlite():
            from xietong.desk.testing import subprocess_database_url

            environment["DATABASE_URL"] = subprocess_database_url()
        return [
            subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", "xietong.notify.tests.worker_proc", mode, now.isoformat()],
                env=environment,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(processes)
        ]

    def run(self, mode: str, now, *, processes: int = 2, env: dict | None = None) -> list[dict]:
        procs = self.start(mode, now, processes=processes, env=env)
        results = []
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
            results.append(json.loads(out.strip().splitlines()[-1]))
        return results

    def query(self, sql: str, *params):
        import sqlite3

        if not self._on_sqlite():
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute(sql.replace("?", "%s"), params)
                return [tuple(row) for row in cursor.fetchall()]
        with sqlite3.connect(self.path) as db:
            return db.execute(sql, params).fetchall()


@pytest.fixture
def workers(tmp_path, smtp, settings):
    return Workers(tmp_path, settings.EMAIL_PORT)
