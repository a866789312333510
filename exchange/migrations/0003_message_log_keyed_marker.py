"""The exchange log's keyed part begins: an audit event (the log's own rows all belong to an
exchange) names the last entry hashed with plain SHA-256; entries after it are HMACs with
AUDIT_LOG_KEY. The code writes the same marker on the first append if it is missing."""

import dataclasses

from django.db import migrations

from core.hash_chain import GENESIS_HASH
from security.audit import AUDIT_CHAIN, KEYED_MARKER


def mark_keyed(apps, schema_editor):
    AuditEvent = apps.get_model("security", "AuditEvent")
    MessageLogEntry = apps.get_model("exchange", "MessageLogEntry")
    db = schema_editor.connection.alias
    if AuditEvent.objects.using(db).filter(action=KEYED_MARKER, details__chain="exchange-log").exists():
        return
    with schema_editor.connection.cursor() as cursor:
        # The exchange log's lock, then the audit log's, in the order an exchange job takes them.
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [7_311_306])
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [AUDIT_CHAIN.lock_id])
    plain_until = MessageLogEntry.objects.using(db).order_by("-pk").values_list("pk", flat=True).first() or 0
    # Through this migration's connection (migrate may run as the owner: --database owner).
    chain = dataclasses.replace(AUDIT_CHAIN, model=AuditEvent)
    head_hash = AuditEvent.objects.using(db).order_by("-pk").values_list("hash", flat=True).first() or GENESIS_HASH
    marker = AuditEvent(
        action=KEYED_MARKER, details={"chain": "exchange-log", "plain_until": plain_until}, prev_hash=head_hash
    )
    marker.hash = chain.hash_of(marker, keyed=True)
    marker.save(force_insert=True, using=db)


class Migration(migrations.Migration):
    dependencies = [
        ("exchange", "0002_message_log_append_only"),
        ("security", "0009_audit_truncate_trigger"),
    ]

    operations = [migrations.RunPython(mark_keyed, migrations.RunPython.noop)]
