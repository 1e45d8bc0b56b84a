"""API tokens: creation, revocation, authentication and the per-token rate limit.

Every REST operation acts with the rights of the token's owner, narrowed by the token's
scopes; the operations themselves call the same forms and services as the web pages
(``integrations/api/endpoints.py``), so the meeting policy exists once.
"""

import datetime
import hashlib
import logging
import math
import secrets
import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.timezone import now
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integrations.api.models import ApiToken
from portal.identity.models import User

logger = logging.getLogger(__name__)

TOKEN_PREFIX = "mgp_"  # noqa: S105 -- a marker that lets scanners spot leaked tokens
#: What a token may be allowed to do; each operation of the API needs one of these.
SCOPES: dict[str, str] = {
    "meetings:read": gettext_lazy("Read your meetings, series and invitations"),
    "meetings:write": gettext_lazy(
        "Schedule, change and delete your meetings and series, and send invitations"
    ),
    "participants:read": gettext_lazy("See who is in your running meetings (hosts)"),
    "polls:read": gettext_lazy("Read the aggregate results of your meetings' polls"),
    "recordings:read": gettext_lazy("Read and download the recordings you may view"),
    "licences:read": gettext_lazy("Read the licence report (administrators)"),
}
ADMIN_SCOPES = frozenset({"licences:read"})
#: Longest lifetimes: a personal token 90 days, a system's service token a year.
MAX_LIFETIME_DAYS = {ApiToken.Kind.PERSONAL: 90, ApiToken.Kind.SERVICE: 365}
#: ``last_used_at`` is written at most this often per token (not on every request).
LAST_USED_PRECISION = datetime.timedelta(minutes=1)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def may_create_service_tokens(user: User) -> bool:
    """Service tokens stand for a system rather than a person: administrators create them."""
    return bool(user.is_active and user.is_staff)


@transaction.atomic
def create_token(
    *, user: User, name: str, kind: str, scopes: list[str], lifetime_days: int
) -> tuple[ApiToken, str]:
    """Create a token and return it with its plain value, which is never stored or shown
    again. Rules: at least one known scope; the licence report's scope and service tokens
    are for administrators; a token always expires (90 days for a personal token, a year for
    a service token at most)."""
    name = " ".join(name.split())
    errors = []
    if not name:
        errors.append(_("Give the token a name."))
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        errors.append(_("Choose at least one of the listed scopes."))
    if kind not in ApiToken.Kind.values:
        errors.append(_("Choose a personal access token or a service token."))
    if errors:
        raise ValidationError(errors)
    if kind == ApiToken.Kind.SERVICE and not may_create_service_tokens(user):
        raise PermissionDenied(_("Only administrators create service tokens."))
    if ADMIN_SCOPES & set(scopes) and not user.is_staff:
        raise PermissionDenied(_("Only administrators may read the licence report."))
    maximum = MAX_LIFETIME_DAYS[kind]
    if not 1 <= lifetime_days <= maximum:
        raise ValidationError(
            _("A token of this kind is valid for 1 to %(days)d days.") % {"days": maximum}
        )
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        kind=kind,
        scopes=sorted(set(scopes)),
        token_hash=hash_token(raw),
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        expires_at=now() + datetime.timedelta(days=lifetime_days),
    )
    logger.info("api token created: pk=%s kind=%s", token.pk, kind)  # never the token
    return token, raw


def tokens_manageable_by(user: User) -> QuerySet[ApiToken]:
    """The user's own tokens; administrators also see every service token (so that any of
    them can revoke a system's token when the person who made it is away)."""
    condition = Q(user=user)
    if may_create_service_tokens(user):
        condition |= Q(kind=ApiToken.Kind.SERVICE)
    return ApiToken.objects.filter(condition).select_related("user")


def revoke_token(*, token: ApiToken) -> None:
    """Stop a token at once (idempotent: a revoked token keeps its first revocation time)."""
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now())
    token.refresh_from_db(fields=["revoked_at"])
    logger.info("api token revoked: pk=%s", token.pk)


def authenticate(raw: str) -> ApiToken | None:
    """The working token with this value (not revoked, not expired, its owner active)."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    moment = now()
    token = (
        ApiToken.objects.select_related("user", "user__role")
        .filter(
            token_hash=hash_token(raw),
            revoked_at__isnull=True,
            expires_at__gt=moment,
            user__is_active=True,
        )
        .first()
    )
    if token is None:
        return None
    if token.last_used_at is None or moment - token.last_used_at > LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=moment)
    return token


def take_request(token: ApiToken) -> int | None:
    """Count one request against the token's limit per minute (``API_RATE_LIMIT_PER_MINUTE``).

    Returns None while within the limit, else the seconds until the next window. A fixed
    window in the shared cache (Redis in production), so every process counts together.
    """
    limit = settings.API_RATE_LIMIT_PER_MINUTE
    moment = time.time()
    window = int(moment // 60)
    key = f"integrations.api.rate:{token.pk}:{window}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=120)
        count = 1
    if count > limit:
        return max(1, math.ceil((window + 1) * 60 - moment))
    return None
