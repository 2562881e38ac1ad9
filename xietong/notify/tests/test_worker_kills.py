"""A real Huey consumer (as ``xietong serve`` starts it) delivering 200 robot messages to a
local receiver while it is killed with SIGKILL ten times at random moments and restarted."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.db import connection

from xietong.desk.testing import (
    build_test_org,
    copy_sqlite_test_database,
    make_person,
    subprocess_database_url,
)
from xietong.meetings import services as meeting_services
from xietong.meetings.tests.factories import THU_1800, published_meeting, sh
from xietong.notify.models import DepartmentRobot, Preference
from xietong.org.models import Department, Person, Role

from .conftest import FEISHU_SECRET

DEPARTMENTS = 10  # one Feishu robot each, so the vendor's pace (0.6 s a robot) allows ~17 a second
EVENTS = 20  # the notice and 19 reschedules: 10 × 20 = 200 robot messages
KILLS = 10
# Seconds without a single delivery that count as "delivery has stopped" (a restart on a busy
# two-core machine takes a few seconds; a lock left behind stops delivery for good).
STALL = 45


def _robot_org(receiver):
    """Ten departments whose heads are invited; each department has a Feishu robot; nobody
    takes e-mail, so only the robot channel is watched."""
    torg = build_test_org()
    for i in range(DEPARTMENTS):
        department = Department.objects.create(name=f"专项组{i}", sort_order=10 + i)
        make_person(f"lead{i}", f"组长{i}", department, Role.HEAD)
        DepartmentRobot.objects.create(
            department=department,
            kind="feishu",
            webhook_url=f"{receiver.base}/open-apis/bot/v2/hook/0a1b2c3d-group{i}",
            secret=FEISHU_SECRET,
            updated_at=THU_1800,
        )
    for person in Person.objects.all():
        Preference.objects.create(person=person, email=False, robots=True, updated_at=THU_1800)
    meeting = published_meeting(torg)
    for n in range(EVENTS - 1):
        meeting_services.meeting_reschedule(
            meeting=meeting,
            starts_at=sh(2026, 3, 9, 9, 0) + timedelta(minutes=10 * (n + 1)),
            location="五楼",
            actor=torg.coordinator,
            now=THU_1800 + timedelta(minutes=n),
        )
        meeting.refresh_from_db()
    return torg


class Worker:
    """``xietong run_huey`` with the arguments ``xietong serve`` gives it."""

    def __init__(self, tmp_path, receiver):
        self.tmp_path = tmp_path
        self.db_path = tmp_path / "xietong.sqlite3"
        self.queue = f"xietong-kills-{uuid.uuid4().hex[:8]}"
        self.env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "REDIS_URL", "PYTEST_XDIST_WORKER"}
        }
        self.env.update(
            DJANGO_SETTINGS_MODULE="xietong.settings",
            XIETONG_SQLITE_PATH=str(self.db_path),
            XIETONG_VAR_DIR=str(tmp_path),
            XIETONG_SECRET_KEY=settings.SECRET_KEY,  # the robots' addresses are encrypted with a key from it
            XIETONG_NOTIFY_TEST_HOSTS="127.0.0.1",
            XIETONG_NOTIFY_HTTP_TIMEOUT="1",
            XIETONG_NOTIFY_LEASE_SECONDS="3",  # a killed worker's claimed rows come back after 3 s
            XIETONG_NOTIFY_RUN_SECONDS="2",
            XIETONG_TASK_LEASE_SECONDS="5",
            XIETONG_REDIS_PREFIX=self.queue,
        )
        if settings.REDIS_URL:
            self.env["REDIS_URL"] = settings.REDIS_URL
        if connection.vendor == "sqlite":
            copy_sqlite_test_database(self.db_path)
        else:
            self.env["DATABASE_URL"] = subprocess_database_url()
        self.proc: subprocess.Popen | None = None
        self.log = (tmp_path / "worker.log").open("a")

    def start(self) -> None:
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "xietong", "run_huey", "--workers", "2", "--worker-type", "thread"]
            + ["--flush-locks", "--quiet"],
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        if settings.REDIS_URL:
            client = redis.Redis.from_url(settings.REDIS_URL)
            keys = list(client.scan_iter(f"huey.*{self.queue}*"))
            if keys:
                client.delete(*keys)

    def sent(self) -> int:
        return self._count("SELECT COUNT(*) FROM notify_delivery WHERE state = 'sent'")

    def pending(self) -> int:
        """Deliveries not sent yet (or not yet written: events still undispatched)."""
        return self._count(
            "SELECT (SELECT COUNT(*) FROM notify_delivery WHERE state <> 'sent')"
            " + (SELECT COUNT(*) FROM core_event WHERE dispatched_at IS NULL)"
        )

    def _count(self, sql: str) -> int:
        if connection.vendor == "sqlite":
            with sqlite3.connect(self.db_path, timeout=20) as db:
                return db.execute(sql).fetchone()[0]
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_200_robot_messages_arrive_through_ten_kills_of_the_worker(tmp_path, receiver):
    _robot_org(receiver)
    worker = Worker(tmp_path, receiver)
    rng = random.Random(20261207)  # noqa: S311 - test timing, not security
    kills = 0
    started = time.monotonic()
    try:
        worker.start()
        while kills < KILLS and worker.pending():
            # Kill at a random moment once the (re)started worker is delivering again.
            seen = len(receiver.received)
            waiting = time.monotonic()
            while len(receiver.received) == seen and time.monotonic() - waiting < STALL:
                time.sleep(0.05)
            time.sleep(rng.uniform(0, 0.8))
            worker.kill()
            kills += 1
            worker.start()
        # Then until everything is out, or nothing has moved for STALL seconds (a lock left
        # behind by a killed worker stops delivery for good: that is the failure watched for).
        last, moved = len(receiver.received), time.monotonic()
        while worker.pending() and time.monotonic() - moved < STALL:
            time.sleep(0.3)
            if len(receiver.received) != last:
                last, moved = len(receiver.received), time.monotonic()
        sent, pending = worker.sent(), worker.pending()
    finally:
        worker.stop()
    elapsed = time.monotonic() - started
    # Every sent row was accepted by the receiver at least once; any post beyond that is a
    # message sent again (the texts alone cannot tell: they show the meeting as it is now).
    duplicates = len(receiver.received) - sent
    assert receiver.rejected == []
    # 200 meeting messages, and the ledger tick's own robot messages if a minute turned over.
    assert pending == 0 and sent >= DEPARTMENTS * EVENTS and kills == KILLS
    print(f"{sent} sent, {duplicates} twice, {kills} kills, {elapsed:.1f} s")
    # Only the send-then-mark window can repeat a message: at most one per kill.
    assert 0 <= duplicates <= kills
