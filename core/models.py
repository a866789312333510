from django.db import models


class TimeStampedModel(models.Model):
    """Created and updated times for every table that is edited after it is made."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
