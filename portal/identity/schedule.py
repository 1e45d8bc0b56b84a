"""The portal's nightly jobs as django-celery-beat ``PeriodicTask`` rows (like
``retention.schedule``): created after ``migrate`` when missing, then edited in the admin
("Periodic tasks"); an admin's later changes (time, enabled) are never overwritten.

Deprovisioning runs before the retention purge (02:00 UTC), so that accounts whose deletion
date passed are anonymised the same night.
"""

import json

from django.db import router

#: (name, task, minute, hour) of each nightly job, times in UTC.
NIGHTLY_TASKS = [
    (
        "portal: deprovision stale accounts",
        "portal.identity.tasks.deprovision_stale_accounts_task",
        "30",
        "1",
    ),
    (
        "portal: forget expired SSO assertion IDs",
        "portal.identity.tasks.forget_expired_assertions_task",
        "40",
        "1",
    ),
]


def ensure_nightly_tasks(using: str = "default", **_kwargs: object) -> list[str]:
    """Create the missing ``PeriodicTask`` rows; return the names of those created."""
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    if not router.allow_migrate_model(using, PeriodicTask):
        return []
    created = []
    for name, task, minute, hour in NIGHTLY_TASKS:
        if PeriodicTask.objects.using(using).filter(name=name).exists():
            continue
        schedule, _ = CrontabSchedule.objects.using(using).get_or_create(
            minute=minute,
            hour=hour,
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone="UTC",
        )
        PeriodicTask.objects.using(using).create(
            name=name, task=task, crontab=schedule, kwargs=json.dumps({})
        )
        created.append(name)
    return created
