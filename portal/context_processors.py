from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from security.models import Role
from security.roles import (
    AREA_ROLES,
    AUDIT_READER_ROLES,
    DASHBOARD_ROLES,
    EXCHANGE_ROLES,
    ORGANISATION_ROLES,
    RESIDENT_REGISTRAR_ROLES,
    SCORECARD_ROLES,
    SIGN_IN_UNLOCK_ROLES,
)
from security.scoping import has_role


def navigation(request):
    """The links in the page header, by the roles the signed-in user holds."""
    user = request.user
    if not user.is_authenticated:
        return {"nav_links": []}
    links = [(reverse("services:mine"), _("My requests")), (reverse("residents:my_profile"), _("My profile"))]
    if has_role(user, AREA_ROLES | ORGANISATION_ROLES):
        links.insert(0, (reverse("services:workbench"), _("Workbench")))
    if has_role(user, DASHBOARD_ROLES):
        links.append((reverse("dashboards:overview"), _("Dashboards")))
    if has_role(user, SCORECARD_ROLES):
        links.append((reverse("dashboards:scorecard"), _("Our scorecard")))
    if has_role(user, EXCHANGE_ROLES):
        links.append((reverse("exchange:catalogue"), _("Data exchange")))
    if has_role(user, AREA_ROLES):
        links.append((reverse("residents:staff_list"), _("Residents")))
    if has_role(user, RESIDENT_REGISTRAR_ROLES):
        links.append((reverse("residents:correction_queue"), _("Correction requests")))
        links.append((reverse("residents:verification_queue"), _("Residency verification")))
    if has_role(user, ORGANISATION_ROLES):
        links.append((reverse("portal:organisation_home"), _("My organisation")))
    if has_role(user, AUDIT_READER_ROLES):
        links.append((reverse("security:audit_log"), _("Audit log")))
    if has_role(user, SIGN_IN_UNLOCK_ROLES) or user.is_superuser:
        links.append((reverse("security:sign_in_unlock"), _("Unlock sign-in")))
    if has_role(user, {Role.ADMIN}):
        links.append((reverse("security:mfa_reset"), _("Reset two-step verification")))
    return {"nav_links": links}
