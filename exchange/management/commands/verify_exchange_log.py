from django.core.management.base import BaseCommand, CommandError

from exchange.services.log import message_log_check


class Command(BaseCommand):
    help = (
        "Check every entry of the exchange message log: its link to the entry before, its hash and "
        "the provider's signature, and the log against its signed checkpoints; with --payloads also the "
        "stored payload files. Names the first bad entry and exits with status 1."
    )

    def add_arguments(self, parser):
        parser.add_argument("--payloads", action="store_true", help="also hash every stored payload file")

    def handle(self, *args, **options):
        check = message_log_check(payloads=options["payloads"])
        if check.invalid_records:
            self.stderr.write(f"{check.invalid_records} checkpoint records have no valid signature and were ignored.")
        if not check.intact:
            where = f"at entry {check.report.broken_id}" if check.report.broken_id else "(checkpoints)"
            raise CommandError(
                f"Exchange log broken {where}: {check.problem}. {check.report.checked} entries before it are intact."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Exchange log intact: {check.report.checked} entries verified against {check.records} signed records."
            )
        )
