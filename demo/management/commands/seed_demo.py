import argparse
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from dashboards.services import summaries_refresh
from demo.district import DEMO_PASSWORD, build_demo
from demo.history import DEFAULT_SEED, HISTORY_REQUESTS, ProgressBar, SeedReport, history_seed, requests_seed


def _count(option: str):
    def parse(text: str) -> int:
        try:
            value = int(text.replace(",", "").replace("_", ""))
        except ValueError:
            raise argparse.ArgumentTypeError(f"{option} takes a whole number, not {text!r}") from None
        if value < 0:
            raise argparse.ArgumentTypeError(f"{option} must be zero or more, not {value}")
        return value

    return parse


class Command(BaseCommand):
    help = (
        "Build the Shunqing District demo: areas, organisations, one user per role, residents, and a year of "
        f"service requests (--history, {HISTORY_REQUESTS:,} by default, added once). Idempotent. "
        "With --requests N, also add N service requests filed over the last two years; "
        "each run with --requests adds another N."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Build even with DEBUG off (demo users share a published password: never on a live site).",
        )
        parser.add_argument(
            "--history",
            type=_count("--history"),
            default=HISTORY_REQUESTS,
            metavar="N",
            help=(
                f"How many requests the demo's year of history has (default {HISTORY_REQUESTS:,}; 0 for none). "
                "Added only when the demo has no history yet: a second run adds nothing."
            ),
        )
        parser.add_argument(
            "--requests",
            type=_count("--requests"),
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

    def handle(
        self,
        *args,
        force: bool = False,
        history: int = HISTORY_REQUESTS,
        requests: int = 0,
        seed: int = DEFAULT_SEED,
        **options,
    ):
        if not settings.DEBUG and not force:
            raise CommandError("seed_demo creates users with a published password; run it with DEBUG on, or --force.")
        progress = ProgressBar(sys.stderr) if options.get("verbosity", 1) > 0 else None
        with translation.override(settings.LANGUAGE_CODE):
            self._build()
            try:
                self._history(history, seed=seed, progress=progress)
                if requests:
                    self.stdout.write(f"Adding {requests:,} service requests (seed {seed})")
                    self._report(requests_seed(count=requests, seed=seed, progress=progress))
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            # Seeding rebuilt the summaries; otherwise bring them up to date (the demo's own requests,
            # days gone by since the last run), so the dashboards read no long stretch live.
            summaries_refresh()

    def _build(self):
        logins = build_demo()
        self.stdout.write(self.style.SUCCESS("Demo data ready. Sign in at /accounts/login/ as one of these users:"))
        self.stdout.write(f"Password for every demo user: {DEMO_PASSWORD}")
        self.stdout.write("Staff then give a code: `manage.py demo_mfa_code <username>` prints it (DEBUG only).")
        for login in logins:
            self.stdout.write(f"  {login.username:<18} {login.role} · {login.where}")

    def _history(self, count: int, *, seed: int, progress):
        if not count:
            return
        self.stdout.write(f"The demo's year of history: {count:,} service requests (seed {seed}), added once")
        report = history_seed(count=count, seed=seed, progress=progress)
        if report is None:
            self.stdout.write("Already there: no requests added.")
        else:
            self._report(report)

    def _report(self, report: SeedReport):
        self.stdout.write(
            self.style.SUCCESS(
                f"Added {report.added:,} requests and {report.events:,} timeline events in {report.seconds:.1f} s; "
                f"summaries and statistics in {report.summary_seconds:.1f} s."
            )
        )
