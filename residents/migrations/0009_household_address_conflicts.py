"""A household's address corrected by staff is kept against a later import, like a resident's
fields: conflicts now name their household (filled in for those already recorded), and name a
resident only for a resident's field."""

import django.db.models.deletion
from django.db import migrations, models


def households_of_conflicts(apps, schema_editor):
    RegisterConflict = apps.get_model("residents", "RegisterConflict")
    ResidentProfile = apps.get_model("residents", "ResidentProfile")
    RegisterConflict.objects.update(
        household_id=models.Subquery(
            ResidentProfile.objects.filter(pk=models.OuterRef("profile_id")).values("household_id")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("residents", "0008_register_conflicts"),
    ]

    operations = [
        migrations.AddField(
            model_name="household",
            name="address_edited_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="registerconflict",
            name="household",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="register_conflicts",
                to="residents.household",
                verbose_name="household",
            ),
        ),
        migrations.RunPython(households_of_conflicts, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="registerconflict",
            name="household",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="register_conflicts",
                to="residents.household",
                verbose_name="household",
            ),
        ),
        migrations.AlterField(
            model_name="registerconflict",
            name="profile",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="register_conflicts",
                to="residents.residentprofile",
                verbose_name="resident",
            ),
        ),
        migrations.AlterField(
            model_name="registerconflict",
            name="field",
            field=models.CharField(
                choices=[
                    ("full_name", "Name"),
                    ("phone", "Mobile number"),
                    ("is_elderly", "Elderly (60 or over)"),
                    ("lives_alone", "Lives alone"),
                    ("address", "Household address"),
                ],
                max_length=16,
                verbose_name="field",
            ),
        ),
        migrations.AddConstraint(
            model_name="registerconflict",
            constraint=models.CheckConstraint(
                condition=models.Q(("field", "address"), ("profile__isnull", True))
                | models.Q(models.Q(("field", "address"), _negated=True), ("profile__isnull", False)),
                name="conflict_address_is_the_households",
            ),
        ),
        migrations.AddConstraint(
            model_name="registerconflict",
            constraint=models.UniqueConstraint(
                condition=models.Q(("field", "address"), ("status", "open")),
                fields=("household",),
                name="conflict_one_open_address",
            ),
        ),
    ]
