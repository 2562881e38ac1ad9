"""Sessions: a logged-in person stays logged in; an expired, unknown or tampered session is
anonymous and sent to the login page."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.sessions.models import Session
from django.utils import timezone


def _sent_to_login(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_logged_in_person_stays_logged_in(torg, login):
    client = login(torg.tech_head)
    for _ in range(2):
        response = client.get("/actions/")
        assert response.status_code == 200
        assert torg.tech_head.full_name in response.content.decode()


def test_expired_session_is_anonymous(torg, login):
    client = login(torg.tech_head)
    Session.objects.filter(pk=client.cookies["sessionid"].value).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    assert _sent_to_login(client.get("/actions/"))


def test_unknown_session_is_anonymous(torg, login):
    client = login(torg.tech_head)
    client.cookies["sessionid"] = "x" * 32
    assert _sent_to_login(client.get("/actions/"))


def test_tampered_session_data_is_anonymous(torg, login):
    client = login(torg.tech_head)
    key = client.cookies["sessionid"].value
    row = Session.objects.get(pk=key)
    Session.objects.filter(pk=key).update(session_data=row.session_data[:-3] + "abc")
    assert _sent_to_login(client.get("/actions/"))
