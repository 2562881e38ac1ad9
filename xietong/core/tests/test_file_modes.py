"""Data files are the service user's alone: the data directory 0700, every file in it 0600."""

from __future__ import annotations

import importlib.util
import os
import stat
import subprocess
import sys
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage

from xietong import settings as xsettings
from xietong.core.files import prepare_data_dir

REPO = Path(__file__).resolve().parents[3]
XIETONG = Path(sys.executable).with_name("xietong")
# Variables that would send the command elsewhere than the temporary directory.
ELSEWHERE = ("DATABASE_URL", "REDIS_URL", "XIETONG_SQLITE_PATH", "XIETONG_STATIC_ROOT", "XIETONG_SECRET_KEY")


def modes(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)) or ".": oct(stat.S_IMODE(path.stat().st_mode))
        for path in [root, *root.rglob("*")]
    }


def test_migrate_leaves_a_private_data_directory(tmp_path):
    var = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if k not in ELSEWHERE}
    env["XIETONG_VAR_DIR"] = str(var)
    # A usual login shell's umask: files would be created world-readable.
    subprocess.run(  # noqa: S603 - the product's own command
        [str(XIETONG), "migrate", "--noinput", "-v", "0"], cwd=REPO, env=env, check=True, umask=0o022
    )
    found = modes(var)
    assert {"xietong.sqlite3", "secret_key", "tasks.sqlite3"} <= set(found), found
    dirs = {name for name in found if (var / name).is_dir()}
    assert {name: mode for name, mode in found.items() if name in dirs} == dict.fromkeys(dirs, "0o700")
    assert {name: mode for name, mode in found.items() if name not in dirs} == {
        name: "0o600" for name in found if name not in dirs
    }


def test_an_existing_loose_data_directory_is_closed_and_the_key_file_is_private(tmp_path, monkeypatch):
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    var.chmod(0o755)
    for name in ("XIETONG_SECRET_KEY", "XIETONG_SECRET_KEY_FILE", "XIETONG_STATIC_ROOT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XIETONG_VAR_DIR", str(var))
    old_umask = os.umask(0o022)
    try:
        prepare_data_dir()  # what the ``xietong`` command does before Django reads the settings
    finally:
        os.umask(old_umask)
    spec = importlib.util.spec_from_file_location("xietong_settings_probe", xsettings.__file__)
    probe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(probe)
    assert oct(stat.S_IMODE(var.stat().st_mode)) == "0o700"
    assert oct(stat.S_IMODE((var / "secret_key").stat().st_mode)) == "0o600"
    assert (var / "secret_key").read_text() == probe.SECRET_KEY


def test_uploads_are_private(tmp_path, settings):
    assert (settings.FILE_UPLOAD_PERMISSIONS, settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS) == (0o600, 0o700)
    storage = FileSystemStorage(location=tmp_path / "media")
    old_umask = os.umask(0o022)
    try:
        name = storage.save("topics/2026/minutes.pdf", ContentFile(b"%PDF-1.7"))
    finally:
        os.umask(old_umask)
    assert oct(stat.S_IMODE(os.stat(storage.path(name)).st_mode)) == "0o600"
    assert oct(stat.S_IMODE((tmp_path / "media" / "topics").stat().st_mode)) == "0o700"
