"""Mail about meetings, sent by Celery after the request's transaction committed, with retries
(a mail server that is away for a while delays the mail, it does not lose it nor fail the
host's request). Thin: the messages are built in meetings/scheduling/mail.py."""

import smtplib

from celery import shared_task
from django.core.mail import get_connection

from meetings.scheduling import mail
from meetings.scheduling.models import Invitation

RETRY = {
    "autoretry_for": (smtplib.SMTPException, OSError),
    "retry_backoff": 30,
    "retry_backoff_max": 3600,
    "retry_jitter": True,
    "max_retries": 10,
    "acks_late": True,
    "ignore_result": True,
}


@shared_task(name="meetings.scheduling.tasks.send_invitation_mail", **RETRY)
def send_invitation_mail(invitation_pk: int, kind: str = mail.INVITATION) -> bool:
    """Send the invitation or update for one invitation row (gone: nothing to send)."""
    invitation = (
        Invitation.objects.select_related("meeting", "meeting__series", "meeting__host")
        .filter(pk=invitation_pk)
        .first()
    )
    if invitation is None:
        return False
    get_connection().send_messages([mail.invitation_message(invitation, kind)])
    return True


@shared_task(name="meetings.scheduling.tasks.send_cancellation_mail", **RETRY)
def send_cancellation_mail(address: str, language: str, snapshot: dict) -> bool:
    """Tell one invitee that a meeting or series was deleted (METHOD:CANCEL)."""
    get_connection().send_messages([mail.cancellation_message(address, language, snapshot)])
    return True
