"""The handover record (biên bản bàn giao) of a received donation: opened from the transfer page, printed without
the site's navigation and with both signature blocks, and its PDF link answers a PDF."""
from __future__ import annotations

import pytest

from tests.browser.checks import shoot
from tests.browser.steps import expect, open_menu, sign_in


@pytest.fixture(scope="module")
def donation(make_transfer, demo_copies) -> int:
    return make_transfer(demo_copies("TVQT")[:2], [("Bản đồ đảo Cồn Cỏ", 4)])


def open_handover(page, transfer_id: int) -> None:
    """From the menu: the transfer list, the transfer, then its handover record."""
    page.goto("/")
    sign_in(page, "thuthu.cc")
    open_menu(page, "/transfers")
    page.locator(f"main a[href='/transfers/{transfer_id}']").click()
    page.locator(f"main a[href='/transfers/{transfer_id}/handover']").click()
    expect(page.locator("h1")).to_contain_text("BIÊN BẢN BÀN GIAO")


def test_the_printed_handover_record_hides_the_navigation_and_shows_both_signature_blocks(page, donation):
    open_handover(page, donation)
    shoot(page, "handover")
    for part in ("header.site", "footer", "button[data-print]"):  # on screen they are there, so hidden means hidden
        expect(page.locator(part)).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator("header.site")).to_be_hidden()
    expect(page.locator("footer")).to_be_hidden()
    expect(page.locator("button[data-print]")).to_be_hidden()
    signatures = page.locator(".signatures section")
    expect(signatures).to_have_count(2)
    expect(signatures.nth(0)).to_be_visible()
    expect(signatures.nth(0)).to_contain_text("ĐẠI DIỆN BÊN GIAO")
    expect(signatures.nth(1)).to_contain_text("ĐẠI DIỆN BÊN NHẬN")
    expect(page.locator("table.handover-lines")).to_contain_text("Bản đồ đảo Cồn Cỏ")
    shoot(page, "handover-print")


def test_the_pdf_link_of_the_handover_record_answers_a_pdf(page, donation):
    open_handover(page, donation)
    link = page.locator(f"main a[href^='/transfers/{donation}/handover.pdf']").first
    response = page.context.request.get(link.get_attribute("href"))  # with the page's cookies: signed in
    assert response.status == 200
    assert response.headers["content-type"].split(";")[0] == "application/pdf"
    assert response.body().startswith(b"%PDF-")
