"""「联系网格员」: the work phone of a resident's grid workers, for the resident's pages."""

from django import template

from residents.models import ResidentProfile
from workforce.selectors import grid_contacts

register = template.Library()


@register.inclusion_tag("workforce/_grid_contact.html", takes_context=True)
def grid_contact(context):
    """The grid workers (with a work phone) of the signed-in resident's registered household."""
    user = context["request"].user
    if not user.is_authenticated:
        return {"contacts": []}
    grid_id = ResidentProfile.objects.filter(user=user).values_list("household__grid_id", flat=True).first()
    return {"contacts": grid_contacts(grid_id) if grid_id is not None else []}
