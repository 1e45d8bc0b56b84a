"""Every model field holding personal data belongs to a registered retention category or its
model carries a written reason why it is kept (docs/POLICY.md, retention).

Personal data is what the project marks as such: help text saying "Personal data" (the
convention of docs/ARCHITECTURE.md) and every link to a user account."""

from django.apps import apps
from django.conf import settings
from django.utils import translation

from retention.registry import personal_data_outside_categories, registry


def personal_fields():
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    with translation.override("en"):
        for model in apps.get_models():
            if model._meta.proxy:
                continue
            for field in model._meta.concrete_fields:
                marked = "Personal data" in str(field.help_text or "")
                links_a_person = field.is_relation and field.related_model is user_model
                if marked or links_a_person:
                    yield model._meta.label_lower, field.name


def test_every_personal_field_has_a_category_or_a_written_reason():
    in_categories = {category.queryset().model._meta.label_lower for category in registry}
    unaccounted = sorted(
        f"{label}.{name}"
        for label, name in personal_fields()
        if label not in in_categories and personal_data_outside_categories.get(label) is None
    )
    assert unaccounted == [], (
        "Personal data with neither a retention category nor a declared reason "
        "(retention.registry.declare_personal_data): " + ", ".join(unaccounted)
    )


def test_the_new_categories_are_registered_with_editable_default_rules(db):
    from retention.models import RetentionRule

    rules = {(r.category, r.counts_from): r for r in RetentionRule.objects.all()}
    assert rules[("meetings", "last_occurrence_ended")].period_unit == "months"
    assert rules[("audit_log", "created")].period_amount == 12
    assert rules[("terms_acceptances", "created")].period_unit == "years"


def test_every_declaration_names_a_model_and_gives_a_reason():
    for declaration in personal_data_outside_categories:
        assert apps.get_model(declaration.label)
        assert len(declaration.reason) > 20
