"""Shared fixtures: real services when configured, Debian's Chromium for browser tests.

Without ``DATABASE_URL``/``REDIS_URL`` the suite runs on SQLite and in-process layers; tests
marked ``postgres`` or ``redis`` then skip with a reason. CI sets both.
"""

import os
import shutil

# Playwright's sync API runs an event loop in the test thread; Django must still allow ORM use
# there (docs/ARCHITECTURE.md, facts about the stack). Tests use plain static storage (no
# collectstatic needed).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
os.environ.setdefault("STATIC_MANIFEST", "false")

import pytest  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402

from tests.janus_process import janus_installed, start_janus  # noqa: E402

# Browser tests run the portal in an ASGI server subprocess (websockets), which must see the
# test database: on SQLite that means a file, not Django's default in-memory test database.
if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    import tempfile  # noqa: E402

    _test_db = settings.DATABASES["default"].setdefault("TEST", {})
    if not _test_db.get("NAME"):
        _test_db["NAME"] = os.path.join(tempfile.gettempdir(), f"portal-test-{os.getpid()}.sqlite3")

CHROMIUM = "/usr/bin/chromium"
# How long a browser test waits for a state (an element, a text, a page) before it fails; the
# one place for it: pages and ``expect`` get it in ``new_page``, tests pass no timeouts. Live
# updates cross an ASGI server and the channel layer, which on a busy machine takes seconds.
BROWSER_TIMEOUT_MS = 15_000
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    # media tests: fake camera and microphone, no permission prompt, and real loopback ICE
    # candidates instead of mDNS names (Janus is told to ignore mDNS)
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--autoplay-policy=no-user-gesture-required",
]


def pytest_configure(config: pytest.Config) -> None:
    # WhiteNoise warns about a missing STATIC_ROOT on every request; tests serve static files
    # through the finders, so an empty directory is all it needs.
    os.makedirs(settings.STATIC_ROOT, exist_ok=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL (CI does)")
    skip_redis = pytest.mark.skip(reason="needs Redis: set REDIS_URL (CI does)")
    skip_browser = pytest.mark.skip(reason=f"needs Debian's Chromium at {CHROMIUM}")
    has_browser = shutil.which(CHROMIUM) is not None
    skip_janus = pytest.mark.skip(
        reason="needs Debian's janus, janus-tools and ffmpeg (scripts/bootstrap --with-browser)"
    )
    has_janus = janus_installed() and shutil.which("janus-pp-rec") and shutil.which("ffmpeg")
    for item in items:
        if "postgres" in item.keywords and not settings.USES_POSTGRESQL:
            item.add_marker(skip_pg)
        if "redis" in item.keywords and not settings.REDIS_URL:
            item.add_marker(skip_redis)
        if "browser" in item.keywords and not has_browser:
            if os.environ.get("CI"):
                raise pytest.UsageError(f"CI must have Debian's Chromium at {CHROMIUM}")
            item.add_marker(skip_browser)
        if "janus" in item.keywords and not has_janus:
            if os.environ.get("CI"):
                raise pytest.UsageError("CI must have Debian's janus, janus-tools and ffmpeg")
            item.add_marker(skip_janus)
    # Playwright's sync API leaves an event loop running in the test thread for the rest of the
    # session, which breaks asyncio tests after it: in one process browser tests run last.
    # Parallel workers (``--dist loadfile``) take whole files, the largest first, so asyncio
    # code in tests runs in a thread of its own (tests/meetings/live/test_reconnect.py,
    # ``run_in_own_loop``, ``in_own_loop``).
    items.sort(key=lambda item: "browser" in item.keywords)


# Parallel workers share one Redis database (cache and channel layer) while each has its own
# test database, whose meetings share primary keys: each worker keeps its cache keys and its
# channel-layer groups under its own prefix (also in the servers it starts as subprocesses,
# through the environment) and deletes only those, never the whole database.
if settings.REDIS_URL:
    _prefix = f"portal-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    os.environ["REDIS_KEY_PREFIX"] = _prefix
    settings.REDIS_KEY_PREFIX = _prefix
    settings.CACHES["default"]["KEY_PREFIX"] = _prefix
    settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = f"{_prefix}-asgi"


@pytest.fixture(scope="session", autouse=True)
def _saml_sp_keys(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The SAML SP key pair of this test session, never the developer's ``var/saml-sp/``
    (subprocesses, such as the ASGI server, inherit it through the environment)."""
    directory = str(tmp_path_factory.mktemp("saml-sp-keys"))
    os.environ["SAML_SP_KEY_DIR"] = directory
    settings.SAML_SP_KEY_DIR = directory


@pytest.fixture(scope="session", autouse=True)
def _session_deletion_journal(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Servers started as subprocesses (Celery, ASGI) journal deletions into the session's
    folder, never the developer's ``var/retention-journal/``."""
    os.environ["RETENTION_JOURNAL_DIR"] = str(tmp_path_factory.mktemp("retention-journal"))


@pytest.fixture(autouse=True)
def deletion_journal(settings, tmp_path_factory: pytest.TempPathFactory):
    """Each test has its own deletion journal: one test's deletions never re-delete rows of
    another test that happen to share a primary key."""
    directory = tmp_path_factory.mktemp("journal")
    settings.RETENTION_JOURNAL_DIR = str(directory)
    return directory


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    """Rate-limit counters live in the shared cache; they must not leak between tests."""
    if settings.REDIS_URL:
        client = cache._cache.get_client(write=True)
        keys = list(client.scan_iter(match=f"{cache.key_prefix}:*"))
        if keys:
            client.delete(*keys)
    else:
        cache.clear()


@pytest.fixture(scope="session")
def browser():
    """One headless Debian Chromium for the session; never a downloaded browser."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def janus_server():
    """One Janus of our own per test worker (free ports, test secrets, temporary folder)."""
    running = start_janus()
    yield running
    running.stop()


@pytest.fixture
def janus(janus_server, settings):
    """The portal configured for the test Janus: the Janus backend, its servers and secrets."""
    settings.MEETINGS_BACKEND = "meetings.backends.janus.JanusBackend"
    settings.JANUS_SERVERS = [
        {
            "api": janus_server.api_url,
            "admin": janus_server.admin_url,
            "public": janus_server.api_url,
        }
    ]
    settings.JANUS_API_SECRET = janus_server.api_secret
    settings.JANUS_ADMIN_SECRET = janus_server.admin_secret
    settings.JANUS_ROOM_KEY = janus_server.room_key
    settings.JANUS_RECORDINGS_DIR = janus_server.recordings_dir
    return janus_server


@pytest.fixture
def new_page(browser):
    """Factory for pages in separate browser contexts (one per person)."""
    from playwright.sync_api import expect

    expect.set_options(timeout=BROWSER_TIMEOUT_MS)
    contexts = []

    def make(locale: str = "en-GB", permissions: list[str] | None = None):
        context = browser.new_context(locale=locale, permissions=permissions or [])
        context.set_default_timeout(BROWSER_TIMEOUT_MS)
        context.set_default_navigation_timeout(BROWSER_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def recordings_storage(settings, tmp_path):
    """Recordings go to a temporary folder per test."""
    settings.STORAGES = {
        **settings.STORAGES,
        "recordings": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "recordings"},
        },
    }
    # the file field resolved its storage when the model was loaded: point it at the new one
    from django.core.files.storage import storages

    from meetings.recordings.models import Recording

    field = Recording._meta.get_field("file")
    previous, field.storage = field.storage, storages["recordings"]
    yield tmp_path / "recordings"
    field.storage = previous


@pytest.fixture
def demo_institution(db, settings):
    """The demo institution of ``manage.py demo_data`` (roles, licence types, pools, admin),
    without the demo consent text: tests publish the texts they need (``published_text``)."""
    from django.core.management import call_command

    from portal.identity import demo
    from portal.identity.models import Institution

    sections = dict(demo.DEMO_DATA_SECTIONS)
    demo.DEMO_DATA_SECTIONS.pop("consent_text", None)
    debug, settings.DEBUG = settings.DEBUG, True  # the command refuses a known password otherwise
    try:
        call_command("demo_data", verbosity=0)
    finally:
        settings.DEBUG = debug
        demo.DEMO_DATA_SECTIONS.update(sections)
    return Institution.current()


@pytest.fixture
def dev_idp_on_live_server(demo_institution, live_server, settings, tmp_path) -> None:
    """The development IdP of ``scripts/run`` (real SAML), answering at the live server's
    address, for browser tests that log in through it."""
    from django.core.management import call_command

    settings.DEV_IDP_ENABLED = True
    settings.DEV_IDP_KEY_DIR = str(tmp_path / "dev-idp")
    settings.PORTAL_BASE_URL = live_server.url
    call_command("register_dev_idp", verbosity=0)


@pytest.fixture
def in_process_channel_layer(settings) -> None:
    """Channels' in-process layer for consumer tests driven by ``WebsocketCommunicator``.

    Those tests run the consumers on pytest-asyncio's event loop, which cancels whatever is left
    when a test ends; channels-redis' shielded blocking read does not always come back from such
    a cancellation, and one such test could hang a whole run. Delivery through Redis between
    server processes is proven where it matters: ``tests/meetings/live/test_two_servers.py`` and
    the browser tests, whose ASGI servers use the real Redis layer.
    """
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture
def admin_client(db, admin_user, client):
    """pytest-django's ``admin_client``, logged in past the second factor the admin needs."""
    from tests.factories import pass_second_factor

    pass_second_factor(client, admin_user)
    return client


@pytest.fixture
def celery_inline():
    """Celery runs tasks inline for this test (retries too, without their countdown), also
    when REDIS_URL makes the broker real."""
    from celery import current_app

    before = current_app.conf.task_always_eager, current_app.conf.task_eager_propagates
    current_app.conf.task_always_eager = current_app.conf.task_eager_propagates = True
    yield
    current_app.conf.task_always_eager, current_app.conf.task_eager_propagates = before


@pytest.fixture
def after_commit(celery_inline, django_capture_on_commit_callbacks):
    """``with after_commit():`` runs what the block queued for after its transaction's commit
    (mail through Celery), as the commit of a real request would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
