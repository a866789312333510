"""Who may open the programme's pages at all; what each may see in them is decided by the
selectors of programme.projects and programme.rounds."""

from security.roles import ORGANISATION_ROLES, PROGRAMME_READER_ROLES
from security.scoping import has_role


def may_use_programme(user) -> bool:
    """Officials and community staff over an area; departments and partners for the projects they
    take part in."""
    return user.is_authenticated and has_role(user, PROGRAMME_READER_ROLES | ORGANISATION_ROLES)
