"""Each default rule of the policy table on its boundary: just before, exactly at, just after."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from portal.identity.models import AuditEvent, User
from retention import services
from retention.models import RetentionRule
from retention.registry import registry
from retention.services import install_default_rules
from tests.factories import backdate, make_user
from tests.retention.conftest import NOW, make_item

SECOND = datetime.timedelta(seconds=1)

# (category, counts from, the period the policy table gives)
POLICY_PERIODS = [
    ("chat", "created", relativedelta(days=30)),
    ("recordings", "consent_withdrawn", relativedelta(days=7)),
    ("meeting_reports", "meeting_ended", relativedelta(months=1)),
    ("attendance", "meeting_ended", relativedelta()),
    ("poll_results", "meeting_ended", relativedelta(months=1)),
]


def test_the_defaults_follow_the_policy_table(db):
    rules = {
        (r.category, r.counts_from): (r.period, r.action, r.maximum_days)
        for r in RetentionRule.objects.all()
    }
    assert rules[("chat", "created")] == (relativedelta(days=30), "delete", None)
    assert rules[("recordings", "consent_withdrawn")] == (relativedelta(days=7), "delete", None)
    assert rules[("recordings", "need_ended")] == (relativedelta(days=30), "delete", 180)
    assert rules[("meeting_reports", "meeting_ended")] == (relativedelta(months=1), "delete", None)
    assert rules[("attendance", "meeting_ended")] == (relativedelta(), "delete", None)
    assert rules[("attendance", "meeting_ended_attendance_required")][0] == relativedelta(months=6)
    assert rules[("poll_results", "meeting_ended")] == (relativedelta(months=1), "delete", None)
    assert rules[("stale_accounts", "account_left")] == (relativedelta(), "anonymise", None)
    assert rules[("invitations", "meeting_ended")] == (relativedelta(days=30), "delete", None)
    assert rules[("consent_records", "recordings_gone")] == (
        relativedelta(years=3),
        "anonymise",
        None,
    )
    assert rules[("stale_accounts", "account_inactive")] == (
        relativedelta(days=365),
        "anonymise",
        None,
    )


@pytest.mark.parametrize(("category", "counts_from", "period"), POLICY_PERIODS)
def test_a_default_rule_deletes_exactly_at_the_end_of_its_period(
    db, register_category, category, counts_from, period
):
    register_category(category)
    # months count on the institution's calendar (Europe/Berlin: NOW is after the clocks
    # changed, the end of a month's period before), days as 24 hours
    end_of_period = (timezone.localtime(NOW) if period.months else NOW) - period
    before = make_item(created_at=end_of_period + SECOND, counts_from=counts_from)
    exactly = make_item(created_at=end_of_period, counts_from=counts_from)
    after = make_item(created_at=end_of_period - SECOND, counts_from=counts_from)

    report = services.purge_category(identifier=category, at=NOW)

    assert report.done == 2
    remaining = set(AuditEvent.objects.values_list("pk", flat=True))
    assert before.pk in remaining
    assert exactly.pk not in remaining
    assert after.pk not in remaining


def test_a_recording_goes_after_the_hosts_period_capped_by_the_institution_maximum(
    db, register_category
):
    register_category("recordings")
    host_ten_days = NOW - datetime.timedelta(days=10)
    kept_by_host = make_item(
        created_at=host_ten_days + SECOND, counts_from="need_ended", keep_days=10
    )
    at_host_period = make_item(created_at=host_ten_days, counts_from="need_ended", keep_days=10)
    maximum = NOW - datetime.timedelta(days=180)
    asked_for_a_year_within_maximum = make_item(
        created_at=maximum + SECOND, counts_from="need_ended", keep_days=365
    )
    asked_for_a_year_at_maximum = make_item(
        created_at=maximum, counts_from="need_ended", keep_days=365
    )
    no_choice_at_default = make_item(
        created_at=NOW - datetime.timedelta(days=30), counts_from="need_ended"
    )
    no_choice_before_default = make_item(
        created_at=NOW - datetime.timedelta(days=30) + SECOND, counts_from="need_ended"
    )

    services.purge_category(identifier="recordings", at=NOW)

    remaining = set(AuditEvent.objects.values_list("pk", flat=True))
    assert remaining == {
        kept_by_host.pk,
        asked_for_a_year_within_maximum.pk,
        no_choice_before_default.pk,
    }
    assert at_host_period.pk not in remaining
    assert asked_for_a_year_at_maximum.pk not in remaining
    assert no_choice_at_default.pk not in remaining


def test_attendance_of_a_meeting_that_requires_it_stays_for_the_admins_period(
    db, register_category
):
    register_category("attendance")
    end = NOW - relativedelta(months=6)
    rule = "meeting_ended_attendance_required"
    before = make_item(created_at=end + SECOND, counts_from=rule)
    exactly = make_item(created_at=end, counts_from=rule)
    not_required_just_ended = make_item(created_at=NOW, counts_from="meeting_ended")

    services.purge_category(identifier="attendance", at=NOW)

    assert set(AuditEvent.objects.values_list("pk", flat=True)) == {before.pk}
    assert not AuditEvent.objects.filter(pk__in=[exactly.pk, not_required_just_ended.pk]).exists()


def _user(username: str, **moments: datetime.datetime) -> User:
    return backdate(make_user(username, first_name="Erika", last_name="Mustermann"), **moments)


@pytest.mark.parametrize(
    ("counts_from", "period", "moment"),
    [
        # the account's deletion date (set by deprovisioning), default period 0 days
        ("account_left", relativedelta(), "deletion_due_at"),
        ("account_inactive", relativedelta(days=365), "last_login"),
    ],
)
def test_a_stale_account_is_anonymised_exactly_at_the_end_of_its_period(
    db, counts_from, period, moment
):
    end = NOW - period
    recent = {"last_login": NOW, "date_joined": NOW}
    before = _user("before", **{**recent, moment: end + SECOND})
    exactly = _user("exactly", **{**recent, moment: end})
    after = _user("after", **{**recent, moment: end - SECOND})

    services.purge_category(identifier="stale_accounts", at=NOW)

    for user in (before, exactly, after):
        user.refresh_from_db()
    assert before.username == "before"
    assert before.email == "before@uni.example"
    assert exactly.username == f"anonymised-{exactly.pk}"
    assert after.username == f"anonymised-{after.pk}"
    assert (after.email, after.first_name, after.last_name) == ("", "", "")


def _defaults() -> dict[tuple[str, str], tuple]:
    return {
        (category.identifier, default.counts_from): (
            default.amount,
            default.unit,
            default.maximum_days,
            default.action,
        )
        for category in registry
        for default in category.default_rules
    }


def test_the_installed_rules_are_exactly_the_categories_defaults(db):
    installed = {
        (r.category, r.counts_from): (r.period_amount, r.period_unit, r.maximum_days, r.action)
        for r in RetentionRule.objects.all()
    }

    assert installed == _defaults()
    # with API tokens, LTI accounts, data exports, the access log, consent records and more
    assert len(installed) == 20


def test_an_emptied_rule_table_gets_the_defaults_again_after_migrate(db):
    RetentionRule.objects.all().delete()

    assert len(install_default_rules()) == 20
    assert RetentionRule.objects.count() == 20
    assert RetentionRule.objects.get(category="invitations").period_amount == 30
    assert RetentionRule.objects.get(counts_from="account_left").period_amount == 0
    assert install_default_rules() == []  # never on top of existing rules


def test_an_edited_or_disabled_rule_is_never_overwritten(db):
    RetentionRule.objects.filter(category="chat").update(period_amount=3, enabled=False)
    RetentionRule.objects.filter(category="meeting_reports").update(
        period_amount=90, period_unit="days", action="delete"
    )

    assert install_default_rules() == []

    chat = RetentionRule.objects.get(category="chat")
    assert (chat.period_amount, chat.enabled) == (3, False)
    reports = RetentionRule.objects.get(category="meeting_reports")
    assert (reports.period_amount, reports.period_unit) == (90, "days")


def test_a_missing_default_of_one_category_is_installed_beside_the_others(db):
    # a category added by a later release: its defaults arrive, nothing else changes
    RetentionRule.objects.filter(category="chat").update(period_amount=3)
    RetentionRule.objects.filter(category="invitations").delete()

    [created] = install_default_rules()

    assert (created.category, created.counts_from, created.period_amount) == (
        "invitations",
        "meeting_ended",
        30,
    )
    assert RetentionRule.objects.get(category="chat").period_amount == 3


def test_months_count_on_the_institutions_calendar_not_utcs(db, register_category, settings):
    """A meeting that ended on 1 March shortly after midnight in Berlin (still 28 February in
    UTC) is kept until 1 April local time under a "1 month" rule; on UTC's calendar it went
    on 28 March."""
    settings.TIME_ZONE = "Europe/Berlin"
    register_category("meeting_reports")
    ended = datetime.datetime(2026, 3, 1, 0, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    item = make_item(created_at=ended, counts_from="meeting_ended")

    services.purge_category(
        identifier="meeting_reports", at=datetime.datetime(2026, 3, 29, 12, 0, tzinfo=datetime.UTC)
    )
    assert AuditEvent.objects.filter(pk=item.pk).exists()
    services.purge_category(
        identifier="meeting_reports",
        at=datetime.datetime(2026, 4, 1, 0, 29, tzinfo=ZoneInfo("Europe/Berlin")),
    )
    assert AuditEvent.objects.filter(pk=item.pk).exists()
    services.purge_category(
        identifier="meeting_reports",
        at=datetime.datetime(2026, 4, 1, 0, 30, tzinfo=ZoneInfo("Europe/Berlin")),
    )
    assert not AuditEvent.objects.filter(pk=item.pk).exists()


def test_a_years_rule_counts_calendar_years(db):
    rule = RetentionRule(category="x", period_amount=1, period_unit="years")
    leap_day = datetime.datetime(2028, 2, 29, 12, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert rule.expires_at(leap_day) == datetime.datetime(
        2029, 2, 28, 12, 0, tzinfo=ZoneInfo("Europe/Berlin")
    )
