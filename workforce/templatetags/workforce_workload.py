"""A worker's casework of the last twelve months on their profile page (workforce.casework)."""

from datetime import timedelta

from django import template
from django.utils import timezone

from workforce.casework import worker_figures
from workforce.models import WorkerProfile
from workforce.workload import FIGURES_DAYS

register = template.Library()


@register.inclusion_tag("workforce/workload/_worker_casework.html")
def worker_casework(profile: WorkerProfile):
    """Three grouped queries, as on the team page."""
    end = timezone.localdate()
    start = end - timedelta(days=FIGURES_DAYS - 1)
    return {"figures": worker_figures([profile], start=start, end=end)[profile.pk], "start": start, "end": end}
