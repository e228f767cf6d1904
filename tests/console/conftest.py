"""
Fixtures of the console tests: a RustStack child process per module, HTTP
sessions that keep the console's cookies, and a headless Chromium (Debian's
C{chromium} and C{chromium-driver}) driven by selenium.

Screenshots go to C{$RUSTSTACK_ARTIFACTS/console} (or C{.artifacts/console}
in the repository), named after the test; the run's summary says where.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
import requests

from tests.stacks import ruststack_fixture

stack = ruststack_fixture("--services", "s3,dynamodb,sts")

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def artifacts_dir() -> Path:
    root = os.environ.get("RUSTSTACK_ARTIFACTS")
    folder = Path(root) / "console" if root else Path(__file__).resolve().parents[2] / ".artifacts" / "console"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "measures(target): the test measures and prints a figure of this target")


def pytest_terminal_summary(terminalreporter) -> None:
    folder = artifacts_dir()
    shots = sorted(folder.glob("*.png"))
    if shots:
        terminalreporter.write_line(f"console screenshots: {len(shots)} in {folder}")


@pytest.fixture
def web(stack):
    """
    An HTTP session (cookies kept) on the module's RustStack; redirects are
    not followed unless asked.
    """
    session = requests.Session()
    session.base = stack.endpoint_url  # type: ignore[attr-defined]
    yield session
    session.close()


def find_chromium() -> tuple[str, str] | str:
    """
    (browser, driver) paths, or why they cannot be used.
    """
    browser = next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)
    driver = shutil.which("chromedriver") or (
        "/usr/lib/chromium/chromedriver" if os.path.exists("/usr/lib/chromium/chromedriver") else None
    )
    if browser is None or driver is None:
        missing = ", ".join(name for name, path in (("chromium", browser), ("chromedriver", driver)) if path is None)
        return f"no {missing} on PATH: install Debian's chromium and chromium-driver (scripts/install-system-deps.sh)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    return browser, driver


@pytest.fixture(scope="module")
def browser():
    """
    A headless Chromium; the module's tests share it (SKIP when there is none).
    """
    found = find_chromium()
    if isinstance(found, str):
        pytest.skip(found)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = found[0]
    for argument in (
        "--headless=new",
        "--no-sandbox",  # root in CI's containers
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
        "--no-first-run",
        "--disable-extensions",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=found[1]))
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


@pytest.fixture
def screenshot(browser, request):
    """
    C{screenshot(label)} saves what the browser shows, for the artifacts.
    """
    test = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)

    def take(label: str = "") -> Path:
        path = artifacts_dir() / f"{test}{'-' + label if label else ''}.png"
        browser.save_screenshot(str(path))
        return path

    return take
