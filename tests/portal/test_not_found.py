"""An address that leads nowhere shows the portal's own page, also on a development machine
(DEBUG on, as ``scripts/run`` runs), never Django's technical page with the URL patterns."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def debug(settings):
    settings.DEBUG = True
    return settings


def test_an_unknown_address_shows_the_portals_page(client, debug):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Page not found" in body
    assert "Go to the start page" in body
    assert "URLconf" not in body


def test_a_view_that_finds_nothing_shows_the_portals_page(client, debug):
    response = client.get("/consent/text/987654/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert "Raised by" not in response.content.decode()


def test_in_german(client, debug):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 404
    assert "Seite nicht gefunden" in response.content.decode()


def test_developers_may_ask_for_djangos_page(client, debug):
    debug.DEBUG_TECHNICAL_404 = True
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "URLconf" in response.content.decode()


def test_without_debug_the_same_page(client):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_the_favicon_is_where_browsers_look_for_it(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("portal/favicon.ico")
    home = client.get("/").content.decode()
    assert "portal/favicon.svg" in home
