"""A bounded load test (bench/load.py) in the suite: gunicorn with the production settings and the
Redis page cache, 16 connections for 20 s over the public URLs while an editor publishes.

Needs Redis at REDIS_URL (default redis://127.0.0.1:6379/0), as production does; without it the
test is skipped with the reason, except in CI (REQUIRE_SERVICES=1), where that is a failure.
"""

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import load  # noqa: E402


def redis_available():
    import redis

    try:
        return redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")).ping()
    except redis.RedisError:
        return False


@pytest.fixture(scope="module")
def figures():
    if not redis_available():
        if os.environ.get("REQUIRE_SERVICES"):
            pytest.fail("Redis is not reachable and REQUIRE_SERVICES is set")
        pytest.skip("Redis is not reachable at REDIS_URL: the load test runs the production shape, which uses it")
    # A fresh SQLite file of its own: the server and the editor are separate processes, so they
    # cannot share the test database (an in-memory or per-test transaction).
    return load.run_load(seconds=20, connections=16)


def test_no_request_fails_under_load_while_an_editor_publishes(figures):
    assert figures["requests"] > 100, figures
    assert figures["server_errors"] == 0, figures
    assert figures["connection_errors"] == {}, figures
    assert set(figures["statuses"]) == {"200"}, figures
    assert figures["publications"] and figures["publications"] >= 5, figures


def test_readers_get_the_last_publication_at_once(figures):
    assert figures["readers_see_the_last_publication"], figures


def test_memory_stays_steady(figures):
    memory = figures["memory_mb"]
    assert memory["max"] <= memory["after_warm_up"] * 1.25, memory
