"""The Celery application.

With ``REDIS_URL`` set, Redis is the broker and result backend; without it tasks run inline
(``task_always_eager``) so that the portal needs no server on a bare machine.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
