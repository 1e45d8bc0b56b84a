"""Channel-layer messages from synchronous code go through one long-lived sender per process
(meetings.live.broadcast): every message arrives, the loop is reused, a forked child makes its
own."""

import os
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import async_to_sync
from channels import DEFAULT_CHANNEL_LAYER
from channels.layers import channel_layers

from meetings.live import broadcast


def _receive_all(layer, channel: str, count: int) -> list[dict]:
    async def receive() -> list[dict]:
        return [await layer.receive(channel) for _ in range(count)]

    return async_to_sync(receive)()


def test_messages_of_sync_code_share_one_sender_loop_and_all_arrive(monkeypatch):
    # in a thread of its own, as gunicorn's: a browser test earlier in this worker may leave
    # Playwright's loop running in this one
    with ThreadPoolExecutor(1) as pool:
        pool.submit(_send_and_receive, monkeypatch).result()


def _send_and_receive(monkeypatch) -> None:
    # a layer of its own: the process-wide one may hold another test's receive state
    layer = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)
    monkeypatch.setattr(broadcast, "get_channel_layer", lambda: layer)
    channel = async_to_sync(layer.new_channel)()
    meeting_pk = 987_654_321  # no such meeting: only this test's channel is in the group
    async_to_sync(layer.group_add)(broadcast.meeting_group(meeting_pk), channel)
    try:
        broadcast.broadcast_to_meeting(meeting_pk, "first", n=1)
        sender = broadcast._process_sender()
        broadcast.broadcast_to_meeting(meeting_pk, "second", n=2)
        assert broadcast._process_sender() is sender
        assert sender.thread.is_alive()
        received = _receive_all(layer, channel, 2)
    finally:
        async_to_sync(layer.group_discard)(broadcast.meeting_group(meeting_pk), channel)
    assert [(m["event"], m["payload"]) for m in received] == [
        ("first", {"n": 1}),
        ("second", {"n": 2}),
    ]


def test_a_forked_child_does_not_use_its_parents_sender(monkeypatch):
    parent = broadcast._process_sender()
    # what a child sees after fork: the parent's sender object, but another process id
    monkeypatch.setattr(os, "getpid", lambda: parent.pid + 1)
    child = broadcast._process_sender()
    assert child is not parent
    assert child.pid == parent.pid + 1
    assert child.thread.is_alive()
    child.loop.call_soon_threadsafe(child.loop.stop)
