"""Indexes on the requests table that only the dashboards need: the live part of a figure reads
the requests filed since the summaries were last extended (created_at), and the refresh finds the
requests changed since its watermark (updated_at). Both are range scans over a table of millions."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0001_summaries"),
        ("services", "0004_open311_public_index"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS dashboards_request_created_idx ON services_servicerequest (created_at)",
            "DROP INDEX IF EXISTS dashboards_request_created_idx",
        ),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS dashboards_request_updated_idx ON services_servicerequest (updated_at)",
            "DROP INDEX IF EXISTS dashboards_request_updated_idx",
        ),
    ]
