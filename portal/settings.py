"""Settings of the portal, read from the environment with embedded defaults.

Without any variable the portal runs on a bare machine: SQLite under the project, in-process
cache and channel layer, Celery tasks inline, mail on the console. With ``DATABASE_URL`` and
``REDIS_URL`` it runs on PostgreSQL and Redis, as in production and CI. One file for every
environment, so that nothing drifts apart.
"""

import base64
import hashlib
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)

_DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production-0123456789abcdefghij"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
# Host names (or addresses) a load balancer's probe of /healthz may use on an upstream process,
# answered over plain HTTP without the HTTPS redirect (portal/health.py).
HEALTH_CHECK_HOSTS = env.list("HEALTH_CHECK_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The public base URL (scheme and host) used in invitations, calendar files and SAML metadata.
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
# The institution's own mail domains: members log in by SSO only, invitations may go there.
INSTITUTION_NAME = env.str("INSTITUTION_NAME", default="Demo University")
INSTITUTION_DOMAINS = env.list("INSTITUTION_DOMAINS", default=["uni.example"])

INSTALLED_APPS = [
    # daphne first, before staticfiles (daphne.E001): runserver then serves ASGI and websockets
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.saml",
    "allauth.mfa",
    "guardian",
    "django_celery_beat",
    "channels",
    "django_htmx",
    "csp",
    # our apps, from the bottom of the dependency chain up:
    # integrations → consent → meetings → portal → retention
    "retention",
    "portal.identity",
    "meetings",
    "consent",
    "integrations",
]

MIDDLEWARE = [
    # /healthz straight from a load balancer: before the HTTPS redirect and the host check
    "portal.health.HealthCheckMiddleware",
    "portal.observability.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "portal.identity.sso.csp.IdPFormActionMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # the portal's 404 page while DEBUG is on (portal/not_found.py)
    "portal.not_found.PortalNotFoundMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "portal.identity.second_factor.AdminSecondFactorMiddleware",
    "portal.identity.sso.middleware.TermsAcceptanceMiddleware",
    "portal.identity.rights.middleware.AgeConfirmationMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

# The features inside the meetings app keep their own templates and static files
# (meetings/<feature>/templates/, meetings/<feature>/static/), found beside the apps' own.
MEETINGS_FEATURE_DIRS = sorted(path for path in (BASE_DIR / "meetings").iterdir() if path.is_dir())
# the integrations app is made of features the same way (integrations/api/, integrations/lti/)
INTEGRATIONS_FEATURE_DIRS = sorted(
    path for path in (BASE_DIR / "integrations").iterdir() if (path / "__init__.py").is_file()
)

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [
            BASE_DIR / "templates",
            *(
                path / "templates"
                for path in [*MEETINGS_FEATURE_DIRS, *INTEGRATIONS_FEATURE_DIRS]
                if (path / "templates").is_dir()
            ),
        ],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.identity.context_processors.portal",
            ],
            # template tag libraries of the features (a feature has no app of its own)
            "libraries": {
                "polls_room": "meetings.polls.templatetags",
                "recording_tags": "meetings.recordings.templatetags",
                # the administrator's dashboard (wiring: it links every app's tasks)
                "portal_admin": "portal.admin_dashboard",
            },
        },
    },
]

# Django's technical 404 page (URL patterns) instead of the portal's, for developers only
DEBUG_TECHNICAL_404 = env.bool("DEBUG_TECHNICAL_404", default=False)

# one date and time format per language (portal/formats/, docs/DESIGN-SYSTEM.md)
FORMAT_MODULE_PATH = ["portal.formats"]

# widget templates: Django's, with the portal's accessible overrides first
FORM_RENDERER = "portal.forms_renderer.PortalFormRenderer"

# --- database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env.bool(
    "DATABASE_POOL", default=False
):
    # Under ASGI every request has its own thread, so CONN_MAX_AGE does not reuse connections;
    # psycopg's pool does (docs/ARCHITECTURE.md, facts about the stack).
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 2,
        "max_size": env.int("DATABASE_POOL_MAX", default=20),
    }
else:
    # gunicorn's sync workers (portal-http@, docs/ARCHITECTURE.md, serving) serve one request
    # at a time in one thread: a persistent connection per worker costs no pool.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USES_POSTGRESQL = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

# --- Redis: cache, channel layer, Celery broker ---------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# The cache's keys and the channel layer's groups start with it: portals (or parallel test
# workers with their own databases, whose meetings share primary keys) that share one Redis
# database never see each other's counters, snapshots or room messages.
REDIS_KEY_PREFIX = env.str("REDIS_KEY_PREFIX", default="portal")

if REDIS_URL:
    CACHES = {
        "default": {
            # one Redis connection pool per process, not one per async context (portal/cache.py)
            "BACKEND": "portal.cache.SharedRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_KEY_PREFIX,
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py caps its pool at 100 connections and times out after 5 s, the same as
                # channels-redis' blocking read: both fail at a few hundred websockets.
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "max_connections": env.int("REDIS_MAX_CONNECTIONS", default=2000),
                        "socket_timeout": 30,
                        "socket_connect_timeout": 5,
                    }
                ],
                "prefix": f"{REDIS_KEY_PREFIX}-asgi",
                "capacity": 1500,
                "expiry": 60,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis redelivers an unacknowledged task after the visibility timeout: keep it above the
# longest task and never schedule countdowns beyond it.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 6 * 3600}
# Purge runs (retention/services.py): a live run renews its heartbeat this often; a run
# silent for longer is dead and resumed by the sweeper (every minute) or the next message.
RETENTION_HEARTBEAT_SECONDS = env.float("RETENTION_HEARTBEAT_SECONDS", default=15)
RETENTION_STALE_RUN_SECONDS = env.float("RETENTION_STALE_RUN_SECONDS", default=90)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- identity -------------------------------------------------------------------------------
AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

SITE_ID = 1
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_ADAPTER = "portal.identity.sso.adapters.PortalAccountAdapter"
ACCOUNT_FORMS = {"login": "portal.identity.sso.forms.LocalLoginForm"}
# Local login: break-glass admins (created by command) and, if enabled, external guests.
# Members come by SSO; an address of the institution's domains never logs in locally.
LOCAL_GUEST_ACCOUNTS = env.bool("LOCAL_GUEST_ACCOUNTS", default=False)
ACCOUNT_ALLOW_SIGNUPS = env.bool("ACCOUNT_ALLOW_SIGNUPS", default=False)
ACCOUNT_SIGNUP_FIELDS = (
    ["email*", "username*", "password1*", "password2*"]
    if LOCAL_GUEST_ACCOUNTS
    else ["username*", "password1*", "password2*"]
)
# A second factor for local accounts (allauth's MFA), required for the admin
# (portal/identity/second_factor.py): an authenticator app (TOTP), security keys (WebAuthn,
# not as a passwordless login) and recovery codes.
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_TOTP_ISSUER = env.str("MFA_TOTP_ISSUER", default="Meeting portal")
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = env.bool("MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN", default=False)

SOCIALACCOUNT_ADAPTER = "portal.identity.sso.adapters.PortalSocialAccountAdapter"
SOCIALACCOUNT_ONLY = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # an e-mail address never links accounts
SOCIALACCOUNT_PROVIDERS: dict = {"saml": {}}  # one SocialApp per IdP: `manage.py add_idp`
# Deprovisioning: SSO accounts unused this long lose their licence and are queued for
# deletion; the retention engine deletes them this many days later.
SSO_INACTIVE_DAYS = env.int("SSO_INACTIVE_DAYS", default=365)
ACCOUNT_DELETION_GRACE_DAYS = env.int("ACCOUNT_DELETION_GRACE_DAYS", default=30)

# The deletion journal (retention/journal.py, docs/BACKUP.md): every deletion is also appended
# here, outside the database, so that a restored backup cannot bring erased data back. Back this
# folder up separately from the database and more often; keep its lines at least as long as the
# oldest database backup.
RETENTION_JOURNAL_DIR = env.str(
    "RETENTION_JOURNAL_DIR", default=str(BASE_DIR / "var" / "retention-journal")
)
RETENTION_JOURNAL_KEEP_DAYS = env.int("RETENTION_JOURNAL_KEEP_DAYS", default=400)
# Items per batch of the nightly purge (retention/services.py::purge_batch_size), chosen with
# benchmarks/purge_chat.py (README, "Benchmarks"): concurrent inserts into the purged table
# waited at most 50 ms at this size, and larger batches were no faster while holding their rows
# longer; a category's max_batch_size bounds it.
RETENTION_PURGE_BATCH_SIZE = env.int("RETENTION_PURGE_BATCH_SIZE", default=5000)
# The development IdP (pysaml2) at /dev-idp/, with the demo people; never in production.
DEV_IDP_ENABLED = env.bool("DEV_IDP_ENABLED", default=DEBUG)
DEV_IDP_KEY_DIR = env.str("DEV_IDP_KEY_DIR", default=str(BASE_DIR / "var" / "dev-idp"))
XMLSEC1_BINARY = env.str("XMLSEC1_BINARY", default="/usr/bin/xmlsec1")
# The SAML service provider's key pair (signing AuthnRequests, decrypting assertions): files,
# generated at first use, never in the database (docs/POLICY.md, security baseline).
SAML_SP_KEY_DIR = env.str("SAML_SP_KEY_DIR", default=str(BASE_DIR / "var" / "saml-sp"))
# How long the SP metadata stays valid (validUntil) and how long an IdP may cache it.
SAML_SP_METADATA_VALID_DAYS = env.int("SAML_SP_METADATA_VALID_DAYS", default=365)
SAML_SP_METADATA_CACHE_HOURS = env.int("SAML_SP_METADATA_CACHE_HOURS", default=24)
# A federation's metadata signing certificate (PEM file) for aggregates given by URL to add_idp.
SAML_FEDERATION_CERT = env.str("SAML_FEDERATION_CERT", default="")

GUARDIAN_RAISE_403 = False
GUARDIAN_RENDER_403 = False
ANONYMOUS_USER_NAME = None  # no AnonymousUser row: anonymous users never get object permissions

# --- i18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("German")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Berlin")
USE_I18N = True
USE_TZ = True

# --- static files and storage ---------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    *(path / "static" for path in MEETINGS_FEATURE_DIRS if (path / "static").is_dir()),
    # janus.js and adapter.js from Debian's packages (libjs-janus-gateway,
    # libjs-webrtc-adapter): served by the portal itself, the same version as the server
    *(
        (prefix, folder)
        for prefix, folder in (
            ("janus-gateway", Path("/usr/share/javascript/janus-gateway")),
            ("webrtc-adapter", Path("/usr/share/javascript/webrtc-adapter")),
        )
        if folder.is_dir()
    ),
]
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
# Recordings never get a public URL: downloads go through a permission-checked view. No URL
# route serves this prefix (only Django's test live server would).
MEDIA_URL = "/nonpublic/"
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": "/nonpublic/"},
    },
    "recordings": {
        "BACKEND": env.str(
            "RECORDINGS_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"
        ),
        "OPTIONS": {"location": MEDIA_ROOT / "recordings", "base_url": "/nonpublic/"},
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.bool("STATIC_MANIFEST", default=not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        ),
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # larger uploads stream to a temporary file
RECORDING_MAX_UPLOAD_BYTES = env.int("RECORDING_MAX_UPLOAD_BYTES", default=8 * 1024**3)
# policy row "deleted 7 days after a required consent is revoked"
RECORDING_DELETION_AFTER_WITHDRAWAL_DAYS = env.int(
    "RECORDING_DELETION_AFTER_WITHDRAWAL_DAYS", default=7
)
# Data-subject rights (docs/POLICY.md, "rights"): an archive of a person's data is deleted this
# many days after it was requested (the default rule of the "data_exports" category); an
# erasure is carried out in batches of this size.
DATA_EXPORT_RETENTION_DAYS = env.int("DATA_EXPORT_RETENTION_DAYS", default=7)
ERASURE_BATCH_SIZE = env.int("ERASURE_BATCH_SIZE", default=500)
# How to reach the data-protection officer, shown on the privacy notice (an address or a page).
DATA_PROTECTION_OFFICER_CONTACT = env.str("DATA_PROTECTION_OFFICER_CONTACT", default="")
# Bearer token(s) of the conferencing backends that deliver recordings to the ingest API;
# empty means the API refuses every delivery.
RECORDING_INGEST_TOKENS = env.list("RECORDING_INGEST_TOKENS", default=[])

# --- REST API (integrations/api/) -------------------------------------------------------------
# requests per token and minute, counted in the shared cache; over it: 429 with Retry-After
API_RATE_LIMIT_PER_MINUTE = env.int("API_RATE_LIMIT_PER_MINUTE", default=120)

# The internal nginx location that serves MEDIA_ROOT/recordings (deploy/nginx/portal.conf):
# when set, a permitted download is answered with X-Accel-Redirect and nginx sends the file
# (byte ranges, sendfile); empty means the portal streams it itself in chunks.
RECORDINGS_ACCEL_REDIRECT_PREFIX = env.str("RECORDINGS_ACCEL_REDIRECT_PREFIX", default="")

# SCIM 2.0 for leavers (portal/identity/scim.py): bearer tokens of the identity management;
# empty: the endpoint refuses everyone.
SCIM_BEARER_TOKENS = env.list("SCIM_BEARER_TOKENS", default=[])
_portal_url = urlsplit(PORTAL_BASE_URL)
SCIM_SERVICE_PROVIDER = {
    "NETLOC": _portal_url.netloc,
    "SCHEME": _portal_url.scheme or "https",
    "USER_ADAPTER": "portal.identity.scim.PortalSCIMUser",
    "AUTH_CHECK_MIDDLEWARE": "portal.identity.scim.ScimBearerTokenCheck",
    "AUTHENTICATION_SCHEMES": [
        {
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "A token of SCIM_BEARER_TOKENS in the Authorization header",
        }
    ],
    "WWW_AUTHENTICATE_HEADER": 'Bearer realm="portal-scim"',
}
# --- conferencing backend (docs/ARCHITECTURE.md, backends) -----------------------------------
# The built-in backend carries no media; scripts/run chooses the Janus backend.
MEETINGS_BACKEND = env.str("MEETINGS_BACKEND", default="meetings.backends.builtin.BuiltinBackend")


def _janus_servers(value: str) -> list[dict[str, str]]:
    """``api|admin|public`` per server, servers separated by ``;`` (public defaults to api)."""
    servers = []
    for entry in filter(None, (part.strip() for part in value.split(";"))):
        parts = [part.strip() for part in entry.split("|")]
        if len(parts) < 2:
            raise ImproperlyConfigured("JANUS_SERVERS: each server needs 'api URL|admin URL'")
        servers.append({"api": parts[0], "admin": parts[1], "public": (parts[2:] or [parts[0]])[0]})
    return servers


JANUS_SERVERS = _janus_servers(
    env.str("JANUS_SERVERS", default="http://127.0.0.1:8088/janus|http://127.0.0.1:7088/admin")
)


def _derived_secret(purpose: str) -> str:
    if not DEBUG and "janus" in MEETINGS_BACKEND.lower():
        raise ImproperlyConfigured(f"set {purpose} for the Janus backend in production")
    return hashlib.sha256(f"{purpose}:".encode() + SECRET_KEY.encode()).hexdigest()


# Never reach a browser: the portal's own requests (API), the Admin API (tokens), and the key
# from which rooms' secrets, the VideoRoom admin key and participants' tokens derive.
JANUS_API_SECRET = env.str("JANUS_API_SECRET", default="") or _derived_secret("JANUS_API_SECRET")
JANUS_ADMIN_SECRET = env.str("JANUS_ADMIN_SECRET", default="") or _derived_secret(
    "JANUS_ADMIN_SECRET"
)
JANUS_ROOM_KEY = env.str("JANUS_ROOM_KEY", default="") or _derived_secret("JANUS_ROOM_KEY")
# Where Janus writes recordings (a folder the portal's workers read: same machine or a share).
JANUS_RECORDINGS_DIR = Path(
    env.str("JANUS_RECORDINGS_DIR", default=str(BASE_DIR / "var" / "janus" / "recordings"))
)
JANUS_TIMEOUT_SECONDS = env.float("JANUS_TIMEOUT_SECONDS", default=5.0)
# TURN (coturn with use-auth-secret): URLs given to browsers with time-limited credentials.
TURN_URLS = env.list("TURN_URLS", default=[])
TURN_SECRET = env.str("TURN_SECRET", default="")
TURN_CREDENTIAL_TTL_SECONDS = env.int("TURN_CREDENTIAL_TTL_SECONDS", default=12 * 3600)
# Zoom (MEETINGS_BACKEND="meetings.backends.zoom.ZoomBackend"; nothing of Zoom runs otherwise):
# Zoom: a Server-to-Server OAuth app of the institution's account. The secrets come only from
# the environment and are never logged.
ZOOM_ACCOUNT_ID = env.str("ZOOM_ACCOUNT_ID", default="")
ZOOM_CLIENT_ID = env.str("ZOOM_CLIENT_ID", default="")
ZOOM_CLIENT_SECRET = env.str("ZOOM_CLIENT_SECRET", default="")
ZOOM_WEBHOOK_SECRET = env.str("ZOOM_WEBHOOK_SECRET", default="")
ZOOM_API_BASE_URL = env.str("ZOOM_API_BASE_URL", default="https://api.zoom.us/v2")
ZOOM_OAUTH_URL = env.str("ZOOM_OAUTH_URL", default="https://zoom.us/oauth/token")
# Requests per second the portal allows itself for bulk work (the nightly reconciliation):
# below Zoom's Medium limit of a Business+ account (60/s), leaving room for other apps.
ZOOM_BULK_QPS = env.float("ZOOM_BULK_QPS", default=40.0)
# Zoom user type for each portal licence type (slug=1 Basic, 2 Licensed); a type not named
# here is Licensed when it has no time limit, else Basic.
# Zoom registers every admitted person under an e-mail address; guests have none, so they get
# a random one at this domain (README, Zoom: use a domain the institution owns whose mail is
# discarded; Zoom sends nothing there, the meetings' registration e-mails are off).
ZOOM_GUEST_EMAIL_DOMAIN = env.str("ZOOM_GUEST_EMAIL_DOMAIN", default="guest.invalid")
ZOOM_USER_TYPES = env.dict("ZOOM_USER_TYPES", cast={"value": int}, default={})
# Which ICE candidates browsers may use: "all" (direct first, TURN when nothing else works) or
# "relay" (every stream through TURN: networks that must not see participants' addresses, and
# the test that proves TURN carries media).
MEDIA_ICE_TRANSPORT_POLICY = env.str("MEDIA_ICE_TRANSPORT_POLICY", default="all")
if MEDIA_ICE_TRANSPORT_POLICY not in ("all", "relay"):
    raise ImproperlyConfigured('MEDIA_ICE_TRANSPORT_POLICY is "all" or "relay"')


# --- secrets at rest (docs/OPERATIONS.md, secrets and key rotation) --------------------------
# Each key has its own variable, so that rotating SECRET_KEY (sessions, signed cookies) changes
# none of them. Required when DEBUG is off: the system checks (``check --deploy``, ``migrate``)
# name each one missing. In development they are derived from SECRET_KEY (the same values as
# before they were separate, so existing development data stays readable).
def _development_secret(name: str, derive: Callable[[], str]) -> str:
    value = env.str(name, default="")
    if value or not DEBUG:
        return value
    return derive()


# Passcodes are stored encrypted (the host must be able to read and send them): a Fernet key;
# old keys stay readable (MultiFernet) until ``manage.py rotate_keys`` re-encrypted everything.
PASSCODE_ENCRYPTION_KEY = _development_secret(
    "PASSCODE_ENCRYPTION_KEY",
    lambda: base64.urlsafe_b64encode(
        hashlib.sha256(b"passcode-key:" + SECRET_KEY.encode()).digest()
    ).decode(),
)
PASSCODE_ENCRYPTION_OLD_KEYS = env.list("PASSCODE_ENCRYPTION_OLD_KEYS", default=[])
# Key of the pseudonymous subject references in consent evidence, "<version>:<secret>"
# (retention/keyring.py); old versions stay listed for the references made under them.
CONSENT_SUBJECT_KEY = _development_secret(
    "CONSENT_SUBJECT_KEY",
    lambda: hashlib.sha256(b"consent-subject:" + SECRET_KEY.encode()).hexdigest(),
)
CONSENT_SUBJECT_OLD_KEYS = env.list("CONSENT_SUBJECT_OLD_KEYS", default=[])
# Key of the deletion log's item references (the proof that an item was deleted).
RETENTION_REFERENCE_SECRET = _development_secret("RETENTION_REFERENCE_SECRET", lambda: SECRET_KEY)
RETENTION_REFERENCE_OLD_SECRETS = env.list("RETENTION_REFERENCE_OLD_SECRETS", default=[])
# Treat a missing secret as an error even with DEBUG on (set by tests of the checks).
SECRETS_REQUIRED = env.bool("SECRETS_REQUIRED", default=False)

# --- mail -----------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="meetings@uni.example")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- security -------------------------------------------------------------------------------
# The client address is taken from the proxy's header only when the proxy is trusted.
TRUSTED_PROXY = env.bool("TRUSTED_PROXY", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if TRUSTED_PROXY:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Submitting a domain to the browsers' HSTS preload list is the operator's decision, made
    # once per domain; the portal does not ask for it by default.
    SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]


def _janus_origins(servers: list[dict[str, str]]) -> list[str]:
    """The origins browsers connect to for media signalling (only with the Janus backend)."""
    if "janus" not in MEETINGS_BACKEND.lower():
        return []
    from urllib.parse import urlsplit

    origins = []
    for server in servers:
        parts = urlsplit(server["public"])
        if parts.scheme and parts.netloc:
            origins.append(f"{parts.scheme}://{parts.netloc}")
    return sorted(set(origins))


# Strict Content-Security-Policy: everything comes from the portal itself, inline scripts
# only with the per-request nonce. ``form-action`` is extended per response with exactly the
# registered IdPs' SSO and logout endpoints (portal/identity/sso/csp.py), so that the redirect
# to the IdP after the login and logout buttons' POST is allowed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        # the Janus servers' public URLs (HTTP and WebSocket), exactly, never a wildcard
        "connect-src": [SELF, *_janus_origins(JANUS_SERVERS)],
        "media-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- logging: no personal data --------------------------------------------------------------
# Request lines carry meeting join links and passcodes in their query strings, so the server's
# access log is not ours to keep; our own loggers log ids and counts, never names or addresses.
# Logs: plain text, or one JSON object per line with LOG_FORMAT=json (production); each line
# carries the request id (portal/observability.py) and never personal data.
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "portal.observability.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "portal.observability.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "django.channels.server": {"level": "WARNING"},
    },
}

# Error reports (optional): Sentry or a compatible service, personal data scrubbed first.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from portal.observability import init_sentry

    init_sentry(
        SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        release=env.str("SENTRY_RELEASE", default=""),
    )

# Prometheus metrics at /metrics (portal/metrics.py): a bearer token, or addresses allowed
# without one (the scraper's); neither set means the endpoint answers 404.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=[])
