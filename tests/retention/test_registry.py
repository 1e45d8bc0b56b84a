"""The category registry and the base class's defaults."""

import pytest
from django.db.models import F

from portal.identity.models import AuditEvent
from retention.registry import CategoryRegistry, EqualsAny, RetentionCategory, registry
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
