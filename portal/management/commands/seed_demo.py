from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from portal.demo import DEMO_PASSWORD, build_demo


class Command(BaseCommand):
    help = "Build the Shunqing District demo: areas, organisations, one user per role, residents. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Build even with DEBUG off (demo users share a published password: never on a live site).",
        )

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("seed_demo creates users with a published password; run it with DEBUG on, or --force.")
        with translation.override(settings.LANGUAGE_CODE):
            self._build()

    def _build(self):
        logins = build_demo()
        self.stdout.write(self.style.SUCCESS("Demo data ready. Sign in at /accounts/login/ as one of these users:"))
        self.stdout.write(f"Password for every demo user: {DEMO_PASSWORD}")
        for login in logins:
            self.stdout.write(f"  {login.username:<18} {login.role} · {login.where}")
