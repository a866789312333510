from django.core.management.base import BaseCommand, CommandError

from exchange.services.log import message_log_verify


class Command(BaseCommand):
    help = (
        "Check every entry of the exchange message log: its link to the entry before, its hash and "
        "the provider's signature; with --payloads also the stored payload files. Names the first bad "
        "entry and exits with status 1."
    )

    def add_arguments(self, parser):
        parser.add_argument("--payloads", action="store_true", help="also hash every stored payload file")

    def handle(self, *args, **options):
        report = message_log_verify(payloads=options["payloads"])
        if not report.intact:
            raise CommandError(
                f"Exchange log broken at entry {report.broken_id}: {report.reason}. "
                f"{report.checked} entries before it are intact."
            )
        self.stdout.write(self.style.SUCCESS(f"Exchange log intact: {report.checked} entries verified."))
