"""Admins upgrade, downgrade, revoke and bulk-assign licences, each with a reason, audited."""

import pytest

from portal.identity.models import AuditEvent, LicenceAssignment, LicencePool, LicenceType, User
from tests.factories import pass_second_factor

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, demo_institution):
    pass_second_factor(client, User.objects.get(username="admin"))
    return client


@pytest.fixture
def people(demo_institution):
    return [User.objects.create_user(f"person{i}") for i in range(3)]


def act(client, action, users, **data):
    return client.post(
        "/admin/portal/user/",
        {
            "action": action,
            "_selected_action": [u.pk for u in users],
            "apply": "1",
            **data,
        },
    )


def test_an_admin_bulk_assigns_business_with_a_reason(admin_client, people):
    business = LicenceType.objects.get(slug="business")

    response = act(
        admin_client, "assign_licence_action", people, licence_type=business.pk, reason="Project"
    )

    assert response.status_code == 302
    assert LicenceAssignment.objects.filter(licence_type=business, in_pool=True).count() == 3
    events = AuditEvent.objects.filter(action="licence.assigned")
    assert events.count() == 3
    assert {e.reason for e in events} == {"Project"}
    assert {e.actor.username for e in events} == {"admin"}


def test_an_admin_downgrades_and_the_event_says_so(admin_client, people):
    business = LicenceType.objects.get(slug="business")
    basic = LicenceType.objects.get(slug="basic")
    act(admin_client, "assign_licence_action", people[:1], licence_type=business.pk, reason="a")

    act(admin_client, "assign_licence_action", people[:1], licence_type=basic.pk, reason="b")

    assert LicenceAssignment.objects.get(user=people[0]).licence_type == basic
    assert AuditEvent.objects.filter(action="licence.demoted", reason="b").count() == 1


def test_an_admin_revokes_with_a_reason(admin_client, people):
    business = LicenceType.objects.get(slug="business")
    act(admin_client, "assign_licence_action", people, licence_type=business.pk, reason="x")

    act(admin_client, "revoke_licence_action", people[:2], reason="Left the project")

    assert LicenceAssignment.objects.count() == 1
    assert (
        AuditEvent.objects.filter(action="licence.revoked", reason="Left the project").count() == 2
    )


def test_the_reason_is_required_and_nothing_changes_without_it(admin_client, people):
    business = LicenceType.objects.get(slug="business")

    response = act(admin_client, "assign_licence_action", people, licence_type=business.pk)

    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert not LicenceAssignment.objects.exists()


def test_a_full_pool_refuses_the_admin_and_says_so(admin_client, people):
    LicencePool.objects.filter(licence_type__slug="business").update(quota=2)
    business = LicenceType.objects.get(slug="business")

    response = act(
        admin_client, "assign_licence_action", people, licence_type=business.pk, reason="r"
    )

    assert response.status_code == 302
    assert LicenceAssignment.objects.filter(licence_type=business).count() == 2
    page = admin_client.get(response["Location"]).content.decode()
    assert "Kontingent ist erschöpft" in page  # the admin speaks German here


def test_the_pool_list_shows_use_and_shortfall(admin_client, people):
    response = admin_client.get("/admin/portal/licencepool/")
    assert response.status_code == 200


def test_a_member_of_staff_without_rights_cannot_act(client, people):
    staff = User.objects.create_user("clerk", is_staff=True)
    client.force_login(staff)
    business = LicenceType.objects.get(slug="business")

    response = act(client, "assign_licence_action", people, licence_type=business.pk, reason="r")

    assert response.status_code == 403
    assert not LicenceAssignment.objects.exists()
