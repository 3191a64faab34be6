"""Login rate limiting: failed sign-ins counted per email and per client address in Redis.

The counts live in the app's job Redis (the in-process stand-in when REDIS_URL is empty),
so every web worker of a deployment shares them. Each failure is a member of a sorted
set scored by its time, which gives a sliding window.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
import uuid

import redis

from olap.core.errors import OlapError

logger = logging.getLogger(__name__)

MAX_FAILURES = 10
WINDOW_SECONDS = 15 * 60
KEY_PREFIX = "olap:login-failures:"


class TooManyLoginAttempts(OlapError):
    """Too many failed sign-ins for an email or from an address within the window."""

    status = 429
    exit_code = 2

    def __init__(self, retry_after_seconds: int):
        minutes = max(1, math.ceil(retry_after_seconds / 60))
        super().__init__(f"Too many failed sign-ins; wait {minutes} minute{'s' if minutes != 1 else ''} and try again, or ask an admin to reset your password.")
        self.retry_after_seconds = retry_after_seconds


class LoginRateLimiter:
    """Counts failed sign-ins per email and per address and returns how long a caller must wait."""

    def __init__(self, connection: redis.Redis, max_failures: int = MAX_FAILURES, window_seconds: int = WINDOW_SECONDS, clock=time.time):
        self.connection = connection
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self.clock = clock

    def _keys(self, email: str, address: str) -> list[str]:
        # Hashed, so Redis contains no email addresses in plain text.
        digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
        keys = [f"{KEY_PREFIX}email:{digest}"]
        if address:
            keys.append(f"{KEY_PREFIX}address:{address}")
        return keys

    def retry_after(self, email: str, address: str) -> int:
        """Return the seconds until the next sign-in may be tried, 0 when it may be tried now."""
        now = self.clock()
        wait = 0.0
        for key in self._keys(email, address):
            self.connection.zremrangebyscore(key, 0, now - self.window_seconds)
            if self.connection.zcard(key) >= self.max_failures:
                # The window frees a slot when the oldest failure that still counts expires.
                oldest_counted = self.connection.zrange(key, -self.max_failures, -self.max_failures, withscores=True)[0][1]
                wait = max(wait, oldest_counted + self.window_seconds - now)
        return math.ceil(wait)

    def check(self, email: str, address: str) -> None:
        """Raise TooManyLoginAttempts when the email or the address is over the limit."""
        wait = self.retry_after(email, address)
        if wait:
            logger.warning("login: sign-in blocked for %d s after %d failures (address %s)", wait, self.max_failures, address or "unknown")
            raise TooManyLoginAttempts(wait)

    def record_failure(self, email: str, address: str) -> None:
        now = self.clock()
        for key in self._keys(email, address):
            pipeline = self.connection.pipeline()
            pipeline.zadd(key, {uuid.uuid4().hex: now})
            pipeline.expire(key, self.window_seconds)
            pipeline.execute()

    def reset(self, email: str) -> None:
        """Forget the failures of an email after a successful sign-in; the address keeps its count."""
        self.connection.delete(self._keys(email, "")[0])


def login_limiter(app) -> LoginRateLimiter:
    """Return the app's limiter, created on first use on the job queue's Redis connection."""
    limiter = app.extensions.get("olap_login_limiter")
    if limiter is None:
        limiter = LoginRateLimiter(app.extensions["olap"].jobs.connection)
        app.extensions["olap_login_limiter"] = limiter
    return limiter
