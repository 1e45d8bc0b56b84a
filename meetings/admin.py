"""The meetings app's admin: each feature registers its own models."""

from meetings.live import admin as live_admin  # noqa: F401
from meetings.polls import admin as polls_admin  # noqa: F401
from meetings.recordings import admin as recordings_admin  # noqa: F401
from meetings.scheduling import admin as scheduling_admin  # noqa: F401
