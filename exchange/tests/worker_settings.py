"""Settings of the Celery worker that test_worker_killed.py starts in a subprocess and kills: the
test settings, with a short visibility timeout so that the message a killed worker held (never
acknowledged: late acknowledgement) comes back to the restarted worker within seconds rather
than the hour Redis waits by default. The test passes the test database, Redis and MEDIA_ROOT
through the environment."""

from portal.settings_test import *  # noqa: F403

CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 4,
    # Look for such messages every second (by default every 10 × 10 s).
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
