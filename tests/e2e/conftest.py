"""Browser tests: Playwright (Python) driving Debian's chromium against pytest-django's live server.

No browser is downloaded: we launch /usr/bin/chromium (installed by ``run.py test`` through apt-get).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CARNET_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `python3.11 run.py test` (installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, request):  # type: ignore[no-untyped-def]
    context = browser.new_context(
        base_url=live_server.url, locale="fr-FR", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    _keep_screenshot_on_failure(request, page)
    context.close()


@pytest.fixture
def mobile_page(browser, live_server):  # type: ignore[no-untyped-def]
    context = browser.new_context(
        base_url=live_server.url, locale="fr-FR", viewport={"width": 375, "height": 740}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def _keep_screenshot_on_failure(request, page) -> None:  # type: ignore[no-untyped-def]
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        target = Path(os.environ.get("CARNET_E2E_ARTIFACTS", "/tmp/carnet-e2e")) / f"{request.node.name}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(target), full_page=True)
