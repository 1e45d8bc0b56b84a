"""Rules of the live room: admit, decline, remove, lock, end, chat, time limit."""

import datetime

import pytest
from django.utils.timezone import now

from meetings.live import services as services_live
from meetings.live.models import AttendanceRecord, ChatMessage, MeetingReport, Participant
from meetings.scheduling.models import Meeting
from tests.factories import make_participant

pytestmark = pytest.mark.django_db


def test_admitting_all_admits_everyone_waiting(meeting, host_participant):
    people = [make_participant(meeting, name=f"P{number}") for number in range(3)]
    assert services_live.admit_participants(actor=host_participant) == 3
    for person in people:
        person.refresh_from_db()
        assert person.state == Participant.State.ADMITTED
        assert person.admitted_at is not None


def test_admitting_one_leaves_the_others_waiting(meeting, host_participant):
    first, second = make_participant(meeting, name="A"), make_participant(meeting, name="B")
    services_live.admit_participants(actor=host_participant, participant_pks=[first.pk])
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == Participant.State.ADMITTED
    assert second.state == Participant.State.WAITING


def test_a_participant_who_is_not_host_cannot_admit(meeting, host_participant):
    other = make_participant(meeting, name="A")
    other.state = Participant.State.ADMITTED
    other.save()
    target = make_participant(meeting, name="B")
    with pytest.raises(services_live.NotAllowed):
        services_live.admit_participants(actor=other, participant_pks=[target.pk])
    target.refresh_from_db()
    assert target.state == Participant.State.WAITING


def test_removing_closes_the_attendance_stay(make_meeting, host, member):
    meeting = make_meeting(attendance_required=True)
    actor = services_live.host_enters(meeting=meeting, user=host)
    person = make_participant(meeting, name="Pseudonym", user=member)
    services_live.admit_participants(actor=actor)
    assert services_live.remove_participant(actor=actor, participant_pk=person.pk)
    person.refresh_from_db()
    assert person.state == Participant.State.REMOVED
    record = AttendanceRecord.objects.get(user=member)
    assert record.left_at is not None
    assert record.name == "Mia Member"  # the account's name, never the pseudonym


def test_the_host_cannot_be_removed(meeting, host_participant, member):
    co_host = make_participant(meeting, name="Co", user=member)
    Participant.objects.filter(pk=co_host.pk).update(is_host=True, state=Participant.State.ADMITTED)
    with pytest.raises(services_live.InvalidAction):
        services_live.remove_participant(actor=co_host, participant_pk=host_participant.pk)
    host_participant.refresh_from_db()
    assert host_participant.state == Participant.State.ADMITTED


def test_no_attendance_is_recorded_unless_required(meeting, host_participant):
    make_participant(meeting, name="A")
    services_live.admit_participants(actor=host_participant)
    assert not AttendanceRecord.objects.exists()


def test_the_host_locks_and_unlocks_the_meeting(meeting, host_participant):
    services_live.set_meeting_locked(actor=host_participant, locked=True)
    meeting.refresh_from_db()
    assert meeting.locked
    services_live.set_meeting_locked(actor=host_participant, locked=False)
    meeting.refresh_from_db()
    assert not meeting.locked


def test_ending_keeps_a_report_without_names_and_deletes_participants(meeting, host_participant):
    make_participant(meeting, name="A")
    make_participant(meeting, name="Never admitted")
    services_live.admit_participants(
        actor=host_participant,
        participant_pks=[Participant.objects.get(display_name="A").pk],
    )
    assert services_live.end_meeting_by_host(actor=host_participant)
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.ENDED and meeting.ended_at is not None
    report = MeetingReport.objects.get(meeting=meeting)
    assert report.participant_count == 2  # the host and A
    assert report.meeting_ref == meeting.meeting_id
    assert report.started_at == meeting.started_at
    assert not Participant.objects.filter(meeting=meeting).exists()


def test_ending_twice_ends_once(meeting, host_participant):
    assert services_live.end_meeting(meeting=meeting)
    assert not services_live.end_meeting(meeting=meeting)
    assert MeetingReport.objects.count() == 1


def test_chat_is_deleted_at_the_end_unless_stored(meeting, host_participant):
    services_live.send_chat_message(sender=host_participant, text="Hallo")
    services_live.end_meeting(meeting=meeting)
    assert not ChatMessage.objects.exists()


def test_stored_chat_survives_the_end_without_links_to_participants(make_meeting, host):
    meeting = make_meeting(chat_stored=True)
    actor = services_live.host_enters(meeting=meeting, user=host)
    services_live.send_chat_message(sender=actor, text="Protokoll")
    services_live.end_meeting(meeting=meeting)
    message = ChatMessage.objects.get()
    assert message.text == "Protokoll" and message.sender_id is None


def test_attendance_survives_the_end_when_required(make_meeting, host):
    meeting = make_meeting(attendance_required=True)
    services_live.host_enters(meeting=meeting, user=host)
    services_live.end_meeting(meeting=meeting)
    record = AttendanceRecord.objects.get(meeting=meeting)
    assert record.user == host and record.left_at is not None


def test_a_private_message_needs_a_recipient_in_the_room(meeting, host_participant):
    someone = make_participant(meeting, name="Still waiting")
    with pytest.raises(services_live.InvalidAction):
        services_live.send_chat_message(
            sender=host_participant, text="psst", recipient_pk=someone.pk
        )
    assert not ChatMessage.objects.exists()


def test_an_empty_chat_message_is_refused(meeting, host_participant):
    with pytest.raises(services_live.InvalidAction):
        services_live.send_chat_message(sender=host_participant, text="   ")
    assert not ChatMessage.objects.exists()


def test_a_waiting_participant_cannot_chat(meeting, host_participant):
    person = make_participant(meeting, name="A")
    with pytest.raises(services_live.NotAllowed):
        services_live.send_chat_message(sender=person, text="let me in")
    assert not ChatMessage.objects.exists()


def test_a_basic_licence_ends_the_meeting_at_its_time_limit(make_meeting, member):
    meeting = make_meeting(host=member, started_at=now() - datetime.timedelta(minutes=41))
    assert services_live.enforce_time_limit(meeting=meeting) == "ended"
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.ENDED
    assert MeetingReport.objects.get(meeting=meeting).ended_by_time_limit


def test_a_basic_licence_warns_once_before_the_limit(make_meeting, member):
    meeting = make_meeting(host=member, started_at=now() - datetime.timedelta(minutes=37))
    assert services_live.enforce_time_limit(meeting=meeting) == "warned"
    assert services_live.enforce_time_limit(meeting=meeting) == ""
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.RUNNING


def test_a_business_licence_has_no_time_limit(make_meeting):
    meeting = make_meeting(started_at=now() - datetime.timedelta(hours=10))
    assert services_live.enforce_time_limit(meeting=meeting) == ""
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.RUNNING


def test_the_time_limit_task_ends_the_meeting(make_meeting, member):
    from meetings.live.tasks import enforce_meeting_time_limit

    meeting = make_meeting(host=member, started_at=now() - datetime.timedelta(minutes=45))
    assert enforce_meeting_time_limit(meeting.pk) == "ended"
    assert enforce_meeting_time_limit(meeting.pk) == ""
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.ENDED
    assert MeetingReport.objects.filter(meeting=meeting).count() == 1


def test_leaving_frees_the_seat_and_allows_rejoining(meeting, host_participant):
    person = make_participant(meeting, name="A")
    services_live.leave_meeting(participant=person)
    person.refresh_from_db()
    assert person.state == Participant.State.LEFT
