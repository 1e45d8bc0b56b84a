"""The development IdP hosted at /dev-idp/: log in as a demo person with no external system."""

import re

import pytest
from django.core.management import call_command

from portal.identity.models import User
from tests.portal.identity.sso.conftest import SP_HOST

pytestmark = pytest.mark.django_db


@pytest.fixture
def dev_app(demo_institution, settings, idp_key_dir):
    settings.DEV_IDP_ENABLED = True
    settings.DEV_IDP_KEY_DIR = str(idp_key_dir)
    settings.ALLOWED_HOSTS = [SP_HOST, "127.0.0.1"]
    settings.PORTAL_BASE_URL = f"http://{SP_HOST}"
    call_command("register_dev_idp", verbosity=0)


def start(client):
    response = client.post("/accounts/saml/demo/login/")
    assert response.status_code == 302
    assert response["Location"].startswith(f"http://{SP_HOST}/dev-idp/sso/?SAMLRequest=")
    return response["Location"].removeprefix(f"http://{SP_HOST}")


def test_it_logs_a_demo_person_in_through_the_portal(dev_app, client):
    client.defaults["HTTP_HOST"] = SP_HOST
    form = client.get(start(client))
    assert form.status_code == 200
    assert "Hanna Müller" in form.content.decode()

    answer = client.post("/dev-idp/sso/", {"username": "prof.mueller", "password": "demo-password"})

    page = answer.content.decode()
    assert answer.status_code == 200
    assert f'action="http://{SP_HOST}/accounts/saml/demo/acs/"' in page
    saml_response = re.search(r'name="SAMLResponse" value="([^"]+)"', page).group(1)
    acs = client.post("/accounts/saml/demo/acs/", {"SAMLResponse": saml_response})
    finished = client.get(acs["Location"], follow=True)
    assert finished.redirect_chain[-1][0].startswith("/terms/")
    user = User.objects.get(username="prof.mueller@uni.example")
    assert user.role.slug == "staff"


def test_it_refuses_a_wrong_password(dev_app, client):
    client.defaults["HTTP_HOST"] = SP_HOST
    client.get(start(client))

    answer = client.post("/dev-idp/sso/", {"username": "prof.mueller", "password": "wrong"})

    assert answer.status_code == 400
    assert "SAMLResponse" not in answer.content.decode()


def test_it_needs_a_login_request(dev_app, client):
    response = client.get("/dev-idp/sso/", HTTP_HOST=SP_HOST)
    assert response.status_code == 400


def test_it_refuses_an_unreadable_request(dev_app, client):
    response = client.get("/dev-idp/sso/?SAMLRequest=bm9wZQ==", HTTP_HOST=SP_HOST)
    assert response.status_code == 400


def test_it_serves_its_metadata(dev_app, client):
    response = client.get("/dev-idp/metadata/", HTTP_HOST=SP_HOST)
    assert response.status_code == 200
    assert "IDPSSODescriptor" in response.content.decode()


def test_it_does_not_exist_when_disabled(dev_app, client, settings):
    settings.DEV_IDP_ENABLED = False
    assert client.get("/dev-idp/metadata/", HTTP_HOST=SP_HOST).status_code == 404
    assert client.get("/dev-idp/sso/", HTTP_HOST=SP_HOST).status_code == 404


def test_the_register_command_refuses_when_disabled(demo_institution, settings):
    from django.core.management import CommandError

    settings.DEV_IDP_ENABLED = False
    with pytest.raises(CommandError):
        call_command("register_dev_idp")


def test_logout_ends_the_session_and_asks_the_idp_for_single_logout(dev_app, client):
    client.defaults["HTTP_HOST"] = SP_HOST
    client.get(start(client))
    answer = client.post("/dev-idp/sso/", {"username": "a.schmidt", "password": "demo-password"})
    saml_response = re.search(r'name="SAMLResponse" value="([^"]+)"', answer.content.decode())
    acs = client.post("/accounts/saml/demo/acs/", {"SAMLResponse": saml_response.group(1)})
    client.get(acs["Location"])
    assert "_auth_user_id" in client.session

    logout = client.post("/accounts/logout/")

    assert "_auth_user_id" not in client.session
    assert logout.status_code == 302
    assert logout["Location"].startswith(f"http://{SP_HOST}/dev-idp/slo/?SAMLRequest=")
    back = client.get(logout["Location"].removeprefix(f"http://{SP_HOST}"))
    assert back.status_code == 302
    assert back["Location"].startswith(f"http://{SP_HOST}/accounts/saml/demo/sls/")
    home = client.get(back["Location"].removeprefix(f"http://{SP_HOST}"))
    assert home.status_code == 302
    assert "_auth_user_id" not in client.session


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_login_button_works_in_a_browser(live_server, page, settings, idp_key_dir):
    settings.DEV_IDP_ENABLED = True
    settings.DEV_IDP_KEY_DIR = str(idp_key_dir)
    settings.PORTAL_BASE_URL = live_server.url
    settings.DEBUG = True
    call_command("demo_data", verbosity=0)
    call_command("register_dev_idp", verbosity=0)

    page.goto(live_server.url + "/accounts/login/")
    page.get_by_role("button", name="Log in with Demo University").click()
    page.get_by_label(re.compile("Demo person|Demo-Person")).select_option("s.yilmaz")
    page.get_by_label(re.compile("^Password|^Passwort")).fill("demo-password")
    page.get_by_role("button", name=re.compile("Log in|Anmelden")).click()
    page.wait_for_url(re.compile(r".*/terms/.*"))
    page.get_by_label(re.compile("I accept|Ich akzeptiere")).check()
    page.get_by_role("button", name=re.compile("Accept|Akzeptieren")).click()
    page.wait_for_url(live_server.url + "/")
    assert "Selin" in page.content()
    user = User.objects.get(username="s.yilmaz@uni.example")
    assert user.licence_assignment.licence_type.slug == "basic"
