"""The Jinja2 environment used by every product page (Django's own Jinja2 backend).

Django's backend puts ``request``, ``csrf_input`` and ``csrf_token`` into every page's context."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.signals import setting_changed
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext, pgettext
from jinja2 import Environment, pass_environment
from markupsafe import Markup


def url(name: str, *args, **kwargs) -> str:
    return reverse(name, args=args or None, kwargs=kwargs or None)


def localtime(value: datetime | None, fmt: str = "Y-m-d H:i") -> str:
    if value is None:
        return ""
    return date_format(timezone.localtime(value), fmt)


def _gettext(message: str, **variables) -> str:
    # Formats only when values are passed, so `_("Due %(when)s") % {...}` also works.
    text = gettext(message)
    return text % variables if variables else text


def _ngettext(singular: str, plural: str, n: int, **variables) -> str:
    text = ngettext(singular, plural, n)
    return text % {"num": n, **variables} if ("%" in text) else text


def colon() -> str:
    """The colon after a label: full-width in Chinese (原因：), ": " in English."""
    return pgettext("label separator", ": ")


_fragments: dict[tuple, Markup] = {}


@pass_environment
def static_fragment(env: Environment, name: str, **context) -> Markup:
    """Template ``name`` rendered once per language, URL configuration, script prefix and
    ``context`` (hashable values only).

    For the parts of the page frame that many pages and people share (the style sheet and
    script; the navigation, once per set of entries shown). Re-rendered every time while
    templates reload (development)."""
    key = (
        name,
        translation.get_language(),
        get_urlconf() or settings.ROOT_URLCONF,
        get_script_prefix(),
        tuple(sorted(context.items())),
    )
    found = _fragments.get(key)
    if found is None:
        found = Markup(env.get_template(name).render(context))  # noqa: S704 - a template's output
        if not env.auto_reload:
            _fragments[key] = found
    return found


def _forget_fragments(*, setting, **kwargs):
    if setting in ("ROOT_URLCONF", "STATIC_URL", "STORAGES"):
        _fragments.clear()


setting_changed.connect(_forget_fragments)


def environment(**options) -> Environment:
    env = Environment(**options)  # noqa: S701 - autoescape is set in settings.TEMPLATES
    env.install_gettext_callables(_gettext, _ngettext, newstyle=False)
    env.globals.update(
        url=url,
        static=static,
        get_messages=get_messages,
        static_fragment=static_fragment,
        pgettext=pgettext,
        colon=colon,
        get_language=translation.get_language,
    )
    env.filters["localtime"] = localtime
    return env
