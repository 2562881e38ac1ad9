"""Production hardening: check --deploy with the documented production settings, HTTPS behind a
proxy, the Content-Security-Policy and Permissions-Policy headers, the idle session timeout,
safe redirects after a refused POST, and quiet logs for refusals."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import time_machine
from cryptography.fernet import Fernet
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from xietong.desk.testing import PASSWORD
from xietong.records.tests.helpers import held_meeting

from .test_settings import load_settings

ROOT = Path(django_settings.BASE_DIR).parent
TEMPLATE_DIRS = [
    *Path(django_settings.BASE_DIR).glob("*/jinja2"),
    Path(django_settings.BASE_DIR) / "templates",
]


def production_env() -> dict[str, str]:
    """The production block of .env.example (its commented ``# XIETONG_…=…`` lines)."""
    text = (ROOT / ".env.example").read_text()
    block = text.split("# --- Production", 1)[1]
    env = dict(re.findall(r"^# (XIETONG_[A-Z_]+)=(.*)$", block, flags=re.MULTILINE))
    assert env, "the production block of .env.example is missing"
    return env


def test_check_deploy_passes_with_the_documented_production_settings(tmp_path):
    skip = {"DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}  # the test run's own, not production's
    env = {k: v for k, v in os.environ.items() if not k.startswith("XIETONG_") and k not in skip}
    env.update(production_env())
    env["XIETONG_SECRET_KEY"] = "production-key-" + "q8Zr2vK9wLx4TfM7nB3pY6hJ1sD5gC0e" * 2
    env["XIETONG_DATA_KEY"] = Fernet.generate_key().decode()
    env["XIETONG_VAR_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_production_settings_send_hsts_and_trust_the_proxys_https_header(monkeypatch, tmp_path):
    s = load_settings(monkeypatch, tmp_path, **production_env())
    assert s.SECURE_HSTS_SECONDS >= 31536000
    assert s.SECURE_HSTS_INCLUDE_SUBDOMAINS and s.SECURE_SSL_REDIRECT and s.SESSION_COOKIE_SECURE
    assert s.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")
    for name in production_env():
        monkeypatch.delenv(name)
    defaults = load_settings(monkeypatch, tmp_path)
    assert defaults.SECURE_HSTS_SECONDS == 0 and not defaults.SECURE_SSL_REDIRECT
    assert defaults.SECURE_PROXY_SSL_HEADER is None


def test_behind_the_tls_proxy_pages_are_https_with_hsts(db, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    client = Client()
    plain = client.get("/login/")
    assert plain.status_code == 301 and plain["Location"] == "https://testserver/login/"
    secure = client.get("/login/", HTTP_X_FORWARDED_PROTO="https")
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    request = RequestFactory().get("/live/1/", HTTP_X_FORWARDED_PROTO="https", SERVER_PORT="443")
    assert request.build_absolute_uri("/live/1/signin/x/") == "https://testserver/live/1/signin/x/"
    assert client.get("/healthz").status_code == 200  # the local probe stays on plain HTTP


def test_pages_send_a_content_security_policy_without_inline_scripts(db):
    response = Client().get("/login/")
    policy = dict(
        (part.split(" ", 1) + [""])[:2]
        for part in (p.strip() for p in response["Content-Security-Policy"].split(";"))
    )
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert policy["frame-ancestors"] == "'none'"
    assert policy["img-src"] == "'self' data:"
    # The live room's WebSocket is on the page's host, port of XIETONG_LIVE_BIND.
    port = django_settings.LIVE_BIND.rpartition(":")[2]
    assert set(policy["connect-src"].split()) == {
        "'self'",
        f"ws://testserver:{port}",
        f"wss://testserver:{port}",
    }


def test_a_configured_live_websocket_url_is_the_connect_source(db, settings):
    settings.LIVE_WS_URL = "wss://live.example.org"
    header = Client().get("/login/")["Content-Security-Policy"]
    assert "connect-src 'self' wss://live.example.org;" in header + ";"


def test_pages_send_a_permissions_policy(db):
    header = Client().get("/login/")["Permissions-Policy"]
    features = dict(part.strip().split("=") for part in header.split(","))
    assert features["camera"] == "()" and features["microphone"] == "()" and features["geolocation"] == "()"


def test_templates_hold_no_inline_script_handler_or_style():
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.IGNORECASE)
    handler = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
    style = re.compile(r"\sstyle\s*=|<style", re.IGNORECASE)
    offenders = []
    for directory in TEMPLATE_DIRS:
        for path in directory.rglob("*.html"):
            text = path.read_text()
            if inline_script.search(text) or handler.search(text) or style.search(text):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


# ---- idle sessions -------------------------------------------------------------------------------


def test_a_session_idle_longer_than_the_limit_goes_back_to_the_login(torg):
    idle = timedelta(seconds=django_settings.SESSION_IDLE_SECONDS)
    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        assert client.post("/login/", {"username": "tech_head", "password": PASSWORD}).status_code == 302
        assert client.get("/").status_code == 200
        for _ in range(3):  # activity within the limit keeps the session, past the limit in total
            clock.shift(idle - timedelta(minutes=2))
            assert client.get("/").status_code == 200
        clock.shift(idle + timedelta(minutes=2))
        response = client.get("/")
        assert response.status_code == 302 and response["Location"].startswith("/login/")
        assert "_auth_user_id" not in client.session


def test_a_busy_session_still_ends_after_the_absolute_lifetime(torg):
    client = Client()
    client.force_login(torg.tech_head)
    start = timezone.now()
    step = timedelta(seconds=django_settings.SESSION_IDLE_SECONDS // 2)
    with time_machine.travel(start, tick=False) as clock:
        assert client.get("/healthz").status_code == 200
        while timezone.now() - start < timedelta(seconds=django_settings.SESSION_COOKIE_AGE - 60):
            clock.shift(step)
            client.get("/healthz")
            assert "_auth_user_id" in client.session
        clock.shift(step)
        assert client.get("/").status_code == 302


def test_activity_is_written_at_most_once_a_minute(torg):
    client = Client()
    client.force_login(torg.tech_head)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client.get("/healthz")
        clock.shift(timedelta(seconds=20))
        with CaptureQueriesContext(connection) as queries:
            client.get("/healthz")
        assert not [q for q in queries if "django_session" in q["sql"] and not q["sql"].startswith("SELECT")]
        clock.shift(timedelta(seconds=61))
        with CaptureQueriesContext(connection) as queries:
            client.get("/healthz")
        assert [q for q in queries if "django_session" in q["sql"] and not q["sql"].startswith("SELECT")]


def test_the_session_cookie_ends_with_the_browser(torg):
    client = Client()
    response = client.post("/login/", {"username": "tech_head", "password": PASSWORD})
    cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == "" and cookie["expires"] == ""


# ---- redirects after a refused POST ---------------------------------------------------------------


def test_a_refused_post_goes_back_only_to_a_page_of_this_site(torg, login):
    meeting = held_meeting(torg, topics=1)
    client = login(torg.tech_liaison)
    url = f"/actions/acknowledge/{meeting.pk}/{torg.departments['tech'].pk}/"
    client.post(url)  # acknowledged now (or refused already): the ones below are refused
    for referer, expected in [
        ("https://evil.example/x", "/"),
        ("//evil.example/x", "/"),
        ("http://testserver/actions/?page=2", "http://testserver/actions/?page=2"),
    ]:
        response = client.post(url, HTTP_REFERER=referer)
        assert response.status_code == 302
        assert response["Location"] == expected
        assert list(response.wsgi_request._messages)  # the refusal is still shown


# ---- logs -----------------------------------------------------------------------------------------


def test_a_refused_request_logs_one_line_without_a_traceback(torg, login, caplog):
    meeting = held_meeting(torg, topics=1)
    client = login(torg.tech_liaison)  # not the finance department's liaison
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.post(f"/actions/acknowledge/{meeting.pk}/{torg.departments['finance'].pk}/")
    assert response.status_code == 403
    records = [r for r in caplog.records if r.name == "django.request"]
    assert records and all(r.exc_info is None for r in records)


def test_the_log_level_applies_to_the_handler(monkeypatch, tmp_path):
    s = load_settings(monkeypatch, tmp_path, XIETONG_LOG_LEVEL="ERROR")
    assert s.LOGGING["handlers"]["console"]["level"] == "ERROR"
    assert s.LOGGING["root"]["level"] == "ERROR"
