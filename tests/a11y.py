"""Accessibility and layout checks for browser tests: axe-core, reflow at 320 px, screenshots.

axe-core comes from the npm registry at the version pinned in ``package.json`` and is vendored
in ``tests/vendor/axe-core/`` (``scripts/vendor``); it is evaluated into the page through the
DevTools protocol, so the page's strict CSP stays on while it runs. The rules are those of
WCAG 2.1 A and AA (the portal's target, docs/DESIGN-SYSTEM.md).
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.test import Client

AXE_SOURCE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDE = {"width": 1280, "height": 800}
NARROW = {"width": 320, "height": 640}

_RUN_AXE = """async (tags) => {
  const options = {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]};
  const result = await axe.run(document, options);
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ") + " :: " + n.html.slice(0, 160)),
  }));
}"""


def axe_violations(page) -> list[dict]:
    """The WCAG 2.1 A/AA violations axe-core finds on the page as it is now."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE.read_text())
    return page.evaluate(_RUN_AXE, WCAG_TAGS)


def assert_accessible(page, where: str = "") -> None:
    violations = axe_violations(page)
    assert not violations, f"axe on {where or page.url}:\n" + json.dumps(violations, indent=1)


def horizontal_overflow(page) -> int:
    """How many CSS pixels the page is wider than the window (0: no sideways scrolling)."""
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")


def assert_reflows(page, where: str = "") -> None:
    """WCAG 1.4.10: at the page's width (320 px) nothing scrolls sideways."""
    overflow = horizontal_overflow(page)
    if overflow > 0:
        widest = page.evaluate(
            """() => [...document.querySelectorAll('body *')]
                .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
                .slice(0, 5)
                .map((e) => `${e.tagName}.${e.className} ${e.getBoundingClientRect().right}`)"""
        )
        raise AssertionError(f"{where or page.url} is {overflow} px too wide: {widest}")


def check_both_widths(page, url: str, *, screenshot: str = "") -> None:
    """Open ``url`` at 1280 px and at 320 px: no axe violation at either width, no sideways
    scrolling at 320 px; a screenshot of the wide view as ``docs/screenshots/<name>.png``."""
    for viewport in (WIDE, NARROW):
        page.set_viewport_size(viewport)
        page.goto(url)
        assert_accessible(page, f"{url} at {viewport['width']} px")
        if viewport is NARROW:
            assert_reflows(page, url)
        elif screenshot:
            save_screenshot(page, screenshot)


def save_screenshot(page, name: str) -> Path:
    """A viewport screenshot (PNG, small) under a fixed name, shown in the README."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), animations="disabled", caret="hide")
    return path


def logged_in_page(new_page, live_server, user, *, second_factor: bool = False):
    """A browser page whose session is ``user``'s (past the admin's second factor if asked)."""
    from tests.factories import pass_second_factor

    client = Client()
    if second_factor:
        pass_second_factor(client, user)
    else:
        client.force_login(user)
    page = new_page("en-GB")
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return page
