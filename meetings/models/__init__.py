"""Models of the meetings app, one module per area so that work on one does not touch another.

- ``meeting``: meetings, their security settings and lifecycle (scheduling issue)
- further modules (live room, chat, polls, recordings) are added beside it and imported here.
"""

from meetings.models.meeting import Meeting

__all__ = ["Meeting"]
