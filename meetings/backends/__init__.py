"""Conferencing backends: what turns an admitted participant into a media session.

The portal is the control plane (who is admitted, locked, removed, chat, polls, consent); a
backend carries audio and video. ``MEETINGS_BACKEND`` names the class (a dotted path); the
default is the built-in backend without media; ``janus.JanusBackend`` carries audio, video and
screen sharing on the institution's own Janus servers (docs/ARCHITECTURE.md, backends).
"""

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from meetings.backends.base import (
    BackendError,
    BackendUnavailable,
    ConferencingBackend,
    RecordingInfo,
    RecordingNotSupported,
    RoomInfo,
)

DEFAULT_BACKEND = "meetings.backends.builtin.BuiltinBackend"

__all__ = [
    "BackendError",
    "BackendUnavailable",
    "ConferencingBackend",
    "RecordingInfo",
    "RecordingNotSupported",
    "RoomInfo",
    "get_backend",
]


@cache
def _backend_class(path: str) -> type[ConferencingBackend]:
    return import_string(path)


def get_backend() -> ConferencingBackend:
    """The configured backend (``settings.MEETINGS_BACKEND``, else the built-in one)."""
    path = getattr(settings, "MEETINGS_BACKEND", DEFAULT_BACKEND)
    return _backend_class(path)()
