from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _


class Invitation(models.Model):
    """That an address was invited to a meeting (or a whole series), kept minimal.

    Only the host and co-hosts see it; it is never shown to other participants.
    """

    meeting = models.ForeignKey(
        "meetings.Meeting",
        verbose_name=_("meeting"),
        on_delete=models.CASCADE,
        related_name="invitations",
    )
    whole_series = models.BooleanField(_("whole series"), default=False)
    email = models.EmailField(_("e-mail address"), help_text=_("Personal data. The invitee."))
    sent_at = models.DateTimeField(_("sent at"), default=now, editable=False)
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        help_text=_("The invitee's language for the mails about this meeting."),
    )

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-sent_at", "pk"]

    def __str__(self) -> str:
        return str(_("Invitation"))
