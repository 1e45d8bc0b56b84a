import pytest


@pytest.fixture(autouse=True)
def _recordings_in_tmp(recordings_storage):
    return recordings_storage
