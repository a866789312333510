from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from participation.organisers import is_organiser
from programme.access import may_use_programme
from security.models import Role
from security.roles import (
    AREA_ROLES,
    AUDIT_READER_ROLES,
    DASHBOARD_ROLES,
    EXCHANGE_ROLES,
    NOTICE_APPROVER_ROLES,
    ORGANISATION_ROLES,
    PARTICIPATION_ORGANISER_ROLES,
    PROPOSAL_ANSWER_ROLES,
    REQUEST_HANDLER_ROLES,
    RESIDENT_REGISTRAR_ROLES,
    SCORECARD_ROLES,
    SIGN_IN_UNLOCK_ROLES,
    WORKER_ROLES,
    WORKFORCE_MANAGER_ROLES,
)
from security.scoping import has_role


def navigation(request):
    """The links in the page header, by the roles the signed-in user holds."""
    user = request.user
    if not user.is_authenticated:
        return {"nav_links": []}
    links = [(reverse("services:mine"), _("My requests")), (reverse("residents:my_profile"), _("My profile"))]
    # Notices (通知公告): everyone reads them; staff, departments and partners publish them.
    if has_role(user, PARTICIPATION_ORGANISER_ROLES | ORGANISATION_ROLES):
        links.append((reverse("participation:notice_manage_list"), _("Publish notices")))
    else:
        links.append((reverse("participation:notice_list"), _("Notices")))
    if has_role(user, NOTICE_APPROVER_ROLES):
        links.append((reverse("participation:notice_approvals"), _("Notices to approve")))
    if has_role(user, AREA_ROLES | ORGANISATION_ROLES):
        links.insert(0, (reverse("services:workbench"), _("Workbench")))
    if has_role(user, AREA_ROLES | {Role.RESIDENT}):
        links.append((reverse("participation:poll_list"), _("Polls")))
        # Residents' proposals (居民提议).
        links.append((reverse("participation:proposal_list"), _("Residents' proposals")))
    # Meetings and events (社区活动): residents sign up; staff of an area and social organisations'
    # operators organise them (participation.organisers).
    if is_organiser(user):
        links.append((reverse("participation:event_manage_list"), _("Community events")))
    elif has_role(user, {Role.RESIDENT}):
        links.append((reverse("participation:event_list"), _("Community events")))
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
        # Living-alone elderly who have not read an urgent notice (participation.notice_reach).
        links.append((reverse("participation:notice_elderly"), _("Elderly not yet reached")))
    if has_role(user, REQUEST_HANDLER_ROLES):
        links.append((reverse("participation:moderation_queue"), _("Moderation")))
    # Clusters of similar requests, to turn into a community project (participation.projects).
    if has_role(user, PROPOSAL_ANSWER_ROLES):
        links.append((reverse("participation:project_clusters"), _("Similar requests")))
    if has_role(user, ORGANISATION_ROLES):
        links.append((reverse("portal:organisation_home"), _("My organisation")))
    # Volunteering and points (志愿服务、积分): residents sign up and redeem, organisers post and confirm hours.
    if is_organiser(user):
        links.append((reverse("participation:volunteer_manage"), _("Volunteering")))
    elif has_role(user, {Role.RESIDENT}):
        links.append((reverse("participation:volunteer_list"), _("Volunteering")))
        links.append((reverse("participation:my_points"), _("My points")))
    # The community workforce (社区工作者): managers see their staff, a worker their own profile.
    if has_role(user, WORKER_ROLES | WORKFORCE_MANAGER_ROLES):
        links.append((reverse("workforce:home"), _("Community workers")))
    # The smart-community programme (智慧社区建设): construction projects and the communities' assessment.
    if may_use_programme(user):
        links.append((reverse("programme:home"), _("Smart-community programme")))
    if has_role(user, AUDIT_READER_ROLES):
        links.append((reverse("security:audit_log"), _("Audit log")))
    if has_role(user, SIGN_IN_UNLOCK_ROLES) or user.is_superuser:
        links.append((reverse("security:sign_in_unlock"), _("Unlock sign-in")))
    if has_role(user, {Role.ADMIN}):
        links.append((reverse("security:mfa_reset"), _("Reset two-step verification")))
    return {"nav_links": links}
