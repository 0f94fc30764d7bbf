"""End-to-end tests in a real browser (Debian's Chromium through Playwright), with axe-core's accessibility checks.

Each test module gets its own live server on 127.0.0.1: the application of `create_app`, served by werkzeug in a
thread, with its own SQLite database and search index in a temporary folder, the Union's libraries, the demo file
that `make run` imports (demo/dia_chi_demo.mrc, 43 records of 21 editions), the demo's transfers that `make run`
records (`flask exchange demo`) and three users made as
tests/conftest.py's `make_user` makes them. Tests drive the pages as a reader does: click, type, submit.

The tests skip, saying what to install, without Chromium (/usr/bin/chromium, or the path in CHROMIUM), the Python
package playwright, or axe-core (`npm ci` in tests/browser); and on PostgreSQL, where the same pages would be
tested again for a minute more (see readiness.py)."""
from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

import database
from accounts import users
from app import create_app
from catalog.libraries import seed_union
from tests.browser import readiness
from tests.browser.checks import DESKTOP, PHONE, SCREENSHOTS
from tests.conftest import PASSWORD, PROJECT
from tests.http_server import serving

DEMO = PROJECT / "demo" / "dia_chi_demo.mrc"
# username: (role, library): a librarian of Quảng Trị, one of the island district of Cồn Cỏ, the coordinator.
USERS = {"thuthu.qt": ("librarian", "TVQT"), "thuthu.cc": ("librarian", "TVCC"), "dieuphoi": ("coordinator", None)}


def pytest_collection_modifyitems(items) -> None:
    """Every test under tests/browser carries the `browser` marker (`pytest -m "not browser"` leaves them out)."""
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@dataclass
class LiveServer:
    app: object
    url: str

    def run(self, *args: str) -> str:
        """A `flask --app app ...` command on the server's database, as an administrator would run it."""
        result = self.app.test_cli_runner().invoke(args=list(args))
        assert result.exit_code == 0, result.output
        return result.output


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven by Playwright; skips, saying what to install, when it cannot run."""
    reason = readiness.missing()
    if reason:
        pytest.skip(f"browser tests skipped: {reason}")
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(readiness.CHROMIUM), args=["--no-sandbox"],
                                              headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def live_server(browser, database_template, tmp_path_factory) -> Iterator[LiveServer]:
    """The application on a real port, with the demo catalog, its search index and the USERS (password PASSWORD)."""
    folder = tmp_path_factory.mktemp("live")
    shutil.copy(database_template, folder / "catalog.sqlite3")
    app = create_app({
        "DATABASE_URL": f"sqlite:///{folder / 'catalog.sqlite3'}",
        "INDEX_DIR": str(folder / "index"),
        "UPLOAD_DIR": str(folder / "uploads"),
        "SECRET_KEY": "browser-tests",
        "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",  # as tests/conftest.py: the real cost is tested once elsewhere
    })
    with app.app_context():
        with database.transaction() as db:
            seed_union(db)
        for username, (role, library) in USERS.items():
            with database.transaction() as db:
                users.create_user(db, username, PASSWORD, role, library, "test")
    server = LiveServer(app, "")
    server.run("catalog", "import", str(DEMO))  # what `make run` loads: the demo file, the demo's transfers
    server.run("exchange", "demo")
    server.run("search", "sync")
    with serving(app, path="") as url:
        server.url = url
        yield server
    app.extensions["db_engine"].dispose()


def _context(browser, live_server: LiveServer, viewport: dict = DESKTOP, **options):
    context = browser.new_context(base_url=live_server.url, viewport=viewport, locale="vi-VN", **options)
    context.set_default_timeout(10_000)
    return context


@pytest.fixture
def page(browser, live_server):
    """A fresh browser tab (its own cookies) on the live server, desktop size; goto("/") opens the home page."""
    context = _context(browser, live_server)
    yield context.new_page()
    context.close()


@pytest.fixture
def axe_page(browser, live_server):
    """A tab whose context ignores the site's Content-Security-Policy, so that axe-core can be injected."""
    context = _context(browser, live_server, bypass_csp=True)
    yield context.new_page()
    context.close()


@pytest.fixture
def phone_page(browser, live_server):
    """A phone-sized tab (390×844, a touch screen, the mobile viewport rules)."""
    context = _context(browser, live_server, viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module")
def demo_copies(live_server):
    """copies("TVQT") is the registration numbers a library holds in the live catalog, sorted."""
    from catalog.models import Copy, Library

    def copies(library: str) -> list[str]:
        with live_server.app.app_context():
            return sorted(database.session().scalars(
                select(Copy.registration_number).join(Library, Library.id == Copy.library_id)
                .where(Library.code == library)))
    return copies


@pytest.fixture(scope="module")
def make_transfer(live_server):
    """make_transfer(copies, titles, until="received"): a donation from Quảng Trị to Cồn Cỏ recorded through the
    service, for tests whose subject is another page (the donation itself is tested through the pages)."""
    from datetime import date

    from exchange import transfers

    def make(copies: list[str], titles: list[tuple[str, int]] = (), until: str = "received") -> int:
        lines = [transfers.LineSpec(copy=number) for number in copies] + [
            transfers.LineSpec(title=title, quantity=quantity) for title, quantity in titles]
        with live_server.app.app_context():
            with database.transaction() as db:
                transfer_id = transfers.create_transfer(
                    db, users.get_user(db, "thuthu.qt"), kind="donation", from_code="TVQT", to_code="TVCC",
                    transfer_date=date(2021, 3, 26), occasion="Hội nghị giao ban giữa nhiệm kỳ 2020–2022, Cồn Cỏ",
                    note=None, lines=lines).id
            steps = {"draft": [], "dispatched": [(transfers.dispatch, "thuthu.qt")],
                     "received": [(transfers.dispatch, "thuthu.qt"), (transfers.receive, "thuthu.cc")]}
            for step, username in steps[until]:
                with database.transaction() as db:
                    step(db, users.get_user(db, username), transfer_id)
        return transfer_id
    return make
