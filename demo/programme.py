"""Demo smart-community programme (issue 19): four construction projects in Shunqing, the default
indicator system in force, a finished assessment round for the last half-year and an open one for the
current half-year.

- 大东街社区智慧门禁改造 (demo_subdistrict, district budget): two milestones reached, the installation
  overdue, so it is delayed;
- 中城街道智慧养老服务平台 (demo_subdistrict, higher-level funds): every milestone reached and accepted,
  with its acceptance document;
- 全区智慧社区综合信息平台 (demo_leader, enterprise funds, communities of three subdistricts): nearly its
  whole budget spent;
- 模范街社区智慧物业与停车改造 (demo_subdistrict, social capital) with demo_partner's property company as
  partner, so demo_partner sees it.

demo_leader publishes the default indicator system and opens the round of the last half-year;
demo_community reports the smart access control coverage of their community with a photo's worth of
evidence (a PDF), demo_subdistrict accepts it and demo_leader closes the round, so every community has
a score and a rank, and demo_community sees theirs with its breakdown.

Everything is written through the services of programme.projects and programme.assessment, so each
step is audited once; every part is skipped when it exists (a project by its name, the system in force,
a round by its period), so a second run adds nothing and records no audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from directory.models import Area, Organisation
from programme import assessment
from programme.models import AcceptanceDecision, AssessmentRound, ConstructionProject, Indicator
from programme.projects import PlannedMilestone, acceptance_record, milestone_reach, project_create, spend_record
from security.models import User

# The reported indicator demo_community reports (programme.assessment.DEFAULT_REPORTED).
DEMO_REPORTED_INDICATOR = "smart_access_coverage"


def _pdf(name: str) -> SimpleUploadedFile:
    """A small, valid PDF standing in for a scanned invoice, contract or photo sheet."""
    content = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@dataclass(frozen=True)
class DemoProject:
    name: str
    username: str  # who registers it and records its steps
    area_code: str
    community_codes: tuple[str, ...]
    department_code: str
    funding_source: str
    budget: str
    description: str
    # (name, planned date in days from today, reached that many days from today or None)
    milestones: tuple[tuple[str, int, int | None], ...]
    # (amount, days ago, purpose)
    spends: tuple[tuple[str, int, str], ...] = ()
    deliverables: tuple[str, ...] = ()
    partner_codes: tuple[str, ...] = ()
    accepted_days_ago: int | None = None


DEMO_PROJECTS = [
    DemoProject(
        name="大东街社区智慧门禁改造",
        username="demo_subdistrict",
        area_code="511302001",
        community_codes=("511302001001", "511302001002"),
        department_code="dept-zjj",
        funding_source="district_budget",
        budget="480000.00",
        description="为大东街、模范街两个社区的 12 个小区出入口安装人脸识别门禁，并接入社区平台。",
        milestones=(("方案设计", -120, -118), ("设备采购", -60, -55), ("安装调试", -20, None), ("验收", 30, None)),
        spends=(("150000.00", 100, "门禁设备首付款"), ("120000.00", 50, "门禁设备到货款")),
        deliverables=("人脸识别门禁 24 套", "门禁管理后台 1 套"),
    ),
    DemoProject(
        name="中城街道智慧养老服务平台",
        username="demo_subdistrict",
        area_code="511302001",
        community_codes=("511302001003",),
        department_code="dept-mzj",
        funding_source="higher_level",
        budget="300000.00",
        description="为文化路社区独居老人配发紧急呼叫设备，建设养老服务平台，对接网格员走访。",
        milestones=(("需求调研", -200, -198), ("平台上线", -90, -92), ("试运行", -40, -38)),
        spends=(("180000.00", 150, "平台开发"), ("106000.00", 35, "呼叫设备及安装")),
        deliverables=("养老服务平台 1 套", "紧急呼叫设备 80 台"),
        accepted_days_ago=10,
    ),
    DemoProject(
        name="全区智慧社区综合信息平台",
        username="demo_leader",
        area_code="511302",
        community_codes=("511302001001", "511302002001", "511302003001"),
        department_code="dept-zjj",
        funding_source="enterprise",
        budget="800000.00",
        description="建设全区统一的智慧社区综合信息平台，先在三个街道的试点社区上线。",
        milestones=(("平台建设", -30, -28), ("试点社区上线", 20, None)),
        spends=(("500000.00", 90, "平台建设合同款"), ("276000.00", 20, "试点接入及培训")),
        deliverables=("综合信息平台 1 套",),
    ),
    DemoProject(
        name="模范街社区智慧物业与停车改造",
        username="demo_subdistrict",
        area_code="511302001",
        community_codes=("511302001002",),
        department_code="dept-zjj",
        funding_source="social_capital",
        budget="200000.00",
        description="与嘉和物业合作，改造小区停车道闸和物业报修系统。",
        milestones=(("停车道闸改造", -15, -14), ("物业报修系统上线", 45, None)),
        spends=(("60000.00", 12, "停车道闸设备"),),
        deliverables=("智能道闸 6 套",),
        partner_codes=("partner-jiahe",),
    ),
]


def _days(n: int) -> date:
    return timezone.localdate() + timedelta(days=n)


def build_demo_project(spec: DemoProject) -> ConstructionProject | None:
    if ConstructionProject.objects.filter(name=spec.name).exists():
        return None
    actor = User.objects.get(username=spec.username)
    project = project_create(
        actor=actor,
        name=spec.name,
        description=spec.description,
        area=Area.objects.get(code=spec.area_code),
        communities=list(Area.objects.filter(code__in=spec.community_codes).order_by("path")),
        department=Organisation.objects.get(code=spec.department_code),
        partners=list(Organisation.objects.filter(code__in=spec.partner_codes)),
        funding_source=spec.funding_source,
        budget=Decimal(spec.budget),
        milestones=[PlannedMilestone(name, _days(planned)) for name, planned, _reached in spec.milestones],
        deliverables=list(spec.deliverables),
    )
    for amount, days_ago, purpose in spec.spends:
        spend_record(
            actor=actor,
            project=project,
            amount=Decimal(amount),
            spent_on=_days(-days_ago),
            purpose=purpose,
            document=_pdf("发票.pdf"),
        )
    reached = {name: day for name, _planned, day in spec.milestones if day is not None}
    for milestone in project.milestones.order_by("planned_date"):
        if milestone.name in reached:
            milestone_reach(actor=actor, milestone=milestone, actual_date=_days(reached[milestone.name]))
    if spec.accepted_days_ago is not None:
        acceptance_record(
            actor=actor,
            project=project,
            decision=AcceptanceDecision.ACCEPTED,
            acceptance_date=_days(-spec.accepted_days_ago),
            opinion="平台功能、设备数量与合同一致，试运行期间运行稳定，同意通过验收。",
            documents=[_pdf("验收报告.pdf")],
        )
    return project


def half_years(today: date) -> tuple[tuple[date, date], tuple[date, date]]:
    """The last finished half-year and the current one: (start, end) each."""
    if today.month >= 7:
        return (date(today.year, 1, 1), date(today.year, 6, 30)), (date(today.year, 7, 1), date(today.year, 12, 31))
    return (date(today.year - 1, 7, 1), date(today.year - 1, 12, 31)), (date(today.year, 1, 1), date(today.year, 6, 30))


def _half_year_name(start: date) -> str:
    return f"{start.year}年{'上' if start.month == 1 else '下'}半年"


def build_demo_assessment(*, district: Area, community: Area) -> None:
    """The default indicator system in force; the last half-year's round, with demo_community's report
    accepted, closed; the current half-year's round open."""
    leader = User.objects.get(username="demo_leader")
    if assessment.system_in_force(district) is None:
        draft = assessment.system_draft_start(district=district, actor=leader)
        assessment.system_publish(system=draft, actor=leader)
    (last_start, last_end), (this_start, this_end) = half_years(timezone.localdate())
    if not AssessmentRound.objects.filter(district=district, period_start=last_start, period_end=last_end).exists():
        finished = assessment.round_open(
            district=district,
            name=_half_year_name(last_start),
            period_start=last_start,
            period_end=last_end,
            report_due=timezone.localdate(),
            actor=leader,
        )
        indicator = Indicator.objects.get(system=finished.system, code=DEMO_REPORTED_INDICATOR)
        report = assessment.report_submit(
            round=finished,
            community=community,
            indicator=indicator,
            value=Decimal(85),
            note="全社区 20 个出入口中 17 个已安装智能门禁，附安装照片和验收单。",
            evidence=_pdf("门禁安装照片.pdf"),
            actor=User.objects.get(username="demo_community"),
        )
        assessment.report_check(report=report, actor=User.objects.get(username="demo_subdistrict"), accept=True)
        assessment.round_close(round=finished, actor=leader)
    if not AssessmentRound.objects.filter(district=district, period_start=this_start, period_end=this_end).exists():
        assessment.round_open(
            district=district,
            name=_half_year_name(this_start),
            period_start=this_start,
            period_end=this_end,
            report_due=this_end + timedelta(days=15),
            actor=leader,
        )


def build_demo_programme(*, district: Area, community: Area) -> None:
    for spec in DEMO_PROJECTS:
        build_demo_project(spec)
    build_demo_assessment(district=district, community=community)
