"""Connections to the portal's decisions (from ``meetings/apps.py``). Each receiver returns at
once unless ``MEETINGS_BACKEND`` names the Zoom backend."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from meetings.backends.zoom import services
from meetings.backends.zoom.models import SyncState, ZoomMeeting
from meetings.scheduling.models import Meeting
from meetings.scheduling.status import MeetingNotice
from portal.identity.signals import licence_decided


def meeting_saved(sender, instance: Meeting, **kwargs) -> None:  # noqa: ANN001, ANN003
    """Scheduling or editing (any ``save``): the Zoom meeting follows."""
    if services.is_enabled() and not kwargs.get("raw"):
        services.request_meeting_sync(meeting=instance)


def meeting_deleted(sender, instance: Meeting, **kwargs) -> None:  # noqa: ANN001, ANN003
    """A deleted meeting (alone, with its series or its host): delete it at Zoom too. The
    Zoom row stays (``SET_NULL``) until Zoom confirmed the deletion."""
    if services.is_enabled():
        from meetings.backends.zoom.tasks import delete_meetings_task

        transaction.on_commit(delete_meetings_task.delay)


def licence_pushed(sender, user_pk: int, **kwargs) -> None:  # noqa: ANN001, ANN003
    services.request_user_push(user_pk=user_pk)


def meeting_notice(meeting: Meeting) -> MeetingNotice | None:
    """What the host sees on the meeting page: secured at Zoom only once Zoom confirmed."""
    if not services.is_enabled():
        return None
    zoom_meeting = ZoomMeeting.objects.filter(meeting=meeting).first()
    if zoom_meeting is not None and zoom_meeting.is_secured:
        return MeetingNotice(_("Zoom: the meeting is set up and secured."), pending=False)
    if zoom_meeting is not None and zoom_meeting.state == SyncState.FAILED:
        return MeetingNotice(
            _("Zoom refused the meeting: %(reason)s") % {"reason": zoom_meeting.last_error},
            pending=True,
        )
    return MeetingNotice(
        _("Zoom: waiting for Zoom to confirm the meeting. Do not share Zoom links yet."),
        pending=True,
    )


def licence_report_section() -> str:
    """The last reconciliation in the licence report: seats and every difference by kind,
    portal users by their key only."""
    if not services.is_enabled():
        return ""
    from meetings.backends.zoom.models import ZoomReconciliation, ZoomUser

    run = ZoomReconciliation.objects.first()
    failed = ZoomUser.objects.filter(state=SyncState.FAILED).count()
    if run is None:
        return format_html("<h2>Zoom</h2><p>{}</p>", _("No reconciliation with Zoom yet."))
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                d["kind"],
                d.get("user") or "–",
                d.get("zoom_user") or "–",
                _("yes") if d.get("fixed") else _("no"),
            )
            for d in run.differences[:500]
        ),
    )
    return format_html(
        "<h2>Zoom</h2><p>{}</p><table><caption>{}</caption><thead><tr><th scope='col'>{}</th>"
        "<th scope='col'>{}</th><th scope='col'>{}</th><th scope='col'>{}</th></tr></thead>"
        "<tbody>{}</tbody></table><p>{}</p>",
        _(
            "Last reconciliation %(when)s: %(zoom)d Zoom users, %(zoom_licensed)d licensed at "
            "Zoom, %(portal_licensed)d licensed by the portal, quota %(quota)s, %(requests)d "
            "requests."
        )
        % {
            "when": run.started_at.strftime("%Y-%m-%d %H:%M UTC"),
            "zoom": run.zoom_users,
            "zoom_licensed": run.zoom_licensed,
            "portal_licensed": run.portal_licensed,
            "quota": run.portal_quota if run.portal_quota is not None else "–",
            "requests": run.requests,
        },
        _("Differences between Zoom and the portal (the portal's decision wins)"),
        _("Difference"),
        _("Portal user"),
        _("Zoom user"),
        _("Corrected"),
        rows,
        _("%(count)d licence pushes refused by Zoom.") % {"count": failed},
    )


def connect() -> None:
    post_save.connect(meeting_saved, sender=Meeting, dispatch_uid="zoom-meeting-saved")
    post_delete.connect(meeting_deleted, sender=Meeting, dispatch_uid="zoom-meeting-deleted")
    licence_decided.connect(licence_pushed, dispatch_uid="zoom-licence")
