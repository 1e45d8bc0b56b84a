"""Every page of the administration passes axe-core (WCAG 2.1 A/AA) in Debian's Chromium: the
dashboard, each registered model's change list, add form and change form, and the portal's
own admin pages (licence report); the periodic-task editor runs under the strict CSP."""

import contextlib

import pytest
from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from playwright.sync_api import expect

from retention.models import LegalHold, PurgeRun
from tests.a11y import WIDE, assert_accessible, logged_in_page, save_screenshot
from tests.factories import make_meeting, make_poll, make_user, published_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def admin_world(demo_institution):
    """At least one row of the models an administrator opens most, so change forms exist."""
    host = make_user("prof.host", display_name="Prof. Host")
    meeting = make_meeting(host, topic="Faculty board")
    make_poll(meeting)
    published_text()
    LegalHold.objects.create(reference=f"meetings.meeting:{meeting.pk}", reason="Complaint 2026-17")
    PurgeRun.objects.create(category="chat_messages", status="failed", failure="disk full")
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    every_hour = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.HOURS)
    PeriodicTask.objects.get_or_create(
        name="demo task", defaults={"task": "retention.tasks.nightly_purge", "interval": every_hour}
    )
    return admin_page_urls()


def admin_page_urls() -> list[str]:
    """The dashboard and, for every model in the admin, its list, add form and a change form."""
    urls = [reverse("admin:index"), reverse("portal_licence_report")]
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        urls.append(reverse("admin:{}_{}_changelist".format(*info)))
        with contextlib.suppress(NoReverseMatch):
            urls.append(reverse("admin:{}_{}_add".format(*info)))
        first = model_admin.get_queryset(_superuser_request()).first()
        if first is not None:
            urls.append(reverse("admin:{}_{}_change".format(*info), args=[first.pk]))
    return urls


def _superuser_request():
    from django.test import RequestFactory

    from portal.identity.models import User

    request = RequestFactory().get("/admin/")
    request.user = User.objects.filter(is_superuser=True).first()
    return request


def test_every_admin_page_passes_axe(live_server, new_page, admin_world, admin_user):
    page = logged_in_page(new_page, live_server, admin_user, second_factor=True)
    page.set_viewport_size(WIDE)
    failures = []
    for url in admin_world:
        response = page.goto(live_server.url + url)
        if response.status == 403:  # an action the admin offers to nobody (read-only logs)
            continue
        assert response.status == 200, url
        try:
            assert_accessible(page, url)
        except AssertionError as error:
            failures.append(str(error))
    assert not failures, "\n".join(failures)


def test_the_dashboard_links_the_administrators_tasks(
    live_server, new_page, admin_world, admin_user
):
    page = logged_in_page(new_page, live_server, admin_user, second_factor=True)
    page.set_viewport_size(WIDE)
    page.goto(live_server.url + reverse("admin:index"))
    tasks = page.locator(".task-tiles")
    for name in (
        "Licence report",
        "Licences and pools",
        "Meeting policy",
        "Consent texts",
        "Retention rules",
        "Legal holds",
        "Purge runs",
        "Erasure requests and exports",
        "Access log",
        "Administrators by IdP group",
    ):
        expect(tasks.get_by_role("link", name=name)).to_be_visible()
    save_screenshot(page, "admin-dashboard")


def test_the_periodic_task_editor_works_under_the_csp(
    live_server, new_page, admin_world, admin_user
):
    """django-celery-beat's form runs its own script (the task name and schedule pickers)
    from a static file: no CSP violation, the task select is filled."""
    from django_celery_beat.models import PeriodicTask

    page = logged_in_page(new_page, live_server, admin_user, second_factor=True)
    page.set_viewport_size(WIDE)
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    task = PeriodicTask.objects.get(name="demo task")
    page.goto(
        live_server.url + reverse("admin:django_celery_beat_periodictask_change", args=[task.pk])
    )
    expect(page.get_by_label("Task (registered)")).to_be_visible()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    assert not violations
    task.refresh_from_db()
    assert task.last_run_at is None or task.last_run_at <= timezone.now()
