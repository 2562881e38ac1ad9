"""Template helpers kept cheap on every page: cached plain URLs, the default time format."""

from __future__ import annotations

from datetime import UTC, datetime

from django.test import override_settings
from django.urls import clear_url_caches, reverse
from django.utils import timezone
from django.utils.formats import date_format

from xietong.core.jinja import localtime, url


def test_plain_url_is_the_reversed_one_and_follows_the_url_configuration():
    assert url("actions:list") == reverse("actions:list") == "/actions/"
    assert url("meetings:detail", 7) == reverse("meetings:detail", args=[7])
    with override_settings(ROOT_URLCONF="xietong.core.tests.urls_elsewhere"):
        clear_url_caches()
        assert url("home") == "/elsewhere/"
    clear_url_caches()
    assert url("home") == "/"


def test_default_local_time_format_matches_django_formatting():
    for value in (datetime(2026, 3, 1, 16, 5, tzinfo=UTC), datetime(2026, 12, 31, 23, 59, tzinfo=UTC)):
        assert localtime(value) == date_format(timezone.localtime(value), "Y-m-d H:i")
    assert localtime(datetime(2026, 3, 1, 16, 5, tzinfo=UTC)) == "2026-03-02 00:05"
    assert localtime(datetime(2026, 3, 1, 16, 5, tzinfo=UTC), "Y") == "2026"
    for value in (datetime(2026, 3, 1, 16, 5, tzinfo=UTC), datetime(2026, 3, 1, 1, 0, tzinfo=UTC)):
        assert localtime(value, "H:i") == date_format(timezone.localtime(value), "H:i")
    assert localtime(datetime(2026, 3, 1, 1, 0, tzinfo=UTC), "H:i") == "09:00"
    assert localtime(None) == ""


def test_url_with_one_id_is_the_reversed_one_for_every_id_and_url_configuration():
    for name in ("meetings:detail", "actions:detail", "topics:detail", "minutes:version"):
        for pk in (1, 9, 42, 918273645, 10**12):
            assert url(name, pk) == reverse(name, args=[pk])
    # Not a one-number pattern, or not a number: the ordinary reversal (and its error).
    assert url("actions:acknowledge", 3, 4) == reverse("actions:acknowledge", args=[3, 4])
    assert url("meetings:detail", "7") == reverse("meetings:detail", args=["7"])
    with override_settings(ROOT_URLCONF="xietong.core.tests.urls_elsewhere"):
        clear_url_caches()
        assert url("item", 5) == "/elsewhere/items/5/"
    clear_url_caches()
    assert url("meetings:detail", 5) == "/meetings/5/"


def test_url_with_one_id_refuses_what_reverse_refuses():
    import pytest
    from django.urls import NoReverseMatch

    with pytest.raises(NoReverseMatch):
        url("actions:list", 5)  # takes no argument
    with pytest.raises(NoReverseMatch):
        url("meetings:detail", -1)  # <int:pk> takes no sign


def test_labels_and_navigation_follow_the_language_of_each_render(db):
    from django.template import engines
    from django.test import RequestFactory
    from django.utils import translation

    from xietong.desk.testing import make_person

    request = RequestFactory().get("/")
    request.user = make_person("nav", "导航人", None)
    request.session = {}
    template = engines["jinja2"].from_string(
        '{% extends "base.html" %}{% block content %}<p id="t">{{ _("My to-do") }}|{{ get_language() }}</p>'
        "{% endblock %}"
    )
    for _ in range(2):  # the second round is served from the per-language caches
        with translation.override("zh-hans"):
            zh = template.render({}, request)
        with translation.override("en"):
            en = template.render({}, request)
        assert '<p id="t">我的待办|zh-hans</p>' in zh and '<p id="t">My to-do|en</p>' in en
        assert ">收件箱 <span" in zh and ">Inbox <span" in en and "收件箱" not in en


def test_fixed_labels_are_translated_when_the_template_is_compiled_one_copy_per_language():
    from django.template import engines
    from django.utils import translation

    backend = engines["jinja2"]
    source = (
        '{{ _("My to-do") }}|{{ get_language() }}|{{ _("Open action items of %(department)s") % {"department": "<b>"} }}'
        '|{{ _(label) }}|{{ _("Nothing due. Well done.", x=1) }}|{{ obj._("My to-do") }}'
    )
    context = {"label": "My to-do", "obj": type("O", (), {"_": staticmethod(lambda s: "own " + s)})()}
    zh_env, en_env = backend.by_language["zh-hans"], backend.by_language["en"]
    compiled = zh_env.compile(source, raw=True)
    # The literal label and the language became constant text; the rest are still calls.
    assert "我的待办|zh-hans|" in compiled and "'My to-do'" not in compiled.split("obj")[0]
    assert "'Nothing due. Well done.', x=1" in compiled and "resolve('_')" in compiled
    with translation.override("zh-hans"):
        assert backend.from_string(source).render(context) == (
            "我的待办|zh-hans|&lt;b&gt;的未完成任务|我的待办|暂无待办事项，做得很好。|own My to-do"
        )
    en = backend.from_string(source)
    with translation.override("en"):
        assert (
            en.render(context)
            == "My to-do|en|Open action items of &lt;b&gt;|My to-do|Nothing due. Well done.|own My to-do"
        )
    with translation.override("zh-hans"):  # a template kept across requests follows each one
        assert en.render(context).startswith("我的待办|zh-hans|")
    assert en_env.get_template("base.html") is not zh_env.get_template("base.html")
    with translation.override("fr"):  # not a product language: translated at render time, as Django does
        assert backend.env_now() is backend.env
        assert backend.from_string(source).render(context).startswith("我的待办|fr|")  # the default catalogue


def test_url_in_a_template_follows_the_url_configuration_of_each_render():
    from django.template import engines

    backend = engines["jinja2"]
    home, item = backend.from_string("{{ url('home') }}"), backend.from_string("{{ url('item', 7) }}")
    assert home.render({}) == "/"
    with override_settings(ROOT_URLCONF="xietong.core.tests.urls_elsewhere"):
        clear_url_caches()
        assert (home.render({}), item.render({})) == ("/elsewhere/", "/elsewhere/items/7/")
    clear_url_caches()
    assert home.render({}) == "/"
