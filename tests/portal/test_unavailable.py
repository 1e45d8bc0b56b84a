"""A service that is briefly away gets a translated 503 page with Retry-After, never Django's
bare "Server Error (500)"; an unexpected error gets a translated 500 page."""

import pytest
from django.test import Client
from django.urls import include, path

from tests.asgi_process import free_port, start_uvicorn
from tests.factories import make_meeting, make_user


def redis_at_a_closed_port() -> dict:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


@pytest.mark.django_db
def test_a_join_while_redis_is_away_gets_a_translated_503(settings):
    meeting = make_meeting(make_user("host"))
    settings.CACHES = redis_at_a_closed_port()
    client = Client(raise_request_exception=False)
    response = client.post(
        f"/meetings/join/{meeting.meeting_id}/",
        {
            "meeting_id": meeting.meeting_id,
            "passcode": "WRONG123",
            "display_name": "Gast",
            "age_confirmed": "on",
        },
        HTTP_ACCEPT_LANGUAGE="de",
    )
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    body = response.content.decode()
    assert "Kurz nicht erreichbar" in body
    assert "Server Error" not in body


@pytest.mark.django_db
def test_the_page_speaks_english_to_an_english_browser(settings):
    meeting = make_meeting(make_user("host"))
    settings.CACHES = redis_at_a_closed_port()
    client = Client(raise_request_exception=False)
    response = client.post(
        f"/meetings/join/{meeting.meeting_id}/",
        {
            "meeting_id": meeting.meeting_id,
            "passcode": "WRONG123",
            "display_name": "Guest",
            "age_confirmed": "on",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 503
    assert "Briefly unavailable" in response.content.decode()


def test_a_request_while_the_database_is_away_gets_503_from_a_real_server():
    """The ASGI server runs with its database on a port where nothing listens."""
    import urllib.error
    import urllib.request

    port, process = start_uvicorn(
        env={
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{free_port()}/portal",
            "DEBUG": "false",
            "SECRET_KEY": "test-only-secret-key-for-an-outage-test-0123456789",
            "STATIC_MANIFEST": "false",
            "SECURE_SSL_REDIRECT": "false",
        }
    )
    try:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/meetings/",
            headers={
                "Cookie": "sessionid=abcdefghijklmnopqrstuvwxyz012345",
                "Accept-Language": "en",
            },
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=20)  # noqa: S310 (http only)
        assert refused.value.code == 503
        assert refused.value.headers["Retry-After"] == "30"
        assert "Briefly unavailable" in refused.value.read().decode()
    finally:
        process.terminate()
        process.wait(timeout=20)


def boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", boom), path("", include("portal.urls"))]
handler500 = "portal.views.server_error"


def test_an_unexpected_error_gets_the_translated_500_page(settings):
    settings.ROOT_URLCONF = __name__
    response = Client(raise_request_exception=False).get("/boom/", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 500
    assert "Etwas ist schiefgegangen" in response.content.decode()
    assert "Retry-After" not in response
