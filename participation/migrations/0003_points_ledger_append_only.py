"""Refuse UPDATE and DELETE on the points ledger in the database itself, as for the audit log
(security migration 0002): a balance is the sum of its entries, so rewriting one would change what
a resident was paid or spent without a trace. In production the portal role also has only SELECT
and INSERT on the table (manage.py database_roles). Mistakes are corrected by an "adjusted" entry."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION participation_pointsentry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the points ledger is append-only: % is not allowed', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER participation_pointsentry_append_only
    BEFORE UPDATE OR DELETE ON participation_pointsentry
    FOR EACH ROW EXECUTE FUNCTION participation_pointsentry_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS participation_pointsentry_append_only ON participation_pointsentry;
DROP FUNCTION IF EXISTS participation_pointsentry_append_only();
"""


def create_trigger(apps, schema_editor):
    schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("participation", "0002_volunteering_and_points")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
