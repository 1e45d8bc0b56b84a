"""Licences at every SSO login: from the affiliations, within the pools' quotas."""

import pytest
from django.utils import timezone

from portal.identity import selectors, services
from portal.identity.models import (
    AuditEvent,
    LicenceAssignment,
    LicencePool,
    LicenceType,
    Role,
    TermsAcceptance,
    User,
)
from portal.identity.services import LicenceOutcome
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(demo_institution):
    return make_user("member")


def login(user, *affiliations):
    services.apply_sso_login(user=user, affiliations=list(affiliations), profile={})
    return services.sync_licence_from_role(user=user) if user.is_institution_member else None


def licence_of(user) -> tuple[str, bool] | None:
    assignment = LicenceAssignment.objects.filter(user=user).first()
    return (assignment.licence_type.slug, assignment.in_pool) if assignment else None


def test_the_first_matching_rule_by_position_decides_the_role(demo_institution):
    assert services.role_for_affiliations(["member", "student", "employee"]).slug == "staff"
    assert services.role_for_affiliations(["member", "student"]).slug == "student"
    assert services.role_for_affiliations(["member", "affiliate"]) is None


def test_the_licence_waits_for_the_terms(member):
    services.apply_sso_login(user=member, affiliations=["employee"], profile={})
    assert licence_of(member) is None


def test_a_member_gets_the_licence_of_the_role(member):
    services.apply_sso_login(user=member, affiliations=["employee"], profile={})
    services.accept_terms(user=member, terms_version=services_terms())
    member.refresh_from_db()
    assert member.role.slug == "staff"
    assert licence_of(member) == ("business", True)


def services_terms():
    from portal.identity.models import TermsVersion

    return TermsVersion.current()


def test_each_login_promotes_demotes_or_keeps_as_the_attributes_now_say(member):
    TermsAcceptance.objects.create(user=member, terms_version=services_terms())

    outcomes = [
        services.apply_sso_login(user=member, affiliations=[affiliation], profile={})
        for affiliation in ("student", "student", "employee", "student")
    ]

    assert outcomes == [
        LicenceOutcome.ASSIGNED,
        LicenceOutcome.KEPT,
        LicenceOutcome.PROMOTED,
        LicenceOutcome.DEMOTED,
    ]
    assert licence_of(member) == ("basic", True)
    actions = list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))
    assert actions == ["licence.assigned", "licence.promoted", "licence.demoted"]


def test_a_full_pool_gives_basic_outside_the_quota_and_shows_the_shortfall(demo_institution):
    LicencePool.objects.filter(licence_type__slug="business").update(quota=1)
    business = LicenceType.objects.get(slug="business")
    first = User.objects.create_user("first")
    second = User.objects.create_user("second")

    assert services.assign_licence(user=first, licence_type=business, source="sso") == (
        LicenceOutcome.ASSIGNED
    )
    assert services.assign_licence(user=second, licence_type=business, source="sso") == (
        LicenceOutcome.SHORTFALL
    )

    assert licence_of(first) == ("business", True)
    assert licence_of(second) == ("basic", False)
    report = {row["licence_type"].slug: row for row in selectors.pool_utilisation()}
    assert (report["business"]["used"], report["business"]["free"]) == (1, 0)
    assert report["business"]["shortfall"] == 1


def test_an_admin_assignment_to_a_full_pool_is_refused(demo_institution):
    LicencePool.objects.filter(licence_type__slug="business").update(quota=0)
    user = User.objects.create_user("someone")
    with pytest.raises(services.PoolFullError):
        services.assign_licence(
            user=user,
            licence_type=LicenceType.objects.get(slug="business"),
            source="admin",
            fallback_when_full=False,
        )
    assert licence_of(user) is None


def test_users_without_sso_get_basic_outside_the_quota(demo_institution):
    user = User.objects.create_user("guest")
    services.assign_default_licence(user=user)
    assert licence_of(user) == ("basic", False)
    assert selectors.licence_type_for(user).slug == "basic"


def test_a_user_whose_idp_no_longer_asserts_membership_loses_the_licence(member):
    login(member, "employee")
    assert licence_of(member) == ("business", True)

    assert (
        services.apply_sso_login(user=member, affiliations=["library-walk-in"], profile={})
        == LicenceOutcome.REVOKED
    )

    member.refresh_from_db()
    assert licence_of(member) is None
    assert not member.is_institution_member
    assert member.deletion_due_at is not None and member.deletion_due_at > timezone.now()
    assert AuditEvent.objects.filter(action="account.deletion_queued").count() == 1


def test_licence_type_for_answers_the_assigned_type(member, django_assert_num_queries):
    login(member, "faculty")
    with django_assert_num_queries(1):
        assert selectors.licence_type_for(member).slug == "business"


def test_licence_type_for_falls_back_to_the_least_capable_type(member):
    assert selectors.licence_type_for(member).slug == "basic"


def test_guest_role_exists_for_non_members(member):
    services.apply_sso_login(user=member, affiliations=["affiliate"], profile={})
    member.refresh_from_db()
    assert member.role == Role.objects.get(slug="guest")
    assert not member.is_institution_member


def test_a_member_who_comes_back_is_no_longer_queued_for_deletion(member):
    User.objects.filter(pk=member.pk).update(deletion_due_at=timezone.now())
    member.refresh_from_db()

    services.apply_sso_login(user=member, affiliations=["student"], profile={})

    member.refresh_from_db()
    assert member.deletion_due_at is None
    assert member.is_institution_member


def test_licence_type_for_an_account_without_assignment_follows_its_role(
    member, django_assert_num_queries
):
    User.objects.filter(pk=member.pk).update(role=Role.objects.get(slug="staff"))
    member.refresh_from_db()
    with django_assert_num_queries(1):
        assert selectors.licence_type_for(member).slug == "business"


def test_an_assignment_wins_over_the_role(member):
    User.objects.filter(pk=member.pk).update(role=Role.objects.get(slug="staff"))
    member.refresh_from_db()
    services.assign_default_licence(user=member)  # e.g. the staff pool was full
    assert selectors.licence_type_for(member).slug == "basic"


def test_leaving_is_final_until_the_idp_asserts_membership_again(member):
    login(member, "employee")
    services.accept_terms(user=member, terms_version=services_terms())
    services.apply_sso_login(user=member, affiliations=[], profile={})
    member.refresh_from_db()
    assert member.membership_ended_at is not None

    # the next logins assert nothing either: still no licence, by no path
    assert services.apply_sso_login(user=member, affiliations=[], profile={}) is None
    services.accept_terms(user=member, terms_version=services_terms())
    services.assign_default_licence(user=member)
    member.refresh_from_db()
    assert licence_of(member) is None
    assert selectors.licence_type_for(member) is not None  # the selector's fallback, no seat
    assert not member.role.may_host

    login(member, "employee")
    member.refresh_from_db()
    assert member.membership_ended_at is None
    assert licence_of(member) == ("business", True)


def test_a_licence_given_to_a_former_member_goes_at_the_next_login_without_membership(member):
    login(member, "student")
    services.apply_sso_login(user=member, affiliations=["affiliate"], profile={})
    LicenceAssignment.objects.create(
        user=member, licence_type=LicenceType.objects.get(slug="basic"), in_pool=False
    )

    services.apply_sso_login(user=member, affiliations=["affiliate"], profile={})

    assert licence_of(member) is None


def test_someone_who_never_was_a_member_keeps_basic_outside_the_quota(member):
    services.accept_terms(user=member, terms_version=services_terms())
    services.apply_sso_login(user=member, affiliations=["affiliate"], profile={})
    services.apply_sso_login(user=member, affiliations=[], profile={})

    member.refresh_from_db()
    assert member.membership_ended_at is None
    assert licence_of(member) == ("basic", False)
