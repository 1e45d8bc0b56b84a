"""Time from the host's "Remove" to the removed person's stream being gone, through a real Janus.

A host and an observer (a guest) sit in the room with Chromium's fake cameras; for each of N
rounds a new guest joins, is admitted, and once the observer decodes the guest's video the host
clicks "Remove" (and confirms). Two clocks run from that click: until the guest's tile is gone
at the observer (the observer no longer shows or hears them), and until Janus refuses the
guest's media token (a request of the removed browser would fail). Reported as medians and 90th
percentiles, and as a ratio to a trivial request (``/healthz``) on the same server in the
same run.

Everything runs on loopback: uvicorn and Janus subprocesses (Debian's Janus with the portal's
configuration), Debian's Chromium. Without DATABASE_URL a temporary SQLite file is used.

    uv run python benchmarks/media_removal.py 10
"""

import json
import secrets
import statistics
import sys
import time
import urllib.request

from media_setup import PASSCODE, open_meeting, start_media_stack  # first: sets Django up
from playwright.sync_api import sync_playwright  # noqa: E402

from meetings.scheduling.models import Meeting  # noqa: E402
from tests.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

MEDIA = ["camera", "microphone"]


def janus_accepts(api_url: str, token: str) -> bool:
    body = json.dumps({"janus": "create", "token": token, "transaction": secrets.token_hex(4)})
    request = urllib.request.Request(api_url, body.encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as answer:
        return json.loads(answer.read())["janus"] == "success"


def decodes(page, feed: str, *, deadline: float) -> None:
    """Wait until ``page`` decodes video of ``feed`` (getStats(); the CSP forbids eval waits)."""
    while time.perf_counter() < deadline:
        frames = page.evaluate("window.portalMedia ? window.portalMedia.framesDecoded() : {}")
        if frames.get(feed, 0) > 0:
            return
        page.wait_for_timeout(10)
    raise RuntimeError("the observer decoded nothing of the new guest in time")


def join(browser, url: str, meeting: Meeting, name: str):
    context = browser.new_context(permissions=MEDIA, locale="en-GB")
    page = context.new_page()
    page.goto(f"{url}/meetings/join/{meeting.meeting_id}/#passcode={PASSCODE}")
    page.fill("#id_display_name", name)
    page.check("#id_age_confirmed")
    page.click("button:text('Join')")
    page.wait_for_selector("#live-root[data-kind='waiting']")
    page.locator("#live-status", has_text="Connected").wait_for()
    return context, page


def admit(console, page, name: str) -> dict:
    button = console.locator("#waiting-list li", has_text=name).get_by_role("button", name="Admit")
    button.click()
    page.wait_for_selector("#media-config", state="attached", timeout=20000)
    return json.loads(page.locator("#media-config").text_content())


def trivial_request_ms(url: str, count: int = 50) -> float:
    times = []
    for _ in range(count):
        start = time.perf_counter()
        with urllib.request.urlopen(f"{url}/healthz", timeout=5) as answer:
            answer.read()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main(rounds: int) -> None:
    meeting, host_cookie = open_meeting()
    janus, port, server = start_media_stack()
    url = f"http://127.0.0.1:{port}"
    tile_gone, token_refused = [], []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            host_context = browser.new_context(permissions=MEDIA, locale="en-GB")
            host_context.add_cookies([{"name": "sessionid", "value": host_cookie, "url": url}])
            console = host_context.new_page()
            console.on("dialog", lambda dialog: dialog.accept())
            console.goto(f"{url}/meetings/join/{meeting.meeting_id}/#passcode={PASSCODE}")
            console.click("button:text('Join')")
            console.wait_for_selector("#media-grid")
            _observer_context, observer = join(browser, url, meeting, "Observer")
            admit(console, observer, "Observer")
            for number in range(rounds):
                name = f"Guest {number}"
                context, guest = join(browser, url, meeting, name)
                config = admit(console, guest, name)
                feed = str(config["feed"])
                decodes(observer, feed, deadline=time.perf_counter() + 30)
                tile = observer.locator(f".tile[data-feed='{feed}']")
                remove = console.locator("#roster li", has_text=name).get_by_role(
                    "button", name="Remove"
                )
                start = time.perf_counter()
                remove.click()
                refused_at = None
                while tile.count() or refused_at is None:
                    if refused_at is None and not janus_accepts(janus.api_url, config["token"]):
                        refused_at = time.perf_counter()
                    if tile.count() == 0 and not tile_gone[number:]:
                        tile_gone.append(time.perf_counter() - start)
                    if time.perf_counter() - start > 20:
                        raise RuntimeError("the removed guest's stream was not gone in time")
                    observer.wait_for_timeout(5)
                if not tile_gone[number:]:
                    tile_gone.append(time.perf_counter() - start)
                token_refused.append(refused_at - start)
                context.close()
            floor = trivial_request_ms(url)
            browser.close()
    finally:
        server.terminate()
        server.wait()
        janus.stop()

    def line(label: str, values: list[float]) -> None:
        median = statistics.median(values) * 1000
        p90 = statistics.quantiles(values, n=10)[-1] * 1000 if len(values) >= 2 else median
        print(f"{label}: median {median:.0f} ms, p90 {p90:.0f} ms ({median / floor:.0f}x /healthz)")

    print(f"removals: {len(tile_gone)}; trivial request (/healthz) median {floor:.1f} ms")
    line("Remove -> tile gone at another participant", tile_gone)
    line("Remove -> Janus refuses the removed person's token", token_refused)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
