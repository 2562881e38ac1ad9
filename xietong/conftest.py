"""Persona fixtures shared by every app's tests."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def torg(db):
    from xietong.desk.testing import build_test_org

    return build_test_org()


@pytest.fixture(autouse=True)
def _no_delivery_runs_queued_on_commit(settings):
    """Committed events queue a delivery run in production; tests that want it turn it on
    (xietong/notify/tests/test_on_commit.py), the others keep the task queue untouched."""
    settings.NOTIFY_ENQUEUE_ON_COMMIT = False


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


@pytest.fixture(scope="session", autouse=True)
def _no_idle_backends_left(django_db_setup, django_db_blocker):
    """Live-server request threads can leave their PostgreSQL connection idle behind them;
    PostgreSQL would then refuse to drop the test database at the end of the run."""
    yield
    with django_db_blocker.unblock():
        from django.db import connection

        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
