"""The ``xietong`` command: Django's management commands under one name."""

from __future__ import annotations

import os
import sys

from xietong.core.files import restrict_umask


def main() -> None:
    restrict_umask()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xietong.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["xietong", *sys.argv[1:]])


if __name__ == "__main__":
    main()
