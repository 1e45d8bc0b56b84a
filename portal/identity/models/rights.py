"""Data-subject rights: a person's data exports and erasure requests (docs/POLICY.md, "rights").

Neither model names a person once its job is done: an export's archive is deleted after
``DATA_EXPORT_RETENTION_DAYS`` (retention category "data_exports"), and an erasure request
keeps only a keyed-hash reference of the person once it is carried out.
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _


def export_upload_to(instance: "DataExport", filename: str) -> str:
    # a random name: the path reveals nobody
    return f"data-exports/{instance.token}.zip"


class DataExport(models.Model):
    """One download of everything the portal holds about a person (Art. 15, 20 GDPR), built by
    a Celery task that reports its progress here."""

    class State(models.TextChoices):
        PENDING = "pending", _("waiting to start")
        RUNNING = "running", _("being prepared")
        READY = "ready", _("ready")
        FAILED = "failed", _("failed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="data_exports",
        help_text=_("Personal data. The person the export is for."),
    )
    token = models.CharField(max_length=32, unique=True, editable=False)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.PENDING
    )
    kinds_done = models.PositiveIntegerField(_("kinds of data done"), default=0)
    kinds_total = models.PositiveIntegerField(_("kinds of data"), default=0)
    file = models.FileField(
        _("archive"),
        upload_to=export_upload_to,
        max_length=255,
        blank=True,
        help_text=_("Personal data. Everything held about the person."),
    )
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    created_at = models.DateTimeField(_("requested at"), default=now, db_index=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("data export")
        verbose_name_plural = _("data exports")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"data-export:{self.pk}"

    def save(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        if not self.token:
            self.token = secrets.token_hex(16)
        super().save(*args, **kwargs)

    @property
    def percent(self) -> int:
        if self.state == self.State.READY:
            return 100
        if not self.kinds_total:
            return 0
        return min(99, self.kinds_done * 100 // self.kinds_total)

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.READY, self.State.FAILED)


class ErasureRequest(models.Model):
    """A person's request to erase their data (Art. 17 GDPR), queued for the data-protection
    officer, who must answer within one month (``due_at``)."""

    class State(models.TextChoices):
        PENDING = "pending", _("waiting for the data-protection officer")
        RUNNING = "running", _("being carried out")
        DONE = "done", _("carried out")
        REFUSED = "refused", _("refused")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="erasure_requests",
        help_text=_("Personal data. Emptied once the request is carried out."),
    )
    subject_ref = models.CharField(
        _("person (pseudonymous)"),
        max_length=64,
        db_index=True,
        editable=False,
        help_text=_("A keyed hash of the account; names nobody without the server's key."),
    )
    notify_email = models.EmailField(
        _("address for the answer"),
        blank=True,
        help_text=_("Personal data. Emptied once the person has been told the outcome."),
    )
    language = models.CharField(_("language"), max_length=8, default="de")
    requested_at = models.DateTimeField(_("requested at"), default=now, db_index=True)
    due_at = models.DateTimeField(_("answer due by"), db_index=True)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.PENDING
    )
    by_administrator = models.BooleanField(
        _("filed by an administrator"), default=False, help_text=_("On the person's request.")
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Personal data. The data-protection officer or administrator."),
    )
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    refusal_reason = models.TextField(_("reason for refusal"), blank=True)
    outcome = models.JSONField(
        _("outcome"),
        default=list,
        blank=True,
        help_text=_("Per kind of data: how many records were erased, which were kept and why."),
    )

    class Meta:
        verbose_name = _("erasure request")
        verbose_name_plural = _("erasure requests")
        ordering = ["due_at", "pk"]
        permissions = [
            ("handle_erasure_request", "Can handle erasure requests (data-protection officer)")
        ]

    def __str__(self) -> str:
        return f"erasure-request:{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.state in (self.State.PENDING, self.State.RUNNING)

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_at < now()
