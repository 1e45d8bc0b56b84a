"""One whole meeting over HTTPS through nginx in two Chromiums, for scripts/production_check.py.

The host logs in by SSO at SimpleSAMLphp (Debian's, the real IdP of the SSO browser tests,
tests/portal/identity/sso/simplesamlphp.py) against the portal behind the TLS proxy, accepts the
terms, schedules a meeting starting now with a recording announced, joins; a guest joins with
the passcode, waits, is admitted and chats; both see each other's video through Janus (frames
decoded, read from getStats, still rising); the host asks for consent, the guest gives it in
another tab;
the host records, stops, the Celery worker converts the recording, the host downloads it in the
browser, by byte range and resumed; a poll is created, launched, answered, closed and its result
shown; the host ends the meeting and both browsers leave. Each step prints OK or raises.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import time
import zoneinfo
from collections.abc import Callable
from pathlib import Path

PASSCODE = "Pruef-Lauf-2026"
TOPIC = "Production check"
POLL = "Production poll"
RECORD_SECONDS = 4
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]


def frames(page) -> dict[str, int]:
    return page.evaluate("window.portalMedia ? window.portalMedia.framesDecoded() : {}")


def wait_for_frames(page, *, above: int = 10, timeout: float = 30) -> dict[str, int]:
    """getStats() until one remote feed decoded more than ``above`` frames."""
    deadline = time.monotonic() + timeout
    seen: dict[str, int] = {}
    while time.monotonic() < deadline:
        seen = frames(page)
        if seen and all(count > above for count in seen.values()):
            return seen
        page.wait_for_timeout(250)
    raise AssertionError(f"no video frames decoded in {timeout:.0f} s: {seen}")


def sso_login(page, base: str, idp_base: str, *, username: str, password: str) -> None:
    """The portal's login page, the IdP's form, back through the ACS, the terms."""
    page.goto(f"{base}/accounts/login/")
    page.get_by_role("button", name="Log in with Federation", exact=True).click()
    page.wait_for_url(re.compile(re.escape(idp_base) + r"/.*"))
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("#submit_button").click()
    page.wait_for_url(re.compile(re.escape(base) + r"/.*"))
    page.wait_for_url(re.compile(r".*/terms/.*"))
    page.get_by_label(re.compile("I accept")).check()
    page.get_by_role("button", name=re.compile("Accept")).click()
    page.wait_for_url(f"{base}/")


def schedule_now(page, base: str) -> str:
    """The scheduling form, starting in the current minute; returns the meeting ID."""
    page.goto(f"{base}/meetings/new/")
    zone = page.locator("#id_timezone").input_value() or "Europe/Berlin"
    start = datetime.datetime.now(zoneinfo.ZoneInfo(zone))
    page.fill("#id_topic", TOPIC)
    page.fill("#id_start", f"{start:%Y-%m-%d %H:%M}")
    page.fill("#id_duration_minutes", "60")
    page.fill("#id_passcode", PASSCODE)
    page.locator("#id_waiting_room").check()
    page.locator("#id_authenticated_only").uncheck()  # a guest without an account joins
    page.locator("#id_recording_announced").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Save", exact=True).click()
    if page.locator("h1").inner_text() != TOPIC:
        raise AssertionError(f"scheduling failed: {page.locator('main').inner_text()[:500]}")
    return page.url.rstrip("/").rsplit("/", 1)[1]


def download_checks(context, base: str, url: str, whole: bytes) -> None:
    """The recording through nginx by byte range, HEAD, and broken off at half then resumed."""
    size = len(whole)
    part = context.request.get(f"{base}{url}", headers={"Range": "bytes=0-99"})
    if part.status != 206 or part.body() != whole[:100]:
        raise AssertionError(f"byte range: HTTP {part.status}")
    if part.headers.get("content-range") != f"bytes 0-99/{size}":
        raise AssertionError(f"byte range: Content-Range {part.headers.get('content-range')}")
    head = context.request.head(f"{base}{url}")
    if head.status != 200 or head.headers.get("content-length") != str(size):
        raise AssertionError(f"HEAD: HTTP {head.status} {head.headers.get('content-length')}")
    half = size // 2
    first = context.request.get(f"{base}{url}", headers={"Range": f"bytes=0-{half - 1}"})
    validator = first.headers.get("etag") or first.headers.get("last-modified")
    rest = context.request.get(
        f"{base}{url}", headers={"Range": f"bytes={half}-", "If-Range": validator or ""}
    )
    resumed = first.body() + rest.body()
    if rest.status != 206 or hashlib.sha256(resumed).digest() != hashlib.sha256(whole).digest():
        raise AssertionError(f"resumed download: HTTP {rest.status}, {len(resumed)} of {size}")


def drive_meeting(
    *,
    base: str,
    idp_base: str,
    username: str,
    password: str,
    ok: Callable[[str], None],
    workdir: Path,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        try:
            expect.set_options(timeout=30_000)

            def new_context():
                context = browser.new_context(
                    locale="en-GB",
                    ignore_https_errors=True,
                    permissions=["camera", "microphone"],
                    accept_downloads=True,
                )
                context.set_default_timeout(30_000)
                return context

            # -- SSO and scheduling -------------------------------------------------------
            host_context = new_context()
            host = host_context.new_page()
            sso_login(host, base, idp_base, username=username, password=password)
            ok("Chromium: SSO login at SimpleSAMLphp through the TLS proxy, terms accepted")
            meeting_id = schedule_now(host, base)
            ok(f"Chromium: the host schedules a meeting starting now ({meeting_id})")
            join = f"{base}/meetings/join/{meeting_id}/#passcode={PASSCODE}"
            room = f"{base}/meetings/live/{meeting_id}/"

            # -- join, wait, admit ----------------------------------------------------------
            host.goto(join)
            host.click("button:text('Join')")
            expect(host.locator("h2:text('Host controls')")).to_be_visible()
            expect(host.locator("#live-status")).to_contain_text("Connected")
            ok("Chromium: the host joins; the room's websocket connects over wss")

            guest_context = new_context()
            guest = guest_context.new_page()
            guest.goto(join)
            expect(guest.locator("#id_passcode")).to_have_value(PASSCODE)
            guest.fill("#id_display_name", "Anna")
            guest.check("#id_age_confirmed")
            guest.click("button:text('Join')")
            expect(guest.locator("#live-root[data-kind='waiting']")).to_be_visible()
            expect(guest.locator("#live-status")).to_contain_text("Connected")
            host.locator("#waiting-list li", has_text="Anna").get_by_role(
                "button", name="Admit"
            ).click()
            expect(guest.locator("#live-root[data-kind='room']")).to_be_visible()
            expect(host.locator("#roster")).to_contain_text("Anna")
            ok("Chromium: a guest waits in the waiting room and is admitted live")

            guest.fill("#chat-text", "Hallo aus dem Check")
            guest.click("#chat-form button")
            expect(host.locator("#chat-log")).to_contain_text("Hallo aus dem Check")
            ok("Chromium: the guest's chat message reaches the host")

            # -- media through Janus ------------------------------------------------------------
            seen = {}
            for name, page in (("host", host), ("guest", guest)):
                first = wait_for_frames(page)
                later = wait_for_frames(page, above=max(first.values()))
                seen[name] = later
            ok(
                "Chromium: each browser decodes the other's video through Janus, rising "
                f"(frames: host {seen['host']}, guest {seen['guest']})"
            )

            # -- consent --
            console = host_context.new_page()  # the room keeps its media in the first tab
            console.goto(room)
            console.click("#recording-console-link")
            console.get_by_role("button", name="Ask them again").click()
            expect(guest.locator("#consent-prompt")).to_be_visible()
            consent_url = guest.locator("#consent-prompt-link").get_attribute("href")
            consent_page = guest_context.new_page()
            consent_page.goto(
                f"{base}{consent_url}" if consent_url.startswith("/") else consent_url
            )
            consent_page.get_by_role("button", name="I consent").click()
            expect(consent_page.locator("#consent-current")).to_contain_text("You have consented.")
            consent_page.close()
            ok("Chromium: the host asks for consent in the room; the guest consents")

            # -- recording ----------------------------------------------------------------------
            console.reload()  # the console lists the consents as of its loading
            console.get_by_role("button", name="Start recording").click()
            indicator = guest.locator("#room-recording")
            expect(indicator).to_have_attribute("data-running", "true")
            before = frames(guest)
            guest.wait_for_timeout(RECORD_SECONDS * 1000)  # the recording's own length
            after = frames(guest)
            if not all(after.get(feed, 0) > count for feed, count in before.items()):
                raise AssertionError(f"frames stopped while recording: {before} -> {after}")
            console.get_by_role("button", name="Stop recording").click()
            expect(indicator).to_have_attribute("data-running", "false")
            ok(f"Chromium: a {RECORD_SECONDS} s recording started and stopped; everyone sees it")

            recordings = f"{base}/meetings/{meeting_id}/recordings/"
            listed = console.locator("main table a").first
            deadline = time.monotonic() + 180
            while True:
                console.goto(recordings)
                if listed.count():
                    break
                if time.monotonic() > deadline:
                    raise AssertionError("the recording was not converted within 180 s")
                console.wait_for_timeout(2000)
            listed.click()
            expect(console.locator("dl")).to_contain_text("video/webm")
            checksum = console.locator("dl code").inner_text().strip()
            ok("the Celery worker converted the recording (Janus' raw files to one WebM)")
            link = console.get_by_role("link", name="Download", exact=True)
            with console.expect_download() as started:
                link.click()
            saved = workdir / "recording-download.webm"
            started.value.save_as(saved)
            whole = saved.read_bytes()
            if hashlib.sha256(whole).hexdigest() != checksum or whole[:4] != b"\x1a\x45\xdf\xa3":
                raise AssertionError(f"the download is not the stored WebM ({len(whole)} bytes)")
            ok(
                f"Chromium: the host downloads the recording ({len(whole)} bytes of WebM, "
                "the checksum the portal shows)"
            )
            download_checks(host_context, base, link.get_attribute("href"), whole)
            ok("the recording by byte range, HEAD, and broken off at half then resumed")

            # -- a poll --
            console.goto(f"{base}/meetings/{meeting_id}/polls/")
            console.fill("#id_title", POLL)
            with console.expect_navigation():
                console.get_by_role("button", name="Create poll").click()
            console.fill("#id_text", "Does the production stack work?")
            console.fill("#id_options", "Yes\nNo")
            with console.expect_navigation():
                console.get_by_role("button", name="Add question").click()
            console.goto(f"{base}/meetings/{meeting_id}/polls/")
            console.get_by_role("button", name=f"Launch “{POLL}”").click()
            card = guest.get_by_role("article", name=POLL)
            expect(card).to_be_visible()
            card.get_by_label("Yes", exact=True).check()
            card.get_by_role("button", name="Vote").click()
            expect(card.get_by_text("Thank you, your vote was counted.")).to_be_visible()
            console.goto(f"{base}/meetings/{meeting_id}/polls/")
            console.get_by_role("button", name=f"Close “{POLL}”").click()
            expect(guest.get_by_role("link", name=f"Results of “{POLL}”")).to_be_visible()
            console.goto(f"{base}/meetings/{meeting_id}/polls/")
            console.get_by_role("link", name="Results").first.click()
            # one ballot: the count waits for the poll's minimum of three (docs/POLICY.md)
            expect(console.get_by_text("1 vote", exact=True).first).to_be_visible()
            expect(console.locator("[data-withheld]")).to_be_visible()
            ok("Chromium: a poll created, launched, answered by the guest, closed, result shown")

            # -- end --
            console.close()
            host.once("dialog", lambda dialog: dialog.accept())
            host.click("#end-meeting")
            for page in (host, guest):
                expect(page).to_have_url(re.compile(r"/meetings/live/ended/$"))
            ok("Chromium: the host ends the meeting; both browsers leave the room")
        finally:
            browser.close()
