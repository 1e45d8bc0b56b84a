"""Debian's Firefox ESR, driven through WebDriver BiDi (the W3C protocol Firefox speaks itself).

Playwright drives only its own patched Firefox build, which must not be downloaded here, and
geckodriver is no Debian package; Firefox ESR (``firefox-esr``) opens a WebDriver BiDi socket
with ``--remote-debugging-port``, so the tests speak the protocol directly: the few commands
they need (navigate, evaluate, keys, cookies) are below. The profile gives Firefox fake media
devices without a prompt and keeps it off the network: every request not to this machine goes
to a proxy on a closed loopback port, and Mozilla's background services are off.
"""

from __future__ import annotations

import itertools
import json
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from websockets.sync.client import connect

FIREFOX = "/usr/bin/firefox-esr"
PREFS = {
    # fake camera and microphone, no permission prompt (the tests' "fake devices")
    "media.navigator.streams.fake": True,
    "media.navigator.permission.disabled": True,
    "media.autoplay.default": 0,
    "media.peerconnection.ice.loopback": True,
    "media.peerconnection.ice.obfuscate_host_addresses": False,
    # nothing leaves the machine: a dead proxy for every other address, background services off
    "network.proxy.type": 1,
    "network.proxy.http": "127.0.0.1",
    "network.proxy.http_port": 9,
    "network.proxy.ssl": "127.0.0.1",
    "network.proxy.ssl_port": 9,
    "network.proxy.no_proxies_on": "127.0.0.1, localhost, 10.231.0.0/16",
    "network.proxy.allow_hijacking_localhost": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "network.dns.disablePrefetch": True,
    "network.prefetch-next": False,
    "services.settings.server": "http://127.0.0.1:9/",
    "app.normandy.enabled": False,
    "app.update.enabled": False,
    "app.shield.optoutstudies.enabled": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "browser.newtabpage.enabled": False,
    "browser.startup.homepage": "about:blank",
    "browser.startup.page": 0,
    "datareporting.healthreport.uploadEnabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.enabled": False,
    "extensions.update.enabled": False,
    "extensions.getAddons.cache.enabled": False,
    "browser.ping-centre.telemetry": False,
    "intl.accept_languages": "en-GB",
    # Tab reaches buttons and links (macOS-style "text fields only" is off)
    "accessibility.tabfocus": 7,
}


def firefox_installed() -> bool:
    return shutil.which(FIREFOX) is not None


class BiDiError(RuntimeError):
    pass


class Firefox:
    """One headless Firefox with one WebDriver BiDi session and one tab."""

    def __init__(self, timeout: float = 30) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="portal-firefox-"))
        prefs = "".join(f"user_pref({json.dumps(k)}, {json.dumps(v)});\n" for k, v in PREFS.items())
        (self.folder / "user.js").write_text(prefs)
        self.process = subprocess.Popen(
            [
                FIREFOX,
                "--headless",
                "--no-remote",
                "--profile",
                str(self.folder),
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        url = self._bidi_url(timeout)
        self.ids = itertools.count(1)
        self.socket = connect(f"{url}/session", max_size=None, open_timeout=timeout)
        self.events: list[dict] = []
        self.command(
            "session.new", {"capabilities": {"alwaysMatch": {"acceptInsecureCerts": True}}}
        )
        tree = self.command("browsingContext.getTree", {})
        self.context = tree["contexts"][0]["context"]
        # the tab gets the window's focus, as a person's would (keyboard activation needs it)
        self.command("browsingContext.activate", {"context": self.context})

    def _bidi_url(self, timeout: float) -> str:
        found: list[str] = []

        def read() -> None:
            for line in self.process.stderr:  # type: ignore[union-attr]
                match = re.search(r"WebDriver BiDi listening on (ws://\S+)", line)
                if match and not found:
                    found.append(match.group(1))
            # keep draining so Firefox never blocks on a full pipe

        threading.Thread(target=read, daemon=True).start()
        deadline = time.monotonic() + timeout
        while not found and time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Firefox exited with {self.process.returncode}")
            time.sleep(0.05)
        if not found:
            self.close()
            raise RuntimeError("Firefox did not open its WebDriver BiDi socket in time")
        return found[0]

    def command(self, method: str, params: dict[str, Any], timeout: float = 30) -> dict:
        number = next(self.ids)
        self.socket.send(json.dumps({"id": number, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self.socket.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message.get("id") != number:
                self.events.append(message)
                continue
            if message.get("type") == "error":
                raise BiDiError(f"{method}: {message.get('error')}: {message.get('message')}")
            return message["result"]

    # --- what the tests use -------------------------------------------------------------
    def set_cookie(self, name: str, value: str, domain: str) -> None:
        self.command(
            "storage.setCookie",
            {
                "cookie": {
                    "name": name,
                    "value": {"type": "string", "value": value},
                    "domain": domain,
                }
            },
        )

    def goto(self, url: str) -> None:
        self.command(
            "browsingContext.navigate", {"context": self.context, "url": url, "wait": "complete"}
        )

    def evaluate(self, expression: str) -> Any:
        """Run ``expression`` in the page (promises awaited) and return its value as JSON."""
        result = self.command(
            "script.evaluate",
            {
                "expression": f"Promise.resolve({expression}).then(v => JSON.stringify(v))",
                "target": {"context": self.context},
                "awaitPromise": True,
            },
        )
        if result.get("type") == "exception":
            raise BiDiError(str(result.get("exceptionDetails", {}).get("text")))
        value = result["result"].get("value")
        return None if value is None else json.loads(value)

    def press(self, key: str) -> None:
        """Press and release one key (WebDriver key codes: "\\ue004" is Tab, " " Space)."""
        self.command(
            "input.performActions",
            {
                "context": self.context,
                "actions": [
                    {
                        "type": "key",
                        "id": "keyboard",
                        "actions": [
                            {"type": "keyDown", "value": key},
                            {"type": "keyUp", "value": key},
                        ],
                    }
                ],
            },
        )

    def wait_for(self, expression: str, timeout: float = 20) -> Any:
        """Evaluate ``expression`` until it is truthy; return its value."""
        deadline = time.monotonic() + timeout
        value = None
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.2)
        raise AssertionError(f"not true in time: {expression} (last: {value!r})")

    def close(self) -> None:
        try:
            if getattr(self, "socket", None) is not None:
                self.socket.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            shutil.rmtree(self.folder, ignore_errors=True)
