import pytest

from tests.meetings.recordings.helpers import recordings_storage  # noqa: F401


@pytest.fixture(autouse=True)
def _recordings_in_tmp(recordings_storage):  # noqa: F811
    return recordings_storage
