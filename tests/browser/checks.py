"""Checks run on a page as it stands in the browser: axe-core, headings, labels, horizontal scroll; screenshots."""
from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING

from tests.browser.readiness import AXE

if TYPE_CHECKING:
    from playwright.sync_api import Page

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SERIOUS = ("serious", "critical")


def axe_violations(page: Page) -> list[dict]:
    """axe-core's serious and critical violations on the page (its context must bypass the CSP: see axe_page)."""
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("axe.run()")
    return [violation for violation in results["violations"] if violation["impact"] in SERIOUS]


def describe_violations(violations: list[dict]) -> str:
    """Each violation's rule, impact and help, and every element it was found on, with axe's reason."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} — {violation['helpUrl']}")
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            summary = " ".join(node.get("failureSummary", "").split())[:300]
            lines.append(f"    {target}  {node['html'][:160]}\n        {summary}")
    return "\n".join(lines)


HEADINGS = """() => Array.from(document.querySelectorAll("h1, h2, h3, h4, h5, h6"))
    .filter((heading) => !heading.closest("[hidden], [aria-hidden=true]"))
    .map((heading) => [Number(heading.tagName[1]), heading.textContent.replace(/\\s+/g, " ").trim()])"""


def heading_problems(page: Page) -> list[str]:
    """Not exactly one <h1>, a first heading that is not the <h1>, and every level skipped on the way down."""
    headings = page.evaluate(HEADINGS)
    problems = []
    h1s = [text for level, text in headings if level == 1]
    if len(h1s) != 1:
        problems.append(f"{len(h1s)} <h1> elements (one expected): {h1s}")
    if headings and headings[0][0] != 1:
        problems.append(f"the first heading is <h{headings[0][0]}> {headings[0][1]!r}, not the <h1>")
    for (before, before_text), (level, text) in pairwise(headings):
        if level > before + 1:
            problems.append(f"<h{before}> {before_text!r} is followed by <h{level}> {text!r}: "
                            f"skips <h{before + 1}>")
    return problems


UNLABELLED = """() => {
  const named = (el) => {
    const by = (el.getAttribute("aria-labelledby") || "").split(/\\s+/).filter(Boolean)
      .map((id) => (document.getElementById(id) || {}).textContent || "").join(" ");
    const labels = Array.from(el.labels || []).map((label) => label.textContent).join(" ");
    const own = el.tagName === "BUTTON" ? el.textContent
      : ["submit", "button", "reset"].includes(el.type) ? el.value : "";
    return [by, el.getAttribute("aria-label") || "", labels, own, el.getAttribute("title") || ""]
      .some((text) => text.trim() !== "");
  };
  return Array.from(document.querySelectorAll("input:not([type=hidden]), select, textarea, button"))
    .filter((el) => !named(el))
    .map((el) => el.outerHTML.slice(0, 160));
}"""


def unlabelled_controls(page: Page) -> list[str]:
    """Form controls with no accessible name (label, aria-label(ledby), a button's text or a title)."""
    return page.evaluate(UNLABELLED)


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the viewport (0: no horizontal scroll)."""
    return page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")


def widest_elements(page: Page, limit: int = 5) -> list[str]:
    """The elements that stick out past the right edge of the viewport, for the message of a failed check."""
    return page.evaluate("""(limit) => Array.from(document.querySelectorAll("body *"))
        .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
        .filter((el) => !Array.from(el.children).some((child) =>
            child.getBoundingClientRect().right >= el.getBoundingClientRect().right))
        .slice(0, limit)
        .map((el) => `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${el.className && typeof el.className
            === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : ""} (right edge at `
            + `${Math.round(el.getBoundingClientRect().right)}px): ${el.outerHTML.slice(0, 100)}`)""", limit)


def shoot(page: Page, name: str) -> None:
    """Screenshots of the page as it is, at desktop size and at phone size, into tests/browser/screenshots/."""
    name = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")
    size = page.viewport_size or DESKTOP
    page.screenshot(path=str(SCREENSHOTS / f"{name}-desktop.png"))
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-phone.png"))
    page.set_viewport_size(size)
