"""The registry of personal data by person: every model holding personal data is covered by a
registered kind that can find, export and erase it."""

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.utils import translation

from retention.subjects import DataSubject, PersonalDataKind, SubjectRegistry, subjects


def models_with_personal_data() -> set[str]:
    """Every model one of whose fields says "Personal data" in its (English) help text, and the
    user; proxies share their model's table and are covered with it."""
    found = {get_user_model()._meta.label_lower}
    with translation.override("en"):
        for model in apps.get_models():
            if model._meta.proxy:
                continue
            for field in model._meta.get_fields():
                if "Personal data" in str(getattr(field, "help_text", "")):
                    found.add(model._meta.label_lower)
    return found


def test_the_check_sees_the_marked_models():
    """Guards the guard: the marker is found (in English, whatever the default language)."""
    marked = models_with_personal_data()
    assert {"meetings.chatmessage", "consent.consentdecision", "portal.auditevent"} <= marked
    assert "retention.purgerun" not in marked  # "no personal data" is not a marker


def test_every_model_with_personal_data_has_a_registered_kind():
    uncovered = models_with_personal_data() - subjects.covered_models()
    assert uncovered == set(), f"no exporter and eraser registered for {sorted(uncovered)}"


def test_every_kind_implements_export_and_erasure():
    for kind in subjects:
        assert type(kind).export_row is not PersonalDataKind.export_row, kind.identifier
        assert type(kind).find is not PersonalDataKind.find, kind.identifier
        assert kind.description and kind.purpose and kind.legal_basis, kind.identifier
        for label in kind.models:
            assert apps.get_model(label), label


@pytest.mark.django_db
def test_a_person_without_records_is_found_nowhere_and_erased_without_error():
    nobody = DataSubject(user_id=987654, emails=("nobody@uni.example",), names=("Nobody",))
    for kind in subjects.in_erasure_order():
        assert kind.count(nobody) == 0, kind.identifier
        result = kind.erase(nobody, batch_size=10)
        assert result.deleted_keys == result.anonymised_keys == [], kind.identifier


def test_an_identifier_is_registered_once():
    registry = SubjectRegistry()

    class First(PersonalDataKind):
        identifier = "things"

    class Second(PersonalDataKind):
        identifier = "things"

    registry.register(First)
    registry.register(First)  # the same class again (a reloaded module) is fine
    with pytest.raises(ValueError, match="already registered"):
        registry.register(Second)


def test_a_kind_needs_an_identifier():
    class Nameless(PersonalDataKind):
        pass

    with pytest.raises(ValueError, match="no identifier"):
        SubjectRegistry().register(Nameless)


def test_the_account_is_erased_last():
    assert subjects.in_erasure_order()[-1].identifier in {"account", "erasure_requests"}
    order = [kind.identifier for kind in subjects.in_erasure_order()]
    assert order.index("consent_decisions") < order.index("account")


def test_a_model_loses_its_cover_when_its_kind_is_gone():
    chat = subjects.get("chat_messages")
    subjects.unregister("chat_messages")
    try:
        assert "meetings.chatmessage" in models_with_personal_data() - subjects.covered_models()
    finally:
        subjects.register(type(chat))
