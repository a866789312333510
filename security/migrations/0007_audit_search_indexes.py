"""Indexes for the auditor's desk's search and for the alert detectors' scans of the audit log.

Raw SQL because the AuditEvent model's Meta belongs to the log's own code; these indexes serve
security.selectors.audit_events_for_user and security.alerts.alerts_detect, and the model state
does not need to know them. Built CONCURRENTLY (outside a transaction): a production log is large,
and building them must not hold up the audit writes of every request meanwhile.
"""

from django.db import migrations

INDEXES = [
    # The detectors count recent events of a few actions: one range of this index each.
    ("audit_action_time_idx", "(action, occurred_at)"),
    # Actor search is case-insensitive (Django's iexact compares UPPER(col::text)).
    ("audit_actor_upper_idx", "(UPPER(actor_username::text))"),
    # An address or a prefix (a range of inet values).
    ("audit_ip_address_idx", "(ip_address)"),
    # Object text is searched anywhere in the text: trigrams.
    ("audit_object_repr_trgm_idx", "USING gin (UPPER(object_repr::text) gin_trgm_ops)"),
]


def _create(name: str, definition: str) -> str:
    return f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON security_auditevent {definition};"


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("security", "0006_audit_event_area")]

    operations = [
        migrations.RunSQL("CREATE EXTENSION IF NOT EXISTS pg_trgm;", migrations.RunSQL.noop),
        *(
            migrations.RunSQL(_create(name, definition), f"DROP INDEX CONCURRENTLY IF EXISTS {name};")
            for name, definition in INDEXES
        ),
    ]
