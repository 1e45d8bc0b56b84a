"""Conferencing backends: what turns an admitted participant into a media session.

The portal is the control plane (who is admitted, locked, removed, chat, polls, consent); a
backend carries audio and video. ``MEETINGS_BACKEND`` names the class (a dotted path); the
default is the built-in backend without media. Planned: a Janus SFU on our own machines and
adapters for Zoom's REST API and BigBlueButton (docs/ARCHITECTURE.md, extension points).
"""

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from meetings.backends.base import ConferencingBackend, RecordingInfo, RoomInfo

DEFAULT_BACKEND = "meetings.backends.builtin.BuiltinBackend"

__all__ = ["ConferencingBackend", "RecordingInfo", "RoomInfo", "get_backend"]


@cache
def _backend_class(path: str) -> type[ConferencingBackend]:
    return import_string(path)


def get_backend() -> ConferencingBackend:
    """The configured backend (``settings.MEETINGS_BACKEND``, else the built-in one)."""
    path = getattr(settings, "MEETINGS_BACKEND", DEFAULT_BACKEND)
    return _backend_class(path)()
