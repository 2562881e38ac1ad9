"""Test-only stop-gaps so page tests can run while shared files are being finished.

Each one switches itself off once the shared code no longer needs it:

* ``base.html`` links ``topics:list`` and ``meetings:list``; until those apps name them,
  ``root_urlconf()`` returns a URLconf with stub routes for the missing names.
* Django's Jinja2 backend puts ``csrf_token`` (a lazy string) into every context rendered
  with a request, shadowing the ``csrf_token(request)`` global of ``xietong.core.jinja``, so
  ``{{ csrf_token(request) }}`` raises TypeError. While that is so, the backend's value is
  made callable (returning the same token).
* WhiteNoise warns (an error under ``filterwarnings = error``) when STATIC_ROOT is missing.

Call ``apply_page_settings(settings, tmp_path_factory, monkeypatch)`` from an autouse
fixture (``xietong/org/tests/conftest.py`` does it for the org tests).
"""

from __future__ import annotations

from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.urls import NoReverseMatch, include, path, reverse

from xietong.urls import urlpatterns as real_urlpatterns

NAV_LINKS = {"topics": ["list"], "meetings": ["list"]}


def _missing() -> dict[str, list[str]]:
    missing: dict[str, list[str]] = {}
    for namespace, names in NAV_LINKS.items():
        for name in names:
            try:
                reverse(f"{namespace}:{name}", urlconf="xietong.urls")
            except NoReverseMatch:
                missing.setdefault(namespace, []).append(name)
    return missing


def root_urlconf() -> str:
    return __name__ if _missing() else "xietong.urls"


def _stub(request, *args, **kwargs):
    return HttpResponse("stub")


urlpatterns = [
    path(f"__stub__/{namespace}/", include(([path(f"{n}/", _stub, name=n) for n in names], namespace)))
    for namespace, names in _missing().items()
] + list(real_urlpatterns)


class _CallableToken(str):
    def __call__(self, request=None):
        return str(self)


def _csrf_global_shadowed() -> bool:
    from django.template import engines
    from django.test import RequestFactory

    template = engines["jinja2"].from_string("{{ csrf_token(request) }}")
    try:
        template.render({}, request=RequestFactory().get("/"))
    except TypeError:
        return True
    return False


def apply_page_settings(settings, tmp_path_factory, monkeypatch) -> None:
    settings.ROOT_URLCONF = root_urlconf()
    settings.STATIC_ROOT = tmp_path_factory.getbasetemp() / "static-root"
    settings.STATIC_ROOT.mkdir(exist_ok=True)
    if _csrf_global_shadowed():
        monkeypatch.setattr(
            "django.template.backends.jinja2.csrf_token_lazy",
            lambda request: _CallableToken(get_token(request)),
        )
