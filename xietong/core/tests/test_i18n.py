from pathlib import Path

from xietong.core import i18n


def test_extracts_python_and_every_template_expression(tmp_path: Path):
    pkg = tmp_path / "pkg"
    (pkg / "app" / "jinja2" / "app").mkdir(parents=True)
    (pkg / "app" / "models.py").write_text(
        "from django.utils.translation import gettext_lazy as _, pgettext_lazy, ngettext\n"
        "A = _('Topic')\nB = pgettext_lazy('verb', 'Return')\nC = ngettext('%(n)s day', '%(n)s days', 2)\n"
        "D = _(f'not {A}')\n",
        encoding="utf-8",
    )
    (pkg / "app" / "jinja2" / "app" / "page.html").write_text(
        '{{ _("Late") if x else _("Due") }} {{ _("Due %(when)s") % {"when": y} }}', encoding="utf-8"
    )
    found = i18n.collect(pkg)
    assert set(found) == {
        (None, "Topic"),
        ("verb", "Return"),
        (None, "%(n)s day"),
        (None, "Late"),
        (None, "Due"),
        (None, "Due %(when)s"),
    }
    assert found[(None, "%(n)s day")].plural == "%(n)s days"


def test_po_round_trip_keeps_translations_and_escapes(tmp_path: Path):
    po = tmp_path / "django.po"
    messages = {
        (None, 'Say "hi"\nnow'): i18n.Message('Say "hi"\nnow', locations=["a.py:1"]),
        ("verb", "Return"): i18n.Message("Return", context="verb", locations=["a.py:2"]),
        (None, "%(n)s day"): i18n.Message("%(n)s day", plural="%(n)s days", locations=["a.py:3"]),
    }
    new, dropped, untranslated = i18n.write_po(
        po, messages, lang="zh_Hans", plural_forms="nplurals=1; plural=0;"
    )
    assert (new, dropped, len(untranslated)) == (3, 0, 3)
    text = po.read_text(encoding="utf-8")
    text = text.replace(
        'msgctxt "verb"\nmsgid "Return"\nmsgstr ""', 'msgctxt "verb"\nmsgid "Return"\nmsgstr "退回"'
    )
    text = text.replace('msgstr[0] ""', 'msgstr[0] "%(n)s 天"')
    po.write_text(text, encoding="utf-8")
    messages.pop((None, 'Say "hi"\nnow'))
    new, dropped, untranslated = i18n.write_po(
        po, messages, lang="zh_Hans", plural_forms="nplurals=1; plural=0;"
    )
    assert (new, dropped, untranslated) == (0, 1, [])
    _, entries = i18n.read_po(po)
    by_key = {e.key: e for e in entries}
    assert by_key[("verb", "Return")].msgstr == "退回"
    assert by_key[(None, "%(n)s day")].plural_strs == ["%(n)s 天"]


def test_multiline_strings_survive(tmp_path: Path):
    po = tmp_path / "django.po"
    text = 'line one\nline "two"\n'
    i18n.write_po(
        po,
        {(None, text): i18n.Message(text, locations=["x:1"])},
        lang="zh_Hans",
        plural_forms="nplurals=1; plural=0;",
    )
    _, entries = i18n.read_po(po)
    assert [e.msgid for e in entries] == [text]


def test_every_string_the_product_shows_has_a_chinese_translation():
    """Simplified Chinese is the first language: a new English msgid without its translation fails."""
    from django.core.management import call_command

    call_command("translations", check=True)


def test_pages_speak_chinese_by_default(client):
    body = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "登录" in body
    client.cookies["django_language"] = "en"
    assert "Log in" in client.get("/login/").content.decode()
