"""The retention admin: rules editable, holds with who and why, runs and log read-only."""

import pytest
from django.urls import reverse

from retention.models import DeletionLogEntry, LegalHold, PurgeRun, RetentionRule
from tests.factories import make_meeting


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_user(username="clerk", is_staff=True)
    client.force_login(user)
    return client


def test_it_lists_the_rules_and_whether_their_category_is_registered(admin_client):
    response = admin_client.get(reverse("admin:retention_retentionrule_changelist"))

    assert response.status_code == 200
    assert b"stale_accounts" in response.content
    assert b"meeting_reports" in response.content


def test_an_admin_changes_a_rules_period(admin_client):
    rule = RetentionRule.objects.get(category="chat")

    response = admin_client.post(
        reverse("admin:retention_retentionrule_change", args=[rule.pk]),
        {
            "category": "chat",
            "counts_from": "created",
            "period_amount": "14",
            "period_unit": "days",
            "maximum_days": "",
            "action": "delete",
            "enabled": "on",
        },
    )

    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.period_amount == 14


def test_a_rule_with_an_event_its_category_does_not_know_is_refused(admin_client):
    RetentionRule.objects.filter(category="stale_accounts", counts_from="account_left").delete()

    response = admin_client.post(
        reverse("admin:retention_retentionrule_add"),
        {
            "category": "stale_accounts",
            "counts_from": "created",
            "period_amount": "1",
            "period_unit": "days",
            "action": "anonymise",
        },
        headers={"accept-language": "en"},
    )

    assert response.status_code == 200
    assert b"cannot count its period from this event" in response.content
    assert not RetentionRule.objects.filter(category="stale_accounts", counts_from="created")


def test_an_existing_rule_keeps_its_category_and_event(admin_client):
    rule = RetentionRule.objects.get(category="stale_accounts", counts_from="account_left")

    response = admin_client.post(
        reverse("admin:retention_retentionrule_change", args=[rule.pk]),
        {
            "category": "chat",
            "counts_from": "account_inactive",
            "period_amount": "2",
            "period_unit": "days",
            "action": "anonymise",
            "enabled": "on",
        },
    )

    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.category, rule.counts_from, rule.period_amount) == (
        "stale_accounts",
        "account_left",
        2,
    )


def test_the_rules_show_their_categorys_event_labels(admin_client):
    response = admin_client.get(
        reverse("admin:retention_retentionrule_changelist"),
        headers={"accept-language": "en"},
    )

    assert b"end of a meeting that requires attendance" in response.content
    assert b"meeting_ended_attendance_required" not in response.content


def test_the_rule_form_offers_the_events_grouped_by_category(admin_client):
    response = admin_client.get(
        reverse("admin:retention_retentionrule_add"), headers={"accept-language": "en"}
    )

    form = response.context["adminform"].form
    groups = dict(form.fields["counts_from"].choices)
    assert ("account_left", "the account's deletion date (set when the person leaves)") in (
        groups["Accounts of people who left or stayed inactive"]
    )
    assert "attendance" in dict(form.fields["category"].choices)


def test_an_existing_rule_shows_its_events_label(admin_client):
    rule = RetentionRule.objects.get(category="stale_accounts", counts_from="account_left")

    response = admin_client.get(
        reverse("admin:retention_retentionrule_change", args=[rule.pk]),
        headers={"accept-language": "en"},
    )

    assert "the account&#x27;s deletion date" in response.content.decode()


def test_a_default_rule_cannot_be_deleted_only_disabled(admin_client):
    rule = RetentionRule.objects.get(category="chat")

    response = admin_client.post(
        reverse("admin:retention_retentionrule_delete", args=[rule.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert RetentionRule.objects.filter(pk=rule.pk).exists()


def test_a_rule_of_an_unregistered_category_can_be_deleted(admin_client):
    rule = RetentionRule.objects.create(category="gone", counts_from="x", period_amount=1)

    response = admin_client.post(
        reverse("admin:retention_retentionrule_delete", args=[rule.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not RetentionRule.objects.filter(pk=rule.pk).exists()


def test_a_hold_records_who_ordered_it(admin_client, admin_user):
    meeting = make_meeting()
    response = admin_client.post(
        reverse("admin:retention_legalhold_add"),
        {"held_object": f"meeting:{meeting.meeting_id}", "reason": "court order 1 O 23/26"},
    )

    assert response.status_code == 302
    hold = LegalHold.objects.get()
    assert hold.created_by == admin_user
    assert hold.is_active


def test_a_hold_naming_nothing_is_refused(admin_client):
    response = admin_client.post(
        reverse("admin:retention_legalhold_add"),
        {"held_object": "meeting 42", "reason": "x"},
        headers={"accept-language": "en"},
    )

    assert response.status_code == 200
    assert "Nothing matches “meeting 42”" in response.content.decode()
    assert not LegalHold.objects.exists()


def test_the_hold_form_names_objects_as_the_portal_shows_them(admin_client):
    response = admin_client.get(
        reverse("admin:retention_legalhold_add"), headers={"accept-language": "en"}
    )

    body = response.content.decode()
    assert "“meeting:54597762388” or just the ID" in body
    assert "“user:alice”" in body


def test_holds_are_released_by_an_action(admin_client):
    hold = LegalHold.objects.create(reference="meetings.meeting:1", reason="x")

    response = admin_client.post(
        reverse("admin:retention_legalhold_changelist"),
        {"action": "release", "_selected_action": [hold.pk]},
    )

    assert response.status_code == 302
    hold.refresh_from_db()
    assert hold.released_at is not None


def test_failed_runs_stand_out(admin_client):
    PurgeRun.objects.create(category="chat", status="failed", failure="OSError: storage down")

    response = admin_client.get(reverse("admin:retention_purgerun_changelist"))

    assert response.status_code == 200
    assert b'class="retention-status retention-status-failed"' in response.content
    assert b"OSError: storage down" in response.content
    assert b"retention/admin.css" in response.content


def test_runs_and_the_deletion_log_are_read_only(admin_client):
    entry = DeletionLogEntry.objects.create(
        category="chat", rule_summary="chat", action="delete", count=1, digests=bytes(32)
    )

    add = admin_client.get(reverse("admin:retention_deletionlogentry_add"))
    delete = admin_client.post(
        reverse("admin:retention_deletionlogentry_delete", args=[entry.pk]), {"post": "yes"}
    )
    run_add = admin_client.get(reverse("admin:retention_purgerun_add"))

    assert add.status_code == 403
    assert delete.status_code == 403
    assert run_add.status_code == 403
    assert DeletionLogEntry.objects.filter(pk=entry.pk).exists()


def test_staff_without_permission_cannot_see_the_rules(staff_client):
    response = staff_client.get(reverse("admin:retention_retentionrule_changelist"))

    assert response.status_code == 403


def test_anonymous_visitors_are_sent_to_the_login(client, db):
    response = client.get(reverse("admin:retention_retentionrule_changelist"))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_searching_the_log_for_an_item_key_finds_its_deletion(admin_client, db):
    from django.contrib.auth import get_user_model

    from retention import services

    user = get_user_model().objects.create_user(username="gone", is_active=False)
    get_user_model().objects.filter(pk=user.pk).update(last_login="2020-01-01T00:00:00Z")
    services.purge_category(identifier="stale_accounts")
    entry = DeletionLogEntry.objects.get()

    found = admin_client.get(
        reverse("admin:retention_deletionlogentry_changelist"), {"q": f"portal.user:{user.pk}"}
    )
    not_found = admin_client.get(
        reverse("admin:retention_deletionlogentry_changelist"),
        {"q": f"portal.user:{user.pk + 1}"},
    )

    assert found.status_code == 200
    assert list(found.context["cl"].result_list) == [entry]
    assert list(not_found.context["cl"].result_list) == []


def test_each_field_edited_in_the_rules_list_names_its_column_and_row(admin_client):
    """The inline-editable fields of the change list have labels of their own (axe: label,
    select-name): the column and the rule, different in every row."""
    response = admin_client.get(
        reverse("admin:retention_retentionrule_changelist"), HTTP_ACCEPT_LANGUAGE="en"
    )
    body = response.content.decode()
    rules = list(RetentionRule.objects.order_by("category", "pk")[:2])
    for rule in rules:
        assert f'aria-label="Unit: {rule}"' in body
    assert body.count('aria-label="Unit: ') == RetentionRule.objects.count()
