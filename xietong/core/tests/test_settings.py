"""Settings read from the environment: the embedded SQLite default, PostgreSQL, loud failures.

The settings module is executed afresh with a chosen environment, so what it produces
without DATABASE_URL (or with one) is checked in every run, whichever engine the suite
itself runs on. Only the check of the live connection depends on the engine of the current
run; CI runs the suite on both engines (.ci/run).
"""

from __future__ import annotations

import importlib.util
import sqlite3

import pytest
from django.conf import settings as django_settings
from django.db import connection, connections, transaction
from django.db.backends.sqlite3.base import DatabaseWrapper as SqliteWrapper
from django.db.utils import ConnectionHandler

from xietong import settings as xsettings

ENV_VARS = (
    "DATABASE_URL",
    "REDIS_URL",
    "XIETONG_DEBUG",
    "XIETONG_SQLITE_PATH",
    "XIETONG_CONN_MAX_AGE",
    "XIETONG_SECRET_KEY",
    "XIETONG_ALLOWED_HOSTS",
    "XIETONG_HUEY_IMMEDIATE",
)


def load_settings(monkeypatch, tmp_path, **env):
    """Execute xietong/settings.py as a new module under ``env`` (plus an empty var dir)."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XIETONG_VAR_DIR", str(tmp_path / "var"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("xietong_settings_probe", xsettings.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def open_sqlite(settings_dict, path) -> SqliteWrapper:
    # A handler of its own fills in the defaults Django adds to every DATABASES entry.
    full = ConnectionHandler({"default": {**settings_dict, "NAME": str(path)}}).settings["default"]
    wrapper = SqliteWrapper(full, alias="settings_probe")
    wrapper.ensure_connection()
    return wrapper


def pragma(wrapper, name):
    with wrapper.cursor() as cursor:
        cursor.execute(f"PRAGMA {name}")
        return cursor.fetchone()[0]


def test_without_database_url_the_engine_is_sqlite_in_the_var_dir(monkeypatch, tmp_path):
    s = load_settings(monkeypatch, tmp_path)
    db = s.DATABASES["default"]
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == str(tmp_path / "var" / "xietong.sqlite3")
    assert s.DEBUG is False
    assert s.HUEY["huey_class"] == "huey.SqliteHuey"
    assert s.HUEY["filename"] == str(tmp_path / "var" / "tasks.sqlite3")


def test_a_fresh_sqlite_connection_uses_wal_full_sync_and_a_busy_timeout(monkeypatch, tmp_path, db):
    s = load_settings(monkeypatch, tmp_path)
    wrapper = open_sqlite(s.DATABASES["default"], tmp_path / "probe.sqlite3")
    try:
        assert pragma(wrapper, "journal_mode") == "wal"
        assert pragma(wrapper, "synchronous") == 2  # FULL: a committed write survives power loss
        assert pragma(wrapper, "busy_timeout") >= 5000
        assert pragma(wrapper, "foreign_keys") == 1
        assert wrapper.transaction_mode == "IMMEDIATE"
    finally:
        wrapper.close()


def test_sqlite_transactions_take_the_write_lock_at_begin(monkeypatch, tmp_path, db):
    """IMMEDIATE: a second writer waits at BEGIN instead of failing mid-transaction."""
    s = load_settings(monkeypatch, tmp_path)
    path = tmp_path / "lock.sqlite3"
    wrapper = open_sqlite(s.DATABASES["default"], path)
    connections["settings_probe"] = wrapper
    try:
        with transaction.atomic(using="settings_probe"):
            # Nothing written yet, but the lock is already held.
            other = sqlite3.connect(path, timeout=0, isolation_level=None)
            try:
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    other.execute("BEGIN IMMEDIATE")
            finally:
                other.close()
    finally:
        del connections["settings_probe"]
        wrapper.close()


def test_database_url_selects_postgresql_through_psycopg_3(monkeypatch, tmp_path):
    s = load_settings(monkeypatch, tmp_path, DATABASE_URL="postgres://xt:secret@db.example:5433/xietong")
    db = s.DATABASES["default"]
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["HOST"], db["PORT"], db["NAME"], db["USER"]) == ("db.example", 5433, "xietong", "xt")
    assert db["CONN_MAX_AGE"] == 60
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    assert is_psycopg3


def test_redis_url_selects_the_redis_task_queue(monkeypatch, tmp_path):
    s = load_settings(monkeypatch, tmp_path, REDIS_URL="redis://127.0.0.1:6379/3")
    assert s.HUEY["huey_class"] == "huey.RedisHuey"
    assert s.HUEY["url"] == "redis://127.0.0.1:6379/3"
    import redis  # the client RedisHuey needs must be installed

    assert redis.__version__


def test_the_engine_of_this_run_is_configured_as_the_settings_say(db):
    # CI runs the whole suite on SQLite and again on PostgreSQL (.ci/run), so both branches
    # run there; each run asserts what applies to its own engine.
    if connection.vendor == "postgresql":
        import psycopg

        assert connection.Database is psycopg
        assert psycopg.__version__.split(".")[0] == "3"
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('server_version_num')::int")
            assert cursor.fetchone()[0] >= 130000
    else:
        assert connection.vendor == "sqlite"
        assert connection.transaction_mode == "IMMEDIATE"
        assert "PRAGMA journal_mode=WAL" in django_settings.DATABASES["default"]["OPTIONS"]["init_command"]


@pytest.mark.parametrize("raw", ["maybe", "2", "yes please"])
def test_env_bool_refuses_values_it_cannot_read(monkeypatch, raw):
    monkeypatch.setenv("XIETONG_DEBUG", raw)
    with pytest.raises(ValueError, match="XIETONG_DEBUG"):
        xsettings.env_bool("XIETONG_DEBUG", False)


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("TRUE", True), (" on ", True), ("no", False), ("0", False)]
)
def test_env_bool_reads_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("XIETONG_DEBUG", raw)
    assert xsettings.env_bool("XIETONG_DEBUG", not expected) is expected


def test_env_bool_and_env_int_fall_back_to_the_default_when_unset_or_empty(monkeypatch):
    monkeypatch.delenv("XIETONG_DEBUG", raising=False)
    monkeypatch.setenv("XIETONG_CONN_MAX_AGE", "")
    assert xsettings.env_bool("XIETONG_DEBUG", True) is True
    assert xsettings.env_int("XIETONG_CONN_MAX_AGE", 7) == 7


def test_env_int_refuses_non_integers(monkeypatch):
    monkeypatch.setenv("XIETONG_CONN_MAX_AGE", "sixty")
    with pytest.raises(ValueError, match="XIETONG_CONN_MAX_AGE"):
        xsettings.env_int("XIETONG_CONN_MAX_AGE", 60)
    monkeypatch.setenv("XIETONG_CONN_MAX_AGE", "120")
    assert xsettings.env_int("XIETONG_CONN_MAX_AGE", 60) == 120


def test_a_bad_value_stops_the_settings_from_loading(monkeypatch, tmp_path):
    with pytest.raises(ValueError, match="XIETONG_DEBUG must be a boolean"):
        load_settings(monkeypatch, tmp_path, XIETONG_DEBUG="maybe")


def test_the_secret_key_is_kept_per_installation(monkeypatch, tmp_path):
    first = load_settings(monkeypatch, tmp_path)
    second = load_settings(monkeypatch, tmp_path)
    assert len(first.SECRET_KEY) >= 50
    assert first.SECRET_KEY == second.SECRET_KEY
    configured = load_settings(monkeypatch, tmp_path, XIETONG_SECRET_KEY="k" * 60)
    assert configured.SECRET_KEY == "k" * 60
