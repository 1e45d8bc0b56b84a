"""Two purges at once on PostgreSQL: each item is deleted once and logged once."""

import datetime
import threading

import pytest
from django.db import connection

from portal.identity.models import AuditEvent
from retention import services
from retention.models import DeletionLogEntry, PurgeRun, RetentionRule
from retention.registry import registry
from tests.retention.conftest import NOW, make_item

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

OLD = NOW - datetime.timedelta(days=31)


def _in_threads(count: int, target) -> list:
    """Run ``target`` in ``count`` threads started together; return results or exceptions."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = target()
        except Exception as exc:  # reported to the test below
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_workers_on_the_same_rule_delete_and_log_each_item_once(register_category, rule):
    rule("chat", period_amount=30)
    register_category("chat")
    items = [make_item(created_at=OLD) for _ in range(200)]
    chat_rule = RetentionRule.objects.get(category="chat")

    def purge():
        # both bypass the run claim on purpose: the row locks alone must keep them apart
        return services.purge_rule(
            category=registry.get("chat"), rule=chat_rule, at=NOW, run=None, batch_size=7
        ).done

    results = _in_threads(2, purge)

    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == 200
    assert not AuditEvent.objects.exists()
    logged = [r for e in DeletionLogEntry.objects.all() for r in e.references]
    assert len(logged) == 200
    assert set(logged) == {services.item_reference(f"portal.auditevent:{i.pk}") for i in items}


def test_two_nightly_runs_at_once_make_one_run(register_category, rule):
    rule("chat", period_amount=30)
    register_category("chat")
    for _ in range(50):
        make_item(created_at=OLD)

    results = _in_threads(
        2, lambda: services.purge_category(identifier="chat", at=NOW, batch_size=5)
    )

    statuses = sorted(r.status for r in results)
    assert statuses in (["busy", "succeeded"], ["succeeded", "succeeded"])
    assert not AuditEvent.objects.exists()
    assert sum(e.count for e in DeletionLogEntry.objects.all()) == 50
    assert PurgeRun.objects.filter(status="succeeded").count() == statuses.count("succeeded")
    assert sum(PurgeRun.objects.values_list("deleted_count", flat=True)) == 50
