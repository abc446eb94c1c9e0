"""A Redis cache that is never a dependency of a write.

Django's RedisCache raises when Redis is down, and waits for the socket when Redis accepts a
connection but never answers. Both used to turn a report save into a 500 (the dashboard's
version bump runs in a post-save signal). FailSoftRedisCache logs the error and answers as a
cache miss instead (get → default, set/add/incr → nothing stored), and after one failure it
skips Redis for `RETRY_SECONDS`, so a hanging Redis costs one short socket timeout per process
every few seconds, not one per cache call. The timeouts themselves are the `OPTIONS`
socket_connect_timeout / socket_timeout in settings.CACHES.

The breaker's state is this process's own (whether *it* could reach Redis lately); nothing
another process needs is kept here.
"""

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

FAILURES = (RedisError, OSError)


class FailSoftRedisCache(RedisCache):
    RETRY_SECONDS = 5.0

    def __init__(self, server, params):
        options = dict(params.get("OPTIONS") or {})
        self.retry_seconds = float(options.pop("RETRY_SECONDS", self.RETRY_SECONDS))
        super().__init__(server, {**params, "OPTIONS": options})
        self._down_until = 0.0

    def is_down(self):
        return time.monotonic() < self._down_until

    def _soft(self, operation, default, *args, **kwargs):
        if self.is_down():
            return default
        try:
            return getattr(super(), operation)(*args, **kwargs)
        except FAILURES as exc:
            self._down_until = time.monotonic() + self.retry_seconds
            logger.warning("缓存（Redis）不可用，本次按未命中处理：%s: %s", type(exc).__name__, exc)
            return default

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._soft("add", False, key, value, timeout, version=version)

    def get(self, key, default=None, version=None):
        return self._soft("get", default, key, default, version=version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._soft("set", None, key, value, timeout, version=version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._soft("touch", False, key, timeout, version=version)

    def delete(self, key, version=None):
        return self._soft("delete", False, key, version=version)

    def get_many(self, keys, version=None):
        return self._soft("get_many", {}, keys, version=version)

    def has_key(self, key, version=None):
        return self._soft("has_key", False, key, version=version)

    def incr(self, key, delta=1, version=None):
        # A missing key still raises ValueError (callers rely on it); an outage returns None.
        return self._soft("incr", None, key, delta, version=version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._soft("set_many", [], data, timeout, version=version)

    def delete_many(self, keys, version=None):
        return self._soft("delete_many", None, keys, version=version)

    def clear(self):
        return self._soft("clear", False)
