"""The live room's poll panel and the host's poll controls, rendered into the room page."""

from django import template

from meetings.polls import selectors
from meetings.polls.forms import QuickPollForm

register = template.Library()


@register.inclusion_tag("meetings/polls/_room.html", takes_context=True)
def poll_room(context: template.Context) -> dict:
    """Needs ``meeting`` and ``participant`` (an admitted participant) in the room's context."""
    meeting, participant = context["meeting"], context["participant"]
    values = selectors.room_panel_context(meeting=meeting, participant=participant)
    values.update(
        request=context.get("request"),
        csrf_token=context.get("csrf_token"),
        is_host=participant.is_host,
        host_polls=selectors.host_polls(meeting=meeting) if participant.is_host else (),
        quick_form=QuickPollForm(prefix="quick") if participant.is_host else None,
    )
    return values
