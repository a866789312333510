"""Every page of the portal, for the tests that hold all pages to one rule: the security headers
(tests/test_security_headers.py) and the Content-Security-Policy in a real browser
(tests/browser/test_csp.py).

The URL patterns come from the URL conf itself, so a page added tomorrow is walked without anyone
listing it. Their path parameters are filled from the demo district (demo.district.build_demo, the
rows a newcomer sees) plus a few rows made through services; each page is visited by the first of
anonymous, a resident and each staff role that is let in (200), so every page is seen by someone
allowed to see it. What cannot be visited is in NOT_VISITED with the reason; a pattern whose
parameters this module cannot fill fails the walk until a filler or a reason is added here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.contrib import admin
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

# Who may visit, in the order tried: the least privileged first, so a page is seen by the role it is
# for rather than by an administrator who may see everything.
VISITORS = (
    "anonymous",
    "resident",
    "grid",
    "community",
    "subdistrict",
    "department",
    "partner",
    "leader",
    "auditor",
    "admin",
)
DEMO_USERNAMES = {
    "resident": "demo_resident",
    "grid": "demo_grid",
    "community": "demo_community",
    "subdistrict": "demo_subdistrict",
    "department": "demo_department",
    "leader": "demo_leader",
    "partner": "demo_partner",
    "auditor": "demo_auditor",
    "admin": "demo_admin",
}
# Pages whose look depends on who reads them: visited again as these roles.
ALSO_AS = {
    "portal:home": ("resident",),
    "services:detail": ("grid", "partner"),
    "residents:detail": ("grid",),
}

# Patterns the walk does not visit, and why. Keep this short: everything else is visited.
NOT_VISITED = {
    "admin:view_on_site": "a redirect to an object's own page, which is walked under its own name",
    "/admin/<app>/<model>/<path:object_id>/": "Django's old address of a change page, a redirect to it",
    "mfa_remove_webauthn": "needs a registered security key, which only a real authenticator device can make",
    "mfa_edit_webauthn": "needs a registered security key, which only a real authenticator device can make",
}


@dataclass
class Pattern:
    key: str  # the URL name with its namespace, or the route where a pattern has no name
    route: str
    params: tuple[str, ...]

    @property
    def namespace(self) -> str:
        return self.key.split(":")[0] if ":" in self.key else ""


@dataclass
class Visit:
    key: str
    url: str
    visitor: str
    status: int
    content_type: str
    headers: dict = field(default_factory=dict)
    body: bytes = b""

    @property
    def is_html(self) -> bool:
        return self.content_type.startswith("text/html")


def url_patterns() -> list[Pattern]:
    """Every pattern of the URL conf, with its full route and the parameters it takes."""

    def walk(patterns, prefix, namespace):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = ":".join(part for part in (namespace, entry.namespace) if part)
                yield from walk(entry.url_patterns, prefix + str(entry.pattern), inner)
            elif isinstance(entry, URLPattern):
                route = prefix + str(entry.pattern)
                key = ":".join(part for part in (namespace, entry.name) if part) if entry.name else route
                regex = entry.pattern.regex.pattern
                params = tuple(re.findall(r"\(\?P<(\w+)>", regex)) or tuple(getattr(entry.pattern, "converters", {}))
                yield Pattern(key=key, route=route, params=params)

    return list(walk(get_resolver().url_patterns, "/", ""))


# The admin's pages of a table the demo district leaves empty (the same templates as every other
# table's, which are walked).
NO_ROW = "no row of this table in the demo district"
# For a parameter of an endpoint that answers before looking anything up (a POST-only action).
NO_SUCH_ID = "00000000-0000-0000-0000-000000000000"

# --- the world the walk visits -----------------------------------------------------------------


def build_world():
    """The demo district, and the rows a page needs that the demo does not make."""
    from demo.district import DEMO_PASSWORD, build_demo
    from exchange.models import Dataset, ExchangeJob, SharingAgreement
    from residents.models import ResidentProfile
    from security.models import User
    from services.models import ServiceRequest

    build_demo()
    users = {role: User.objects.get(username=username) for role, username in DEMO_USERNAMES.items()}
    resident_user = users["resident"]
    own_request = ServiceRequest.objects.filter(requester=resident_user).order_by("pk").first()
    agreement = SharingAgreement.objects.order_by("pk").first()
    world = SimpleNamespace(
        password=DEMO_PASSWORD,
        users=users,
        request=own_request,
        partner_request=ServiceRequest.objects.filter(handling_organisation__kind="partner").order_by("pk").first(),
        public_request=ServiceRequest.objects.filter(is_public=True).order_by("pk").first(),
        # A resident in the demo grid worker's grid, whose full numbers the grid worker may reveal.
        resident=ResidentProfile.objects.filter(household__grid=own_request.grid).exclude(user=resident_user).first()
        or ResidentProfile.objects.order_by("pk").first(),
        agreement=agreement,
        dataset=Dataset.objects.order_by("pk").first(),
        job=ExchangeJob.objects.order_by("pk").first(),
    )
    world.photo = _photo(world)
    world.notification = _notification(world)
    world.api_key = _api_key(world)
    world.webhook, world.delivery = _webhook(world)
    world.dataset_import = _dataset_import(world)
    world.display_link, world.display_token = _display_link(world)
    world.correction = _correction(world)
    world.verification = _verification(world)
    world.public_event_id, world.moderation_report = _moderation(world)
    world.notice, world.notice_waiting = _notices()
    world.volunteering = _volunteering(world)
    world.polls = _polls(world)
    world.event = _event(world)
    world.project = _project(world)
    world.worker, world.level_proposal = _workforce(world)
    world.programme = _programme(world)
    return world


def _programme(world):
    """The demo's construction projects (an open one of the demo subdistrict officer's, with a pending
    budget adjustment for the leader to decide), its closed assessment round and the community report
    in it (demo.programme makes them)."""
    from programme.models import (
        AssessmentRound,
        BudgetAdjustment,
        ConstructionProject,
        IndicatorReport,
        ProjectDocument,
        ProjectSpend,
    )
    from programme.projects import adjustment_request

    officer = world.users["subdistrict"]
    project = ConstructionProject.objects.filter(acceptance_decision="", created_by=officer).order_by("pk").first()
    adjustment = BudgetAdjustment.objects.filter(status=BudgetAdjustment.Status.PENDING).first()
    if adjustment is None:
        adjustment = adjustment_request(actor=officer, project=project, amount="1000.00", reason="页面巡检")
    closed = AssessmentRound.objects.filter(status=AssessmentRound.Status.CLOSED).order_by("pk").first()
    report = IndicatorReport.objects.filter(round=closed).order_by("pk").first()
    return SimpleNamespace(
        project=project,
        milestone=project.milestones.filter(actual_date__isnull=True).order_by("pk").first(),
        deliverable=project.deliverables.order_by("pk").first(),
        adjustment=adjustment,
        document=ProjectDocument.objects.order_by("pk").first(),
        spend=ProjectSpend.objects.exclude(file="").order_by("pk").first(),
        round=closed,
        community_id=report.community_id,
        report=report,
    )


def _workforce(world):
    """The demo grid worker's profile, their community staff as the community's head, and the level
    steps the yearly run proposes (the demo may already have made the profiles)."""
    from datetime import date

    from workforce.models import Education, LevelProposal, Post, WorkerProfile
    from workforce.services import level_proposals_run

    worker, _made = WorkerProfile.objects.get_or_create(
        user=world.users["grid"],
        defaults={"post": Post.OTHER, "level": 1, "date_joined": date(2015, 3, 1), "education": Education.BACHELOR},
    )
    WorkerProfile.objects.get_or_create(
        user=world.users["community"],
        defaults={
            "post": Post.HEAD,
            "level": 7,
            "date_joined": date(2020, 3, 1),
            "education": Education.BACHELOR,
            "is_head": True,
        },
    )
    level_proposals_run()
    proposal = LevelProposal.objects.filter(status=LevelProposal.Status.PENDING).order_by("pk").first()
    return worker, proposal


def _project(world):
    """A proposal made from an open request of the demo community staff's community (the page of the
    requests it answers)."""
    from participation.project_selectors import cluster_candidates
    from participation.projects import proposal_from_requests

    staff = world.users["community"]
    request = cluster_candidates(user=staff).first()
    if request is None:
        return SimpleNamespace(public_id=NO_SUCH_ID)
    return proposal_from_requests(
        actor=staff, requests=[request], as_project=False, title="页面巡检项目", body="巡检", category="other"
    )


def _event(world):
    from datetime import timedelta

    from django.utils import timezone

    from participation.events import event_create, event_signup
    from participation.models import EventKind

    # The demo community's staff hold a council meeting for the demo resident's community this
    # afternoon (check-in open), and the resident has a place: every event page has a row.
    staff = world.users["community"]
    resident = world.users["resident"]
    start = timezone.now() + timedelta(hours=2)
    event = event_create(
        actor=staff,
        area=resident.resident_profile.household.grid.parent,
        kind=EventKind.COUNCIL,
        title="页面检查 议事会",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        place="社区活动室",
        capacity=10,
    )
    event_signup(user=resident, event=event)
    return event


def _polls(world):
    from datetime import timedelta

    from django.utils import timezone

    from participation.models import Poll, PollQuestionKind
    from participation.polls import poll_create, poll_question_add

    # The demo community's staff run three polls for the demo resident's community: one open (its
    # page, with the ballot), one still a draft (the change page), one closed (results and exports).
    staff = world.users["community"]
    community = world.users["resident"].resident_profile.household.grid.parent
    now = timezone.now()
    polls = {}
    for state in ("open", "draft", "closed"):
        poll = poll_create(
            actor=staff,
            area=community,
            title=f"页面检查 {state}",
            opens_at=now + timedelta(hours=1),
            closes_at=now + timedelta(days=7),
        )
        poll_question_add(actor=staff, poll=poll, kind=PollQuestionKind.SINGLE, text="同意吗？", options=["是", "否"])
        poll_question_add(actor=staff, poll=poll, kind=PollQuestionKind.TEXT, text="意见", options=[])
        polls[state] = poll
    # Time moves on for two of them (the services allow no poll to be made already open).
    Poll.objects.filter(pk=polls["open"].pk).update(opens_at=now - timedelta(hours=1))
    Poll.objects.filter(pk=polls["closed"].pk).update(
        opens_at=now - timedelta(days=2), closes_at=now - timedelta(hours=1)
    )
    return polls


def _volunteering(world):
    from datetime import timedelta

    from django.utils import timezone

    from participation.models import VolunteerActivity
    from participation.points import redemption_create, redemption_item_create
    from participation.volunteering import volunteer_activity_create, volunteer_hours_confirm, volunteer_sign_up

    # The demo community's staff post two activities for the demo resident's community; the
    # resident volunteered at the one already held, and spent the points on one of its items.
    staff = world.users["community"]
    resident = world.users["resident"]
    community = resident.resident_profile.household.grid.parent
    start = timezone.now() + timedelta(days=2)
    activities = [
        volunteer_activity_create(
            actor=staff,
            area=community,
            title=f"页面检查 志愿活动 {n}",
            place="社区活动室",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            slots=5,
            points_per_hour=10,
        )
        for n in (1, 2)
    ]
    held = activities[1]
    signup = volunteer_sign_up(user=resident, activity=held)
    VolunteerActivity.objects.filter(pk=held.pk).update(
        starts_at=timezone.now() - timedelta(days=1), ends_at=timezone.now() - timedelta(days=1) + timedelta(hours=2)
    )
    volunteer_hours_confirm(actor=staff, signup=signup, hours="2")
    item = redemption_item_create(actor=staff, community=community, name="页面检查 大米", points_cost=10, stock=5)
    redemption_create(user=resident, item=item)
    return SimpleNamespace(activity=activities[0], item=item)


def _notices():
    from participation.models import Notice, NoticeStatus

    # The demo's urgent notice from the first community's staff, and the property company's notice
    # waiting for that community's approval (demo/notices.py).
    return (
        Notice.objects.filter(is_urgent=True, status=NoticeStatus.PUBLISHED).order_by("pk").first(),
        Notice.objects.filter(status=NoticeStatus.AWAITING_APPROVAL).order_by("pk").first(),
    )


def _verification(world):
    from residents.services import verification_request_in_person
    from security.services import user_create

    # Someone not yet verified asks the demo resident's community to check them in person: the
    # verification queue's decision page has a row.
    person = user_create(username="page-walk-newcomer", password=None)
    return verification_request_in_person(user=person, community=world.resident.household.grid.parent)


def _moderation(world):
    from participation.moderation import report_file
    from services.models import RequestEvent

    # A message on the public request's public timeline (reportable), and an open report of the
    # request, for the report pages and the moderator's decision page.
    event = (
        RequestEvent.objects.filter(request=world.public_request, is_public=True)
        .exclude(to_status="")
        .exclude(message="")
        .order_by("pk")
        .first()
    )
    reporter = world.users["resident"]
    report = report_file(reporter=reporter, request=world.public_request, reason="other", note="页面检查")
    return (event.pk if event else 0), report


def _correction(world):
    from residents.services import correction_request_file

    # The demo resident asks their grid to correct their record: the queue's detail page has a row.
    return correction_request_file(user=world.users["resident"], field="lives_alone", explanation="页面检查")


def _photo(world):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from services.services import request_photos_add

    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), "grey").save(buffer, "JPEG")
    upload = SimpleUploadedFile("photo.jpg", buffer.getvalue(), content_type="image/jpeg")
    request_photos_add(request=world.request, actor=world.users["resident"], photos=[upload])
    return world.request.photos.order_by("pk").first()


def _notification(world):
    from django.contrib.auth.models import Group
    from django.db import transaction

    from notifications.models import Notification
    from notifications.services import notify, outbox_deliver

    # Not the portal's: Django's groups are unused, but the admin lists them, and a row shows its pages.
    Group.objects.get_or_create(name="page walk")
    with transaction.atomic():
        messages = notify(
            recipient=world.users["resident"], kind="page_walk", title="页面检查", body="", key="page-walk"
        )
    for message in messages:
        outbox_deliver(message_id=message.pk)
    return Notification.objects.filter(recipient=world.users["resident"]).order_by("pk").first()


def _api_key(world):
    from datetime import timedelta

    from django.utils import timezone

    from security.api_keys import allowed_scopes, api_key_create

    partner = world.users["partner"]
    organisation = partner.role_assignments.get().organisation
    key, _raw = api_key_create(
        actor=partner,
        organisation=organisation,
        name="page walk",
        scopes=allowed_scopes(organisation)[:1],
        expires_at=timezone.now() + timedelta(days=30),
    )
    return key


def _webhook(world):
    from django.test import override_settings

    from partners.webhooks import webhook_register

    partner = world.users["partner"]
    organisation = partner.role_assignments.get().organisation
    # An address literal on loopback: registering checks the address, and the tests reach no network.
    with override_settings(WEBHOOK_ALLOW_PRIVATE_TARGETS=True):
        webhook, _secret = webhook_register(actor=partner, organisation=organisation, url="http://127.0.0.1:9/hook")
    return webhook, webhook.deliveries.order_by("pk").first()


def _dataset_import(world):
    import csv
    import io

    from exchange.imports.services import dataset_import_create, importer_for
    from exchange.models import ImportChannel

    department = world.users["department"]
    organisation = department.role_assignments.get().organisation
    dataset = next(d for d in world.dataset.__class__.objects.filter(provider=organisation) if _importable(d))
    out = io.StringIO()
    columns = importer_for(dataset).COLUMNS.codes
    writer = csv.writer(out)
    writer.writerow(columns)
    # One row is enough for the pages: the import is queued, never run here.
    writer.writerow(["page-walk"] * len(columns))
    return dataset_import_create(
        actor=department,
        organisation=organisation,
        dataset=dataset,
        file_name="update.csv",
        content=out.getvalue().encode(),
        channel=ImportChannel.UPLOAD,
    )


def _display_link(world):
    from dashboards.display_links import display_link_create, display_link_token

    leader = world.users["leader"]
    link = display_link_create(actor=leader, name="page walk", area=leader.role_assignments.get().area)
    return link, display_link_token(link)


def _importable(dataset) -> bool:
    from exchange.imports.services import importer_for

    try:
        return importer_for(dataset) is not None
    except (KeyError, LookupError, ValueError):
        return False


def path_values(world) -> dict[str, object]:
    """Values for path parameters: `url-name.param`, then `namespace.param`, then `param`."""
    from allauth.account.models import EmailAddress, EmailConfirmationHMAC
    from allauth.account.utils import user_pk_to_url_str
    from django.contrib.auth.tokens import default_token_generator

    resident_user = world.users["resident"]
    # An address waiting for confirmation, for the confirmation page. Not the resident's: allauth
    # lets nobody with an unconfirmed address enrol a second factor, and the resident's enrolment
    # page is walked too.
    email, _created = EmailAddress.objects.get_or_create(
        user=world.users["leader"], email="page-walk@example.cn", defaults={"primary": False, "verified": False}
    )
    return {
        "fmt": "json",
        "service_code": world.request.service.code,
        "service_request_id": world.request.public_id,
        "token": "unknown-token",
        "path": "unknown",
        "public_id": world.request.public_id,
        "photo_id": world.photo.public_id if hasattr(world.photo, "public_id") else world.photo.pk,
        "step": "accept",
        "prefix": world.api_key.prefix,
        "webhook_id": world.webhook.public_id,
        "delivery_id": world.delivery.public_id if world.delivery else NO_SUCH_ID,
        "table": "areas",
        "file_format": "csv",
        "dataset": world.dataset.code,
        "action": "submit",
        "job": world.job.public_id if world.job else NO_SUCH_ID,
        "agreement": world.agreement.public_id,
        "app_label": "security",
        "url": "no-such-page/",
        "admin:auth_user_password_change.id": world.users["resident"].pk,
        "security:audit_event.pk": _first_audit_event_pk(),
        "security:alert_acknowledge.pk": 1,
        "dashboards.public_id": world.display_link.public_id,
        "dashboards:display.token": world.display_token,
        "residents.public_id": world.resident.public_id,
        "residents:household_add_resident.public_id": world.resident.household.public_id,
        "residents:register_conflict_decide.public_id": NO_SUCH_ID,
        "residents:correction_detail.public_id": world.correction.public_id,
        "residents:verification_detail.public_id": world.verification.public_id,
        # Notices' pages: the published urgent notice, and for the approval page the waiting one.
        "participation.public_id": world.notice.public_id,
        "participation:notice_approval.public_id": world.notice_waiting.public_id,
        # The elderly list's "told them" action (POST only): the urgent notice and a registered resident.
        "participation:notice_elderly_informed.notice_public_id": world.notice.public_id,
        "participation:notice_elderly_informed.resident_public_id": world.resident.public_id,
        # Opening a message is a POST (405 to a GET, before any lookup): any id shows its headers.
        "notifications.public_id": NO_SUCH_ID,
        "exchange.public_id": world.agreement.public_id,
        "exchange:import_detail.public_id": world.dataset_import.public_id,
        "exchange:import_report.public_id": world.dataset_import.public_id,
        "exchange:import_resume.public_id": world.dataset_import.public_id,
        "exchange:api_import.public_id": world.dataset_import.public_id,
        "exchange:api_import_rejections.public_id": world.dataset_import.public_id,
        "api_work_order.public_id": world.partner_request.public_id,
        "services:public_detail.public_id": world.public_request.public_id,
        "services:public_photo.public_id": world.public_request.public_id,
        # Moderation: reporting the public request or a message on it, and deciding the report.
        "participation:report_request.public_id": world.public_request.public_id,
        "participation:report_comment.public_id": world.public_request.public_id,
        "participation:report_comment.event_id": world.public_event_id,
        "participation:moderation_photos.public_id": world.public_request.public_id,
        "participation:moderation_decide.public_id": world.moderation_report.public_id,
        # A proposal's comment: no such comment under the walk's id, so the report form answers 404.
        "participation:report_proposal_comment.comment_id": NO_SUCH_ID,
        "participation.poll_id": world.polls["open"].public_id,
        "participation:poll_edit.poll_id": world.polls["draft"].public_id,
        "participation:poll_export.poll_id": world.polls["closed"].public_id,
        "participation:volunteer_activity.public_id": world.volunteering.activity.public_id,
        "participation:points_item.public_id": world.volunteering.item.public_id,
        # Meetings and events: the demo community's council meeting.
        "participation:event_detail.public_id": world.event.public_id,
        "participation:event_signup.public_id": world.event.public_id,
        "participation:project_requests.public_id": world.project.public_id,
        "participation:event_signup_cancel.public_id": world.event.public_id,
        "participation:event_manage.public_id": world.event.public_id,
        "participation:event_edit.public_id": world.event.public_id,
        "participation:event_cancel.public_id": world.event.public_id,
        "participation:event_minutes.public_id": world.event.public_id,
        # Volunteering and points: POST-only actions answer 405 to a GET before any lookup.
        "participation:volunteer_sign_up.public_id": NO_SUCH_ID,
        "participation:volunteer_sign_up_cancel.public_id": NO_SUCH_ID,
        "participation:volunteer_cancel.public_id": NO_SUCH_ID,
        "participation:volunteer_hours_confirm.public_id": NO_SUCH_ID,
        "participation:volunteer_points_adjust.public_id": NO_SUCH_ID,
        "participation:points_redeem.public_id": NO_SUCH_ID,
        "participation:points_hand_over.public_id": NO_SUCH_ID,
        # The workforce: a worker's own page (the grid worker sees theirs); confirming is POST-only.
        "workforce.profile_id": world.worker.pk,
        "workforce.proposal_id": world.level_proposal.pk if world.level_proposal else 0,
        # The reserve talent pool: no candidate in the walk's world; the pages answer 404 (or 405).
        "workforce.candidate_id": 0,
        # Training: a course's page; recording a completion is POST-only.
        "workforce.course_id": _course_id(world),
        "workforce.enrolment_id": 0,
        # Training reminders and the talent pool's later steps
        # Elderly visits
        "workforce:visit_resident.public_id": world.resident.public_id,
        "workforce.visit_id": _visit_id(world),
        # Workload and rebalancing
        # The yearly assessment
        # Last year's page for the walk's managers; a worker's assessment answers 404 until final.
        "workforce.year": _assessment_year(),
        # The smart-community programme: the demo's open project, its closed round and report.
        "programme.public_id": world.programme.project.public_id,
        "programme:project_document.public_id": world.programme.document.project.public_id,
        "programme:project_document.pk": world.programme.document.pk,
        "programme:project_spend_document.public_id": world.programme.spend.project.public_id,
        "programme:project_spend_document.pk": world.programme.spend.pk,
        "programme:project_milestone_edit.pk": world.programme.milestone.pk,
        "programme:project_milestone_reach.pk": world.programme.milestone.pk,
        "programme:project_adjustment_decide.pk": world.programme.adjustment.pk,
        "programme:project_deliverable_deliver.pk": getattr(world.programme.deliverable, "pk", 0),
        "programme:assessment_round.public_id": world.programme.round.public_id,
        "programme:assessment_round_recompute.public_id": world.programme.round.public_id,
        "programme:assessment_round_close.public_id": world.programme.round.public_id,
        "programme:assessment_round_export.public_id": world.programme.round.public_id,
        "programme:assessment_reports.public_id": world.programme.round.public_id,
        "programme:assessment_checks.public_id": world.programme.round.public_id,
        "programme:assessment_results.public_id": world.programme.round.public_id,
        "programme.community_id": world.programme.community_id,
        # The public page of the community the walk's request was filed in.
        "open_data:community.code": world.request.grid.parent.code,
        "open_data:dataset_csv.dataset": "requests-by-community-service",
        # A report's pages; the appeal's evidence answers 404 (the demo's report was not appealed).
        "programme:assessment_report.pk": world.programme.report.pk,
        "programme:assessment_report_check.pk": world.programme.report.pk,
        "programme:assessment_report_appeal.pk": world.programme.report.pk,
        "programme:assessment_report_evidence.pk": world.programme.report.pk,
        "programme:assessment_report_appeal_evidence.pk": world.programme.report.pk,
        # Indicators of a draft system: none in the demo (its system is in force), so 404.
        "programme:assessment_indicator_edit.pk": 0,
        "programme:assessment_indicator_remove.pk": 0,
        "account_confirm_email.key": EmailConfirmationHMAC(email).key,
        "account_reset_password_from_key.uidb36": user_pk_to_url_str(resident_user),
        "account_reset_password_from_key.key": default_token_generator.make_token(resident_user),
    }


def _visit_id(world):
    """A visit with a need to the walk's resident (in the demo grid worker's grid), for the page that
    files it as a request."""
    from workforce.visits import visit_record

    visit = world.resident.visits.exclude(needs_encrypted="").filter(request__isnull=True).first()
    if visit is None and world.resident.is_living_here:
        visit = visit_record(
            actor=world.users["grid"],
            resident=world.resident,
            visited_on=world.resident.created_at.date(),
            mode="in_person",
            condition="fair",
            needs="page walk need",
        )
    return visit.pk if visit else 0


def _course_id(world):
    from workforce.models_training import Course

    course, _made = Course.objects.get_or_create(
        title="page walk course", defaults={"kind": Course.Kind.ONLINE, "created_by": world.users["community"]}
    )
    return course.pk


def _first_audit_event_pk():
    from security.models import AuditEvent

    return AuditEvent.objects.order_by("pk").values_list("pk", flat=True).first()


def _admin_object_ids() -> dict[str, object]:
    """For each model in the admin, the primary key of one of its rows, under `app_model`."""
    ids = {}
    for model in admin.site._registry:
        first = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
        if first is not None:
            ids[f"{model._meta.app_label}_{model._meta.model_name}"] = first
    return ids


def fill(pattern: Pattern, values: dict, admin_ids: dict) -> tuple[str | None, str]:
    """The pattern's URL with its parameters filled, or None and why not."""
    if pattern.key in NOT_VISITED:
        return None, NOT_VISITED[pattern.key]
    if re.fullmatch(r"/admin/\w+/\w+/<path:object_id>/", pattern.key):
        return None, NOT_VISITED["/admin/<app>/<model>/<path:object_id>/"]
    kwargs = {}
    for param in pattern.params:
        if param == "object_id" and pattern.namespace == "admin":
            model = re.sub(r"^admin:|_(change|delete|history)$", "", pattern.key)
            value = admin_ids.get(model)
            if value is None:
                return None, NO_ROW
        else:
            candidates = (f"{pattern.key}.{param}", f"{pattern.namespace}.{param}", param)
            value = next((values[c] for c in candidates if c in values), None)
        if value is None:
            return None, f"the walk cannot fill <{param}>: add a value in tests/page_walk.py"
        kwargs[param] = str(value)
    if ":" in pattern.key or not pattern.key.startswith("/"):
        try:
            return reverse(pattern.key, kwargs=kwargs), ""
        except NoReverseMatch:
            return None, f"the walk's values {kwargs} do not fit: add the right ones in tests/page_walk.py"
    # A pattern without a name (Open311's regular expressions): fill the groups by hand.
    regex = pattern.route
    for param, value in kwargs.items():
        regex = re.sub(rf"\(\?P<{param}>[^)]*\)", value, regex)
    return regex.replace("^", "").replace("$", "").replace("\\.", "."), ""


# --- signing in --------------------------------------------------------------------------------


def signed_in_clients(world) -> dict[str, Client]:
    """A test client per visitor, signed in through the real sign-in form (and the second factor
    where the role needs one), so pages asking for a recent sign-in let them in."""
    # A page that fails answers 500 like in production, and the walk goes on to the next one.
    clients = {"anonymous": Client(raise_request_exception=False)}
    for role, user in world.users.items():
        clients[role] = sign_in(Client(raise_request_exception=False), user, world.password)
    return clients


def sign_in(client: Client, user, password: str) -> Client:
    from security import mfa

    if mfa.mfa_required(user) and not mfa.mfa_enrolled(user):
        from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
        from allauth.mfa.totp.internal.auth import generate_totp_secret

        mfa.mfa_totp_enrol(user=user, secret=generate_totp_secret())
        # As allauth's enrolment does: recovery codes with the app, so their pages have something to show.
        RecoveryCodes.activate(user)
    response = client.post(reverse("account_login"), {"login": user.username, "password": password})
    assert response.status_code == 302, f"{user.username} could not sign in: {response.status_code}"
    if response.url.startswith(reverse("mfa_authenticate")):
        code = mfa.mfa_totp_current_code(user=user)
        response = client.post(reverse("mfa_authenticate"), {"code": code})
        assert response.status_code == 302, f"{user.username}'s code was refused"
    assert client.session.get("_auth_user_id") == str(user.pk), f"{user.username} is not signed in"
    # And confirm the password once more, as allauth asks before a reveal or an export: those
    # pages then open for the next few minutes instead of asking again.
    response = client.post(reverse("account_reauthenticate"), {"password": password})
    assert response.status_code == 302, f"{user.username} could not confirm the password"
    return client


# --- the walk ----------------------------------------------------------------------------------


@dataclass
class Walk:
    visits: list[Visit]
    not_visited: dict[str, str]  # pattern key → why


def walk(world, clients: dict[str, Client]) -> Walk:
    """GET every pattern's URL as the first visitor let in; where nobody is, a redirect onwards or
    else the first refusal (still a response whose headers count). Every failure (5xx) is kept."""
    values = path_values(world)
    admin_ids = _admin_object_ids()
    visits, not_visited = [], {}
    for pattern in url_patterns():
        url, why = fill(pattern, values, admin_ids)
        if url is None:
            not_visited[pattern.key] = why
            continue
        chosen, failed = None, []
        for visitor in VISITORS:
            visit = _get(clients[visitor], pattern.key, url, visitor)
            if visit.status >= 500:
                failed.append(visit)  # whoever it fails for, it counts
            if visit.status == 200:
                chosen = visit
                break
            # Nobody let in yet: a redirect onwards (not to signing in) beats a refusal.
            if chosen is None or (_redirects_onwards(visit) and not _redirects_onwards(chosen)):
                chosen = visit
        visits.append(chosen)
        visits.extend(visit for visit in failed if visit is not chosen)
        for visitor in ALSO_AS.get(pattern.key, ()):
            if visitor != chosen.visitor:
                visits.append(_get(clients[visitor], pattern.key, url, visitor))
    return Walk(visits=visits, not_visited=not_visited)


def _get(client: Client, key: str, url: str, visitor: str) -> Visit:
    response = client.get(url)
    body = b"" if getattr(response, "streaming", False) else response.content
    return Visit(
        key=key,
        url=url,
        visitor=visitor,
        status=response.status_code,
        content_type=response.get("Content-Type", ""),
        headers=dict(response.headers),
        body=body,
    )


def _redirects_onwards(visit: Visit) -> bool:
    location = visit.headers.get("Location", "")
    to_sign_in = location.startswith((reverse("account_login"), "/admin/login/")) or "/2fa/" in location
    return visit.status in (301, 302, 303) and not to_sign_in


def _assessment_year() -> int:
    from workforce.assessment import last_year

    return last_year()
