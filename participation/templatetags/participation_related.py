"""`{% proposal_related proposal %}`: on a proposal's page, the polls about it and the meetings whose
minutes discussed it, only those the viewer may see (participation.poll_results.polls_about_proposal,
participation.event_selectors.proposal_meetings: two queries beyond the viewer's roles)."""

from django import template

from participation.event_selectors import proposal_meetings
from participation.poll_results import polls_about_proposal

register = template.Library()


@register.inclusion_tag("participation/proposals/_related.html", takes_context=True)
def proposal_related(context, proposal):
    request = context.get("request")
    if request is None:
        return {"polls": [], "meetings": []}
    return {
        "polls": polls_about_proposal(user=request.user, proposal=proposal),
        "meetings": proposal_meetings(user=request.user, proposal=proposal),
    }
