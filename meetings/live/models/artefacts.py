"""What a running meeting leaves behind: chat, attendance list, meeting report.

Each carries its retention clock (``created_at`` / ``ended_at``): stored chat is deleted after
30 days, meeting reports after one month (retention app); chat of meetings that do not store
it is deleted when the meeting ends; attendance exists only where the meeting requires it.
"""

from django.conf import settings
from django.db import models
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _


class ChatMessage(models.Model):
    """A message in a meeting's chat, to everyone or to one participant.

    Kept after the meeting only when the meeting stores its chat (announced in the chat box).
    """

    meeting = models.ForeignKey(
        "meetings.Meeting",
        verbose_name=_("meeting"),
        on_delete=models.CASCADE,
        related_name="chat_messages",
    )
    sender = models.ForeignKey(
        "meetings.Participant",
        verbose_name=_("sender"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Personal data. Emptied when the meeting ends."),
    )
    sender_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sender's account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_(
            "Personal data. Empty for guests; finds a member's messages for export and erasure."
        ),
    )
    sender_name = models.CharField(
        _("sender's display name"), max_length=150, help_text=_("Personal data.")
    )
    recipient = models.ForeignKey(
        "meetings.Participant",
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Personal data. Empty for messages to everyone."),
    )
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient's account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Personal data. Empty for guests and messages to everyone."),
    )
    recipient_name = models.CharField(
        _("recipient's display name"),
        max_length=150,
        blank=True,
        help_text=_("Personal data. Empty for messages to everyone."),
    )
    text = models.TextField(_("text"), max_length=2000, help_text=_("Personal data."))
    created_at = models.DateTimeField(_("sent at"), default=now, db_index=True)

    class Meta:
        verbose_name = _("chat message")
        verbose_name_plural = _("chat messages")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.meeting_id}/{self.pk}"

    @property
    def is_private(self) -> bool:
        return bool(self.recipient_name)

    def as_event(self) -> dict:
        return {
            "id": self.pk,
            "sender": self.sender_name,
            "sender_id": self.sender_id,
            "recipient": self.recipient_name,
            "private": self.is_private,
            "text": self.text,
            "at": self.created_at.isoformat(),
        }


class AttendanceRecord(models.Model):
    """One stay of one person in a meeting that requires attendance.

    Not written for other meetings. The name is the person's account name (or the name a guest
    gave), never a chosen pseudonym (policy: display names are not stored in attendance lists).
    """

    meeting = models.ForeignKey(
        "meetings.Meeting",
        verbose_name=_("meeting"),
        on_delete=models.CASCADE,
        related_name="attendance_records",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Personal data. Empty for guests."),
    )
    participant = models.ForeignKey(
        "meetings.Participant",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    name = models.CharField(_("name"), max_length=150, help_text=_("Personal data."))
    is_guest = models.BooleanField(_("guest"), default=False)
    joined_at = models.DateTimeField(_("joined at"), help_text=_("Personal data."))
    left_at = models.DateTimeField(
        _("left at"), null=True, blank=True, help_text=_("Personal data.")
    )

    class Meta:
        verbose_name = _("attendance record")
        verbose_name_plural = _("attendance records")
        ordering = ["joined_at", "pk"]

    def __str__(self) -> str:
        return f"{self.meeting_id}/{self.pk}"


class MeetingReport(models.Model):
    """Metadata of one held meeting: when it ran and how many took part; no names.

    Kept up to one month (policy table, reports); the retention app purges it.
    """

    meeting = models.ForeignKey(
        "meetings.Meeting",
        verbose_name=_("meeting"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
    )
    meeting_ref = models.CharField(_("meeting ID"), max_length=11, db_index=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), db_index=True)
    participant_count = models.PositiveIntegerField(_("number of participants"))
    ended_by_time_limit = models.BooleanField(_("ended by the licence's time limit"), default=False)
    created_at = models.DateTimeField(_("created at"), default=now, db_index=True)

    class Meta:
        verbose_name = _("meeting report")
        verbose_name_plural = _("meeting reports")
        ordering = ["-ended_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.meeting_ref} {self.ended_at:%Y-%m-%d}"
