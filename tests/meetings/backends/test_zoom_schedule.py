"""The Zoom reconciliation is scheduled nightly after ``migrate``, never overwriting an admin."""

import pytest
from django_celery_beat.models import PeriodicTask

from meetings.backends.zoom.schedule import ensure_zoom_tasks

pytestmark = pytest.mark.django_db

NAME = "meetings: reconcile the Zoom account"


def test_the_reconciliation_is_scheduled_nightly():
    PeriodicTask.objects.filter(name=NAME).delete()
    assert ensure_zoom_tasks() == [NAME]
    task = PeriodicTask.objects.get(name=NAME)
    assert task.task == "meetings.backends.zoom.tasks.reconcile_task"
    assert (task.crontab.hour, task.crontab.minute) == ("1", "50")


def test_an_admins_change_survives_the_next_migrate():
    PeriodicTask.objects.filter(name=NAME).delete()
    ensure_zoom_tasks()
    PeriodicTask.objects.filter(name=NAME).update(enabled=False)
    assert ensure_zoom_tasks() == []
    assert PeriodicTask.objects.get(name=NAME).enabled is False


def test_the_task_does_nothing_without_zoom(settings):
    from meetings.backends.zoom.tasks import reconcile_task

    settings.MEETINGS_BACKEND = "meetings.backends.builtin.BuiltinBackend"
    assert reconcile_task.apply().get() == 0
