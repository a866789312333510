import argparse
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from demo.district import DEMO_PASSWORD, build_demo
from demo.history import DEFAULT_SEED, ProgressBar, requests_seed


def _request_count(text: str) -> int:
    try:
        value = int(text.replace(",", "").replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--requests takes a whole number, not {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"--requests must be zero or more, not {value}")
    return value


class Command(BaseCommand):
    help = (
        "Build the Shunqing District demo: areas, organisations, one user per role, residents. Idempotent. "
        "With --requests N, also add N service requests filed over the last two years (PostgreSQL only); "
        "each run with --requests adds another N."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Build even with DEBUG off (demo users share a published password: never on a live site).",
        )
        parser.add_argument(
            "--requests",
            type=_request_count,
            default=0,
            metavar="N",
            help=(
                "Also add N realistic service requests with their timelines (e.g. 1000000), then rebuild the "
                "dashboards' summaries. Not idempotent: running it again adds another N. From 100,000 on, the "
                "requests tables are locked while their indexes are rebuilt."
            ),
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"Random seed of the requests (default {DEFAULT_SEED}): the same seed on the same data "
            "gives the same requests.",
        )

    def handle(self, *args, force: bool = False, requests: int = 0, seed: int = DEFAULT_SEED, **options):
        if not settings.DEBUG and not force:
            raise CommandError("seed_demo creates users with a published password; run it with DEBUG on, or --force.")
        with translation.override(settings.LANGUAGE_CODE):
            self._build()
            if requests:
                self._requests(requests, seed=seed, verbosity=options.get("verbosity", 1))

    def _build(self):
        logins = build_demo()
        self.stdout.write(self.style.SUCCESS("Demo data ready. Sign in at /accounts/login/ as one of these users:"))
        self.stdout.write(f"Password for every demo user: {DEMO_PASSWORD}")
        for login in logins:
            self.stdout.write(f"  {login.username:<18} {login.role} · {login.where}")

    def _requests(self, count: int, *, seed: int, verbosity: int):
        self.stdout.write(f"Adding {count:,} service requests (seed {seed})")
        try:
            report = requests_seed(count=count, seed=seed, progress=ProgressBar(sys.stderr) if verbosity > 0 else None)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Added {report.added:,} requests and {report.events:,} timeline events in {report.seconds:.1f} s; "
                f"summaries and statistics in {report.summary_seconds:.1f} s."
            )
        )
