"""A small organisation built through the real services, shared by tests (and handy in a shell
with the test tools installed), and the helpers of the browser and multi-process tests."""

from __future__ import annotations

import os
import shutil
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, time
from functools import cache
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from playwright.sync_api import sync_playwright

from xietong.meetings.models import MeetingSeries
from xietong.org.models import Department, Organization, Person, Role, RoleAssignment
from xietong.policy.calendar import SHANGHAI
from xietong.policy.models import Policy
from xietong.policy.services import policy_install_preset

PASSWORD = "Xt-test-pass-2026"


@dataclass
class TestOrg:
    org: Organization
    policy: Policy
    series: object
    departments: dict[str, Department] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)

    def __getattr__(self, name: str):
        people = self.__dict__.get("people", {})
        if name in people:
            return people[name]
        raise AttributeError(name)


@cache
def _password_hash() -> str:
    # Argon2 is deliberately slow; hash the shared test password once per process.
    return make_password(PASSWORD)


def make_person(
    username: str, full_name: str, department: Department | None, *roles, title: str = ""
) -> Person:
    person = Person.objects.create(
        username=username,
        password=_password_hash(),
        full_name=full_name,
        department=department,
        title=title,
        email=f"{username}@example.cn",
        mobile=f"139{abs(hash(username)) % 10**8:08d}",
    )
    for role in roles:
        if isinstance(role, tuple):
            role, dept = role
        else:
            dept = department if role in {Role.HEAD, Role.LIAISON, Role.DEPUTY} else None
        RoleAssignment.objects.create(person=person, role=role, department=dept)
    return person


def build_test_org(*, preset: str = "seed01-weekly", now: datetime | None = None) -> TestOrg:
    now = now or datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
    org = Organization.objects.create(name="测试公司")
    policy = policy_install_preset(name=preset, now=now)
    depts = {}
    for i, (key, name) in enumerate(
        [("office", "办公室"), ("tech", "技术部"), ("market", "市场部"), ("finance", "财务部")]
    ):
        depts[key] = Department.objects.create(name=name, sort_order=i)
    P = {}
    P["chair"] = make_person("chair", "赵总", depts["office"], Role.LEADERSHIP, title="总经理")
    P["coordinator"] = make_person(
        "coord", "钱主任", depts["office"], Role.COORDINATOR, Role.HEAD, title="办公室主任"
    )
    P["host"] = make_person("host", "孙主持", depts["office"], Role.HOST)
    P["recorder"] = make_person("recorder", "李记录", depts["office"], Role.RECORDER)
    P["tech_head"] = make_person("tech_head", "周技术", depts["tech"], Role.HEAD, title="技术部经理")
    P["tech_liaison"] = make_person("tech_liaison", "吴联络", depts["tech"], Role.LIAISON)
    P["tech_deputy"] = make_person("tech_deputy", "郑副职", depts["tech"], Role.DEPUTY)
    P["market_head"] = make_person("market_head", "王市场", depts["market"], Role.HEAD)
    P["market_liaison"] = make_person("market_liaison", "冯联络", depts["market"], Role.LIAISON)
    P["finance_head"] = make_person("finance_head", "陈财务", depts["finance"], Role.HEAD)
    P["finance_liaison"] = make_person("finance_liaison", "褚联络", depts["finance"], Role.LIAISON)
    P["outsider"] = make_person("outsider", "卫路人", depts["market"])
    series = MeetingSeries.objects.create(
        name="跨科室周例会",
        policy=policy,
        rrule="FREQ=WEEKLY;BYDAY=MO",
        start_time=time(9, 0),
        duration_minutes=90,
        location="三楼会议室",
        host=P["host"],
        recorder=P["recorder"],
    )
    return TestOrg(org=org, policy=policy, series=series, departments=depts, people=P)


# ---- browser tests ------------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def chromium():
    """Headless Debian Chromium driven by Playwright (never a downloaded browser).

    Without /usr/bin/chromium the calling test is skipped locally; under CI=true or
    XIETONG_REQUIRE_BROWSER=1 it fails instead, so a missing browser never hides a test.
    """
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true" or os.environ.get("XIETONG_REQUIRE_BROWSER") == "1":
            pytest.fail(f"Chromium is required for the browser tests but {CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} is not installed (apt install chromium); CI requires it")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def record_csp_violations(page, into: list[str] | None = None) -> list[str]:
    """The console messages in which Chromium reports what the page's Content-Security-Policy
    blocked (an inline script or style, a connection to another origin) or what it could not read
    in its Permissions-Policy, collected as they come in ``into`` (or a new list); there must be none."""
    found: list[str] = [] if into is None else into

    def seen(message) -> None:
        if "Content Security Policy" in message.text or "Permissions-Policy" in message.text:
            found.append(message.text)

    page.on("console", seen)
    return found


def subprocess_database_url() -> str:
    """DATABASE_URL pointed at the running test database, for processes a test starts itself
    (PostgreSQL only; those tests are transactional, so their rows are committed)."""
    url = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(url._replace(path="/" + connection.settings_dict["NAME"]))


def copy_sqlite_test_database(path) -> None:
    """Write the in-memory SQLite test database to ``path`` for other processes to open.

    The copy is switched to WAL here, once: switching needs an exclusive lock, and two
    processes switching at the same moment deadlock (SQLite answers one of them "database
    is locked" without waiting). A deployed database is switched by migrate, before any
    worker starts.
    """
    connection.ensure_connection()
    target = sqlite3.connect(path)
    try:
        connection.connection.backup(target)
        target.execute("PRAGMA journal_mode=WAL")
    finally:
        target.close()
