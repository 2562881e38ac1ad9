"""A form posted with the token of the page it came from passes; a tampered or missing token is
refused (every route: test_guardrails.py)."""

from __future__ import annotations

import re

import pytest
from django.test import Client


@pytest.mark.django_db
def test_a_form_posted_with_the_page_token_passes_and_a_tampered_one_is_refused(torg):
    client = Client(enforce_csrf_checks=True)
    client.force_login(torg.coordinator)
    client.get("/")  # the first page sets the cookie
    page = client.get("/").content.decode()
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert tokens and re.search(r'"X-CSRFToken": "[^"]+"', page)  # forms and htmx requests
    token = tokens[0]
    ok = client.post("/lang/", {"csrfmiddlewaretoken": token, "language": "en", "next": "/"})
    assert ok.status_code == 302
    flipped = token[:40] + ("a" if token[40] != "a" else "b") + token[41:]
    refused = client.post("/lang/", {"csrfmiddlewaretoken": flipped, "language": "en", "next": "/"})
    assert refused.status_code == 403
    assert client.post("/lang/", {"language": "en", "next": "/"}).status_code == 403
