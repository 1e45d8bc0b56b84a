"""Time from "admit" to the first decoded remote video frame, through a real Janus.

A host sits in the room with Chromium's fake camera; for each of N joins a new guest (its own
browser context, fake camera) joins, waits, is admitted by the host's "Admit" button, and the
clock runs until the guest's subscription to the host has decoded its first video frame
(``getStats()``: ``framesDecoded > 0``). Reports the median and the 90th percentile, and the
share of the time spent before the room page had loaded (page load vs. media setup).

Everything runs on loopback: uvicorn and Janus subprocesses (Debian's Janus with the portal's
configuration), Debian's Chromium. Without DATABASE_URL a temporary SQLite file is used.

    uv run python benchmarks/media_join.py 20
"""

import statistics
import sys
import time

from media_setup import PASSCODE, open_meeting, start_media_stack  # first: sets Django up
from playwright.sync_api import sync_playwright  # noqa: E402

from tests.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402


def first_frame(page, *, deadline: float) -> float:
    """Poll the page's getStats() (the CSP forbids Playwright's eval-based waiting)."""
    while time.perf_counter() < deadline:
        frames = page.evaluate("window.portalMedia ? window.portalMedia.framesDecoded() : {}")
        if any(count > 0 for count in frames.values()):
            return time.perf_counter()
        page.wait_for_timeout(10)
    raise RuntimeError("no remote video frame in time")


def main(joins: int) -> None:
    meeting, host_cookie = open_meeting()
    janus, port, server = start_media_stack()
    url = f"http://127.0.0.1:{port}"
    results, page_loads = [], []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            media = ["camera", "microphone"]
            host_context = browser.new_context(permissions=media, locale="en-GB")
            host_context.add_cookies([{"name": "sessionid", "value": host_cookie, "url": url}])
            console = host_context.new_page()
            console.goto(f"{url}/meetings/join/{meeting.meeting_id}/#passcode={PASSCODE}")
            console.click("button:text('Join')")
            console.wait_for_selector("#media-grid")
            for number in range(joins):
                context = browser.new_context(permissions=media, locale="en-GB")
                guest = context.new_page()
                guest.goto(f"{url}/meetings/join/{meeting.meeting_id}/#passcode={PASSCODE}")
                guest.fill("#id_display_name", f"Guest {number}")
                guest.check("#id_age_confirmed")
                guest.click("button:text('Join')")
                guest.wait_for_selector("#live-root[data-kind='waiting']")
                guest.locator("#live-status", has_text="Connected").wait_for()
                button = console.locator("#waiting-list li", has_text=f"Guest {number}")
                button = button.get_by_role("button", name="Admit")
                button.wait_for()
                start = time.perf_counter()
                button.click()
                guest.wait_for_selector("#media-grid", timeout=20000)
                loaded = time.perf_counter()
                done = first_frame(guest, deadline=start + 20)
                results.append(done - start)
                page_loads.append(loaded - start)
                guest.click("form[action$='/leave/'] button")
                context.close()
            browser.close()
    finally:
        server.terminate()
        server.wait()
        janus.stop()
    median = statistics.median(results)
    p90 = statistics.quantiles(results, n=10)[-1] if len(results) >= 2 else median
    print(f"joins: {len(results)}")
    load = statistics.median(page_loads)
    print(f"admit -> first decoded remote video frame: median {median * 1000:.0f} ms,", end=" ")
    print(f"p90 {p90 * 1000:.0f} ms")
    print(f"  of which admit -> room page loaded: median {load * 1000:.0f} ms", end=" ")
    print(f"({load / median:.0%} of the median)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
