"""The default e-mail backend keeps message bodies (and the personal sign-in links in notices)
out of the server's output, and the start-up check warns about a console backend in
production."""

from __future__ import annotations

import io
import logging

from django.core import checks
from django.core.management import call_command

from xietong.meetings.tests.factories import THU_1800, published_meeting
from xietong.notify.models import Channel, Delivery
from xietong.notify.services import notify_deliver, notify_dispatch

from .test_settings import load_settings

CONSOLE = "xietong.core.mail.ConsoleSummaryBackend"


def default_backend(monkeypatch, tmp_path) -> str:
    """EMAIL_BACKEND as settings.py sets it without XIETONG_EMAIL_BACKEND."""
    monkeypatch.delenv("XIETONG_EMAIL_BACKEND", raising=False)
    return load_settings(monkeypatch, tmp_path).EMAIL_BACKEND


def send_notices(torg) -> int:
    """Publish the 03-09 meeting and send its notices; the number of e-mails sent."""
    published_meeting(torg)
    notify_dispatch(now=THU_1800)
    notify_deliver(now=THU_1800)
    return Delivery.objects.filter(channel=Channel.EMAIL, state=Delivery.State.SENT).count()


def test_the_default_backend_prints_one_line_per_mail_and_no_body(
    torg, settings, monkeypatch, tmp_path, capsys, caplog
):
    settings.EMAIL_BACKEND = default_backend(monkeypatch, tmp_path)
    settings.EMAIL_CONSOLE_BODIES = False
    with caplog.at_level(logging.DEBUG):
        sent = send_notices(torg)
    out = capsys.readouterr()
    assert sent > 1
    lines = out.out.splitlines()
    assert len(lines) == sent
    assert all(line.startswith("e-mail (console, body not shown) to 1 recipient(s): ") for line in lines)
    for text in (out.out, out.err, caplog.text):
        assert "/live/s/" not in text


def test_bodies_are_printed_only_when_asked_for(torg, settings, capsys):
    settings.EMAIL_BACKEND = CONSOLE
    settings.EMAIL_CONSOLE_BODIES = True
    sent = send_notices(torg)
    out = capsys.readouterr().out
    # Django's console output: every message whole (its parts base64-encoded), no summary.
    assert out.count("-" * 79) == sent and "body not shown" not in out


def test_a_console_backend_without_debug_is_warned_about_at_start(settings, monkeypatch, tmp_path):
    settings.DEBUG = False
    for backend in (default_backend(monkeypatch, tmp_path), "django.core.mail.backends.console.EmailBackend"):
        settings.EMAIL_BACKEND = backend
        ids = [m.id for m in checks.run_checks() if m.level == checks.WARNING]
        assert ids.count("xietong.mail.W001") == 1, backend
    settings.EMAIL_BACKEND = CONSOLE
    # `xietong check` (and every command that checks at start, `xietong serve` included) shows it.
    out, err = io.StringIO(), io.StringIO()
    call_command("check", stdout=out, stderr=err)
    assert "xietong.mail.W001" in err.getvalue() + out.getvalue()
    settings.DEBUG = True
    assert "xietong.mail.W001" not in [m.id for m in checks.run_checks()]
    settings.DEBUG = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    assert "xietong.mail.W001" not in [m.id for m in checks.run_checks()]
