"""Deprovisioning: former members and long-inactive users lose the licence, deletion queued."""

import datetime
import io

import pytest
from allauth.socialaccount.models import SocialAccount
from django.core.management import call_command
from django.utils import timezone

from portal.identity import services
from portal.identity.models import AuditEvent, LicenceAssignment, LicenceType, SeenAssertion, User
from portal.identity.tasks import deprovision_stale_accounts_task

pytestmark = pytest.mark.django_db


def sso_user(username, *, last_login, member=True):
    user = User.objects.create_user(username, is_institution_member=member, last_login=last_login)
    SocialAccount.objects.create(user=user, provider="https://idp.example/", uid=username)
    services.assign_licence(
        user=user, licence_type=LicenceType.objects.get(slug="business"), source="sso"
    )
    return user


def test_it_deprovisions_users_inactive_for_longer_than_configured(demo_institution, settings):
    settings.SSO_INACTIVE_DAYS = 180
    now = timezone.now()
    stale = sso_user("stale", last_login=now - datetime.timedelta(days=181))
    active = sso_user("active", last_login=now - datetime.timedelta(days=10))
    out = io.StringIO()

    call_command("deprovision_accounts", stdout=out)

    stale.refresh_from_db()
    active.refresh_from_db()
    assert "Queued 1 accounts" in out.getvalue()
    assert not LicenceAssignment.objects.filter(user=stale).exists()
    assert stale.deletion_due_at is not None
    assert LicenceAssignment.objects.filter(user=active).exists()
    assert active.deletion_due_at is None
    assert AuditEvent.objects.filter(action="licence.revoked", target_id=str(stale.pk)).exists()


def test_it_deprovisions_users_no_longer_members(demo_institution):
    former = sso_user("former", last_login=timezone.now(), member=False)

    assert deprovision_stale_accounts_task.apply().get() == 1  # run here, no worker needed

    former.refresh_from_db()
    assert not LicenceAssignment.objects.filter(user=former).exists()
    assert former.deletion_due_at is not None


def test_it_never_touches_break_glass_admins(demo_institution, settings):
    settings.SSO_INACTIVE_DAYS = 1
    User.objects.filter(username="admin").update(
        last_login=timezone.now() - datetime.timedelta(days=400)
    )

    assert services.deprovision_stale_accounts() == 0
    assert User.objects.get(username="admin").deletion_due_at is None


def test_a_rerun_changes_nothing(demo_institution, settings):
    settings.SSO_INACTIVE_DAYS = 1
    sso_user("stale", last_login=timezone.now() - datetime.timedelta(days=5))
    assert services.deprovision_stale_accounts() == 1
    due = User.objects.get(username="stale").deletion_due_at

    assert services.deprovision_stale_accounts() == 0
    assert User.objects.get(username="stale").deletion_due_at == due


def test_expired_assertion_ids_are_forgotten(demo_institution):
    now = timezone.now()
    SeenAssertion.objects.create(
        assertion_id="old", idp="uni", expires_at=now - datetime.timedelta(hours=1)
    )
    SeenAssertion.objects.create(
        assertion_id="new", idp="uni", expires_at=now + datetime.timedelta(hours=1)
    )

    call_command("deprovision_accounts", stdout=io.StringIO())

    assert list(SeenAssertion.objects.values_list("assertion_id", flat=True)) == ["new"]
