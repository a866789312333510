from django.db import connection


def rewrite_as_database_superuser(sql: str, params: list) -> None:
    """What someone with superuser rights on the database could do: bypass the append-only
    trigger and rewrite the audit log. Tests use it to show the hash chain still finds it."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        cursor.execute("SET session_replication_role = origin")
