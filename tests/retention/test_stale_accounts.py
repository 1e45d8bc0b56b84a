"""The portal's stale-accounts category: anonymise or delete, never a superuser."""

import datetime

import pytest
from allauth.account.models import EmailAddress

from portal.identity.models import AuditEvent, User
from retention import services
from retention.models import LegalHold, RetentionRule
from tests.factories import backdate, make_user
from tests.retention.conftest import NOW

LONG_AGO = NOW - datetime.timedelta(days=400)


def _stale(username: str, **fields) -> User:
    user = make_user(
        username,
        first_name="Max",
        last_name="Muster",
        display_name="Maxi",
        password="a-long-password-123",
        **fields,
    )
    return backdate(user, last_login=LONG_AGO, date_joined=LONG_AGO)


def test_it_anonymises_every_personal_field(db):
    user = _stale("max.muster", is_staff=True)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    event = AuditEvent.objects.create(actor=user, action="licence.assigned")

    services.purge_category(identifier="stale_accounts", at=NOW)

    user.refresh_from_db()
    assert user.username == f"anonymised-{user.pk}"
    assert (user.email, user.first_name, user.last_name, user.display_name) == ("", "", "", "")
    assert not user.has_usable_password()
    assert not user.is_active and not user.is_staff
    assert not EmailAddress.objects.filter(user=user).exists()
    event.refresh_from_db()
    assert event.actor_id == user.pk  # the audit trail keeps its integrity, without the name


def test_it_never_touches_a_superuser(db):
    admin = _stale("breakglass", is_superuser=True, is_staff=True)

    report = services.purge_category(identifier="stale_accounts", at=NOW)

    assert report.done == 0
    admin.refresh_from_db()
    assert admin.username == "breakglass"
    assert admin.email == "breakglass@uni.example"


def test_an_anonymised_account_is_not_processed_again(db):
    _stale("once")
    services.purge_category(identifier="stale_accounts", at=NOW)

    report = services.purge_category(identifier="stale_accounts", at=NOW)

    assert report.done == 0


def test_the_delete_action_deletes_the_account(db):
    RetentionRule.objects.filter(category="stale_accounts").update(action="delete")
    user = _stale("deleted.person", is_active=False)

    report = services.purge_category(identifier="stale_accounts", at=NOW)

    assert report.done == 1
    assert not User.objects.filter(pk=user.pk).exists()


def test_a_legal_hold_on_the_account_keeps_it(db):
    user = _stale("held.person")
    LegalHold.objects.create(reference=f"portal.user:{user.pk}", reason="pending complaint")

    report = services.purge_category(identifier="stale_accounts", at=NOW)

    assert report.held == 1
    user.refresh_from_db()
    assert user.username == "held.person"


@pytest.mark.parametrize("counts_from", ["account_left", "account_inactive"])
def test_a_rule_may_not_count_from_an_event_the_category_does_not_know(db, counts_from):
    from django.core.exceptions import ValidationError

    rule = RetentionRule.objects.get(category="stale_accounts", counts_from=counts_from)
    rule.full_clean()
    rule.counts_from = "consent_withdrawn"
    with pytest.raises(ValidationError) as error:
        rule.full_clean(validate_unique=False)
    assert "counts_from" in error.value.message_dict
