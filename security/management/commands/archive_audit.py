from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from security.audit_archive import ArchiveRefused, audit_archive_month


class Command(BaseCommand):
    help = (
        "Archive one month of the audit log (YYYY-MM, oldest month first) to a signed JSON-lines file in "
        "AUDIT_ARCHIVE_DIR and delete its events from the table, as the tables' owner (DATABASE_OWNER_URL). "
        "Refused for anything younger than 180 days."
    )

    def add_arguments(self, parser):
        parser.add_argument("month", help="the month to archive, e.g. 2026-03")
        parser.add_argument(
            "--database", default="owner", help="connection to delete as (default: owner, else default)"
        )

    def handle(self, *args, **options):
        using = options["database"] if options["database"] in connections.databases else "default"
        try:
            result = audit_archive_month(month=options["month"], using=using)
        except ArchiveRefused as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Archived {result.rows} events of {result.month} (ids {result.first_position}–{result.last_position}) "
                f"to {result.file}."
            )
        )
