import datetime
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from meetings.scheduling import calendar, recurrence, services
from meetings.scheduling.models import Invitation
from portal.identity.models import Institution
from tests.factories import published_text
from tests.meetings.conftest import details, local_start

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


_commit = None


@pytest.fixture(autouse=True)
def _mail_leaves_at_commit(after_commit, settings):
    global _commit  # noqa: PLW0603 -- the helper below is called by every test
    _commit = after_commit
    settings.LANGUAGE_CODE = "en"  # invitees unknown to the portal get the institution's


def invite(client, meeting, addresses: str, **extra):
    with _commit():
        return client.post(
            f"/meetings/{meeting.meeting_id}/invite/",
            {"addresses": addresses, **extra},
            HTTP_ACCEPT_LANGUAGE="en",
            follow=True,
        )


def test_it_invites_institution_addresses_with_link_passcode_and_calendar(
    host_client, meeting, mailoutbox
):
    response = invite(host_client, meeting, "a@uni.example, b@uni.example")
    assert "2 invitations sent." in response.content.decode()
    assert len(mailoutbox) == 2
    assert [mail.to for mail in mailoutbox] == [["a@uni.example"], ["b@uni.example"]]
    mail = mailoutbox[0]
    assert meeting.join_url() in mail.body
    assert "Raum7-Kurs-26" in mail.body
    assert "b@uni.example" not in mail.body  # invitees never see each other
    name, content, mimetype = mail.attachments[0]
    assert name == "invitation.ics"
    assert mimetype.startswith("text/calendar")
    event = Calendar.from_ical(content).walk("VEVENT")[0]
    assert event.get("summary") == "Seminar"
    assert event.decoded("dtstart") == meeting.start
    assert meeting.join_url() in str(event.get("description"))
    stored = Invitation.objects.filter(meeting=meeting)
    assert sorted(stored.values_list("email", flat=True)) == ["a@uni.example", "b@uni.example"]


def test_it_invites_official_external_and_meeting_domains(host_client, meeting, mailoutbox):
    institution = Institution.current()
    institution.external_domains = ["partner.example"]
    institution.save()
    meeting.allowed_domains = ["guests.example"]
    meeting.save()
    invite(host_client, meeting, "x@partner.example\ny@guests.example\nz@mail.uni.example")
    assert len(mailoutbox) == 3


def test_one_refused_address_does_not_stop_the_valid_ones(host_client, meeting, mailoutbox):
    response = invite(host_client, meeting, "a@uni.example, someone@gmail.example, oops")
    body = response.content.decode()
    assert "1 invitation sent." in body
    assert "These addresses were not invited:" in body
    assert "someone@gmail.example (its domain is not allowed for this meeting)" in body
    assert "oops (not an e-mail address)" in body
    assert [mail.to for mail in mailoutbox] == [["a@uni.example"]]
    assert list(Invitation.objects.values_list("email", flat=True)) == ["a@uni.example"]
    # the refused addresses wait in the box, and only once
    box = body[body.index('name="addresses"') :]
    box = box[: box.index("</textarea>")]
    assert "someone@gmail.example\noops" in box
    assert "a@uni.example" not in box
    again = host_client.get(f"/meetings/{meeting.meeting_id}/").content.decode()
    assert "someone@gmail.example" not in again


def test_only_refused_addresses_send_nothing(host_client, meeting, mailoutbox):
    response = invite(host_client, meeting, "someone@gmail.example")
    body = response.content.decode()
    assert "This address was not invited: someone@gmail.example" in body
    assert "sent." not in body
    assert mailoutbox == []
    assert not Invitation.objects.exists()


def test_the_api_form_still_refuses_the_whole_request(meeting):
    from meetings.scheduling.forms import InvitationForm

    form = InvitationForm({"addresses": "a@uni.example, b@gmail.example"}, meeting=meeting)
    assert not form.is_valid()
    assert "Not invited: b@gmail.example." in form.errors["addresses"][0]


def test_it_refuses_a_look_alike_domain(host_client, meeting, mailoutbox):
    invite(host_client, meeting, "a@evil-uni.example")
    invite(host_client, meeting, "a@uni.example.evil.test")
    assert mailoutbox == []


def test_it_refuses_what_is_not_an_address(host_client, meeting, mailoutbox):
    response = invite(host_client, meeting, "not-an-address")
    assert "not-an-address (not an e-mail address)" in response.content.decode()
    assert mailoutbox == []


def test_it_refuses_get(host_client, meeting):
    assert host_client.get(f"/meetings/{meeting.meeting_id}/invite/").status_code == 405


def test_a_series_invitation_carries_the_rule_in_the_meetings_time_zone(
    host_client, host, mailoutbox
):
    start = recurrence.localise(local_start(days=3), BERLIN)
    first = services.schedule_meeting(
        host=host,
        details=details(start=start),
        passcode="Reihe-2026",
        rule=recurrence.Rule("WEEKLY", count=30),
    )
    invite(host_client, first, "a@uni.example", whole_series="on")
    content = mailoutbox[0].attachments[0][1]
    text = content.decode() if isinstance(content, bytes) else content
    assert "BEGIN:VTIMEZONE" in text
    assert "TZID:Europe/Berlin" in text
    parsed = Calendar.from_ical(content)
    events = parsed.walk("VEVENT")
    master = next(e for e in events if "RRULE" in e)
    assert master.decoded("dtstart").tzinfo.key == "Europe/Berlin"
    assert dict(master.get("rrule")) == {"FREQ": ["WEEKLY"], "INTERVAL": [1], "COUNT": [30]}
    overrides = [e for e in events if "RECURRENCE-ID" in e]
    assert len(overrides) == 30
    # every override keeps 10:00 local time, whether summer or winter time
    assert {e.decoded("dtstart").astimezone(BERLIN).hour for e in overrides} == {10}
    assert Invitation.objects.get().whole_series


def test_a_deleted_occurrence_becomes_an_exdate(host, db):
    start = recurrence.localise(local_start(days=3), BERLIN)
    first = services.schedule_meeting(
        host=host, details=details(start=start), rule=recurrence.Rule("DAILY", count=3)
    )
    second = first.series.occurrences.order_by("start")[1]
    services.delete_meeting(meeting=second)
    master = next(
        e
        for e in Calendar.from_ical(calendar.series_calendar(first.series)).walk("VEVENT")
        if "RRULE" in e
    )
    exdates = [d.dt for d in master.get("exdate").dts]
    assert exdates == [second.start.astimezone(BERLIN)]


def test_the_host_downloads_the_calendar_file(host_client, meeting):
    response = host_client.get(f"/meetings/{meeting.meeting_id}/calendar.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    event = Calendar.from_ical(response.content).walk("VEVENT")[0]
    assert event.decoded("dtend") - event.decoded("dtstart") == datetime.timedelta(minutes=30)


def test_invitations_are_shown_to_hosts_only(client, host_client, meeting, member):
    invite(host_client, meeting, "secret-person@uni.example")
    assert (
        "secret-person@uni.example"
        in host_client.get(f"/meetings/{meeting.meeting_id}/").content.decode()
    )
    client.force_login(member)
    assert client.get(f"/meetings/{meeting.meeting_id}/").status_code == 404


def test_invitee_addresses_are_marked_personal_data():
    from django.utils import translation

    with translation.override("en"):
        assert "Personal data." in str(Invitation._meta.get_field("email").help_text)


def test_the_host_downloads_the_calendar_file_of_the_series(host_client, host):
    start = recurrence.localise(local_start(days=3), BERLIN)
    first = services.schedule_meeting(
        host=host, details=details(start=start), rule=recurrence.Rule("MONTHLY", count=6)
    )
    response = host_client.get(f"/meetings/{first.meeting_id}/calendar.ics?scope=series")
    assert response.status_code == 200
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert sum("RRULE" in event for event in events) == 1
    uids = {str(event.get("uid")) for event in events}
    assert len(uids) == 1
    assert uids.pop().startswith(f"series-{first.series_id}@")
    joins = {str(event.get("url")) for event in events if "RECURRENCE-ID" in event}
    assert joins == {m.join_url() for m in first.series.occurrences.all()}


def test_an_announced_recording_is_stated_in_the_mail_and_the_calendar_file(
    host_client, meeting, mailoutbox, settings
):
    settings.PORTAL_BASE_URL = "https://meet.uni.example"
    text = published_text()
    meeting.recording_announced = True
    meeting.save()

    invite(host_client, meeting, "a@uni.example")

    mail = mailoutbox[0]
    consent_link = f"https://meet.uni.example/consent/meetings/{meeting.meeting_id}/"
    assert "This meeting is planned to be recorded" in mail.body
    assert consent_link in mail.body
    assert f"https://meet.uni.example/consent/text/{text.version}/" in mail.body
    event = Calendar.from_ical(mail.attachments[0][1]).walk("VEVENT")[0]
    assert "This meeting is planned to be recorded" in str(event["DESCRIPTION"])
    assert consent_link in str(event["DESCRIPTION"])


def test_an_unannounced_meeting_says_nothing_about_recording(host_client, meeting, mailoutbox):
    invite(host_client, meeting, "a@uni.example")
    assert "recorded" not in mailoutbox[0].body


def test_a_topic_with_a_line_break_still_reaches_every_invitee(host_client, meeting, mailoutbox):
    meeting.topic = "Kolloquium\r\nBcc: everyone@evil.example"
    meeting.save()
    response = invite(host_client, meeting, "a@uni.example")
    assert response.status_code == 200
    assert [mail.to for mail in mailoutbox] == [["a@uni.example"]]
    assert mailoutbox[0].subject == "Invitation: Kolloquium Bcc: everyone@evil.example"
    assert not mailoutbox[0].bcc
