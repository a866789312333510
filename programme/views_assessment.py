"""The indicator system's and the assessment rounds' pages (评价指标体系、考核).

District leaders define the system and run rounds; community staff report their community's figures
and read its results; subdistrict officers check the reports; officials (subdistrict officers,
district leaders, auditors, administrators) read their subtree's league. A page the reader's roles
do not open is 403; a round, report or community they may not see is 404, as if missing.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.forms import form_add_service_errors
from programme import assessment
from programme import assessment_selectors as selectors
from programme.access import may_use_programme
from programme.forms_assessment import AppealForm, CheckForm, IndicatorForm, ReportForm, RoundForm
from programme.models import AssessmentRound, Indicator, IndicatorReport
from security.decorators import role_required
from security.roles import (
    ASSESSMENT_CHECK_ROLES,
    ASSESSMENT_REPORT_ROLES,
    PROGRAMME_DISTRICT_ROLES,
)
from security.scoping import has_role


def _district_or_404(request):
    district = selectors.leader_district(request.user)
    if district is None:
        raise Http404
    return district


def _refused(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


# --- the indicator system ------------------------------------------------------------------------
@role_required(PROGRAMME_DISTRICT_ROLES)
def system(request):
    """The version in force and the draft being edited, with what stops the draft's publication."""
    district = _district_or_404(request)
    versions = selectors.system_versions(district)
    draft = versions["draft"]
    return render(
        request,
        "programme/assessment/system.html",
        {
            "district": district,
            "in_force": versions["in_force"],
            "draft": draft,
            "draft_weight": sum(i.weight for i in draft.indicators.all()) if draft else 0,
            "problems": assessment.system_problems(draft) if draft else [],
        },
    )


@require_POST
@role_required(PROGRAMME_DISTRICT_ROLES)
def system_new(request):
    try:
        assessment.system_draft_start(district=_district_or_404(request), actor=request.user)
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, _("A new draft of the indicator system is ready to edit."))
    return redirect("programme:assessment_system")


def _draft_or_refuse(request):
    draft = selectors.system_versions(_district_or_404(request))["draft"]
    if draft is None:
        messages.error(request, _("There is no draft: start a new version first."))
    return draft


@require_POST
@role_required(PROGRAMME_DISTRICT_ROLES)
def system_publish(request):
    draft = _draft_or_refuse(request)
    if draft is not None:
        try:
            assessment.system_publish(system=draft, actor=request.user)
        except ValidationError as error:
            _refused(request, error)
        else:
            message = _("Version %(version)s of the indicator system is in force.") % {"version": draft.version}
            messages.success(request, message)
    return redirect("programme:assessment_system")


@require_POST
@role_required(PROGRAMME_DISTRICT_ROLES)
def system_discard(request):
    draft = _draft_or_refuse(request)
    if draft is not None:
        assessment.system_draft_discard(system=draft, actor=request.user)
        messages.success(request, _("The draft was discarded."))
    return redirect("programme:assessment_system")


def _indicator_form(request, indicator: Indicator | None):
    from programme.indicators import computation_choices

    initial = None
    if indicator is not None:
        initial = {name: getattr(indicator, name) for name in assessment.INDICATOR_FIELDS + ("source",)}
    return IndicatorForm(request.POST or None, initial=initial, computations=computation_choices())


def _indicator_page(request, indicator: Indicator | None):
    district = _district_or_404(request)
    draft = indicator.system if indicator else selectors.system_versions(district)["draft"]
    if draft is None:
        messages.error(request, _("There is no draft: start a new version first."))
        return redirect("programme:assessment_system")
    form = _indicator_form(request, indicator)
    if request.method == "POST" and form.is_valid():
        try:
            assessment.indicator_save(system=draft, actor=request.user, indicator=indicator, **form.cleaned_data)
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(request, _("The draft's indicator is saved."))
            return redirect("programme:assessment_system")
    return render(
        request, "programme/assessment/indicator_form.html", {"form": form, "indicator": indicator, "draft": draft}
    )


@role_required(PROGRAMME_DISTRICT_ROLES)
def indicator_add(request):
    return _indicator_page(request, None)


@role_required(PROGRAMME_DISTRICT_ROLES)
def indicator_edit(request, pk: int):
    return _indicator_page(request, selectors.draft_indicator_for_leader(user=request.user, pk=pk))


@require_POST
@role_required(PROGRAMME_DISTRICT_ROLES)
def indicator_remove(request, pk: int):
    indicator = selectors.draft_indicator_for_leader(user=request.user, pk=pk)
    assessment.indicator_remove(indicator=indicator, actor=request.user)
    messages.success(request, _("The indicator was removed from the draft."))
    return redirect("programme:assessment_system")


# --- rounds --------------------------------------------------------------------------------------
@login_required
def rounds(request):
    """The rounds of the reader's district, newest first (none for a department's or a partner's
    users, who use the programme for its projects)."""
    if not may_use_programme(request.user):
        raise PermissionDenied
    return render(
        request,
        "programme/assessment/rounds.html",
        {
            "rounds": list(selectors.rounds_for(request.user)[:50]),
            "runs_rounds": selectors.leader_district(request.user) is not None,
        },
    )


@role_required(PROGRAMME_DISTRICT_ROLES)
def round_open(request):
    district = _district_or_404(request)
    form = RoundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            round_ = assessment.round_open(district=district, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(request, _("The round is open; its indicators are being computed."))
            return redirect("programme:assessment_round", public_id=round_.public_id)
    return render(request, "programme/assessment/round_open.html", {"form": form})


@login_required
def round_detail(request, public_id):
    """A round: its period and state; the leader's recompute and close; the reader's league; the ways
    to the reports, the checks and a community's results."""
    round_ = selectors.round_get_for_user(user=request.user, public_id=public_id)
    user = request.user
    league = selectors.league_for(user, round_) if round_.status == AssessmentRound.Status.CLOSED else None
    runs = selectors.leader_district(user) == round_.district
    return render(
        request,
        "programme/assessment/round.html",
        {
            "round": round_,
            "league": league,
            "runs": runs,
            "waiting": round_.reports.filter(status__in=assessment.AWAITING_CHECK).count() if runs else 0,
            "checks": has_role(user, ASSESSMENT_CHECK_ROLES),
            "my_communities": selectors.reporting_communities(user, round_),
        },
    )


@require_POST
@role_required(PROGRAMME_DISTRICT_ROLES)
def round_recompute(request, public_id):
    round_ = selectors.round_get_for_user(user=request.user, public_id=public_id)
    try:
        assessment.round_recompute(round=round_, actor=request.user)
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, _("The indicators are being computed again."))
    return redirect("programme:assessment_round", public_id=round_.public_id)


@require_POST
@role_required(PROGRAMME_DISTRICT_ROLES)
def round_close(request, public_id):
    round_ = selectors.round_get_for_user(user=request.user, public_id=public_id)
    try:
        assessment.round_close(round=round_, actor=request.user)
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, _("The round is closed: every community's score and rank are final."))
    return redirect("programme:assessment_round", public_id=round_.public_id)


@login_required
def round_export(request, public_id):
    round_ = selectors.round_get_for_user(user=request.user, public_id=public_id)
    if round_.status != AssessmentRound.Status.CLOSED or not selectors.reads_league(request.user):
        raise Http404
    body = assessment.round_export(round=round_, actor=request.user)
    response = HttpResponse(body, content_type=assessment.XLSX)
    response["Content-Disposition"] = f'attachment; filename="assessment-{round_.public_id}.xlsx"'
    return response


@login_required
def results(request, public_id, community_id: int):
    """A community's score, ranks, change and breakdown, what pulls it down most first."""
    round_ = selectors.round_get_for_user(user=request.user, public_id=public_id)
    found = selectors.round_results(request.user, round=round_, community_id=community_id)
    return render(request, "programme/assessment/results.html", {"results": found, "round": round_})


@role_required(ASSESSMENT_REPORT_ROLES)
def my_results(request):
    """Community staff land on their community's results in the latest closed round."""
    round_ = selectors.rounds_for(request.user).filter(status=AssessmentRound.Status.CLOSED).first()
    community = selectors.results_community_for(request.user, round_) if round_ else None
    if community is None:
        messages.info(request, _("No round has been closed yet."))
        return redirect("programme:assessment_rounds")
    return redirect("programme:assessment_results", public_id=round_.public_id, community_id=community.pk)


# --- reports -------------------------------------------------------------------------------------
@role_required(ASSESSMENT_REPORT_ROLES)
def reports(request, public_id):
    """The community's reported indicators in a round, each with its report or a form to send it."""
    round_ = selectors.round_get_for_user(user=request.user, public_id=public_id)
    communities = selectors.reporting_communities(request.user, round_)
    if not communities:
        raise Http404
    chosen = request.GET.get("community") or request.POST.get("community")
    community = next((c for c in communities if str(c.pk) == chosen), communities[0])
    rows = selectors.community_report_rows(round_, community)
    posted = None
    if request.method == "POST":
        posted = ReportForm(request.POST, request.FILES, auto_id=f"id_%s_{request.POST.get('indicator', '')}")
        if posted.is_valid():
            indicator = next((i for i, _r in rows if i.pk == posted.cleaned_data["indicator"]), None)
            if indicator is None:
                raise Http404
            try:
                assessment.report_submit(
                    round=round_,
                    community=community,
                    indicator=indicator,
                    value=posted.cleaned_data["value"],
                    note=posted.cleaned_data["note"],
                    evidence=posted.cleaned_data["evidence"],
                    actor=request.user,
                )
            except ValidationError as error:
                form_add_service_errors(posted, error)
            else:
                messages.success(request, _("The report of %(indicator)s is sent.") % {"indicator": indicator})
                return redirect(f"{request.path}?community={community.pk}")
    entries = []
    in_time = round_.status == AssessmentRound.Status.OPEN and timezone.localdate() <= round_.report_due
    shown = False
    for indicator, report in rows:
        editable = in_time and (report is None or report.status == IndicatorReport.Status.SUBMITTED)
        form = None
        if editable:
            if posted is not None and posted.data.get("indicator") == str(indicator.pk):
                form, shown = posted, True
            else:
                initial = {"indicator": indicator.pk}
                if report is not None:
                    initial |= {"value": report.value, "note": report.note}
                form = ReportForm(initial=initial, auto_id=f"id_%s_{indicator.pk}")
        entries.append({"indicator": indicator, "report": report, "form": form})
    if posted is not None and not shown:
        for message in posted.non_field_errors():
            messages.error(request, message)  # its form is gone (the round closed or the report was checked)
    return render(
        request,
        "programme/assessment/reports.html",
        {"round": round_, "community": community, "communities": communities, "entries": entries},
    )


@role_required(ASSESSMENT_CHECK_ROLES)
def checks(request, public_id):
    """The subdistrict's queue: its communities' reports in the round, those waiting first."""
    round_ = selectors.round_get_for_user(user=request.user, public_id=public_id)
    return render(
        request,
        "programme/assessment/checks.html",
        {"round": round_, "reports": list(selectors.check_queue(request.user, round_)[:500])},
    )


def _report_page(request, report, *, check_form=None, appeal_form=None, status=200):
    user = request.user
    statuses = IndicatorReport.Status
    is_open = report.round.status == AssessmentRound.Status.OPEN
    may_check = is_open and selectors.may_check(user, report) and report.status in assessment.AWAITING_CHECK
    may_appeal = is_open and selectors.may_report(user, report.community) and report.status == statuses.REJECTED
    return render(
        request,
        "programme/assessment/report.html",
        {
            "report": report,
            "check_form": (check_form or CheckForm()) if may_check else None,
            "appeal_form": (appeal_form or AppealForm()) if may_appeal else None,
            "is_appeal": report.status == statuses.APPEALED,
        },
        status=status,
    )


@login_required
def report_detail(request, pk: int):
    return _report_page(request, selectors.report_get_for_user(user=request.user, pk=pk))


@require_POST
@role_required(ASSESSMENT_CHECK_ROLES)
def report_check(request, pk: int):
    report = selectors.report_get_for_user(user=request.user, pk=pk)
    if not selectors.may_check(request.user, report):
        raise Http404
    form = CheckForm(request.POST)
    if form.is_valid():
        try:
            assessment.report_check(
                report=report,
                actor=request.user,
                accept=form.cleaned_data["decision"] == "accept",
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(request, _("The decision is recorded."))
            return redirect("programme:assessment_report", pk=report.pk)
    return _report_page(request, report, check_form=form)


@require_POST
@role_required(ASSESSMENT_REPORT_ROLES)
def report_appeal(request, pk: int):
    report = selectors.report_get_for_user(user=request.user, pk=pk)
    if not selectors.may_report(request.user, report.community):
        raise Http404
    form = AppealForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            assessment.report_appeal(
                report=report,
                actor=request.user,
                grounds=form.cleaned_data["grounds"],
                evidence=form.cleaned_data["evidence"],
            )
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(request, _("The appeal is sent to the subdistrict."))
            return redirect("programme:assessment_report", pk=report.pk)
    return _report_page(request, report, appeal_form=form)


def _file_response(stored, *, content_type: str, name: str):
    if not stored:
        raise Http404
    is_pdf = content_type == assessment.PDF
    response = FileResponse(stored.open("rb"), content_type=content_type, as_attachment=is_pdf, filename=name or None)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def report_evidence(request, pk: int):
    """The evidence, only to those who may read the report; never from a public media URL."""
    report = selectors.report_get_for_user(user=request.user, pk=pk)
    return _file_response(report.file, content_type=report.content_type, name=report.file_name)


@login_required
def report_appeal_evidence(request, pk: int):
    report = selectors.report_get_for_user(user=request.user, pk=pk)
    return _file_response(report.appeal_file, content_type=report.appeal_content_type, name=report.appeal_file_name)
