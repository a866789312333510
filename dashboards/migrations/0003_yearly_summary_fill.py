"""Fill the yearly summaries from the monthly ones already there, as the refresh derives them, so the
dashboards read whole years straight after migrating (a fresh database has no rows to sum)."""

from django.db import migrations

KEYS = ("grid_id", "service_id", "organisation_id")


def fill(apps, schema_editor):
    monthly = apps.get_model("dashboards", "MonthlySummary")
    yearly = apps.get_model("dashboards", "YearlySummary")
    skip = {"id", "month", *KEYS}
    summed = [field.column for field in monthly._meta.concrete_fields if field.column not in skip]
    schema_editor.execute(
        f"INSERT INTO {yearly._meta.db_table} (year, {', '.join(KEYS)}, {', '.join(summed)}) "  # noqa: S608
        f"SELECT date_trunc('year', month)::date, {', '.join(KEYS)}, "
        f"{', '.join(f'SUM({column})' for column in summed)} "
        f"FROM {monthly._meta.db_table} GROUP BY 1, 2, 3, 4"
    )


class Migration(migrations.Migration):
    dependencies = [("dashboards", "0002_yearly_summary")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
