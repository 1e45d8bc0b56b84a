"""Each journey's page check: no axe violation (WCAG 2.1 A and AA, ``tests/a11y.py``) at the
two widths the portal is built for, no sideways scrolling at 320 px, and a screenshot."""

import json

from playwright.sync_api import Page

from tests.a11y import SCREENSHOTS, assert_reflows, axe_violations, horizontal_overflow

WIDTHS = ((1280, 800), (320, 640))


def check_page(page: Page, name: str, *, screenshot: bool = True, show: str = "") -> None:
    """No axe violation at 1280 and 320 px and no sideways scrolling at 320 px; a viewport
    screenshot at 1280 px named ``name`` (scrolled to the element ``show`` when given)."""
    found = {}
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        page.evaluate("window.scrollTo(0, 0)")
        problems = axe_violations(page)
        if width < WIDTHS[0][0] and horizontal_overflow(page) > 0:
            try:
                assert_reflows(page, name)
            except AssertionError as wide:
                problems.append({"id": "reflow", "help": str(wide)})
        if problems:
            found[width] = problems
        if screenshot and width == WIDTHS[0][0]:
            if show:
                page.locator(show).first.scroll_into_view_if_needed()
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), animations="disabled")
    page.set_viewport_size({"width": WIDTHS[0][0], "height": WIDTHS[0][1]})
    assert not found, f"{name} ({page.url}): {json.dumps(found, indent=1)}"
