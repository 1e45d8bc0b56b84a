"""Accounts queued for deletion by deprovisioning go once their deletion date has passed; the
deprovisioning itself runs nightly from a PeriodicTask the admin can edit."""

import datetime
import json

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django_celery_beat.models import PeriodicTask

import portal.identity.tasks  # noqa: F401 (registers the tasks with the Celery app)
from portal.celery import app as celery_app
from portal.identity import services as portal_services
from portal.identity.models import User
from portal.identity.schedule import NIGHTLY_TASKS, ensure_nightly_tasks
from retention import services
from retention.models import DeletionLogEntry, LegalHold, RetentionRule
from retention.registry import registry
from tests.factories import backdate, make_user

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 31, 12, 0, tzinfo=datetime.UTC)
SECOND = datetime.timedelta(seconds=1)


def sso_member(username: str, **fields) -> User:
    """A member who logged in through the IdP just now (the inactivity rule does not apply)."""
    user = make_user(
        username,
        first_name="Erika",
        last_name="Mustermann",
        display_name="Eri",
        is_institution_member=True,
        **fields,
    )
    backdate(user, last_login=NOW, date_joined=NOW)
    SocialAccount.objects.create(user=user, provider="https://idp.example/", uid=username)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def test_the_left_rule_counts_from_the_deletion_date_with_a_default_of_zero_days():
    rule = RetentionRule.objects.get(category="stale_accounts", counts_from="account_left")

    assert (rule.period_amount, rule.period_unit, rule.action) == (0, "days", "anonymise")
    with translation.override("en"):
        assert "deletion date" in rule.counts_from_label


def test_a_deprovisioned_account_goes_once_its_deletion_date_has_passed(settings):
    settings.ACCOUNT_DELETION_GRACE_DAYS = 30
    left = NOW - datetime.timedelta(days=30)
    before = sso_member("before")
    exactly = sso_member("exactly")
    after = sso_member("after")
    portal_services.deprovision_user(user=before, reason="left", now=left + SECOND)
    portal_services.deprovision_user(user=exactly, reason="left", now=left)
    portal_services.deprovision_user(user=after, reason="left", now=left - SECOND)

    report = services.purge_category(identifier="stale_accounts", at=NOW)

    assert report.done == 2
    for user in (before, exactly, after):
        user.refresh_from_db()
    assert before.deletion_due_at == NOW + SECOND
    assert (before.username, before.email) == ("before", "before@uni.example")
    for gone in (exactly, after):
        assert gone.username == f"anonymised-{gone.pk}"
        assert (gone.email, gone.first_name, gone.last_name, gone.display_name) == ("",) * 4
        assert not gone.is_active and not gone.has_usable_password()
        assert not SocialAccount.objects.filter(user=gone).exists()
        assert not EmailAddress.objects.filter(user=gone).exists()
    assert SocialAccount.objects.filter(user=before).exists()


def test_a_deactivated_account_without_a_deletion_date_waits_for_the_inactivity_rule():
    deactivated = sso_member("deactivated", is_active=False)

    report = services.purge_category(identifier="stale_accounts", at=NOW)

    assert report.done == 0
    deactivated.refresh_from_db()
    assert deactivated.username == "deactivated"


def test_an_inactive_account_without_a_deletion_date_still_goes_after_a_year():
    user = sso_member("inactive")
    User.objects.filter(pk=user.pk).update(last_login=NOW - datetime.timedelta(days=365))

    services.purge_category(identifier="stale_accounts", at=NOW)

    user.refresh_from_db()
    assert user.username == f"anonymised-{user.pk}"


def test_a_member_logging_in_again_is_no_longer_due(demo_institution):
    user = sso_member("returning")
    portal_services.deprovision_user(
        user=user, reason="left", now=NOW - datetime.timedelta(days=60)
    )
    portal_services.apply_sso_login(user=user, affiliations=["staff"], profile={})

    services.purge_category(identifier="stale_accounts", at=NOW)

    user.refresh_from_db()
    assert user.deletion_due_at is None
    assert user.username == "returning"


def test_a_superuser_with_a_passed_deletion_date_is_never_touched():
    admin = sso_member("breakglass", is_superuser=True, is_staff=True)
    User.objects.filter(pk=admin.pk).update(deletion_due_at=NOW - datetime.timedelta(days=1))

    report = services.purge_category(identifier="stale_accounts", at=NOW)

    assert report.done == 0
    admin.refresh_from_db()
    assert admin.username == "breakglass"


def test_a_legal_hold_keeps_an_account_whose_deletion_date_passed():
    user = sso_member("held")
    User.objects.filter(pk=user.pk).update(deletion_due_at=NOW - datetime.timedelta(days=1))
    LegalHold.objects.create(reference=f"portal.user:{user.pk}", reason="pending complaint")

    report = services.purge_category(identifier="stale_accounts", at=NOW)

    assert (report.done, report.held) == (0, 1)
    user.refresh_from_db()
    assert user.username == "held"


def test_the_log_names_the_account_only_as_a_keyed_hash():
    user = sso_member("logged")
    User.objects.filter(pk=user.pk).update(deletion_due_at=NOW - datetime.timedelta(days=1))

    services.purge_category(identifier="stale_accounts", at=NOW)

    entry = DeletionLogEntry.objects.get(category="stale_accounts")
    assert (entry.action, entry.count) == ("anonymise", 1)
    assert services.find_deletions(f"portal.user:{user.pk}") == [entry]
    assert "logged" not in entry.rule_summary and "Mustermann" not in entry.rule_summary


def _anonymise_queries(count: int, prefix: str) -> int:
    for index in range(count):
        user = sso_member(f"{prefix}{index}")
        User.objects.filter(pk=user.pk).update(deletion_due_at=NOW - datetime.timedelta(days=1))
    rule = RetentionRule.objects.get(category="stale_accounts", counts_from="account_left")
    with CaptureQueriesContext(connection) as queries:
        report = services.purge_rule(
            category=registry.get("stale_accounts"), rule=rule, at=NOW, run=None
        )
    assert report.done == count
    return len(queries)


def test_anonymising_a_batch_takes_no_query_per_account():
    assert _anonymise_queries(2, "few") == _anonymise_queries(12, "many")


def test_deprovisioning_is_scheduled_nightly_before_the_purge():
    task = PeriodicTask.objects.get(name="portal: deprovision stale accounts")

    assert task.task == "portal.identity.tasks.deprovision_stale_accounts_task"
    assert task.task in celery_app.tasks
    assert (task.crontab.hour, task.crontab.minute) == ("1", "30")
    assert str(task.crontab.timezone) == "UTC"
    assert json.loads(task.kwargs) == {}
    assert task.enabled
    for spec in NIGHTLY_TASKS:
        assert spec.task in celery_app.tasks


def test_an_admins_change_to_the_deprovisioning_schedule_is_kept_after_migrate():
    task = PeriodicTask.objects.get(name="portal: deprovision stale accounts")
    task.enabled = False
    task.save()

    assert ensure_nightly_tasks() == []

    task.refresh_from_db()
    assert not task.enabled


def test_a_removed_task_comes_back_after_migrate():
    PeriodicTask.objects.filter(name="portal: deprovision stale accounts").delete()

    assert ensure_nightly_tasks() == ["portal: deprovision stale accounts"]


def test_the_scheduled_task_queues_former_members(settings):
    from portal.identity.tasks import deprovision_stale_accounts_task

    user = sso_member("former")
    User.objects.filter(pk=user.pk).update(
        is_institution_member=False,
        last_login=datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=400),
    )

    assert deprovision_stale_accounts_task.apply().get() == 1

    user.refresh_from_db()
    assert user.deletion_due_at is not None
