import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("participation", "0007_proposal_photos"),
        ("services", "0011_moderation_hidden_and_public_photos"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ProposalRequest",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "linked_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "proposal",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="request_links",
                        to="participation.proposal",
                    ),
                ),
                (
                    "request",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="services.servicerequest"
                    ),
                ),
            ],
            options={
                "verbose_name": "request answered by a proposal",
                "verbose_name_plural": "requests answered by proposals",
                "ordering": ["proposal_id", "id"],
                "indexes": [models.Index(fields=["request"], name="proposal_request_request_idx")],
                "constraints": [models.UniqueConstraint(fields=("proposal", "request"), name="proposal_request_once")],
            },
        ),
    ]
