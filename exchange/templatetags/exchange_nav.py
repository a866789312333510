"""`{% exchange_nav %}`: the exchange pages' own links, the imports only for those who may import."""

from django import template

from security.models import Role
from security.scoping import has_role

register = template.Library()


@register.inclusion_tag("exchange/_nav.html", takes_context=True)
def exchange_nav(context):
    return {"can_import": has_role(context["request"].user, {Role.DEPARTMENT_OFFICER})}
