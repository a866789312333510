"""Refuse TRUNCATE of the exchange message log, as security.s 0009 does for the audit log (the
same function: a superuser session may, for the test database's flush)."""

from django.db import migrations

CREATE = """
CREATE TRIGGER exchange_messagelogentry_no_truncate
    BEFORE TRUNCATE ON exchange_messagelogentry
    FOR EACH STATEMENT EXECUTE FUNCTION portal_log_refuse_truncate();
"""
DROP = """
DROP TRIGGER IF EXISTS exchange_messagelogentry_no_truncate ON exchange_messagelogentry;
"""


def create_trigger(apps, schema_editor):
    schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("exchange", "0003_message_log_keyed_marker"),
        ("security", "0009_audit_truncate_trigger"),
    ]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
