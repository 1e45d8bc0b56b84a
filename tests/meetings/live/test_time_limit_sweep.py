"""The licence's time limit holds by a periodic sweep as well as by each meeting's own eta
task: a worker killed while it holds the eta task ends nothing, the sweep does."""

import datetime
import os

import pytest
from django.utils.timezone import now
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from meetings.live import services as services_live
from meetings.live.models import MeetingReport
from meetings.live.schedule import LIVE_PERIODIC_TASKS
from meetings.scheduling.models import Meeting
from tests.celery_process import celery_worker, kill_whole_worker
from tests.waiting import wait_until

SWEEP = LIVE_PERIODIC_TASKS[0].name


def started(minutes: float) -> datetime.datetime:
    return now() - datetime.timedelta(minutes=minutes)


@pytest.mark.django_db
def test_the_sweep_ends_only_meetings_past_their_limit(make_meeting, member):
    over = make_meeting(host=member, started_at=started(41))
    near = make_meeting(host=member, started_at=started(37))
    fresh = make_meeting(host=member, started_at=started(5))
    business = make_meeting(started_at=started(600))

    assert services_live.enforce_all_time_limits() == {"ended": 1, "warned": 1}
    assert services_live.enforce_all_time_limits() == {"ended": 0, "warned": 0}

    statuses = {
        meeting.pk: Meeting.objects.get(pk=meeting.pk).status
        for meeting in (over, near, fresh, business)
    }
    assert statuses == {
        over.pk: Meeting.Status.ENDED,
        near.pk: Meeting.Status.RUNNING,
        fresh.pk: Meeting.Status.RUNNING,
        business.pk: Meeting.Status.RUNNING,
    }
    assert MeetingReport.objects.get(meeting=over).ended_by_time_limit


@pytest.mark.django_db
def test_the_sweep_is_a_beat_row_every_minute():
    row = PeriodicTask.objects.get(name=SWEEP)
    assert row.task == "meetings.live.tasks.enforce_time_limits_sweep"
    assert (row.crontab.minute, row.crontab.hour) == ("*", "*")


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_holding_the_eta_task_does_not_let_the_meeting_run_on(
    tmp_path, make_meeting, member
):
    from meetings.live.tasks import enforce_meeting_time_limit

    queue = f"time-limit-{os.getpid()}"
    log = tmp_path / "worker.log"
    # Basic: 40 minutes; the deadline is a few seconds away
    meeting = make_meeting(
        host=member, started_at=now() - datetime.timedelta(minutes=40, seconds=-8)
    )
    deadline = services_live.time_limit_deadline(meeting=meeting)
    with celery_worker(log, queue) as first:
        result = enforce_meeting_time_limit.apply_async(
            args=[meeting.pk], eta=deadline, queue=queue
        )
        # the worker has taken the message (it holds eta tasks until they are due)
        assert wait_until(lambda: result.id in log.read_text(), timeout=30), log.read_text()
        kill_whole_worker(first)

    PeriodicTask.objects.exclude(name=SWEEP).update(enabled=False)
    every_second, _ = IntervalSchedule.objects.get_or_create(
        every=1, period=IntervalSchedule.SECONDS
    )
    PeriodicTask.objects.filter(name=SWEEP).update(crontab=None, interval=every_second, queue=queue)
    beat = ("-B", "--scheduler", "django", "--schedule", str(tmp_path / "beat-schedule"))
    with celery_worker(log, queue, *beat):
        ended = wait_until(
            lambda: Meeting.objects.get(pk=meeting.pk).status == Meeting.Status.ENDED,
            timeout=90,
            interval=0.5,
        )

    assert ended, log.read_text()
    assert MeetingReport.objects.get(meeting=meeting).ended_by_time_limit
    assert "enforce_time_limits_sweep" in log.read_text()
