"""The session engine (xietong/core/sessions.py): Django's database sessions read with one plain
query; the same refusals as Django's engine (expired, unknown, tampered sessions are anonymous)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from xietong.core.sessions import SessionStore


def test_the_product_uses_this_engine():
    assert settings.SESSION_ENGINE == "xietong.core.sessions"


def test_logged_in_page_reads_the_session_with_one_plain_query(torg, login):
    client = login(torg.tech_head)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/actions/")
    assert response.status_code == 200
    reads = [q["sql"] for q in ctx.captured_queries if "django_session" in q["sql"]]
    assert len(reads) == 1 and reads[0].startswith("SELECT session_data FROM")
    assert torg.tech_head.full_name in response.content.decode()


def test_round_trip_and_unknown_key(db):
    store = SessionStore()
    store["k"] = "值"
    store.create()
    assert SessionStore(store.session_key)["k"] == "值"
    missing = SessionStore("x" * 32)
    assert missing.load() == {} and missing.session_key is None


def test_expired_session_is_anonymous(torg, login):
    client = login(torg.tech_head)
    Session.objects.filter(pk=client.cookies["sessionid"].value).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    response = client.get("/actions/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_tampered_session_data_is_anonymous(torg, login):
    client = login(torg.tech_head)
    key = client.cookies["sessionid"].value
    row = Session.objects.get(pk=key)
    Session.objects.filter(pk=key).update(session_data=row.session_data[:-3] + "abc")
    response = client.get("/actions/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
