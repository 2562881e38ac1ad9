"""The Jinja2 environment used by every product page."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.signals import setting_changed
from django.middleware.csrf import get_token
from django.template.backends.jinja2 import Jinja2, Template
from django.templatetags.static import static
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext, pgettext, trans_real
from jinja2 import Environment, pass_environment
from markupsafe import Markup

from xietong.core.links import one_id_url

_plain_urls: dict[tuple, str] = {}


def url(name: str, *args, **kwargs) -> str:
    if len(args) == 1 and not kwargs and type(args[0]) is int and args[0] >= 0:
        try:
            return one_id_url(name, args[0])
        except NoReverseMatch:  # the pattern does not take a number: the plain way says why
            pass
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
        _fragments.clear()


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


_fragments: dict[tuple, Markup] = {}


@pass_environment
def static_fragment(env: Environment, name: str) -> Markup:
    """Template ``name`` rendered once per language, URL configuration and script prefix.

    For the parts of the page frame that are the same for every page and person (the
    navigation): a dozen links and labels become one cached string. Re-rendered every time
    while templates reload (development)."""
    key = (name, translation.get_language(), get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
    found = _fragments.get(key)
    if found is None:
        found = Markup(env.get_template(name).render(_translation_for_this_render()))  # noqa: S704 - a template's output
        if not env.auto_reload:
            _fragments[key] = found
    return found


def environment(**options) -> Environment:
    env = Environment(**options)  # noqa: S701 - autoescape is set in settings.TEMPLATES
    env.install_gettext_callables(_gettext, _ngettext, newstyle=False)
    env.globals.update(
        url=url,
        static=static,
        get_messages=get_messages,
        csrf_token=csrf_token,
        static_fragment=static_fragment,
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
        context.update(_translation_for_this_render())
        return self.template.render(context)


def _translation_for_this_render() -> dict:
    """``gettext``/``ngettext``/``get_language`` bound to the catalogue active now.

    A page asks for dozens of labels; Django's gettext finds the active catalogue again on
    every call (a context-local lookup that costs more than the translation itself). The
    i18n extension's ``_()`` resolves ``gettext`` from the render context, so binding the
    catalogue once per render gives the same texts for a fraction of the cost.
    """
    catalog = trans_real.catalog()
    language = translation.get_language()

    def gettext_now(message: str, **variables) -> str:
        text = catalog.gettext(message) if message else message
        return text % variables if variables else text

    def ngettext_now(singular: str, plural: str, n: int, **variables) -> str:
        text = catalog.ngettext(singular, plural, n)
        return text % {"num": n, **variables} if ("%" in text) else text

    return {"gettext": gettext_now, "ngettext": ngettext_now, "get_language": lambda: language}


class ProductJinja2(Jinja2):
    def from_string(self, template_code):
        return ProductTemplate(self.env.from_string(template_code), self)

    def get_template(self, template_name):
        template = super().get_template(template_name)
        return ProductTemplate(template.template, self)
