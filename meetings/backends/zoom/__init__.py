"""Zoom as a conferencing backend, governed by the portal through Zoom's REST API v2.

``MEETINGS_BACKEND = "meetings.backends.zoom.ZoomBackend"`` turns it on; nothing of it runs
otherwise. The pieces: ``client.py`` (Server-to-Server OAuth, token cache, errors, pacing),
``policy.py`` (the meeting policy as Zoom settings), ``services.py`` (licences, meetings,
admission, recordings), ``webhooks.py`` and ``views.py`` (signed webhooks), ``tasks.py``
(Celery, retries), ``reconcile.py`` (the nightly comparison of users and seats),
``backend.py`` (the ``ConferencingBackend``). What Zoom can and cannot enforce: README, Zoom.
"""


def __getattr__(name: str):  # noqa: ANN202 - lazy: the models import this package early
    if name == "ZoomBackend":
        from meetings.backends.zoom.backend import ZoomBackend

        return ZoomBackend
    raise AttributeError(name)
