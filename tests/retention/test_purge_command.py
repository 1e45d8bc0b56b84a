"""``manage.py purge``: dry run lists, real run deletes, bad input is refused."""

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from portal.identity.models import AuditEvent
from retention.models import DeletionLogEntry, PurgeRun
from tests.factories import backdate, make_user
from tests.retention.conftest import make_item

OLD = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=31)


@pytest.fixture
def chat(db, register_category, rule):
    rule("chat", period_amount=30)
    return register_category("chat")


def test_the_dry_run_lists_per_category_and_changes_nothing(chat):
    item = make_item(created_at=OLD)
    out = StringIO()

    call_command("purge", "--dry-run", "--category", "chat", verbosity=2, stdout=out)

    text = out.getvalue()
    assert "chat: 1 item expired, 0 kept by legal hold, 1 would be deleted or anonymised." in text
    assert f"portal.auditevent:{item.pk}" in text
    assert "Alice" not in text
    assert AuditEvent.objects.filter(pk=item.pk).exists()
    assert not PurgeRun.objects.exists()


def test_without_a_category_it_covers_every_registered_one(chat):
    out = StringIO()

    call_command("purge", "--dry-run", stdout=out)

    assert "chat:" in out.getvalue()
    assert "stale_accounts:" in out.getvalue()


def test_it_purges_an_expired_item_and_logs_the_deletion(chat):
    make_item(created_at=OLD)
    out = StringIO()

    call_command("purge", "--category", "chat", stdout=out)

    assert "chat: 1 item expired, 0 kept by legal hold, 1 deleted or anonymised." in out.getvalue()
    assert not AuditEvent.objects.exists()
    assert DeletionLogEntry.objects.get().count == 1


def test_the_report_is_in_english_with_singular_and_plural(chat, settings):
    """One language whatever the institution's (the rules' labels are translated) and
    "1 day", "2 items": the report of an administrator's command reads correctly."""
    settings.LANGUAGE_CODE = "de"
    make_item(created_at=OLD)
    make_item(created_at=OLD)
    out = StringIO()

    call_command("purge", "--dry-run", stdout=out)

    text = out.getvalue()
    assert "chat: 2 items expired, 0 kept by legal hold, 2 would be deleted or anonymised." in text
    for german in ("Tage", "Monate", "nach ", "Besprechung", "Erstellung"):
        assert german not in text


def test_it_refuses_an_unknown_category(db):
    with pytest.raises(CommandError, match="Unknown category: nonsense"):
        call_command("purge", "--category", "nonsense")
    assert not PurgeRun.objects.exists()


def test_it_refuses_a_batch_size_below_one(db):
    with pytest.raises(CommandError, match="batch-size"):
        call_command("purge", "--batch-size", "0")


def test_a_failing_category_is_reported_and_the_others_still_run(chat, monkeypatch):
    from tests.retention.conftest import AuditBackedCategory

    def broken(self, rule, now):
        raise RuntimeError("broken query")

    monkeypatch.setattr(AuditBackedCategory, "expired", broken)
    make_item(created_at=OLD)
    user = backdate(make_user("left", email="", is_active=False), deletion_due_at=OLD)
    err = StringIO()

    with pytest.raises(CommandError, match="Failed: chat"):
        call_command("purge", stderr=err, stdout=StringIO())

    assert "chat: FAILED RuntimeError: broken query" in err.getvalue()
    assert PurgeRun.objects.get(category="chat").status == PurgeRun.Status.FAILED
    user.refresh_from_db()
    assert user.username.startswith("anonymised-")
