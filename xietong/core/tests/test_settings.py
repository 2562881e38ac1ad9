"""Settings read from the environment: the embedded SQLite default, PostgreSQL, loud failures.

The settings module is executed afresh with a chosen environment, so what it produces
without DATABASE_URL (or with one) is checked in every run, whichever engine the suite
itself runs on. Only the check of the live connection depends on the engine of the current
run; CI runs the suite on both engines (.ci/run).
"""

from __future__ import annotations

import importlib.util
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, connections, transaction
from django.db.backends.sqlite3.base import DatabaseWrapper as SqliteWrapper
from django.db.utils import ConnectionHandler

from xietong import settings as xsettings
from xietong.core.files import prepare_data_dir

REPO = Path(__file__).resolve().parents[3]
XIETONG = Path(sys.executable).with_name("xietong")
ENV_VARS = (
    "DATABASE_URL",
    "DATABASE_URL_FILE",
    "REDIS_URL",
    "XIETONG_DEBUG",
    "XIETONG_SQLITE_PATH",
    "XIETONG_CONN_MAX_AGE",
    "XIETONG_SECRET_KEY",
    "XIETONG_SECRET_KEY_FILE",
    "XIETONG_SMTP_PASSWORD",
    "XIETONG_SMTP_PASSWORD_FILE",
    "XIETONG_DATA_KEY",
    "XIETONG_DATA_KEY_FILE",
    "XIETONG_STATIC_ROOT",
    "XIETONG_TRUSTED_PROXIES",
    "XIETONG_LOG_LEVEL",
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
    with pytest.raises(ImproperlyConfigured, match="XIETONG_DEBUG"):
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
    with pytest.raises(ImproperlyConfigured, match="XIETONG_CONN_MAX_AGE"):
        xsettings.env_int("XIETONG_CONN_MAX_AGE", 60)
    monkeypatch.setenv("XIETONG_CONN_MAX_AGE", "120")
    assert xsettings.env_int("XIETONG_CONN_MAX_AGE", 60) == 120


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("XIETONG_DEBUG", "maybe", "XIETONG_DEBUG must be a boolean"),
        ("XIETONG_CONN_MAX_AGE", "sixty", "XIETONG_CONN_MAX_AGE must be an integer"),
        ("XIETONG_TRUSTED_PROXIES", "10.0.0.1,the-proxy", "XIETONG_TRUSTED_PROXIES must be"),
        ("XIETONG_MAX_REQUEST_MB", "1", "XIETONG_MAX_REQUEST_MB must be at least"),
        ("XIETONG_LOG_LEVEL", "loud", "XIETONG_LOG_LEVEL must be"),
        ("DATABASE_URL", "mysqlx://xt:pw@db.example/xietong", "DATABASE_URL cannot be read"),
    ],
)
def test_a_bad_value_stops_the_settings_naming_the_variable(monkeypatch, tmp_path, name, raw, message):
    with pytest.raises(ImproperlyConfigured, match=message) as refused:
        load_settings(monkeypatch, tmp_path, **{name: raw})
    assert "pw" not in str(refused.value)


def test_importing_the_settings_creates_nothing(monkeypatch, tmp_path):
    s = load_settings(monkeypatch, tmp_path, XIETONG_STATIC_ROOT=str(tmp_path / "static"))
    assert list(tmp_path.iterdir()) == []
    assert tmp_path.joinpath("var") == s.VAR_DIR
    assert tmp_path.joinpath("static") == s.STATIC_ROOT
    assert s.SECRET_KEY == ""  # Django refuses it on use: no entry point prepared this directory


def test_the_entry_point_makes_the_secret_key_once_and_the_settings_read_it(monkeypatch, tmp_path):
    var = tmp_path / "var"
    monkeypatch.setenv("XIETONG_VAR_DIR", str(var))
    for name in ("XIETONG_SECRET_KEY", "XIETONG_SECRET_KEY_FILE", "XIETONG_STATIC_ROOT"):
        monkeypatch.delenv(name, raising=False)
    old_umask = os.umask(0o022)  # a usual login shell's
    try:
        prepare_data_dir()
        key = (var / "secret_key").read_text()
        prepare_data_dir()
    finally:
        os.umask(old_umask)
    assert (var / "secret_key").read_text() == key
    assert len(key) >= 50
    assert oct(stat.S_IMODE(var.stat().st_mode)) == "0o700"
    assert oct(stat.S_IMODE((var / "secret_key").stat().st_mode)) == "0o600"
    assert (var / "static").is_dir()
    assert sorted(p.name for p in var.iterdir()) == ["secret_key", "static"]  # no temporary left
    first = load_settings(monkeypatch, tmp_path)
    second = load_settings(monkeypatch, tmp_path)
    assert first.SECRET_KEY == second.SECRET_KEY == key
    configured = load_settings(monkeypatch, tmp_path, XIETONG_SECRET_KEY="k" * 60)
    assert configured.SECRET_KEY == "k" * 60


def test_with_a_configured_key_the_entry_point_writes_none(monkeypatch, tmp_path):
    monkeypatch.setenv("XIETONG_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("XIETONG_SECRET_KEY_FILE", str(tmp_path / "key"))
    monkeypatch.delenv("XIETONG_SECRET_KEY", raising=False)
    monkeypatch.delenv("XIETONG_STATIC_ROOT", raising=False)
    prepare_data_dir()
    assert not (tmp_path / "var" / "secret_key").exists()


def test_the_command_makes_the_key_and_the_wsgi_and_asgi_servers_run_on_it(tmp_path):
    """gunicorn and uvicorn import xietong.wsgi / xietong.asgi themselves, on an installation
    the ``xietong`` command has prepared; neither creates anything."""
    env = {k: v for k, v in os.environ.items() if k not in {*ENV_VARS, "DJANGO_SETTINGS_MODULE"}}
    env["XIETONG_VAR_DIR"] = str(tmp_path / "var")
    subprocess.run([str(XIETONG), "version"], cwd=REPO, env=env, check=True, capture_output=True)  # noqa: S603
    key = (tmp_path / "var" / "secret_key").read_text()
    before = sorted(tmp_path.rglob("*"))
    probe = (
        "import xietong.wsgi, xietong.asgi; from django.conf import settings; "
        "print(callable(xietong.wsgi.application), callable(xietong.asgi.application), settings.SECRET_KEY)"
    )
    shown = subprocess.run(  # noqa: S603
        [sys.executable, "-c", probe], cwd=REPO, env=env, check=True, capture_output=True, text=True
    ).stdout.split()
    assert shown == ["True", "True", key]
    assert sorted(tmp_path.rglob("*")) == before


@pytest.mark.parametrize(
    ("name", "read"),
    [
        ("XIETONG_SECRET_KEY", lambda s: s.SECRET_KEY),
        ("XIETONG_SMTP_PASSWORD", lambda s: s.EMAIL_HOST_PASSWORD),
        ("DATABASE_URL", lambda s: s.DATABASES["default"]["PASSWORD"]),
    ],
)
def test_a_secret_may_come_from_a_file(monkeypatch, tmp_path, name, read):
    secret = tmp_path / "secret"
    value = "postgres://xt:from-the-file@db.example/xietong" if name == "DATABASE_URL" else "from-the-file"
    secret.write_text(f"{value}\n")
    s = load_settings(monkeypatch, tmp_path, **{f"{name}_FILE": str(secret)})
    assert read(s) == "from-the-file"
    assert not (tmp_path / "var").exists()

    with pytest.raises(ImproperlyConfigured, match=f"Set {name} or {name}_FILE, not both"):
        load_settings(monkeypatch, tmp_path, **{name: value, f"{name}_FILE": str(secret)})
    with pytest.raises(ImproperlyConfigured, match=f"{name}_FILE cannot be read"):
        load_settings(monkeypatch, tmp_path, **{f"{name}_FILE": str(tmp_path / "missing")})
    secret.write_text("\n")
    with pytest.raises(ImproperlyConfigured, match=f"{name}_FILE names an empty file"):
        load_settings(monkeypatch, tmp_path, **{f"{name}_FILE": str(secret)})


def test_the_data_key_and_its_file_are_not_both_set(monkeypatch, tmp_path):
    with pytest.raises(ImproperlyConfigured, match="Set XIETONG_DATA_KEY or XIETONG_DATA_KEY_FILE, not both"):
        load_settings(
            monkeypatch, tmp_path, XIETONG_DATA_KEY="k", XIETONG_DATA_KEY_FILE=str(tmp_path / "data_key")
        )
