"""Links to one object by id, built cheaply for pages that show many of them."""

from __future__ import annotations

from django.conf import settings
from django.core.signals import setting_changed
from django.urls import get_script_prefix, get_urlconf, reverse

_SENTINEL = 918273645  # a number no real id collides with inside a reversed URL
_one_id_urls: dict[tuple, tuple[str, str] | None] = {}


def one_id_url(name: str, pk: int, *, urlconf: str | None = None, prefix: str | None = None) -> str:
    # URLs taking one id (a row's link on every line of a list) are reversed once per
    # URL configuration and script prefix; the id is put between the two halves. A page
    # that builds many passes the configuration and prefix it looked up once.
    key = (name, urlconf or get_urlconf() or settings.ROOT_URLCONF, prefix or get_script_prefix())
    halves = _one_id_urls.get(key, False)
    if halves is False:
        found = reverse(name, args=[_SENTINEL])
        halves = _one_id_urls[key] = (
            tuple(found.split(str(_SENTINEL))) if found.count(str(_SENTINEL)) == 1 else None
        )
    if halves is None:
        return reverse(name, args=[pk])
    return f"{halves[0]}{pk}{halves[1]}"


def _forget(*, setting, **kwargs):
    if setting == "ROOT_URLCONF":
        _one_id_urls.clear()


setting_changed.connect(_forget)


def one_id_urls(name: str):
    """``pk → one_id_url(name, pk)`` for a page that links many rows: the URL configuration,
    script prefix and halves looked up once."""
    urlconf, prefix = get_urlconf() or settings.ROOT_URLCONF, get_script_prefix()
    one_id_url(name, _SENTINEL, urlconf=urlconf, prefix=prefix)  # works the halves out
    halves = _one_id_urls.get((name, urlconf, prefix))
    if not halves:
        return lambda pk: one_id_url(name, pk, urlconf=urlconf, prefix=prefix)
    head, tail = halves
    return lambda pk: f"{head}{pk}{tail}"
