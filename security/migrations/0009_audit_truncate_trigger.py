"""Refuse TRUNCATE of the audit log in the database itself (the row trigger of 0002 cannot see a
TRUNCATE). The portal's own role has no TRUNCATE right anyway (manage.py database_roles); this
stops the owner's accidents too. A superuser session may still truncate, for the test database's
flush; an owner can drop the trigger, and the signed checkpoints then find what went missing."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION portal_log_refuse_truncate() RETURNS trigger AS $$
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'the % log is append-only: TRUNCATE is not allowed', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER security_auditevent_no_truncate
    BEFORE TRUNCATE ON security_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION portal_log_refuse_truncate();
"""
DROP = """
DROP TRIGGER IF EXISTS security_auditevent_no_truncate ON security_auditevent;
"""


def create_trigger(apps, schema_editor):
    schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("security", "0008_audit_chain_keyed_marker")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
