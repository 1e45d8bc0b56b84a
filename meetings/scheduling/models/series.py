import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from meetings.scheduling import recurrence


class MeetingSeries(models.Model):
    """A recurring meeting: an RFC 5545 rule (daily, weekly or monthly; until a date or a
    number of times) whose occurrences are materialised as ``Meeting`` rows.

    The rule repeats the local wall-clock time in ``timezone``, so a 10:00 meeting in Berlin
    stays at 10:00 across a daylight-saving change.
    """

    class Frequency(models.TextChoices):
        DAILY = "DAILY", _("daily")
        WEEKLY = "WEEKLY", _("weekly")
        MONTHLY = "MONTHLY", _("monthly")

    host = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("host"),
        on_delete=models.CASCADE,
        related_name="hosted_series",
    )
    topic = models.CharField(_("topic"), max_length=200)
    frequency = models.CharField(_("repeats"), max_length=8, choices=Frequency.choices)
    interval = models.PositiveSmallIntegerField(_("every"), default=1)
    first_start = models.DateTimeField(_("first start"))
    timezone = models.CharField(_("time zone"), max_length=64)
    calendar_sequence = models.PositiveIntegerField(
        _("calendar revision"),
        default=0,
        editable=False,
        help_text=_("SEQUENCE of the series' calendar entry: raised by every change sent."),
    )
    until = models.DateField(_("until"), null=True, blank=True)
    count = models.PositiveSmallIntegerField(_("number of occurrences"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=now, editable=False)

    class Meta:
        verbose_name = _("meeting series")
        verbose_name_plural = _("meeting series")

    def __str__(self) -> str:
        return self.topic

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def first_start_local(self) -> datetime.datetime:
        """The first start as naive wall-clock time in the series' time zone."""
        return self.first_start.astimezone(self.zone).replace(tzinfo=None)

    def rule(self) -> recurrence.Rule:
        return recurrence.Rule(
            frequency=self.frequency, interval=self.interval, until=self.until, count=self.count
        )

    def occurrence_starts(self) -> list[datetime.datetime]:
        return recurrence.expand(
            rule=self.rule(), first_start_local=self.first_start_local, zone=self.zone
        )
