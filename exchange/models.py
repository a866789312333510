"""Datasets, sharing agreements, exchange jobs and the signed message log."""

# The import tables live in their own module; Django finds models through this one.
from exchange.import_models import *  # noqa: E402, F401, F403
