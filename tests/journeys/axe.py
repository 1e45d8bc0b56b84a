"""axe-core in the tested page, at the two widths the portal is built for, and a screenshot.

axe runs through Playwright's evaluate (DevTools protocol), so the portal's content security
policy stays as strict as in production. Only the WCAG 2.1 A and AA rules count: they are the
portal's promise (README, accessibility)."""

import json
from pathlib import Path

from playwright.sync_api import Page

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
WIDTHS = ((1280, 800), (320, 640))
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def violations(page: Page) -> list[dict]:
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))",
        TAGS,
    )
    return result


def check_page(page: Page, name: str, *, screenshot: bool = True, show: str = "") -> None:
    """No axe violation at 1280 and 320 px; a viewport screenshot at 1280 px named ``name``
    (scrolled to the element ``show`` when given)."""
    found = {}
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        page.evaluate("window.scrollTo(0, 0)")
        problems = violations(page)
        if problems:
            found[width] = problems
        if screenshot and width == WIDTHS[0][0]:
            if show:
                page.locator(show).first.scroll_into_view_if_needed()
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), animations="disabled")
    page.set_viewport_size({"width": WIDTHS[0][0], "height": WIDTHS[0][1]})
    assert not found, f"{name} ({page.url}): {json.dumps(found, indent=1)}"
