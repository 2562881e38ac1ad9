"""The Jinja2 environment used by every product page."""

from __future__ import annotations

from datetime import datetime

from django.contrib.messages import get_messages
from django.middleware.csrf import get_token
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext, pgettext
from jinja2 import Environment


def url(name: str, *args, **kwargs) -> str:
    return reverse(name, args=args or None, kwargs=kwargs or None)


def localtime(value: datetime | None, fmt: str = "Y-m-d H:i") -> str:
    if value is None:
        return ""
    return date_format(timezone.localtime(value), fmt)


def environment(**options) -> Environment:
    env = Environment(**options)  # noqa: S701 - autoescape is set in settings.TEMPLATES
    env.install_gettext_callables(gettext, ngettext, newstyle=True)
    env.globals.update(
        url=url,
        static=static,
        get_messages=get_messages,
        csrf_token=get_token,
        pgettext=pgettext,
        get_language=translation.get_language,
    )
    env.filters["localtime"] = localtime
    return env
