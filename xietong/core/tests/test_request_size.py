"""Oversized requests are refused (413) from their declared length, before the body is read."""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from xietong.core.models import Event
from xietong.topics.models import TopicAttachment

from .test_settings import load_settings

DECLARED = 300 * 1024 * 1024
BOUNDARY = "xietong-boundary"


class BodyThatMustNotBeRead:
    """A request body that fails the test if anything reads from it."""

    def read(self, *args, **kwargs):
        raise AssertionError("the body of an oversized request was read")

    readline = read


def test_a_300_mb_declared_upload_is_refused_before_its_body_is_read(client, torg, settings):
    client.force_login(torg.tech_liaison)
    client.cookies["django_language"] = "en"
    assert settings.MAX_REQUEST_BYTES == 25 * 1024 * 1024
    client.get(reverse("topics:attach", args=[1]))  # the process's first request loads URLs and catalogs
    started = time.monotonic()
    response = client.generic(
        "POST",
        reverse("topics:attach", args=[1]),
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        CONTENT_LENGTH=str(DECLARED),
        **{"wsgi.input": BodyThatMustNotBeRead()},
    )
    assert time.monotonic() - started < 1
    assert response.status_code == 413
    assert response.content.decode() == "The request is too large (300.0 MB); at most 25 MB can be sent."
    assert not TopicAttachment.objects.exists()
    assert not Event.objects.filter(name="topic.attachment_added").exists()


def test_the_limit_comes_from_the_settings(client, torg, settings):
    client.force_login(torg.tech_liaison)
    settings.MAX_REQUEST_BYTES = 1024
    response = client.post(
        reverse("topics:attach", args=[1]), {"file": SimpleUploadedFile("a.pdf", b"%PDF-1.4\n" * 200)}
    )
    assert response.status_code == 413
    # At the limit the request goes on to the view (here: 404, no such topic).
    settings.MAX_REQUEST_BYTES = 1024 * 1024
    response = client.post(
        reverse("topics:attach", args=[10**6]), {"file": SimpleUploadedFile("a.pdf", b"%PDF-1.4\n" * 200)}
    )
    assert response.status_code == 404


def test_a_live_server_answers_413_without_waiting_for_the_body(live_server):
    url = urlsplit(live_server.url)
    head = (
        f"POST /topics/1/materials/ HTTP/1.1\r\nHost: {url.hostname}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        f"Content-Length: {DECLARED}\r\n\r\n"
    ).encode()
    started = time.monotonic()
    with socket.create_connection((url.hostname, url.port), timeout=1) as sock:
        sock.sendall(head + b"--" + BOUNDARY.encode() + b"\r\n" + b"x" * 1024)
        status_line = sock.recv(64).split(b"\r\n", 1)[0]
    assert status_line.startswith(b"HTTP/1.1 413"), status_line
    assert time.monotonic() - started < 1


def test_the_request_limit_may_not_be_below_the_largest_topic_file(monkeypatch, tmp_path):
    monkeypatch.delenv("XIETONG_MAX_REQUEST_MB", raising=False)
    monkeypatch.delenv("XIETONG_TOPIC_ATTACHMENT_MAX_MB", raising=False)
    assert load_settings(monkeypatch, tmp_path).MAX_REQUEST_BYTES == 25 * 1024 * 1024
    configured = load_settings(
        monkeypatch, tmp_path, XIETONG_TOPIC_ATTACHMENT_MAX_MB="50", XIETONG_MAX_REQUEST_MB="60"
    )
    assert configured.MAX_REQUEST_BYTES == 60 * 1024 * 1024
    with pytest.raises(ImproperlyConfigured, match="XIETONG_MAX_REQUEST_MB"):
        load_settings(monkeypatch, tmp_path, XIETONG_MAX_REQUEST_MB="10")
