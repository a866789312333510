"""The audit log's keyed part begins: a marker event names the last event hashed with plain
SHA-256; every event after it (the marker first) is an HMAC with AUDIT_LOG_KEY and covers its area.
The code writes the same marker on the first append if it is missing (a database emptied since)."""

import dataclasses

from django.db import migrations

from security.audit import AUDIT_CHAIN, KEYED_MARKER


def mark_keyed(apps, schema_editor):
    AuditEvent = apps.get_model("security", "AuditEvent")
    if (
        AuditEvent.objects.using(schema_editor.connection.alias)
        .filter(action=KEYED_MARKER, details__chain="audit")
        .exists()
    ):
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [AUDIT_CHAIN.lock_id])
    chain = dataclasses.replace(AUDIT_CHAIN, model=AuditEvent)
    plain_until = chain.head_position()[0]
    marker = AuditEvent(action=KEYED_MARKER, details={"chain": "audit", "plain_until": plain_until})
    chain.link([marker], keyed=True)
    marker.save(force_insert=True)


class Migration(migrations.Migration):
    dependencies = [("security", "0007_audit_search_indexes")]

    # Reversing leaves the marker: the log is append-only, and events after it are keyed.
    operations = [migrations.RunPython(mark_keyed, migrations.RunPython.noop)]
