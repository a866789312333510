"""The indicator system (评价指标体系) and the assessment rounds (考核轮次): the writes.

- **The system** is versioned per district. District leaders start a new version as a draft (a copy
  of the one in force, or `default_indicators()` the first time), add, change and remove its indicators,
  and publish it: the weights must add up to 100 and every computed indicator must name a known
  computation (programme.indicators.COMPUTATIONS). The draft is then in force and the one before
  retired. Only a draft is ever edited, so a round keeps the version it was assessed by.
- **A round** is opened on the system in force; its computed indicators are computed for every
  community of the district by `round_compute` (a batch run, queued as a Celery task on commit when
  the round opens and when a leader asks for a recompute; audited with actor None and the run named).
- **Reports**: community staff report each reported indicator with evidence (an image or PDF,
  cleaned as a notice's attachment) while the round is open and the due date not passed, and may
  replace it until it is checked; the subdistrict's officers accept or reject it (a reason when
  rejecting); a rejected report may be appealed once with new evidence and grounds, and the
  subdistrict's decision on the appeal is final.
- **Closing** (`round_close`) computes once more, puts the accepted reports' values in, scores every
  community (programme.scoring says how; a reported indicator without an accepted report scores 0),
  ranks them in their subdistrict and the district, and records the change since the district's
  previous closed round.

Every write is audited; bad input raises ValidationError and changes nothing.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from directory.models import Area
from notifications.services import notify
from participation.notices import notice_attachment_clean
from programme import scoring
from programme.models import (
    AssessmentRound,
    CommunityScore,
    Indicator,
    IndicatorGroup,
    IndicatorReport,
    IndicatorSystem,
    IndicatorValue,
)
from security.audit import audit_record
from security.models import Role, User
from security.roles import ASSESSMENT_CHECK_ROLES, ASSESSMENT_REPORT_ROLES, PROGRAMME_DISTRICT_ROLES
from security.scoping import covers_area
from security.selectors import users_with_role

NAME_MAX = 100
NOTE_MAX = 1000
VALUE_MAX = Decimal("9999999999")  # what IndicatorReport.value (14 digits, 4 decimals) holds
TARGET_MAX = Decimal("99999999")
PDF = "application/pdf"
EXTENSIONS = {PDF: ".pdf", "image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}
ACCEPTED_REPORTS = (IndicatorReport.Status.ACCEPTED, IndicatorReport.Status.APPEAL_ACCEPTED)
AWAITING_CHECK = (IndicatorReport.Status.SUBMITTED, IndicatorReport.Status.APPEALED)

# The first version of a district's system (`default_indicators`): every computation of Lane B's
# registry (programme.indicators.COMPUTATIONS: its label, unit, group, direction and target) with the
# weight below, and two infrastructure figures the community reports with a photo or a document.
# The weights add up to 100.
DEFAULT_WEIGHTS = {
    "requests_on_time": 12,
    "satisfaction": 12,
    "verified_per_household": 8,
    "proposals_answered_on_time": 8,
    "volunteer_hours": 8,
    "visit_coverage": 12,
    "training_completion": 8,
    "datasets_shared": 6,
    "security_incidents": 8,
}
DEFAULT_REPORTED: list[dict] = [
    {
        "code": "smart_access_coverage",
        "group": IndicatorGroup.INFRASTRUCTURE,
        "name_zh": "智能门禁覆盖率",
        "name_en": "Smart access control coverage",
        "weight": 10,
        "target": Decimal(100),
        "direction": Indicator.Direction.HIGHER,
        "computation": "",
        "unit": "%",
    },
    {
        "code": "video_coverage",
        "group": IndicatorGroup.INFRASTRUCTURE,
        "name_zh": "公共区域视频监控覆盖率",
        "name_en": "Public-area video coverage",
        "weight": 8,
        "target": Decimal(100),
        "direction": Indicator.Direction.HIGHER,
        "computation": "",
        "unit": "%",
    },
]
INDICATOR_FIELDS = ("code", "group", "name_zh", "name_en", "weight", "target", "direction", "computation", "unit")


def _registry():
    """Lane B's registry of computations (imported when used, so this module loads without it)."""
    from programme import indicators

    return indicators


def default_indicators() -> list[dict]:
    """The indicators of a district's first system (see DEFAULT_WEIGHTS)."""
    rows = []
    for key, computation in _registry().COMPUTATIONS.items():
        names = {}
        for field, language in (("name_zh", "zh-hans"), ("name_en", "en")):
            with translation.override(language):
                names[field] = str(computation.label)[:NAME_MAX]
        with translation.override(settings.LANGUAGE_CODE):
            unit = str(computation.unit)[:20]
        rows.append(
            {
                "code": key[:40],
                "group": computation.group,
                **names,
                "weight": DEFAULT_WEIGHTS.get(key, 0),
                "target": computation.target,
                "direction": computation.direction,
                "computation": key,
                "unit": unit,
            }
        )
    return rows + DEFAULT_REPORTED


def district_of(area: Area) -> Area:
    """The district an area lies in (the root of its path)."""
    if area.kind == Area.Kind.DISTRICT:
        return area
    return Area.objects.get(path=area.path.split("/", 1)[0] + "/")


def _check_leader(actor: User, district: Area) -> None:
    if not covers_area(actor, district, PROGRAMME_DISTRICT_ROLES):
        raise PermissionDenied


# --- the indicator system ------------------------------------------------------------------------
def system_in_force(district: Area) -> IndicatorSystem | None:
    return IndicatorSystem.objects.filter(district=district, status=IndicatorSystem.Status.IN_FORCE).first()


@transaction.atomic
def system_draft_start(*, district: Area, actor: User) -> IndicatorSystem:
    """A new version as a draft: a copy of the system in force, or the default system the first time."""
    _check_leader(actor, district)
    # The district row's lock serialises two leaders starting (or publishing) at once.
    Area.objects.select_for_update().filter(pk=district.pk).first()
    if IndicatorSystem.objects.filter(district=district, status=IndicatorSystem.Status.DRAFT).exists():
        raise ValidationError(_("A draft of the indicator system is already being edited: publish or discard it."))
    current = system_in_force(district)
    latest = IndicatorSystem.objects.filter(district=district).aggregate(v=Max("version"))["v"] or 0
    draft = IndicatorSystem.objects.create(district=district, version=latest + 1, created_by=actor)
    if current is not None:
        rows = [{field: getattr(i, field) for field in INDICATOR_FIELDS} for i in current.indicators.all()]
    else:
        rows = default_indicators()
    Indicator.objects.bulk_create(
        [
            Indicator(
                system=draft,
                order=position,
                source=Indicator.Source.COMPUTED if row["computation"] else Indicator.Source.REPORTED,
                **{field: row[field] for field in INDICATOR_FIELDS},
            )
            for position, row in enumerate(rows, start=1)
        ]
    )
    audit_record(
        actor=actor,
        action="programme.system_draft",
        target=draft,
        area=district,
        details={"version": draft.version, "copied_from": current.version if current else "default"},
    )
    return draft


def _draft_locked(system: IndicatorSystem) -> IndicatorSystem:
    locked = IndicatorSystem.objects.select_for_update().get(pk=system.pk)
    if locked.status != IndicatorSystem.Status.DRAFT:
        raise ValidationError(_("Only a draft is edited: this version is no longer a draft."))
    return locked


def _decimal(raw, field: str, errors: dict, *, maximum: Decimal, message: str) -> Decimal | None:
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError, TypeError):
        errors[field] = message
        return None
    if not value.is_finite() or value < 0 or value > maximum:
        errors[field] = message
        return None
    return value


def _indicator_fields(system: IndicatorSystem, values: dict, *, indicator: Indicator | None) -> dict:
    errors: dict[str, str] = {}
    cleaned: dict = {}
    code = (values.get("code") or "").strip().lower()
    if not code or len(code) > 40 or not all(c.isascii() and (c.isalnum() or c in "_-") for c in code):
        errors["code"] = _("Give a code of up to 40 letters, digits, hyphens or underscores.")
    elif system.indicators.filter(code=code).exclude(pk=indicator.pk if indicator else None).exists():
        errors["code"] = _("Another indicator of this version has the code %(code)s.") % {"code": code}
    cleaned["code"] = code
    for field in ("name_zh", "name_en"):
        cleaned[field] = " ".join((values.get(field) or "").split())
        if len(cleaned[field]) > NAME_MAX:
            errors[field] = _("Keep the name under %(count)d characters.") % {"count": NAME_MAX}
    if not cleaned["name_zh"]:
        errors["name_zh"] = _("Give the indicator's Chinese name.")
    cleaned["group"] = values.get("group")
    if cleaned["group"] not in IndicatorGroup.values:
        errors["group"] = _("Choose a group from the list.")
    weight = values.get("weight")
    if isinstance(weight, bool) or not isinstance(weight, int) or not 0 <= weight <= 100:
        errors["weight"] = _("Enter a whole weight from 0 to 100.")
    cleaned["weight"] = weight
    cleaned["target"] = _decimal(
        values.get("target"), "target", errors, maximum=TARGET_MAX, message=_("Enter a target of 0 or more.")
    )
    cleaned["direction"] = values.get("direction")
    if cleaned["direction"] not in Indicator.Direction.values:
        errors["direction"] = _("Choose a direction from the list.")
    cleaned["source"] = values.get("source")
    cleaned["computation"] = (values.get("computation") or "").strip()
    if cleaned["source"] == Indicator.Source.COMPUTED:
        if cleaned["computation"] not in _registry().COMPUTATIONS:
            errors["computation"] = _("Choose a computation from the list.")
    elif cleaned["source"] == Indicator.Source.REPORTED:
        cleaned["computation"] = ""
    else:
        errors["source"] = _("Choose a source from the list.")
    cleaned["unit"] = (values.get("unit") or "").strip()
    if len(cleaned["unit"]) > 20:
        errors["unit"] = _("Keep the unit under 20 characters.")
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def indicator_save(*, system: IndicatorSystem, actor: User, indicator: Indicator | None = None, **values) -> Indicator:
    """Add an indicator to a draft, or change one of its indicators (`indicator`)."""
    _check_leader(actor, system.district)
    system = _draft_locked(system)
    if indicator is not None and indicator.system_id != system.pk:
        raise PermissionDenied
    fields = _indicator_fields(system, values, indicator=indicator)
    if indicator is None:
        last = system.indicators.aggregate(o=Max("order"))["o"] or 0
        indicator = Indicator.objects.create(system=system, order=last + 1, **fields)
        action = "programme.indicator_add"
    else:
        for name, value in fields.items():
            setattr(indicator, name, value)
        indicator.save(update_fields=list(fields))
        action = "programme.indicator_update"
    audit_record(
        actor=actor,
        action=action,
        target=indicator,
        area=system.district,
        details={"version": system.version, **{k: str(v) for k, v in fields.items()}},
    )
    return indicator


@transaction.atomic
def indicator_remove(*, indicator: Indicator, actor: User) -> None:
    system = indicator.system
    _check_leader(actor, system.district)
    system = _draft_locked(system)
    audit_record(
        actor=actor,
        action="programme.indicator_remove",
        target=indicator,
        area=system.district,
        details={"version": system.version, "code": indicator.code},
    )
    indicator.delete()


@transaction.atomic
def system_draft_discard(*, system: IndicatorSystem, actor: User) -> None:
    _check_leader(actor, system.district)
    system = _draft_locked(system)
    audit_record(
        actor=actor,
        action="programme.system_discard",
        target=system,
        area=system.district,
        details={"version": system.version},
    )
    system.delete()


def system_problems(system: IndicatorSystem) -> list[str]:
    """Why the system cannot be published (empty when it can)."""
    indicators = list(system.indicators.all())
    problems = []
    if not indicators:
        problems.append(_("The system has no indicators."))
    total = sum(i.weight for i in indicators)
    if total != 100:
        problems.append(_("The weights must add up to 100; they add up to %(sum)s.") % {"sum": total})
    known = _registry().COMPUTATIONS
    for indicator in indicators:
        if indicator.source == Indicator.Source.COMPUTED and indicator.computation not in known:
            problems.append(
                _("%(indicator)s names a computation the portal does not know: %(key)s.")
                % {"indicator": indicator.name, "key": indicator.computation}
            )
    return problems


@transaction.atomic
def system_publish(*, system: IndicatorSystem, actor: User) -> IndicatorSystem:
    """Put a draft in force, retiring the version in force before it."""
    _check_leader(actor, system.district)
    Area.objects.select_for_update().filter(pk=system.district_id).first()
    system = _draft_locked(system)
    problems = system_problems(system)
    if problems:
        raise ValidationError(problems)
    retired = IndicatorSystem.objects.filter(district=system.district, status=IndicatorSystem.Status.IN_FORCE)
    retired_versions = list(retired.values_list("version", flat=True))
    retired.update(status=IndicatorSystem.Status.RETIRED, updated_at=timezone.now())
    system.status = IndicatorSystem.Status.IN_FORCE
    system.published_at = timezone.now()
    system.save(update_fields=["status", "published_at", "updated_at"])
    audit_record(
        actor=actor,
        action="programme.system_publish",
        target=system,
        area=system.district,
        details={"version": system.version, "retired": retired_versions},
    )
    return system


# --- rounds --------------------------------------------------------------------------------------
def _queue_compute(round_: AssessmentRound) -> None:
    from programme.tasks import round_compute_task

    round_pk = round_.pk
    transaction.on_commit(lambda: round_compute_task.delay(round_pk))


@transaction.atomic
def round_open(
    *, district: Area, name: str, period_start: date, period_end: date, report_due: date, actor: User
) -> AssessmentRound:
    """Open a round on the system in force; its computation is queued once this commits."""
    _check_leader(actor, district)
    errors: dict[str, str] = {}
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = _("Give the round a name.")
    elif len(name) > 100:
        errors["name"] = _("Keep the name under 100 characters.")
    if period_start and period_end and period_end < period_start:
        errors["period_end"] = _("The period must end on or after its first day.")
    if period_end and report_due and report_due < period_end:
        errors["report_due"] = _("Reports are due on or after the period's last day.")
    if report_due and report_due < timezone.localdate():
        errors["report_due"] = _("The due date for reports has already passed.")
    system = system_in_force(district)
    if system is None:
        errors["__all__"] = _("Publish an indicator system before opening a round.")
    if (
        not errors
        and AssessmentRound.objects.filter(district=district, period_start=period_start, period_end=period_end).exists()
    ):
        errors["period_start"] = _("A round for this period exists already.")
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            round_ = AssessmentRound.objects.create(
                district=district,
                system=system,
                name=name,
                period_start=period_start,
                period_end=period_end,
                report_due=report_due,
                created_by=actor,
            )
    except IntegrityError:
        raise ValidationError({"period_start": _("A round for this period exists already.")}) from None
    _queue_compute(round_)
    audit_record(
        actor=actor,
        action="programme.round_open",
        target=round_,
        area=district,
        details={
            "system_version": system.version,
            "period": [period_start.isoformat(), period_end.isoformat()],
            "report_due": report_due.isoformat(),
        },
    )
    return round_


def _check_open(round_: AssessmentRound) -> None:
    if round_.status != AssessmentRound.Status.OPEN:
        raise ValidationError(_("This round is closed: its results are final."))


@transaction.atomic
def round_recompute(*, round: AssessmentRound, actor: User) -> AssessmentRound:
    """Ask for the computed indicators again (the page shows "computing…" until the run is done)."""
    _check_leader(actor, round.district)
    round_ = AssessmentRound.objects.select_for_update().get(pk=round.pk)
    _check_open(round_)
    round_.computed_at = None
    round_.save(update_fields=["computed_at", "updated_at"])
    _queue_compute(round_)
    audit_record(actor=actor, action="programme.round_recompute", target=round_, area=round_.district)
    return round_


def district_communities(district: Area) -> list[Area]:
    return list(
        Area.objects.filter(kind=Area.Kind.COMMUNITY, path__startswith=district.path)
        .only("id", "code", "path", "parent_id", "name_zh", "name_en")
        .order_by("path")
    )


def _plain(inputs: dict) -> dict:
    """The counts a value came from as JSON holds them (a Decimal or a date becomes its text)."""
    return json.loads(json.dumps(inputs, default=str))


def _computed_values(round_: AssessmentRound, communities: list[Area]) -> list[IndicatorValue]:
    """Every community's value and score on every computed indicator: one call of each computation
    over all the communities."""
    registry = _registry()
    rows = []
    by_key: dict[str, dict] = {}
    for indicator in round_.system.indicators.filter(source=Indicator.Source.COMPUTED):
        if indicator.computation not in by_key:
            by_key[indicator.computation] = registry.compute(
                indicator.computation, communities=communities, start=round_.period_start, end=round_.period_end
            )
        measured = by_key[indicator.computation]
        for community in communities:
            found = measured.get(community.pk)
            value = None if found is None or found.value is None else Decimal(found.value)
            rows.append(
                IndicatorValue(
                    round=round_,
                    community_id=community.pk,
                    indicator=indicator,
                    value=value,
                    score=scoring.indicator_score(value, target=indicator.target, direction=indicator.direction),
                    inputs=_plain(found.inputs) if found is not None else {},
                )
            )
    return rows


def _upsert(values: list[IndicatorValue]) -> None:
    IndicatorValue.objects.bulk_create(
        values,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["round", "community", "indicator"],
        update_fields=["value", "score", "inputs"],
    )


@transaction.atomic
def round_compute(*, round: AssessmentRound) -> int:
    """The batch run: compute every computed indicator of an open round for every community of its
    district (a constant number of queries besides the computations' own), upsert the values and
    mark the round computed. Safe to run twice. Returns how many values it wrote (0: round closed)."""
    round_ = _round_locked(round.pk)
    if round_.status != AssessmentRound.Status.OPEN:
        return 0
    communities = district_communities(round_.district)
    values = _computed_values(round_, communities)
    _upsert(values)
    round_.computed_at = timezone.now()
    round_.save(update_fields=["computed_at", "updated_at"])
    audit_record(
        actor=None,
        action="programme.round_compute",
        target=round_,
        area=round_.district,
        details={"run": "programme.round_compute", "communities": len(communities), "values": len(values)},
    )
    return len(values)


def _round_locked(pk: int) -> AssessmentRound:
    return AssessmentRound.objects.select_for_update(of=("self",)).select_related("system", "district").get(pk=pk)


def _previous_round(round_: AssessmentRound) -> AssessmentRound | None:
    return (
        AssessmentRound.objects.filter(
            district_id=round_.district_id, status=AssessmentRound.Status.CLOSED, period_end__lt=round_.period_end
        )
        .exclude(pk=round_.pk)
        .order_by("-period_end", "-pk")
        .first()
    )


@transaction.atomic
def round_close(*, round: AssessmentRound, actor: User) -> AssessmentRound:
    """Compute once more, take the accepted reports, score and rank every community: final."""
    _check_leader(actor, round.district)
    round_ = _round_locked(round.pk)
    _check_open(round_)
    waiting = IndicatorReport.objects.filter(round=round_, status__in=AWAITING_CHECK).count()
    if waiting:
        raise ValidationError(
            ngettext(
                "%(count)d report still waits for the subdistrict's check: the round closes once it is decided.",
                "%(count)d reports still wait for the subdistrict's check: the round closes once they are decided.",
                waiting,
            )
            % {"count": waiting}
        )
    communities = district_communities(round_.district)
    values = _computed_values(round_, communities)
    indicators = list(round_.system.indicators.all())
    reported = [i for i in indicators if i.source == Indicator.Source.REPORTED]
    accepted = {
        (r.community_id, r.indicator_id): r.value
        for r in IndicatorReport.objects.filter(round=round_, status__in=ACCEPTED_REPORTS).only(
            "community_id", "indicator_id", "value"
        )
    }
    for community in communities:
        for indicator in reported:
            value = accepted.get((community.pk, indicator.pk))
            # Not shown (missing or rejected) scores 0 with its full weight: see programme.scoring.
            score = (
                Decimal("0.00")
                if value is None
                else scoring.indicator_score(value, target=indicator.target, direction=indicator.direction)
            )
            values.append(
                IndicatorValue(
                    round=round_,
                    community_id=community.pk,
                    indicator=indicator,
                    value=value,
                    score=score,
                    inputs={"report": "accepted" if value is not None else "not_accepted"},
                )
            )
    _upsert(values)
    weights = {i.pk: i.weight for i in indicators}
    parts: dict[int, list] = {c.pk: [] for c in communities}
    for value in values:
        parts[value.community_id].append((weights[value.indicator_id], value.score))
    totals = {pk: scoring.total_score(pairs) for pk, pairs in parts.items()}
    in_district = scoring.competition_ranks(totals.items())
    by_subdistrict: dict[int, list] = {}
    for community in communities:
        by_subdistrict.setdefault(community.parent_id, []).append((community.pk, totals[community.pk]))
    in_subdistrict: dict = {}
    for pairs in by_subdistrict.values():
        in_subdistrict.update(scoring.competition_ranks(pairs))
    previous = _previous_round(round_)
    before = (
        dict(CommunityScore.objects.filter(round=previous).values_list("community_id", "total")) if previous else {}
    )
    CommunityScore.objects.filter(round=round_).delete()
    CommunityScore.objects.bulk_create(
        [
            CommunityScore(
                round=round_,
                community_id=c.pk,
                subdistrict_id=c.parent_id,
                total=totals[c.pk],
                rank_in_district=in_district[c.pk],
                rank_in_subdistrict=in_subdistrict[c.pk],
                previous_total=before.get(c.pk),
            )
            for c in communities
        ],
        batch_size=2000,
    )
    now = timezone.now()
    round_.status = AssessmentRound.Status.CLOSED
    round_.closed_at = now
    round_.computed_at = now
    round_.save(update_fields=["status", "closed_at", "computed_at", "updated_at"])
    audit_record(
        actor=actor,
        action="programme.round_close",
        target=round_,
        area=round_.district,
        details={
            "communities": len(communities),
            "values": len(values),
            "reports_accepted": len(accepted),
            "previous_round": previous.pk if previous else None,
        },
    )
    return round_


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
    value = _decimal(raw, "value", errors, maximum=VALUE_MAX, message=_("Enter a value of 0 or more."))
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
    _check_open(round_)
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
    _check_open(round_)
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
