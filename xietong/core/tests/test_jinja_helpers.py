"""Template helpers: links follow the URL configuration, times show in Shanghai, and the page
frame speaks the language of each render."""

from __future__ import annotations

from datetime import UTC, datetime

from django.template import engines
from django.test import RequestFactory, override_settings
from django.urls import clear_url_caches
from django.utils import translation

from xietong.core.jinja import localtime
from xietong.desk.testing import make_person


def test_local_time_shows_shanghai_time():
    assert localtime(datetime(2026, 3, 1, 16, 5, tzinfo=UTC)) == "2026-03-02 00:05"
    assert localtime(datetime(2026, 3, 1, 16, 5, tzinfo=UTC), "Y") == "2026"
    assert localtime(datetime(2026, 3, 1, 1, 0, tzinfo=UTC), "H:i") == "09:00"
    assert localtime(None) == ""


def test_labels_and_navigation_follow_the_language_of_each_render(db):
    request = RequestFactory().get("/")
    request.user = make_person("nav", "导航人", None)
    request.session = {}
    template = engines["jinja2"].from_string(
        '{% extends "base.html" %}{% block content %}<p id="t">{{ _("My to-do") }}|{{ get_language() }}</p>'
        "{% endblock %}"
    )
    for _ in range(2):  # the second round is served from the cached navigation
        with translation.override("zh-hans"):
            zh = template.render({}, request)
        with translation.override("en"):
            en = template.render({}, request)
        assert '<p id="t">我的待办|zh-hans</p>' in zh and '<p id="t">My to-do|en</p>' in en
        assert ">收件箱 <span" in zh and ">Inbox <span" in en and "收件箱" not in en


def test_translations_take_values_and_escape_them():
    source = (
        '{{ _("Open action items of %(department)s") % {"department": "<b>"} }}'
        '|{{ _(label) }}|{{ _("Nothing due. Well done.", x=1) }}'
    )
    template = engines["jinja2"].from_string(source)
    with translation.override("zh-hans"):
        assert (
            template.render({"label": "My to-do"})
            == "&lt;b&gt;的未完成任务|我的待办|暂无待办事项，做得很好。"
        )
    with translation.override("en"):
        assert template.render({"label": "My to-do"}) == (
            "Open action items of &lt;b&gt;|My to-do|Nothing due. Well done."
        )


def test_url_in_a_template_follows_the_url_configuration_of_each_render():
    backend = engines["jinja2"]
    home, item = backend.from_string("{{ url('home') }}"), backend.from_string("{{ url('item', 7) }}")
    assert home.render({}) == "/"
    with override_settings(ROOT_URLCONF="xietong.core.tests.urls_elsewhere"):
        clear_url_caches()
        assert (home.render({}), item.render({})) == ("/elsewhere/", "/elsewhere/items/7/")
    clear_url_caches()
    assert home.render({}) == "/"
    assert backend.from_string("{{ url('meetings:detail', 5) }}").render({}) == "/meetings/5/"
