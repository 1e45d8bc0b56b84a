"""Leavers through SCIM 2.0 (django-scim2, bearer token): deactivating or deleting a user
deprovisions the account the same day; nothing else is changed through SCIM
(docs/POLICY.md, account)."""

import json

import pytest
from django.test import Client

from portal.identity.models import User
from tests.factories import make_user

pytestmark = pytest.mark.django_db

TOKEN = "scim-test-token-0123456789"
SCIM_JSON = "application/scim+json"


@pytest.fixture(autouse=True)
def _token(settings):
    settings.SCIM_BEARER_TOKENS = [TOKEN]


@pytest.fixture
def idm():
    return Client(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")


@pytest.fixture
def alice():
    return make_user("alice", first_name="Alice", email="alice@uni.example")


def patch_active(client, user, value):
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"active": value}}],
    }
    return client.patch(f"/scim/v2/Users/{user.pk}", json.dumps(body), content_type=SCIM_JSON)


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {TOKEN}"])
def test_only_the_identity_management_gets_in(alice, header):
    client = Client(HTTP_AUTHORIZATION=header) if header else Client()
    response = patch_active(client, alice, False)
    assert response.status_code == 401
    assert User.objects.get(pk=alice.pk).is_active


@pytest.mark.parametrize("value", [False, "False"])
def test_deactivating_a_user_deprovisions_them_today(idm, alice, value):
    response = patch_active(idm, alice, value)

    assert response.status_code == 200
    alice.refresh_from_db()
    assert not alice.is_active
    assert alice.deletion_due_at is not None
    assert response.json()["active"] is False


def test_a_put_with_active_false_deprovisions_and_changes_nothing_else(idm, alice):
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "mallory",
        "active": False,
    }
    response = idm.put(f"/scim/v2/Users/{alice.pk}", json.dumps(body), content_type=SCIM_JSON)
    assert response.status_code == 200
    alice.refresh_from_db()
    assert (alice.username, alice.is_active) == ("alice", False)


def test_deleting_a_user_deprovisions_and_leaves_the_deletion_to_the_rules(idm, alice):
    response = idm.delete(f"/scim/v2/Users/{alice.pk}")
    assert response.status_code == 204
    alice.refresh_from_db()
    assert not alice.is_active and alice.deletion_due_at is not None


def test_a_user_is_found_by_user_name_and_shows_no_more_than_needed(idm, alice):
    response = idm.get('/scim/v2/Users?filter=userName eq "alice"')
    [resource] = response.json()["Resources"]
    assert resource["userName"] == "alice"
    assert "emails" not in resource and "name" not in resource


def test_accounts_are_not_created_through_scim(idm):
    body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "eve"}
    response = idm.post("/scim/v2/Users", json.dumps(body), content_type=SCIM_JSON)
    assert response.status_code == 501
    assert not User.objects.filter(username="eve").exists()


def test_other_attributes_cannot_be_changed(idm, alice):
    body = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "userName", "value": "mallory"}],
    }
    response = idm.patch(f"/scim/v2/Users/{alice.pk}", json.dumps(body), content_type=SCIM_JSON)
    assert response.status_code == 501
    assert User.objects.get(pk=alice.pk).username == "alice"


def test_superusers_are_never_deprovisioned(idm):
    root = User.objects.create_superuser("root", "root@uni.example", "x")
    patch_active(idm, root, False)
    assert User.objects.get(pk=root.pk).is_active
