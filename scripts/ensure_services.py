"""Make sure PostgreSQL and Redis answer on loopback before the tests run.

A service that is installed here but stopped is started (with the commands this machine kind
documents); one that still cannot be reached stops `make test` at once with a message naming it.
"""

import glob
import os
import shutil
import socket
import subprocess
import sys
import time
from urllib.parse import urlsplit

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def start_postgresql(port: int) -> None:  # the cluster's own config decides the port
    if shutil.which("pg_ctlcluster"):
        for version_dir in sorted(glob.glob("/etc/postgresql/*")):
            subprocess.run(
                ["pg_ctlcluster", "--skip-systemctl-redirect", os.path.basename(version_dir), "main", "start"],
                check=False,
            )


def start_redis(port: int) -> None:
    if shutil.which("redis-server"):
        os.makedirs("/var/log/redis", exist_ok=True)
        os.makedirs("/var/lib/redis", exist_ok=True)
        subprocess.run(
            [
                "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", str(port),
                "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log",
            ],
            check=False,
        )  # fmt: skip


def ensure(name: str, url: str, default_port: int, start) -> bool:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or default_port
    if reachable(host, port):
        print(f"{name}: reachable at {host}:{port}")
        return True
    # Only this machine's own services on their standard ports are started; anything else is the
    # user's to run, and we only say that it is not there.
    if host in LOOPBACK and port == default_port:
        print(f"{name}: not answering at {host}:{port}, trying to start it")
        start(port)
        for _ in range(30):
            if reachable(host, port):
                print(f"{name}: started at {host}:{port}")
                return True
            time.sleep(0.5)
    print(
        f"ERROR: {name} cannot be reached at {host}:{port} (from {url}). Start it, or point the URL elsewhere.",
        file=sys.stderr,
    )
    return False


def ensure_database(url: str) -> None:
    """Create the database DATABASE_URL names if the server lacks it (the tests make their own
    test_ database; `makemigrations --check` and `make run` connect to this one)."""
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name:
        return
    connection = psycopg2.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname="postgres",
    )
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"PostgreSQL: created database {name}")
    connection.close()


def main() -> int:
    database_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    ok = ensure("PostgreSQL", database_url, 5432, start_postgresql)
    if ok and database_url.startswith(("postgres://", "postgresql://")):
        ensure_database(database_url)
    ok = ensure("Redis", redis_url, 6379, start_redis) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
