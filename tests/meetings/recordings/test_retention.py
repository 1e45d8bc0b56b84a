"""The retention category "recordings": the engine deletes file then row, on the rules of the
policy (docs/POLICY.md); it is the only path by which a recording is deleted."""

import datetime

import pytest
from django.utils.timezone import now

from meetings.recordings.models import Recording
from meetings.recordings.services import grant_viewer, schedule_recording_deletion
from retention.models import DeletionLogEntry, LegalHold, RetentionRule
from retention.registry import registry
from retention.services import purge_category
from tests.factories import make_meeting, make_recording, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _storage(recordings_storage):
    return recordings_storage


@pytest.fixture
def meeting():
    return make_meeting(make_user("host"))


def withdrawn(recording, due_in_days):
    schedule_recording_deletion(
        recording=recording,
        due_at=now() + datetime.timedelta(days=due_in_days),
        reason="consent withdrawn",
    )
    return recording


def test_the_category_matches_the_default_rules():
    category = registry.get("recordings")
    assert category.has_files is True
    rules = RetentionRule.objects.filter(category="recordings")
    assert set(rules.values_list("counts_from", flat=True)) == set(category.event_identifiers())
    assert {d.counts_from for d in category.default_rules} == set(category.event_identifiers())


def test_a_recording_goes_on_its_deletion_date_file_first(meeting):
    due = withdrawn(make_recording(meeting), due_in_days=-1)
    later = withdrawn(make_recording(meeting), due_in_days=3)
    path = due.file.path

    purge_category(identifier="recordings")

    assert not Recording.objects.filter(pk=due.pk).exists()
    assert not __import__("os").path.exists(path)
    assert Recording.objects.filter(pk=later.pk).exists()
    assert DeletionLogEntry.objects.filter(category="recordings", count=1).exists()


def test_the_withdrawal_rule_deletes_exactly_on_the_date(meeting):
    recording = withdrawn(make_recording(meeting), due_in_days=7)
    purge_category(identifier="recordings", at=recording.deletion_due_at - datetime.timedelta(1))
    assert Recording.objects.filter(pk=recording.pk).exists()
    purge_category(identifier="recordings", at=recording.deletion_due_at)
    assert not Recording.objects.filter(pk=recording.pk).exists()


def test_otherwise_a_recording_goes_after_the_period_capped_by_the_maximum(meeting):
    recording = make_recording(meeting)
    RetentionRule.objects.filter(category="recordings", counts_from="need_ended").update(
        period_amount=400, maximum_days=180
    )
    purge_category(identifier="recordings", at=recording.created_at + datetime.timedelta(179))
    assert Recording.objects.filter(pk=recording.pk).exists()
    purge_category(identifier="recordings", at=recording.created_at + datetime.timedelta(180))
    assert not Recording.objects.filter(pk=recording.pk).exists()


def test_a_legal_hold_on_the_meeting_keeps_its_recordings(meeting):
    recording = withdrawn(make_recording(meeting), due_in_days=-1)
    LegalHold.objects.create(reference=f"meetings.meeting:{meeting.pk}", reason="court order")
    purge_category(identifier="recordings")
    assert Recording.objects.filter(pk=recording.pk).exists()


def test_viewer_permissions_go_with_the_recording(meeting):
    from guardian.models import UserObjectPermission

    recording = withdrawn(make_recording(meeting), due_in_days=-1)
    grant_viewer(recording=recording, viewer=make_user("viewer"))
    purge_category(identifier="recordings")
    assert not UserObjectPermission.objects.filter(object_pk=str(recording.pk)).exists()


def test_a_missing_file_counts_as_deleted(meeting):
    recording = withdrawn(make_recording(meeting), due_in_days=-1)
    recording.file.storage.delete(recording.file.name)
    purge_category(identifier="recordings")
    assert not Recording.objects.filter(pk=recording.pk).exists()
