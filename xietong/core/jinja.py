"""The Jinja2 environment used by every product page."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.signals import setting_changed
from django.middleware.csrf import get_token
from django.template.backends.jinja2 import Jinja2, Template
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext, pgettext
from jinja2 import Environment

_plain_urls: dict[tuple, str] = {}


def url(name: str, *args, **kwargs) -> str:
    if args or kwargs:
        return reverse(name, args=args or None, kwargs=kwargs or None)
    # A URL without arguments (the navigation of every page) is reversed once per URL
    # configuration and script prefix, not on every page.
    key = (name, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
    found = _plain_urls.get(key)
    if found is None:
        found = _plain_urls[key] = reverse(name)
    return found


def _forget_urls(*, setting, **kwargs):
    if setting == "ROOT_URLCONF":
        _plain_urls.clear()


setting_changed.connect(_forget_urls)


def localtime(value: datetime | None, fmt: str = "Y-m-d H:i") -> str:
    if value is None:
        return ""
    if fmt == "Y-m-d H:i":  # the default: the same digits without Django's format lookups
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return date_format(timezone.localtime(value), fmt)


def csrf_token(request) -> str:
    return get_token(request)


def _gettext(message: str, **variables) -> str:
    # Formats only when values are passed, so `_("Due %(when)s") % {...}` also works.
    text = gettext(message)
    return text % variables if variables else text


def _ngettext(singular: str, plural: str, n: int, **variables) -> str:
    text = ngettext(singular, plural, n)
    return text % {"num": n, **variables} if ("%" in text) else text


def environment(**options) -> Environment:
    env = Environment(**options)  # noqa: S701 - autoescape is set in settings.TEMPLATES
    env.install_gettext_callables(_gettext, _ngettext, newstyle=False)
    env.globals.update(
        url=url,
        static=static,
        get_messages=get_messages,
        csrf_token=csrf_token,
        pgettext=pgettext,
        get_language=translation.get_language,
    )
    env.filters["localtime"] = localtime
    return env


class ProductTemplate(Template):
    def render(self, context=None, request=None):
        # Django's backend puts a `csrf_token` string into the context, which would hide
        # the `csrf_token(request)` global our templates call; leave the global visible.
        context = dict(context or {})
        if request is not None:
            context["request"] = request
        return self.template.render(context)


class ProductJinja2(Jinja2):
    def from_string(self, template_code):
        return ProductTemplate(self.env.from_string(template_code), self)

    def get_template(self, template_name):
        template = super().get_template(template_name)
        return ProductTemplate(template.template, self)
