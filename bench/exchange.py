"""Benchmark: one exchange of a 100,000-resident roster.

The requirement: extracting, masking, signing and logging a 100,000-resident roster takes under
30 seconds on the 2-core machine. This script fills a PostgreSQL database of its own with a small
district and `--residents` residents (bulk inserted, ID numbers and phones encrypted as the portal
stores them; a second run adds only the shortfall), makes an active agreement for the roster —
the ID number unmasked (so every one is decrypted), the phone and address masked — and times
`exchange_job_run`: extract, mask, write the JSON Lines payload, sign it with the provider's
Ed25519 key, append the log entry and record the 100,000 residents it included. It prints the time
and exits 0 whether the goal is met or not.

    .venv/bin/python bench/exchange.py            # or: make bench-exchange
    .venv/bin/python bench/exchange.py --residents 20000 --format csv
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.harness import ensure_database, log, setup_django  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/portal_bench_exchange"
GOAL_SECONDS = 30.0
BATCH = 5_000
SUBDISTRICTS, COMMUNITIES, GRIDS = 4, 5, 5  # per parent: 4 subdistricts, 20 communities, 100 grids


def build_tree():
    from directory.models import Area, Organisation
    from directory.services import area_create, organisation_create

    district = Area.objects.filter(code="BX").first()
    if district is None:
        district = area_create(code="BX", kind=Area.Kind.DISTRICT, name_zh="基准区", parent=None)
        for s in range(SUBDISTRICTS):
            subdistrict = area_create(code=f"BX{s}", kind=Area.Kind.SUBDISTRICT, name_zh=f"街道{s}", parent=district)
            for c in range(COMMUNITIES):
                community = area_create(
                    code=f"BX{s}{c}", kind=Area.Kind.COMMUNITY, name_zh=f"社区{s}{c}", parent=subdistrict
                )
                for g in range(GRIDS):
                    area_create(code=f"BX{s}{c}{g}", kind=Area.Kind.GRID, name_zh=f"网格{s}{c}{g}", parent=community)
    organisations = {}
    for code, name in (("bx-civil", "民政局"), ("bx-health", "卫健局")):
        organisations[code] = Organisation.objects.filter(code=code).first() or organisation_create(
            code=code, kind=Organisation.Kind.DEPARTMENT, name_zh=name, area=district
        )
    return district, organisations["bx-civil"], organisations["bx-health"]


def top_up(total: int) -> int:
    """Bulk-insert residents (two a household) until there are `total` in the benchmark district."""
    from directory.models import Area
    from residents.models import Household, ResidentProfile
    from residents.services import seal_id_card, seal_phone
    from security import personal_data
    from tests.factories import valid_id_card

    have = ResidentProfile.objects.filter(household__grid__path__startswith=Area.objects.get(code="BX").path).count()
    grids = list(Area.objects.filter(code__startswith="BX", kind=Area.Kind.GRID).order_by("code"))
    number = have
    started = time.monotonic()
    while number < total:
        size = min(BATCH, total - number)
        households = Household.objects.bulk_create(
            Household(address=f"人民路{(number + i) // 2}号", grid=grids[((number + i) // 2) % len(grids)])
            for i in range(0, size, 2)
        )
        profiles = []
        for i in range(size):
            n = number + i
            # A distinct valid ID number per resident: the birth date carries the high digits.
            id_card = personal_data.normalise_id_card(
                valid_id_card(n, birth=f"19{30 + (n // 1000) % 60:02d}{1 + (n // 60000) % 12:02d}{1 + n // 720000:02d}")
            )
            id_card, phone = seal_id_card(id_card), seal_phone(f"139{n:08d}")
            profiles.append(
                ResidentProfile(
                    household=households[i // 2],
                    full_name=f"居民{n}",
                    id_card_encrypted=id_card.encrypted,
                    id_card_hash=id_card.hash,
                    id_card_masked=id_card.masked,
                    phone_encrypted=phone.encrypted,
                    phone_hash=phone.hash,
                    phone_masked=phone.masked,
                    is_elderly=n % 5 == 0,
                    lives_alone=n % 15 == 0,
                )
            )
        ResidentProfile.objects.bulk_create(profiles)
        number += size
        log(f"  {number:,} residents ({time.monotonic() - started:.0f} s)")
    return number


def agreement_for(provider, consumer, district, payload_format: str):
    from datetime import timedelta

    from django.utils import timezone

    from exchange.models import AgreementStatus, SharingAgreement
    from exchange.services import dataset_define

    dataset = dataset_define(code="resident-roster", provider=provider)
    now = timezone.now()
    agreement = SharingAgreement.objects.create(
        dataset=dataset,
        provider=provider,
        consumer=consumer,
        purpose="基准测试",
        legal_basis="基准测试",
        fields=[
            "resident_id",
            "full_name",
            "id_card_number",
            "phone",
            "address",
            "grid_code",
            "is_elderly",
            "lives_alone",
        ],
        masked_fields=["phone", "address"],
        payload_format=payload_format,
        valid_from=now - timedelta(minutes=1),
        valid_to=now + timedelta(days=1),
        status=AgreementStatus.ACTIVE,
        needs_leader_approval=True,
        created_by=_bench_user(),
    )
    agreement.areas.set([district])
    return agreement


def _bench_user():
    from security.models import User

    return User.objects.filter(username="bench_exchange").first() or User.objects.create_user(
        username="bench_exchange", password=None
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_EXCHANGE_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    parser.add_argument("--runs", type=int, default=1, help="exchanges to time (each a new job)")
    args = parser.parse_args()

    ensure_database(args.database_url)
    setup_django(args.database_url)
    import tempfile

    from django.conf import settings
    from django.core.management import call_command

    from exchange.models import ExchangeJob, MessageLogResident
    from exchange.services import exchange_job_run
    from exchange.services.log import message_log_verify

    call_command("migrate", interactive=False, verbosity=0)
    settings.EXCHANGE_PAYLOAD_DIR = tempfile.mkdtemp(prefix="bench-exchange-")
    district, provider, consumer = build_tree()
    log(f"Residents: topping up to {args.residents:,}")
    count = top_up(args.residents)
    agreement = agreement_for(provider, consumer, district, args.format)

    timings = []
    for run in range(args.runs):
        job = ExchangeJob.objects.create(
            agreement=agreement, trigger=ExchangeJob.Trigger.ON_DEMAND, fields=agreement.fields
        )
        started = time.perf_counter()
        entry = exchange_job_run(job_id=job.pk)
        elapsed = time.perf_counter() - started
        timings.append(elapsed)
        linked = MessageLogResident.objects.filter(entry=entry).count()
        size = Path(settings.EXCHANGE_PAYLOAD_DIR, entry.payload_name).stat().st_size
        log(
            f"  run {run + 1}: {elapsed:.2f} s, {entry.record_count:,} records, {size / 1e6:.1f} MB, "
            f"{linked:,} residents linked"
        )
    started = time.perf_counter()
    # The chain and every signature (earlier runs' payload files were in their own temporary folders).
    report = message_log_verify()
    verify_seconds = time.perf_counter() - started

    best = min(timings)
    print(f"exchange: residents in the database     {count:,}")
    print(f"exchange: extract+mask+sign+log ({args.format})  {best:.2f} s  (goal < {GOAL_SECONDS:.0f} s) ", end="")
    print("PASS" if best < GOAL_SECONDS else "FAIL")
    state = "intact" if report.intact else f"BROKEN at entry {report.broken_id}: {report.reason}"
    print(f"exchange: verify_exchange_log  {verify_seconds:.2f} s over {report.checked} entries, {state}")


if __name__ == "__main__":
    main()
