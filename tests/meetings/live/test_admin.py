"""Admin of stored chat, meeting reports and attendance lists: read-only evidence, no chat
text in the list, staff without permission see nothing."""

import datetime

import pytest
from django.urls import reverse
from django.utils.timezone import now

from meetings.live.models import AttendanceRecord, ChatMessage, MeetingReport
from meetings.scheduling.models import Meeting
from tests.factories import make_meeting, make_user

pytestmark = pytest.mark.django_db

CHAT_TEXT = "Call me at 0170 1234567"


@pytest.fixture
def artefacts():
    meeting = make_meeting(
        topic="Exam board",
        start=now() - datetime.timedelta(hours=2),
        duration_minutes=60,
        status=Meeting.Status.ENDED,
        ended_at=now() - datetime.timedelta(hours=1),
        chat_stored=True,
        attendance_required=True,
    )
    return {
        "chatmessage": ChatMessage.objects.create(
            meeting=meeting, sender_name="Alice", text=CHAT_TEXT
        ),
        "meetingreport": MeetingReport.objects.create(
            meeting=meeting,
            meeting_ref=meeting.meeting_id,
            ended_at=meeting.ended_at,
            participant_count=4,
        ),
        "attendancerecord": AttendanceRecord.objects.create(
            meeting=meeting, name="Erika Mustermann", joined_at=now()
        ),
    }


MODELS = ["chatmessage", "meetingreport", "attendancerecord"]


@pytest.mark.parametrize("model", MODELS)
def test_an_admin_sees_the_list_and_the_item_read_only(admin_client, artefacts, model):
    item = artefacts[model]

    listing = admin_client.get(reverse(f"admin:meetings_{model}_changelist"))
    page = admin_client.get(reverse(f"admin:meetings_{model}_change", args=[item.pk]))

    assert listing.status_code == 200
    assert item.meeting.meeting_id.encode() in listing.content
    assert page.status_code == 200
    assert b'name="_save"' not in page.content  # nothing to save: read-only
    assert b'class="readonly"' in page.content


@pytest.mark.parametrize("model", MODELS)
def test_nobody_adds_changes_or_deletes_an_artefact_in_the_admin(admin_client, artefacts, model):
    item = artefacts[model]
    before = type(item).objects.values().get(pk=item.pk)

    added = admin_client.get(reverse(f"admin:meetings_{model}_add"))
    changed = admin_client.post(
        reverse(f"admin:meetings_{model}_change", args=[item.pk]), {"name": "Someone else"}
    )
    deleted = admin_client.post(
        reverse(f"admin:meetings_{model}_delete", args=[item.pk]), {"post": "yes"}
    )

    assert added.status_code == 403
    assert changed.status_code == 403
    assert deleted.status_code == 403
    assert type(item).objects.values().get(pk=item.pk) == before


def test_the_chat_list_never_shows_message_texts(admin_client, artefacts):
    message = artefacts["chatmessage"]

    listing = admin_client.get(reverse("admin:meetings_chatmessage_changelist"))
    found = admin_client.get(
        reverse("admin:meetings_chatmessage_changelist"), {"q": message.meeting.meeting_id}
    )
    by_text = admin_client.get(reverse("admin:meetings_chatmessage_changelist"), {"q": "0170"})

    assert CHAT_TEXT.encode() not in listing.content
    assert b"Alice" not in listing.content
    assert f"/{message.pk}/change/".encode() in found.content
    assert f"/{message.pk}/change/".encode() not in by_text.content  # no search in texts


@pytest.mark.parametrize("model", MODELS)
def test_staff_without_the_view_permission_are_refused(client, artefacts, model):
    client.force_login(make_user("clerk"))
    from portal.identity.models import User

    User.objects.filter(username="clerk").update(is_staff=True)

    response = client.get(reverse(f"admin:meetings_{model}_changelist"))

    assert response.status_code == 403


@pytest.mark.parametrize("model", MODELS)
def test_the_list_answers_only_get(admin_client, artefacts, model):
    response = admin_client.post(
        reverse(f"admin:meetings_{model}_changelist"),
        {"action": "delete_selected", "_selected_action": [artefacts[model].pk]},
    )

    assert response.status_code in (200, 302)
    assert type(artefacts[model]).objects.filter(pk=artefacts[model].pk).exists()
