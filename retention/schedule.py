"""The nightly schedule: one django-celery-beat ``PeriodicTask`` per registered category.

Created after ``migrate`` (``post_migrate``) for categories that have none yet; an admin's
later edits (time, enabled) are never overwritten, and a removed task is not recreated unless
its row is gone and ``migrate`` runs again.
"""

import json

from django.db import router

from retention.registry import registry

TASK_NAME = "retention.tasks.purge_category"
#: Nightly at 02:00 UTC, categories a few minutes apart so that they do not all start at once.
NIGHTLY_HOUR = "2"


def periodic_task_name(identifier: str) -> str:
    return f"retention: purge {identifier}"


def ensure_nightly_tasks(using: str = "default", **_kwargs: object) -> list[str]:
    """Create the missing ``PeriodicTask`` rows; return the names of those created."""
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    if not router.allow_migrate_model(using, PeriodicTask):
        return []
    created = []
    for index, category in enumerate(registry):
        name = periodic_task_name(category.identifier)
        if PeriodicTask.objects.using(using).filter(name=name).exists():
            continue
        schedule, _ = CrontabSchedule.objects.using(using).get_or_create(
            minute=str((index * 5) % 60),
            hour=NIGHTLY_HOUR,
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone="UTC",
        )
        PeriodicTask.objects.using(using).create(
            name=name,
            task=TASK_NAME,
            crontab=schedule,
            kwargs=json.dumps({"category": category.identifier}),
            description=str(category.description),
        )
        created.append(name)
    return created
