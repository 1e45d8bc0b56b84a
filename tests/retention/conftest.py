"""Fixtures for the retention engine's tests.

The apps that own chat, recordings, reports, attendance and polls register their categories
themselves; the engine is tested here with categories registered by the test over the portal's
``AuditEvent`` rows (an audit event "about meeting 42" stands for a chat message of that
meeting: ``target_id`` is the meeting) and with the portal's real stale-accounts category.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.db import models

from portal.identity.models import AuditEvent
from retention.models import RetentionRule
from retention.registry import EqualsAny, RetentionCategory, RetentionEvent, registry

NOW = datetime.datetime(2026, 3, 31, 12, 0, tzinfo=datetime.UTC)


#: Every event the apps' categories declare, so that a test category can stand in for any of them.
ALL_EVENTS = tuple(
    RetentionEvent(identifier, identifier)
    for identifier in (
        "created",
        "meeting_ended",
        "meeting_ended_attendance_required",
        "consent_withdrawn",
        "need_ended",
        "account_left",
        "account_inactive",
    )
)


class AuditBackedCategory(RetentionCategory):
    """Items are audit events; the event time is ``created_at``; holds name the meeting."""

    model = AuditEvent
    events = ALL_EVENTS
    actions = tuple(RetentionRule.Action.values)
    hold_model = "meetings.meeting"
    hold_lookup = "target_id"
    action_name = "test-item"

    def expired(self, rule: RetentionRule, now: datetime.datetime) -> models.QuerySet:
        items = self.queryset().filter(action=self.action_name, details__rule=rule.counts_from)
        if rule.maximum_days is None:
            return items.filter(created_at__lte=rule.cutoff(now))
        # a period chosen per item (the host's), capped by the institution maximum
        expired_ids = [
            pk
            for pk, created_at, requested in items.values_list(
                "pk", "created_at", "details__keep_days"
            )
            if rule.item_expired(created_at, now, requested_days=requested)
        ]
        return items.filter(pk__in=expired_ids)

    def anonymise_batch(self, ids: list[Any]) -> int:
        return (
            self.queryset()
            .filter(EqualsAny(models.F("pk"), ids))
            .update(action="test-anonymised", reason="")
        )


class FileBackedCategory(AuditBackedCategory):
    """Like a recording: each item has a file in ``storage`` named in ``details["file"]``."""

    has_files = True
    storage: FileSystemStorage
    fail_storage = False

    def mark_batch(self, ids: list[Any]) -> None:
        self.queryset().filter(EqualsAny(models.F("pk"), ids)).update(target_type="deleting")

    def delete_files(self, ids: list[Any]) -> None:
        if self.fail_storage:
            raise OSError("storage unavailable")
        for name in (
            self.queryset()
            .filter(EqualsAny(models.F("pk"), ids))
            .values_list("details__file", flat=True)
        ):
            self.storage.delete(name)  # a missing file is fine: FileSystemStorage ignores it


@pytest.fixture
def register_category() -> Iterator:
    """Register a test category under an identifier for one test, in place of the app's
    category of that identifier (restored afterwards)."""
    added: list[str] = []
    replaced: dict[str, type[RetentionCategory]] = {}

    def register(identifier: str, base: type[RetentionCategory] = AuditBackedCategory, **attrs):
        category_class = type(f"Test_{identifier}", (base,), {"identifier": identifier, **attrs})
        if identifier in registry and identifier not in added:
            replaced[identifier] = type(registry.get(identifier))
        registry.unregister(identifier)
        registry.register(category_class)
        added.append(identifier)
        return registry.get(identifier)

    yield register
    for identifier in added:
        registry.unregister(identifier)
    for category_class in replaced.values():
        registry.register(category_class)


def make_item(
    *,
    created_at: datetime.datetime,
    counts_from: str = "created",
    meeting: int | str = 1,
    **details: Any,
) -> AuditEvent:
    item = AuditEvent.objects.create(
        action="test-item",
        target_type="meetings.meeting",
        target_id=str(meeting),
        reason="Chat text: Alice said hello",
        details={"rule": counts_from, **details},
    )
    AuditEvent.objects.filter(pk=item.pk).update(created_at=created_at)
    item.refresh_from_db()
    return item


def make_file_item(storage: FileSystemStorage, **kwargs: Any) -> AuditEvent:
    name = storage.save("recording.webm", ContentFile(b"video"))
    return make_item(file=name, **kwargs)


@pytest.fixture
def rule(db) -> Any:
    def make(category: str, **fields: Any) -> RetentionRule:
        fields.setdefault("counts_from", "created")
        fields.setdefault("period_amount", 30)
        rule, _created = RetentionRule.objects.update_or_create(
            category=category, counts_from=fields.pop("counts_from"), defaults=fields
        )
        return rule

    return make
