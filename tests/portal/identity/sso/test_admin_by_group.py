"""Administration by IdP group: the groups released at SSO make an administrator (staff with
the rule's permission group), the admin then asks for the portal's second factor, and a login
without the group takes it all away again."""

import dataclasses

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth.models import Group
from django.test import Client

from portal.identity.models import AdminGroupRule, AuditEvent, User
from portal.identity.second_factor import needs_second_factor_for_admin
from portal.identity.services import sync_admin_groups
from tests.factories import make_user, pass_second_factor
from tests.portal.identity.sso.conftest import SP_HOST, person

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sp_host(settings):
    settings.ALLOWED_HOSTS = [SP_HOST]


def accept_terms(sso):
    return sso.client.post("/terms/", {"version": "2026-1", "decision": "accept", "next": "/"})


def test_the_it_group_makes_an_administrator_who_needs_a_second_factor(sso):
    sso.login(person("it.admin"))
    accept_terms(sso)

    ida = User.objects.get(email="it.admin@uni.example")
    assert ida.is_staff and not ida.is_superuser
    assert list(ida.groups.values_list("name", flat=True)) == ["IT administrators"]
    assert ida.has_perm("retention.change_retentionrule")
    assert needs_second_factor_for_admin(ida)
    assert AuditEvent.objects.filter(action="admin_granted_by_idp_group").exists()
    # the admin opens only after a second factor is set up
    response = sso.client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/"
    # the group is read at login and never stored
    assert "it-admins" not in str(SocialAccount.objects.get(user=ida).extra_data)


def test_with_the_second_factor_the_dashboard_opens(sso):
    sso.login(person("it.admin"))
    accept_terms(sso)
    ida = User.objects.get(email="it.admin@uni.example")
    client = Client(HTTP_HOST=SP_HOST)
    pass_second_factor(client, ida)
    response = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Licence report" in response.content.decode()


def test_others_do_not_administer(sso):
    sso.login(person("a.schmidt"))
    accept_terms(sso)
    anton = User.objects.get(email="a.schmidt@uni.example")
    assert not anton.is_staff
    assert not anton.groups.exists()


def test_leaving_the_group_takes_administration_away_at_the_next_login(sso, another_sso):
    sso.login(person("it.admin"))
    accept_terms(sso)
    left = dataclasses.replace(person("it.admin"), groups=[])

    another_sso.login(left)

    ida = User.objects.get(email="it.admin@uni.example")
    assert not ida.is_staff
    assert not ida.groups.exists()
    assert AuditEvent.objects.filter(action="admin_revoked_by_idp_group").exists()


def test_groups_are_matched_without_case_and_hand_given_groups_stay(db):
    board = Group.objects.create(name="Board")
    admins = Group.objects.create(name="Admins")
    AdminGroupRule.objects.create(idp_group="IT-Admins", group=admins)
    user = make_user(is_institution_member=True)
    user.groups.add(board)

    assert sync_admin_groups(user=user, idp_groups=["it-admins"])
    assert user.is_staff
    assert set(user.groups.all()) == {board, admins}

    assert sync_admin_groups(user=user, idp_groups=[])
    assert not user.is_staff
    assert set(user.groups.all()) == {board}


def test_a_non_member_never_administers(db):
    AdminGroupRule.objects.create(idp_group="it-admins", group=Group.objects.create(name="A"))
    guest = make_user(is_institution_member=False)
    sync_admin_groups(user=guest, idp_groups=["it-admins"])
    assert not guest.is_staff
    assert not guest.groups.exists()
