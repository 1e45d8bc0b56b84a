"""Nightly jobs as django-celery-beat ``PeriodicTask`` rows, and the retention engine's own:
one purge task per registered category.

Rows are created after ``migrate`` (``post_migrate``) when missing, then belong to the admin
("Periodic tasks"): an admin's later edits (time, enabled) are never overwritten, and a removed
task is not recreated unless its row is gone and ``migrate`` runs again. Other apps describe
their jobs as :class:`PeriodicTaskSpec` and call :func:`ensure_periodic_tasks` the same way.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import router

from retention.registry import registry

TASK_NAME = "retention.tasks.purge_category"
#: Nightly at 02:00 UTC, categories a few minutes apart so that they do not all start at once.
NIGHTLY_HOUR = "2"


@dataclass(frozen=True)
class PeriodicTaskSpec:
    """One job: its unique name, the Celery task, when it runs (crontab fields, UTC) and the
    keyword arguments it is called with."""

    name: str
    task: str
    minute: str
    hour: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    description: str = ""


def ensure_periodic_tasks(specs: Iterable[PeriodicTaskSpec], using: str = "default") -> list[str]:
    """Create the ``PeriodicTask`` rows of ``specs`` that do not exist yet (by name); return the
    names of those created. Existing rows are left exactly as they are."""
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    if not router.allow_migrate_model(using, PeriodicTask):
        return []
    created = []
    for spec in specs:
        if PeriodicTask.objects.using(using).filter(name=spec.name).exists():
            continue
        schedule, _ = CrontabSchedule.objects.using(using).get_or_create(
            minute=spec.minute,
            hour=spec.hour,
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone="UTC",
        )
        PeriodicTask.objects.using(using).create(
            name=spec.name,
            task=spec.task,
            crontab=schedule,
            kwargs=json.dumps(spec.kwargs),
            description=spec.description,
        )
        created.append(spec.name)
    return created


def periodic_task_name(identifier: str) -> str:
    return f"retention: purge {identifier}"


def purge_task_specs() -> list[PeriodicTaskSpec]:
    """The nightly purge of every registered category."""
    return [
        PeriodicTaskSpec(
            name=periodic_task_name(category.identifier),
            task=TASK_NAME,
            minute=str((index * 5) % 60),
            hour=NIGHTLY_HOUR,
            kwargs={"category": category.identifier},
            description=str(category.description),
        )
        for index, category in enumerate(registry)
    ]


SWEEPER = PeriodicTaskSpec(
    name="retention: resume purges whose worker was lost",
    task="retention.tasks.resume_abandoned_purges",
    minute="*",
    hour="*",
    description="Every minute: a purge whose worker died is resumed (docs/POLICY.md).",
)

#: Every minute: the sign of life of beat and the workers that ``/healthz`` reports.
HEARTBEAT_TASK = PeriodicTaskSpec(
    name="portal: heartbeat of beat and workers",
    task="retention.tasks.heartbeat",
    minute="*",
    hour="*",
    description="Lets /healthz tell whether Celery beat and a worker run.",
)


#: Nightly before the purges: every active legal hold's reference is checked (retention/holds.py).
CHECK_HOLDS_TASK = PeriodicTaskSpec(
    name="retention: check the legal holds",
    task="retention.tasks.check_holds",
    minute="55",
    hour="1",
    description="Nightly before the purges: holds that match nothing are shown on the holds page.",
)


def ensure_nightly_tasks(using: str = "default", **_kwargs: object) -> list[str]:
    """``post_migrate`` receiver: create the missing purge tasks, the sweeper and the
    heartbeat and the check of the legal holds; return the names created."""
    return ensure_periodic_tasks(
        [*purge_task_specs(), SWEEPER, HEARTBEAT_TASK, CHECK_HOLDS_TASK], using=using
    )
