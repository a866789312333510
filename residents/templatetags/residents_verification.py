"""`{% verification_prompt %}`: tells a signed-in person who is not yet a verified resident how to
become one (on the home page and My profile); shows nothing to anyone else."""

from django import template

from residents.selectors import verification_prompt_for_user

register = template.Library()


@register.inclusion_tag("residents/_verification_prompt.html", takes_context=True)
def verification_prompt(context):
    request = context.get("request")
    prompt = verification_prompt_for_user(user=request.user) if request is not None else None
    return {"prompt": prompt}
