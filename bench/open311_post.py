"""Benchmark: filing requests through Open311 under load.

The goal, on the 2-core machine: POST /open311/v2/requests.json, filed synchronously, answers at
least 100 requests/s with 50 clients sending back to back, and its p95 is under 250 ms with 10 clients;
every POST that answered 200 has its request and its audit event in the database.

The script builds the demo district in a PostgreSQL database of its own, gives the demo partner
operator an API key with the scope requests:submit, starts gunicorn (production settings, DEBUG off)
and a Celery worker on a Redis database of its own — the notifications each filing queues are
delivered during the load, on the same two CPUs — and drives the endpoint from client processes, one
HTTP connection per client. It prints requests/s, p50, p95 and errors of each phase and PASS/FAIL,
and exits 1 on a FAIL. gunicorn and the worker are stopped whatever happens.

    .venv/bin/python bench/open311_post.py          # or: make bench-open311
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
from bench.harness import ensure_database, log  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/portal_bench_open311"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
PATH = "/open311/v2/requests.json"
GOAL_RATE = 100.0
GOAL_P95_MS = 250.0
SERVER_ENV = {
    "DJANGO_SETTINGS_MODULE": "portal.settings",
    "DEBUG": "false",
    "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "PERSONAL_DATA_KEY": "bench-only-personal-data-key-0123456789abcdef",
    "ALLOWED_HOSTS": "127.0.0.1",
    # Plain http on loopback: no TLS proxy in front, so no https redirect.
    "SECURE_SSL_REDIRECT": "false",
    # Counted on every call, as in production, but never reached.
    "API_RATE_LIMIT": "1000000/min",
    "LOG_LEVEL": "WARNING",
}


def prepare() -> dict:
    """Migrate, build the demo district, and make a fresh key; what the clients send."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone, translation

    from demo.district import build_demo
    from directory.models import Area
    from security.api_keys import api_key_create
    from security.models import ApiScope, User

    call_command("migrate", interactive=False, verbosity=0)
    with translation.override("zh-hans"):
        build_demo()
    partner = User.objects.get(username="demo_partner")
    _key, raw = api_key_create(
        actor=partner,
        organisation=partner.role_assignments.get().organisation,
        name=f"bench open311 {timezone.now():%Y-%m-%d %H:%M:%S}",
        scopes=[ApiScope.SUBMIT_REQUESTS.value],
        expires_at=timezone.now() + timedelta(days=1),
    )
    grids = list(Area.objects.filter(kind=Area.Kind.GRID).order_by("path").values_list("code", flat=True))
    return {"key": raw, "grids": grids}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(command: list[str], env: dict, log_file) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log_file, stderr=subprocess.STDOUT)  # noqa: S603


def wait_until_up(port: int, server: subprocess.Popen) -> None:
    for _ in range(600):
        if server.poll() is not None:
            raise SystemExit("gunicorn exited before answering; see bench-open311.log")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("gunicorn did not answer within 60 s")


def client(port: int, job: dict, stop_at: float, number: int, results: list) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-API-Key": job["key"]}
    sent = 0
    while time.monotonic() < stop_at:
        body = urlencode(
            {
                "service_code": "street-light",
                "address_id": job["grids"][(number + sent) % len(job["grids"])],
                "description": f"路灯不亮 #{number}-{sent}",
                "attribute[light_count]": str(1 + sent % 5),
            }
        )
        started = time.perf_counter()
        try:
            connection.request("POST", PATH, body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
            ok = response.status == 200
        except (OSError, http.client.HTTPException):
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            ok, answer = False, b""
        results.append((time.perf_counter() - started, ok, answer if ok else b""))
        sent += 1


def client_process(port: int, job: dict, stop_at: float, numbers: range, queue) -> None:
    """A few clients as threads: they wait on the network, so one process drives many."""
    results: list = []
    threads = [threading.Thread(target=client, args=(port, job, stop_at, n, results)) for n in numbers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.put(results)


def run_phase(port: int, job: dict, *, clients: int, seconds: float) -> dict:
    queue = multiprocessing.Queue()
    stop_at = time.monotonic() + seconds
    processes = [
        multiprocessing.Process(target=client_process, args=(port, job, stop_at, range(n, clients, 2), queue))
        for n in range(2)
    ]
    for process in processes:
        process.start()
    collected = [result for _ in processes for result in queue.get()]
    for process in processes:
        process.join()
    timings = sorted(taken * 1000 for taken, ok, _ in collected if ok)
    return {
        "rate": len(timings) / seconds,
        "p50": timings[len(timings) // 2] if timings else float("inf"),
        "p95": timings[int(len(timings) * 0.95)] if timings else float("inf"),
        "errors": len(collected) - len(timings),
        "numbers": [json.loads(answer)[0]["service_request_id"] for _, ok, answer in collected if ok],
    }


def check_filed(numbers: list[str]) -> tuple[int, int]:
    """How many of the answered numbers have their request, and their request.file audit event."""
    from security.models import AuditEvent
    from services.models import ServiceRequest

    pks = dict(ServiceRequest.objects.filter(public_id__in=numbers).values_list("pk", "public_id"))
    audited = AuditEvent.objects.filter(action="request.file", object_id__in=[str(pk) for pk in pks]).count()
    return len(pks), audited


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_OPEN311_DATABASE_URL", DEFAULT_DATABASE_URL))
    # A Redis database of its own: the notifications it queues never reach another worker.
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_OPEN311_REDIS_URL", DEFAULT_REDIS_URL))
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes (default 4)")
    parser.add_argument("--seconds", type=float, default=20, help="length of each phase (default 20)")
    args = parser.parse_args()

    env = os.environ | SERVER_ENV | {"DATABASE_URL": args.database_url, "REDIS_URL": args.redis_url}
    os.environ.update(env)
    ensure_database(args.database_url)
    log("Migrating and building the demo district")
    job = prepare()
    port = free_port()
    venv = BASE_DIR / ".venv" / "bin"
    processes = []
    with open(BASE_DIR / "bench-open311.log", "w") as log_file:
        try:
            gunicorn = [str(venv / "gunicorn"), "portal.wsgi:application", "--bind", f"127.0.0.1:{port}"]
            processes.append(start([*gunicorn, "--workers", str(args.workers)], env, log_file))
            worker = [str(venv / "celery"), "-A", "portal", "worker", "--concurrency", "1", "--loglevel", "WARNING"]
            processes.append(start(worker, env, log_file))
            wait_until_up(port, processes[0])
            log(f"gunicorn ({args.workers} workers) on port {port}, a Celery worker; warming up")
            run_phase(port, job, clients=4, seconds=3)
            log(f"50 clients for {args.seconds:.0f} s")
            busy = run_phase(port, job, clients=50, seconds=args.seconds)
            log(f"10 clients for {args.seconds:.0f} s")
            calm = run_phase(port, job, clients=10, seconds=args.seconds)
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=60)
    numbers = busy["numbers"] + calm["numbers"]
    filed, audited = check_filed(numbers)
    for name, phase in (("50 clients", busy), ("10 clients", calm)):
        print(
            f"{name}: {phase['rate']:.1f} requests/s, p50 {phase['p50']:.0f} ms, p95 {phase['p95']:.0f} ms, "
            f"{len(phase['numbers'])} filed, {phase['errors']} errors"
        )
    print(f"answered 200: {len(numbers)}; requests in the database: {filed}; with their audit event: {audited}")
    checks = [
        (f"at least {GOAL_RATE:.0f} requests/s at 50 clients", busy["rate"] >= GOAL_RATE and not busy["errors"]),
        (f"p95 under {GOAL_P95_MS:.0f} ms at 10 clients", calm["p95"] < GOAL_P95_MS and not calm["errors"]),
        ("every answered POST filed and audited", filed == audited == len(numbers) > 0),
    ]
    for label, passed in checks:
        print(f"{'PASS' if passed else 'FAIL'}: {label}")
    return 0 if all(passed for _, passed in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
