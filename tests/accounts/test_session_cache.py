"""Sessions in the shared cache (production: Redis, SESSION_ENGINE cached_db): a page reads its session from
the cache, and signing out ends it for every process at once (the database row and the cached copy go)."""

import os

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse


@pytest.fixture
def redis_sessions(settings):
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url,
                                   "KEY_PREFIX": "test-sessions"}}
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"


@pytest.mark.redis
def test_a_page_reads_its_session_from_the_cache_and_sign_out_ends_it_everywhere(world, client_for, redis_sessions):
    from django.contrib.sessions.backends.cached_db import SessionStore
    from django.contrib.sessions.models import Session

    client = client_for(world.alice)
    url = reverse("dashboard", args=[world.org.slug])
    assert client.get(url).status_code == 200
    key = client.cookies["sessionid"].value
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    assert not [q for q in queries.captured_queries if 'FROM "django_session"' in q["sql"]]
    assert Session.objects.filter(session_key=key).exists()  # written through to the database

    client.post(reverse("logout"))
    assert not Session.objects.filter(session_key=key).exists()
    assert not SessionStore(session_key=key).exists(key)  # nor in the cache another worker reads
    client.cookies["sessionid"] = key  # the old cookie, replayed
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
