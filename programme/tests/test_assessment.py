"""The indicator system, the rounds and the reports (programme.assessment): the services, their
permissions, bad input, audit events and notifications. The computations are test ones registered
in programme.indicators.COMPUTATIONS, so these tests do not depend on the other apps' data."""

import io
import json
from datetime import timedelta
from decimal import Decimal as D
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from directory.models import Area
from notifications.models import OutboxMessage
from programme import assessment
from programme.assessment import (
    indicator_remove,
    indicator_save,
    report_appeal,
    report_check,
    report_submit,
    round_close,
    round_compute,
    round_open,
    round_recompute,
    system_draft_discard,
    system_draft_start,
    system_publish,
)
from programme.assessment_selectors import league_for, round_results
from programme.models import (
    AssessmentRound,
    CommunityScore,
    Indicator,
    IndicatorGroup,
    IndicatorReport,
    IndicatorSystem,
    IndicatorValue,
)
from programme.tasks import round_compute_task
from security.models import AuditEvent, Role
from tests.factories import AreaFactory

pytestmark = pytest.mark.django_db
WEIGHTS = {"on_time": 40, "incidents": 20, "smart_access_coverage": 30, "video_coverage": 10}
FIELDS = ("code", "group", "name_zh", "name_en", "weight", "target", "direction", "source", "computation", "unit")


# --- fixtures shared with the pages' tests -------------------------------------------------------
@pytest.fixture
def registry(monkeypatch):
    """Two test computations in place of the portal's: their values are whatever the test puts in
    `values[(key, community pk)]`; `calls` records each call."""
    from programme import indicators

    values: dict = {}
    calls: list = []

    def computation(key, group, direction, target):
        def run(communities, start, end):
            calls.append((key, len(communities), start, end))
            return {
                c.pk: indicators.Measured(values.get((key, c.pk)), {"counted": 1, "hours": D("1.5")})
                for c in communities
            }

        return indicators.Computation(f"Test {key}", "%", group, direction, D(target), run)

    monkeypatch.setattr(
        indicators,
        "COMPUTATIONS",
        {
            "on_time": computation("on_time", IndicatorGroup.SERVICE, "higher", 90),
            "incidents": computation("incidents", IndicatorGroup.SECURITY, "lower", 0),
        },
    )
    return SimpleNamespace(values=values, calls=calls)


@pytest.fixture
def people(tree, orgs, make_user):
    other = AreaFactory(code="E", kind=Area.Kind.DISTRICT)
    return SimpleNamespace(
        leader=make_user(Role.DISTRICT_LEADER, tree.d),
        other_leader=make_user(Role.DISTRICT_LEADER, other),
        sub1=make_user(Role.SUBDISTRICT_OFFICER, tree.s1),
        sub2=make_user(Role.SUBDISTRICT_OFFICER, tree.s2),
        staff1=make_user(Role.COMMUNITY_STAFF, tree.c1),
        staff2=make_user(Role.COMMUNITY_STAFF, tree.c2),
        auditor=make_user(Role.AUDITOR, tree.d),
        resident=make_user(Role.RESIDENT, tree.g1),
        partner=make_user(Role.PARTNER_OPERATOR, tree.s1, organisation=orgs.partner),
        other_district=other,
    )


def fields_of(indicator: Indicator) -> dict:
    return {name: getattr(indicator, name) for name in FIELDS}


def publish_system(leader, district) -> IndicatorSystem:
    """The default system with the test computations, weighted as WEIGHTS, published."""
    draft = system_draft_start(district=district, actor=leader)
    for indicator in draft.indicators.all():
        indicator_save(
            system=draft,
            actor=leader,
            indicator=indicator,
            **fields_of(indicator) | {"weight": WEIGHTS[indicator.code]},
        )
    return system_publish(system=draft, actor=leader)


@pytest.fixture
def system(registry, people, tree):
    return publish_system(people.leader, tree.d)


def open_round(people, tree, *, days_back=180, length=180, name="2026年上半年") -> AssessmentRound:
    today = timezone.localdate()
    start = today - timedelta(days=days_back)
    return round_open(
        district=tree.d,
        name=name,
        period_start=start,
        period_end=start + timedelta(days=length - 1),
        report_due=today + timedelta(days=10),
        actor=people.leader,
    )


@pytest.fixture
def round_(system, people, tree):
    return open_round(people, tree)


def png(name="门禁.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def pdf(name="证明.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", content_type="application/pdf"
    )


def reported(round_, code) -> Indicator:
    return round_.system.indicators.get(code=code)


def submit(round_, people, tree, *, code="smart_access_coverage", value="80", community=None, actor=None):
    return report_submit(
        round=round_,
        community=community or tree.c1,
        indicator=reported(round_, code),
        value=value,
        note="全部单元已安装",
        evidence=png(),
        actor=actor or people.staff1,
    )


def actions() -> list[str]:
    """The programme's audit events so far, in order."""
    return list(
        AuditEvent.objects.filter(action__startswith="programme.").order_by("pk").values_list("action", flat=True)
    )


# --- the indicator system ------------------------------------------------------------------------
def test_the_first_draft_is_the_default_system_from_the_registry_and_the_reported_figures(registry, people, tree):
    draft = system_draft_start(district=tree.d, actor=people.leader)
    rows = list(draft.indicators.values_list("code", "source", "computation", "weight", "direction", "target"))
    assert rows == [
        ("on_time", "computed", "on_time", 0, "higher", D(90)),
        ("incidents", "computed", "incidents", 0, "lower", D(0)),
        ("smart_access_coverage", "reported", "", 10, "higher", D(100)),
        ("video_coverage", "reported", "", 8, "higher", D(100)),
    ]
    assert draft.indicators.get(code="on_time").name_en == "Test on_time"
    assert (draft.version, draft.status) == (1, IndicatorSystem.Status.DRAFT)
    event = AuditEvent.objects.get(action="programme.system_draft")
    assert event.actor == people.leader and event.details == {"version": 1, "copied_from": "default"}
    with pytest.raises(ValidationError, match="already being edited"):
        system_draft_start(district=tree.d, actor=people.leader)


def test_the_real_registry_gives_a_default_system_that_publishes(people, tree):
    draft = system_draft_start(district=tree.d, actor=people.leader)
    assert sum(draft.indicators.values_list("weight", flat=True)) == 100
    assert assessment.system_problems(draft) == []
    assert system_publish(system=draft, actor=people.leader).status == IndicatorSystem.Status.IN_FORCE


def test_publishing_checks_the_weights_and_the_computations_and_changes_nothing_when_refused(registry, people, tree):
    draft = system_draft_start(district=tree.d, actor=people.leader)
    with pytest.raises(ValidationError) as refused:
        system_publish(system=draft, actor=people.leader)
    assert "The weights must add up to 100; they add up to 18." in refused.value.messages
    Indicator.objects.filter(system=draft, code="on_time").update(weight=82, computation="gone")
    with pytest.raises(ValidationError) as refused:
        system_publish(system=draft, actor=people.leader)
    assert refused.value.messages == ["Test on_time names a computation the portal does not know: gone."]
    draft.refresh_from_db()
    assert draft.status == IndicatorSystem.Status.DRAFT and draft.published_at is None
    assert "programme.system_publish" not in actions()


def test_a_new_version_copies_the_one_in_force_and_retires_it_when_published_rounds_keep_theirs(registry, people, tree):
    first = publish_system(people.leader, tree.d)
    round_ = open_round(people, tree)
    draft = system_draft_start(district=tree.d, actor=people.leader)
    assert draft.version == 2
    assert [fields_of(i) for i in draft.indicators.all()] == [fields_of(i) for i in first.indicators.all()]
    on_time = draft.indicators.get(code="on_time")
    indicator_save(system=draft, actor=people.leader, indicator=on_time, **fields_of(on_time) | {"weight": 30})
    indicator_save(
        system=draft,
        actor=people.leader,
        **fields_of(on_time) | {"code": "wifi", "source": "reported", "computation": "", "weight": 10},
    )
    system_publish(system=draft, actor=people.leader)
    first.refresh_from_db()
    assert first.status == IndicatorSystem.Status.RETIRED
    assert IndicatorSystem.objects.get(status="in_force") == draft
    round_.refresh_from_db()
    assert round_.system == first and first.indicators.get(code="on_time").weight == 40
    # Only a draft is edited: neither the retired version nor the one in force.
    for system in (first, draft):
        indicator = system.indicators.get(code="on_time")
        with pytest.raises(ValidationError, match="Only a draft is edited"):
            indicator_save(system=system, actor=people.leader, indicator=indicator, **fields_of(indicator))
        with pytest.raises(ValidationError, match="Only a draft is edited"):
            indicator_remove(indicator=indicator, actor=people.leader)
    event = AuditEvent.objects.filter(action="programme.system_publish").order_by("pk").last()
    assert event.details == {"version": 2, "retired": [1]}


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"code": "两个字"}, "code", "Give a code of up to 40 letters"),
        ({"code": "incidents"}, "code", "Another indicator of this version has the code incidents."),
        ({"name_zh": "  "}, "name_zh", "Give the indicator's Chinese name."),
        ({"weight": 101}, "weight", "Enter a whole weight from 0 to 100."),
        ({"weight": "12"}, "weight", "Enter a whole weight from 0 to 100."),
        ({"target": "-1"}, "target", "Enter a target of 0 or more."),
        ({"target": "NaN"}, "target", "Enter a target of 0 or more."),
        ({"group": "weather"}, "group", "Choose a group from the list."),
        ({"direction": "up"}, "direction", "Choose a direction from the list."),
        ({"computation": "made_up"}, "computation", "Choose a computation from the list."),
        ({"source": "rumour"}, "source", "Choose a source from the list."),
    ],
)
def test_bad_indicator_input_says_why_and_changes_nothing(registry, people, tree, change, field, message):
    draft = system_draft_start(district=tree.d, actor=people.leader)
    on_time = draft.indicators.get(code="on_time")
    before = [fields_of(i) for i in draft.indicators.all()]
    with pytest.raises(ValidationError) as refused:
        indicator_save(system=draft, actor=people.leader, indicator=on_time, **fields_of(on_time) | change)
    assert message in refused.value.message_dict[field][0]
    assert [fields_of(i) for i in draft.indicators.all()] == before
    assert "programme.indicator_update" not in actions()


def test_a_reported_indicator_keeps_no_computation_and_removal_and_discard_are_audited(registry, people, tree):
    draft = system_draft_start(district=tree.d, actor=people.leader)
    added = indicator_save(
        system=draft,
        actor=people.leader,
        **{
            "code": "elderly_canteen",
            "group": "infrastructure",
            "name_zh": "老年食堂",
            "name_en": "",
            "weight": 5,
            "target": "1",
            "direction": "higher",
            "source": "reported",
            "computation": "on_time",
            "unit": "",
        },
    )
    assert (added.computation, added.order) == ("", 5)
    indicator_remove(indicator=added, actor=people.leader)
    assert not draft.indicators.filter(code="elderly_canteen").exists()
    system_draft_discard(system=draft, actor=people.leader)
    assert not IndicatorSystem.objects.exists()
    assert actions()[-3:] == ["programme.indicator_add", "programme.indicator_remove", "programme.system_discard"]


@pytest.mark.parametrize("who", ["sub1", "staff1", "auditor", "other_leader", "resident", "partner"])
def test_only_the_districts_leaders_define_its_system_and_run_its_rounds(registry, people, tree, who):
    actor = getattr(people, who)
    draft = system_draft_start(district=tree.d, actor=people.leader)
    on_time = draft.indicators.get(code="on_time")
    today = timezone.localdate()
    for attempt in (
        lambda: system_draft_start(district=tree.d, actor=actor),
        lambda: indicator_save(system=draft, actor=actor, indicator=on_time, **fields_of(on_time) | {"weight": 9}),
        lambda: indicator_remove(indicator=on_time, actor=actor),
        lambda: system_publish(system=draft, actor=actor),
        lambda: system_draft_discard(system=draft, actor=actor),
        lambda: round_open(
            district=tree.d, name="x", period_start=today, period_end=today, report_due=today, actor=actor
        ),
    ):
        with pytest.raises(PermissionDenied):
            attempt()
    assert actions() == ["programme.system_draft"]


# --- rounds --------------------------------------------------------------------------------------
def test_opening_a_round_queues_its_computation_on_commit_and_the_task_computes_it(
    system, people, tree, registry, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        round_ = open_round(people, tree)
    assert len(callbacks) == 1
    assert round_.system == system and round_.computed_at is None
    json.dumps([round_.pk])  # the task's argument survives the JSON serializer
    assert round_compute_task.apply(args=(round_.pk,)).get() == 4  # 2 communities × 2 computed
    round_.refresh_from_db()
    assert round_.computed_at is not None
    event = AuditEvent.objects.get(action="programme.round_open")
    assert event.actor == people.leader and event.details["system_version"] == 1


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"name": " "}, "name", "Give the round a name."),
        ({"period_end": -200}, "period_end", "The period must end on or after its first day."),
        ({"period_end": 20, "report_due": 15}, "report_due", "Reports are due on or after the period's last day."),
        ({"report_due": -1, "period_end": -2}, "report_due", "The due date for reports has already passed."),
    ],
)
def test_bad_round_input_says_why_and_opens_nothing(system, people, tree, change, field, message):
    today = timezone.localdate()
    values = {"name": "2026年上半年", "period_start": -180, "period_end": -1, "report_due": 10} | change
    dates = {k: today + timedelta(days=v) for k, v in values.items() if k != "name"}
    with pytest.raises(ValidationError) as refused:
        round_open(district=tree.d, name=values["name"], actor=people.leader, **dates)
    assert message in refused.value.message_dict[field][0]
    assert not AssessmentRound.objects.exists()


def test_a_round_needs_a_system_in_force_and_a_period_of_its_own(registry, people, tree):
    with pytest.raises(ValidationError, match="Publish an indicator system"):
        open_round(people, tree)
    publish_system(people.leader, tree.d)
    open_round(people, tree)
    with pytest.raises(ValidationError, match="A round for this period exists already"):
        open_round(people, tree, name="again")
    assert AssessmentRound.objects.count() == 1


def test_the_computation_is_one_call_per_indicator_over_all_communities_and_upserts(round_, registry, tree):
    registry.values[("on_time", tree.c1.pk)] = D(45)
    assert round_compute(round=round_) == 4
    assert sorted(registry.calls) == [
        ("incidents", 2, round_.period_start, round_.period_end),
        ("on_time", 2, round_.period_start, round_.period_end),
    ]
    value = IndicatorValue.objects.get(round=round_, community=tree.c1, indicator__code="on_time")
    assert (value.value, value.score, value.inputs) == (D(45), D(50), {"counted": 1, "hours": "1.5"})
    assert IndicatorValue.objects.get(round=round_, community=tree.c2, indicator__code="on_time").score is None
    registry.values[("on_time", tree.c1.pk)] = D(90)
    round_compute(round=round_)
    assert IndicatorValue.objects.filter(round=round_).count() == 4
    assert IndicatorValue.objects.get(round=round_, community=tree.c1, indicator__code="on_time").score == D(100)
    events = AuditEvent.objects.filter(action="programme.round_compute")
    assert events.count() == 2 and all(e.actor is None for e in events)
    assert events.first().details == {"run": "programme.round_compute", "communities": 2, "values": 4}


def test_the_computation_costs_the_same_queries_for_more_communities(round_, tree):
    with CaptureQueriesContext(connection) as few:
        round_compute(round=round_)
    for n in range(6):
        community = AreaFactory(code=f"C9{n}", kind=Area.Kind.COMMUNITY, parent=tree.s1 if n % 2 else tree.s2)
        AreaFactory(code=f"G9{n}", kind=Area.Kind.GRID, parent=community)
    with CaptureQueriesContext(connection) as many:
        assert round_compute(round=round_) == 16
    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_recompute_is_asked_for_by_a_leader_and_shows_as_computing_until_done(
    round_, people, django_capture_on_commit_callbacks
):
    round_compute(round=round_)
    with django_capture_on_commit_callbacks() as callbacks:
        round_recompute(round=round_, actor=people.leader)
    round_.refresh_from_db()
    assert round_.computed_at is None and len(callbacks) == 1
    with pytest.raises(PermissionDenied):
        round_recompute(round=round_, actor=people.sub1)
    round_compute_task.apply(args=(round_.pk,))
    round_.refresh_from_db()
    assert round_.computed_at is not None
    assert AuditEvent.objects.filter(action="programme.round_recompute", actor=people.leader).exists()


# --- reports -------------------------------------------------------------------------------------
def test_community_staff_report_with_evidence_and_replace_it_until_checked(round_, people, tree):
    report = submit(round_, people, tree)
    assert (report.status, report.value, report.content_type) == ("submitted", D(80), "image/png")
    assert report.file.name.startswith("programme/") and "门禁" not in report.file.name
    assert report.file_name == "门禁.png"
    # The subdistrict's officers hear of it; nobody else.
    assert set(OutboxMessage.objects.values_list("recipient", flat=True)) == {people.sub1.pk}
    replaced = report_submit(
        round=round_,
        community=tree.c1,
        indicator=report.indicator,
        value="85.5",
        note="补充",
        evidence=None,
        actor=people.staff1,
    )
    assert replaced.pk == report.pk and replaced.value == D("85.5") and replaced.file.name == report.file.name
    replaced = submit(round_, people, tree, value="90")
    assert replaced.file.name != report.file.name
    assert actions()[-3:] == ["programme.report_submit", "programme.report_replace", "programme.report_replace"]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"value": "-1"}, "value", "Enter a value of 0 or more."),
        ({"value": "lots"}, "value", "Enter a value of 0 or more."),
        ({"evidence": None}, "evidence", "Attach the evidence"),
        (
            {"evidence": SimpleUploadedFile("x.exe", b"MZ\x90\x00binary", content_type="image/png")},
            "evidence",
            "Attach a photo (JPEG, PNG or WebP) or a PDF file only.",
        ),
        ({"note": "长" * 1001}, "note", "Keep the note under 1000 characters."),
    ],
)
def test_bad_reports_say_why_and_record_nothing(round_, people, tree, change, field, message):
    values = {
        "value": "80",
        "note": "",
        "evidence": png(),
        "community": tree.c1,
        "indicator": reported(round_, "video_coverage"),
    }
    with pytest.raises(ValidationError) as refused:
        report_submit(round=round_, actor=people.staff1, **values | change)
    assert message in refused.value.message_dict[field][0]
    assert not IndicatorReport.objects.exists()


def test_reports_only_for_reported_indicators_in_time_and_by_the_communitys_own_staff(round_, people, tree):
    with pytest.raises(ValidationError, match="not reported by the community"):
        submit(round_, people, tree, code="on_time")
    for who in ("staff2", "sub1", "leader", "resident", "partner"):
        with pytest.raises(PermissionDenied):
            submit(round_, people, tree, actor=getattr(people, who))
    AssessmentRound.objects.filter(pk=round_.pk).update(report_due=timezone.localdate() - timedelta(days=1))
    round_.refresh_from_db()
    with pytest.raises(ValidationError, match="Reports were due by"):
        submit(round_, people, tree)
    assert not IndicatorReport.objects.exists()


def test_the_subdistrict_checks_the_community_appeals_once_and_the_decision_is_final(round_, people, tree):
    report = submit(round_, people, tree)
    with pytest.raises(PermissionDenied):
        report_check(report=report, actor=people.sub2, accept=True)
    with pytest.raises(PermissionDenied):
        report_check(report=report, actor=people.staff1, accept=True)
    with pytest.raises(ValidationError, match="Say why the report is rejected"):
        report_check(report=report, actor=people.sub1, accept=False, reason=" ")
    report = report_check(report=report, actor=people.sub1, accept=False, reason="照片看不清")
    assert (report.status, report.checked_by, report.check_reason) == ("rejected", people.sub1, "照片看不清")
    assert OutboxMessage.objects.filter(recipient=people.staff1, kind="programme_report").exists()
    with pytest.raises(ValidationError, match="can no longer be replaced"):
        submit(round_, people, tree)
    with pytest.raises(ValidationError) as refused:
        report_appeal(report=report, actor=people.staff1, grounds="", evidence=None)
    assert set(refused.value.message_dict) == {"grounds", "evidence"}
    with pytest.raises(PermissionDenied):
        report_appeal(report=report, actor=people.staff2, grounds="重新拍摄", evidence=pdf())
    report = report_appeal(report=report, actor=people.staff1, grounds="重新拍摄", evidence=pdf())
    assert (report.status, report.appeal_content_type, report.appeal_note) == (
        "appealed",
        "application/pdf",
        "重新拍摄",
    )
    with pytest.raises(ValidationError, match="Only a rejected report is appealed"):
        report_appeal(report=report, actor=people.staff1, grounds="再次", evidence=pdf())
    report = report_check(report=report, actor=people.sub1, accept=True, reason="")
    assert report.status == "appeal_accepted"
    with pytest.raises(ValidationError, match="decided already"):
        report_check(report=report, actor=people.sub1, accept=False, reason="改主意")
    assert actions()[-4:] == [
        "programme.report_submit",
        "programme.report_reject",
        "programme.report_appeal",
        "programme.appeal_accept",
    ]


# --- closing -------------------------------------------------------------------------------------
def test_closing_scores_ranks_with_ties_and_shows_the_change_since_the_last_closed_round(
    system, registry, people, tree, make_user
):
    c3 = AreaFactory(code="C3", kind=Area.Kind.COMMUNITY, parent=tree.s1)
    staff3 = make_user(Role.COMMUNITY_STAFF, c3)
    earlier = open_round(people, tree, days_back=365, name="2025年下半年")
    registry.values[("on_time", tree.c1.pk)] = D(45)
    round_close(round=earlier, actor=people.leader)
    assert CommunityScore.objects.get(round=earlier, community=tree.c1).total == D("25.00")  # 40×50 ÷ 80

    round_ = open_round(people, tree)
    registry.values.update(
        {
            ("on_time", tree.c1.pk): D(90),
            ("incidents", tree.c1.pk): D(1),
            ("incidents", tree.c2.pk): D(0),
            ("incidents", c3.pk): D(0),
        }
    )
    accepted = submit(round_, people, tree)  # smart access 80 %
    rejected = submit(round_, people, tree, community=c3, actor=staff3, code="video_coverage", value="100")
    with pytest.raises(ValidationError, match="2 reports still wait"):
        round_close(round=round_, actor=people.leader)
    report_check(report=accepted, actor=people.sub1, accept=True)
    report_check(report=rejected, actor=people.sub1, accept=False, reason="不实")
    with pytest.raises(PermissionDenied):
        round_close(round=round_, actor=people.sub1)
    round_close(round=round_, actor=people.leader)

    scores = {s.community_id: s for s in CommunityScore.objects.filter(round=round_)}
    # C1: (40×100 + 20×50 + 30×80 + 10×0) ÷ 100; C2 and C3: on time unmeasured, (20×100) ÷ 60.
    assert scores[tree.c1.pk].total == D("74.00") and scores[tree.c1.pk].change == D("49.00")
    assert scores[tree.c2.pk].total == scores[c3.pk].total == D("33.33")
    assert [(scores[c.pk].rank_in_district, scores[c.pk].rank_in_subdistrict) for c in (tree.c1, tree.c2, c3)] == [
        (1, 1),
        (2, 1),
        (2, 2),
    ]
    assert scores[tree.c1.pk].subdistrict == tree.s1 and scores[tree.c2.pk].previous_total == D("0.00")
    assert scores[c3.pk].previous_total == D("0.00")
    # A reported indicator not shown (missing or rejected) scores 0; an accepted one counts its value.
    values = {
        (v.community_id, v.indicator.code): v
        for v in IndicatorValue.objects.filter(round=round_).select_related("indicator")
    }
    assert (values[(c3.pk, "video_coverage")].value, values[(c3.pk, "video_coverage")].score) == (None, D(0))
    assert values[(tree.c1.pk, "smart_access_coverage")].score == D(80)
    round_.refresh_from_db()
    assert round_.status == "closed" and round_.closed_at is not None
    event = AuditEvent.objects.filter(action="programme.round_close").last()
    assert event.actor == people.leader and event.details["previous_round"] == earlier.pk

    # The league and a community's breakdown read what closing wrote.
    league = league_for(people.sub1)
    assert league.round == round_ and [s.community_id for s in league.scores] == [tree.c1.pk, c3.pk]
    assert [s.community_id for s in league_for(people.leader).scores] == [
        tree.c1.pk,
        c3.pk,
        tree.c2.pk,
    ]  # ties by place
    assert league_for(people.staff1) is None and league_for(people.resident) is None
    results = round_results(people.staff1, round=round_, community_id=tree.c1.pk)
    assert [row.indicator.code for row in results.rows] == [
        "incidents",  # pulls 10 points
        "video_coverage",  # 10
        "smart_access_coverage",  # 6
        "on_time",  # 0
    ]
    assert sum(row.pull for row in results.rows) == D(100) - results.score.total


def test_a_closed_round_is_final(round_, people, tree, registry):
    round_close(round=round_, actor=people.leader)
    with pytest.raises(ValidationError, match="This round is closed"):
        round_close(round=round_, actor=people.leader)
    with pytest.raises(ValidationError, match="This round is closed"):
        round_recompute(round=round_, actor=people.leader)
    with pytest.raises(ValidationError, match="This round is closed"):
        submit(round_, people, tree)
    registry.values[("on_time", tree.c1.pk)] = D(1)
    assert round_compute(round=round_) == 0
    assert round_compute_task.apply(args=(round_.pk,)).get() == 0
    assert IndicatorValue.objects.get(round=round_, community=tree.c1, indicator__code="on_time").value is None


def test_two_indicators_of_one_computation_cost_one_call(registry, people, tree):
    draft = system_draft_start(district=tree.d, actor=people.leader)
    on_time = draft.indicators.get(code="on_time")
    indicator_save(system=draft, actor=people.leader, **fields_of(on_time) | {"code": "on_time_again", "weight": 82})
    system_publish(system=draft, actor=people.leader)
    round_ = open_round(people, tree)
    assert round_compute(round=round_) == 6
    assert sorted(key for key, *_rest in registry.calls) == ["incidents", "on_time"]


def test_a_round_on_the_default_system_computes_and_closes_with_the_portals_own_computations(people, tree):
    from programme.indicators import COMPUTATIONS

    draft = system_draft_start(district=tree.d, actor=people.leader)
    system_publish(system=draft, actor=people.leader)
    round_ = open_round(people, tree)
    assert round_compute(round=round_) == 2 * len(COMPUTATIONS)
    round_close(round=round_, actor=people.leader)
    assert CommunityScore.objects.filter(round=round_).count() == 2
    # Nothing happened in the test's district: no security incident (full marks), nothing else measured
    # but datasets shared (0 of 6), and neither infrastructure figure reported (0).
    value = IndicatorValue.objects.get(round=round_, community=tree.c1, indicator__code="security_incidents")
    assert (value.value, value.score) == (D(0), D(100))
    assert CommunityScore.objects.get(round=round_, community=tree.c1).total == D("25.00")  # 8×100 ÷ (8+6+10+8)
