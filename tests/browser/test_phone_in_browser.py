"""On a phone (390×844) the home page and the search results fit the screen: no horizontal scroll."""
from __future__ import annotations

import pytest

from tests.browser.checks import SCREENSHOTS, horizontal_overflow, widest_elements

PAGES = {"home": "/", "search-results": "/search?q=quang+tri"}


@pytest.mark.parametrize("name", PAGES)
def test_the_page_fits_a_phone_without_horizontal_scroll(phone_page, name):
    path = PAGES[name]
    phone_page.goto(path)
    phone_page.screenshot(path=str(SCREENSHOTS / f"{name}-on-a-phone.png"))
    overflow = horizontal_overflow(phone_page)
    assert overflow <= 0, (f"{path} is {overflow}px wider than the 390px screen; sticking out:\n"
                           + "\n".join(widest_elements(phone_page)))
