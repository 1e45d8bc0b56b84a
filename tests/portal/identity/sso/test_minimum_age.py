"""The minimum age is the institution's setting; without a released birth date the person
confirms it once (the confirmation is kept, no birth date)."""

import dataclasses

import pytest

from portal.identity.models import Institution, User
from tests.portal.identity.sso.conftest import SP_HOST, person

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sp_host(settings):
    settings.ALLOWED_HOSTS = [SP_HOST]
    settings.LANGUAGE_CODE = "en"


def without_birth_date(username: str):
    return dataclasses.replace(person(username), date_of_birth="")


def accept_terms(sso):
    return sso.client.post("/terms/", {"accept": "yes", "version": "2026-1", "next": "/"})


def test_the_minimum_age_is_the_institutions_setting(sso):
    institution = Institution.current()
    institution.minimum_age = 18
    institution.save()

    response = sso.login(person("s.yilmaz"))  # born 2003: old enough for 16, and for 18

    assert response.status_code == 200
    response = sso.login(dataclasses.replace(person("s.yilmaz"), date_of_birth="2010-01-01"))
    assert response.status_code == 403
    assert "from the age of 18 only" in response.content.decode()


def test_without_a_birth_date_the_person_confirms_once(sso):
    sso.login(without_birth_date("a.schmidt"))
    accept_terms(sso)

    response = sso.client.get("/my-data/")
    assert response.status_code == 302
    assert response["Location"].startswith("/age/")
    page = sso.client.get(response["Location"]).content.decode()
    assert "I am at least 16 years old." in page

    sso.client.post("/age/", {"confirm": "yes", "next": "/my-data/"})

    user = User.objects.get(username__startswith="a.schmidt")
    assert user.age_confirmed_at is not None
    assert sso.client.get("/my-data/").status_code == 200

    sso.client.post("/accounts/logout/")
    sso.login(without_birth_date("a.schmidt"))
    accept_terms(sso)
    assert sso.client.get("/my-data/").status_code == 200  # not asked again


def test_a_released_birth_date_asks_nothing(sso):
    sso.login(person("a.schmidt"))
    accept_terms(sso)
    assert sso.client.get("/my-data/").status_code == 200


def test_declining_logs_out(sso):
    sso.login(without_birth_date("s.yilmaz"))
    accept_terms(sso)
    response = sso.client.post("/age/", {"decision": "decline"})
    assert response.status_code == 403
    assert "from the age of 16 only" in response.content.decode()
    assert "_auth_user_id" not in sso.client.session


def test_posting_nothing_asks_again(sso):
    sso.login(without_birth_date("s.yilmaz"))
    accept_terms(sso)
    response = sso.client.post("/age/", {})
    assert response.status_code == 400
    assert User.objects.get(username__startswith="s.yilmaz").age_confirmed_at is None
