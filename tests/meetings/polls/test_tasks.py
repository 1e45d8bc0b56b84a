"""The vacuum of the ballot tables after a close runs as a Celery task, not in the request."""

import pytest
from django.db import connection

from meetings.polls import services, tasks
from meetings.polls.models import PollReceipt
from portal.celery import app as celery_app
from tests.factories import admit, make_meeting, make_poll
from tests.meetings.polls.helpers import option_ids, question_id


def _voted_and_closed_poll():
    poll = make_poll(make_meeting())
    for _index in range(3):
        services.cast_vote(
            poll=poll,
            participant=admit(poll.meeting),
            answers={
                question_id(poll, 0): [str(option_ids(poll, 0)[0])],
                question_id(poll, 1): [str(option_ids(poll, 1)[0])],
            },
        )
    services.close_poll(poll=poll)
    return poll


def test_the_task_is_registered_with_celery():
    assert "meetings.polls.tasks.vacuum_ballot_tables" in celery_app.tasks


@pytest.mark.django_db
def test_inside_a_transaction_the_vacuum_does_nothing_and_says_so():
    assert tasks.vacuum_ballot_tables.apply().get() is False


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_task_vacuums_the_ballot_tables_and_can_run_twice():
    poll = _voted_and_closed_poll()
    assert tasks.vacuum_ballot_tables.apply().get() is True
    assert tasks.vacuum_ballot_tables.apply().get() is True  # idempotent
    assert PollReceipt.objects.filter(poll=poll).count() == 3
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = %s",
            [PollReceipt._meta.db_table],
        )
        row = cursor.fetchone()
    assert row is None or row[0] == 0


@pytest.mark.django_db(transaction=True)
def test_closing_a_poll_queues_the_vacuum_after_the_commit(monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.vacuum_ballot_tables, "delay", lambda: queued.append(True))
    poll = _voted_and_closed_poll()
    poll.refresh_from_db()
    assert poll.status == poll.Status.CLOSED
    assert queued == [True]
