"""The Prometheus endpoint: protected, and its series computed from the shared state."""

import asyncio
import datetime
from concurrent.futures import ThreadPoolExecutor

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.core.cache import cache
from django.utils.timezone import now
from prometheus_client.parser import text_string_to_metric_families

from meetings.live.models import Participant
from retention.models import PurgeRun
from tests.factories import admit, make_meeting, make_participant, make_user
from tests.waiting import wait_until

TOKEN = "scraper-token-0123456789"


def samples(response) -> dict:
    text = response.content.decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


@pytest.fixture
def scraper(client, settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_IPS = []

    def scrape():
        return client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    return scrape


@pytest.mark.django_db
def test_without_the_token_or_an_allowed_address_it_is_404(client, settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_IPS = ["10.1.2.0/24"]
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200


@pytest.mark.django_db
def test_nothing_configured_means_404(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = []
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


@pytest.mark.django_db
def test_rooms_waiting_and_admitted_are_counted(scraper):
    meeting = make_meeting(make_user("host"))
    admit(meeting, make_user("anna"))
    make_participant(meeting, name="Gast", guest_key="k1")
    make_meeting(make_user("other"), status="scheduled")
    values = samples(scraper())
    assert values[("portal_rooms_running", ())] == 1
    assert values[("portal_participants", (("state", "waiting"),))] == 1
    assert values[("portal_participants", (("state", "admitted"),))] == 1
    assert Participant.objects.count() == 2


@pytest.mark.django_db
def test_sso_failures_are_counted_by_reason(scraper):
    from portal.identity.sso.failures import count_sso_failure

    cache.clear()
    count_sso_failure("replay")
    count_sso_failure("replay")
    count_sso_failure("too_young")
    values = samples(scraper())
    assert values[("portal_sso_failures_total", (("reason", "replay"),))] == 2
    assert values[("portal_sso_failures_total", (("reason", "too_young"),))] == 1
    assert values[("portal_sso_failures_total", (("reason", "invalid"),))] == 0


@pytest.mark.django_db
def test_purges_report_their_last_success_per_category(scraper):
    from retention.registry import registry

    category = next(iter(registry)).identifier
    finished = now() - datetime.timedelta(hours=3)
    PurgeRun.objects.create(
        category=category, status=PurgeRun.Status.SUCCEEDED, finished_at=finished
    )
    values = samples(scraper())
    key = (("category", category),)
    assert values[("portal_purge_last_success_timestamp_seconds", key)] == pytest.approx(
        finished.timestamp()
    )
    assert 3 * 3600 <= values[("portal_purge_last_success_age_seconds", key)] < 3 * 3600 + 60
    others = [c.identifier for c in registry if c.identifier != category]
    assert values[("portal_purge_last_success_age_seconds", (("category", others[0]),))] == -1


@pytest.mark.redis
@pytest.mark.django_db
def test_the_celery_queue_length_is_read_from_the_broker(scraper, settings):
    import redis

    settings.CELERY_TASK_ALWAYS_EAGER = False
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    before = client.llen("celery")
    client.rpush("celery", b"{}")
    try:
        values = samples(scraper())
    finally:
        client.lrem("celery", 1, b"{}")
    assert values[("portal_celery_queue_length", (("queue", "celery"),))] == before + 1


def in_own_loop(coroutine_function):
    def test(*args, **kwargs):
        with ThreadPoolExecutor(max_workers=1) as executor:
            executor.submit(asyncio.run, coroutine_function(*args, **kwargs)).result(timeout=30)

    test.__name__ = coroutine_function.__name__
    return test


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("in_process_channel_layer")
@in_own_loop
async def test_open_websockets_are_counted_from_accept_to_close():
    from portal.metrics import open_websockets
    from portal.routing import websocket_urlpatterns

    @sync_to_async
    def setup():
        meeting = make_meeting(make_user("host"))
        anna = make_user("anna")
        admit(meeting, anna)
        return meeting, anna

    meeting, anna = await setup()
    before = await sync_to_async(open_websockets)()
    communicator = WebsocketCommunicator(
        URLRouter(websocket_urlpatterns), f"/ws/recording/{meeting.meeting_id}/"
    )
    communicator.scope["user"] = anna
    connected, _ = await communicator.connect()
    assert connected
    # published by the process' one task, not awaited by the handshake
    counted = await sync_to_async(wait_until)(
        lambda: open_websockets() == before + 1, timeout=5, interval=0.05
    )
    assert counted
    await communicator.disconnect()
    uncounted = await sync_to_async(wait_until)(
        lambda: open_websockets() == before, timeout=5, interval=0.05
    )
    assert uncounted
