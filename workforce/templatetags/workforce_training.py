"""A worker's courses on their profile page: enrolments, certificates, required courses not passed."""

from django import template

from workforce.training import worker_courses

register = template.Library()


@register.inclusion_tag("workforce/training/_profile_courses.html")
def worker_training(profile, own=False):
    return worker_courses(profile) | {"own": own}
