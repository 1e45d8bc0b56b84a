import datetime

from django.conf import settings
from django.core.validators import MaxLengthValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from meetings.scheduling import passcodes


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
    calendar_sequence = models.PositiveIntegerField(
        _("calendar revision"),
        default=0,
        editable=False,
        help_text=_("SEQUENCE of the calendar entry: raised by every change sent to invitees."),
    )
    expected_participants = models.PositiveIntegerField(
        _("expected participants"), null=True, blank=True
    )
    passcode_encrypted = models.TextField(editable=False)

    # security settings (defaults from the institution policy, see docs/POLICY.md)
    waiting_room = models.BooleanField(_("waiting room"), default=True)
    authenticated_only = models.BooleanField(_("only authenticated participants"), default=True)
    join_before_host = models.BooleanField(_("join before host"), default=False)
    allowed_domains = models.JSONField(_("allowed e-mail domains"), default=list, blank=True)
    recording_announced = models.BooleanField(_("recording announced"), default=False)
    chat_stored = models.BooleanField(_("store chat"), default=False)
    attendance_required = models.BooleanField(_("attendance required"), default=False)
    polls_announced = models.BooleanField(_("polls announced"), default=False)

    class Chat(models.TextChoices):
        EVERYONE = "everyone", _("everyone may write to everyone")
        HOSTS = "hosts", _("participants may write only to the hosts")
        OFF = "off", _("chat switched off")

    chat = models.CharField(
        _("chat"),
        max_length=16,
        choices=Chat.choices,
        default=Chat.EVERYONE,
        help_text=_(
            "Who may write in the room's chat: everyone, participants to the hosts only, or nobody."
        ),
    )

    # lifecycle
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.SCHEDULED
    )
    locked = models.BooleanField(_("locked"), default=False)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=now, editable=False)

    # scheduling: the end is stored so that "My meetings" can split upcoming from past in SQL
    ends_at = models.DateTimeField(_("ends at"), null=True, editable=False)
    series = models.ForeignKey(
        "meetings.MeetingSeries",
        verbose_name=_("series"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="occurrences",
    )
    series_original_start = models.DateTimeField(
        _("start given by the series rule"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("The occurrence's RECURRENCE-ID in calendar files."),
    )

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["start", "pk"]
        indexes = [
            # "My meetings" reads its counts and pages from this index alone, without the
            # table's rows (meetings/scheduling/selectors.py, docs/ARCHITECTURE.md)
            models.Index(
                fields=["host", "start", "id"],
                include=["status", "ends_at", "series"],
                name="meeting_host_start_cover",
            ),
            models.Index(fields=["host", "ends_at"], name="meeting_host_ends_at"),
        ]
        permissions = [
            # granted per meeting with django-guardian; the host needs none of them
            ("host_meeting", _("Co-host the meeting (manage it, invite, run the room)")),
            ("alternative_host_meeting", _("Start and run the meeting in the host's absence")),
        ]

    def __str__(self) -> str:
        return self.topic

    def save(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        if not self.meeting_id:
            self.meeting_id = Meeting.new_meeting_id()
        if not self.passcode_encrypted:
            # every meeting has a passcode: one without gets one assigned (policy table)
            self.set_passcode()
        self.ends_at = self.end
        if kwargs.get("update_fields") is not None and {"start", "duration_minutes"} & set(
            kwargs["update_fields"]
        ):
            kwargs["update_fields"] = {*kwargs["update_fields"], "ends_at"}
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

    def announcements(self) -> list[str]:
        """Polls and the attendance list, as announced to participants
        (:mod:`meetings.scheduling.announcements`)."""
        from meetings.scheduling.announcements import announcements

        return announcements(self)

    def is_hosted_by(self, user: object) -> bool:
        """The host, or a co-host/alternative host holding the django-guardian object
        permission ``meetings.host_meeting`` on this meeting (policy: host controls)."""
        if user is None or not getattr(user, "is_authenticated", False):
            return False
        return self.host_id == user.pk or user.has_perm("meetings.host_meeting", self)

    def get_join_path(self) -> str:
        """The join page of this meeting (no passcode: paths end up in access logs)."""
        return reverse("meetings:join_meeting", args=[self.meeting_id])

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
