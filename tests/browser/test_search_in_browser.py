"""A reader searches the union catalog: with or without diacritics, then narrows the hits with a facet."""
from __future__ import annotations

import re

from tests.browser.checks import shoot
from tests.browser.steps import expect, hit_count, hit_titles, search


def test_quang_tri_with_and_without_diacritics_gives_the_same_first_hit(page):
    page.goto("/")
    search(page, "Quảng Trị")
    with_marks = hit_titles(page)
    assert with_marks, "no hits for “Quảng Trị”"
    shoot(page, "search-results")
    search(page, "quang tri")
    assert hit_titles(page)[:1] == with_marks[:1]


def test_a_library_facet_narrows_the_hits_to_the_number_it_showed(page):
    page.goto("/")
    search(page, "Quảng Trị")
    before = hit_count(page)
    facet = page.locator("aside ul.facet li", has=page.locator("a[href*='library=TVQB']"))  # Quảng Bình's library
    label = facet.locator("a").inner_text().strip()
    shown = int(re.search(r"\((\d+)\)", facet.inner_text()).group(1))
    facet.locator("a").click()
    expect(page.locator("ul.chips")).to_contain_text(label)
    assert hit_count(page) == shown < before
    expect(page.locator("aside a.selected[aria-current=true]")).to_have_text(label)
    expect(page.locator("ol.hits > li")).to_have_count(shown)
