"""Persona fixtures shared by every app's tests."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def torg(db):
    from xietong.core.testing import build_test_org

    return build_test_org()


@pytest.fixture
def login(client):
    """login(person) -> a test client logged in as that person."""

    def _login(person):
        client.force_login(person)
        return client

    return _login


@pytest.fixture(scope="session", autouse=True)
def _compiled_translations():
    """Tests see the same Chinese pages users do, even when run without ./dev."""
    from django.core.management import call_command

    call_command("compile_translations", verbosity=0)
