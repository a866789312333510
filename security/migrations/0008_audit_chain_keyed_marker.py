"""The audit log's keyed part begins: a marker event names the last event hashed with plain
SHA-256; every event after it (the marker first) is an HMAC with AUDIT_LOG_KEY and covers its area.
The code writes the same marker on the first append if it is missing (a database emptied since)."""

import dataclasses

from django.db import migrations

from core.hash_chain import GENESIS_HASH
from security.audit import AUDIT_CHAIN, KEYED_MARKER


def mark_keyed(apps, schema_editor):
    AuditEvent = apps.get_model("security", "AuditEvent")
    db = schema_editor.connection.alias
    if AuditEvent.objects.using(db).filter(action=KEYED_MARKER, details__chain="audit").exists():
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [AUDIT_CHAIN.lock_id])
    # Through this migration's connection (migrate may run as the owner: --database owner).
    chain = dataclasses.replace(AUDIT_CHAIN, model=AuditEvent)
    head = AuditEvent.objects.using(db).order_by("-pk").values_list("pk", "hash").first()
    plain_until, head_hash = head or (0, GENESIS_HASH)
    marker = AuditEvent(
        action=KEYED_MARKER, details={"chain": "audit", "plain_until": plain_until}, prev_hash=head_hash
    )
    marker.hash = chain.hash_of(marker, keyed=True)
    marker.save(force_insert=True, using=db)


class Migration(migrations.Migration):
    dependencies = [("security", "0007_audit_search_indexes")]

    # Reversing leaves the marker: the log is append-only, and events after it are keyed.
    operations = [migrations.RunPython(mark_keyed, migrations.RunPython.noop)]
