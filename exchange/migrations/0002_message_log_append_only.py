"""On PostgreSQL, refuse UPDATE and DELETE on the exchange message log in the database itself, as
security's 0002 does for the audit log; `verify_exchange_log` catches what gets past it."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION exchange_messagelogentry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the exchange message log is append-only: % is not allowed', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER exchange_messagelogentry_append_only
    BEFORE UPDATE OR DELETE ON exchange_messagelogentry
    FOR EACH ROW EXECUTE FUNCTION exchange_messagelogentry_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS exchange_messagelogentry_append_only ON exchange_messagelogentry;
DROP FUNCTION IF EXISTS exchange_messagelogentry_append_only();
"""


def create_trigger(apps, schema_editor):
    schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("exchange", "0001_initial")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
