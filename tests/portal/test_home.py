import re

import pytest

from portal.identity.models import Role, User


@pytest.mark.django_db
def test_it_shows_the_login_to_anonymous_visitors(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'href="/accounts/login/"' in body
    assert 'href="#main"' in body  # skip link
    assert '<main id="main"' in body


@pytest.mark.django_db
def test_it_loads_nothing_from_third_parties(client):
    body = client.get("/").content.decode()
    external = re.findall(r'(?:src|href)="((?:https?:)?//[^"]+)"', body)
    assert external == []


@pytest.mark.django_db
def test_it_shows_staff_the_scheduling_entry(client, demo_institution):
    user = User.objects.create_user("lecturer", role=Role.objects.get(slug="staff"))
    client.force_login(user)
    body = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "My meetings" in body
    assert "Administration" not in body


@pytest.mark.django_db
def test_it_shows_guests_no_scheduling_entry(client, demo_institution):
    user = User.objects.create_user("visitor", role=Role.objects.get(slug="guest"))
    client.force_login(user)
    body = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "My meetings" not in body
    assert "Join a meeting" in body


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_keyboard_users_reach_the_main_content_first(live_server, page):
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == "#main"
    assert page.locator("h1").is_visible()
    # htmx is served by the portal itself and runs under the strict CSP
    assert page.evaluate("typeof window.htmx") == "object"
