"""The category registry and the base class's defaults."""

import pytest
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import translation

from portal.identity.models import AuditEvent
from retention.models import RetentionRule
from retention.registry import (
    CategoryRegistry,
    DefaultRule,
    EqualsAny,
    RetentionCategory,
    registry,
)
from tests.retention.conftest import NOW, AuditBackedCategory, make_item


class Chat(RetentionCategory):
    identifier = "chat"


class OtherChat(RetentionCategory):
    identifier = "chat"


def test_an_identifier_is_taken_once():
    categories = CategoryRegistry()
    categories.register(Chat)
    categories.register(Chat)  # the same class again (an app reloaded) is fine

    with pytest.raises(ValueError, match="already registered"):
        categories.register(OtherChat)


def test_a_category_needs_an_identifier():
    with pytest.raises(ValueError, match="no identifier"):
        CategoryRegistry().register(type("Nameless", (RetentionCategory,), {}))


def test_the_portal_registers_its_stale_accounts_from_its_app_config():
    assert "stale_accounts" in registry
    assert registry.get("stale_accounts").identifier == "stale_accounts"
    with pytest.raises(LookupError):
        registry.get("no_such_category")


def test_equals_any_matches_exactly_the_given_ids(db):
    items = [make_item(created_at=NOW) for _ in range(3)]

    found = AuditEvent.objects.filter(EqualsAny(F("pk"), [items[0].pk, items[2].pk]))
    none = AuditEvent.objects.filter(EqualsAny(F("pk"), []))

    assert sorted(found.values_list("pk", flat=True)) == [items[0].pk, items[2].pk]
    assert list(none) == []


def test_the_hold_key_names_the_object_a_hold_refers_to(db, register_category):
    category = register_category("chat")
    item = make_item(created_at=NOW, meeting=42)

    assert category.hold_key(item) == "meetings.meeting:42"


def test_without_a_hold_model_the_item_itself_is_the_hold_key(db):
    item = make_item(created_at=NOW)

    class Plain(AuditBackedCategory):
        identifier = "plain"
        hold_model = ""

    assert Plain().hold_key(item) == f"portal.auditevent:{item.pk}"


def test_a_category_declares_its_events_with_labels():
    category = registry.get("attendance")

    assert category.event_identifiers() == ["meeting_ended", "meeting_ended_attendance_required"]
    with translation.override("en"):
        assert registry.event_label("attendance", "meeting_ended") == "end of the meeting"
    assert registry.event_label("attendance", "unknown") == "unknown"
    assert registry.event_label("not_registered", "meeting_ended") == "meeting_ended"


def test_the_engine_offers_only_the_creation_event():
    class Plain(RetentionCategory):
        identifier = "plain"

    assert Plain().event_identifiers() == ["created"]
    assert Plain.default_rules == ()


def test_a_default_rule_must_count_from_one_of_the_categorys_events():
    class Broken(RetentionCategory):
        identifier = "broken"
        default_rules = (DefaultRule("meeting_ended", 1),)

    with pytest.raises(ValueError, match="not one of its events"):
        CategoryRegistry().register(Broken)


def test_a_rule_is_validated_against_its_categorys_events(db):
    rule = RetentionRule(category="chat", counts_from="meeting_ended", period_amount=1)
    with pytest.raises(ValidationError) as raised:
        rule.full_clean()
    assert "counts_from" in raised.value.message_dict

    RetentionRule(category="chat", counts_from="created", period_amount=1).full_clean(
        validate_constraints=False  # the default rule of (chat, created) exists
    )
    # a rule of a category whose app is not installed is kept as it is
    RetentionRule(category="gone", counts_from="whatever", period_amount=1).full_clean()
