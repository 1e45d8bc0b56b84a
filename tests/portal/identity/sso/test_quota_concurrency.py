"""The quota is never exceeded, also when many first logins arrive at once (PostgreSQL)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from portal.identity import services
from portal.identity.demo import DemoPerson
from portal.identity.models import LicenceAssignment, LicencePool, LicenceType, TermsVersion, User
from tests.portal.identity.sso.conftest import SP_HOST, SSOSession

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

QUOTA = 5
LOGINS = 16


@pytest.fixture(autouse=True)
def _sp_host(settings):
    settings.ALLOWED_HOSTS = [SP_HOST]


def run_at_once(functions):
    barrier = threading.Barrier(len(functions))

    def run(function):
        try:
            barrier.wait(timeout=30)
            return function()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(functions)) as pool:
        return list(pool.map(run, functions))


def test_simultaneous_first_sso_logins_leave_exactly_the_quota_assigned(idp_app):
    from django.test import Client

    TermsVersion.objects.all().delete()  # no terms: the licence is assigned at login itself
    LicencePool.objects.filter(licence_type__slug="business").update(quota=QUOTA)
    people = [
        DemoPerson(f"staff{i}", "Given", f"Surname{i}", ["employee", "member"], "1980-01-01")
        for i in range(LOGINS)
    ]
    prepared = []
    for demo_person in people:
        session = SSOSession(Client(HTTP_HOST=SP_HOST, HTTP_ACCEPT_LANGUAGE="en"))
        xml = session.response_for(demo_person, session.start_login())
        prepared.append((session, xml))

    results = run_at_once(
        [lambda s=session, x=xml: s.post_response(x).status_code for session, xml in prepared]
    )

    assert results == [200] * LOGINS
    assert User.objects.filter(is_institution_member=True).count() == LOGINS
    business = LicenceAssignment.objects.filter(licence_type__slug="business", in_pool=True)
    assert business.count() == QUOTA
    fallback = LicenceAssignment.objects.filter(licence_type__slug="basic", in_pool=False)
    assert fallback.count() == LOGINS - QUOTA
    assert set(fallback.values_list("wanted_licence_type__slug", flat=True)) == {"business"}


def test_simultaneous_assignments_never_exceed_the_quota(demo_institution):
    LicencePool.objects.filter(licence_type__slug="business").update(quota=QUOTA)
    business = LicenceType.objects.get(slug="business")
    users = [User.objects.create_user(f"user{i}") for i in range(40)]

    outcomes = run_at_once(
        [
            lambda u=user: services.assign_licence(user=u, licence_type=business, source="sso")
            for user in users
        ]
    )

    assert outcomes.count(services.LicenceOutcome.ASSIGNED) == QUOTA
    assert outcomes.count(services.LicenceOutcome.SHORTFALL) == 40 - QUOTA
    assert LicenceAssignment.objects.filter(licence_type=business, in_pool=True).count() == QUOTA
