from workforce.tests.helpers import crew  # noqa: F401
