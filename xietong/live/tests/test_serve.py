"""``xietong serve`` starts the live room's WebSocket server (uvicorn, ASGI) next to the pages."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def handshake(port: int, path: str) -> bytes:
    """The first line of the server's answer to a WebSocket upgrade request."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            (
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                "Sec-WebSocket-Version: 13\r\nOrigin: http://127.0.0.1:8000\r\n\r\n"
            ).encode()
        )
        return sock.recv(200).split(b"\r\n", 1)[0]


def test_serve_runs_the_live_server_next_to_the_pages(tmp_path):
    port, live_port = free_port(), free_port()
    env = {
        **os.environ,
        "XIETONG_VAR_DIR": str(tmp_path),
        "XIETONG_BIND": f"127.0.0.1:{port}",
        "XIETONG_LIVE_BIND": f"127.0.0.1:{live_port}",
        # Configured as in production: no console-mail warning before the first line.
        "XIETONG_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    }
    subprocess.run([sys.executable, "-m", "xietong", "migrate", "-v", "0"], cwd=REPO, env=env, check=True)
    proc = subprocess.Popen(
        [sys.executable, "-m", "xietong", "serve", "--workers", "1", "--no-worker"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert f"ws://127.0.0.1:{live_port}/" in line, line
        kids = children_of(proc.pid)
        commands = [Path(f"/proc/{k}/cmdline").read_bytes().replace(b"\0", b" ") for k in kids]
        assert any(b"uvicorn xietong.asgi:application" in c for c in commands), commands
        # The live server has no pages …
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(f"http://127.0.0.1:{live_port}/", timeout=10)  # noqa: S310
        assert error.value.code == 404
        error.value.close()
        # … and answers WebSocket upgrades: anonymous ones and unknown paths are refused.
        assert b" 403 " in handshake(live_port, "/ws/live/1/") + b" "
        assert b" 403 " in handshake(live_port, "/ws/nothing/") + b" "
        proc.send_signal(signal.SIGTERM)
        rest = proc.communicate(timeout=30)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    assert proc.returncode == 0, rest
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", live_port), timeout=1).close()
        except OSError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the live server still listens after serve stopped")


def test_serve_refuses_a_taken_live_port(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        live_port = taken.getsockname()[1]
        env = {
            **os.environ,
            "XIETONG_VAR_DIR": str(tmp_path),
            "XIETONG_BIND": f"127.0.0.1:{free_port()}",
            "XIETONG_LIVE_BIND": f"127.0.0.1:{live_port}",
        }
        result = subprocess.run(
            [sys.executable, "-m", "xietong", "serve"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode != 0
    assert f"cannot listen on 127.0.0.1:{live_port}" in result.stderr
    assert "XIETONG_LIVE_BIND" in result.stderr
