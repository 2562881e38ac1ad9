"""The ``xietong`` command: Django's management commands under one name."""

from __future__ import annotations

import os
import sys

from django.core.management import execute_from_command_line

from xietong.core.files import prepare_data_dir, restrict_umask


def main() -> None:
    restrict_umask()
    # The settings create nothing: the data directory and the generated secret key are made
    # here, before Django reads them, for every command (serve, migrate, collectstatic …).
    prepare_data_dir()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xietong.settings")
    execute_from_command_line(["xietong", *sys.argv[1:]])


if __name__ == "__main__":
    main()
