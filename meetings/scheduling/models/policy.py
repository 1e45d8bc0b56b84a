from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

# The security settings a meeting carries and the policy governs, in the order forms show them.
SECURITY_SETTINGS = (
    "waiting_room",
    "authenticated_only",
    "join_before_host",
    "recording_announced",
    "chat_stored",
    "attendance_required",
    "polls_announced",
)


class MeetingPolicy(models.Model):
    """The institution's meeting policy (one row): a default for each security setting of new
    meetings and a lock per setting that hosts cannot override (docs/POLICY.md, meetings:
    waiting room on, only authenticated participants, join before host off, ...).

    The locks are enforced by the scheduling services, not only by the form.
    """

    waiting_room = models.BooleanField(_("waiting room"), default=True)
    waiting_room_locked = models.BooleanField(_("waiting room locked"), default=False)
    waiting_room_reason = models.CharField(
        _("reason for the waiting-room lock"), max_length=200, blank=True
    )

    authenticated_only = models.BooleanField(_("only authenticated participants"), default=True)
    authenticated_only_locked = models.BooleanField(
        _("only authenticated participants locked"), default=False
    )
    authenticated_only_reason = models.CharField(
        _("reason for the authentication lock"), max_length=200, blank=True
    )

    join_before_host = models.BooleanField(_("join before host"), default=False)
    join_before_host_locked = models.BooleanField(_("join before host locked"), default=False)
    join_before_host_reason = models.CharField(
        _("reason for the join-before-host lock"), max_length=200, blank=True
    )

    recording_announced = models.BooleanField(_("recording announced"), default=False)
    recording_announced_locked = models.BooleanField(
        _("recording announcement locked"), default=False
    )
    recording_announced_reason = models.CharField(
        _("reason for the recording-announcement lock"), max_length=200, blank=True
    )

    chat_stored = models.BooleanField(_("store chat"), default=False)
    chat_stored_locked = models.BooleanField(_("chat storage locked"), default=False)
    chat_stored_reason = models.CharField(
        _("reason for the chat-storage lock"), max_length=200, blank=True
    )

    attendance_required = models.BooleanField(_("attendance required"), default=False)
    attendance_required_locked = models.BooleanField(
        _("attendance requirement locked"), default=False
    )
    attendance_required_reason = models.CharField(
        _("reason for the attendance lock"), max_length=200, blank=True
    )

    polls_announced = models.BooleanField(_("polls announced"), default=False)
    polls_announced_locked = models.BooleanField(_("poll announcement locked"), default=False)
    polls_announced_reason = models.CharField(
        _("reason for the poll-announcement lock"), max_length=200, blank=True
    )
    polls_need_announcement = models.BooleanField(
        _("polls must be announced in advance"),
        default=False,
        help_text=_(
            "A poll can then be prepared and launched only in a meeting that announced polls "
            "before it began."
        ),
    )

    attendance_visible_to_hosts = models.BooleanField(
        _("hosts may see the attendance list"),
        default=True,
        help_text=_(
            "Where a meeting keeps an attendance list, its host and co-hosts may view and "
            "download it (each read is written to the access log)."
        ),
    )

    recording_forbidden = models.BooleanField(
        _("recording forbidden for everyone"),
        default=False,
        help_text=_("No meeting may be recorded; the recording controls are hidden."),
    )
    recording_forbidden_roles = models.ManyToManyField(
        "portal.Role",
        verbose_name=_("recording forbidden for these roles"),
        blank=True,
        related_name="+",
        help_text=_("Meetings hosted by a person of these roles may not be recorded."),
    )
    recording_forbidden_reason = models.CharField(
        _("reason for forbidding recording"), max_length=200, blank=True
    )

    minimum_passcode_length = models.PositiveSmallIntegerField(
        _("minimum passcode length"),
        default=8,
        validators=[MinValueValidator(6), MaxValueValidator(32)],
        help_text=_("Applies to passcodes chosen by hosts; generated passcodes carry 40 bits."),
    )

    class Meta:
        verbose_name = _("meeting policy")
        verbose_name_plural = _("meeting policy")

    def __str__(self) -> str:
        return str(_("Meeting policy of the institution"))

    def save(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        self.pk = 1  # a singleton: the admin edits the one row
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        raise ValueError("The meeting policy cannot be deleted.")

    @classmethod
    def current(cls) -> "MeetingPolicy":
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy

    def defaults(self) -> dict[str, bool]:
        return {name: getattr(self, name) for name in SECURITY_SETTINGS}

    def is_locked(self, name: str) -> bool:
        return getattr(self, f"{name}_locked")

    def lock_reason(self, name: str) -> str:
        return getattr(self, f"{name}_reason") or str(
            _("Fixed by the institution's meeting policy.")
        )

    def recording_forbidden_for(self, user: object) -> bool:
        """Whether the institution forbids recording meetings hosted by ``user``: for everyone,
        or for the user's role (docs/POLICY.md, recording)."""
        if self.recording_forbidden:
            return True
        role_id = getattr(user, "role_id", None)
        return role_id is not None and self.recording_forbidden_roles.filter(pk=role_id).exists()

    def recording_forbidden_reason_text(self) -> str:
        return self.recording_forbidden_reason or str(
            _("The institution does not allow recording these meetings.")
        )

    def enforce(self, settings: dict[str, bool]) -> dict[str, bool]:
        """Return ``settings`` with every locked setting replaced by the policy's value."""
        return {
            name: (getattr(self, name) if self.is_locked(name) else value)
            for name, value in settings.items()
        }
