"""The page's CSRF token: Django's format, unmasked to the cookie's secret by Django, accepted by
its middleware on a real form post, refused when tampered with."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.middleware.csrf import CSRF_ALLOWED_CHARS, _get_new_csrf_string, _unmask_cipher_token
from django.test import Client, RequestFactory

from xietong.core.jinja import csrf_token


def test_tokens_unmask_to_the_secret_and_their_masks_are_fresh_and_cover_the_alphabet():
    secret = _get_new_csrf_string()
    request = RequestFactory().get("/")
    request.META["CSRF_COOKIE"] = secret
    tokens = [csrf_token(request) for _ in range(400)]
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True
    assert all(len(t) == 64 and set(t) <= set(CSRF_ALLOWED_CHARS) for t in tokens)
    assert all(_unmask_cipher_token(t) == secret for t in tokens)
    assert len({t[:32] for t in tokens}) == len(tokens)  # a new mask every time
    counts = Counter("".join(t[:32] for t in tokens))  # 12,800 mask letters
    assert set(counts) == set(CSRF_ALLOWED_CHARS)
    assert max(counts.values()) < 2 * min(counts.values())  # about 206 each when uniform


def test_without_a_secret_django_makes_one_and_sets_the_cookie():
    request = RequestFactory().get("/")
    token = csrf_token(request)
    assert _unmask_cipher_token(token) == request.META["CSRF_COOKIE"]
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True


@pytest.mark.django_db
def test_a_form_posted_with_the_page_token_passes_and_a_tampered_one_is_refused(torg):
    client = Client(enforce_csrf_checks=True)
    client.force_login(torg.coordinator)
    client.get("/")  # the first page sets the cookie
    page = client.get("/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert _unmask_cipher_token(token) == client.cookies["csrftoken"].value
    ok = client.post("/lang/", {"csrfmiddlewaretoken": token, "language": "en", "next": "/"})
    assert ok.status_code == 302
    flipped = token[:40] + ("a" if token[40] != "a" else "b") + token[41:]
    refused = client.post("/lang/", {"csrfmiddlewaretoken": flipped, "language": "en", "next": "/"})
    assert refused.status_code == 403
