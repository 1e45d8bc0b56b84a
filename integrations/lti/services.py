"""LTI 1.3 launches (pylti1p3): which platform, which person, which course, which meeting.

A launch is accepted only from a registered, active platform, signed with a key of the
platform's key set, not expired, and with a nonce never seen before (pylti1p3 checks that the
nonce belongs to this browser's login; the portal also refuses a second use of it). The
person then enters the portal as any user does: an instructor becomes a co-host of the
course's meetings (as the scheduling rules allow: members of the institution only), a learner
goes to the join page and passes the passcode, the waiting room and the consent as everyone.
"""

import hashlib
import json
import logging
import time
from dataclasses import dataclass

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.utils.timezone import now
from guardian.shortcuts import assign_perm
from pylti1p3.contrib.django import DjangoMessageLaunch, DjangoOIDCLogin
from pylti1p3.contrib.django.launch_data_storage.cache import DjangoCacheDataStorage
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.deployment import Deployment
from pylti1p3.exception import LtiException
from pylti1p3.registration import Registration
from pylti1p3.tool_config.abstract import ToolConfAbstract

from integrations.lti.models import LtiAccount, LtiCourse, LtiPlatform, LtiToolKey
from meetings.scheduling import selectors as scheduling_selectors
from meetings.scheduling.models import Meeting
from portal.identity.models import User

logger = logging.getLogger(__name__)

INSTRUCTOR_ROLES = (
    "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
    "http://purl.imsglobal.org/vocab/lis/v2/membership#Administrator",
    "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor",
    "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
)
CONTEXT_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/context"
ROLES_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/roles"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
#: How long a launch's data stays available to the pages it leads to (deep linking, invite).
LAUNCH_LIFETIME_SECONDS = 3600


class LaunchRefused(Exception):
    """A launch or login the portal does not accept; ``reason`` selects the page's text."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- the tool's key -----------------------------------------------------------------------
def tool_key() -> LtiToolKey:
    """The tool's current signing key; the first one is made on first use."""
    key = LtiToolKey.objects.filter(active=True).first()
    if key is not None:
        return key
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return LtiToolKey.objects.create(
        private_key=private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
        public_key=private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode(),
    )


def tool_jwks() -> dict:
    """The public keys of every active tool key (the platform verifies the tool with them)."""
    return {
        "keys": [
            Registration.get_jwk(key.public_key) for key in LtiToolKey.objects.filter(active=True)
        ]
    }


# --- pylti1p3's view of the registered platforms ------------------------------------------
class PortalToolConf(ToolConfAbstract):
    """Registrations come from ``LtiPlatform`` rows (many client IDs per issuer)."""

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def _platform(self, iss: str, client_id: str | None) -> LtiPlatform | None:
        platforms = LtiPlatform.objects.filter(issuer=iss, active=True)
        if client_id:
            platforms = platforms.filter(client_id=client_id)
        return platforms.order_by("pk").first()

    def _registration(self, platform: LtiPlatform | None) -> Registration | None:
        if platform is None:
            return None
        key = tool_key()
        return (
            Registration()
            .set_issuer(platform.issuer)
            .set_client_id(platform.client_id)
            .set_auth_login_url(platform.auth_login_url)
            .set_auth_token_url(platform.auth_token_url)
            .set_key_set_url(platform.key_set_url)
            .set_tool_private_key(key.private_key)
            .set_tool_public_key(key.public_key)
        )

    def find_registration_by_issuer(self, iss: str, *args, **kwargs) -> Registration | None:  # noqa: ANN002, ANN003
        return self._registration(self._platform(iss, None))

    def find_registration_by_params(  # noqa: ANN201
        self,
        iss: str,
        client_id: str,
        *args,
        **kwargs,  # noqa: ANN002, ANN003
    ) -> Registration | None:
        return self._registration(self._platform(iss, client_id))

    def find_deployment(self, iss: str, deployment_id: str) -> Deployment | None:
        return self.find_deployment_by_params(iss, deployment_id, "")

    def find_deployment_by_params(  # noqa: ANN201
        self,
        iss: str,
        deployment_id: str,
        client_id: str,
        *args,
        **kwargs,  # noqa: ANN002, ANN003
    ) -> Deployment | None:
        platform = self._platform(iss, client_id or None)
        if platform is None or deployment_id not in platform.deployment_ids:
            return None
        return Deployment().set_deployment_id(deployment_id)


def _storage() -> DjangoCacheDataStorage:
    return DjangoCacheDataStorage(cache_name="default")


# --- login and launch ---------------------------------------------------------------------
def login_redirect(request: HttpRequest, *, launch_url: str):  # noqa: ANN201 -- HttpResponse
    """The OIDC login the platform starts: send the browser back to the platform with a
    state (cookie) and a nonce (session) that the launch must carry."""
    issuer = request.GET.get("iss") or request.POST.get("iss") or ""
    client_id = request.GET.get("client_id") or request.POST.get("client_id")
    if PortalToolConf()._platform(issuer, client_id) is None:
        raise LaunchRefused("unregistered")
    try:
        oidc = DjangoOIDCLogin(request, PortalToolConf(), launch_data_storage=_storage())
        return oidc.disable_check_cookies().redirect(launch_url)
    except LtiException as error:
        logger.info("lti login refused: %s", type(error).__name__)
        raise LaunchRefused("invalid") from error


def _unverified(id_token: str) -> dict:
    try:
        return jwt.decode(id_token, options={"verify_signature": False})
    except jwt.PyJWTError as error:
        raise LaunchRefused("invalid") from error


def validate_launch(request: HttpRequest) -> tuple[DjangoMessageLaunch, LtiPlatform]:
    """The validated launch and its platform, or ``LaunchRefused`` with the reason:
    ``unregistered`` platform, bad ``signature``, ``expired`` token, ``replayed`` nonce or an
    ``invalid`` message (no login before it, unknown deployment, missing claims)."""
    claims = _unverified(request.POST.get("id_token", ""))
    audience = claims.get("aud")
    client_id = audience[0] if isinstance(audience, list) and audience else audience
    platform = PortalToolConf()._platform(str(claims.get("iss", "")), str(client_id or ""))
    if platform is None:
        raise LaunchRefused("unregistered")
    launch = DjangoMessageLaunch(request, PortalToolConf(), launch_data_storage=_storage())
    launch.set_launch_data_lifetime(LAUNCH_LIFETIME_SECONDS)
    try:
        data = launch.get_launch_data()
    except LtiException as error:
        message = str(error)
        if "expired" in message.lower():
            raise LaunchRefused("expired") from error
        if "Signature verification failed" in message or "public key" in message.lower():
            raise LaunchRefused("signature") from error
        logger.info("lti launch refused: %s", message[:120])
        raise LaunchRefused("invalid") from error
    nonce = str(data.get("nonce", ""))
    remaining = max(int(data.get("exp", 0)) - int(time.time()), 0)
    key = "integrations.lti.nonce:" + hashlib.sha256(f"{platform.pk}:{nonce}".encode()).hexdigest()
    if not cache.add(key, 1, timeout=remaining + 300):
        raise LaunchRefused("replayed")
    return launch, platform


def restore_launch(request: HttpRequest, launch_id: str) -> DjangoMessageLaunch:
    """A launch validated earlier in this browser (deep linking, inviting the members)."""
    try:
        launch = DjangoMessageLaunch.from_cache(
            launch_id, request, PortalToolConf(), launch_data_storage=_storage()
        )
    except LtiException as error:
        raise LaunchRefused("expired_session") from error
    return launch


def is_instructor(data: dict) -> bool:
    return any(role in INSTRUCTOR_ROLES for role in data.get(ROLES_CLAIM, []))


# --- the person ---------------------------------------------------------------------------
@transaction.atomic
def user_for_launch(*, platform: LtiPlatform, data: dict) -> User:
    """The portal account of the launch's subject: the one linked before; else, where the
    platform's addresses are trusted, the account with the same address; else a new account
    with the platform's role for instructors or learners. Only what the portal needs is
    kept: name and address (for invitations), never the platform's roles or groups."""
    subject = str(data.get("sub", ""))
    if not subject:
        raise LaunchRefused("invalid")
    account = (
        LtiAccount.objects.select_related("user").filter(platform=platform, subject=subject).first()
    )
    if account is not None:
        account.last_launch_at = now()
        account.save(update_fields=["last_launch_at"])
        if not account.user.is_active:
            raise LaunchRefused("inactive")
        return account.user
    email = str(data.get("email", "")).strip().lower()
    user = None
    if platform.match_accounts_by_email and email:
        user = User.objects.filter(email__iexact=email, is_active=True).first()
    if user is None:
        digest = hashlib.sha256(f"{platform.pk}:{subject}".encode()).hexdigest()[:20]
        user = User.objects.create_user(
            f"lti-{digest}",
            email=email,
            first_name=str(data.get("given_name", ""))[:150],
            last_name=str(data.get("family_name", ""))[:150],
            role=platform.instructor_role if is_instructor(data) else platform.learner_role,
            is_institution_member=platform.members_are_institution_members,
        )
        user.set_unusable_password()
        user.save(update_fields=["password"])
    LtiAccount.objects.create(platform=platform, subject=subject, user=user)
    logger.info("lti account linked: platform=%s user=%s", platform.pk, user.pk)
    return user


# --- the course ---------------------------------------------------------------------------
def course_for_launch(*, platform: LtiPlatform, data: dict) -> LtiCourse:
    context = data.get(CONTEXT_CLAIM) or {}
    context_id = str(context.get("id", ""))
    if not context_id:
        raise LaunchRefused("invalid")
    course, _created = LtiCourse.objects.get_or_create(
        platform=platform,
        context_id=context_id,
        defaults={"title": str(context.get("title", ""))[:255]},
    )
    return course


def course_meetings(course: LtiCourse) -> list[Meeting]:
    """The course's meetings: its series' occurrences (or its single meeting), soonest first."""
    if course.series_id is not None:
        return list(course.series.occurrences.order_by("start", "pk"))
    if course.meeting_id is not None:
        return [course.meeting]
    return []


def next_meeting(course: LtiCourse) -> Meeting | None:
    """The running occurrence, else the next one that has not ended, else the last one."""
    meetings = course_meetings(course)
    for meeting in meetings:
        if meeting.status == Meeting.Status.RUNNING:
            return meeting
    moment = now()
    upcoming = [
        meeting
        for meeting in meetings
        if meeting.status == Meeting.Status.SCHEDULED and meeting.end > moment
    ]
    return upcoming[0] if upcoming else (meetings[-1] if meetings else None)


def make_course_host(*, course: LtiCourse, user: User) -> None:
    """An instructor of the course co-hosts every meeting of it (scheduling's rule for
    co-hosts: members of the institution only; the host stays the one who scheduled it)."""
    if not user.is_institution_member:
        raise LaunchRefused("not_member")
    for meeting in course_meetings(course):
        if meeting.host_id != user.pk and not meeting.is_hosted_by(user):
            assign_perm("meetings.host_meeting", user, meeting)


def link_course(
    *, course: LtiCourse, user: User, meeting_id: str = "", series_id: int | None = None
) -> LtiCourse:
    """Deep linking: the instructor picks one of the meetings or series they manage for the
    course (another user's is not found, as on the web)."""
    managed = scheduling_selectors.meetings_managed_by(user)
    if series_id is not None:
        meeting = managed.filter(series_id=series_id).order_by("start").first()
        if meeting is None:
            raise LaunchRefused("not_found")
        course.series, course.meeting = meeting.series, None
    else:
        meeting = scheduling_selectors.meeting_for_manager(user, meeting_id)
        course.series, course.meeting = meeting.series, (None if meeting.series_id else meeting)
    course.save(update_fields=["series", "meeting"])
    return course


class WindowLink(DeepLinkResource):
    """A resource link that the platform opens in a new window: the portal's pages refuse to
    be framed (the content security policy's ``frame-ancestors 'none'``), which protects the
    join page and the room from clickjacking."""

    def to_dict(self) -> dict[str, object]:
        return {**super().to_dict(), "window": {"targetName": "_blank"}}


# --- names and roles ----------------------------------------------------------------------
def course_member_addresses(launch: DjangoMessageLaunch) -> list[str]:
    """The active learners' and instructors' addresses from the names and roles service."""
    if not launch.has_nrps():
        raise LaunchRefused("no_nrps")
    try:
        members = launch.get_nrps().get_members()
    except (LtiException, requests.RequestException) as error:
        logger.info("lti names and roles failed: %s", type(error).__name__)
        raise LaunchRefused("nrps_failed") from error
    addresses = {
        str(member.get("email", "")).strip().lower()
        for member in members
        if member.get("status", "Active") == "Active" and member.get("email")
    }
    return sorted(addresses)


# --- dynamic registration -----------------------------------------------------------------
@dataclass
class ToolUrls:
    login: str
    launch: str
    jwks: str
    deep_link: str
    domain: str


def register_dynamically(
    *, openid_configuration: str, registration_token: str, urls: ToolUrls, name: str, roles: dict
) -> LtiPlatform:
    """LTI Dynamic Registration: read the platform's configuration, register the tool at its
    registration endpoint and keep the platform with the client ID it assigned."""
    try:
        config = requests.get(openid_configuration, timeout=10).json()
        body = {
            "application_type": "web",
            "response_types": ["id_token"],
            "grant_types": ["implicit", "client_credentials"],
            "initiate_login_uri": urls.login,
            "redirect_uris": [urls.launch, urls.deep_link],
            "client_name": name,
            "jwks_uri": urls.jwks,
            "token_endpoint_auth_method": "private_key_jwt",
            "scope": "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
            "https://purl.imsglobal.org/spec/lti-tool-configuration": {
                "domain": urls.domain,
                "target_link_uri": urls.launch,
                "claims": ["iss", "sub", "name", "given_name", "family_name", "email"],
                "messages": [
                    {"type": "LtiResourceLinkRequest"},
                    {"type": "LtiDeepLinkingRequest", "target_link_uri": urls.launch},
                ],
            },
        }
        headers = {"Content-Type": "application/json"}
        if registration_token:
            headers["Authorization"] = f"Bearer {registration_token}"
        answer = requests.post(
            config["registration_endpoint"], data=json.dumps(body), headers=headers, timeout=10
        )
        answer.raise_for_status()
        registered = answer.json()
        tool_configuration = registered.get(
            "https://purl.imsglobal.org/spec/lti-tool-configuration", {}
        )
        deployment = tool_configuration.get("deployment_id")
        return LtiPlatform.objects.create(
            name=name,
            issuer=config["issuer"],
            client_id=registered["client_id"],
            deployment_ids=[deployment] if deployment else [],
            auth_login_url=config["authorization_endpoint"],
            auth_token_url=config["token_endpoint"],
            key_set_url=config["jwks_uri"],
            **roles,
        )
    except (requests.RequestException, ValueError, KeyError, TypeError) as error:
        logger.info("lti dynamic registration failed: %s", type(error).__name__)
        raise LaunchRefused("registration_failed") from error
