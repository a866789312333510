from django.core.management.base import BaseCommand, CommandError

from core import chain_checkpoints
from security.audit import audit_chain_check
from security.audit_archive import audit_archives_verify


class Command(BaseCommand):
    help = (
        "Walk the audit log's hash chain and check it against the signed checkpoints kept outside the "
        "database; report the first broken link, or rows a checkpoint vouches for that are missing or "
        "rewritten (exit status 1 if any)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--archives", action="store_true", help="also re-walk every archive file against its signed manifest"
        )
        parser.add_argument(
            "--public-key", action="store_true", help="print the checkpoints' verify key (AUDIT_CHECKPOINT_VERIFY_KEY)"
        )

    def handle(self, *args, **options):
        if options["public_key"]:
            self.stdout.write(chain_checkpoints.verify_key_text())
            return
        check = audit_chain_check()
        if options["archives"] and (problems := audit_archives_verify()):
            raise CommandError("Audit archives broken: " + "; ".join(problems))
        if check.invalid_records:
            self.stderr.write(f"{check.invalid_records} checkpoint records have no valid signature and were ignored.")
        if not check.intact:
            where = f"at event {check.report.broken_id}" if check.report.broken_id else "(checkpoints)"
            raise CommandError(
                f"Audit chain broken {where}: {check.problem}. {check.report.checked} events before it are intact."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit chain intact: {check.report.checked} events verified against {check.records} signed records."
            )
        )
