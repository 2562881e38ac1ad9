import pytest

from xietong.org.tests.pagefixes import apply_page_settings


@pytest.fixture(autouse=True)
def _pages(settings, tmp_path_factory, monkeypatch):
    apply_page_settings(settings, tmp_path_factory, monkeypatch)
