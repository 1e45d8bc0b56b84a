"""One Redis client per process for Django's cache (portal/cache.py): the cache objects that
Django creates per async context (each websocket's task) share it, so a socket's calls reuse
pooled connections."""

import asyncio

from asgiref.sync import sync_to_async
from django.core.cache import caches

from portal.cache import SharedRedisCache
from tests.meetings.live.test_reconnect import run_in_own_loop

LOCATION = "redis://127.0.0.1:6379/15"


def test_cache_objects_with_the_same_location_share_one_client():
    first = SharedRedisCache(LOCATION, {"OPTIONS": {"socket_timeout": 1}})
    second = SharedRedisCache(LOCATION, {"OPTIONS": {"socket_timeout": 1}})
    assert first is not second
    assert first._cache is second._cache


def test_other_locations_or_options_get_their_own_client():
    base = SharedRedisCache(LOCATION, {})
    assert SharedRedisCache("redis://127.0.0.1:6379/14", {})._cache is not base._cache
    assert SharedRedisCache(LOCATION, {"OPTIONS": {"socket_timeout": 2}})._cache is not base._cache


def test_each_task_has_its_own_cache_object_but_they_share_one_client(settings):
    backend = "portal.cache.SharedRedisCache"
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": LOCATION}}

    def current():
        cache = caches["default"]
        return cache, cache._cache

    async def in_two_tasks():  # as two websockets of one server process
        call = sync_to_async(current, thread_sensitive=False)
        return await asyncio.gather(call(), call())

    (first, first_client), (second, second_client) = run_in_own_loop(in_two_tasks())
    assert first is not second  # Django's cache objects are per context under ASGI
    assert first_client is second_client
