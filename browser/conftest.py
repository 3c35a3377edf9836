"""The browser suite's fixtures: one headless Chromium for the session, the test page on two origins,
and both APIs as real processes, once per selected database (testkit.databases: SQLite and
PostgreSQL, ``TEST_DB`` picks one).

The browser is Debian's ``chromium`` driven through Debian's ``chromium-driver``, both named by path:
Selenium Manager is told to stay offline (``SE_OFFLINE``), so nothing is ever downloaded. ``make test``
installs the two packages when they are missing and it runs as root; elsewhere the suite is skipped,
and with ``CI=true`` a missing browser fails it (testkit.services.missing).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testkit.databases import selected_backends
from testkit.services import missing, require_module
from testkit.students import save_student_model

from live_apis import Forecast, UniTrack, forecast, page_origin, unitrack

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_ARGS = (
    "--headless=new",
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
    "--disable-dev-shm-usage",
    "--disable-gpu",
    # Only loopback resolves: a page that asks a CDN, or any other host, for anything gets nothing.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test that starts an API runs once per selected database (session-scoped, so each API
    starts once per database)."""
    if "db_kind" not in metafunc.fixturenames:
        return
    kinds = selected_backends()
    if metafunc.definition.get_closest_marker("one_database"):
        kinds = kinds[:1]
    metafunc.parametrize("db_kind", kinds, indirect=True, scope="session")


@pytest.fixture(scope="session")
def db_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    for binary in (CHROMIUM, CHROMEDRIVER):
        if not binary.exists():
            missing(f"{binary} is missing: `make test` installs Debian's chromium and chromium-driver as root")
    webdriver = require_module("selenium.webdriver")
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never fetch a browser or a driver
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in CHROMIUM_ARGS:
        options.add_argument(argument)
    # The console (CORS refusals) and the network events (every URL a page asked for).
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


class Page:
    """The test page (pages/client.html) in the browser, opened from one origin."""

    def __init__(self, driver: Any) -> None:
        self.driver = driver

    def open(self, origin: str) -> None:
        self.driver.get(f"{origin}/client.html")
        self.console()  # start each page with an empty console

    def run(self, function: str, *args: Any) -> Any:
        """``await function(*args)`` in the page; its result, or ``{"thrown": ...}``."""
        script = (
            "const done = arguments[arguments.length - 1];"
            f"{function}(...Array.from(arguments).slice(0, -1)).then(done, (e) => done({{thrown: String(e)}}));"
        )
        return self.driver.execute_async_script(script, *args)

    def wait_for(self, css: str, message: str) -> Any:
        """The first element ``css`` selects, once it is visible (at most 30 s)."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.ui import WebDriverWait

        visible = expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, css))
        return WebDriverWait(self.driver, 30).until(visible, message=message)

    def text(self, css: str) -> list[str]:
        from selenium.webdriver.common.by import By

        return [element.text for element in self.driver.find_elements(By.CSS_SELECTOR, css)]

    def console(self) -> list[str]:
        """The console lines since the last call."""
        return [entry["message"] for entry in self.driver.get_log("browser")]

    def requested_urls(self) -> list[str]:
        """Every URL the browser asked for since the last call (DevTools network events)."""
        urls = []
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                urls.append(message["params"]["request"]["url"])
        return urls


@pytest.fixture
def page(browser: Any) -> Page:
    page = Page(browser)
    page.requested_urls()  # drop the network events of earlier tests
    return page


@pytest.fixture(scope="session")
def allowed_origin() -> Iterator[str]:
    """The front end's origin: in both APIs' FRONTEND_ORIGIN."""
    with page_origin() as origin:
        yield origin


@pytest.fixture(scope="session")
def other_origin() -> Iterator[str]:
    """The same page from another port: another origin, in neither API's FRONTEND_ORIGIN."""
    with page_origin() as origin:
        yield origin


@pytest.fixture(scope="session")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real scikit-learn model trained on the synthetic students."""
    return save_student_model(tmp_path_factory.mktemp("model") / "model.pkl")


@pytest.fixture(scope="session")
def unitrack_api(
    db_kind: str, allowed_origin: str, model_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[UniTrack]:
    with unitrack(db_kind, tmp_path_factory.mktemp(f"unitrack-{db_kind}"), allowed_origin, model_path) as api:
        yield api


@pytest.fixture(scope="session")
def forecast_api(db_kind: str, allowed_origin: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Forecast]:
    with forecast(db_kind, tmp_path_factory.mktemp(f"forecast-{db_kind}"), allowed_origin) as api:
        yield api
