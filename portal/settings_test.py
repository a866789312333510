"""Settings for the test suite: production settings, with loopback services and test secrets.

Tests run against real PostgreSQL and Redis; `make test` finds both, or starts its own (scripts/with_services.py).
"""

import os
import tempfile

# Pinned: a developer's .env (DEBUG=true) must not change what the tests check.
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("PERSONAL_DATA_KEY", "test-only-personal-data-key-0123456789abcdef")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
# Not the working tree's .data/: checkpoints of the development database would not fit the test's.
os.environ.setdefault("AUDIT_CHECKPOINT_DIR", tempfile.mkdtemp(prefix="portal-test-checkpoints-"))

from portal.settings import *  # noqa: E402, F403

# Hashing passwords slowly is the point in production and a waste in tests.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# Each test starts with an empty cache of its own: allauth keeps its sign-in rate limits there, and
# a Redis cache shared across tests and runs would make them depend on one another.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # API throttling is tested against real Redis. Counters are keyed by API key id, unique within a
    # run (sequences never go back), and each run has its own prefix, so tests cannot share a count.
    "throttle": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["REDIS_URL"],
        "KEY_PREFIX": f"test-throttle-{os.getpid()}",
    },
}
