"""Create or update the database role the portal connects as in production, with the rights it
needs and no more: it neither owns the tables nor is a superuser, so it cannot TRUNCATE, UPDATE
or DELETE the audit log or the exchange message log, nor drop their triggers (docs/security.md)."""

import os

from django.core.management.base import BaseCommand, CommandError
from django.db import connections, transaction
from psycopg2 import sql

# The tables of the two hash chains (the audit log, the exchange's message log).
LOG_TABLES = ("security_auditevent", "exchange_messagelogentry")
# Append-only tables the portal may read and add to but never change: the logs, and the points
# ledger (participation; a balance is the sum of its entries, so a rewritten entry would pay or
# charge someone without a trace).
APPEND_ONLY_TABLES = (*LOG_TABLES, "participation_pointsentry")


class Command(BaseCommand):
    help = (
        "Run as the tables' owner (--database owner, DATABASE_OWNER_URL) after every migrate: creates the portal's "
        "login role if missing and grants it normal DML on every table, but only SELECT and INSERT on the log "
        "tables, and the same by default on tables the owner creates later."
    )

    def add_arguments(self, parser):
        parser.add_argument("--role", default="portal_app", help="the role the portal connects as (DATABASE_URL)")
        parser.add_argument(
            "--password-env", default="", help="environment variable holding the role's password (sets it)"
        )
        parser.add_argument("--database", default="owner", help="connection to run as (default: owner, else default)")

    def handle(self, *args, **options):
        alias = options["database"] if options["database"] in connections.databases else "default"
        role = options["role"]
        password = os.environ.get(options["password_env"], "") if options["password_env"] else ""
        if options["password_env"] and not password:
            raise CommandError(f"Environment variable {options['password_env']} is empty or not set.")
        connection = connections[alias]
        with transaction.atomic(using=alias), connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
            found = cursor.fetchone()
            if found and found[0]:
                raise CommandError(f"Role {role} is a superuser; the portal must connect as an ordinary role.")
            cursor.execute("SELECT current_user")
            owner = cursor.fetchone()[0]
            if owner == role:
                raise CommandError(f"Run this as the tables' owner, not as {role} itself.")
            database = connection.settings_dict["NAME"]
            for statement in grants(role=role, owner=owner, database=database, create=found is None, password=password):
                cursor.execute(statement)
        self.stdout.write(
            self.style.SUCCESS(
                f"Role {role}: DML on the portal's tables, SELECT and INSERT only on {', '.join(APPEND_ONLY_TABLES)}."
            )
        )


def grants(*, role: str, owner: str, database: str, create: bool, password: str = "") -> list:
    """The statements, in order; safe to run again (grants and revokes are idempotent)."""
    ident = sql.Identifier(role)
    owner_ident = sql.Identifier(owner)
    statements = []
    if create:
        # PostgreSQL's defaults: no superuser, no CREATEDB, no CREATEROLE.
        statements.append(sql.SQL("CREATE ROLE {} LOGIN").format(ident))
    if password:
        statements.append(sql.SQL("ALTER ROLE {} PASSWORD {}").format(ident, sql.Literal(password)))
    statements += [
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), ident),
        sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(ident),
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}").format(ident),
        sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(ident),
        sql.SQL("REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM {}").format(ident),
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {}"
        ).format(owner_ident, ident),
        sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {}").format(
            owner_ident, ident
        ),
    ]
    for table in APPEND_ONLY_TABLES:
        statements.append(sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE ON {} FROM {}").format(sql.Identifier(table), ident))
    return statements
