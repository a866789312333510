from django.core.management.base import BaseCommand, CommandError

from exchange.services.log import MESSAGE_LOG_CHAIN
from security.audit import chain_restored


class Command(BaseCommand):
    help = (
        "After restoring a database backup: record a signed 'restored to position N' audit event and the "
        "matching record outside the database, so verify_exchange_log accepts that the entries after N are "
        "gone. N is the id of the newest message log entry in the restored backup."
    )

    def add_arguments(self, parser):
        parser.add_argument("--position", type=int, required=True, help="id of the newest entry the backup holds")
        parser.add_argument("--note", default="", help="why, e.g. the incident or change number")

    def handle(self, *args, **options):
        try:
            event = chain_restored(chain=MESSAGE_LOG_CHAIN, position=options["position"], note=options["note"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Recorded: the exchange log was restored to entry {options['position']} (audit event {event.pk})."
            )
        )
