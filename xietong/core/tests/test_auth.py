"""Logging in: Argon2 hashes, the login page, throttling after repeated failures, CSRF."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from xietong.desk.testing import PASSWORD

ADDR = "10.1.2.3"


@pytest.fixture(autouse=True)
def _pages(client):
    client.cookies["django_language"] = "en"


def post_login(client, username, password, addr=ADDR):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=addr)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_passwords_are_hashed_with_argon2(torg):
    assert torg.tech_head.password.startswith("argon2")
    assert torg.tech_head.check_password(PASSWORD)


def test_login_page_renders(client, db):
    response = client.get("/login/", REMOTE_ADDR=ADDR)
    assert response.status_code == 200
    assert 'name="username"' in response.content.decode() and 'name="password"' in response.content.decode()


def test_right_password_logs_in_and_goes_home(client, torg):
    response = post_login(client, "tech_head", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(torg.tech_head.pk)


def test_wrong_password_stays_on_the_form(client, torg):
    response = post_login(client, "tech_head", "wrong-password")
    assert response.status_code == 200
    assert not logged_in(client)


def test_repeated_failures_lock_the_account(client, torg):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = post_login(client, "tech_head", "wrong-password")
    assert response.status_code in (403, 429)
    response = post_login(client, "tech_head", PASSWORD)
    assert response.status_code in (403, 429)
    assert not logged_in(client)
    # The lockout page is core/locked_out.html.
    assert "Too many failed log-in attempts" in response.content.decode()


def test_lockout_is_per_username_and_address(client, torg):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post_login(client, "tech_head", "wrong-password")
    # Someone else on the same network can still log in; so can the same user elsewhere.
    assert post_login(Client(), "tech_liaison", PASSWORD).status_code == 302
    assert post_login(Client(), "tech_head", PASSWORD, addr="10.9.9.9").status_code == 302


def test_failures_below_the_limit_do_not_lock(client, torg):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        post_login(client, "tech_head", "wrong-password")
    assert post_login(client, "tech_head", PASSWORD).status_code == 302
    assert logged_in(client)


def test_login_without_csrf_token_refused(torg):
    client = Client(enforce_csrf_checks=True)
    response = post_login(client, "tech_head", PASSWORD)
    assert response.status_code == 403
    assert not logged_in(client)


def test_logout_is_post_only(login, torg):
    client = login(torg.tech_head)
    assert client.get("/logout/").status_code == 405
    assert logged_in(client)
    assert client.post("/logout/").status_code == 302
    assert not logged_in(client)


def test_login_required_lets_people_in_and_sends_strangers_to_the_login_page(db):
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpResponse
    from django.test import RequestFactory
    from django.utils.functional import SimpleLazyObject

    from xietong.core.auth import login_required
    from xietong.desk.testing import make_person

    seen = []

    @login_required
    def view(request):
        seen.append(request.user.username)
        return HttpResponse("ok")

    person = make_person("lazy", "懒加载", None)
    request = RequestFactory().get("/somewhere/")
    request.user = SimpleLazyObject(lambda: person)
    assert view(request).status_code == 200 and seen == ["lazy"]
    stranger = RequestFactory().get("/somewhere/")
    stranger.user = SimpleLazyObject(AnonymousUser)
    response = view(stranger)
    assert response.status_code == 302 and "/login/" in response["Location"] and seen == ["lazy"]
