"""gunicorn's entry point for `bench/open311_post.py`: the portal's WSGI application with the
benchmark's settings (`bench/open311_settings.py`)."""

import os

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.open311_settings"

from portal.wsgi import application  # noqa: E402, F401
