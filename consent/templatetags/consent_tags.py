from django import template
from django.conf import settings

from consent.selectors import current_consent_text

register = template.Library()


@register.inclusion_tag("consent/includes/recording_announcement.html", takes_context=True)
def recording_announcement(context: template.Context, meeting) -> dict:  # noqa: ANN001
    """The announcement of a planned recording, for the join page, waiting room and invitations.

    ``{% load consent_tags %}{% recording_announcement meeting %}``; renders nothing when the
    host did not announce a recording.
    """
    request = context.get("request")
    return {
        "meeting": meeting,
        "announced": getattr(meeting, "recording_announced", False),
        "text": current_consent_text() if getattr(meeting, "recording_announced", False) else None,
        # invitations (mail) need absolute links, pages relative ones
        "base_url": "" if request is not None else settings.PORTAL_BASE_URL,
    }
