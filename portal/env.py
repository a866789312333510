"""Typed reading of the environment for settings.

django-environ parses the values; this module makes every malformed value fail with one clear
message that names the variable, instead of a silent default or a traceback deep inside Django.
"""

from __future__ import annotations

import environ
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_DATABASE_SCHEMES = {"postgres", "postgresql", "pgsql", "sqlite"}
_REDIS_SCHEMES = {"redis", "rediss"}


class ConfigurationError(ImproperlyConfigured):
    """A setting read from the environment is missing or malformed; the message names it."""


env = environ.Env()


def read_env_file(path) -> None:
    """Load a local `.env` file if there is one; real environment variables win over it."""
    if path.exists():
        environ.Env.read_env(str(path), overwrite=False)


def get_str(name: str, default: str | None = None) -> str | None:
    value = env.str(name, default=None)
    if value is None or value.strip() == "":
        return default
    return value.strip()


def require_str(name: str, *, reason: str) -> str:
    value = get_str(name)
    if value is None:
        raise ConfigurationError(f"Environment variable {name} must be set ({reason}).")
    return value


def get_bool(name: str, default: bool) -> bool:
    value = get_str(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigurationError(f"Environment variable {name} must be true or false (1/0, yes/no, on/off), got {value!r}.")


def get_int(name: str, default: int, *, minimum: int = 0) -> int:
    value = get_str(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigurationError(f"Environment variable {name} must be a whole number, got {value!r}.") from None
    if number < minimum:
        raise ConfigurationError(f"Environment variable {name} must be at least {minimum}, got {number}.")
    return number


def get_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = get_str(name, default)
    if value not in choices:
        raise ConfigurationError(f"Environment variable {name} must be one of {', '.join(choices)}, got {value!r}.")
    return value


def get_list(name: str, default: list[str]) -> list[str]:
    value = get_str(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def get_database(name: str, default: str) -> dict:
    url = get_str(name, default)
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in _DATABASE_SCHEMES:
        raise ConfigurationError(f"Environment variable {name} must be a postgres:// or sqlite:/// URL, got {url!r}.")
    try:
        config = env.db_url_config(url)
    except Exception as exc:  # django-environ raises several types for a bad URL
        raise ConfigurationError(f"Environment variable {name} is not a valid database URL: {exc}") from None
    if scheme != "sqlite" and not config.get("NAME"):
        raise ConfigurationError(f"Environment variable {name} must name a database, got {url!r}.")
    return config


def get_redis_url(name: str) -> str | None:
    url = get_str(name)
    if url is None:
        return None
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in _REDIS_SCHEMES:
        raise ConfigurationError(f"Environment variable {name} must be a redis:// URL, got {url!r}.")
    return url
