"""Checks of the services the portal needs, shared by GET /healthz and `manage.py healthcheck`."""

import logging

from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)


def _check_database() -> str | None:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "down"; the message says why
        return f"{type(exc).__name__}: {exc}".strip()[:300]
    return None


def _check_redis(url: str) -> str | None:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except Exception as exc:  # any failure means "down"; the message says why
        return f"{type(exc).__name__}: {exc}".strip()[:300]
    finally:
        client.close()
    return None


def health_report(*, include_errors: bool) -> tuple[bool, dict]:
    """(healthy, report): every check is "ok", "not configured", or "down" — with the error text
    only when `include_errors`, since it can name internal hosts and is not for the public."""
    checks: dict[str, dict] = {}
    error = _check_database()
    checks["database"] = {"status": "down", "error": error} if error else {"status": "ok"}
    if settings.REDIS_URL:
        error = _check_redis(settings.REDIS_URL)
        checks["redis"] = {"status": "down", "error": error} if error else {"status": "ok"}
    else:
        checks["redis"] = {"status": "not configured"}
    down = sorted(name for name, check in checks.items() if check["status"] == "down")
    for name in down:
        logger.error("Health check: %s is down: %s", name, checks[name]["error"])
        if not include_errors:
            del checks[name]["error"]
    report = {"status": "ok" if not down else "unavailable", "down": down, "checks": checks}
    return not down, report
