"""What the portal knows about its Zoom account: users, meetings, registrants, recordings,
webhook deliveries. Rows outlive the portal objects they mirror (``SET_NULL``), so that a
deletion in the portal can still be carried out at Zoom after the object itself is gone.
"""

from django.conf import settings
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _


class SyncState(models.TextChoices):
    PENDING = "pending", _("waiting for Zoom")
    SECURED = "secured", _("confirmed by Zoom")
    FAILED = "failed", _("refused by Zoom")
    DELETING = "deleting", _("being deleted at Zoom")
    DELETED = "deleted", _("deleted at Zoom")


class ZoomUser(models.Model):
    """The Zoom account of a portal user as the portal decided it (type and status)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="zoom_account",
    )
    zoom_user_id = models.CharField(max_length=64, blank=True, db_index=True)
    zoom_type = models.PositiveSmallIntegerField(default=0, help_text="1 Basic, 2 Licensed")
    zoom_status = models.CharField(max_length=16, blank=True)
    state = models.CharField(max_length=16, choices=SyncState.choices, default=SyncState.PENDING)
    last_error = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Zoom user")
        verbose_name_plural = _("Zoom users")

    def __str__(self) -> str:
        return f"zoom-user:{self.pk}"


class ZoomMeeting(models.Model):
    """The Zoom meeting of a portal meeting. ``secured`` only once Zoom confirmed the policy
    (``confirmed_version`` equals ``desired_version``)."""

    meeting = models.OneToOneField(
        "meetings.Meeting",
        null=True,
        on_delete=models.SET_NULL,
        related_name="zoom_meeting",
    )
    zoom_meeting_id = models.BigIntegerField(null=True, unique=True)
    zoom_uuid = models.CharField(max_length=64, blank=True)
    state = models.CharField(max_length=16, choices=SyncState.choices, default=SyncState.PENDING)
    desired_version = models.PositiveIntegerField(default=1)
    confirmed_version = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    requested_at = models.DateTimeField(default=now)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Zoom meeting")
        verbose_name_plural = _("Zoom meetings")

    def __str__(self) -> str:
        return f"zoom-meeting:{self.pk}"

    @property
    def is_secured(self) -> bool:
        return self.state == SyncState.SECURED and self.confirmed_version >= self.desired_version


class ZoomRegistrant(models.Model):
    """One admitted participant's personal Zoom link (registration approved by the portal).

    ``participant_ref`` is the live room's participant key (the backend never imports the
    live room); the link is stored encrypted like a passcode.
    """

    zoom_meeting = models.ForeignKey(
        ZoomMeeting, on_delete=models.CASCADE, related_name="registrants"
    )
    participant_ref = models.PositiveBigIntegerField()
    registrant_id = models.CharField(max_length=64, blank=True)
    join_url_encrypted = models.TextField(
        blank=True, help_text=_("Personal data. The participant's own join link, encrypted.")
    )
    state = models.CharField(max_length=16, choices=SyncState.choices, default=SyncState.PENDING)
    cancelled = models.BooleanField(default=False)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["zoom_meeting", "participant_ref"], name="one_zoom_registrant_each"
            )
        ]

    def __str__(self) -> str:
        return f"zoom-registrant:{self.pk}"


class ZoomCloudRecording(models.Model):
    """A cloud recording Zoom reported; it is imported (with consent) and always deleted at
    Zoom. ``state`` DELETED only after Zoom confirmed the deletion."""

    zoom_meeting = models.ForeignKey(
        ZoomMeeting, null=True, on_delete=models.SET_NULL, related_name="cloud_recordings"
    )
    meeting_uuid = models.CharField(max_length=64, unique=True)
    outcome = models.CharField(max_length=24, blank=True)  # imported / refused
    state = models.CharField(max_length=16, choices=SyncState.choices, default=SyncState.PENDING)
    recording_refs = models.JSONField(default=list, blank=True)
    received_at = models.DateTimeField(default=now)
    deleted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"zoom-cloud-recording:{self.pk}"


class ZoomWebhookEvent(models.Model):
    """A webhook delivery, once per body (Zoom retries deliveries); the payload is cleared
    once handled."""

    digest = models.CharField(max_length=64, unique=True)
    event = models.CharField(max_length=64)
    payload = models.JSONField(
        default=dict, blank=True, help_text=_("Personal data until handled.")
    )
    received_at = models.DateTimeField(default=now)
    handled_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"{self.event} {self.pk}"


class ZoomReconciliation(models.Model):
    """One nightly comparison of Zoom's users and seats with the portal's decisions: counts
    and differences by portal user key (no names, no addresses)."""

    started_at = models.DateTimeField(default=now)
    finished_at = models.DateTimeField(null=True, blank=True)
    zoom_users = models.PositiveIntegerField(default=0)
    zoom_licensed = models.PositiveIntegerField(default=0)
    portal_licensed = models.PositiveIntegerField(default=0)
    portal_quota = models.PositiveIntegerField(null=True, blank=True)
    requests = models.PositiveIntegerField(default=0)
    differences = models.JSONField(default=list, blank=True)
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"zoom-reconciliation:{self.pk}"
