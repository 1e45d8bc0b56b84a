from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Participant(models.Model):
    """A person in a meeting's waiting room or live room, while the meeting lasts.

    Rows exist only as long as the meeting needs them: when the meeting ends they are deleted,
    unless the meeting requires attendance (then the attendance list keeps what it must).
    A guest has no user; the guest's browser session holds ``guest_key``.
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

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_admitted(self) -> bool:
        return self.state == self.State.ADMITTED
