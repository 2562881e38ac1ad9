"""Private data files: the database, the task queue, keys and uploads are the service user's alone.

Django-free: the settings module reads the data directory's layout from here, and the product's
entry points (``xietong`` / manage.py, the test run) prepare that directory before Django reads
the settings, which themselves create nothing.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

# New files 0600, new directories 0700, whatever the umask of the shell or service manager.
PRIVATE_UMASK = 0o077
CHECKOUT_VAR_DIR = Path(__file__).resolve().parents[2] / "var"
SECRET_KEY_FILE_NAME = "secret_key"


def restrict_umask() -> None:
    """Make files this process creates from now on (SQLite's -wal/-shm included) private."""
    os.umask(PRIVATE_UMASK)


def private_dir(path: Path) -> None:
    """Create ``path`` as 0700, or take group and other access away from an existing one."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)


def write_private(path: Path, text: str) -> None:
    """Write a new file readable by its owner only (0600 from the start, whatever the umask)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def write_private_once(path: Path, text: str) -> None:
    """Create ``path`` (0600) holding ``text`` unless it exists. The file appears whole: a
    process starting at the same moment (a test worker, a second command) reads either nothing
    or the complete text, and the first creator's text is kept."""
    if path.exists():
        return
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # 0600
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(temporary)


def var_dir() -> Path:
    """The data directory: XIETONG_VAR_DIR, or var/ in the checkout."""
    return Path(os.environ.get("XIETONG_VAR_DIR") or CHECKOUT_VAR_DIR)


def static_root() -> Path:
    """Where ``collectstatic`` puts CSS/JS: XIETONG_STATIC_ROOT, or static/ in the data directory."""
    return Path(os.environ.get("XIETONG_STATIC_ROOT") or var_dir() / "static")


def local_secret_key() -> str:
    """The installation's generated secret key, or "" before an entry point has made it."""
    try:
        return (var_dir() / SECRET_KEY_FILE_NAME).read_text().strip()
    except FileNotFoundError:
        return ""


def prepare_data_dir() -> None:
    """Make the data directory (0700, a looser existing one closed), the static root, and,
    unless a secret key is configured, the installation's secret key file (0600, once: the same
    key after every restart, so sessions survive). Run before Django reads the settings."""
    directory = var_dir()
    private_dir(directory)
    static_root().mkdir(parents=True, exist_ok=True)
    if not (os.environ.get("XIETONG_SECRET_KEY") or os.environ.get("XIETONG_SECRET_KEY_FILE")):
        write_private_once(directory / SECRET_KEY_FILE_NAME, secrets.token_urlsafe(50))
