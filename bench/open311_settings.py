"""Settings for `bench/open311_post.py`: the production settings, served by gunicorn on the
benchmark's own PostgreSQL database, with Redis for the cache, the API throttle and Celery's queue.

The script sets the environment before gunicorn starts: DEBUG off, test secrets, DATABASE_URL,
REDIS_URL (a Redis database of the benchmark's own) and an API_RATE_LIMIT high enough that the
throttle counts every call but never refuses one. Only two things differ from production: plain
http on loopback (no SSL redirect), and URLs with one extra view, the floor (`bench/open311_urls.py`).
"""

import os
import warnings

# No TLS proxy in front of gunicorn on loopback; https redirects would turn every POST into a 301.
os.environ["SECURE_SSL_REDIRECT"] = "false"
os.environ.setdefault("LOG_LEVEL", "WARNING")
# whitenoise looks for collected static files, which only `make serve` collects; the API needs none.
warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)

from portal.settings import *  # noqa: E402, F403

ROOT_URLCONF = "bench.open311_urls"
