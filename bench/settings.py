"""Settings for the benchmarks: the test settings (DEBUG off, fast password hashing), on the
benchmark's own database, with background tasks in-process and mail kept in memory.

Each bench sets DATABASE_URL (bench.harness.setup_django) before Django reads this module.
"""

import os

os.environ["DEBUG"] = "false"
# No broker: the demo's notifications are delivered in-process instead of being queued on a Redis
# that another run's worker may be reading.
os.environ["REDIS_URL"] = ""
# The console SMS backend logs a line per message the demo sends.
os.environ.setdefault("LOG_LEVEL", "WARNING")

from portal.settings_test import *  # noqa: E402, F403

# The demo notifies its residents; with DEBUG off that would be SMTP to localhost.
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
