"""What a reader does on the pages, as small steps the tests share: sign in and out, search, read the hits."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.readiness import PLAYWRIGHT_MISSING
from tests.conftest import PASSWORD

expect = pytest.importorskip("playwright.sync_api", reason=f"browser tests skipped: {PLAYWRIGHT_MISSING}").expect

if TYPE_CHECKING:
    from playwright.sync_api import Page

COUNT = re.compile(r"^\s*([\d.,]+)\s")  # "12 kết quả" / "1.234 kết quả"


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Sign in through the /login form, reached from the header's link, and land on a page that names the user."""
    if not page.url.startswith("http"):
        page.goto("/")
    page.locator("header nav.account a[href^='/login']").click()
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("header .who")).to_have_text(username)


def sign_out(page: Page) -> None:
    """The header's sign-out button (a POST); afterwards the header offers to sign in again."""
    page.locator("header nav.account form button[type=submit]").click()
    expect(page.locator("header nav.account a[href^='/login']")).to_be_visible()
    expect(page.locator("header .who")).to_have_count(0)


def open_menu(page: Page, path: str) -> None:
    """Follow the header's navigation link to path (by its address, so it does not depend on the language)."""
    with page.expect_navigation():
        page.locator(f"header nav a[href='{path}']").first.click()
    assert urlsplit(page.url).path == path, page.url


def search(page: Page, words: str) -> None:
    """Type words into the search box of the search page (opened from the menu when elsewhere), press Enter."""
    if "/search" not in page.url:
        open_menu(page, "/search")
    box = page.locator("#q")
    box.fill(words)
    with page.expect_navigation():
        box.press("Enter")
    assert parse_qs(urlsplit(page.url).query).get("q") == [words], page.url  # the new page, not the one before
    expect(page.locator("#q")).to_have_value(words)


def hit_titles(page: Page) -> list[str]:
    return [title.strip() for title in page.locator("ol.hits > li .hit-title a").all_inner_texts()]


def hit_count(page: Page) -> int:
    """The number of hits the page announces ("12 kết quả")."""
    line = page.locator("main p", has_text=re.compile(r"^\s*[\d.,]+ ")).first.inner_text()
    found = COUNT.match(line)
    assert found, f"no hit count in {line!r}"
    return int(re.sub(r"[.,]", "", found.group(1)))


def holdings_on_edition_page(page: Page, library_name: str) -> list[str]:
    """The registration numbers (số ĐKCB) listed under a library's heading on an edition page."""
    heading = page.locator("h3", has_text=library_name)
    if not heading.count():
        return []
    table = heading.locator("xpath=following-sibling::table[1]")
    return [number.strip() for number in table.locator("tbody tr td:first-child").all_inner_texts()]
