"""The header's language switch: links to /language/en?next=<this page> and /language/vi?next=...; the choice is
kept in a `lang` cookie for a year, so the next pages stay in the chosen language."""
from __future__ import annotations

import time
from urllib.parse import urlsplit

from tests.browser.steps import expect, open_menu

A_YEAR = 365 * 24 * 3600


def choose(page, code: str) -> None:
    """Click the header's link to the language (English or Tiếng Việt) and land back on a page."""
    with page.expect_navigation():
        page.locator(f"header a[href^='/language/{code}?']").click()


def test_choosing_english_translates_the_menu_and_stays_on_the_same_page(page):
    page.goto("/libraries")
    expect(page.locator("header a[href^='/language/en?']")).to_have_text("English")
    choose(page, "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert urlsplit(page.url).path == "/libraries"  # back on the page the reader was on
    expect(page.locator("header nav a[href='/search']")).to_have_text("Search")


def test_english_is_remembered_on_the_next_page_for_a_year(page):
    page.goto("/")
    choose(page, "en")
    open_menu(page, "/libraries")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("header nav a[href='/search']")).to_have_text("Search")
    cookie = next(cookie for cookie in page.context.cookies() if cookie["name"] == "lang")
    assert cookie["value"] == "en" and cookie["expires"] > time.time() + A_YEAR - 24 * 3600


def test_switching_back_to_vietnamese(page):
    page.goto("/")
    choose(page, "en")
    choose(page, "vi")
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.locator("header nav a[href='/search']")).to_have_text("Tìm kiếm")
