"""Guard rails over every route of the demo organisation.

What an attacker tried and could not do stays true: a POST without a CSRF token is refused on
every route; a plain employee's POSTs to every route change nothing they are not entitled to;
text written into the free-text columns is escaped on every page that shows it.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterator

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from xietong.org.models import Person

# Tables that change on any visit and hold no product data.
VOLATILE = {"django_session", "axes_accessattempt", "axes_accessfailurelog", "axes_accesslog"}
# Ids tried in every numeric path parameter: the demo has rows with each of them in every table.
IDS = ("1", "2", "3")


def _walk(resolver: URLResolver, prefix: str = "") -> Iterator[tuple[str, dict]]:
    for entry in resolver.url_patterns:
        pattern = str(entry.pattern)
        if isinstance(entry, URLResolver):
            if pattern.startswith("admin/"):
                continue  # Django's own admin: staff only, throttled separately
            yield from _walk(entry, prefix + pattern)
        elif isinstance(entry, URLPattern):
            yield prefix + pattern, getattr(entry.pattern, "converters", {})


def product_urls() -> list[str]:
    """Every product route with its parameters filled with ids that exist in the demo."""
    urls: list[str] = []
    for route, _converters in _walk(get_resolver()):
        if route.startswith("^") or "(?P" in route:
            continue
        params = re.findall(r"<(?:(\w+):)?(\w+)>", route)
        if not params:
            urls.append("/" + route)
            continue
        for value in IDS:
            url = route
            for conv, name in params:
                filler = value if conv not in {"str", "slug", "path", "uuid"} else "x"
                url = re.sub(rf"<(?:{conv}:)?{name}>", filler, url, count=1)
            urls.append("/" + url)
    return sorted(set(urls))


def fingerprint() -> dict[str, str]:
    """A digest of every product table's rows."""
    digests = {}
    for model in apps.get_models():
        table = model._meta.db_table
        if table in VOLATILE or model._meta.proxy:
            continue
        rows = model.objects.order_by("pk").values_list()
        digests[table] = hashlib.sha256(repr(list(rows)).encode()).hexdigest()
    return digests


def changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {table for table in before if before[table] != after[table]}


@pytest.fixture
def demo(db):
    call_command("demo", stdout=io.StringIO())


def test_a_post_without_csrf_token_is_refused_on_every_route(demo):
    client = Client(enforce_csrf_checks=True)
    client.force_login(Person.objects.get(username="chenjing"))
    urls = product_urls()
    assert len(urls) > 100
    before = fingerprint()
    accepted = {}
    for url in urls:
        status = client.post(url, {"title": "x", "reason": "x"}).status_code
        if status != 403:
            accepted[url] = status
    assert accepted == {}
    assert changed(before, fingerprint()) == set()


# Routes a person with no role may use on their own account; nothing else may change.
OWN_ACCOUNT = {"/logout/", "/lang/", "/notify/preferences/"}


def test_a_plain_employee_changes_nothing_on_any_route(demo):
    client = Client()
    # 葛慧: no role and nothing of her own (潘伟, the README's plain employee, owns an action item).
    client.force_login(Person.objects.get(username="gehui"))
    before = fingerprint()
    errors = {}
    for url in product_urls():
        if url in OWN_ACCOUNT:
            continue
        response = client.post(url, {"title": "x", "reason": "x", "body": "x", "comment": "x"})
        if response.status_code >= 500:
            errors[url] = response.status_code
    assert errors == {}
    assert changed(before, fingerprint()) == set()


PAYLOAD = "<script>xss()</script><img src=x onerror=xss()>"
TEXT_FIELD = re.compile(
    r"(title|name|body|description|background|reason|comment|conclusion|note|summary|location|w_\w+)$"
)
NOT_TEXT = re.compile(r"(username|key|code|slug|token|rrule|email|mobile|file|path|url|webhook)")


def _text_columns() -> Iterator[tuple[type[models.Model], str]]:
    for model in apps.get_models():
        if not model.__module__.startswith("xietong."):
            continue
        for field in model._meta.concrete_fields:
            if not isinstance(field, (models.CharField, models.TextField)) or field.choices:
                continue
            if field.unique or NOT_TEXT.search(field.name) or not TEXT_FIELD.search(field.name):
                continue
            if isinstance(field, models.CharField) and (field.max_length or 0) < len(PAYLOAD) + 8:
                continue
            yield model, field.name


def test_stored_markup_is_escaped_on_every_page(demo):
    columns = list(_text_columns())
    assert len(columns) >= 15
    for model, name in columns:
        model.objects.update(**{name: PAYLOAD})
    pages = [url for url in product_urls() if "/s/" not in url]
    shown = 0
    for username in ("chenjing", "zhangjianguo", "zhuwenbo", "panwei"):
        client = Client()
        client.force_login(Person.objects.get(username=username))
        for url in pages:
            response = client.get(url)
            assert response.status_code < 500, url
            if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
                continue
            text = response.content.decode()
            assert "<script>xss()" not in text and "<img src=x" not in text, (username, url)
            shown += "&lt;script&gt;xss()" in text
    assert shown > 20  # the payload really reached the pages, escaped
