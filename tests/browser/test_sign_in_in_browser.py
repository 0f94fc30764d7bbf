"""A librarian signs in through the /login form and out again with the header's button."""
from __future__ import annotations

from tests.browser.steps import expect, sign_in, sign_out


def test_a_librarian_signs_in_and_sees_their_name_and_the_import_menu(page):
    page.goto("/")
    expect(page.locator("header nav a[href='/imports/new']")).to_have_count(0)
    sign_in(page, "thuthu.qt")
    expect(page.locator("header nav a[href='/imports/new']")).to_be_visible()
    expect(page.locator("header nav a[href='/transfers']")).to_be_visible()


def test_a_wrong_password_is_refused_on_the_form_in_vietnamese(page):
    page.goto("/login")
    page.locator("#username").fill("thuthu.cc")
    page.locator("#password").fill("khong-dung")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main [role=alert]")).to_be_visible()
    expect(page.locator("header .who")).to_have_count(0)
    expect(page.locator("#username")).to_have_value("thuthu.cc")


def test_signing_out_returns_to_the_anonymous_menu(page):
    page.goto("/")
    sign_in(page, "thuthu.qt")
    sign_out(page)
    expect(page.locator("header nav a[href='/imports/new']")).to_have_count(0)
