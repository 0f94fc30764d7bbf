"""Quảng Trị gives a book to the island library of Cồn Cỏ, all through the pages: the sender records the donation
on the transfer form and dispatches it, signs out; Cồn Cỏ's librarian signs in and confirms receipt; the copy then
shows under Cồn Cỏ on the edition page and in the search."""
from __future__ import annotations

import re

from tests.browser.checks import shoot
from tests.browser.steps import expect, holdings_on_edition_page, open_menu, search, sign_in, sign_out

TITLE = "Thành cổ Quảng Trị – 81 ngày đêm"  # the demo: Quảng Trị holds 2 copies, Cồn Cỏ 1
QUANG_TRI, CON_CO = "Thư viện tỉnh Quảng Trị", "Thư viện huyện đảo Cồn Cỏ"
OCCASION = "Hội nghị giao ban giữa nhiệm kỳ 2020–2022, Cồn Cỏ, 26–27/3/2021"


def open_edition(page, words: str) -> None:
    search(page, words)
    page.locator("ol.hits > li .hit-title a").first.click()
    expect(page.locator("h1")).to_contain_text(TITLE)


def state_of_transfer(page):
    return page.locator("h1 .state")


def test_a_donation_recorded_dispatched_and_received_moves_the_copy_to_con_co(page):
    page.goto("/")
    sign_in(page, "thuthu.qt")
    open_edition(page, "Thành cổ Quảng Trị")
    number = holdings_on_edition_page(page, QUANG_TRI)[0]
    held_by_con_co = holdings_on_edition_page(page, CON_CO)

    open_menu(page, "/transfers")
    page.locator("main a[href='/transfers/new']").click()
    page.locator("#kind").select_option("donation")
    page.locator("#to").select_option("TVCC")
    page.locator("#date").fill("2021-03-26")
    page.locator("#occasion").fill(OCCASION)
    page.locator("#copies").fill(number)
    shoot(page, "transfer-form")
    page.locator("main form.transfer-form button[type=submit]").click()
    expect(state_of_transfer(page)).to_have_text("nháp")
    transfer = page.url.removeprefix(page.url.split("/transfers/")[0])

    page.locator(f"form[action='{transfer}/dispatch'] button").click()
    expect(state_of_transfer(page)).to_have_text("đã gửi")
    sign_out(page)

    sign_in(page, "thuthu.cc")
    open_menu(page, "/transfers")
    page.locator(f"main a[href='{transfer}']").click()
    page.locator(f"form[action='{transfer}/receive'] button[type=submit]").click()
    expect(state_of_transfer(page)).to_have_text("đã nhận đủ")
    shoot(page, "transfer")

    page.locator("table.lines a", has_text=number).click()  # a copy on the transfer leads to its edition
    expect(page.locator("h1")).to_contain_text(TITLE)
    assert set(holdings_on_edition_page(page, CON_CO)) == {*held_by_con_co, number}
    assert number not in holdings_on_edition_page(page, QUANG_TRI)
    shoot(page, "edition")

    search(page, "Thành cổ Quảng Trị")
    expect(page.locator("ol.hits > li").first.locator(".holdings")).to_contain_text(
        re.compile(rf"{CON_CO}: {len(held_by_con_co) + 1} bản"))
