"""Local login only for break-glass admins (and guests if enabled); members use SSO."""

import pytest

from portal.identity.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-local-password"


def log_in(client, login, password=PASSWORD):
    return client.post(
        "/accounts/login/", {"login": login, "password": password}, HTTP_ACCEPT_LANGUAGE="en"
    )


SSO_ONLY = "Members of the institution log in with single sign-on, not with a password."


def test_the_break_glass_admin_logs_in_locally(client, demo_institution):
    response = log_in(client, "admin", "demo-password")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(username="admin").pk)


def test_an_institution_address_cannot_log_in_locally(client, demo_institution):
    User.objects.create_user(
        "x.member@uni.example", password=PASSWORD, email="x.member@uni.example"
    )

    response = log_in(client, "x.member@uni.example")

    assert response.status_code == 200
    assert SSO_ONLY in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_member_with_a_password_cannot_log_in_locally(client, demo_institution):
    User.objects.create_user("member", password=PASSWORD, is_institution_member=True)

    response = log_in(client, "member")

    assert response.status_code == 200
    assert SSO_ONLY in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_guests_log_in_only_when_enabled(client, demo_institution, settings):
    User.objects.create_user("guest", password=PASSWORD, email="guest@partner.example")
    settings.LOCAL_GUEST_ACCOUNTS = False
    assert log_in(client, "guest").status_code == 200
    assert "_auth_user_id" not in client.session

    settings.LOCAL_GUEST_ACCOUNTS = True
    assert log_in(client, "guest").status_code == 302
    assert client.session["_auth_user_id"]


def test_a_guest_gets_basic_outside_the_quota_at_login(client, demo_institution, settings):
    settings.LOCAL_GUEST_ACCOUNTS = True
    guest = User.objects.create_user("guest", password=PASSWORD, email="guest@partner.example")

    log_in(client, "guest")

    assignment = guest.licence_assignment
    assert (assignment.licence_type.slug, assignment.in_pool, assignment.source) == (
        "basic",
        False,
        "default",
    )


def test_local_sign_up_is_closed_by_default(client, demo_institution):
    response = client.post(
        "/accounts/signup/",
        {"username": "new", "password1": PASSWORD, "password2": PASSWORD},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert not User.objects.filter(username="new").exists()
    assert response.status_code == 200
    assert "Sign Up Closed" in response.content.decode()


def test_an_institution_address_cannot_sign_up_as_guest(client, demo_institution, settings):
    settings.LOCAL_GUEST_ACCOUNTS = True
    settings.ACCOUNT_ALLOW_SIGNUPS = True
    settings.ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]

    response = client.post(
        "/accounts/signup/",
        {
            "email": "someone@uni.example",
            "username": "someone",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200
    assert SSO_ONLY in response.content.decode()
    assert not User.objects.filter(username="someone").exists()


def test_a_guest_with_an_outside_address_may_sign_up_when_enabled(
    client, demo_institution, settings
):
    settings.LOCAL_GUEST_ACCOUNTS = True
    settings.ACCOUNT_ALLOW_SIGNUPS = True
    settings.ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]

    response = client.post(
        "/accounts/signup/",
        {
            "email": "someone@partner.example",
            "username": "someone",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )

    assert response.status_code == 302
    guest = User.objects.get(username="someone")
    assert (guest.licence_assignment.licence_type.slug, guest.licence_assignment.in_pool) == (
        "basic",
        False,
    )


def test_the_login_page_offers_each_identity_provider_first(client, demo_institution):
    from allauth.socialaccount.models import SocialApp

    SocialApp.objects.create(provider="saml", client_id="uni", name="Uni Example", settings={})

    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert 'action="/accounts/saml/uni/login/"' in page
    assert "Log in with Uni Example" in page
    assert page.index("Log in with Uni Example") < page.index('name="password"')
