"""Recordings as stored files, and the sessions during which a meeting was being recorded.

A recording exists only for a session that was started with everyone's consent (the consent
app decides through :mod:`meetings.recordings.gate`); the file lives on the institution's own
``recordings`` storage and is never served publicly.
"""

import datetime
import secrets

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.urls import reverse
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _


def recordings_storage():  # noqa: ANN201 - a callable keeps the storage out of migrations
    return storages["recordings"]


def recording_upload_to(instance: "Recording", filename: str) -> str:
    # a random name: the stored path reveals neither the meeting topic nor a person
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"{instance.meeting_id}/{now():%Y%m%d}-{instance.token}.{extension}"


class RecordingSession(models.Model):
    """One period in which a meeting was being recorded ("recording running").

    At most one session per meeting runs at a time (``stopped_at`` empty).
    """

    meeting = models.ForeignKey(
        "meetings.Meeting",
        verbose_name=_("meeting"),
        on_delete=models.CASCADE,
        related_name="recording_sessions",
    )
    started_at = models.DateTimeField(_("started at"), default=now)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Personal data. The host who started the recording."),
    )

    class StopReason(models.TextChoices):
        HOST = "host", _("stopped by the host")
        CONSENT_WITHDRAWN = "consent_withdrawn", _("a participant withdrew their consent")
        MEETING_ENDED = "meeting_ended", _("the meeting ended")

    class Conversion(models.TextChoices):
        NONE = "", _("nothing to convert")
        PENDING = "pending", _("being converted")
        STORED = "stored", _("stored")
        FAILED = "failed", _("conversion failed")
        DISCARDED = "discarded", _("raw files deleted")

    backend_ref = models.CharField(
        _("reference at the conferencing backend"), max_length=64, blank=True, editable=False
    )
    stop_reason = models.CharField(
        _("why it stopped"), max_length=24, choices=StopReason.choices, blank=True
    )
    conversion = models.CharField(
        _("conversion of the backend's files"),
        max_length=16,
        choices=Conversion.choices,
        blank=True,
        default=Conversion.NONE,
    )
    conversion_attempts = models.PositiveSmallIntegerField(_("conversion attempts"), default=0)
    conversion_error = models.CharField(_("last conversion error"), max_length=200, blank=True)
    deletion_due_at = models.DateTimeField(
        _("recordings of this session are deleted at"),
        null=True,
        blank=True,
        help_text=_(
            "Set when a consent the session rests on is withdrawn; a file stored later from "
            "this session gets the same deletion date."
        ),
    )

    class Meta:
        verbose_name = _("recording session")
        verbose_name_plural = _("recording sessions")
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting"],
                condition=models.Q(stopped_at__isnull=True),
                name="one_running_recording_per_meeting",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_running(self) -> bool:
        return self.stopped_at is None


class RawRecording(models.Model):
    """The media server's raw per-stream files of one recording session, kept track of until
    they are gone (docs/POLICY.md, recording; docs/ARCHITECTURE.md, backends).

    Made when the media server starts recording; deleted with its files when the conversion
    stored the recording. Otherwise (the conversion failed for good, or never finished) the
    retention category ``raw_recordings`` deletes the files and this row, so that raw files
    never outlive the retention period; legal holds on the meeting keep them, the deletion
    log records them. ``meeting`` and ``session`` may go first (a deleted meeting): the row
    stays until its files are deleted.
    """

    meeting = models.ForeignKey(
        "meetings.Meeting",
        verbose_name=_("meeting"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    session = models.OneToOneField(
        RecordingSession,
        verbose_name=_("recording session"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="raw_recording",
    )
    location = models.CharField(
        _("location on the media server"),
        max_length=255,
        editable=False,
        help_text=_("Personal data (voices and images) lie in the files at this place."),
    )
    created_at = models.DateTimeField(_("recording started at"), default=now, editable=False)
    stopped_at = models.DateTimeField(_("recording stopped at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("conversion failed for good at"), null=True, blank=True)
    deletion_started_at = models.DateTimeField(
        _("deletion started at"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("raw recording files")
        verbose_name_plural = _("raw recording files")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.location} {self.created_at:%Y-%m-%d %H:%M}"


class Recording(models.Model):
    """A stored recording file of one recording session.

    Deletion: withdrawing a consent the recording rests on sets ``deletion_due_at`` (policy
    row "deleted 7 days after a required consent is revoked"); once set it is never cleared by
    the host. ``purging`` marks a deletion under way so that an interrupted one is resumed.
    """

    class State(models.TextChoices):
        STORED = "stored", _("stored")
        DELETION_SCHEDULED = "deletion_scheduled", _("deletion scheduled")

    class Source(models.TextChoices):
        WEB_UPLOAD = "web", _("upload by the host")
        BACKEND = "backend", _("conferencing backend")

    meeting = models.ForeignKey(
        "meetings.Meeting",
        verbose_name=_("meeting"),
        on_delete=models.CASCADE,
        related_name="recordings",
    )
    session = models.ForeignKey(
        RecordingSession,
        verbose_name=_("recording session"),
        on_delete=models.PROTECT,
        related_name="recordings",
    )
    token = models.CharField(max_length=32, unique=True, editable=False)
    file = models.FileField(
        _("file"),
        storage=recordings_storage,
        upload_to=recording_upload_to,
        max_length=255,
        help_text=_("Personal data. Voices and images of the participants."),
    )
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256 checksum"), max_length=64)
    content_type = models.CharField(_("content type"), max_length=64)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Personal data. Empty when a backend delivered the file."),
    )
    created_at = models.DateTimeField(_("created at"), default=now, editable=False)
    state = models.CharField(_("state"), max_length=24, choices=State.choices, default=State.STORED)
    deletion_due_at = models.DateTimeField(_("deletion due at"), null=True, blank=True)
    deletion_reason = models.CharField(_("reason for deletion"), max_length=200, blank=True)
    purging = models.BooleanField(_("deletion under way"), default=False, editable=False)
    keep_days = models.PositiveIntegerField(
        _("kept for (days)"),
        null=True,
        blank=True,
        help_text=_(
            "Chosen by the host, at most the institution's maximum; empty: the rule's period."
        ),
    )

    class Meta:
        verbose_name = _("recording")
        verbose_name_plural = _("recordings")
        ordering = ["-created_at", "-pk"]
        permissions = [("view_recording_file", "Can view and download this recording")]
        indexes = [models.Index(fields=["deletion_due_at"], name="recording_deletion_due")]

    def __str__(self) -> str:
        return f"{self.meeting} {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        if not self.token:
            self.token = secrets.token_hex(16)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("meetings:recording_detail", args=[self.pk])

    def schedule_deletion(self, *, due_at: datetime.datetime, reason: str) -> bool:
        """Set the deletion date unless an earlier one is already set; never postpone it.

        Returns whether the date changed. Saving is the caller's job.
        """
        if self.deletion_due_at is not None and self.deletion_due_at <= due_at:
            return False
        self.deletion_due_at = due_at
        self.deletion_reason = reason
        self.state = self.State.DELETION_SCHEDULED
        return True
