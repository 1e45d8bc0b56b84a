"""The live room's periodic job as a django-celery-beat row, created after ``migrate`` when
missing (an admin's later changes are never overwritten): the sweep that enforces the
licences' time limits every minute beside each meeting's scheduled task."""

from retention.schedule import PeriodicTaskSpec, ensure_periodic_tasks

LIVE_PERIODIC_TASKS = [
    PeriodicTaskSpec(
        name="meetings: enforce the licences' time limits",
        task="meetings.live.tasks.enforce_time_limits_sweep",
        minute="*",
        hour="*",
        description="Every minute: warn and end meetings at their host licence's time limit.",
    ),
]


def ensure_live_tasks(using: str = "default", **_kwargs: object) -> list[str]:
    """``post_migrate`` receiver: create the missing rows; return the names of those created."""
    return ensure_periodic_tasks(LIVE_PERIODIC_TASKS, using=using)
