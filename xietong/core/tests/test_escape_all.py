"""escape_all gives each text as markupsafe.escape gives it, also for texts that defeat the
one-pass way (NUL inside, markup, other values)."""

from __future__ import annotations

from markupsafe import Markup, escape

from xietong.core.html import escape_all

TRICKY = ["", "plain", "<script>alert('x')</script>", 'a & "b"', "多行\n文本", "&amp; 已转义", "  ", "\t"]


def test_same_as_escaping_each():
    assert escape_all(TRICKY) == [str(escape(t)) for t in TRICKY]
    assert escape_all(iter(TRICKY)) == [str(escape(t)) for t in TRICKY]
    assert escape_all(["<b>"]) == ["&lt;b&gt;"]
    assert escape_all([]) == []
    assert escape_all([""]) == [""]


def test_a_text_holding_nul_is_not_split():
    texts = ["a\x00b", "<c>"]
    assert escape_all(texts) == ["a\x00b", "&lt;c&gt;"]
    assert len(escape_all(["\x00", "\x00\x00", ""])) == 3


def test_markup_and_other_values_escape_as_markupsafe_does():
    texts = [Markup("<b>kept</b>"), "<i>", 7, None]
    assert escape_all(texts) == ["<b>kept</b>", "&lt;i&gt;", "7", "None"]


def test_local_times_show_what_the_localtime_filter_shows():
    from datetime import UTC, datetime

    from django.utils import timezone

    from xietong.core.html import local_times
    from xietong.core.jinja import localtime

    moments = [datetime(2026, 3, 1, 16, 30, tzinfo=UTC), datetime(2026, 12, 31, 23, 59, tzinfo=UTC), None]
    for zone in ("Asia/Shanghai", "UTC"):
        with timezone.override(zone):
            shown = local_times()
            assert [shown(m) for m in moments * 2] == [localtime(m) for m in moments * 2]
    with timezone.override("Asia/Shanghai"):
        assert local_times()(moments[0]) == "2026-03-02 00:30"
