"""``{% load recording_tags %}{% recording_announcement meeting %}``: the announcement of a
planned recording on the join page, the waiting room and in invitations.

The text belongs to the consent app, which sits above ``meetings``: it is rendered through the
recording gate it registers (:func:`meetings.recordings.gate.announcement`), so meetings never
imports consent.
"""

from django import template
from django.utils.safestring import SafeString, mark_safe

from meetings.recordings import gate as recording_gate
from meetings.scheduling.models import Meeting

register = template.Library()


@register.simple_tag
def recording_announcement(meeting: Meeting | None, text: bool = False) -> SafeString:
    """Nothing unless ``meeting.recording_announced``; ``text=True`` for mails (absolute links)."""
    if meeting is None or not meeting.recording_announced:
        return mark_safe("")  # noqa: S308
    # rendered by a template with autoescaping on (html) or off for mails (text)
    return mark_safe(recording_gate.announcement(meeting=meeting, absolute=text))  # noqa: S308


@register.inclusion_tag("meetings/recordings/console.html", takes_context=True)
def recording_console_in_room(context: template.Context, meeting: Meeting) -> dict:
    """The host's recording console inside the room: who has consented, start and stop; its
    forms bring the host back to the room."""
    from meetings.recordings.views import _console_context

    values = _console_context(meeting)
    values.update(in_room=True, csrf_token=context.get("csrf_token"))
    return values
