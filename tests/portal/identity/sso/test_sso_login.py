"""End-to-end SSO: pysaml2 signs, allauth's ACS (python3-saml, strict) validates."""

import base64

import pytest
from allauth.socialaccount.models import SocialAccount
from saml2.xmldsig import DIGEST_SHA1, SIG_RSA_SHA1

from portal.identity.models import LicenceAssignment, SeenAssertion, TermsAcceptance, User
from portal.identity.sso import dev_idp
from tests.portal.identity.sso.conftest import SP_HOST, person

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sp_host(settings):
    settings.ALLOWED_HOSTS = [SP_HOST]


def accept_terms(sso):
    return sso.client.post(
        "/terms/", {"accept": "yes", "version": "2026-1", "decision": "accept", "next": "/"}
    )


def stored_rows() -> tuple[int, int, int, int]:
    return (
        User.objects.count(),
        SocialAccount.objects.count(),
        LicenceAssignment.objects.count(),
        SeenAssertion.objects.count(),
    )


@pytest.mark.parametrize(
    ("username", "role", "licence", "hosts"),
    [
        ("prof.mueller", "staff", "business", True),
        ("a.schmidt", "staff", "business", True),
        ("s.yilmaz", "student", "basic", True),
        ("it.admin", "staff", "business", True),
    ],
)
def test_each_demo_role_lands_with_its_role_and_licence(sso, username, role, licence, hosts):
    demo_person = person(username)

    response = sso.login(demo_person)
    assert response.redirect_chain[-1][0].startswith("/terms/")
    accept_terms(sso)

    user = User.objects.get(email=demo_person.email)
    assert user.role.slug == role
    assert user.is_institution_member
    assert (user.first_name, user.last_name) == (demo_person.given_name, demo_person.surname)
    assignment = LicenceAssignment.objects.get(user=user)
    assert (assignment.licence_type.slug, assignment.in_pool, assignment.source) == (
        licence,
        True,
        "sso",
    )
    home = sso.client.get("/")
    assert home.status_code == 200
    assert ("/meetings/" in home.content.decode()) is hosts
    assert SocialAccount.objects.get(user=user).uid == demo_person.eppn


def test_it_refuses_a_pupil_under_16_and_creates_nothing(sso):
    before = stored_rows()

    response = sso.login(person("p.jung"))

    assert response.status_code == 403
    assert "may be used from the age of 16 only" in response.content.decode()
    assert stored_rows()[:3] == before[:3]
    assert "_auth_user_id" not in sso.client.session


def test_it_refuses_a_tampered_assertion(sso):
    before = stored_rows()
    request_id = sso.start_login()
    xml = sso.response_for(person("s.yilmaz"), request_id)
    tampered = xml.replace(">student<", ">faculty<")
    assert tampered != xml

    response = sso.post_response(tampered)

    assert response.status_code == 400
    assert "not signed as the portal requires" in response.content.decode()
    assert stored_rows() == before
    assert "_auth_user_id" not in sso.client.session


def test_it_refuses_a_wrong_audience(sso):
    before = stored_rows()
    request_id = sso.start_login()
    xml = sso.response_for(
        person("s.yilmaz"), request_id, sp_entity_id="https://other-portal.example/sp"
    )

    response = sso.post_response(xml)

    assert response.status_code == 400
    assert "meant for another service" in response.content.decode()
    assert stored_rows() == before


def test_it_refuses_an_expired_assertion(sso):
    before = stored_rows()
    request_id = sso.start_login()
    expired_idp = dev_idp.server_with(
        policy={"default": {"lifetime": {"minutes": -30}, "attribute_restrictions": None}}
    )
    xml = sso.response_for(person("s.yilmaz"), request_id, idp_server=expired_idp)

    response = sso.post_response(xml)

    assert response.status_code == 400
    assert "has expired or is not valid yet" in response.content.decode()
    assert stored_rows() == before


def test_it_refuses_an_assertion_signed_with_sha1(sso):
    before = stored_rows()
    request_id = sso.start_login()
    sha1_idp = dev_idp.server_with(signing_algorithm=SIG_RSA_SHA1, digest_algorithm=DIGEST_SHA1)
    xml = sso.response_for(person("s.yilmaz"), request_id, idp_server=sha1_idp)

    response = sso.post_response(xml)

    assert response.status_code == 400
    assert "not signed as the portal requires" in response.content.decode()
    assert stored_rows() == before


def test_it_refuses_an_unsigned_assertion(sso):
    before = stored_rows()
    request_id = sso.start_login()
    xml = sso.response_for(person("s.yilmaz"), request_id, sign_assertion=False)
    assert "SignatureValue" not in xml

    response = sso.post_response(xml)

    assert response.status_code == 400
    assert "not signed as the portal requires" in response.content.decode()
    assert stored_rows() == before


def test_it_refuses_a_replayed_response(sso, another_sso):
    request_id = sso.start_login()
    xml = sso.response_for(person("s.yilmaz"), request_id)
    sso.post_response(xml)
    assert "_auth_user_id" in sso.client.session
    before = stored_rows()

    replay = another_sso.post_response(xml)

    assert replay.status_code == 400
    assert "already been used" in replay.content.decode()
    assert stored_rows() == before
    assert "_auth_user_id" not in another_sso.client.session


def test_it_refuses_a_replay_in_the_same_browser(sso):
    request_id = sso.start_login()
    xml = sso.response_for(person("s.yilmaz"), request_id)
    sso.post_response(xml)
    sso.client.post("/accounts/logout/")
    before = stored_rows()

    replay = sso.post_response(xml)

    assert replay.status_code == 400
    assert stored_rows() == before
    assert "_auth_user_id" not in sso.client.session


def test_it_refuses_an_idp_initiated_login(sso):
    before = stored_rows()
    xml = sso.response_for(person("s.yilmaz"), None)

    response = sso.post_response(xml)

    assert response.status_code == 400
    assert "Logins started at the identity provider are not accepted" in response.content.decode()
    assert stored_rows()[:3] == before[:3]
    assert "_auth_user_id" not in sso.client.session


def test_it_refuses_garbage_instead_of_a_response(sso):
    sso.start_login()
    response = sso.client.post(
        "/accounts/saml/uni/acs/", {"SAMLResponse": base64.b64encode(b"<nonsense/>").decode()}
    )
    finish = sso.client.get(response["Location"])

    assert finish.status_code == 400
    assert User.objects.filter(is_superuser=False).count() == 0


def test_a_later_login_refreshes_the_profile_and_keeps_the_licence(sso, another_sso):
    sso.login(person("s.yilmaz"))
    accept_terms(sso)
    user = User.objects.get(email="s.yilmaz@uni.example")
    User.objects.filter(pk=user.pk).update(first_name="Old")

    another_sso.login(person("s.yilmaz"))

    user.refresh_from_db()
    assert user.first_name == "Selin"
    assert TermsAcceptance.objects.filter(user=user).count() == 1
    assert LicenceAssignment.objects.get(user=user).licence_type.slug == "basic"
    assert "_auth_user_id" in another_sso.client.session
    assert another_sso.client.get("/").status_code == 200  # no second terms prompt


def test_it_stores_only_the_affiliations_of_the_released_attributes(sso, another_sso):
    sso.login(person("prof.mueller"))
    another_sso.login(person("prof.mueller"))  # a later login updates the stored attributes

    extra_data = SocialAccount.objects.get().extra_data
    assert set(extra_data) == {
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.1",
        "urn:oid:1.3.6.1.4.1.5923.1.1.1.9",
    }
    assert sorted(extra_data["urn:oid:1.3.6.1.4.1.5923.1.1.1.1"]) == [
        "employee",
        "faculty",
        "member",
    ]
    assert "19750314" not in str(extra_data)


def test_it_refuses_a_response_to_a_login_started_in_another_browser(sso, another_sso):
    before = stored_rows()
    request_id = sso.start_login()
    xml = sso.response_for(person("s.yilmaz"), request_id)

    response = another_sso.post_response(xml)

    assert response.status_code == 400
    assert "does not belong to a login started here" in response.content.decode()
    assert stored_rows() == before
    assert "_auth_user_id" not in another_sso.client.session


def test_a_later_login_needs_a_bounded_number_of_queries(
    sso, another_sso, django_assert_max_num_queries
):
    sso.login(person("a.schmidt"))
    accept_terms(sso)
    request_id = another_sso.start_login()
    xml = another_sso.response_for(person("a.schmidt"), request_id)

    with django_assert_max_num_queries(50):
        response = another_sso.post_response(xml, follow=False)

    assert response.status_code == 302
    assert "_auth_user_id" in another_sso.client.session
