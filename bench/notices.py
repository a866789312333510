"""Benchmark: one urgent notice to 100,000 verified residents.

The goals (issue 16): publishing takes under 1 s (the call only queues the fan-out); with 2 Celery
worker processes every receipt and inbox row exists and every SMS has been handed to the SMS
backend within 60 s of publishing; the publisher's reach page answers in under 150 ms at the 95th
percentile, with as many queries as for a small notice.

It fills a PostgreSQL database of its own with one subdistrict (5 communities of 10 grids) and
`--residents` verified residents (accounts linked to profiles, bulk inserted, phones encrypted as the
portal stores them; a second run adds only the shortfall), plus living-alone elderly residents
without an account; starts 2 Celery workers (one process each) on a Redis database of its own with
`FileSmsBackend` writing to bench-notices-sms.jsonl; publishes the notice as the subdistrict's
officer through `participation.notices` and waits for the fan-out. It prints the figures and PASS or
FAIL per goal, and exits 1 on a FAIL. The workers are stopped whatever happens.

    .venv/bin/python bench/notices.py            # or: make bench-notices
    .venv/bin/python bench/notices.py --residents 20000
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
from bench.harness import ensure_database, log, staff  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/portal_bench_notices"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"
SMS_FILE = BASE_DIR / "bench-notices-sms.jsonl"
GOAL_PUBLISH_S = 1.0
GOAL_DELIVERED_S = 60.0
GOAL_REACH_P95_MS = 150.0
COMMUNITIES, GRIDS = 5, 10
BATCH = 10_000
ENV = {
    "DJANGO_SETTINGS_MODULE": "portal.settings",
    "DEBUG": "false",
    "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "PERSONAL_DATA_KEY": "bench-only-personal-data-key-0123456789abcdef",
    "ALLOWED_HOSTS": "127.0.0.1,testserver",
    "SECURE_SSL_REDIRECT": "false",
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
    "SMS_BACKEND": "notifications.channels.FileSmsBackend",
    "SMS_FILE_PATH": str(SMS_FILE),
    "LOG_LEVEL": "WARNING",
}


def build_tree():
    from directory.models import Area
    from directory.services import area_create

    district = Area.objects.filter(code="BN").first()
    if district is None:
        district = area_create(code="BN", kind=Area.Kind.DISTRICT, name_zh="基准区", parent=None)
        subdistrict = area_create(code="BN0", kind=Area.Kind.SUBDISTRICT, name_zh="基准街道", parent=district)
        for c in range(COMMUNITIES):
            community = area_create(code=f"BN0{c}", kind=Area.Kind.COMMUNITY, name_zh=f"社区{c}", parent=subdistrict)
            for g in range(GRIDS):
                area_create(code=f"BN0{c}{g}", kind=Area.Kind.GRID, name_zh=f"网格{c}-{g}", parent=community)
    return Area.objects.get(code="BN0")


def top_up(total: int) -> int:
    """Bulk-insert verified residents (accounts linked to profiles, two a household, 99 in 100 with a
    phone, 1 in 37 elderly and living alone) until there are `total`; and 1 living-alone elderly
    resident without an account per 100 verified ones."""
    from django.contrib.auth.hashers import make_password

    from directory.models import Area
    from residents.models import Household, ResidentProfile
    from residents.services import seal_phone
    from security.models import User

    grids = list(Area.objects.filter(code__startswith="BN0", kind=Area.Kind.GRID).order_by("code"))
    have = ResidentProfile.objects.filter(household__grid__code__startswith="BN0", user__isnull=False).count()
    password = make_password(None)
    number = have
    started = time.monotonic()
    while number < total:
        size = min(BATCH, total - number)
        users = User.objects.bulk_create(
            [User(username=f"bench_resident_{number + i}", password=password) for i in range(size)]
        )
        households = Household.objects.bulk_create(
            Household(address=f"人民路{(number + i) // 2}号", grid=grids[((number + i) // 2) % len(grids)])
            for i in range(0, size, 2)
        )
        profiles = []
        for i in range(size):
            n = number + i
            phone = seal_phone(f"139{n:08d}") if n % 100 else None
            alone = n % 37 == 0
            profiles.append(
                ResidentProfile(
                    user=users[i],
                    household=households[i // 2],
                    full_name=f"居民{n}",
                    phone_encrypted=phone.encrypted if phone else "",
                    phone_hash=phone.hash if phone else "",
                    phone_masked=phone.masked if phone else "",
                    is_elderly=alone,
                    lives_alone=alone,
                )
            )
        for i in range(0, size, 100):
            profiles.append(
                ResidentProfile(
                    household=households[i // 2], full_name=f"独居老人{number + i}", is_elderly=True, lives_alone=True
                )
            )
        ResidentProfile.objects.bulk_create(profiles)
        number += size
        log(f"  {number:,} verified residents ({time.monotonic() - started:.0f} s)")
    return number


def start_workers(env: dict, log_file) -> list[subprocess.Popen]:
    celery = str(BASE_DIR / ".venv" / "bin" / "celery")
    workers = []
    for n in (1, 2):
        command = [celery, "-A", "portal", "worker", "--concurrency", "1", "-n", f"bench-notices-{n}@%h"]
        command += ["--loglevel", "WARNING", "--without-gossip", "--without-mingle"]
        workers.append(subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log_file, stderr=subprocess.STDOUT))  # noqa: S603
    return workers


def wait_for_workers(count: int, timeout: float = 60) -> None:
    from portal.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=1.0) or []
        if len(replies) >= count:
            return
    raise SystemExit("the Celery workers did not start; see bench-notices.log")


def publish(actor, area, title: str):
    from django.utils import translation

    from participation.models import NoticeCategory
    from participation.notices import notice_create, notice_publish

    with translation.override("zh-hans"):
        notice = notice_create(
            actor=actor,
            area=area,
            title=title,
            body="受强降雨影响，今晚20时起沿江低洼区域居民请立即转移至社区避险点，独居老人由网格员上门协助。",
            category=NoticeCategory.FLOOD_DISASTER,
            is_urgent=True,
        )
        started = time.perf_counter()
        notice = notice_publish(actor=actor, notice=notice)  # commits and queues the fan-out on commit
        return notice, time.perf_counter() - started


def sms_lines() -> int:
    if not SMS_FILE.exists():
        return 0
    with SMS_FILE.open("rb") as file:
        return sum(1 for _ in file)


def wait_delivered(notice, *, sms_before: int, started: float, timeout: float) -> dict:
    """Poll until the fan-out finished and no notice SMS is left to send; the times. Each poll is
    two indexed reads, so polling does not slow the workers; the inbox rows and the SMS handed to
    the backend are counted once at the end."""
    from notifications.models import Notification, OutboxMessage
    from participation.models import Notice
    from participation.notice_delivery import notice_recipients

    expected = notice_recipients(notice=notice).count()
    inbox_at = None
    all_at = float("inf")
    while time.perf_counter() - started < timeout:
        time.sleep(0.2)
        if inbox_at is None:
            fresh = Notice.objects.get(pk=notice.pk)
            if fresh.fan_out_finished_at is None:
                continue
            # Receipts, inbox and outbox rows of a batch commit together.
            inbox_at = time.perf_counter() - started
        if OutboxMessage.objects.filter(status__in=["pending", "sending"], channel="sms", kind="notice").exists():
            continue
        all_at = time.perf_counter() - started
        break
    prefix = f"notice:{notice.pk}:user:"
    sms = OutboxMessage.objects.filter(key__startswith=prefix, channel="sms")
    return {
        "recipients": expected,
        "receipts": Notice.objects.get(pk=notice.pk).recipients_done,
        "inbox": Notification.objects.filter(outbox_key__startswith=prefix).count(),
        "inbox_s": inbox_at,
        "sms": sms.count(),
        "sms_sent": sms.filter(status="sent").count(),
        "sms_handed": sms_lines() - sms_before,
        "all_s": all_at,
    }


def time_reach(client, notice, runs: int) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = f"/notices/manage/{notice.public_id}/reach/"
    for _ in range(3):
        if client.get(url).status_code != 200:
            raise SystemExit(f"the reach page answered {client.get(url).status_code}")
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    timings.sort()
    return timings[min(len(timings) - 1, int(len(timings) * 0.95))], len(queries)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_NOTICES_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_NOTICES_REDIS_URL", DEFAULT_REDIS_URL))
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=40, help="reach page renders timed (default 40)")
    args = parser.parse_args()

    env = os.environ | ENV | {"DATABASE_URL": args.database_url, "REDIS_URL": args.redis_url}
    os.environ.update(env)
    ensure_database(args.database_url)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client, override_settings

    from directory.models import Area
    from portal.celery import app
    from security.models import Role

    log("Migrating")
    call_command("migrate", interactive=False, verbosity=0)
    subdistrict = build_tree()
    officer = staff("bench_subdistrict_officer", Role.SUBDISTRICT_OFFICER, subdistrict)
    log(f"Residents (target {args.residents:,})")
    top_up(args.residents)
    # Fresh statistics, as autovacuum keeps them on a live database (the rows were just bulk-inserted).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    app.control.purge()  # tasks an interrupted earlier run left in this Redis database

    with open(BASE_DIR / "bench-notices.log", "w") as log_file:
        workers = start_workers(env, log_file)
        try:
            wait_for_workers(2)
            log("2 Celery workers up; publishing to the subdistrict")
            sms_before = sms_lines()
            started = time.perf_counter()
            notice, publish_s = publish(officer, subdistrict, "防汛紧急通知（基准）")
            delivered = wait_delivered(notice, sms_before=sms_before, started=started, timeout=300)
            log("Publishing a small notice to one grid, for the query-count comparison")
            grid = Area.objects.get(code="BN000")
            small, _ = publish(officer, grid, "网格通知（基准）")
            wait_delivered(small, sms_before=sms_lines(), started=time.perf_counter(), timeout=120)
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(timeout=60)

    client = Client()
    client.force_login(officer)
    log(f"Timing the reach page ({args.runs} renders)")
    # Rendered in this process: static files uncollected, so their plain names (no manifest).
    plain_static = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=plain_static):
        reach_p95, reach_queries = time_reach(client, notice, args.runs)
        _, small_queries = time_reach(client, small, 3)

    print(
        f"recipients: {delivered['recipients']:,}; receipts {delivered['receipts']:,}, inbox rows "
        f"{delivered['inbox']:,}; SMS rows {delivered['sms']:,}, sent {delivered['sms_sent']:,}, lines the "
        f"backend wrote {delivered['sms_handed']:,}"
    )
    print(f"publish call: {publish_s * 1000:.0f} ms")
    inbox = f"{delivered['inbox_s']:.1f} s" if delivered["inbox_s"] is not None else "not reached"
    print(f"every receipt and inbox row: {inbox}; and every SMS sent: {delivered['all_s']:.1f} s (2 workers)")
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    print(f"reach page: p95 {reach_p95:.0f} ms, {reach_queries} queries (a notice to one grid: {small_queries})")
    checks = [
        (f"publish call under {GOAL_PUBLISH_S:.0f} s", publish_s < GOAL_PUBLISH_S),
        (
            f"every inbox row and SMS within {GOAL_DELIVERED_S:.0f} s",
            delivered["all_s"] < GOAL_DELIVERED_S
            and delivered["inbox"] == delivered["receipts"] == delivered["recipients"]
            and delivered["sms_handed"] == delivered["sms_sent"] == delivered["sms"],
        ),
        (f"reach page p95 under {GOAL_REACH_P95_MS:.0f} ms", reach_p95 < GOAL_REACH_P95_MS),
        ("reach page queries constant", reach_queries == small_queries),
    ]
    for label, passed in checks:
        print(f"{'PASS' if passed else 'FAIL'}: {label}")
    return 0 if all(passed for _, passed in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
