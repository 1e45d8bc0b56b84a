"""Login and logout reach an IdP on another origin in Debian's Chromium, policy enforced.

The "Log in with …" and "Log out" buttons POST to the portal, which redirects to the IdP's
endpoint; the content security policy's ``form-action`` must allow exactly that endpoint.
"""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from portal.identity.sso.idp import register_idp
from portal.identity.sso.receivers import SAML_SESSION_KEY
from tests.portal.identity.sso.test_csp_idp_endpoints import metadata_at

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def dev_idp_keys(settings, tmp_path):
    settings.DEV_IDP_KEY_DIR = str(tmp_path)


class _IdPEndpoint(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        body = b"<!doctype html><title>Institution IdP</title><h1>Institution IdP</h1>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def foreign_idp():
    """An IdP's endpoints on another origin (another loopback port)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _IdPEndpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/idp"
    server.shutdown()
    server.server_close()


def test_a_person_reaches_the_idp_on_another_origin_from_the_login_button(
    live_server, new_page, foreign_idp, dev_idp_keys
):
    register_idp(slug="uni", name="Uni", metadata=metadata_at(foreign_idp))
    page = new_page("en-GB")
    violations = []
    page.on("console", lambda message: violations.append(message.text))
    page.goto(live_server.url + "/accounts/login/")
    with page.expect_navigation(url=foreign_idp + "/sso/**"):
        page.get_by_role("button", name="Log in with Uni").click()
    assert page.locator("h1").inner_text() == "Institution IdP"
    assert not [text for text in violations if "Content Security Policy" in text]


def test_logout_after_an_sso_login_reaches_the_idps_logout_endpoint(
    live_server, new_page, foreign_idp, dev_idp_keys
):
    register_idp(slug="uni", name="Uni", metadata=metadata_at(foreign_idp))
    user = get_user_model().objects.create_user("prof", email="prof@uni.example")
    client = Client()
    client.force_login(user)
    session = client.session
    session[SAML_SESSION_KEY] = {
        "slug": "uni",
        "name_id": "prof@uni.example",
        "name_id_format": "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
        "session_index": "_session-1",
    }
    session.save()
    page = new_page("en-GB")
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session.session_key,
                "url": live_server.url,
            }
        ]
    )
    page.goto(live_server.url + "/")
    with page.expect_navigation(url=foreign_idp + "/slo/**"):
        page.get_by_role("button", name="Log out").click()
    assert page.locator("h1").inner_text() == "Institution IdP"
