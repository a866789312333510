"""A community's reports of its reported indicators, with evidence, the subdistrict's check and the one
appeal; and a round's export (see programme.assessment)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from directory.models import Area
from notifications.services import notify
from participation.notices import notice_attachment_clean
from programme.assessment.rounds import check_open
from programme.assessment.systems import decimal_clean
from programme.models import (
    AssessmentRound,
    Indicator,
    IndicatorReport,
    IndicatorValue,
)
from security.audit import audit_record
from security.models import Role, User
from security.roles import ASSESSMENT_CHECK_ROLES, ASSESSMENT_REPORT_ROLES
from security.scoping import covers_area
from security.selectors import users_with_role

NOTE_MAX = 1000
VALUE_MAX = Decimal("9999999999")  # what IndicatorReport.value (14 digits, 4 decimals) holds
PDF = "application/pdf"
EXTENSIONS = {PDF: ".pdf", "image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}


# --- reports -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Stored:
    file_field: str
    name_field: str
    type_field: str
    size_field: str


_EVIDENCE = _Stored("file", "file_name", "content_type", "size")
_APPEAL_EVIDENCE = _Stored("appeal_file", "appeal_file_name", "appeal_content_type", "appeal_size")


def _evidence_clean(upload, field: str):
    if upload is None:
        raise ValidationError({field: _("Attach the evidence: a photo or a PDF.")})
    try:
        return notice_attachment_clean(upload)
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from None


def _store(report: IndicatorReport, clean, where: _Stored) -> None:
    # Stored under a random name: the uploader's file name is only shown, never used as a path.
    getattr(report, where.file_field).save(
        f"{uuid.uuid4().hex}{EXTENSIONS[clean.content_type]}", clean.content, save=False
    )
    setattr(report, where.name_field, clean.name)
    setattr(report, where.type_field, clean.content_type)
    setattr(report, where.size_field, clean.size)


def _report_link(report: IndicatorReport) -> str:
    return reverse("programme:assessment_report", kwargs={"pk": report.pk})


def _tell(recipients, *, report: IndicatorReport, event: str, title: str, body: str) -> None:
    for user in {u.pk: u for u in recipients if u is not None}.values():
        notify(
            recipient=user,
            kind="programme_report",
            title=title,
            body=body,
            link=_report_link(report),
            key=f"programme:report:{report.pk}:{event}:{user.pk}",
        )


def _subdistrict_officers(report: IndicatorReport) -> list[User]:
    return users_with_role(role=Role.SUBDISTRICT_OFFICER, area=report.community.parent)


def _value_clean(raw) -> Decimal:
    errors: dict = {}
    value = decimal_clean(raw, "value", errors, maximum=VALUE_MAX, message=_("Enter a value of 0 or more."))
    if errors:
        raise ValidationError(errors)
    return value


@transaction.atomic
def report_submit(
    *,
    round: AssessmentRound,
    community: Area,
    indicator: Indicator,
    value,
    note: str = "",
    evidence=None,
    actor: User,
) -> IndicatorReport:
    """A community's figure for a reported indicator, with its evidence; replaced while unchecked
    (the evidence then may stay as it was)."""
    if community.kind != Area.Kind.COMMUNITY or not covers_area(actor, community, ASSESSMENT_REPORT_ROLES):
        raise PermissionDenied
    round_ = AssessmentRound.objects.select_for_update().get(pk=round.pk)
    if not community.is_within(round_.district):
        raise PermissionDenied
    if indicator.system_id != round_.system_id or indicator.source != Indicator.Source.REPORTED:
        raise ValidationError(_("This indicator is not reported by the community in this round."))
    check_open(round_)
    if timezone.localdate() > round_.report_due:
        raise ValidationError(_("Reports were due by %(date)s.") % {"date": round_.report_due.isoformat()})
    value = _value_clean(value)
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": _("Keep the note under %(count)d characters.") % {"count": NOTE_MAX}})
    report = (
        IndicatorReport.objects.select_for_update()
        .filter(round=round_, community=community, indicator=indicator)
        .first()
    )
    if report is not None and report.status != IndicatorReport.Status.SUBMITTED:
        raise ValidationError(_("This report has been checked already: it can no longer be replaced."))
    clean = None if (report is not None and evidence is None) else _evidence_clean(evidence, "evidence")
    replaced = report is not None
    if report is None:
        report = IndicatorReport(round=round_, community=community, indicator=indicator)
    report.value, report.note, report.reported_by = value, note, actor
    if clean is not None:
        _store(report, clean, _EVIDENCE)
    report.save()
    if not replaced:
        with translation.override(settings.LANGUAGE_CODE):
            _tell(
                _subdistrict_officers(report),
                report=report,
                event="submitted",
                title=_("%(community)s reported %(indicator)s") % {"community": community, "indicator": indicator},
                body=_("Check the report and its evidence in the round %(round)s.") % {"round": round_},
            )
    audit_record(
        actor=actor,
        action="programme.report_replace" if replaced else "programme.report_submit",
        target=report,
        area=community,
        details={"round": round_.pk, "indicator": indicator.code, "value": str(value), "evidence": bool(clean)},
    )
    return report


def _report_locked(report: IndicatorReport) -> IndicatorReport:
    # The round's row first, then the report's, as report_submit and round_close take them: a check
    # cannot slip in while the round closes, and no two services wait on each other.
    round_ = AssessmentRound.objects.select_for_update().get(pk=report.round_id)
    locked = IndicatorReport.objects.select_for_update(of=("self",)).select_related("community", "indicator")
    report = locked.get(pk=report.pk)
    report.round = round_
    check_open(round_)
    return report


@transaction.atomic
def report_check(*, report: IndicatorReport, actor: User, accept: bool, reason: str = "") -> IndicatorReport:
    """The subdistrict accepts or rejects a submitted report (a reason when rejecting), or decides
    an appealed one, finally."""
    if not covers_area(actor, report.community, ASSESSMENT_CHECK_ROLES):
        raise PermissionDenied
    report = _report_locked(report)
    reason = (reason or "").strip()
    if len(reason) > NOTE_MAX:
        raise ValidationError({"reason": _("Keep the reason under %(count)d characters.") % {"count": NOTE_MAX}})
    if not accept and not reason:
        raise ValidationError({"reason": _("Say why the report is rejected.")})
    statuses = IndicatorReport.Status
    if report.status == statuses.SUBMITTED:
        report.status = statuses.ACCEPTED if accept else statuses.REJECTED
        action = "programme.report_accept" if accept else "programme.report_reject"
    elif report.status == statuses.APPEALED:
        report.status = statuses.APPEAL_ACCEPTED if accept else statuses.APPEAL_REJECTED
        action = "programme.appeal_accept" if accept else "programme.appeal_reject"
    else:
        raise ValidationError(_("This report has been decided already."))
    report.checked_by, report.checked_at, report.check_reason = actor, timezone.now(), reason
    report.save(update_fields=["status", "checked_by", "checked_at", "check_reason", "updated_at"])
    with translation.override(settings.LANGUAGE_CODE):
        _tell(
            [report.reported_by],
            report=report,
            event=report.status,
            title=_("Your report of %(indicator)s: %(status)s")
            % {"indicator": report.indicator, "status": report.get_status_display()},
            body=reason,
        )
    audit_record(
        actor=actor,
        action=action,
        target=report,
        area=report.community,
        details={"round": report.round_id, "indicator": report.indicator.code, "reason": reason},
    )
    return report


@transaction.atomic
def report_appeal(*, report: IndicatorReport, actor: User, grounds: str, evidence=None) -> IndicatorReport:
    """The community appeals a rejected report once, with new evidence and its grounds."""
    if not covers_area(actor, report.community, ASSESSMENT_REPORT_ROLES):
        raise PermissionDenied
    report = _report_locked(report)
    if report.status != IndicatorReport.Status.REJECTED:
        raise ValidationError(_("Only a rejected report is appealed, and only once."))
    errors = {}
    grounds = (grounds or "").strip()
    if not grounds:
        errors["grounds"] = _("Give the grounds of the appeal.")
    elif len(grounds) > NOTE_MAX:
        errors["grounds"] = _("Keep the grounds under %(count)d characters.") % {"count": NOTE_MAX}
    try:
        clean = _evidence_clean(evidence, "evidence")
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    _store(report, clean, _APPEAL_EVIDENCE)
    report.status = IndicatorReport.Status.APPEALED
    report.appeal_note, report.appealed_at = grounds, timezone.now()
    report.save()
    with translation.override(settings.LANGUAGE_CODE):
        _tell(
            [report.checked_by, *_subdistrict_officers(report)],
            report=report,
            event="appealed",
            title=_("%(community)s appealed the rejection of %(indicator)s")
            % {"community": report.community, "indicator": report.indicator},
            body=grounds,
        )
    audit_record(
        actor=actor,
        action="programme.report_appeal",
        target=report,
        area=report.community,
        details={"round": report.round_id, "indicator": report.indicator.code},
    )
    return report


# --- export --------------------------------------------------------------------------------------
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def round_export(*, round: AssessmentRound, actor: User) -> bytes:
    """A closed round's league and breakdown for the actor's subtree as an XLSX workbook (audited)."""
    import io

    from openpyxl import Workbook

    from core.spreadsheet import spreadsheet_safe
    from programme.assessment_selectors import league_for

    league = league_for(actor, round)
    if league is None or round.status != AssessmentRound.Status.CLOSED:
        raise PermissionDenied
    communities = [score.community_id for score in league.scores]
    values = (
        IndicatorValue.objects.filter(round=round, community_id__in=communities)
        .select_related("community", "indicator")
        .order_by("community__path", "indicator__order", "indicator_id")
    )
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(_("League"))[:31])
    sheet.append(
        [
            str(_("Community")),
            str(_("Subdistrict")),
            str(_("Score")),
            str(_("Rank in the district")),
            str(_("Rank in the subdistrict")),
            str(_("Previous score")),
            str(_("Change")),
        ]
    )
    for score in league.scores:
        sheet.append(
            [
                spreadsheet_safe(score.community.name),
                spreadsheet_safe(score.subdistrict.name),
                score.total,
                score.rank_in_district,
                score.rank_in_subdistrict,
                score.previous_total,
                score.change,
            ]
        )
    details = workbook.create_sheet(title=str(_("Breakdown"))[:31])
    details.append(
        [
            str(_("Community")),
            str(_("Indicator")),
            str(_("Value")),
            str(_("Target")),
            str(_("Weight (%)")),
            str(_("Score")),
        ]
    )
    rows = 0
    for value in values:
        rows += 1
        details.append(
            [
                spreadsheet_safe(value.community.name),
                spreadsheet_safe(value.indicator.name),
                value.value,
                value.indicator.target,
                value.indicator.weight,
                value.score,
            ]
        )
    out = io.BytesIO()
    workbook.save(out)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="programme.round_export",
            target=round,
            area=round.district,
            details={"communities": len(league.scores), "values": rows},
        )
    return out.getvalue()
