"""Giving and refusing consent for a meeting, one click each; members and guests."""

import pytest

from consent.models import ConsentDecision
from meetings.live.selectors import guest_session_key
from tests.factories import (
    admit,
    admit_guest,
    make_meeting,
    make_participant,
    make_user,
    published_text,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting():
    return make_meeting(make_user("host"), recording_announced=True)


def url(meeting):
    return f"/consent/meetings/{meeting.meeting_id}/"


def test_it_shows_the_consent_text_and_both_buttons(client, meeting):
    text = published_text()
    anna = make_user("anna")
    admit(meeting, anna)
    client.force_login(anna)

    body = client.get(url(meeting), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert text.body_en in body
    assert "I consent" in body and "I refuse" in body
    assert "You have not decided yet." in body


def test_it_shows_the_german_text_in_german(client, meeting):
    text = published_text()
    anna = make_user("anna")
    admit(meeting, anna)
    client.force_login(anna)
    body = client.get(url(meeting), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert text.body_de in body


def test_a_participant_gives_consent_with_one_click(client, meeting):
    text = published_text()
    anna = make_user("anna")
    admit(meeting, anna)
    client.force_login(anna)

    response = client.post(
        url(meeting), {"decision": "give"}, follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert "you consented to the recording" in response.content.decode()
    # the meeting runs: back in the room, where the thanks show
    assert response.redirect_chain == [(f"/meetings/live/{meeting.meeting_id}/", 302)]
    decision = ConsentDecision.objects.get()
    assert decision.given is True
    assert decision.user == anna
    assert decision.meeting == meeting
    assert decision.meeting_ref == meeting.meeting_id
    assert decision.text == text
    assert decision.scope == "storage"
    assert decision.method == "web"
    from consent.models import subject_reference

    assert decision.subject_ref == subject_reference(user_id=anna.pk)  # a keyed hash
    assert len(decision.subject_ref) == 64


def test_a_waiting_participant_refuses_with_one_click(client, meeting):
    published_text()
    anna = make_user("anna")
    make_participant(meeting, user=anna)
    client.force_login(anna)

    response = client.post(
        url(meeting),
        {"decision": "refuse", "method": "meeting"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert "You refused consent" in response.content.decode()
    decision = ConsentDecision.objects.get()
    assert decision.given is False
    assert decision.method == "meeting"


def test_a_guest_decides_by_display_name_and_meeting(client, meeting):
    published_text()
    guest = admit_guest(meeting, "g" * 32, name="Guest Gina")
    session = client.session
    session[guest_session_key(meeting)] = guest.guest_key
    session.save()

    client.post(url(meeting), {"decision": "give"})

    decision = ConsentDecision.objects.get()
    assert decision.user is None
    assert decision.given is True
    from consent.selectors import subject_of_participant

    assert decision.subject_ref == subject_of_participant(guest)


def test_someone_not_invited_or_admitted_gets_404(client, meeting):
    published_text()
    client.force_login(make_user("stranger"))
    assert client.get(url(meeting)).status_code == 404
    assert client.post(url(meeting), {"decision": "give"}).status_code == 404
    assert not ConsentDecision.objects.exists()


def test_a_removed_participant_gets_404(client, meeting):
    published_text()
    anna = make_user("anna")
    make_participant(meeting, user=anna, state="removed")
    client.force_login(anna)
    assert client.post(url(meeting), {"decision": "give"}).status_code == 404
    assert not ConsentDecision.objects.exists()


def test_an_anonymous_visitor_without_guest_session_gets_404(client, meeting):
    published_text()
    assert client.get(url(meeting)).status_code == 404


def test_an_unknown_meeting_gets_404(client):
    client.force_login(make_user("anna"))
    assert client.get("/consent/meetings/00000000000/").status_code == 404


@pytest.mark.parametrize("data", [{}, {"decision": "maybe"}, {"decision": "give", "method": "fax"}])
def test_it_refuses_bad_input_clearly(client, meeting, data):
    published_text()
    anna = make_user("anna")
    admit(meeting, anna)
    client.force_login(anna)

    response = client.post(url(meeting), data, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert "Please choose to give or to refuse consent." in response.content.decode()
    assert not ConsentDecision.objects.exists()


def test_it_says_so_when_no_text_is_published(client, meeting):
    anna = make_user("anna")
    admit(meeting, anna)
    client.force_login(anna)
    response = client.post(url(meeting), {"decision": "give"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 503
    assert "No consent text has been published yet." in response.content.decode()
    assert not ConsentDecision.objects.exists()


def test_it_rejects_put(client, meeting):
    anna = make_user("anna")
    admit(meeting, anna)
    client.force_login(anna)
    assert client.put(url(meeting)).status_code == 405


def test_a_series_consent_covers_every_meeting_of_the_series():
    """Meetings get a series from scheduling; the consent refers to it by its generic key."""
    from consent.selectors import consent_of_participants
    from consent.services import record_decision

    host = make_user("host")
    first, second = make_meeting(host), make_meeting(host)
    for meeting in (first, second):
        meeting.series_id = 42  # what scheduling's series foreign key provides
    anna = make_user("anna")
    in_first, in_second = admit(first, anna), admit(second, anna)
    in_first.meeting, in_second.meeting = first, second

    decision = record_decision(
        participant=in_first, text=published_text(), given=True, method="web", for_series=True
    )

    decision.refresh_from_db()
    assert decision.series_key == "series:42"
    assert decision.meeting is None
    states = consent_of_participants(meeting=second, participants=[in_second])
    assert states[in_second.pk] == decision
    assert states[in_second.pk].is_effective_consent
    second.series_id = 43  # another series: not covered
    assert consent_of_participants(meeting=second, participants=[in_second])[in_second.pk] is None


def test_a_series_consent_is_refused_for_a_meeting_without_series():
    from consent.services import ConsentRefused, record_decision

    meeting = make_meeting(make_user("host"))
    anna = admit(meeting, make_user("anna"))
    with pytest.raises(ConsentRefused):
        record_decision(
            participant=anna, text=published_text(), given=True, method="web", for_series=True
        )
    assert not ConsentDecision.objects.exists()


def test_without_a_text_the_administrator_is_linked_to_write_one(client, meeting):
    """No dead end: whoever may write consent texts is sent to the admin page for it."""
    from django.contrib.auth.models import Permission

    admin = make_user("it")
    admin.user_permissions.add(Permission.objects.get(codename="add_consenttext"))
    admit(meeting, admin)
    client.force_login(admin)
    response = client.get(url(meeting), HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    assert "Write and publish the consent text in the administration." in body
    assert 'href="/admin/consent/consenttext/add/"' in body


def test_without_a_text_a_host_is_told_whom_to_ask(client, meeting):
    from portal.identity.models import LicenceType, Role

    staff = Role.objects.create(
        slug="staff-x",
        name="Staff",
        licence_type=LicenceType.objects.create(slug="b", name="B", max_participants=10),
        may_host=True,
    )
    host = meeting.host
    host.role = staff
    host.save()
    admit(meeting, host)
    client.force_login(host)
    response = client.get(url(meeting), HTTP_ACCEPT_LANGUAGE="en")
    assert "ask your portal&#x27;s administrators to publish one" in response.content.decode()
