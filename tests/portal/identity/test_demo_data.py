import pytest
from django.core.management import call_command

from portal.identity.models import (
    AffiliationRule,
    Institution,
    LicencePool,
    LicenceType,
    Role,
    User,
)


def row_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Institution, LicenceType, LicencePool, Role, AffiliationRule, User)
    }


@pytest.fixture(autouse=True)
def _development_machine(settings):
    settings.DEBUG = True


@pytest.mark.django_db
def test_it_creates_the_demo_institution():
    call_command("demo_data", verbosity=0)
    assert Institution.objects.get().mail_domains == ["uni.example"]
    business = LicenceType.objects.get(slug="business")
    assert (business.max_participants, business.time_limit_minutes) == (300, None)
    basic = LicenceType.objects.get(slug="basic")
    assert (basic.max_participants, basic.time_limit_minutes) == (100, 40)
    assert Role.objects.get(slug="staff").licence_type == business
    assert Role.objects.get(slug="student").licence_type == basic
    assert AffiliationRule.objects.get(affiliation="faculty").role.slug == "staff"
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.has_usable_password()


@pytest.mark.django_db
def test_it_is_idempotent():
    call_command("demo_data", verbosity=0)
    first = row_counts()
    Role.objects.filter(slug="staff").update(name="Beschäftigte")  # an admin's later edit
    call_command("demo_data", verbosity=0)
    assert row_counts() == first
    assert Role.objects.get(slug="staff").name == "Beschäftigte"  # not overwritten


@pytest.mark.django_db
def test_it_refuses_a_known_admin_password_without_debug(settings):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("demo_data", verbosity=0)
    assert not User.objects.exists()
    assert not LicenceType.objects.exists()  # one transaction: nothing half-created


@pytest.mark.django_db
def test_it_publishes_a_consent_text_and_lets_the_it_group_administer():
    """Recording consent is no dead end on a demonstration, and the IT department's SSO
    accounts administer (the group of ``it.admin`` at the development IdP)."""
    from consent.models import ConsentText
    from portal.identity.models import AdminGroupRule

    call_command("demo_data", verbosity=0)
    call_command("demo_data", verbosity=0)  # once only
    text = ConsentText.objects.get()
    assert text.is_published and text.title_en == "Consent to recording"
    rule = AdminGroupRule.objects.get()
    assert rule.idp_group == "it-admins"
    assert rule.group.permissions.filter(codename="change_retentionrule").exists()
