from django.core.management.base import BaseCommand, CommandError

from security.audit import audit_chain_verify


class Command(BaseCommand):
    help = "Walk the audit log's hash chain and report the first broken link (exit status 1 if any)."

    def handle(self, *args, **options):
        report = audit_chain_verify()
        if not report.intact:
            raise CommandError(
                f"Audit chain broken at event {report.broken_id}: {report.reason}. "
                f"{report.checked} events before it are intact."
            )
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {report.checked} events verified."))
