"""`make test` fails, not skips, when the browser tests cannot run; skipping them is a choice one states."""

import sys

import pytest

from vinculo.conftest import require_chromium


def test_a_missing_chromium_fails_the_browser_test_and_says_how_to_install_it(monkeypatch):
    monkeypatch.delenv("VINCULO_SKIP_BROWSER", raising=False)
    with pytest.raises(pytest.fail.Exception, match=r"/nowhere/chromium is missing.*`apt-get install chromium`"):
        require_chromium("/nowhere/chromium")


@pytest.mark.parametrize("value", ["1", "yes"])
def test_vinculo_skip_browser_skips_the_browser_tests_on_purpose(monkeypatch, value):
    monkeypatch.setenv("VINCULO_SKIP_BROWSER", value)
    with pytest.raises(pytest.skip.Exception, match="VINCULO_SKIP_BROWSER"):
        require_chromium("/nowhere/chromium")


def test_an_installed_browser_lets_the_test_run(monkeypatch):
    monkeypatch.delenv("VINCULO_SKIP_BROWSER", raising=False)
    require_chromium(sys.executable)  # an executable that exists: nothing raised
