"""A second factor for local accounts, required for the admin (docs/POLICY.md, admin).

The TOTP codes are computed here from the shared secret (RFC 6238: HMAC-SHA1 over the
30-second counter, dynamic truncation, 6 digits), independently of allauth's own code.
"""

import base64
import hashlib
import hmac
import re
import struct
import time

import pytest
from allauth.mfa.models import Authenticator

from portal.identity.models import User
from tests.factories import pass_second_factor

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-break-glass-password"


def totp(secret: str, at: float | None = None) -> str:
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


@pytest.fixture
def superuser(demo_institution):
    return User.objects.create_superuser("breakglass", "bg@partner.example", PASSWORD)


def log_in(client, password=PASSWORD):
    return client.post(
        "/accounts/login/",
        {"login": "breakglass", "password": password},
        HTTP_ACCEPT_LANGUAGE="en",
    )


@pytest.fixture
def enrol_totp(client, django_capture_on_commit_callbacks):
    def enrol() -> str:
        # allauth announces the new authenticator after the commit
        with django_capture_on_commit_callbacks(execute=True):
            return _enrol_totp(client)

    return enrol


def _enrol_totp(client) -> str:
    page = client.get("/accounts/2fa/totp/activate/", HTTP_ACCEPT_LANGUAGE="en")
    # allauth asks for the password again before a second factor is added
    assert page.status_code == 302 and page["Location"].startswith("/accounts/reauthenticate/")
    assert client.post(page["Location"], {"password": PASSWORD}).status_code == 302
    page = client.get("/accounts/2fa/totp/activate/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    secret = re.search(r'id="authenticator_secret"[^>]*value="([A-Z2-7]+)"', page.content.decode())
    if secret is None:
        secret = re.search(r'value="([A-Z2-7]{16,})"', page.content.decode())
    response = client.post("/accounts/2fa/totp/activate/", {"code": totp(secret.group(1))})
    assert response.status_code == 302, response.content[:800]
    return secret.group(1)


def test_a_superuser_without_a_second_factor_is_sent_to_set_one_up(client, superuser):
    assert log_in(client).status_code == 302

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/"
    assert client.get("/admin/portal/user/").status_code == 302


def test_enrolling_an_authenticator_app_opens_the_admin(client, superuser, enrol_totp):
    log_in(client)

    enrol_totp()

    assert Authenticator.objects.filter(user=superuser, type="totp").exists()
    assert Authenticator.objects.filter(user=superuser, type="recovery_codes").exists()
    assert client.get("/admin/").status_code == 200


def test_the_next_login_needs_the_code_and_then_the_admin_opens(client, superuser, enrol_totp):
    log_in(client)
    secret = enrol_totp()
    client.post("/accounts/logout/")

    response = log_in(client)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302  # not logged in yet

    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session

    response = client.post("/accounts/2fa/authenticate/", {"code": totp(secret)})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_a_recovery_code_is_a_second_factor_once(client, superuser, enrol_totp):
    log_in(client)
    enrol_totp()
    codes = Authenticator.objects.get(user=superuser, type="recovery_codes").wrap()
    code = codes.get_unused_codes()[0]
    client.post("/accounts/logout/")

    log_in(client)
    assert client.post("/accounts/2fa/authenticate/", {"code": code}).status_code == 302
    assert client.get("/admin/").status_code == 200
    client.post("/accounts/logout/")

    log_in(client)
    assert client.post("/accounts/2fa/authenticate/", {"code": code}).status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_session_that_skipped_the_second_factor_is_refused_by_the_admin(client, superuser):
    pass_second_factor(client, superuser)  # an enrolled authenticator
    client.logout()
    client.force_login(superuser)  # a password-only session (as Django's own admin login)

    response = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    assert "_auth_user_id" not in client.session


def test_djangos_own_admin_login_leads_to_the_portals_login(client, superuser):
    response = client.get("/admin/login/?next=/admin/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/admin/"
    posted = client.post("/admin/login/", {"username": "breakglass", "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert posted.status_code in {302, 405}


def test_staff_who_log_in_by_sso_are_not_asked(client, demo_institution):
    clerk = User.objects.create_user("clerk", is_staff=True)  # no local password
    client.force_login(clerk)

    assert client.get("/admin/").status_code == 200


def test_the_security_key_page_is_offered(client, superuser, enrol_totp):
    log_in(client)
    enrol_totp()

    page = client.get("/accounts/2fa/", HTTP_ACCEPT_LANGUAGE="en")

    assert page.status_code == 200
    assert "/accounts/2fa/webauthn/" in page.content.decode()
