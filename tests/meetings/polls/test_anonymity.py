"""No stored column, row order or log line relates an anonymous ballot to its voter.

The design is documented in ``meetings/models/polls.py``. These tests look at the database as
an operator would: the schema of the ballot tables, the stored rows and their physical order
(PostgreSQL ``ctid``/``xmin``, SQLite ``rowid``) after a poll, and the log of a voting run.
"""

import logging

import pytest
from django.db import connection

from meetings.live.models import Participant
from meetings.polls import services
from meetings.polls.models import FreeTextAnswer, NamedBallot, OptionTally, PollReceipt
from tests.factories import admit, admit_guest, make_meeting, make_poll, make_user
from tests.meetings.polls.helpers import option_ids, question_id

VOTERS = 24
BALLOT_TABLES = {
    PollReceipt: {"id", "poll_id", "participant_id"},
    OptionTally: {"option_id", "poll_id", "count"},
    FreeTextAnswer: {"id", "question_id", "text"},
}


def _columns(model) -> dict[str, str]:
    with connection.cursor() as cursor:
        description = connection.introspection.get_table_description(cursor, model._meta.db_table)
    return {column.name: column for column in description}


def _relations(model) -> dict[str, str]:
    with connection.cursor() as cursor:
        relations = connection.introspection.get_relations(cursor, model._meta.db_table)
    return {column: table for column, (_, table) in relations.items()}


@pytest.mark.django_db
@pytest.mark.parametrize("model", list(BALLOT_TABLES), ids=lambda m: m.__name__)
def test_the_ballot_tables_hold_only_these_columns(model):
    assert set(_columns(model)) == BALLOT_TABLES[model]


@pytest.mark.django_db
def test_no_ballot_table_has_a_time_or_a_sequence():
    for model in BALLOT_TABLES:
        for field in model._meta.concrete_fields:
            assert field.get_internal_type() not in {
                "DateTimeField",
                "DateField",
                "TimeField",
                "AutoField",
                "BigAutoField",
                "SmallAutoField",
            }, f"{model.__name__}.{field.name}"
    for model in (PollReceipt, FreeTextAnswer):
        assert model._meta.pk.get_internal_type() == "UUIDField"
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_name = ANY(%s) AND (column_default LIKE 'nextval%%' "
                "OR is_identity = 'YES')",
                [[model._meta.db_table for model in BALLOT_TABLES]],
            )
            assert cursor.fetchall() == []


@pytest.mark.django_db
def test_what_was_voted_has_no_reference_to_a_voter_or_a_receipt():
    voter_tables = {
        Participant._meta.db_table,
        PollReceipt._meta.db_table,
        make_user()._meta.db_table,
    }
    assert set(_relations(FreeTextAnswer).values()).isdisjoint(voter_tables)
    assert set(_relations(OptionTally).values()).isdisjoint(voter_tables)
    # only the receipt (that someone voted) points at the participant
    assert _relations(PollReceipt)["participant_id"] == Participant._meta.db_table


def _run_poll(kind: str = "anonymous"):
    poll = make_poll(make_meeting(), kind=kind, min_count_shown=1)
    voters = []
    for index in range(VOTERS):
        voter = (
            admit(poll.meeting)
            if index % 2
            else admit_guest(poll.meeting, f"gk-{index}", name=f"Guest Number {index}")
        )
        services.cast_vote(
            poll=poll,
            participant=voter,
            answers={
                question_id(poll, 0): [str(option_ids(poll, 0)[index % 3])],
                question_id(poll, 1): [str(option_ids(poll, 1)[index % 4])],
                question_id(poll, 2): [f"remark {index:02d}"],
            },
        )
        voters.append(voter)
    return poll, voters


def _physical_order(model, **filters) -> list:
    """Rows in storage order: what an operator sees without ORDER BY."""
    table = model._meta.db_table
    position = "ctid" if connection.vendor == "postgresql" else "rowid"
    column = "text" if model is FreeTextAnswer else "participant_id"
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column}" FROM "{table}" ORDER BY {position}')  # noqa: S608
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db(transaction=True)
def test_after_the_close_no_row_order_follows_the_order_of_voting():
    poll, voters = _run_poll()
    services.close_poll(poll=poll)
    voting_order = [voter.pk for voter in voters]
    receipts = _physical_order(PollReceipt)
    answers = _physical_order(FreeTextAnswer)
    assert sorted(receipts) == sorted(voting_order)
    assert receipts != voting_order  # reshuffled: 1 in 24! to be equal by chance
    assert sorted(answers) == [f"remark {i:02d}" for i in range(VOTERS)]
    assert answers != sorted(answers)
    # the ORM never reads answers in storage order
    assert list(FreeTextAnswer.objects.values_list("text", flat=True)) == sorted(answers)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (PollReceipt, FreeTextAnswer):
                cursor.execute(f'SELECT DISTINCT xmin::text FROM "{model._meta.db_table}"')  # noqa: S608
                assert len(cursor.fetchall()) == 1, f"{model.__name__}: one writing transaction"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_while_open_the_counters_do_not_tell_what_the_last_voter_chose():
    poll, _ = _run_poll()
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT DISTINCT xmin::text FROM "{OptionTally._meta.db_table}" WHERE poll_id = %s',  # noqa: S608
            [poll.pk],
        )
        assert len(cursor.fetchall()) == 1  # every counter last written by the same vote


@pytest.mark.django_db
def test_stored_values_of_an_anonymous_poll_name_no_voter():
    poll, voters = _run_poll()
    services.close_poll(poll=poll)
    identities = set()
    for voter in voters:
        identities |= {str(voter.pk), voter.display_name, voter.guest_key}
        if voter.user:
            identities |= {str(voter.user.pk), voter.user.username}
    identities.discard("")
    receipt_ids = {str(pk) for pk in PollReceipt.objects.values_list("pk", flat=True)}
    for row in FreeTextAnswer.objects.values("id", "text"):
        assert str(row["id"]) not in receipt_ids
        assert row["text"] not in identities
    assert not NamedBallot.objects.exists()
    assert PollReceipt.objects.count() == VOTERS


@pytest.mark.django_db
def test_only_a_named_poll_stores_names_with_answers():
    poll, voters = _run_poll(kind="named")
    assert NamedBallot.objects.filter(poll=poll).count() == VOTERS * 3
    assert set(NamedBallot.objects.values_list("voter_name", flat=True)) == {
        v.display_name for v in voters
    }


@pytest.mark.django_db
def test_a_voting_run_logs_no_voter_and_no_choice(client, caplog):
    caplog.set_level(logging.DEBUG)
    poll = make_poll(make_meeting(), min_count_shown=1)
    secrets_in_play = {"Adopt the budget?", "Yes", "No", "Abstain", "Library", "Lab", "Canteen"}
    for index in range(6):
        voter = admit(poll.meeting, make_user(f"voter-name-{index}"))
        secrets_in_play |= {voter.display_name, voter.user.username, f"secret remark {index}"}
        client.force_login(voter.user)
        data = {
            f"q{question_id(poll, 0)}": str(option_ids(poll, 0)[index % 3]),
            f"q{question_id(poll, 1)}": str(option_ids(poll, 1)[index % 3]),
            f"q{question_id(poll, 2)}": f"secret remark {index}",
        }
        assert (
            client.post(
                f"/meetings/{poll.meeting.meeting_id}/polls/{poll.pk}/vote/", data
            ).status_code
            == 302
        )
        client.post(
            f"/meetings/{poll.meeting.meeting_id}/polls/{poll.pk}/vote/", data
        )  # refused twice
    client.force_login(poll.meeting.host)
    client.post(f"/meetings/{poll.meeting.meeting_id}/polls/{poll.pk}/close/")
    client.get(f"/meetings/{poll.meeting.meeting_id}/polls/{poll.pk}/results.csv")
    assert caplog.records, "the run is logged at all (poll ids and counts)"
    for secret in secrets_in_play:
        assert secret not in caplog.text, secret
