"""The admins' licence report: utilisation per pool, aggregates only."""

import pytest

from portal.identity import services
from portal.identity.models import LicencePool, LicenceType, User
from tests.factories import pass_second_factor

pytestmark = pytest.mark.django_db


def test_it_shows_aggregates_per_pool_and_no_person(client, demo_institution):
    LicencePool.objects.filter(licence_type__slug="business").update(quota=1)
    business = LicenceType.objects.get(slug="business")
    for name in ("alice-example", "bob-example"):
        services.assign_licence(
            user=User.objects.create_user(name), licence_type=business, source="sso"
        )
    pass_second_factor(client, User.objects.get(username="admin"))

    response = client.get("/admin/licences/report/", HTTP_ACCEPT_LANGUAGE="en")

    page = response.content.decode()
    assert response.status_code == 200
    assert '<th scope="row">Business</th>' in page
    assert "<td>1</td>" in page  # quota 1, used 1
    assert "<strong>1</strong>" in page  # one short
    assert "alice-example" not in page and "bob-example" not in page


def test_it_is_for_admins_only(client, demo_institution):
    client.force_login(User.objects.create_user("member"))
    response = client.get("/admin/licences/report/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_it_rejects_post(client, demo_institution):
    pass_second_factor(client, User.objects.get(username="admin"))
    assert client.post("/admin/licences/report/").status_code == 405
