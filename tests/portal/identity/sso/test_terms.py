"""First login: terms of use and privacy notice must be accepted before the account is active."""

import datetime

import pytest
from django.utils import timezone

from portal.identity.models import LicenceAssignment, TermsAcceptance, TermsVersion, User
from tests.factories import pass_second_factor
from tests.portal.identity.sso.conftest import SP_HOST, person

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sp_host(settings):
    settings.ALLOWED_HOSTS = [SP_HOST, "testserver"]


def test_a_first_login_shows_the_terms_before_anything_else(sso):
    response = sso.login(person("s.yilmaz"))

    assert response.redirect_chain[-1][0].startswith("/terms/")
    assert "Terms of use and privacy notice" in response.content.decode()
    assert sso.client.get("/meetings/").status_code == 302  # still sent to the terms
    user = User.objects.get(email="s.yilmaz@uni.example")
    assert not TermsAcceptance.objects.filter(user=user).exists()
    assert not LicenceAssignment.objects.filter(user=user).exists()  # not activated yet


def test_the_terms_are_shown_in_german_too(sso):
    sso.login(person("s.yilmaz"))
    response = sso.client.get("/terms/", HTTP_ACCEPT_LANGUAGE="de")
    page = response.content.decode()
    assert "Nutzungsbedingungen und Datenschutzhinweise" in page
    assert "Ich stimme den Nutzungsbedingungen" in page


def test_accepting_records_version_and_time_and_activates_the_account(sso):
    sso.login(person("s.yilmaz"))

    response = sso.client.post(
        "/terms/", {"accept": "yes", "version": "2026-1", "decision": "accept", "next": "/"}
    )

    assert response.status_code == 302 and response["Location"] == "/"
    acceptance = TermsAcceptance.objects.get(user__email="s.yilmaz@uni.example")
    assert acceptance.terms_version.version == "2026-1"
    assert abs(acceptance.accepted_at - timezone.now()) < datetime.timedelta(minutes=1)
    assert LicenceAssignment.objects.get(user=acceptance.user).licence_type.slug == "basic"
    assert sso.client.get("/").status_code == 200


def test_it_asks_to_tick_the_box(sso):
    sso.login(person("s.yilmaz"))

    response = sso.client.post("/terms/", {"version": "2026-1", "decision": "accept"})

    assert response.status_code == 400
    assert 'id="accept_error"' in response.content.decode()
    assert not TermsAcceptance.objects.exists()


def test_it_refuses_an_outdated_version(sso):
    sso.login(person("s.yilmaz"))
    response = sso.client.post("/terms/", {"accept": "yes", "version": "0", "decision": "accept"})
    assert response.status_code == 400
    assert not TermsAcceptance.objects.exists()


def test_declining_logs_out_and_activates_nothing(sso):
    sso.login(person("s.yilmaz"))

    response = sso.client.post("/terms/", {"decision": "decline"})

    assert response.status_code == 200
    assert "_auth_user_id" not in sso.client.session
    assert not TermsAcceptance.objects.exists()
    assert not LicenceAssignment.objects.exists()


def test_a_new_version_asks_again(sso, another_sso):
    sso.login(person("a.schmidt"))
    sso.client.post("/terms/", {"accept": "yes", "version": "2026-1", "decision": "accept"})
    TermsVersion.objects.create(
        version="2026-2", title_de="Neu", title_en="New", text_de="Neu.", text_en="New."
    )

    response = another_sso.login(person("a.schmidt"))

    assert response.redirect_chain[-1][0].startswith("/terms/")
    another_sso.client.post("/terms/", {"accept": "yes", "version": "2026-2", "decision": "accept"})
    versions = TermsAcceptance.objects.filter(user__email="a.schmidt@uni.example").values_list(
        "terms_version__version", flat=True
    )
    assert sorted(versions) == ["2026-1", "2026-2"]


def test_the_terms_page_needs_a_login(client):
    response = client.get("/terms/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_terms_page_rejects_other_methods(sso):
    sso.login(person("s.yilmaz"))
    assert sso.client.put("/terms/").status_code == 405


def test_a_local_session_is_never_sent_to_the_terms(client, django_user_model):
    user = django_user_model.objects.create_user("break-glass", password="x" * 16)
    client.force_login(user)
    assert client.get("/").status_code == 200


def test_an_admin_publishes_a_new_version_and_cannot_edit_a_published_one(client, demo_institution):
    pass_second_factor(client, User.objects.get(username="admin"))

    response = client.post(
        "/admin/portal/termsversion/add/",
        {
            "version": "2027-1",
            "published_at_0": "2020-01-01",
            "published_at_1": "00:00:00",
            "title_de": "Neu",
            "title_en": "New",
            "text_de": "Neuer Text.",
            "text_en": "New text.",
        },
    )

    assert response.status_code == 302
    new = TermsVersion.objects.get(version="2027-1")
    client.post(
        f"/admin/portal/termsversion/{new.pk}/change/",
        {"version": "changed", "title_de": "x", "title_en": "x", "text_de": "x", "text_en": "x"},
    )
    new.refresh_from_db()
    assert new.version == "2027-1" and new.text_en == "New text."
    assert (
        client.post(f"/admin/portal/termsversion/{new.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
