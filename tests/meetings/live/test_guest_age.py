"""Guests confirm the institution's minimum age before joining; only the time of the
confirmation is kept, never a birth date (docs/POLICY.md, licences)."""

import pytest

from meetings.live.models import Participant
from portal.identity.models import Institution
from tests.factories import PASSCODE

pytestmark = pytest.mark.django_db


def join(client, meeting, *, confirmed: bool, language: str = "en"):
    data = {"passcode": PASSCODE, "display_name": "Gast"}
    if confirmed:
        data["age_confirmed"] = "on"
    return client.post(f"/meetings/join/{meeting.meeting_id}/", data, HTTP_ACCEPT_LANGUAGE=language)


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Please confirm that you are at least 18 years old"),
        ("de", "Bitte bestätigen Sie, dass Sie mindestens 18 Jahre alt sind"),
    ],
)
def test_a_guest_who_does_not_confirm_the_minimum_age_is_not_let_in(
    client, make_meeting, language, message
):
    institution = Institution.current()
    institution.minimum_age = 18
    institution.save()
    meeting = make_meeting(authenticated_only=False)

    response = join(client, meeting, confirmed=False, language=language)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Participant.objects.filter(meeting=meeting).exists()


def test_the_confirmation_is_kept_as_a_time_only(client, make_meeting):
    meeting = make_meeting(authenticated_only=False)
    page = client.get(f"/meetings/join/{meeting.meeting_id}/", HTTP_ACCEPT_LANGUAGE="en")
    minimum = Institution.current().minimum_age
    assert f"I am at least {minimum} years old." in page.content.decode()

    assert join(client, meeting, confirmed=True).status_code == 302

    participant = Participant.objects.get(meeting=meeting)
    assert participant.age_confirmed_at is not None
    assert not [field for field in Participant._meta.fields if "birth" in field.name]


def test_members_confirm_at_their_login_not_on_the_join_form(client, make_meeting, member):
    meeting = make_meeting()
    client.force_login(member)
    page = client.get(f"/meetings/join/{meeting.meeting_id}/").content.decode()
    assert 'name="age_confirmed"' not in page
    response = client.post(f"/meetings/join/{meeting.meeting_id}/", {"passcode": PASSCODE})
    assert response.status_code == 302
    assert Participant.objects.get(meeting=meeting).age_confirmed_at is None
