"""Mail about meetings: sent by Celery after the commit, text and HTML in the recipient's
language, updates and cancellations whose calendar files calendar programs apply (SEQUENCE,
METHOD:CANCEL), parsed back with the icalendar library."""

import dataclasses

import pytest
from icalendar import Calendar

from meetings.scheduling import recurrence, services
from meetings.scheduling.models import Invitation
from meetings.scheduling.tasks import send_invitation_mail
from tests.factories import make_user
from tests.meetings.conftest import details

pytestmark = pytest.mark.django_db


def calendar_of(message):
    [(name, content, mimetype)] = message.attachments
    return name, mimetype, Calendar.from_ical(content)


def event_of(message):
    return calendar_of(message)[2].walk("VEVENT")[0]


@pytest.fixture
def invited(meeting, after_commit, mailoutbox):
    """The meeting with one invitee, and the event of the invitation's calendar file."""
    with after_commit():
        services.invite(meeting=meeting, addresses=["a@uni.example"])
    first = event_of(mailoutbox[0])
    mailoutbox.clear()
    return meeting, first


def test_nothing_is_sent_before_the_transaction_commits(meeting, mailoutbox, celery_inline):
    services.invite(meeting=meeting, addresses=["a@uni.example"])
    assert mailoutbox == []  # the test's transaction has not committed
    assert Invitation.objects.filter(meeting=meeting).count() == 1


def test_the_invitation_has_a_text_and_an_html_part(meeting, mailoutbox, after_commit):
    with after_commit():
        services.invite(meeting=meeting, addresses=["a@uni.example"])
    [message] = mailoutbox
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert meeting.passcode in message.body and meeting.passcode in html
    assert f'href="{meeting.join_url()}"' in html
    assert "<html lang=" in html


def test_each_invitee_gets_their_own_language(meeting, mailoutbox, after_commit, settings):
    settings.LANGUAGE_CODE = "de"
    make_user("anne", email="anne@uni.example", language="en")
    with after_commit():
        services.invite(meeting=meeting, addresses=["anne@uni.example", "unknown@uni.example"])
    by_address = {message.to[0]: message for message in mailoutbox}
    assert by_address["anne@uni.example"].subject.startswith("Invitation:")
    assert "invites you" in by_address["anne@uni.example"].body
    assert by_address["unknown@uni.example"].subject.startswith("Einladung:")


def test_a_login_remembers_the_persons_language(client, settings):
    settings.LANGUAGE_CODE = "de"
    user = make_user("ben", is_superuser=True, is_staff=True)
    user.set_password("a long password for ben 42")
    user.save()
    client.post(
        "/accounts/login/",
        {"login": "ben", "password": "a long password for ben 42"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    user.refresh_from_db()
    assert user.language == "en"


def test_a_change_is_sent_with_a_higher_sequence_under_the_same_uid(
    invited, mailoutbox, after_commit
):
    meeting, first = invited
    with after_commit():
        services.update_meeting(
            meeting=meeting, details=details(topic="Seminar (moved)", start=meeting.start)
        )
    [message] = mailoutbox
    assert message.subject.startswith(("Changed:", "Geändert:"))
    changed = event_of(message)
    assert changed["UID"] == first["UID"]
    assert changed["SEQUENCE"] > first["SEQUENCE"]
    assert str(changed["SUMMARY"]) == "Seminar (moved)"


def test_a_deleted_meeting_is_cancelled_in_the_calendar(invited, mailoutbox, after_commit):
    meeting, first = invited
    uid, sequence = first["UID"], first["SEQUENCE"]
    with after_commit():
        services.delete_meeting(meeting=meeting)
    [message] = mailoutbox
    name, mimetype, cal = calendar_of(message)
    assert name == "cancellation.ics" and "method=CANCEL" in mimetype
    assert cal["METHOD"] == "CANCEL"
    event = cal.walk("VEVENT")[0]
    assert event["UID"] == uid
    assert event["STATUS"] == "CANCELLED"
    assert event["SEQUENCE"] > sequence
    assert "Raum7-Kurs-26" not in message.body  # nothing to join any more
    assert message.alternatives[0][1] == "text/html"


def test_deleting_one_date_updates_the_series_and_cancels_that_date(host, mailoutbox, after_commit):
    first = services.schedule_meeting(
        host=host, details=details(), passcode="Reihe-2026", rule=recurrence.Rule("WEEKLY", count=4)
    )
    second = first.series.occurrences.order_by("start")[1]
    with after_commit():
        services.invite(meeting=first, addresses=["whole@uni.example"], whole_series=True)
        services.invite(meeting=second, addresses=["one@uni.example"])
    mailoutbox.clear()
    series_sequence = first.series.calendar_sequence

    with after_commit():
        services.delete_meeting(meeting=first)  # the whole-series invitation hangs on it
    by_address = {message.to[0]: message for message in mailoutbox}
    assert set(by_address) == {"whole@uni.example"}
    updated = calendar_of(by_address["whole@uni.example"])[2]
    assert updated["METHOD"] == "PUBLISH"
    master = next(e for e in updated.walk("VEVENT") if "RRULE" in e)
    assert master["SEQUENCE"] > series_sequence
    assert "EXDATE" in master
    assert Invitation.objects.filter(email="whole@uni.example").exists()  # kept for the series

    mailoutbox.clear()
    with after_commit():
        services.delete_meeting(meeting=second)
    by_address = {message.to[0]: message for message in mailoutbox}
    assert calendar_of(by_address["one@uni.example"])[2]["METHOD"] == "CANCEL"
    assert calendar_of(by_address["whole@uni.example"])[2]["METHOD"] == "PUBLISH"


def test_deleting_a_series_cancels_it_for_every_invitee(host, mailoutbox, after_commit):
    first = services.schedule_meeting(
        host=host, details=details(), passcode="Reihe-2026", rule=recurrence.Rule("WEEKLY", count=3)
    )
    series = first.series
    with after_commit():
        services.invite(meeting=first, addresses=["whole@uni.example"], whole_series=True)
    series_uid = next(e for e in event_list(mailoutbox[0]) if "RRULE" in e)["UID"]
    mailoutbox.clear()
    with after_commit():
        services.delete_series(series=series)
    [message] = mailoutbox
    cal = calendar_of(message)[2]
    assert cal["METHOD"] == "CANCEL"
    assert cal.walk("VEVENT")[0]["UID"] == series_uid
    assert "none of its dates take place" in message.body or "Termine" in message.body


def event_list(message):
    return calendar_of(message)[2].walk("VEVENT")


def test_a_series_change_reaches_the_series_invitees_once(host, mailoutbox, after_commit):
    first = services.schedule_meeting(
        host=host, details=details(), passcode="Reihe-2026", rule=recurrence.Rule("WEEKLY", count=3)
    )
    with after_commit():
        services.invite(meeting=first, addresses=["whole@uni.example"], whole_series=True)
    mailoutbox.clear()
    with after_commit():
        services.update_series(
            series=first.series, details=dataclasses.replace(details(), topic="Renamed")
        )
    assert [message.to for message in mailoutbox] == [["whole@uni.example"]]
    master = next(e for e in event_list(mailoutbox[0]) if "RRULE" in e)
    assert master["SEQUENCE"] >= 1


def test_a_mail_server_that_is_away_makes_the_task_retry_later(meeting, settings, celery_inline):
    import smtplib

    from celery.exceptions import Retry

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 1
    invitation = Invitation.objects.create(meeting=meeting, email="a@uni.example")
    assert {smtplib.SMTPException, OSError} <= set(send_invitation_mail.autoretry_for)
    with pytest.raises(Retry, match="Retry in"):
        send_invitation_mail.apply(args=[invitation.pk], throw=True)
