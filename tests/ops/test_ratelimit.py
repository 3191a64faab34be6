"""Login rate limiting: 10 failures per 15 minutes per email and per address, on fakeredis and on Redis."""

from __future__ import annotations

import fakeredis
import pytest
import redis

from olap.core.ratelimit import LoginRateLimiter, TooManyLoginAttempts


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["fakeredis", "redis"])
def connection(request):
    if request.param == "fakeredis":
        yield fakeredis.FakeRedis()
        return
    url = request.getfixturevalue("redis_url")
    client = redis.Redis.from_url(url)
    yield client
    for key in client.scan_iter("olap:login-failures:*"):
        client.delete(key)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def limiter(connection, clock):
    return LoginRateLimiter(connection, clock=clock)


def test_tenth_failure_blocks_email(limiter):
    for _ in range(9):
        limiter.record_failure("Teach@Example.edu", "10.0.0.1")
    assert limiter.retry_after("teach@example.edu", "10.0.0.2") == 0

    limiter.record_failure("teach@example.edu", "10.0.0.1")

    assert limiter.retry_after("teach@example.edu", "10.0.0.2") == 900
    with pytest.raises(TooManyLoginAttempts, match="wait 15 minutes") as raised:
        limiter.check("teach@example.edu", "10.0.0.3")
    assert raised.value.status == 429


def test_address_blocked_across_emails(limiter):
    for number in range(10):
        limiter.record_failure(f"user{number}@example.edu", "10.0.0.9")

    assert limiter.retry_after("someone-else@example.edu", "10.0.0.9") > 0
    assert limiter.retry_after("someone-else@example.edu", "10.0.0.8") == 0


def test_window_slides(limiter, clock):
    for _ in range(10):
        limiter.record_failure("teach@example.edu", "")
        clock.now += 60

    assert limiter.retry_after("teach@example.edu", "") == 900 - 600
    clock.now += 301
    assert limiter.retry_after("teach@example.edu", "") == 0


def test_success_resets_email(limiter):
    for _ in range(10):
        limiter.record_failure("teach@example.edu", "10.0.0.1")

    limiter.reset("teach@example.edu")

    assert limiter.retry_after("teach@example.edu", "10.0.0.2") == 0
    assert limiter.retry_after("other@example.edu", "10.0.0.1") > 0


def test_email_stored_hashed(limiter, connection):
    limiter.record_failure("teach@example.edu", "10.0.0.1")

    keys = [key.decode() for key in connection.scan_iter("olap:login-failures:*")]
    assert keys
    assert not any("teach" in key for key in keys)
