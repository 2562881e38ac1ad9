"""The project URLs, plus placeholders for page names that base.html links to but that the
apps owning them have not written yet. Used by conftest only while such a name is missing,
so the topic pages can be rendered in tests before the other apps land."""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import URLResolver, include, path

from xietong import urls as project_urls

# namespace -> [(name, route)] needed by xietong/templates/base.html and linked from topic pages
NEEDED = {
    "meetings": [("list", "stub-list/"), ("detail", "stub-detail/<int:pk>/")],
    "policy": [("detail", "stub-detail/"), ("calendar", "stub-calendar/")],
    "org": [("departments", "stub-departments/")],
}


def _placeholder(request, **kwargs):
    return HttpResponse("placeholder")


def _names(patterns) -> set[str]:
    return {p.name for p in patterns if getattr(p, "name", None)}


def missing() -> dict[str, list[tuple[str, str]]]:
    found: dict[str, set[str]] = {}
    for entry in project_urls.urlpatterns:
        if isinstance(entry, URLResolver) and entry.namespace in NEEDED:
            found[entry.namespace] = _names(entry.url_patterns)
    return {
        ns: [(name, route) for name, route in wanted if name not in found.get(ns, set())]
        for ns, wanted in NEEDED.items()
        if any(name not in found.get(ns, set()) for name, _route in wanted)
    }


urlpatterns = []
_missing = missing()
for entry in project_urls.urlpatterns:
    if isinstance(entry, URLResolver) and entry.namespace in _missing:
        stubs = [path(route, _placeholder, name=name) for name, route in _missing[entry.namespace]]
        patterns = [*entry.url_patterns, *stubs]
        urlpatterns.append(
            path(str(entry.pattern), include((patterns, entry.app_name), namespace=entry.namespace))
        )
    else:
        urlpatterns.append(entry)
