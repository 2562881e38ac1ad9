"""No lost updates: two processes edit one topic draft through the real edit form at once.

Each process GETs the form, POSTs all its fields with its own marker appended to a different
field, and after a 409 (someone saved in between) reads the form again and retries. Every
acknowledged edit must survive: all 2 × N markers are in the draft at the end.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from xietong.desk.testing import copy_sqlite_test_database, subprocess_database_url

from .conftest import WED, make_topic

EDITS = 100

_EDITOR = r"""
import os, sys, time
from datetime import datetime

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xietong.settings")
django.setup()

import lxml.html
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client
from django.test.utils import setup_test_environment
from django.urls import reverse

setup_test_environment()
topic_pk, person_pk, field, tag, edits, start, when = sys.argv[1:]
client = Client()
client.force_login(get_user_model().objects.get(pk=int(person_pk)))
url = reverse("topics:edit", args=[int(topic_pk)])
acked = stale = 0
while time.time() < float(start):
    time.sleep(0.01)
with time_machine.travel(datetime.fromisoformat(when)):
    for n in range(int(edits)):
        while True:
            page = client.get(url)
            assert page.status_code == 200, page.status_code
            form = next(f for f in lxml.html.fromstring(page.content).forms if field in f.fields)
            data = {}
            for name, value in form.form_values():
                data.setdefault(name, []).append(value)
            data[field] = [data[field][0] + f"[{tag}-{n}]"]
            response = client.post(url, data)
            if response.status_code == 302:
                acked += 1
                break
            assert response.status_code == 409, (response.status_code, response.content[:2000])
            stale += 1
print(acked, stale)
"""


@pytest.mark.django_db(transaction=True)  # committed rows: the editors' processes see them
def test_two_processes_editing_one_draft_lose_no_update(torg, tmp_path):
    topic = make_topic(torg)
    on_sqlite = connection.vendor == "sqlite"
    if on_sqlite:
        path = tmp_path / "edits.sqlite3"
        copy_sqlite_test_database(path)
        env = {**os.environ, "XIETONG_SQLITE_PATH": str(path), "DATABASE_URL": "", "REDIS_URL": ""}
    else:
        env = {**os.environ, "DATABASE_URL": subprocess_database_url(), "REDIS_URL": ""}
    start = time.time() + 2.0
    editors = [("background", "P1"), ("collaboration_need", "P2")]
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                _EDITOR,
                str(topic.pk),
                str(torg.tech_liaison.pk),
                field,
                tag,
                str(EDITS),
                str(start),
                WED.isoformat(),
            ],
            env=env,
            cwd=Path(__file__).resolve().parents[3],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for field, tag in editors
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    counts = [tuple(map(int, out.split())) for out, _err in outputs]
    assert [acked for acked, _stale in counts] == [EDITS, EDITS]
    if on_sqlite:
        db = sqlite3.connect(path)  # the editors wrote to the file copy
        background, need, version = db.execute(
            "SELECT background, collaboration_need, edit_version FROM topics_topic WHERE id = ?", (topic.pk,)
        ).fetchone()
        db.close()
    else:
        topic.refresh_from_db()
        background, need, version = topic.background, topic.collaboration_need, topic.edit_version
    lost = [f"[P1-{n}]" for n in range(EDITS) if f"[P1-{n}]" not in background]
    lost += [f"[P2-{n}]" for n in range(EDITS) if f"[P2-{n}]" not in need]
    assert lost == []
    assert version == 1 + 2 * EDITS
