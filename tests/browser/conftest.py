"""A real uvicorn server on 127.0.0.1 and Debian's Chromium driven by Playwright.

No browser is downloaded: Chromium comes from the `chromium` package. In CI a
missing Chromium fails the run (`require`), it never skips.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from api.app import create_app
from tests.conftest import require
from tests.serving import serve
from tests.web.conftest import people, web_settings  # noqa: F401  (re-used fixture)
from workflow.runtime import Runtime

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"


@pytest.fixture
def server(runtime: Runtime, people, tmp_path: Path) -> Iterator[str]:  # noqa: F811
    with serve(create_app(runtime, web_settings(tmp_path))) as base:
        yield base


@contextmanager
def launched_chromium() -> Iterator[Any]:
    require(CHROMIUM.exists(), f"Chromium is not installed at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--headless"],
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def module_chromium() -> Iterator[Any]:
    """One browser for a module's tests: a launch costs seconds."""
    with launched_chromium() as browser:
        yield browser


@pytest.fixture
def chromium(module_chromium: Any) -> Iterator[Any]:
    """The module's browser; the contexts a test opened (its cookies, storage and pages)
    are closed when it ends, so nothing passes from one test to the next."""
    yield module_chromium
    for context in module_chromium.contexts:
        context.close()
