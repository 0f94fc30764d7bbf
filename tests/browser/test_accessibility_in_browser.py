"""The main pages, anonymous and signed in, checked in the browser: axe-core finds no serious or critical
violation; each page has one <h1> and its headings skip no level; every form control has an accessible name;
and a keyboard user reaches the search box from the top of the home page and searches with Enter."""
from __future__ import annotations

import json
import re

import pytest

from tests.browser.checks import axe_violations, describe_violations, heading_problems, shoot, unlabelled_controls
from tests.browser.steps import expect, hit_count, sign_in

LIBRARIAN = "thuthu.cc"  # Cồn Cỏ's librarian: holds the demo edition below and receives the dispatched donation
PUBLIC = ["home", "search results", "edition", "login", "libraries"]
SIGNED_IN = ["home", "search results", "edition", "import form", "transfer list", "transfer form", "transfer",
             "handover", "reports", "libraries"]
VISITS = [("anonymous", name) for name in PUBLIC] + [("librarian", name) for name in SIGNED_IN]
IDS = [f"{who}-{name.replace(' ', '-')}" for who, name in VISITS]
SHOWN = {"home", "search results", "edition", "transfer", "reports", "libraries"}  # screenshots of these


@pytest.fixture(scope="module")
def paths(live_server, make_transfer, demo_copies) -> dict[str, str]:
    """Where each page is: the edition of “Địa chí Quảng Trị” (held by Cồn Cỏ too), a dispatched donation to Cồn Cỏ."""
    records = [json.loads(line) for line in live_server.run("catalog", "dump").splitlines()]
    edition = next(row["edition"] for row in records
                   if row["control_number"] == "1201" and row["library"] == "TVQT")
    transfer = make_transfer(demo_copies("TVQT")[:1], [("Bản đồ đảo Cồn Cỏ", 2)], until="dispatched")
    return {"home": "/", "search results": "/search?q=quang+tri", "edition": f"/editions/{edition}",
            "login": "/login", "libraries": "/libraries", "import form": "/imports/new",
            "transfer list": "/transfers", "transfer form": "/transfers/new", "transfer": f"/transfers/{transfer}",
            "handover": f"/transfers/{transfer}/handover", "reports": "/reports"}


@pytest.fixture(scope="module")
def librarian_cookies(browser, live_server) -> list[dict]:
    """The cookies of a session signed in once through the form, for every signed-in visit of the module."""
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.goto("/")
    sign_in(page, LIBRARIAN)
    cookies = context.cookies()
    context.close()
    return cookies


@pytest.fixture
def visit(paths, librarian_cookies):
    """visit(page, "anonymous" or "librarian", name of the page): open it, signed in or not."""
    def open_page(page, who: str, name: str) -> None:
        if who == "librarian":
            page.context.add_cookies(librarian_cookies)
        page.goto(paths[name])
        assert "/login" not in page.url or name == "login", f"{name}: sent to {page.url}"
    return open_page


@pytest.mark.parametrize("who, name", VISITS, ids=IDS)
def test_axe_finds_no_serious_or_critical_violations(axe_page, visit, paths, who, name):
    visit(axe_page, who, name)
    if name in SHOWN:
        shoot(axe_page, f"{name}-{who}")
    violations = axe_violations(axe_page)
    assert not violations, f"{name} ({who}, {paths[name]}):\n{describe_violations(violations)}"


@pytest.mark.parametrize("who, name", VISITS, ids=IDS)
def test_one_h1_and_headings_skip_no_level(page, visit, paths, who, name):
    visit(page, who, name)
    assert heading_problems(page) == [], f"{name} ({who}, {paths[name]})"


@pytest.mark.parametrize("who, name", VISITS, ids=IDS)
def test_every_form_control_has_an_accessible_name(page, visit, paths, who, name):
    visit(page, who, name)
    assert unlabelled_controls(page) == [], f"{name} ({who}, {paths[name]})"


def test_tab_from_the_top_of_the_home_page_reaches_the_search_box_and_enter_searches(page):
    page.goto("/")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('input[type=search], input[name=q]')"):
            break
    else:
        pytest.fail("40 presses of Tab from the top of the home page never reached a search box")
    page.keyboard.type("quang tri")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\?(.*&)?q=quang(\+|%20)tri"))
    expect(page.locator("ol.hits > li").first).to_be_visible()
    assert hit_count(page) > 0
