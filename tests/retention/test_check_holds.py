"""Holds entered before holds were named by what the portal shows are checked again
(``manage.py check_holds``, nightly, after ``migrate``): a hold by the meeting ID users see is
corrected to its meeting; one that matches nothing or more than one object is marked invalid
and the holds page says so (docs/POLICY.md, retention)."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.sql import emit_post_migrate_signal
from django.test import Client
from django.utils.timezone import now

from meetings.recordings.models import Recording
from meetings.scheduling.models import Meeting
from retention import holds
from retention.models import LegalHold
from retention.schedule import CHECK_HOLDS_TASK, ensure_nightly_tasks
from retention.services import purge_category
from retention.tasks import check_holds as check_holds_task
from tests.factories import make_meeting, make_recording, make_user, pass_second_factor

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("recordings_storage")]


def old_hold(reference):
    """A hold stored by reference the way the admin accepted it before (no ``entered_as``)."""
    return LegalHold.objects.create(reference=reference, reason="court order 4 O 12/26")


def test_a_hold_by_the_meeting_id_users_see_is_corrected_and_then_protects(settings):
    meeting = make_meeting(make_user("host"), status=Meeting.Status.ENDED)
    recording = make_recording(meeting)
    Recording.objects.filter(pk=recording.pk).update(
        deletion_due_at=recording.created_at - datetime.timedelta(days=1)
    )
    hold = old_hold(f"meetings.meeting:{meeting.meeting_id}")
    preview = purge_category(identifier="recordings", dry_run=True)
    assert (preview.expired, preview.held) == (1, 0)  # the hold protects nothing

    out = io.StringIO()
    call_command("check_holds", stdout=out, stderr=io.StringIO())

    hold.refresh_from_db()
    assert hold.reference == f"meetings.meeting:{meeting.pk}"
    assert hold.entered_as == f"meetings.meeting:{meeting.meeting_id}"
    assert (hold.problem, hold.is_invalid) == ("corrected", False)
    assert f"corrected to meetings.meeting:{meeting.pk}" in out.getvalue()
    purge_category(identifier="recordings")
    assert Recording.objects.filter(pk=recording.pk).exists()


def test_a_hold_that_matches_nothing_is_marked_invalid():
    hold = old_hold("meetings.meeting:54597762388")
    unknown_kind = old_hold("invoices.invoice:17")
    right = old_hold(f"meetings.meeting:{make_meeting(make_user('host')).pk}")
    err = io.StringIO()

    call_command("check_holds", stdout=io.StringIO(), stderr=err)

    assert LegalHold.objects.get(pk=hold.pk).problem == "nothing"
    assert LegalHold.objects.get(pk=unknown_kind.pk).problem == "nothing"
    assert LegalHold.objects.get(pk=right.pk).problem == ""
    assert LegalHold.objects.get(pk=right.pk).checked_at is not None
    assert "3 active hold(s) checked, 2 protect nothing until fixed" in err.getvalue()


def test_a_number_naming_two_people_is_marked_invalid():
    first = make_user("first")
    second = make_user(str(first.pk))  # a user name that is the other person's number
    hold = old_hold(f"portal.user:{first.pk}")

    (result,) = holds.check_holds()

    assert result.problem == "several" and len(result.matches) == 2
    hold.refresh_from_db()
    assert hold.is_invalid and hold.reference == f"portal.user:{first.pk}"
    assert second.username in holds.problem_text(hold)


def test_a_dry_run_changes_nothing():
    hold = old_hold("meetings.meeting:54597762388")
    call_command("check_holds", "--dry-run", stdout=io.StringIO(), stderr=io.StringIO())
    hold.refresh_from_db()
    assert (hold.problem, hold.checked_at) == ("", None)


def test_released_holds_are_not_checked():
    LegalHold.objects.create(
        reference="meetings.meeting:54597762388", reason="x", released_at=now()
    )
    assert holds.check_holds() == []


def test_the_holds_page_tells_the_administrator(admin_user):
    hold = old_hold("meetings.meeting:54597762388")
    holds.check_holds()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    pass_second_factor(client, admin_user)

    listing = client.get("/admin/retention/legalhold/").content.decode()
    page = client.get(f"/admin/retention/legalhold/{hold.pk}/change/").content.decode()

    assert "1 active legal hold matches nothing or more than one object" in listing
    for body in (listing, page):
        assert "This hold matches nothing and protects nothing until it is fixed" in body


def test_the_check_runs_nightly_and_after_migrate():
    from django_celery_beat.models import PeriodicTask

    ensure_nightly_tasks()
    task = PeriodicTask.objects.get(name=CHECK_HOLDS_TASK.name)
    assert task.task == "retention.tasks.check_holds"
    assert (task.crontab.hour, task.crontab.minute) == ("1", "55")  # before the 02:00 purges
    hold = old_hold("meetings.meeting:54597762388")

    assert check_holds_task.apply().get() == {"checked": 1, "invalid": [hold.pk]}

    LegalHold.objects.filter(pk=hold.pk).update(problem="")
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")  # a deployment
    assert LegalHold.objects.get(pk=hold.pk).problem == "nothing"
