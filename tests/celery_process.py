"""A real Celery worker process on the test database and Redis, for one queue of its own.

Tests kill it (SIGKILL) to show what survives a worker's death; ``ready`` waits for its
"ready." line, never a fixed time.
"""

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import connection

from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[1]


def worker_env(**extra: str) -> dict[str, str]:
    database = connection.settings_dict
    return {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
            f"{database['NAME']}"
        ),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "LOG_LEVEL": "INFO",
        **extra,
    }


def wait_until_ready(worker: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    def ready() -> bool:
        if worker.poll() is not None:
            raise AssertionError(f"the worker exited:\n{log.read_text()}")
        return " ready." in log.read_text()

    if not wait_until(ready, timeout=timeout):
        raise AssertionError(f"the worker did not start in time:\n{log.read_text()}")


@contextlib.contextmanager
def celery_worker(
    log: Path,
    queue: str,
    *extra_args: str,
    pool: str = "solo",
    env: dict[str, str] | None = None,
) -> Iterator[subprocess.Popen]:
    """``celery -A portal worker`` for ``queue`` (its own process group, so that a SIGKILL
    reaches the whole worker); stopped when the block ends, unless a test killed it."""
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            *extra_args,
            "--pool",
            pool,
            "--concurrency",
            "1",
            "--queues",
            queue,
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=worker_env(**(env or {})),
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_until_ready(worker, log)
        yield worker
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()


def kill_whole_worker(worker: subprocess.Popen) -> None:
    """SIGKILL to the worker and every process of it: nothing acknowledges or cleans up."""
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()
