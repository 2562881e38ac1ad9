"""Private data files: the database, the task queue, keys and uploads are the service user's alone.

Django-free (the settings module uses it before Django is set up).
"""

from __future__ import annotations

import os
from pathlib import Path

# New files 0600, new directories 0700, whatever the umask of the shell or service manager.
PRIVATE_UMASK = 0o077


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
