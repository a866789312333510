"""A worker's yearly assessments on their profile page: the worker sees the final ones; their
manager (the only other reader of the page) also sees drafts."""

from django import template

from workforce.models_assessment import Assessment

register = template.Library()
SHOWN = 5


@register.inclusion_tag("workforce/assessment/_profile_assessments.html")
def worker_assessments(profile, own=False):
    found = Assessment.objects.filter(profile=profile).order_by("-year")
    if own:
        found = found.filter(status=Assessment.Status.FINAL)
    return {"profile": profile, "own": own, "assessments": list(found[:SHOWN])}
