from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from security.mfa import mfa_totp_current_code
from security.models import User


class Command(BaseCommand):
    help = (
        "Print the code a demo account's authenticator app would show now (e.g. demo_leader), so the demo "
        "can be tried without a phone. Only with DEBUG on: on a live site this would be a way around MFA."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="A demo user, e.g. demo_leader, demo_grid or demo_admin.")
        parser.add_argument(
            "--force", action="store_true", help="Print it even with DEBUG off (a demo built with seed_demo --force)."
        )

    def handle(self, *args, username: str, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("demo_mfa_code prints second-factor codes; run it with DEBUG on, or --force.")
        if not username.startswith("demo_"):
            raise CommandError(f"{username} is not a demo account (demo accounts are named demo_…).")
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"There is no user {username}: run `manage.py seed_demo` first.")
        try:
            code = mfa_totp_current_code(user=user)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(code)
