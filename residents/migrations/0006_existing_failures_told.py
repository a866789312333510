from django.db import migrations
from django.utils import timezone


def mark_existing_failures_told(apps, schema_editor):
    # Failed tries from before notifications existed were already listed on the verification queue;
    # telling the grid now, days later, would only alarm. Only new failures are notified.
    ResidencyVerification = apps.get_model("residents", "ResidencyVerification")
    ResidencyVerification.objects.filter(
        method="code", status="refused", household__isnull=False, told_at__isnull=True
    ).update(told_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [("residents", "0005_verification_failure_told_at")]

    operations = [migrations.RunPython(mark_existing_failures_told, migrations.RunPython.noop)]
