"""Who a websocket belongs to: resolved when its consumer first asks, in the consumer's thread.

Channels' ``AuthMiddlewareStack`` loads the session and the user of every socket before the
consumer runs, on the single thread that a process' thread-sensitive database calls share: a
thousand sockets reconnecting after a restart queued there for two thousand queries, one after
the other (docs/ARCHITECTURE.md, lecture scale). Here the session stays Channels' lazy session
(read on first access) and the user is a lazy object that Django's own ``auth.get_user``
resolves on first use, with the same checks as for a request (the session's user, its
backend, the session hash: a changed password ends the session). The room's consumer first
touches both inside its pooled database thread, so sockets are identified side by side.

Reading ``scope["user"]`` on the event loop raises ``SynchronousOnlyOperation``: consumers read
it in ``database_sync_to_async`` as they read any model.
"""

from __future__ import annotations

from typing import Any

from channels.middleware import BaseMiddleware
from channels.sessions import CookieMiddleware, SessionMiddleware
from django.contrib import auth
from django.utils.functional import SimpleLazyObject


class _SessionOnly:
    """What ``auth.get_user`` needs of a request: its session."""

    def __init__(self, session: Any) -> None:
        self.session = session


class LazyUserMiddleware(BaseMiddleware):
    """Put a lazily resolved ``user`` into the scope (needs ``scope["session"]``)."""

    async def __call__(self, scope: dict, receive: Any, send: Any) -> Any:
        if "session" not in scope:
            raise ValueError("LazyUserMiddleware needs SessionMiddleware above it")
        scope = dict(scope)
        session = scope["session"]
        scope["user"] = SimpleLazyObject(lambda: auth.get_user(_SessionOnly(session)))
        return await super().__call__(scope, receive, send)


def LazyAuthMiddlewareStack(inner: Any) -> Any:  # noqa: N802 -- named like Channels' stack
    """Cookies, the lazy session and the lazy user, in place of ``AuthMiddlewareStack``."""
    return CookieMiddleware(SessionMiddleware(LazyUserMiddleware(inner)))
