"""Login throttling: growing delays a stranger cannot turn into a lock-out, a limit on spraying
one address's guesses over many accounts, and the client address behind a trusted proxy."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client, RequestFactory
from django.utils import timezone

from xietong.core.throttle import client_address, progressive_delay
from xietong.desk.testing import PASSWORD

A = "10.1.2.3"
B = "10.9.8.7"
PROXY = "10.0.0.1"


def english() -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    return client


def post_login(client, username, password, addr=A, path="/login/", **headers):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=addr, **headers)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def coordinator(torg):
    return torg.coordinator


def test_a_strangers_twenty_wrong_passwords_do_not_keep_the_coordinator_out(coordinator):
    stranger = english()
    responses = [post_login(stranger, coordinator.username, "wrong-password") for _ in range(20)]
    slowed = [r for r in responses if r.status_code == 429]
    assert slowed and all(int(r["Retry-After"]) > 0 for r in slowed)  # the stranger waits …
    owner = english()
    response = post_login(owner, coordinator.username, PASSWORD, addr=B)
    assert response.status_code == 302 and logged_in(owner)  # … the owner is not


def test_behind_the_proxy_the_owner_gets_in_from_her_own_forwarded_address(coordinator, settings):
    settings.TRUSTED_PROXY_HEADER = "X-Forwarded-For"
    settings.TRUSTED_PROXIES = "1"
    stranger = english()
    for _ in range(20):
        post_login(
            stranger, coordinator.username, "wrong-password", addr=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.9"
        )
    assert (
        post_login(
            stranger, coordinator.username, PASSWORD, addr=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.9"
        ).status_code
        == 429
    )
    owner = english()
    response = post_login(
        owner, coordinator.username, PASSWORD, addr=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.7"
    )
    assert response.status_code == 302 and logged_in(owner)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.9"}


def test_spraying_one_try_over_many_accounts_from_one_address_is_throttled(torg):
    usernames = [p.username for p in torg.people.values()] + [f"nobody{i}" for i in range(4)]
    assert len(usernames) > settings.LOGIN_ADDRESS_FAILURE_LIMIT
    sprayer = english()
    statuses = [post_login(sprayer, name, "wrong-password").status_code for name in usernames]
    assert statuses[: settings.LOGIN_ADDRESS_FAILURE_LIMIT - 1] == [200] * (
        settings.LOGIN_ADDRESS_FAILURE_LIMIT - 1
    )
    assert 429 in statuses
    # Even the right password waits from that address; elsewhere nobody notices.
    assert post_login(english(), "tech_head", PASSWORD).status_code == 429
    assert post_login(english(), "tech_head", PASSWORD, addr=B).status_code == 302


def test_a_forwarded_header_is_ignored_without_a_trusted_proxy(torg):
    assert not settings.TRUSTED_PROXY_HEADER
    sprayer = english()
    statuses = [
        post_login(sprayer, f"user{i}", "wrong-password", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}").status_code
        for i in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT + 2)
    ]
    assert statuses[-1] == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {A}


def test_delays_grow_then_the_right_password_works_once_the_delay_has_passed(torg):
    limit, base = settings.LOGIN_FAILURE_LIMIT, settings.LOGIN_DELAY_SECONDS
    client = english()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(limit - 1):
            assert post_login(client, "tech_head", "wrong-password").status_code == 200
        waits = []
        for _ in range(3):
            response = post_login(client, "tech_head", "wrong-password")
            assert response.status_code == 429
            waits.append(int(response["Retry-After"]))
            assert f"try again in {waits[-1]} seconds" in response.content.decode()
            # Refused while the delay runs, even with the right password; the refusal neither
            # counts as a failure nor moves the delay further out.
            refused = post_login(client, "tech_head", PASSWORD)
            assert refused.status_code == 429 and int(refused["Retry-After"]) == waits[-1]
            assert not logged_in(client)
            clock.shift(timedelta(seconds=waits[-1]))
        assert waits == [base, base * 2, base * 4]
        response = post_login(client, "tech_head", PASSWORD)
        assert response.status_code == 302 and logged_in(client)
        assert not AccessAttempt.objects.filter(username="tech_head").exists()


def test_the_wait_is_said_in_chinese_too(torg):
    client = Client()
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        response = post_login(client, "tech_head", "wrong-password")
    assert response.status_code == 429
    assert f"请在 {settings.LOGIN_DELAY_SECONDS} 秒后重试" in response.content.decode()


def test_the_admin_login_is_throttled_the_same_way(torg):
    client = english()
    for _ in range(settings.LOGIN_FAILURE_LIMIT - 1):
        assert post_login(client, "tech_head", "wrong-password", path="/admin/login/").status_code == 200
    response = post_login(client, "tech_head", "wrong-password", path="/admin/login/")
    assert response.status_code == 429
    assert response["Retry-After"] == str(settings.LOGIN_DELAY_SECONDS)
    assert post_login(client, "tech_head", PASSWORD, path="/admin/login/", addr=B).status_code != 429


def test_guesses_from_many_addresses_slow_the_account_only_briefly(torg, settings):
    settings.LOGIN_ACCOUNT_FAILURE_LIMIT = 8
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for i in range(30):
            post_login(english(), "tech_head", "wrong-password", addr=f"192.0.2.{i}")
        owner = english()
        refused = post_login(owner, "tech_head", PASSWORD, addr=B)
        assert refused.status_code == 429
        wait = int(refused["Retry-After"])
        assert 0 < wait <= settings.LOGIN_ACCOUNT_DELAY_CAP_SECONDS
        clock.shift(timedelta(seconds=wait))
        assert post_login(owner, "tech_head", PASSWORD, addr=B).status_code == 302


def test_progressive_delay_doubles_and_is_capped():
    delays = [progressive_delay(n, limit=5, base=5, cap=900) for n in range(3, 15)]
    assert delays == [0, 0, 5, 10, 20, 40, 80, 160, 320, 640, 900, 900]
    assert progressive_delay(10**6, limit=5, base=5, cap=900) == 900


def request_from(remote, forwarded=None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/login/", REMOTE_ADDR=remote, **extra)


def test_client_address_counts_trusted_proxies_from_the_right(settings):
    settings.TRUSTED_PROXY_HEADER = "X-Forwarded-For"
    settings.TRUSTED_PROXIES = "1"
    # The left-most entry is the client's to forge; the proxy appended the real one.
    assert client_address(request_from(PROXY, "1.1.1.1, 203.0.113.9")) == "203.0.113.9"
    assert client_address(request_from(PROXY)) == PROXY
    assert client_address(request_from(PROXY, "not-an-address")) == PROXY
    settings.TRUSTED_PROXIES = "2"
    assert client_address(request_from(PROXY, "1.1.1.1, 203.0.113.9, 10.0.0.2")) == "203.0.113.9"


def test_client_address_with_proxy_addresses_trusts_only_them(settings):
    settings.TRUSTED_PROXY_HEADER = "X-Forwarded-For"
    settings.TRUSTED_PROXIES = "10.0.0.0/24, 192.168.5.5"
    assert client_address(request_from(PROXY, "1.1.1.1, 203.0.113.9, 192.168.5.5")) == "203.0.113.9"
    # A request that did not come through a trusted proxy keeps its own address.
    assert client_address(request_from("198.51.100.1", "203.0.113.9")) == "198.51.100.1"
    settings.TRUSTED_PROXY_HEADER = ""
    assert client_address(request_from(PROXY, "203.0.113.9")) == PROXY
