"""Where each meeting's media room lives (docs/ARCHITECTURE.md, backends).

Several Janus servers may serve the portal (``JANUS_SERVERS``): a room is placed on the
least-loaded healthy server when the meeting starts and stays there until it ends, so every
server process of the portal must agree on the placement. It is kept here, in the database.
Holds no personal data: a meeting, a server name and a number.
"""

from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _


class JanusRoom(models.Model):
    """The VideoRoom of one meeting on one Janus server."""

    meeting = models.OneToOneField(
        "meetings.Meeting",
        verbose_name=_("meeting"),
        on_delete=models.CASCADE,
        related_name="janus_room",
    )
    server = models.CharField(_("Janus server"), max_length=200)
    room_id = models.BigIntegerField(_("room number"), unique=True)
    created_at = models.DateTimeField(_("created at"), default=now)
    destroyed_at = models.DateTimeField(_("destroyed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("media room")
        verbose_name_plural = _("media rooms")
        indexes = [models.Index(fields=["server", "destroyed_at"], name="janusroom_load")]

    def __str__(self) -> str:
        return f"{self.server} #{self.room_id}"
