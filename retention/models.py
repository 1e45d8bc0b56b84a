"""Retention rules, legal holds, purge runs and the deletion log.

Nothing here points at another app's rows by foreign key: categories are named by identifier,
held objects by a generic reference ("app.model:42"), deleted items by a keyed hash.
"""

import datetime

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from retention.registry import CREATED, registry


class RetentionRule(models.Model):
    """How long one category of data is kept, counted from which event, and what happens then.

    An item whose event happened at or before ``cutoff(now)`` is expired: exactly at the end of
    its period it goes. The events a rule may count from are those its category declares (the
    registry), not choices of this field: the engine knows no app's events. The categories'
    default rules (docs/POLICY.md) are installed by ``services.install_default_rules``.
    """

    class Unit(models.TextChoices):
        DAYS = "days", _("days")
        MONTHS = "months", _("months")
        YEARS = "years", _("years")

    class Action(models.TextChoices):
        DELETE = "delete", _("delete")
        ANONYMISE = "anonymise", _("anonymise")

    category = models.CharField(
        _("category"),
        max_length=64,
        help_text=_("Identifier of a data category registered by an app."),
    )
    counts_from = models.CharField(
        _("period counts from"),
        max_length=64,
        default=CREATED.identifier,
        help_text=_("One of the events the rule's category declares."),
    )
    period_amount = models.PositiveIntegerField(
        _("period"), validators=[MaxValueValidator(100 * 366)]
    )
    period_unit = models.CharField(_("unit"), max_length=8, choices=Unit.choices, default=Unit.DAYS)
    maximum_days = models.PositiveIntegerField(
        _("institution maximum (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100 * 366)],
        help_text=_(
            "Caps a period chosen per item (e.g. by whoever stored it). Empty: no period per item."
        ),
    )
    action = models.CharField(
        _("action"), max_length=16, choices=Action.choices, default=Action.DELETE
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("retention rule")
        verbose_name_plural = _("retention rules")
        ordering = ["category", "counts_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "counts_from"], name="one_retention_rule_per_event"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category}: {self.period_display} " + str(
            _("after %(event)s") % {"event": self.counts_from_label}
        )

    @property
    def period_display(self) -> str:
        """ "1 month", "12 months" (singular and plural in every language)."""
        amount = self.period_amount or 0
        if self.period_unit == self.Unit.MONTHS:
            text = ngettext("%(count)d month", "%(count)d months", amount)
        elif self.period_unit == self.Unit.YEARS:
            text = ngettext("%(count)d year", "%(count)d years", amount)
        else:
            text = ngettext("%(count)d day", "%(count)d days", amount)
        return text % {"count": amount}

    @property
    def counts_from_label(self) -> str:
        """The event's label as the rule's category declares it (the identifier otherwise)."""
        return registry.event_label(self.category, self.counts_from)

    def clean(self) -> None:
        if self.category not in registry:
            # A rule may outlive its category's app (uninstalled, or not yet installed): it is
            # kept, and the engine reports its category as unregistered and skips it.
            return
        category = registry.get(self.category)
        if self.counts_from not in category.event_identifiers():
            raise ValidationError(
                {"counts_from": _("This category cannot count its period from this event.")}
            )
        if self.action not in category.actions:
            raise ValidationError({"action": _("This category does not support this action.")})

    @property
    def period(self) -> relativedelta:
        if self.period_unit == self.Unit.MONTHS:
            return relativedelta(months=self.period_amount)
        if self.period_unit == self.Unit.YEARS:
            return relativedelta(years=self.period_amount)
        return relativedelta(days=self.period_amount)

    def _calendar(self, at: datetime.datetime) -> datetime.datetime:
        """Months and years count on the institution's calendar (``TIME_ZONE``): "1 month"
        after the 1 March local is the 1 April local, whatever UTC's date was. Days are
        periods of 24 hours."""
        if self.period_unit == self.Unit.DAYS or timezone.is_naive(at):
            return at
        return timezone.localtime(at)

    def cutoff(self, at: datetime.datetime) -> datetime.datetime:
        """Items whose event happened at or before this moment are expired at ``at``."""
        return self._calendar(at) - self.period

    def expires_at(self, event_at: datetime.datetime) -> datetime.datetime:
        """The moment an item whose event happened at ``event_at`` expires under the rule's
        own period (the inverse of :meth:`cutoff`)."""
        return self._calendar(event_at) + self.period

    def item_expired(
        self,
        event_at: datetime.datetime,
        at: datetime.datetime,
        *,
        requested_days: int | None = None,
    ) -> bool:
        """Whether one item is expired at ``at``. ``requested_days`` is a period chosen for the
        item (by whoever stored it), capped by the institution maximum; without it the
        rule's own period applies."""
        if requested_days is None:
            return event_at <= self.cutoff(at)
        days = requested_days
        if self.maximum_days is not None:
            days = min(days, self.maximum_days)
        return event_at + datetime.timedelta(days=days) <= at


class LegalHold(models.Model):
    """An admin's order to keep an object's data past its rules (e.g. everything a category
    relates to that object through its ``hold_model``).

    The object is named generically ("app.model:42"), never by foreign key, so that a hold
    outlives changes of the app that owns the object.
    """

    reference = models.CharField(
        _("held object"),
        max_length=128,
        db_index=True,
        validators=[
            RegexValidator(
                r"^[a-z_][a-z0-9_]*\.[a-z0-9_]+:[A-Za-z0-9_-]+$",
                _("Write the object as “app.model:id”."),
            )
        ],
        help_text=_("The object whose data is kept, as “app.model:id”."),
    )
    entered_as = models.CharField(
        _("entered as"),
        max_length=200,
        blank=True,
        editable=False,
        help_text=_("The object as the administrator named it (e.g. “meeting:54597762388”)."),
    )
    reason = models.TextField(_("reason"), help_text=_("Why the data must be kept."))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ordered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        help_text=_("Personal data."),
    )
    created_at = models.DateTimeField(_("ordered at"), default=now, editable=False)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)

    class Problem(models.TextChoices):
        NONE = "", _("keeps what it names")
        CORRECTED = "corrected", _("corrected to the object its number named")
        NOTHING = "nothing", _("matches nothing")
        SEVERAL = "several", _("matches more than one object")

    problem = models.CharField(
        _("check"),
        max_length=16,
        choices=Problem.choices,
        blank=True,
        default=Problem.NONE,
        editable=False,
        help_text=_(
            "The result of the last check of the reference (retention/holds.py::check_holds): "
            "a hold that matches nothing protects nothing until it is fixed."
        ),
    )
    checked_at = models.DateTimeField(_("last checked at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_active(self) -> bool:
        return self.released_at is None

    @property
    def is_invalid(self) -> bool:
        return self.problem in {self.Problem.NOTHING, self.Problem.SEVERAL}

    @classmethod
    def active_references(cls) -> set[str]:
        return set(cls.objects.filter(released_at__isnull=True).values_list("reference", flat=True))


class PurgeRun(models.Model):
    """One run of one category's purge: claimed, kept alive by a heartbeat, then finished.

    At most one run per category is in progress (a partial unique constraint). A run whose
    heartbeat stopped (its worker was killed) is taken over by the next run, which finishes the
    work: every batch is its own short transaction, so nothing is half done.
    """

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")
        ABANDONED = "abandoned", _("abandoned (worker lost, resumed by a later run)")

    category = models.CharField(_("category"), max_length=64, db_index=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.RUNNING
    )
    started_at = models.DateTimeField(_("started at"), default=now)
    heartbeat_at = models.DateTimeField(_("last sign of life"), default=now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expired_count = models.PositiveIntegerField(_("expired"), default=0)
    deleted_count = models.PositiveIntegerField(_("deleted"), default=0)
    anonymised_count = models.PositiveIntegerField(_("anonymised"), default=0)
    held_count = models.PositiveIntegerField(_("kept by legal hold"), default=0)
    failure = models.TextField(
        _("failure"),
        blank=True,
        help_text=_("Exception type and message of a failed run (ids only, no personal data)."),
    )
    worker = models.CharField(
        _("worker process"),
        max_length=200,
        blank=True,
        help_text=_("Host and process id of the worker running it (to tell a dead one)."),
    )
    resumed_at = models.DateTimeField(
        _("resumed at"),
        null=True,
        blank=True,
        help_text=_("When the sweeper sent a new purge to finish the work of this lost run."),
    )

    class Meta:
        verbose_name = _("purge run")
        verbose_name_plural = _("purge runs")
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["category"],
                condition=Q(status="running"),
                name="one_running_purge_per_category",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category} {self.started_at:%Y-%m-%d %H:%M} {self.get_status_display()}"


DIGEST_SIZE = 32


class DeletionLogEntry(models.Model):
    """Proof that a batch of items was deleted or anonymised, without their personal data.

    ``digests`` holds one keyed hash (HMAC-SHA256 with a server secret, 32 bytes) per item key
    such as "app.model:17", concatenated: given an item key, the institution can show
    that it was deleted and when (``retention.services.find_deletions``); from the log alone
    nobody can learn which item it was, let alone its content. Raw bytes rather than JSON: a
    thousand hex strings cost PostgreSQL ten times as much to store (measured).
    """

    category = models.CharField(_("category"), max_length=64, db_index=True)
    rule = models.ForeignKey(
        RetentionRule,
        verbose_name=_("rule"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    rule_summary = models.CharField(_("rule as applied"), max_length=200)
    action = models.CharField(_("action"), max_length=16, choices=RetentionRule.Action.choices)
    run = models.ForeignKey(
        PurgeRun, verbose_name=_("run"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    count = models.PositiveIntegerField(_("items"))
    digests = models.BinaryField(
        _("item references (keyed hashes)"),
        help_text=_("HMAC-SHA256 of each item's key, 32 bytes each, concatenated."),
    )
    key_chain = models.CharField(
        _("key versions of the references"),
        max_length=64,
        default="1",
        editable=False,
        help_text=_(
            "The versions of RETENTION_REFERENCE_SECRET the references were made and wrapped "
            "with (retention/keyring.py)."
        ),
    )
    created_at = models.DateTimeField(_("time"), default=now, db_index=True)
    journal_batch = models.UUIDField(
        _("journal batch"),
        null=True,
        blank=True,
        editable=False,
        unique=True,
        help_text=_(
            "The batch's identifier in the deletion journal: a database holding this entry "
            "holds the deletion (retention/journal.py)."
        ),
    )

    class Meta:
        verbose_name = _("deletion log entry")
        verbose_name_plural = _("deletion log")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.category} {self.count}"

    @property
    def references(self) -> list[str]:
        """The item references as hexadecimal strings, in the order they were logged."""
        raw = bytes(self.digests)
        return [raw[i : i + DIGEST_SIZE].hex() for i in range(0, len(raw), DIGEST_SIZE)]

    def includes(self, reference: str) -> bool:
        return reference in self.references


class AccessLogEntry(models.Model):
    """One read of personal data: who read what kind of data about which object, when
    (docs/POLICY.md, retention: so that a breach can be scoped).

    The object is named by a keyed hash of its key ("meetings.recording:17"), like the deletion
    log: given the object, the data-protection officer finds who read it
    (``retention.access.find_reads``); the log alone names no object. The reader is named
    (personal data): the log exists to say who read. Under the retention category
    ``access_log`` (12 months by default).
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("read by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Personal data. The person who read the data."),
    )
    kind = models.CharField(_("kind of data"), max_length=64, db_index=True)
    reference = models.CharField(
        _("object (keyed hash)"),
        max_length=64,
        db_index=True,
        help_text=_("HMAC-SHA256 of the object's key: names the object only with the secret."),
    )
    created_at = models.DateTimeField(_("time"), default=now, db_index=True)

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-created_at", "-pk"]
        permissions = [("export_accesslogentry", "Can export the access log")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.kind}"


class JournalCheckpoint(models.Model):
    """How far the nightly purge of a category has replayed the deletion journal.

    In the database on purpose (docs/BACKUP.md): a restored backup brings back the checkpoint
    of its own moment, so the next replay covers exactly the journal lines the backup lacks.
    Everything before the checkpoint was found done in this database when it was written.
    """

    category = models.CharField(_("category"), max_length=64, primary_key=True)
    file = models.CharField(_("journal file"), max_length=64)
    offset = models.BigIntegerField(_("bytes read"))
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("deletion journal checkpoint")
        verbose_name_plural = _("deletion journal checkpoints")

    def __str__(self) -> str:
        return f"{self.category}: {self.file}@{self.offset}"
