"""The test run prepares the data directory as the ``xietong`` command does (pyproject.toml
loads this plugin with ``-p``): the settings create nothing, and pytest-django reads them
before any conftest runs."""

from __future__ import annotations

import pytest

from xietong.core.files import prepare_data_dir


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests() -> None:
    prepare_data_dir()
