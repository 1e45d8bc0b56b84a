"""The categories for meetings and series, the audit log and terms acceptances: default rules
on the institution's calendar, editable like the others (docs/POLICY.md, retention)."""

import datetime

import pytest
from django.utils.timezone import now

from meetings.scheduling.models import Meeting, MeetingSeries
from portal.identity.models import AuditEvent, TermsAcceptance, TermsVersion
from retention.models import RetentionRule
from retention.services import find_deletions, purge_category
from tests.factories import make_meeting, make_recording, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("recordings_storage")]

LONG_AGO = now() - datetime.timedelta(days=250)


def ended_meeting(ended_at, **fields):
    meeting = make_meeting(make_user(), status=Meeting.Status.ENDED, start=ended_at, **fields)
    Meeting.objects.filter(pk=meeting.pk).update(ended_at=ended_at)
    return meeting


def test_a_meeting_goes_six_months_after_it_ended():
    old = ended_meeting(LONG_AGO)
    recent = ended_meeting(now() - datetime.timedelta(days=30))

    purge_category(identifier="meetings")

    assert not Meeting.objects.filter(pk=old.pk).exists()
    assert Meeting.objects.filter(pk=recent.pk).exists()
    assert find_deletions(f"meetings.meeting:{old.pk}")


def test_a_meeting_waits_for_its_recordings():
    meeting = ended_meeting(LONG_AGO)
    make_recording(meeting)
    purge_category(identifier="meetings")
    assert Meeting.objects.filter(pk=meeting.pk).exists()


def test_a_series_goes_after_its_last_occurrence_with_its_meetings():
    host = make_user("lecturer")
    series = MeetingSeries.objects.create(
        host=host, topic="Lecture", first_start=LONG_AGO, frequency="weekly", count=2
    )
    first = ended_meeting(LONG_AGO, series=series)
    last = ended_meeting(now() - datetime.timedelta(days=10), series=series)

    purge_category(identifier="meetings")
    assert Meeting.objects.filter(pk__in=[first.pk, last.pk]).count() == 2

    Meeting.objects.filter(pk=last.pk).update(ended_at=LONG_AGO)
    purge_category(identifier="meetings")
    assert not Meeting.objects.filter(pk__in=[first.pk, last.pk]).exists()
    assert not MeetingSeries.objects.filter(pk=series.pk).exists()


def test_the_period_is_editable_like_the_others():
    meeting = ended_meeting(now() - datetime.timedelta(days=40))
    RetentionRule.objects.filter(category="meetings").update(period_amount=1)
    purge_category(identifier="meetings")
    assert not Meeting.objects.filter(pk=meeting.pk).exists()


def test_the_audit_log_keeps_twelve_months():
    old = AuditEvent.objects.create(action="role.changed")
    AuditEvent.objects.filter(pk=old.pk).update(created_at=now() - datetime.timedelta(days=370))
    recent = AuditEvent.objects.create(action="role.changed")

    purge_category(identifier="audit_log")

    assert list(AuditEvent.objects.values_list("pk", flat=True)) == [recent.pk]


def test_a_superseded_terms_acceptance_goes_after_the_proof_period():
    user = make_user("student")
    versions = [
        TermsVersion.objects.create(
            version=v, title_de="AGB", title_en="Terms", text_de="…", text_en="…"
        )
        for v in ("1", "2")
    ]
    four_years = now() - datetime.timedelta(days=4 * 366)
    superseded = TermsAcceptance.objects.create(
        user=user, terms_version=versions[0], accepted_at=four_years
    )
    latest = TermsAcceptance.objects.create(
        user=user, terms_version=versions[1], accepted_at=four_years + datetime.timedelta(1)
    )

    purge_category(identifier="terms_acceptances")

    # the latest acceptance of an account in use is the proof of its consent
    assert list(TermsAcceptance.objects.values_list("pk", flat=True)) == [latest.pk]
    assert find_deletions(f"portal.termsacceptance:{superseded.pk}")
