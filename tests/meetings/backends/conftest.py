"""The Zoom double for the backend tests: one server per test process, reset for each test,
and the portal's settings pointed at it. The Janus tests take the live room's fixtures in their
own modules."""

import pytest

from tests.zoom_double.control import DoubleControl, start_double


@pytest.fixture(scope="session")
def zoom_double_server():
    port, process = start_double()
    yield DoubleControl(port)
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def zoom(zoom_double_server, settings, demo_institution):
    """Zoom governed by the portal, against a fresh double."""
    from celery import current_app

    # Celery runs the Zoom tasks inline here (retries too, without their countdown)
    eager = current_app.conf.task_always_eager, current_app.conf.task_eager_propagates
    current_app.conf.task_always_eager = current_app.conf.task_eager_propagates = True
    zoom_double_server.reset()
    settings.LANGUAGE_CODE = "en"  # assertions read the English texts
    zoom_double_server.config(retry_after_seconds=0)
    for name, value in zoom_double_server.settings().items():
        setattr(settings, name, value)
    yield zoom_double_server
    current_app.conf.task_always_eager, current_app.conf.task_eager_propagates = eager
    assert zoom_double_server.state()["violations"] == []


def deliver(client, delivery: dict, **headers: str):  # noqa: ANN001, ANN201
    """Post a webhook delivery the double signed to the portal's endpoint."""
    sent = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in delivery["headers"].items()}
    sent.pop("HTTP_CONTENT_TYPE", None)
    sent.update(headers)
    return client.post(
        "/meetings/zoom/webhook/", data=delivery["body"], content_type="application/json", **sent
    )


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run what the services leave for after the commit (Celery tasks, pushes) now."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def zoom_host(zoom, host, commit):
    """A lecturer whose Business licence was decided (and pushed to Zoom) at login."""
    from portal.identity.services import sync_licence_from_role

    with commit():
        sync_licence_from_role(user=host)
    return host
