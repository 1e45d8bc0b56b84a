"""The Janus backend against a real Janus (Debian's package, started by the tests).

Janus itself must refuse whoever the portal did not admit or has revoked: these tests talk to
Janus directly, as a browser would, with and without the credentials the portal hands out.
"""

import json
import secrets
import urllib.request

import pytest

from meetings.backends import get_backend
from meetings.backends.janus import (
    JanusClient,
    configured_servers,
    participant_token,
    room_secret,
)
from meetings.backends.models import JanusRoom
from meetings.live import services as services_live
from meetings.live.models import Participant
from tests.meetings.live.conftest import (  # noqa: F401 (the live room's fixtures)
    PASSCODE,
    _english,
    host,
    licences,
    make_meeting_fixture,
)

pytestmark = [pytest.mark.janus, pytest.mark.django_db]


def post(url: str, body: dict) -> dict:
    request = urllib.request.Request(
        url,
        json.dumps({**body, "transaction": secrets.token_hex(6)}).encode(),
        {"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        return json.loads(answer.read())


def poll_event(url: str, token: str) -> dict:
    with urllib.request.urlopen(f"{url}?token={token}&maxev=1", timeout=10) as answer:
        return json.loads(answer.read())


def join_as_browser(api: str, *, token: str, room: int, feed: int) -> dict:
    """What janus.js does: a session, a VideoRoom handle, a join as publisher."""
    created = post(api, {"janus": "create", "token": token})
    if created["janus"] == "error":
        return created
    session = created["data"]["id"]
    handle = post(
        f"{api}/{session}",
        {"janus": "attach", "plugin": "janus.plugin.videoroom", "token": token},
    )["data"]["id"]
    post(
        f"{api}/{session}/{handle}",
        {
            "janus": "message",
            "token": token,
            "body": {
                "request": "join",
                "ptype": "publisher",
                "room": room,
                "id": feed,
                "token": token,
            },
        },
    )
    event = poll_event(f"{api}/{session}", token)
    return {**event.get("plugindata", {}).get("data", {}), "session": session}


def admitted(meeting, name: str) -> Participant:
    result = services_live.join_meeting(
        meeting=meeting, user=None, passcode=PASSCODE, display_name=name
    )
    participant = result.participant
    Participant.objects.filter(pk=participant.pk).update(
        state=Participant.State.ADMITTED, admitted_at=meeting.started_at
    )
    participant.refresh_from_db()
    return participant


@pytest.fixture
def room_meeting(janus, make_meeting):
    return make_meeting(authenticated_only=False, waiting_room=True)


def test_a_room_is_created_with_its_secret_and_only_tokens_the_portal_added_get_in(
    janus, room_meeting
):
    backend = get_backend()
    info = backend.create_room(meeting=room_meeting)
    assert info.has_media
    room = JanusRoom.objects.get(meeting=room_meeting)
    anna = admitted(room_meeting, "Anna")

    credentials = services_live.media_credentials(meeting=room_meeting, participant=anna)
    assert set(credentials) == {
        "server",
        "token",
        "room",
        "feed",
        "ice_servers",
        "ice_transport_policy",
    }
    secrets_of_server = {janus.api_secret, janus.admin_secret, room_secret(room.room_id)}
    assert not secrets_of_server & set(map(str, credentials.values()))

    joined = join_as_browser(
        janus.api_url, token=credentials["token"], room=room.room_id, feed=anna.pk
    )
    assert joined["videoroom"] == "joined"

    # never admitted: a made-up token is refused by Janus' core; the token of a participant
    # still waiting was never added, so it is refused too
    assert post(janus.api_url, {"janus": "create", "token": "made-up"})["janus"] == "error"
    waiting = services_live.join_meeting(
        meeting=room_meeting, user=None, passcode=PASSCODE, display_name="Ben"
    ).participant
    assert waiting.state == Participant.State.WAITING
    assert services_live.media_credentials(meeting=room_meeting, participant=waiting) is None
    their_token = participant_token(meeting=room_meeting, participant=waiting)
    assert post(janus.api_url, {"janus": "create", "token": their_token})["janus"] == "error"


def test_a_valid_token_alone_does_not_open_another_room(janus, room_meeting, make_meeting):
    other = make_meeting(authenticated_only=False)
    get_backend().create_room(meeting=room_meeting)
    get_backend().create_room(meeting=other)
    anna = admitted(room_meeting, "Anna")
    credentials = services_live.media_credentials(meeting=room_meeting, participant=anna)
    other_room = JanusRoom.objects.get(meeting=other).room_id
    refused = join_as_browser(janus.api_url, token=credentials["token"], room=other_room, feed=1)
    assert refused["error_code"] == 433  # not in that room's allowed list


def test_removal_revokes_the_token_and_kicks_the_feed(
    janus,
    room_meeting,
    host,  # noqa: F811 (the live room's fixture)
    django_capture_on_commit_callbacks,
):
    backend = get_backend()
    backend.create_room(meeting=room_meeting)
    room = JanusRoom.objects.get(meeting=room_meeting)
    hosting = services_live.host_enters(meeting=room_meeting, user=host)
    anna = admitted(room_meeting, "Anna")
    credentials = services_live.media_credentials(meeting=room_meeting, participant=anna)
    joined = join_as_browser(
        janus.api_url, token=credentials["token"], room=room.room_id, feed=anna.pk
    )
    assert joined["videoroom"] == "joined"
    client = JanusClient(configured_servers()[0])
    listed = client.videoroom({"request": "listparticipants", "room": room.room_id})
    assert [p["id"] for p in listed["participants"]] == [anna.pk]

    with django_capture_on_commit_callbacks(execute=True):
        services_live.remove_participant(actor=hosting, participant_pk=anna.pk)

    listed = client.videoroom({"request": "listparticipants", "room": room.room_id})
    assert listed["participants"] == []
    # the old credentials: refused by Janus for the running session and for a new one
    keepalive = post(
        f"{janus.api_url}/{joined['session']}",
        {"janus": "keepalive", "token": credentials["token"]},
    )
    assert keepalive["janus"] == "error" and keepalive["error"]["code"] == 403
    assert (
        post(janus.api_url, {"janus": "create", "token": credentials["token"]})["janus"] == "error"
    )


def test_media_go_only_to_the_institutions_servers(janus, room_meeting, settings, monkeypatch):
    """The browser is handed one of JANUS_SERVERS and only the TURN_URLS; its content security
    policy lets it connect to exactly those Janus origins (docs/POLICY.md, media)."""
    import portal.settings as portal_settings

    settings.TURN_URLS = ["turn:turn.uni.example:3478?transport=udp"]
    settings.TURN_SECRET = "turn-secret"
    anna = admitted(room_meeting, "Anna")
    credentials = services_live.media_credentials(meeting=room_meeting, participant=anna)

    assert credentials["server"] in {server["public"] for server in settings.JANUS_SERVERS}
    assert [url for entry in credentials["ice_servers"] for url in entry["urls"]] == [
        "turn:turn.uni.example:3478?transport=udp"
    ]
    monkeypatch.setattr(portal_settings, "MEETINGS_BACKEND", settings.MEETINGS_BACKEND)
    origin = janus.api_url.rsplit("/janus", 1)[0]
    assert portal_settings._janus_origins(settings.JANUS_SERVERS) == [origin]


def test_recording_is_locked_to_the_portal(janus, room_meeting):
    backend = get_backend()
    backend.create_room(meeting=room_meeting)
    room = JanusRoom.objects.get(meeting=room_meeting)
    client = JanusClient(configured_servers()[0])
    with pytest.raises(Exception, match="secret"):
        client.videoroom({"request": "enable_recording", "room": room.room_id, "record": True})
    with pytest.raises(Exception, match="Unauthorized|secret"):
        client.videoroom(
            {"request": "enable_recording", "room": room.room_id, "record": True, "secret": "x"}
        )


def test_ending_the_meeting_destroys_the_room_on_janus(
    janus,
    room_meeting,
    host,  # noqa: F811 (the live room's fixture)
    django_capture_on_commit_callbacks,
):
    backend = get_backend()
    hosting = services_live.host_enters(meeting=room_meeting, user=host)
    backend.create_room(meeting=room_meeting)
    anna = admitted(room_meeting, "Anna")
    token = services_live.media_credentials(meeting=room_meeting, participant=anna)["token"]
    assert backend.room_exists(meeting=room_meeting)

    with django_capture_on_commit_callbacks(execute=True):
        services_live.end_meeting_by_host(actor=hosting)

    assert not backend.room_exists(meeting=room_meeting)
    assert JanusRoom.objects.get(meeting=room_meeting).destroyed_at is not None
    assert post(janus.api_url, {"janus": "create", "token": token})["janus"] == "error"
