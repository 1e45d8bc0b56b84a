"""The meetings app's retention categories: chat, meeting reports, attendance, polls and
invitations, each on its boundary (just before, exactly at, just after the end of its period),
under a legal hold, in the deletion log and in ``manage.py purge --dry-run``."""

import datetime
from collections.abc import Callable
from io import StringIO

import pytest
from dateutil.relativedelta import relativedelta
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from meetings.live.models import AttendanceRecord, ChatMessage, MeetingReport
from meetings.polls import services as poll_services
from meetings.polls.models import (
    FreeTextAnswer,
    NamedBallot,
    OptionTally,
    Poll,
    PollReceipt,
    Question,
)
from meetings.scheduling.models import Invitation, Meeting, MeetingSeries
from meetings.scheduling.retention import UNENDED_MEETING_GRACE
from retention import services
from retention.models import DeletionLogEntry, LegalHold, RetentionRule
from retention.registry import registry
from tests.factories import admit, make_meeting, make_poll, make_user
from tests.meetings.polls.helpers import option_ids, question_id

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 31, 12, 0, tzinfo=datetime.UTC)
SECOND = datetime.timedelta(seconds=1)
CHAT_TEXT = "Alice: my phone number is 0170 1234567"
INVITEE = "invitee@uni.example"
TOPIC = "Disciplinary hearing Mustermann"


def ended_meeting(
    ended_at: datetime.datetime | None, *, status: str = Meeting.Status.ENDED, **fields
) -> Meeting:
    """A meeting that ended at ``ended_at`` (scheduled to end then as well)."""
    end = ended_at or NOW
    return make_meeting(
        topic=TOPIC,
        start=end - datetime.timedelta(minutes=60),
        duration_minutes=60,
        status=status,
        started_at=end - datetime.timedelta(minutes=60),
        ended_at=ended_at,
        **fields,
    )


def chat_at(moment: datetime.datetime, meeting: Meeting | None = None) -> ChatMessage:
    meeting = meeting or ended_meeting(moment, chat_stored=True)
    return ChatMessage.objects.create(
        meeting=meeting, sender_name="Alice", text=CHAT_TEXT, created_at=moment
    )


def report_at(moment: datetime.datetime, meeting: Meeting | None = None) -> MeetingReport:
    meeting = meeting or ended_meeting(moment)
    return MeetingReport.objects.create(
        meeting=meeting, meeting_ref=meeting.meeting_id, ended_at=moment, participant_count=3
    )


def attendance_at(
    moment: datetime.datetime, meeting: Meeting | None = None, *, required: bool = False
) -> AttendanceRecord:
    meeting = meeting or ended_meeting(moment, attendance_required=required)
    return AttendanceRecord.objects.create(
        meeting=meeting, name="Erika Mustermann", joined_at=moment - SECOND, left_at=moment
    )


def attendance_required_at(moment: datetime.datetime, meeting: Meeting | None = None):
    return attendance_at(moment, meeting, required=True)


def poll_at(moment: datetime.datetime, meeting: Meeting | None = None) -> Poll:
    """A named poll with one vote (receipt, tallies, free-text answer, named ballots) of a
    meeting that ended at ``moment``."""
    meeting = meeting or ended_meeting(None, status=Meeting.Status.RUNNING)
    poll = make_poll(meeting, kind=Poll.Kind.NAMED)
    poll_services.cast_vote(
        poll=poll,
        participant=admit(meeting),
        answers={
            question_id(poll, 0): [str(option_ids(poll, 0)[0])],
            question_id(poll, 1): [str(option_ids(poll, 1)[0])],
            question_id(poll, 2): ["I object"],
        },
    )
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.ENDED, ended_at=moment)
    return poll


def invitation_at(moment: datetime.datetime, meeting: Meeting | None = None) -> Invitation:
    meeting = meeting or ended_meeting(moment)
    return Invitation.objects.create(meeting=meeting, email=INVITEE)


# (category, counts from, the period of the default rule, make an item whose event is at t)
CASES: list[tuple[str, str, relativedelta, Callable]] = [
    ("chat", "created", relativedelta(days=30), chat_at),
    ("meeting_reports", "meeting_ended", relativedelta(months=1), report_at),
    ("attendance", "meeting_ended", relativedelta(), attendance_at),
    (
        "attendance",
        "meeting_ended_attendance_required",
        relativedelta(months=6),
        attendance_required_at,
    ),
    ("poll_results", "meeting_ended", relativedelta(months=1), poll_at),
    ("invitations", "meeting_ended", relativedelta(days=30), invitation_at),
]
IDS = [f"{category}-{counts_from}" for category, counts_from, _p, _m in CASES]


def test_the_meetings_app_registers_its_categories_from_its_app_config():
    for identifier in ("chat", "meeting_reports", "attendance", "poll_results", "invitations"):
        category = registry.get(identifier)
        assert category.model._meta.app_label == "meetings"
        assert category.hold_model == "meetings.meeting"


@pytest.mark.parametrize(("category", "counts_from", "period", "make"), CASES, ids=IDS)
def test_each_default_rule_deletes_exactly_at_the_end_of_its_period(
    category, counts_from, period, make
):
    rule = RetentionRule.objects.get(category=category, counts_from=counts_from)
    assert rule.period == period  # the default of the policy table
    # months count on the institution's calendar (docs/POLICY.md, retention), days as 24 hours
    end = (timezone.localtime(NOW) if period.months else NOW) - period
    before = make(end + SECOND)
    exactly = make(end)
    after = make(end - SECOND)

    report = services.purge_category(identifier=category, at=NOW)

    assert report.status == "succeeded"
    assert report.done == 2
    remaining = set(type(before).objects.values_list("pk", flat=True))
    assert remaining == {before.pk}
    assert exactly.pk not in remaining and after.pk not in remaining


def test_a_polls_results_go_with_the_poll():
    kept = poll_at(NOW)
    gone = poll_at(NOW - relativedelta(months=1))
    assert NamedBallot.objects.filter(poll=gone).exists()
    assert PollReceipt.objects.filter(poll=gone).exists()
    assert FreeTextAnswer.objects.filter(question__poll=gone).exists()

    services.purge_category(identifier="poll_results", at=NOW)

    assert list(Poll.objects.all()) == [kept]
    for model in (Question, OptionTally, PollReceipt, NamedBallot):
        assert not model.objects.filter(poll_id=gone.pk).exists()
        assert model.objects.filter(poll_id=kept.pk).exists()
    assert not FreeTextAnswer.objects.filter(question__poll_id=gone.pk).exists()
    assert FreeTextAnswer.objects.filter(question__poll_id=kept.pk).exists()


def test_attendance_of_a_meeting_that_requires_it_is_not_deleted_at_the_end():
    required = attendance_required_at(NOW - datetime.timedelta(days=1))
    not_required = attendance_at(NOW - datetime.timedelta(days=1))

    report = services.purge_category(identifier="attendance", at=NOW)

    assert report.done == 1
    assert list(AttendanceRecord.objects.all()) == [required]
    assert not AttendanceRecord.objects.filter(pk=not_required.pk).exists()


def test_a_meeting_nobody_ended_counts_as_ended_a_day_after_its_scheduled_end():
    """The safety net for ``end_meeting``: a crash rolled the end back, or nobody ended the
    room. While the meeting merely overruns (within the grace) nothing goes."""
    stuck = ended_meeting(None, status=Meeting.Status.RUNNING)
    Meeting.objects.filter(pk=stuck.pk).update(ends_at=NOW - UNENDED_MEETING_GRACE)
    overrunning = ended_meeting(None, status=Meeting.Status.RUNNING)
    Meeting.objects.filter(pk=overrunning.pk).update(ends_at=NOW - UNENDED_MEETING_GRACE + SECOND)
    never_held = ended_meeting(None, status=Meeting.Status.SCHEDULED)
    Meeting.objects.filter(pk=never_held.pk).update(
        ends_at=NOW - UNENDED_MEETING_GRACE - datetime.timedelta(days=30)
    )
    stuck_record = attendance_at(NOW, stuck)
    overrunning_record = attendance_at(NOW, overrunning)
    old_invitation = invitation_at(NOW, never_held)

    services.purge_category(identifier="attendance", at=NOW)
    services.purge_category(identifier="invitations", at=NOW)

    assert not AttendanceRecord.objects.filter(pk=stuck_record.pk).exists()
    assert AttendanceRecord.objects.filter(pk=overrunning_record.pk).exists()
    assert not Invitation.objects.filter(pk=old_invitation.pk).exists()


def test_an_invitation_to_a_whole_series_stays_until_the_series_last_occurrence_ended():
    host = make_user()
    series = MeetingSeries.objects.create(
        host=host,
        topic=TOPIC,
        frequency="WEEKLY",
        first_start=NOW - relativedelta(months=3),
        timezone="UTC",
    )
    first = ended_meeting(NOW - relativedelta(months=3), series=series)
    last = ended_meeting(None, status=Meeting.Status.SCHEDULED, series=series)
    Meeting.objects.filter(pk=last.pk).update(ends_at=NOW + datetime.timedelta(days=7))
    to_series = Invitation.objects.create(meeting=first, email=INVITEE, whole_series=True)
    to_first_only = Invitation.objects.create(meeting=first, email="other@uni.example")

    services.purge_category(identifier="invitations", at=NOW)

    assert list(Invitation.objects.all()) == [to_series]
    assert not Invitation.objects.filter(pk=to_first_only.pk).exists()

    Meeting.objects.filter(pk=last.pk).update(
        status=Meeting.Status.ENDED, ended_at=NOW - datetime.timedelta(days=30)
    )
    services.purge_category(identifier="invitations", at=NOW)

    assert not Invitation.objects.exists()


@pytest.mark.parametrize(("category", "counts_from", "period", "make"), CASES, ids=IDS)
def test_a_legal_hold_on_the_meeting_keeps_its_artefacts(category, counts_from, period, make):
    held = make(NOW - period - datetime.timedelta(days=1))
    free = make(NOW - period - datetime.timedelta(days=1))
    LegalHold.objects.create(reference=f"meetings.meeting:{held.meeting_id}", reason="court case")

    report = services.purge_category(identifier=category, at=NOW)

    assert (report.done, report.held) == (1, 1)
    assert type(held).objects.filter(pk=held.pk).exists()
    assert not type(free).objects.filter(pk=free.pk).exists()


def test_a_released_hold_lets_the_next_run_delete():
    message = chat_at(NOW - datetime.timedelta(days=31))
    hold = LegalHold.objects.create(
        reference=f"meetings.meeting:{message.meeting_id}", reason="complaint"
    )
    services.purge_category(identifier="chat", at=NOW)
    assert ChatMessage.objects.filter(pk=message.pk).exists()

    hold.released_at = NOW
    hold.save()
    services.purge_category(identifier="chat", at=NOW)

    assert not ChatMessage.objects.exists()


@pytest.mark.parametrize(("category", "counts_from", "period", "make"), CASES, ids=IDS)
def test_the_deletion_log_proves_the_deletion_without_personal_data(
    category, counts_from, period, make
):
    item = make(NOW - period - datetime.timedelta(days=1))
    key = f"{item._meta.label_lower}:{item.pk}"

    services.purge_category(identifier=category, at=NOW)

    entry = DeletionLogEntry.objects.get(category=category)
    assert entry.count == 1
    assert entry.rule.counts_from == counts_from
    assert services.find_deletions(key) == [entry]
    stored = " ".join(
        str(value)
        for value in DeletionLogEntry.objects.values_list("category", "rule_summary", "action")[0]
    )
    for personal in (CHAT_TEXT, "Alice", INVITEE, "Mustermann", TOPIC, "I object"):
        assert personal not in stored
    assert key.encode() not in bytes(entry.digests)


def test_the_dry_run_lists_every_category_with_item_keys_and_changes_nothing():
    message = chat_at(NOW - datetime.timedelta(days=31))
    report = report_at(NOW - relativedelta(months=2))
    invitation = invitation_at(NOW - datetime.timedelta(days=31))
    poll = poll_at(NOW - relativedelta(months=2))
    record = attendance_at(NOW - datetime.timedelta(days=1))
    out = StringIO()

    call_command("purge", "--dry-run", verbosity=2, stdout=out)

    text = out.getvalue()
    for category in ("chat", "meeting_reports", "attendance", "poll_results", "invitations"):
        assert (
            f"{category}: 1 item expired, 0 kept by legal hold, 1 would be deleted or anonymised."
            in text
        )
    for item in (message, report, invitation, poll, record):
        assert f"{item._meta.label_lower}:{item.pk}" in text
    for personal in (CHAT_TEXT, INVITEE, "Mustermann", TOPIC, "Budget"):
        assert personal not in text
    assert ChatMessage.objects.filter(pk=message.pk).exists()
    assert Poll.objects.filter(pk=poll.pk).exists()
    assert Invitation.objects.filter(pk=invitation.pk).exists()


def _purge_queries(category: str, make: Callable, moment: datetime.datetime, n: int) -> int:
    for _i in range(n):
        make(moment)
    rule = RetentionRule.objects.get(category=category, counts_from=CASES_BY[category])
    with CaptureQueriesContext(connection) as queries:
        report = services.purge_rule(
            category=registry.get(category), rule=rule, at=NOW, run=None, batch_size=1000
        )
    assert report.done == n
    return len(queries)


CASES_BY = {category: counts_from for category, counts_from, _p, _m in reversed(CASES)}


@pytest.mark.parametrize(
    ("category", "make", "age"),
    [
        ("chat", chat_at, relativedelta(days=31)),
        ("meeting_reports", report_at, relativedelta(months=2)),
        ("attendance", attendance_at, relativedelta(days=1)),
        ("poll_results", poll_at, relativedelta(months=2)),
        ("invitations", invitation_at, relativedelta(days=31)),
    ],
)
def test_a_batch_costs_the_same_queries_for_two_items_as_for_twelve(category, make, age):
    """No query per item: the lock, the (cascading) delete and the log entry per batch."""
    few = _purge_queries(category, make, NOW - age, 2)
    many = _purge_queries(category, make, NOW - age, 12)

    assert few == many


def test_a_chat_batch_takes_a_fixed_number_of_queries(django_assert_num_queries):
    meeting = ended_meeting(NOW - datetime.timedelta(days=40), chat_stored=True)
    for _i in range(20):
        chat_at(NOW - datetime.timedelta(days=31), meeting)
    rule = RetentionRule.objects.get(category="chat")

    # the active holds; the batch: savepoint, lock and delete in one DELETE … RETURNING, log,
    # release; the empty last batch: savepoint, the DELETE, release
    assert services.deletes_in_one_statement(registry.get("chat"), rule)
    with django_assert_num_queries(8):
        report = services.purge_rule(
            category=registry.get("chat"), rule=rule, at=NOW, run=None, batch_size=1000
        )

    assert report.done == 20
    assert not ChatMessage.objects.exists()
