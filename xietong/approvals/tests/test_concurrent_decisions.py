"""Two approvers of a 或签 step decide at the same moment, each in their own process: the row lock
on the approval lets exactly one decision count, and the other approver is told."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from xietong.approvals import services
from xietong.desk.testing import copy_sqlite_test_database, subprocess_database_url

from .conftest import MON, file

_APPROVER = r"""
import os, sys, time
from datetime import datetime

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xietong.settings")
django.setup()

from xietong.approvals import services
from xietong.approvals.models import Approval
from xietong.core.errors import DomainError
from xietong.org.models import Person

approval_pk, person_pk, start, when = sys.argv[1:]
approval = Approval.objects.get(pk=int(approval_pk))
person = Person.objects.get(pk=int(person_pk))
while time.time() < float(start):
    time.sleep(0.001)
try:
    services.approval_approve(approval=approval, actor=person, now=datetime.fromisoformat(when))
except DomainError as err:
    print("refused", err.code)
else:
    print("approved")
"""

GROUP_ANY = """
[[fields]]
name = "amount"
type = "amount"

[[steps]]
key = "heads"
name = "或签"
approver = "group"
people = ["market_head", "finance_head"]
mode = "any"
"""


@pytest.mark.django_db(transaction=True)  # committed rows: the approvers' processes see them
def test_two_any_of_approvers_at_the_same_moment_exactly_one_counts(torg, activity, tmp_path):
    template = services.template_create(
        actor=torg.coordinator, now=MON, key="any", name="或签", policy=activity, text=GROUP_ANY
    )
    approval = file(torg, template, 10)
    on_sqlite = connection.vendor == "sqlite"
    if on_sqlite:
        path = tmp_path / "decisions.sqlite3"
        copy_sqlite_test_database(path)
        env = {**os.environ, "XIETONG_SQLITE_PATH": str(path), "DATABASE_URL": "", "REDIS_URL": ""}
    else:
        env = {**os.environ, "DATABASE_URL": subprocess_database_url(), "REDIS_URL": ""}
    start = time.time() + 3.0
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _APPROVER, str(approval.pk), str(person.pk), str(start), MON.isoformat()],
            env=env,
            cwd=Path(__file__).resolve().parents[3],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for person in (torg.market_head, torg.finance_head)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    results = sorted(out.strip() for out, _err in outputs)
    assert results == ["approved", "refused finished"], outputs
    if on_sqlite:
        db = sqlite3.connect(path)
        states = sorted(
            s for (s,) in db.execute("SELECT state FROM approvals_task WHERE approval_id = ?", (approval.pk,))
        )
        status = db.execute("SELECT status FROM approvals_approval WHERE id = ?", (approval.pk,)).fetchone()[
            0
        ]
        db.close()
    else:
        approval.refresh_from_db()
        states = sorted(approval.tasks.values_list("state", flat=True))
        status = approval.status
    assert states == ["approved", "closed"]
    assert status == "approved"
