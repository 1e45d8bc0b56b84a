"""After a poll closes, no page of the ballot tables holds a former row version.

Read as a database superuser would, with ``pageinspect``: every block of each ballot table,
its TOAST table and its indexes, raw bytes and line pointers. Before the rewrite the pages
still hold the counters' history and the receipts' keys before the reshuffle (the test shows
it can see them); after it, only the live rows.
"""

import uuid

import pytest
from django.db import connection

from meetings.polls import services, tasks
from meetings.polls.models import FreeTextAnswer, OptionTally, PollReceipt
from tests.factories import admit, make_meeting, make_poll
from tests.meetings.polls.helpers import option_ids, question_id

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

VOTERS = 12
TABLES = (PollReceipt, FreeTextAnswer, OptionTally)


@pytest.fixture(autouse=True)
def _pageinspect():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pageinspect'")
        if cursor.fetchone() is None:
            pytest.skip("PostgreSQL's pageinspect extension is not installed")
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pageinspect")


def relations(model) -> list[str]:
    """The table, its TOAST table and its indexes."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.oid::regclass::text FROM pg_class c WHERE c.oid = %s::regclass "
            "OR c.oid = (SELECT reltoastrelid FROM pg_class WHERE oid = %s::regclass) "
            "OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = %s::regclass "
            "  OR indrelid = (SELECT reltoastrelid FROM pg_class WHERE oid = %s::regclass))",
            [model._meta.db_table] * 4,
        )
        return [row[0] for row in cursor.fetchall()]


def raw_pages(model) -> bytes:
    chunks = []
    with connection.cursor() as cursor:
        for relation in relations(model):
            cursor.execute("SELECT pg_relation_size(%s::regclass) / 8192", [relation])
            for block in range(cursor.fetchone()[0]):
                cursor.execute("SELECT get_raw_page(%s, %s)", [relation, block])
                chunks.append(bytes(cursor.fetchone()[0]))
    return b"".join(chunks)


def heap_tuples(model) -> int:
    """Line pointers that hold a tuple (live or dead) in every page of the table."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_relation_size(%s::regclass) / 8192", [table])
        total = 0
        for block in range(cursor.fetchone()[0]):
            cursor.execute(
                "SELECT count(*) FROM heap_page_items(get_raw_page(%s, %s)) WHERE lp_len > 0",
                [table, block],
            )
            total += cursor.fetchone()[0]
    return total


def leftover_bytes(model) -> int:
    """Non-zero bytes in the free space of the table's pages (between the line pointers and
    the tuples), where pruned row versions leave their contents."""
    table = model._meta.db_table
    total = 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_relation_size(%s::regclass) / 8192", [table])
        for block in range(cursor.fetchone()[0]):
            cursor.execute("SELECT get_raw_page(%s, %s)", [table, block])
            page = bytes(cursor.fetchone()[0])
            cursor.execute("SELECT lower, upper FROM page_header(%s)", [page])
            lower, upper = cursor.fetchone()
            total += sum(1 for byte in page[lower:upper] if byte)
    return total


def run_and_close_poll(monkeypatch):
    monkeypatch.setattr(tasks.vacuum_ballot_tables, "delay", lambda: None)
    poll = make_poll(make_meeting(), min_count_shown=1)
    for index in range(VOTERS):
        services.cast_vote(
            poll=poll,
            participant=admit(poll.meeting),
            answers={
                question_id(poll, 0): [str(option_ids(poll, 0)[index % 3])],
                question_id(poll, 1): [str(option_ids(poll, 1)[index % 4])],
                question_id(poll, 2): [f"remark-{index:02d}-" + "x" * 40],
            },
        )
    keys_while_open = [key.bytes for key in PollReceipt.objects.values_list("id", flat=True)]
    services.close_poll(poll=poll)
    return poll, keys_while_open


def test_before_the_rewrite_the_pages_still_hold_former_versions(monkeypatch):
    run_and_close_poll(monkeypatch)

    # what a plain VACUUM leaves: the bytes of the old versions in free space
    with connection.cursor() as cursor:
        for model in TABLES:
            cursor.execute(f'VACUUM "{model._meta.db_table}"')
    assert raw_pages(FreeTextAnswer).count(b"remark-00-") > 1  # the answer before the reshuffle
    assert leftover_bytes(OptionTally) > 0  # the counters' history in the free space
    assert leftover_bytes(FreeTextAnswer) > 0


def test_after_the_rewrite_only_the_live_rows_are_in_any_page(monkeypatch):
    _poll, keys_while_open = run_and_close_poll(monkeypatch)

    assert tasks.vacuum_ballot_tables.apply().get() is True

    receipts = raw_pages(PollReceipt)
    assert not any(key in receipts for key in keys_while_open)
    for key in PollReceipt.objects.values_list("id", flat=True):
        assert isinstance(key, uuid.UUID) and key.bytes in receipts
    answers = raw_pages(FreeTextAnswer)
    for index in range(VOTERS):
        assert answers.count(f"remark-{index:02d}-".encode()) == 1
    for model in TABLES:
        assert heap_tuples(model) == model.objects.count(), model.__name__
        assert leftover_bytes(model) == 0, model.__name__


def test_a_rewrite_that_cannot_get_its_lock_is_retried_not_waited_for(monkeypatch):
    from django.db import connections

    run_and_close_poll(monkeypatch)
    other = connections.create_connection("default")
    try:
        other.set_autocommit(False)
        with other.cursor() as cursor:  # a long transaction holding the table
            cursor.execute(f'LOCK TABLE "{FreeTextAnswer._meta.db_table}" IN ACCESS SHARE MODE')
        with pytest.raises(services.BallotTablesBusy):
            services.vacuum_ballot_tables()
        assert PollReceipt.objects.count() == VOTERS  # nothing lost meanwhile
    finally:
        other.rollback()
        other.close()
    assert services.vacuum_ballot_tables() is True


def test_an_old_snapshot_elsewhere_keeps_no_former_version_in_the_pages(monkeypatch):
    """``VACUUM FULL`` would copy every version an open snapshot may still see; the rewrite
    copies only the live rows, whoever else is reading."""
    from django.db import connections

    reader = connections.create_connection("default")
    try:
        reader.set_autocommit(False)
        with reader.cursor() as cursor:  # a long reader from before the votes and the close
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("SELECT count(*) FROM django_migrations")
        _poll, keys_while_open = run_and_close_poll(monkeypatch)

        assert services.vacuum_ballot_tables() is True

        receipts = raw_pages(PollReceipt)
        assert not any(key in receipts for key in keys_while_open)
        for model in TABLES:
            assert heap_tuples(model) == model.objects.count(), model.__name__
            assert leftover_bytes(model) == 0, model.__name__
    finally:
        reader.rollback()
        reader.close()
