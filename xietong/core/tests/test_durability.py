"""No acknowledged write is lost when the page server is killed with SIGKILL mid-flight.

A real gunicorn serves a small organisation; a liaison drafts topics through the form while the
server is killed at random moments and restarted. Every draft whose POST was answered with the
redirect to its page must be in the database afterwards, and the database must be sound.
"""

from __future__ import annotations

import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import psycopg
import pytest
from django.db import connection

from xietong.desk.testing import PASSWORD

REPO = Path(__file__).resolve().parents[3]
ROUNDS = 4

SETUP = """
from xietong.desk.testing import build_test_org
build_test_org()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server_env(tmp_path):
    """Environment of a fresh installation: its own SQLite file, or its own PostgreSQL database
    when the suite runs on PostgreSQL."""
    env = {**os.environ, "XIETONG_VAR_DIR": str(tmp_path), "XIETONG_DEBUG": "false"}
    env.pop("XIETONG_SQLITE_PATH", None)
    dbname = None
    if connection.vendor == "postgresql":
        dbname = f"xietong_durability_{os.getpid()}"
        params = connection.get_connection_params()
        admin = {k: v for k, v in params.items() if k in {"host", "port", "user", "password"}}
        with psycopg.connect(dbname="postgres", autocommit=True, **admin) as pg:
            pg.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
            pg.execute(f'CREATE DATABASE "{dbname}"')
        env["DATABASE_URL"] = (
            f"postgres://{admin.get('user', 'root')}@{admin.get('host', '127.0.0.1')}:"
            f"{admin.get('port', 5432)}/{dbname}"
        )
    for command in (["migrate", "-v", "0"], ["shell", "-c", SETUP]):
        subprocess.run(
            [sys.executable, "-m", "xietong", *command], cwd=REPO, env=env, check=True, timeout=120
        )
    yield env
    if dbname:
        with psycopg.connect(dbname="postgres", autocommit=True, **admin) as pg:
            pg.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def start(env: dict, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "xietong.wsgi:application", "-b", f"127.0.0.1:{port}", "-w", "2"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError("gunicorn did not start")


def writer(port: int, stop: threading.Event, acknowledged: list[str], counter: list[int]) -> None:
    base = f"http://127.0.0.1:{port}"
    while not stop.is_set():
        try:
            with httpx.Client(base_url=base, timeout=30) as client:
                page = client.get("/login/")
                token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
                client.post(
                    "/login/",
                    data={"username": "tech_liaison", "password": PASSWORD, "csrfmiddlewaretoken": token},
                )
                form = client.get("/topics/new/").text
                others = re.findall(r'name="departments_involved" value="(\d+)"', form)
                choices = {
                    name: re.search(
                        rf'name="{name}"[^>]*?(?:value="|<option value=")(\d+)"', form, re.S
                    ).group(1)
                    for name in ("department", "series")
                }
                while not stop.is_set():
                    token = client.cookies.get("csrftoken")
                    counter[0] += 1
                    title = f"durable-{counter[0]}"
                    response = client.post(
                        "/topics/new/",
                        data={
                            "csrfmiddlewaretoken": token,
                            **choices,
                            "title": title,
                            "background": "b",
                            "collaboration_need": "c",
                            "departments_involved": others[-1],
                            "expected_outcome": "e",
                            "initial_solution": "i",
                        },
                    )
                    if response.status_code == 302 and "/topics/" in response.headers["location"]:
                        acknowledged.append(title)
        except (httpx.HTTPError, AttributeError):
            time.sleep(0.05)  # the server is down: log in again once it is back


def saved_titles(env: dict) -> tuple[set[str], str]:
    if "DATABASE_URL" in env:
        with psycopg.connect(env["DATABASE_URL"]) as pg:
            rows = pg.execute("SELECT title FROM topics_topic WHERE title LIKE 'durable-%%'").fetchall()
        return {r[0] for r in rows}, "ok"
    with sqlite3.connect(Path(env["XIETONG_VAR_DIR"]) / "xietong.sqlite3") as db:
        rows = db.execute("SELECT title FROM topics_topic WHERE title LIKE 'durable-%'").fetchall()
        check = db.execute("PRAGMA integrity_check").fetchone()[0]
    return {r[0] for r in rows}, check


def test_sigkill_of_the_page_server_loses_no_acknowledged_write(server_env):
    port = free_port()
    acknowledged: list[str] = []
    counter = [0]
    stop = threading.Event()
    proc = start(server_env, port)
    thread = threading.Thread(target=writer, args=(port, stop, acknowledged, counter), daemon=True)
    thread.start()
    try:
        for _round in range(ROUNDS):
            # Kill at a random moment once this round has written a few drafts.
            wanted, deadline = len(acknowledged) + 5, time.monotonic() + 60
            while len(acknowledged) < wanted and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(random.uniform(0, 0.5))  # noqa: S311 - a random moment, not a secret
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            proc = start(server_env, port)
        time.sleep(1.0)
    finally:
        stop.set()
        thread.join(timeout=10)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    saved, check = saved_titles(server_env)
    assert len(acknowledged) >= 5 * ROUNDS  # the writer really wrote through the kills
    assert set(acknowledged) - saved == set()
    assert check == "ok"
