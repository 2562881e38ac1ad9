"""The Jinja2 environment used by every product page."""

from __future__ import annotations

import secrets
from datetime import datetime

import jinja2
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.signals import setting_changed
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.template.backends.jinja2 import Jinja2, Template, get_exception_info
from django.templatetags.static import static
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext, pgettext, trans_real
from jinja2 import Environment, pass_environment
from jinja2.ext import Extension
from jinja2.lexer import Token
from markupsafe import Markup

from xietong.core.links import one_id_url

_plain_urls: dict[tuple, str] = {}


def url(name: str, *args, **kwargs) -> str:
    return _url(name, args, kwargs, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())


def _url(name: str, args: tuple, kwargs: dict, urlconf: str, prefix: str) -> str:
    if len(args) == 1 and not kwargs and type(args[0]) is int and args[0] >= 0:
        try:
            return one_id_url(name, args[0], urlconf=urlconf, prefix=prefix)
        except NoReverseMatch:  # the pattern does not take a number: the plain way says why
            pass
    if args or kwargs:
        return reverse(name, args=args or None, kwargs=kwargs or None)
    # A URL without arguments (the navigation of every page) is reversed once per URL
    # configuration and script prefix, not on every page.
    key = (name, urlconf, prefix)
    found = _plain_urls.get(key)
    if found is None:
        found = _plain_urls[key] = reverse(name)
    return found


def _forget_urls(*, setting, **kwargs):
    if setting == "ROOT_URLCONF":
        _plain_urls.clear()
    if setting in ("ROOT_URLCONF", "STATIC_URL", "STORAGES"):
        _fragments.clear()


setting_changed.connect(_forget_urls)


def localtime(value: datetime | None, fmt: str = "Y-m-d H:i") -> str:
    if value is None:
        return ""
    # The default and the time of day: the same digits without Django's format lookups.
    if fmt == "Y-m-d H:i":
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if fmt == "H:i":
        return timezone.localtime(value).strftime("%H:%M")
    return date_format(timezone.localtime(value), fmt)


_CSRF_INDEX = {c: i for i, c in enumerate(CSRF_ALLOWED_CHARS)}


def csrf_token(request) -> str:
    """The page's CSRF token: Django's ``get_token``, its random mask drawn with one read of
    the system's random source instead of one per character (32 on every page).

    Same format and strength: the mask is uniform over Django's alphabet (bytes at or above
    the largest multiple of its size are dropped, so each letter is equally likely) and the
    token is the mask followed by the secret shifted by it, which Django's middleware unmasks.
    A request without a secret yet takes Django's path, which also sets the cookie."""
    secret = request.META.get("CSRF_COOKIE")
    if secret is None or len(secret) != CSRF_SECRET_LENGTH:
        return get_token(request)
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True  # as get_token: the cookie is renewed
    size = len(CSRF_ALLOWED_CHARS)
    below = 256 - 256 % size
    mask: list[int] = []
    while len(mask) < CSRF_SECRET_LENGTH:
        mask.extend(b % size for b in secrets.token_bytes(CSRF_SECRET_LENGTH + 8) if b < below)
    mask = mask[:CSRF_SECRET_LENGTH]
    chars = CSRF_ALLOWED_CHARS
    return "".join(chars[m] for m in mask) + "".join(
        chars[(_CSRF_INDEX[c] + m) % size] for c, m in zip(secret, mask, strict=True)
    )


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
    navigation, the style sheet and script): links and labels become one cached string.
    Re-rendered every time while templates reload (development)."""
    key = (name, translation.get_language(), get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
    found = _fragments.get(key)
    if found is None:
        found = Markup(env.get_template(name).render(_translation_for_this_render()))  # noqa: S704 - a template's output
        if not env.auto_reload:
            _fragments[key] = found
    return found


class CompileTimeTranslation(Extension):
    """Texts translated when a template is compiled, not each time it is shown.

    Every page shows dozens of fixed labels, each ``_("…")`` a call and a catalogue lookup at
    every render. The product keeps one compiled copy of each template per language
    (``ProductJinja2``); in a copy made for a language, ``_("literal")`` becomes the literal
    translated into it and ``get_language()`` the language's code, so the compiler writes them
    out (escaped once) as constant text. Calls with values (``_("…", n=1)``), on anything but
    one literal, and ``ngettext`` stay calls, answered at render time as before. Templates
    compiled without a language (the backend's base environment) are left as they are."""

    def filter_stream(self, stream):
        language = getattr(self.environment, "product_language", None)
        if language is None:
            return stream
        tokens = list(stream)
        out: list[Token] = []
        i = 0
        while i < len(tokens):
            t = tokens[i]
            if t.type == "name" and (not out or out[-1].type != "dot"):
                kinds = [x.type for x in tokens[i + 1 : i + 4]]
                if t.value == "_" and kinds == ["lparen", "string", "rparen"]:
                    with translation.override(language):
                        out.append(Token(t.lineno, "string", gettext(tokens[i + 2].value)))
                    i += 4
                    continue
                if t.value == "get_language" and kinds[:2] == ["lparen", "rparen"]:
                    out.append(Token(t.lineno, "string", language))
                    i += 3
                    continue
            out.append(t)
            i += 1
        return out


def environment(**options) -> Environment:
    env = Environment(**options)  # noqa: S701 - autoescape is set in settings.TEMPLATES
    env.add_extension(CompileTimeTranslation)
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
    """A template as Django's backend wraps it, rendered from its copy compiled for the
    language active at render time (a template kept across requests follows each one)."""

    def __init__(self, template, backend, source: str | None = None):
        super().__init__(template, backend)
        self.source = source  # for a template made from a string, not loaded by name
        self.copies = {template.environment: template}

    def for_language_now(self):
        env = self.backend.env_now()
        found = self.copies.get(env)
        if found is None:
            found = (
                env.from_string(self.source)
                if self.source is not None
                else env.get_template(self.template.name)
            )
            self.copies[env] = found
        return found

    def render(self, context=None, request=None):
        # Django's backend puts a `csrf_token` string into the context, which would hide
        # the `csrf_token(request)` global our templates call; leave the global visible.
        context = dict(context or {})
        if request is not None:
            context["request"] = request
        context.update(_translation_for_this_render())
        return self.for_language_now().render(context)


def _translation_for_this_render() -> dict:
    """``gettext``/``ngettext``/``get_language`` bound to the catalogue active now, and
    ``url`` to the URL configuration and script prefix of this request.

    A page asks for dozens of labels; Django's gettext finds the active catalogue again on
    every call (a context-local lookup that costs more than the translation itself). The
    i18n extension's ``_()`` resolves ``gettext`` from the render context, so binding the
    catalogue once per render gives the same texts for a fraction of the cost.
    """
    catalog = trans_real.catalog()
    language = translation.get_language()
    urlconf, prefix = get_urlconf() or settings.ROOT_URLCONF, get_script_prefix()

    def url_now(name: str, *args, **kwargs) -> str:  # `url`, the configuration looked up once
        return _url(name, args, kwargs, urlconf, prefix)

    def gettext_now(message: str, **variables) -> str:
        text = catalog.gettext(message) if message else message
        return text % variables if variables else text

    def ngettext_now(singular: str, plural: str, n: int, **variables) -> str:
        text = catalog.ngettext(singular, plural, n)
        return text % {"num": n, **variables} if ("%" in text) else text

    return {
        "gettext": gettext_now,
        "ngettext": ngettext_now,
        "get_language": lambda: language,
        "url": url_now,
    }


class ProductJinja2(Jinja2):
    """Django's Jinja2 backend with one environment per language of the product (sharing
    globals and filters, each with its own compiled templates): see CompileTimeTranslation.
    A language outside settings.LANGUAGES (or none active) uses the base environment, whose
    templates translate at render time."""

    def __init__(self, params):
        super().__init__(params)
        self.by_language: dict[str, Environment] = {}
        for code, _name in settings.LANGUAGES:
            env = self.env.overlay()
            env.product_language = code
            self.by_language[code] = env

    def env_now(self) -> Environment:
        return self.by_language.get(translation.get_language(), self.env)

    def from_string(self, template_code):
        return ProductTemplate(self.env_now().from_string(template_code), self, source=template_code)

    def get_template(self, template_name):
        # As Django's Jinja2.get_template, from the environment of the active language.
        try:
            return ProductTemplate(self.env_now().get_template(template_name), self)
        except jinja2.TemplateNotFound as exc:
            raise TemplateDoesNotExist(exc.name, backend=self) from exc
        except jinja2.TemplateSyntaxError as exc:
            new = TemplateSyntaxError(exc.args)
            new.template_debug = get_exception_info(exc)
            raise new from exc
