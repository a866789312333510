"""The government guarantee mechanism (issue 19) on a 360 px phone.

- A subdistrict officer registers a construction project for communities of their subdistrict,
  records a spending entry with its invoice, is refused a spend over what is left of the budget
  (nothing recorded), reaches the milestones and records the acceptance with its papers; anyone sees
  the project's budget, spending and status on the public pages.
- The district's leader publishes the indicator system and opens a round; a community's staff report
  a reported indicator with a photo; the subdistrict's officer accepts it; the leader closes the round,
  and the community's staff see their score and its breakdown, the reported figure among it.
- A spend that does not fit waits for a budget adjustment a district leader approves.
- A rejected report is appealed once, with new evidence, and accepted on appeal.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from programme.assessment import report_submit, round_compute, round_open, system_draft_start, system_publish
from programme.models import (
    AcceptanceDecision,
    AssessmentRound,
    BudgetAdjustment,
    CommunityScore,
    ConstructionProject,
    Indicator,
    IndicatorReport,
    IndicatorSystem,
    IndicatorValue,
    ProjectDocument,
    ProjectSpend,
)
from programme.project_status import STATUS_LABELS, Status
from programme.projects import PlannedMilestone, project_create, spend_record
from security.models import AuditEvent, Role
from services.tests.test_photos import photo_file
from tests.browser.test_phone_journeys import fits_the_screen, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

# The smallest file notice_attachment_clean takes for a PDF (it knows one by its first bytes).
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def pdf(name: str) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF}


def submit(page, selector: str = "main form[method=post] button[type=submit]") -> None:
    page.click(selector)
    page.wait_for_load_state()


def no_errors(page) -> None:
    errors = page.locator("main .error, main [role=alert], .messages .error")
    assert errors.count() == 0, page.locator("main").inner_text()


def sign_in_again(page, user) -> None:
    page.context.clear_cookies()
    sign_in(page, user.username)


def test_an_officer_registers_spends_reaches_and_accepts_a_project_the_public_sees_it(phone, tree, orgs, make_user):
    officer = make_user(Role.SUBDISTRICT_OFFICER, tree.s1, first_name="李街道")
    today = timezone.localdate()
    sign_in(phone, officer.username)

    # Registering: the subdistrict's communities, a department, a partner, the money and two milestones.
    phone.goto("/programme/")
    assert fits_the_screen(phone)
    phone.click("main a[href='/programme/projects/new/']")
    phone.wait_for_load_state()
    assert fits_the_screen(phone)
    assert phone.locator(f"input[name=communities][value='{tree.c2.pk}']").count() == 0  # another subdistrict's
    phone.fill("input[name=name]", "智慧门禁改造")
    phone.fill("textarea[name=description]", "为一社区各楼栋安装智能门禁")
    phone.check(f"input[name=communities][value='{tree.c1.pk}']")
    phone.select_option("select[name=department]", str(orgs.dept.pk))
    phone.check(f"input[name=partners][value='{orgs.partner.pk}']")
    phone.select_option("select[name=funding_source]", "district_budget")
    phone.fill("input[name=budget]", "100000")
    phone.fill("input[name=milestone_name_0]", "设备采购")
    phone.fill("input[name=milestone_date_0]", (today + timedelta(days=30)).isoformat())
    phone.fill("input[name=milestone_name_1]", "安装调试")
    phone.fill("input[name=milestone_date_1]", (today + timedelta(days=60)).isoformat())
    phone.fill("textarea[name=deliverables]", "门禁设备 40 套")
    submit(phone)
    no_errors(phone)
    project = ConstructionProject.objects.get(name="智慧门禁改造")
    assert phone.url.endswith(f"/programme/projects/{project.public_id}/")
    assert (project.area, project.department, project.funding_source, project.budget) == (
        tree.s1,
        orgs.dept,
        "district_budget",
        Decimal("100000.00"),
    )
    assert list(project.communities.all()) == [tree.c1]
    assert list(project.partners.all()) == [orgs.partner]
    assert [m.name for m in project.milestones.all()] == ["设备采购", "安装调试"]
    assert phone.locator("main .status-not_started").count() == 1
    assert fits_the_screen(phone)
    detail = f"/programme/projects/{project.public_id}/"

    # A spending entry with its invoice.
    phone.click(f"main a[href='{detail}spend/']")
    phone.wait_for_load_state()
    assert fits_the_screen(phone)
    phone.fill("input[name=amount]", "60000")
    phone.fill("input[name=spent_on]", today.isoformat())
    phone.fill("input[name=purpose]", "门禁设备首付款")
    phone.set_input_files("input[name=document]", files=[pdf("发票.pdf")])
    submit(phone)
    no_errors(phone)
    assert phone.url.endswith(detail)
    spend = ProjectSpend.objects.get(project=project)
    assert (spend.amount, spend.purpose, spend.content_type, spend.recorded_by) == (
        Decimal("60000.00"),
        "门禁设备首付款",
        "application/pdf",
        officer,
    )
    assert "60,000.00" in phone.locator("main dl.facts").inner_text()  # spent to date
    invoice = f"{detail}spends/{spend.pk}/document/"
    assert phone.locator(f"main a[href='{invoice}']").count() == 1
    assert phone.request.get(invoice).body() == PDF  # served to the officer, not from a media URL
    assert fits_the_screen(phone)

    # More than is left: refused beside the amount, naming what is left, and nothing recorded.
    phone.click(f"main a[href='{detail}spend/']")
    phone.wait_for_load_state()
    phone.fill("input[name=amount]", "50000")
    phone.fill("input[name=spent_on]", today.isoformat())
    phone.fill("input[name=purpose]", "门禁设备尾款")
    phone.set_input_files("input[name=document]", files=[pdf("尾款发票.pdf")])
    submit(phone)
    refusal = phone.locator("main .field.has-error:has(input[name=amount]) .error").inner_text()
    assert "40,000.00" in refusal and "100,000.00" in refusal and "超出批复预算" in refusal  # in the phone's Chinese
    assert fits_the_screen(phone)
    assert ProjectSpend.objects.filter(project=project).count() == 1
    project.refresh_from_db()
    assert project.spent == Decimal("60000.00")

    # The milestones reached, then the acceptance with its papers.
    for milestone in project.milestones.all():
        phone.goto(detail)
        phone.click(f"main a[href='{detail}milestones/{milestone.pk}/reach/']")
        phone.wait_for_load_state()
        assert fits_the_screen(phone)
        phone.fill("input[name=actual_date]", today.isoformat())
        submit(phone)
        no_errors(phone)
    assert phone.locator("main .status-awaiting_acceptance").count() == 1
    assert all(m.actual_date == today for m in project.milestones.all())
    phone.click(f"main a[href='{detail}acceptance/']")
    phone.wait_for_load_state()
    assert fits_the_screen(phone)
    phone.check(f"input[name=decision][value={AcceptanceDecision.ACCEPTED}]")
    phone.fill("input[name=acceptance_date]", today.isoformat())
    phone.fill("textarea[name=opinion]", "设备安装到位，运行正常，同意验收。")
    phone.set_input_files("input[name=documents]", files=[pdf("验收报告.pdf")])
    submit(phone)
    no_errors(phone)
    assert phone.url.endswith(detail)
    assert phone.locator("main .status-accepted").count() == 1
    assert "同意验收" in phone.locator("main").inner_text()
    assert phone.locator(f"main a[href='{detail}spend/']").count() == 0  # read-only once accepted
    assert fits_the_screen(phone)
    project.refresh_from_db()
    assert (project.acceptance_decision, project.acceptance_date, project.accepted_by) == (
        AcceptanceDecision.ACCEPTED,
        today,
        officer,
    )
    [paper] = ProjectDocument.objects.filter(project=project)
    assert (paper.kind, paper.content_type) == (ProjectDocument.Kind.ACCEPTANCE, "application/pdf")

    recorded = list(
        AuditEvent.objects.filter(actor=officer, action__startswith="programme.")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert recorded == [
        "programme.project_create",
        "programme.spend_record",
        "programme.milestone_reach",
        "programme.milestone_reach",
        "programme.acceptance_record",
    ]

    # Anyone: the public pages show the budget, the spending and the status; no documents.
    with translation.override("zh-hans"):
        accepted_label = str(STATUS_LABELS[Status.ACCEPTED])
    phone.context.clear_cookies()
    phone.goto("/programme/public/projects/")
    assert fits_the_screen(phone)
    card = phone.locator("main ul.list > li", has_text="智慧门禁改造")
    text = card.inner_text()
    assert "100,000.00" in text and "60,000.00" in text and "2/2" in text
    assert card.locator(".status-accepted").inner_text() == accepted_label
    card.locator(f"a[href='/programme/public/projects/{project.public_id}/']").click()
    phone.wait_for_load_state()
    assert fits_the_screen(phone)
    main = phone.locator("main")
    assert main.locator("dl.facts .status").inner_text() == accepted_label
    assert "100,000.00" in main.inner_text() and "60,000.00" in main.inner_text()
    assert main.locator("a[href*='/document']").count() == 0
    assert "李街道" not in main.inner_text()
    assert PDF not in phone.request.get(invoice).body()  # the invoice is not for anyone


def test_the_district_assesses_a_community_that_reports_a_figure_the_subdistrict_accepts(phone, tree, make_user):
    leader = make_user(Role.DISTRICT_LEADER, tree.d, first_name="赵区长")
    staff = make_user(Role.COMMUNITY_STAFF, tree.c1, first_name="钱社区")
    officer = make_user(Role.SUBDISTRICT_OFFICER, tree.s1, first_name="孙街道")
    today = timezone.localdate()

    # The district's leader starts from the default system, sets the access-control target, publishes it.
    sign_in(phone, leader.username)
    phone.goto("/programme/")
    phone.click("main a[href='/programme/indicators/']")
    phone.wait_for_load_state()
    assert fits_the_screen(phone)
    submit(phone, "#in-force form[action='/programme/indicators/new/'] button[type=submit]")
    no_errors(phone)
    assert fits_the_screen(phone)
    draft = IndicatorSystem.objects.get(district=tree.d, status=IndicatorSystem.Status.DRAFT)
    access = draft.indicators.get(code="smart_access_coverage")
    phone.click(f"#draft #indicator-smart_access_coverage a[href='/programme/indicators/draft/{access.pk}/']")
    phone.wait_for_load_state()
    assert fits_the_screen(phone)
    assert phone.locator("input[name=name_zh]").input_value() == "智能门禁覆盖率"
    phone.fill("input[name=target]", "90")
    submit(phone)
    no_errors(phone)
    assert "90%" in phone.locator("#draft #indicator-smart_access_coverage").inner_text()
    submit(phone, "#draft form[action='/programme/indicators/publish/'] button[type=submit]")
    no_errors(phone)
    assert fits_the_screen(phone)
    draft.refresh_from_db()
    assert draft.status == IndicatorSystem.Status.IN_FORCE and draft.version == 1
    access.refresh_from_db()
    assert access.target == Decimal("90")
    assert phone.locator("#in-force #indicator-smart_access_coverage").count() == 1

    # A round over the last half-year; its computed indicators are computed by a task on commit, here
    # run in this process as the worker would.
    phone.goto("/programme/rounds/")
    phone.click("main a[href='/programme/rounds/open/']")
    phone.wait_for_load_state()
    assert fits_the_screen(phone)
    phone.fill("input[name=name]", "2026年下半年考核")
    phone.fill("input[name=period_start]", "2026-06-01")
    phone.fill("input[name=period_end]", "2026-11-30")
    phone.fill("input[name=report_due]", (today + timedelta(days=14)).isoformat())
    submit(phone)
    no_errors(phone)
    round_ = AssessmentRound.objects.get(district=tree.d)
    assert (round_.system, round_.status, round_.computed_at) == (draft, AssessmentRound.Status.OPEN, None)
    page_of_round = f"/programme/rounds/{round_.public_id}/"
    assert phone.url.endswith(page_of_round)
    assert fits_the_screen(phone)
    computed_before = phone.locator("#computed").inner_text()
    round_compute(round=round_)
    phone.reload()
    assert phone.locator("#computed").inner_text() != computed_before
    round_.refresh_from_db()
    assert round_.computed_at is not None

    # The community's staff report the access-control coverage with a photo; the other figure is left out.
    sign_in_again(phone, staff)
    phone.goto("/programme/rounds/")
    phone.click(f"main a[href='{page_of_round}']")
    phone.wait_for_load_state()
    assert fits_the_screen(phone)
    phone.click(f"main a[href='{page_of_round}reports/?community={tree.c1.pk}']")
    phone.wait_for_load_state()
    assert fits_the_screen(phone)
    section = phone.locator("#indicator-smart_access_coverage")
    section.locator("input[name=value]").fill("85")
    section.locator("textarea[name=note]").fill("40 个单元中 34 个已装智能门禁")
    photo = photo_file("门禁.jpg")
    section.locator("input[name=evidence]").set_input_files(
        files=[{"name": "门禁.jpg", "mimeType": "image/jpeg", "buffer": photo.read()}]
    )
    submit(phone, "#indicator-smart_access_coverage button[type=submit]")
    no_errors(phone)
    assert fits_the_screen(phone)
    report = IndicatorReport.objects.get(round=round_, community=tree.c1)
    assert (report.indicator, report.value, report.status, report.content_type, report.reported_by) == (
        access,
        Decimal("85"),
        IndicatorReport.Status.SUBMITTED,
        "image/jpeg",
        staff,
    )
    assert phone.locator(f"#indicator-smart_access_coverage a[href='/programme/reports/{report.pk}/']").count() == 1

    # The subdistrict's officer finds it in the queue, opens the evidence and accepts it.
    sign_in_again(phone, officer)
    phone.goto(page_of_round)
    phone.click(f"main a[href='{page_of_round}checks/']")
    phone.wait_for_load_state()
    assert fits_the_screen(phone)
    phone.click(f"main ul.reports a[href='/programme/reports/{report.pk}/']")
    phone.wait_for_load_state()
    assert fits_the_screen(phone)
    evidence = phone.request.get(f"/programme/reports/{report.pk}/evidence/")
    assert evidence.ok and evidence.headers["content-type"] == "image/jpeg"
    phone.check("#check input[name=decision][value=accept]")
    submit(phone, "#check button[type=submit]")
    no_errors(phone)
    assert phone.locator("#check").count() == 0  # decided
    assert fits_the_screen(phone)
    report.refresh_from_db()
    assert (report.status, report.checked_by) == (IndicatorReport.Status.ACCEPTED, officer)

    # The leader closes the round: every community scored and ranked.
    sign_in_again(phone, leader)
    phone.goto(page_of_round)
    submit(phone, f"#run form[action='{page_of_round}close/'] button[type=submit]")
    no_errors(phone)
    assert fits_the_screen(phone)
    round_.refresh_from_db()
    assert round_.status == AssessmentRound.Status.CLOSED
    scores = {score.community_id: score for score in CommunityScore.objects.filter(round=round_)}
    assert set(scores) == {tree.c1.pk, tree.c2.pk}
    mine = scores[tree.c1.pk]
    # C2 reported nothing: its reported indicators score 0, so C1 leads.
    assert mine.total > scores[tree.c2.pk].total
    assert (mine.rank_in_district, mine.rank_in_subdistrict, mine.previous_total) == (1, 1, None)
    value = IndicatorValue.objects.get(round=round_, community=tree.c1, indicator=access)
    assert (value.value, value.score) == (Decimal("85"), Decimal("94.44"))  # 85 of the target 90
    assert phone.locator("#league").count() == 1

    # The community's staff see the score, the ranks and the breakdown, the reported figure in it.
    sign_in_again(phone, staff)
    phone.goto("/programme/")
    phone.click("main a[href='/programme/results/']")
    phone.wait_for_load_state()
    assert phone.url.endswith(f"{page_of_round}communities/{tree.c1.pk}/")
    assert fits_the_screen(phone)
    score = phone.locator("#score").inner_text()
    assert str(mine.total) in score
    row = phone.locator("#breakdown #row-smart_access_coverage").inner_text()
    assert "85%" in row and "90%" in row and "94.44" in row
    rows = phone.locator("#breakdown tbody tr")
    assert rows.count() == Indicator.objects.filter(system=draft).count()
    # Worst first: the video coverage nobody reported loses its whole weight.
    assert rows.first.get_attribute("id") == "row-video_coverage"

    by = {
        "programme.system_draft": leader,
        "programme.indicator_update": leader,
        "programme.system_publish": leader,
        "programme.round_open": leader,
        "programme.report_submit": staff,
        "programme.report_accept": officer,
        "programme.round_close": leader,
    }
    for action, actor in by.items():
        assert AuditEvent.objects.filter(action=action, actor=actor).count() == 1, action
    assert AuditEvent.objects.filter(action="programme.round_compute", actor=None).exists()


def test_an_overspend_waits_for_a_budget_adjustment_a_district_leader_approves(phone, tree, orgs, make_user):
    officer = make_user(Role.SUBDISTRICT_OFFICER, tree.s1)
    leader = make_user(Role.DISTRICT_LEADER, tree.d)
    today = timezone.localdate()
    project = project_create(
        actor=officer,
        name="社区养老驿站智能化",
        area=tree.s1,
        communities=[tree.c1],
        department=orgs.dept,
        funding_source="higher_level",
        budget="100000",
        milestones=[PlannedMilestone("设备安装", today + timedelta(days=30))],
    )
    spend_record(
        actor=officer,
        project=project,
        amount="60000",
        spent_on=today,
        purpose="呼叫设备",
        document=SimpleUploadedFile("发票.pdf", PDF, content_type="application/pdf"),
    )
    detail = f"/programme/projects/{project.public_id}/"

    # The officer finds the project in the list; 50,000 more does not fit, so they ask for 20,000 more.
    sign_in(phone, officer.username)
    phone.goto("/programme/projects/")
    assert fits_the_screen(phone)
    phone.click(f"main ul.list a[href='{detail}']")
    phone.wait_for_load_state()
    phone.click(f"main a[href='{detail}spend/']")
    phone.wait_for_load_state()
    phone.fill("input[name=amount]", "50000")
    phone.fill("input[name=spent_on]", today.isoformat())
    phone.fill("input[name=purpose]", "软件平台")
    phone.set_input_files("input[name=document]", files=[pdf("合同.pdf")])
    submit(phone)
    assert "40,000.00" in phone.locator("main .field.has-error:has(input[name=amount]) .error").inner_text()
    assert ProjectSpend.objects.filter(project=project).count() == 1
    phone.goto(detail)
    phone.click(f"main a[href='{detail}adjust/']")
    phone.wait_for_load_state()
    assert fits_the_screen(phone)
    phone.fill("input[name=amount]", "20000")
    phone.fill("textarea[name=reason]", "增加软件平台建设内容")
    submit(phone)
    no_errors(phone)
    adjustment = BudgetAdjustment.objects.get(project=project)
    assert (adjustment.amount, adjustment.status, adjustment.requested_by) == (
        Decimal("20000.00"),
        BudgetAdjustment.Status.PENDING,
        officer,
    )
    assert phone.locator("main .status-pending").count() == 1
    project.refresh_from_db()
    assert project.adjustments == 0  # nothing changes before the decision

    # A district leader approves it from the queue.
    sign_in_again(phone, leader)
    phone.goto("/programme/")
    phone.click("main a[href='/programme/projects/adjustments/']")
    phone.wait_for_load_state()
    assert fits_the_screen(phone)
    phone.click(f"main a[href='/programme/projects/adjustments/{adjustment.pk}/']")
    phone.wait_for_load_state()
    assert fits_the_screen(phone)
    assert "120,000.00" in phone.locator("main dl.facts").inner_text()  # the approved budget after
    phone.fill("textarea[name=note]", "同意")
    submit(phone, "main button[name=action][value=approve]")
    no_errors(phone)
    assert phone.url.endswith("/programme/projects/adjustments/")
    adjustment.refresh_from_db()
    project.refresh_from_db()
    assert (adjustment.status, adjustment.decided_by, project.adjustments) == (
        BudgetAdjustment.Status.APPROVED,
        leader,
        Decimal("20000.00"),
    )

    # Now the spending fits.
    sign_in_again(phone, officer)
    phone.goto(f"{detail}spend/")
    phone.fill("input[name=amount]", "50000")
    phone.fill("input[name=spent_on]", today.isoformat())
    phone.fill("input[name=purpose]", "软件平台")
    phone.set_input_files("input[name=document]", files=[pdf("合同.pdf")])
    submit(phone)
    no_errors(phone)
    assert phone.url.endswith(detail)
    facts = phone.locator("main dl.facts").inner_text()
    assert "120,000.00" in facts and "110,000.00" in facts
    assert fits_the_screen(phone)
    project.refresh_from_db()
    assert project.spent == Decimal("110000.00")
    assert ProjectSpend.objects.filter(project=project).count() == 2
    assert AuditEvent.objects.filter(action="programme.adjustment_request", actor=officer).count() == 1
    assert AuditEvent.objects.filter(action="programme.adjustment_approve", actor=leader).count() == 1
    assert AuditEvent.objects.filter(action="programme.spend_record", actor=officer).count() == 2


def test_a_rejected_report_is_appealed_once_and_accepted_on_appeal(phone, tree, make_user):
    leader = make_user(Role.DISTRICT_LEADER, tree.d)
    staff = make_user(Role.COMMUNITY_STAFF, tree.c1)
    officer = make_user(Role.SUBDISTRICT_OFFICER, tree.s1)
    today = timezone.localdate()
    system = system_publish(system=system_draft_start(district=tree.d, actor=leader), actor=leader)
    round_ = round_open(
        district=tree.d,
        name="2026年下半年考核",
        period_start=today - timedelta(days=180),
        period_end=today - timedelta(days=1),
        report_due=today + timedelta(days=14),
        actor=leader,
    )
    video = system.indicators.get(code="video_coverage")
    report = report_submit(
        round=round_,
        community=tree.c1,
        indicator=video,
        value="70",
        evidence=SimpleUploadedFile("监控.pdf", PDF, content_type="application/pdf"),
        actor=staff,
    )
    page_of_report = f"/programme/reports/{report.pk}/"

    # The subdistrict rejects it, saying why.
    sign_in(phone, officer.username)
    phone.goto(f"/programme/rounds/{round_.public_id}/checks/")
    assert fits_the_screen(phone)
    phone.click(f"main ul.reports a[href='{page_of_report}']")
    phone.wait_for_load_state()
    phone.check("#check input[name=decision][value=reject]")
    submit(phone, "#check button[type=submit]")  # no reason: refused beside the field
    assert phone.locator("#check .field.has-error:has(textarea[name=reason])").count() == 1
    report.refresh_from_db()
    assert report.status == IndicatorReport.Status.SUBMITTED
    phone.check("#check input[name=decision][value=reject]")
    phone.fill("#check textarea[name=reason]", "照片看不出覆盖范围")
    submit(phone, "#check button[type=submit]")
    no_errors(phone)
    report.refresh_from_db()
    assert (report.status, report.check_reason) == (IndicatorReport.Status.REJECTED, "照片看不出覆盖范围")

    # The community appeals once, with new evidence and its grounds.
    sign_in_again(phone, staff)
    phone.goto(page_of_report)
    assert fits_the_screen(phone)
    assert "照片看不出覆盖范围" in phone.locator("main dl.facts").inner_text()
    phone.fill("#appeal textarea[name=grounds]", "补充各点位监控画面截图")
    phone.set_input_files("#appeal input[name=evidence]", files=[pdf("监控点位.pdf")])
    submit(phone, "#appeal button[type=submit]")
    no_errors(phone)
    assert phone.locator("#appeal").count() == 0  # once
    assert fits_the_screen(phone)
    report.refresh_from_db()
    assert (report.status, report.appeal_note, report.appeal_content_type) == (
        IndicatorReport.Status.APPEALED,
        "补充各点位监控画面截图",
        "application/pdf",
    )

    # The subdistrict decides the appeal: accepted, finally.
    sign_in_again(phone, officer)
    phone.goto(page_of_report)
    assert phone.request.get(f"{page_of_report}appeal-evidence/").body() == PDF
    phone.check("#check input[name=decision][value=accept]")
    submit(phone, "#check button[type=submit]")
    no_errors(phone)
    assert phone.locator("#check").count() == 0
    report.refresh_from_db()
    assert report.status == IndicatorReport.Status.APPEAL_ACCEPTED
    assert AuditEvent.objects.filter(action="programme.report_reject", actor=officer).count() == 1
    assert AuditEvent.objects.filter(action="programme.report_appeal", actor=staff).count() == 1
    assert AuditEvent.objects.filter(action="programme.appeal_accept", actor=officer).count() == 1
