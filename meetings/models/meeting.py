import datetime

from django.conf import settings
from django.core.validators import MaxLengthValidator, MinValueValidator
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from meetings import passcodes


class Meeting(models.Model):
    """A scheduled meeting (one occurrence) and its security settings.

    The meeting ID is random (never sequential); the passcode is stored only encrypted
    (``passcode_encrypted``) and can never be removed.
    """

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("scheduled")
        RUNNING = "running", _("running")
        ENDED = "ended", _("ended")

    meeting_id = models.CharField(_("meeting ID"), max_length=11, unique=True, editable=False)
    host = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("host"),
        on_delete=models.CASCADE,
        related_name="hosted_meetings",
    )
    topic = models.CharField(_("topic"), max_length=200)
    description = models.TextField(
        _("description"), blank=True, validators=[MaxLengthValidator(5000)]
    )
    start = models.DateTimeField(_("start"))
    duration_minutes = models.PositiveIntegerField(
        _("duration in minutes"), validators=[MinValueValidator(1)]
    )
    timezone = models.CharField(_("time zone"), max_length=64, default="Europe/Berlin")
    expected_participants = models.PositiveIntegerField(
        _("expected participants"), null=True, blank=True
    )
    passcode_encrypted = models.TextField(editable=False)

    # security settings (defaults from the institution policy, see DESIGN.md)
    waiting_room = models.BooleanField(_("waiting room"), default=True)
    authenticated_only = models.BooleanField(_("only authenticated participants"), default=True)
    join_before_host = models.BooleanField(_("join before host"), default=False)
    allowed_domains = models.JSONField(_("allowed e-mail domains"), default=list, blank=True)
    recording_announced = models.BooleanField(_("recording announced"), default=False)
    chat_stored = models.BooleanField(_("store chat"), default=False)
    attendance_required = models.BooleanField(_("attendance required"), default=False)

    # lifecycle
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.SCHEDULED
    )
    locked = models.BooleanField(_("locked"), default=False)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=now, editable=False)

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["start", "pk"]
        indexes = [models.Index(fields=["host", "start"], name="meeting_host_start")]
        permissions = [("host_meeting", "Can host this meeting")]

    def __str__(self) -> str:
        return self.topic

    def save(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        if not self.meeting_id:
            self.meeting_id = Meeting.new_meeting_id()
        if not self.passcode_encrypted:
            # every meeting has a passcode: one without gets one assigned (policy table)
            self.set_passcode()
        super().save(*args, **kwargs)

    # passcode -----------------------------------------------------------------------------
    def set_passcode(self, passcode: str | None = None) -> str:
        """Store ``passcode`` (or a generated one) encrypted; return the plain passcode."""
        plain = passcode or passcodes.generate_passcode()
        self.passcode_encrypted = passcodes.encrypt_passcode(plain)
        return plain

    @property
    def passcode(self) -> str:
        """The plain passcode, for the host and invitations only; never log it."""
        return passcodes.decrypt_passcode(self.passcode_encrypted)

    def passcode_matches(self, candidate: str) -> bool:
        return passcodes.passcode_matches(self.passcode_encrypted, candidate)

    def get_join_path(self) -> str:
        """The join page of this meeting (no passcode: paths end up in access logs)."""
        return f"/meetings/join/{self.meeting_id}/"

    def join_url(self) -> str:
        """The join link for invitations: the passcode rides in the fragment, which browsers
        never send to the server, so it reaches no access log; the join page fills it in."""
        return f"{settings.PORTAL_BASE_URL}{self.get_join_path()}#passcode={self.passcode}"

    @property
    def end(self) -> datetime.datetime:
        return self.start + datetime.timedelta(minutes=self.duration_minutes)

    @staticmethod
    def new_meeting_id() -> str:
        while True:
            candidate = passcodes.generate_meeting_id()
            if not Meeting.objects.filter(meeting_id=candidate).exists():
                return candidate
