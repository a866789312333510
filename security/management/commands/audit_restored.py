from django.core.management.base import BaseCommand, CommandError

from security.audit import AUDIT_CHAIN, chain_restored


class Command(BaseCommand):
    help = (
        "After restoring a database backup: record a signed 'restored to position N' event and the matching "
        "record outside the database, so verify_audit accepts that the events after N are gone. N is the "
        "id of the newest audit event in the restored backup (exchange_log_restored does the same for the "
        "exchange log)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--position", type=int, required=True, help="id of the newest event the backup holds")
        parser.add_argument("--note", default="", help="why, e.g. the incident or change number")

    def handle(self, *args, **options):
        try:
            event = chain_restored(chain=AUDIT_CHAIN, position=options["position"], note=options["note"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Recorded: the audit log was restored to event {options['position']} (event {event.pk})."
            )
        )
