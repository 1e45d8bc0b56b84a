import secrets

from django.conf import settings
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _


class Participant(models.Model):
    """A person in a meeting's waiting room or live room, while the meeting lasts.

    Rows exist only as long as the meeting needs them: when the meeting ends they are deleted
    (the attendance list, where a meeting requires one, keeps what it must in
    :class:`meetings.live.models.artefacts.AttendanceRecord`). A guest has no user; the guest's
    browser session holds ``guest_key``. A removed participant's row stays until the meeting
    ends, so that the person cannot rejoin.
    """

    class State(models.TextChoices):
        WAITING = "waiting", _("waiting")
        ADMITTED = "admitted", _("admitted")
        DECLINED = "declined", _("declined")
        REMOVED = "removed", _("removed")
        LEFT = "left", _("left")

    meeting = models.ForeignKey(
        "meetings.Meeting",
        verbose_name=_("meeting"),
        on_delete=models.CASCADE,
        related_name="participants",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="participations",
        help_text=_("Personal data. Empty for guests."),
    )
    guest_key = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    display_name = models.CharField(
        _("display name"),
        max_length=150,
        help_text=_("Personal data. Chosen for this meeting; may be a pseudonym."),
    )
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.WAITING
    )
    is_host = models.BooleanField(_("host or co-host"), default=False)
    requested_at = models.DateTimeField(
        _("asked to join at"),
        default=now,
        help_text=_("Personal data. Orders the waiting list; deleted with the row."),
    )

    admitted_at = models.DateTimeField(
        _("admitted at"),
        null=True,
        blank=True,
        help_text=_("Personal data. Set when first admitted; counts for the meeting report."),
    )

    age_confirmed_at = models.DateTimeField(
        _("minimum age confirmed at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "A guest's confirmation of the institution's minimum age: the time only, never a "
            "birth date; deleted with the row."
        ),
    )

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "user"],
                condition=models.Q(user__isnull=False),
                name="one_participant_per_user_and_meeting",
            ),
        ]
        indexes = [models.Index(fields=["meeting", "state"], name="participant_meeting_state")]

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_admitted(self) -> bool:
        return self.state == self.State.ADMITTED

    @property
    def is_waiting(self) -> bool:
        return self.state == self.State.WAITING

    @property
    def is_removed(self) -> bool:
        return self.state == self.State.REMOVED

    @property
    def holds_a_seat(self) -> bool:
        """Waiting and admitted participants count against the host's licence capacity."""
        return self.state in (self.State.WAITING, self.State.ADMITTED)

    @staticmethod
    def new_guest_key() -> str:
        return secrets.token_urlsafe(32)

    def as_roster_entry(self) -> dict:
        """What other participants may see of this one: an id and the chosen name."""
        return {"id": self.pk, "name": self.display_name, "host": self.is_host}
