"""What each role may reach. The single place that says which roles see an area subtree, which
act for an organisation, and which may see personal data unmasked."""

from directory.models import Area, Organisation
from security.models import Role

# Roles that see everything recorded in their area's subtree.
AREA_ROLES = frozenset(
    {
        Role.GRID_WORKER,
        Role.COMMUNITY_STAFF,
        Role.SUBDISTRICT_OFFICER,
        Role.DISTRICT_LEADER,
        Role.AUDITOR,
        Role.ADMIN,
    }
)
# Roles that see what is addressed to their organisation (work routed to a department or partner).
ORGANISATION_ROLES = frozenset({Role.DEPARTMENT_OFFICER, Role.PARTNER_OPERATOR})
# Roles whose daily work (home visits, phone calls) needs a resident's full ID number and phone.
UNMASK_ROLES = frozenset({Role.GRID_WORKER, Role.COMMUNITY_STAFF})
# Roles that register households and residents in their area.
RESIDENT_REGISTRAR_ROLES = frozenset({Role.GRID_WORKER, Role.COMMUNITY_STAFF})
# Roles that watch their area through the oversight pages (volumes, backlog, counts).
OVERSIGHT_ROLES = frozenset({Role.DISTRICT_LEADER, Role.SUBDISTRICT_OFFICER, Role.ADMIN})
# Roles that read the dashboards: the oversight roles for their subtree, a department officer for
# the requests their department handles. A partner operator sees only their own scorecard.
DASHBOARD_ROLES = OVERSIGHT_ROLES | {Role.DEPARTMENT_OFFICER}
SCORECARD_ROLES = frozenset({Role.PARTNER_OPERATOR})
# Roles that oversee data-sharing agreements by area rather than as a party to them, and those who
# open the exchange's dataset catalogue (with the departments that provide and consume).
EXCHANGE_OVERSIGHT_ROLES = frozenset({Role.DISTRICT_LEADER, Role.AUDITOR, Role.ADMIN})
EXCHANGE_ROLES = EXCHANGE_OVERSIGHT_ROLES | {Role.DEPARTMENT_OFFICER}
# Roles that triage and work on service requests placed in their area.
REQUEST_HANDLER_ROLES = frozenset({Role.GRID_WORKER, Role.COMMUNITY_STAFF, Role.SUBDISTRICT_OFFICER})
# Roles that run participation for their area's subtree: publish notices, run polls, events and
# volunteer activities, confirm volunteers' hours and correct their points.
PARTICIPATION_ORGANISER_ROLES = frozenset(
    {Role.GRID_WORKER, Role.COMMUNITY_STAFF, Role.SUBDISTRICT_OFFICER, Role.DISTRICT_LEADER}
)
# A social organisation's operators also run events and volunteer activities, as their organisation,
# for the residents of the area their role is granted at (participation/organisers.py); enterprise
# partners' operators, holding the same role, do not.
PARTICIPATION_ORGANISATION_ROLES = frozenset({Role.PARTNER_OPERATOR})
PARTICIPATION_ORGANISATION_KINDS = frozenset({Organisation.Kind.SOCIAL_ORGANISATION})
# Roles that keep a community's redemption items and hand them over (not grid workers: the counter
# is at the community office).
REDEMPTION_STAFF_ROLES = frozenset({Role.COMMUNITY_STAFF, Role.SUBDISTRICT_OFFICER, Role.DISTRICT_LEADER})
# Roles that answer a proposal that reached its community's threshold and set that threshold; the
# subdistrict's officers are told when an answer is overdue (participation/proposals.py).
PROPOSAL_ANSWER_ROLES = frozenset({Role.COMMUNITY_STAFF})
# Roles that approve or refuse a department's or partner's notice to their community; those notices
# may address only what the organisation's routing rules cover (participation/notices.py).
NOTICE_APPROVER_ROLES = frozenset({Role.COMMUNITY_STAFF})
# The community workforce (workforce/): who holds a worker profile's posts, and who manages workers.
# A manager is a subdistrict officer for their subdistrict, a civil-affairs (民政) officer for the
# district, and community staff whose worker profile says they head their community
# (workforce.selectors.managed_paths). Civil-affairs officers alone set the level rules.
WORKER_ROLES = frozenset({Role.GRID_WORKER, Role.COMMUNITY_STAFF})
WORKFORCE_MANAGER_ROLES = frozenset({Role.SUBDISTRICT_OFFICER, Role.CIVIL_AFFAIRS_OFFICER})
WORKFORCE_HEAD_ROLES = frozenset({Role.COMMUNITY_STAFF})
WORKFORCE_RULES_ROLES = frozenset({Role.CIVIL_AFFAIRS_OFFICER})
# The smart-community programme (programme/): officers of the district and the subdistricts register
# construction projects in their subtree and record their spending, milestones and acceptance; district
# leaders approve budget adjustments, define the indicator system and run assessment rounds; subdistrict
# officers check what their communities report, and community staff report it and read their results.
PROGRAMME_OFFICER_ROLES = frozenset({Role.SUBDISTRICT_OFFICER, Role.DISTRICT_LEADER})
PROGRAMME_DISTRICT_ROLES = frozenset({Role.DISTRICT_LEADER})
ASSESSMENT_CHECK_ROLES = frozenset({Role.SUBDISTRICT_OFFICER})
ASSESSMENT_REPORT_ROLES = frozenset({Role.COMMUNITY_STAFF})
# Who reads projects and assessment results in their subtree (besides the roles above).
PROGRAMME_READER_ROLES = OVERSIGHT_ROLES | {Role.AUDITOR, Role.COMMUNITY_STAFF}
# Roles that read the audit log.
AUDIT_READER_ROLES = frozenset({Role.AUDITOR, Role.ADMIN})
# Roles that unlock an account's sign-in after too many failures: community staff for their
# residents, administrators for anyone (security.sign_in_protection.can_unlock).
SIGN_IN_UNLOCK_ROLES = frozenset({Role.COMMUNITY_STAFF, Role.ADMIN})
# Staff: every role that sees other people's data or acts for an organisation, which is every role but
# a resident's own. They sign in with a second factor (security.mfa) and their sessions end after a
# short idle time (security.session_idle); see scoping.is_staff_member.
STAFF_ROLES = frozenset(Role) - {Role.RESIDENT}

# The level of the tree a role is granted at.
ROLE_AREA_KINDS = {
    Role.RESIDENT: {Area.Kind.GRID},
    Role.GRID_WORKER: {Area.Kind.GRID},
    Role.COMMUNITY_STAFF: {Area.Kind.COMMUNITY},
    Role.SUBDISTRICT_OFFICER: {Area.Kind.SUBDISTRICT},
    Role.DEPARTMENT_OFFICER: {Area.Kind.DISTRICT, Area.Kind.SUBDISTRICT},
    Role.DISTRICT_LEADER: {Area.Kind.DISTRICT},
    Role.PARTNER_OPERATOR: {Area.Kind.DISTRICT, Area.Kind.SUBDISTRICT, Area.Kind.COMMUNITY},
    Role.AUDITOR: {Area.Kind.DISTRICT, Area.Kind.SUBDISTRICT},
    Role.CIVIL_AFFAIRS_OFFICER: {Area.Kind.DISTRICT},
    Role.ADMIN: {Area.Kind.DISTRICT},
}

# The kind of organisation a role acts for; required for the organisation roles, optional otherwise.
ROLE_ORGANISATION_KINDS = {
    Role.DEPARTMENT_OFFICER: {Organisation.Kind.DEPARTMENT},
    # A social organisation (社会组织) is served like an enterprise partner: routed requests on the
    # workbench, its own scorecard, no area of residents to read; so its staff hold the same role.
    Role.PARTNER_OPERATOR: {Organisation.Kind.PARTNER, Organisation.Kind.SOCIAL_ORGANISATION},
    Role.SUBDISTRICT_OFFICER: {Organisation.Kind.SUBDISTRICT_OFFICE},
    Role.COMMUNITY_STAFF: {Organisation.Kind.COMMUNITY_COMMITTEE},
    Role.GRID_WORKER: {Organisation.Kind.COMMUNITY_COMMITTEE},
}

# When a user holds several roles, the first in this order decides their landing page.
ROLE_PRECEDENCE = [
    Role.ADMIN,
    Role.DISTRICT_LEADER,
    Role.AUDITOR,
    Role.CIVIL_AFFAIRS_OFFICER,
    Role.SUBDISTRICT_OFFICER,
    Role.DEPARTMENT_OFFICER,
    Role.COMMUNITY_STAFF,
    Role.GRID_WORKER,
    Role.PARTNER_OPERATOR,
    Role.RESIDENT,
]
