"""LTI 1.3 launches from a simulated platform with its own keys (key set served over
loopback): both roles, deep linking there and back, names and roles, every refusal, and
dynamic registration."""

from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from django.core import mail
from django.test import Client

from integrations.lti import services
from integrations.lti.models import LtiAccount, LtiCourse, LtiPlatform
from meetings.scheduling.models import Meeting, MeetingSeries
from portal.identity.models import Role
from tests.factories import make_meeting, make_user
from tests.integrations.lti.platform import INSTRUCTOR, LEARNER, Platform

pytestmark = pytest.mark.django_db


@pytest.fixture
def platform():  # noqa: ANN201
    simulated = Platform()
    yield simulated
    simulated.close()


@pytest.fixture
def registered(platform, demo_institution) -> LtiPlatform:
    return LtiPlatform.objects.create(
        name="Moodle",
        issuer=platform.issuer,
        client_id=platform.client_id,
        deployment_ids=[platform.deployment_id],
        auth_login_url=platform.url("/auth"),
        auth_token_url=platform.url("/token"),
        key_set_url=platform.url("/jwks"),
        instructor_role=Role.objects.get(slug="staff"),
        learner_role=Role.objects.get(slug="student"),
    )


@pytest.fixture
def browser() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def log_in(browser: Client, platform: Platform) -> str:
    """The platform's third-party initiated login; returns the nonce the tool chose (the
    state travels in the browser's cookie and the redirect)."""
    response = browser.get(
        "/lti/login/",
        {
            "iss": platform.issuer,
            "client_id": platform.client_id,
            "login_hint": "user-1",
            "target_link_uri": "http://testserver/lti/launch/",
            "lti_deployment_id": platform.deployment_id,
        },
    )
    assert response.status_code == 302, response.content
    redirect = urlsplit(response["Location"])
    assert f"{redirect.scheme}://{redirect.netloc}{redirect.path}" == platform.url("/auth")
    query = parse_qs(redirect.query)
    browser.lti_state = query["state"][0]
    return query["nonce"][0]


def launch(browser: Client, platform: Platform, **claims: object):  # noqa: ANN201
    nonce = log_in(browser, platform)
    token = platform.id_token(nonce=nonce, **claims)
    browser.lti_token = token
    return browser.post("/lti/launch/", {"state": browser.lti_state, "id_token": token})


@pytest.fixture
def course_series(registered) -> MeetingSeries:
    host = make_user("teacher", role=Role.objects.get(slug="staff"), is_institution_member=True)
    meeting = make_meeting(host, status=Meeting.Status.SCHEDULED, topic="Algebra")
    series = MeetingSeries.objects.create(
        host=host,
        topic="Algebra",
        frequency="WEEKLY",
        count=1,
        first_start=meeting.start,
        timezone="Europe/Berlin",
    )
    meeting.series = series
    meeting.save()
    LtiCourse.objects.create(platform=registered, context_id="course-1", series=series)
    return series


def test_a_learner_goes_to_the_join_page_of_the_courses_meeting(
    browser, platform, course_series
) -> None:
    response = launch(browser, platform, role=LEARNER)
    meeting = course_series.occurrences.get()
    assert response.status_code == 302
    assert response["Location"] == meeting.join_url()  # passcode, waiting room and consent follow
    account = LtiAccount.objects.get()
    assert account.user.role.slug == "student" and account.user.email == "ada@uni.example"
    assert not meeting.is_hosted_by(account.user)
    assert int(browser.session["_auth_user_id"]) == account.user.pk


def test_the_same_platform_user_is_the_same_account_next_time(
    browser, platform, course_series
) -> None:
    launch(browser, platform, role=LEARNER)
    launch(Client(), platform, role=LEARNER)
    assert LtiAccount.objects.count() == 1


def test_an_instructor_cohosts_the_courses_meetings(browser, platform, course_series) -> None:
    response = launch(browser, platform, role=INSTRUCTOR, sub="teacher-2")
    assert response.status_code == 302 and "/lti/courses/" in response["Location"]
    user = LtiAccount.objects.get().user
    assert all(meeting.is_hosted_by(user) for meeting in course_series.occurrences.all())
    page = browser.get(response["Location"])
    assert "Algebra" in page.content.decode()


def test_an_instructor_invites_the_course_members_through_names_and_roles(
    browser, platform, course_series, after_commit
) -> None:
    platform.members = [
        {"user_id": "1", "email": "ada@uni.example", "status": "Active", "roles": [LEARNER]},
        {"user_id": "2", "email": "bob@uni.example", "status": "Inactive", "roles": [LEARNER]},
    ]
    landing = launch(browser, platform, role=INSTRUCTOR, sub="teacher-2")
    with after_commit():  # the invitation leaves through Celery after the commit
        response = browser.post(landing["Location"] + "invite/")
    assert response.status_code == 302
    assert [message.to for message in mail.outbox] == [["ada@uni.example"]]
    assert platform.token_requests  # the tool authenticated to the platform's token endpoint
    assertion = platform.token_requests[0]["client_assertion"][0]
    assert jwt.get_unverified_header(assertion)["alg"] == "RS256"


def test_deep_linking_links_a_series_and_answers_the_platform_signed(
    browser, platform, registered
) -> None:
    teacher = make_user("teacher", role=Role.objects.get(slug="staff"), is_institution_member=True)
    first = make_meeting(teacher, status=Meeting.Status.SCHEDULED, topic="Seminar")
    first.start = first.start.replace(year=first.start.year + 1)
    first.save()
    LtiAccount.objects.create(platform=registered, subject="teacher-1", user=teacher)
    response = launch(
        browser, platform, role=INSTRUCTOR, sub="teacher-1", message_type="LtiDeepLinkingRequest"
    )
    assert response.status_code == 302 and response["Location"].endswith("/deep-link/")
    choose = browser.get(response["Location"])
    assert "Seminar" in choose.content.decode()
    answer = browser.post(response["Location"], {"meeting": first.meeting_id})
    assert answer.status_code == 200
    assert f"form-action 'self' {platform.issuer}" in answer["Content-Security-Policy"]
    token = answer.context["jwt"]
    claims = jwt.decode(
        token,
        jwt.PyJWK(services.tool_jwks()["keys"][0]).key,
        algorithms=["RS256"],
        audience=platform.issuer,
    )
    items = claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]
    assert items[0]["title"] == "Seminar"
    assert items[0]["window"] == {"targetName": "_blank"}  # the portal is never framed
    assert LtiCourse.objects.get().meeting == first


def test_a_learner_cannot_deep_link(browser, platform, course_series) -> None:
    response = launch(browser, platform, role=LEARNER, message_type="LtiDeepLinkingRequest")
    assert response.status_code == 403
    assert "Only instructors" in response.content.decode()


def test_a_launch_from_an_unregistered_platform_is_refused(browser, platform, registered) -> None:
    nonce = log_in(browser, platform)
    token = platform.id_token(nonce=nonce, issuer="https://elsewhere.example")
    response = browser.post("/lti/launch/", {"state": browser.lti_state, "id_token": token})
    assert response.status_code == 403
    assert "This learning platform is not registered" in response.content.decode()
    assert not LtiAccount.objects.exists()


def test_a_login_from_an_unregistered_platform_is_refused(browser, platform, demo_institution):
    response = browser.get("/lti/login/", {"iss": platform.issuer, "login_hint": "x"})
    assert response.status_code == 403


def test_a_launch_signed_with_another_key_is_refused(browser, platform, registered) -> None:
    other = Platform()
    try:
        nonce = log_in(browser, platform)
        token = platform.id_token(nonce=nonce, key=other.private_key)
    finally:
        other.close()
    response = browser.post("/lti/launch/", {"state": browser.lti_state, "id_token": token})
    assert response.status_code == 403
    assert "could not be verified" in response.content.decode()
    assert not LtiAccount.objects.exists()


def test_an_expired_launch_is_refused(browser, platform, registered) -> None:
    response = launch(browser, platform, expires_in=-60)
    assert response.status_code == 400
    assert "The launch has expired" in response.content.decode()


def test_a_replayed_launch_is_refused(browser, platform, course_series) -> None:
    assert launch(browser, platform).status_code == 302
    again = browser.post(
        "/lti/launch/", {"state": browser.lti_state, "id_token": browser.lti_token}
    )
    assert again.status_code == 403
    assert "This launch was already used" in again.content.decode()


def test_refusals_are_translated(platform, registered) -> None:
    browser = Client(HTTP_ACCEPT_LANGUAGE="de")
    response = launch(browser, platform, expires_in=-60)
    assert "Der Start ist abgelaufen" in response.content.decode()


def test_the_tool_publishes_its_key_set(client, demo_institution) -> None:
    keys = client.get("/lti/jwks/").json()["keys"]
    assert keys and keys[0]["kty"] == "RSA" and "d" not in keys[0]


def test_dynamic_registration_registers_the_platform(platform, demo_institution) -> None:
    admin = make_user("lti-admin", is_staff=True)
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    browser.force_login(admin)
    configuration = platform.url("/.well-known/openid-configuration")
    page = browser.get(
        "/lti/register/", {"openid_configuration": configuration, "registration_token": "t1"}
    )
    assert page.status_code == 200
    response = browser.post(
        "/lti/register/",
        {
            "openid_configuration": configuration,
            "registration_token": "t1",
            "name": "ILIAS",
            "instructor_role": Role.objects.get(slug="staff").pk,
            "learner_role": Role.objects.get(slug="student").pk,
        },
    )
    assert response.status_code == 200, response.content
    registered = LtiPlatform.objects.get()
    assert (registered.issuer, registered.client_id) == (platform.issuer, "dynamic-client")
    assert registered.deployment_ids == ["dynamic-deployment"]
    assert platform.registrations[0]["authorization"] == "Bearer t1"
    assert platform.registrations[0]["jwks_uri"] == "http://testserver/lti/jwks/"


def test_dynamic_registration_is_for_administrators(platform, demo_institution) -> None:
    browser = Client()
    browser.force_login(make_user("someone"))
    assert browser.get("/lti/register/").status_code == 302


def test_launch_links_unused_for_a_year_are_purged(browser, platform, course_series) -> None:
    import datetime

    from django.utils.timezone import now

    from integrations.lti.retention import LtiAccounts
    from retention.models import RetentionRule

    launch(browser, platform)
    LtiAccount.objects.update(last_launch_at=now() - datetime.timedelta(days=366))
    rule = RetentionRule.objects.get(category="lti_accounts")
    assert LtiAccounts().expired(rule, now()).count() == 1


def test_a_learner_of_a_course_without_a_meeting_is_told_so(browser, platform, registered):
    response = launch(browser, platform, role=LEARNER)
    assert response.status_code == 200
    assert "has no meeting in the portal yet" in response.content.decode()


def test_an_instructor_who_is_not_a_member_of_the_institution_does_not_cohost(
    browser, platform, registered, course_series
) -> None:
    registered.members_are_institution_members = False
    registered.save()
    response = launch(browser, platform, role=INSTRUCTOR, sub="visiting-teacher")
    assert response.status_code == 403
    assert "Only members of the institution host meetings" in response.content.decode()
    assert not any(
        meeting.is_hosted_by(LtiAccount.objects.get().user)
        for meeting in course_series.occurrences.all()
    )


def test_a_failed_dynamic_registration_is_a_clear_page(platform, demo_institution) -> None:
    admin = make_user("lti-admin", is_staff=True)
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    browser.force_login(admin)
    response = browser.post(
        "/lti/register/",
        {
            "openid_configuration": platform.url("/nothing-here"),
            "name": "ILIAS",
            "instructor_role": Role.objects.get(slug="staff").pk,
            "learner_role": Role.objects.get(slug="student").pk,
        },
    )
    assert response.status_code == 403
    assert "The registration failed" in response.content.decode()
    assert not LtiPlatform.objects.exists()
