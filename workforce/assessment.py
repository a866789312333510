"""The yearly assessment (考核, issue 18 item 8): the writes (weights, a manager's rating and
finalising, the yearly run) and the scoped reads.

How a worker is scored — the one place that says it (`component_scores`):

- **casework**: half for how many requests they resolved as assignee (full marks from
  RESOLVED_FULL_MARKS in the year), half for the share resolved on time (by the request's resolve-by
  time). With nothing resolved nothing was late, so that half is full and the first is nought.
- **residents' satisfaction**: the average rating of the requests they resolved, out of 5.
- **elderly visits**: visits made ÷ visits due, capped at 100. Visits due are approximated from the
  roster as the register holds it now (workforce.visit_selectors: living elderly or living-alone
  residents of the worker's grids, entered before the period ended): each resident owes the period's
  days ÷ their interval; a grid shared by several grid workers shares what it owes.
  The register keeps no history of who was on a roster when, so residents who moved in during the
  year count for all of it (and those who left are not counted): good enough for a yearly score.
- **training**: the share of the courses their post requires that they passed by the period's end.
- **manager's rating**: 0–100, entered by the worker's manager.

A component with nothing to measure (no rated request, nobody on the roster, no required course, not
rated yet) is left out, and its weight shared among the others in proportion. The total is the
weighted average, rounded; the grade comes from the thresholds of the weights in force.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, FloatField, Prefetch, QuerySet, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from residents.models import ResidentProfile
from security.audit import audit_record
from security.models import Role, RoleAssignment, User
from security.roles import WORKFORCE_RULES_ROLES
from security.scoping import has_role
from workforce.casework import WorkerFigures, worker_figures
from workforce.models import LevelProposal, WorkerProfile
from workforce.models_assessment import COMPONENTS, Assessment, AssessmentWeights, Grade
from workforce.models_training import Course, Enrolment
from workforce.selectors import may_manage, profiles_managed
from workforce.training import PASS_MARK
from workforce.visit_selectors import roster_condition, visit_rules_in_force, visit_tiers

RESOLVED_FULL_MARKS = 24  # requests resolved in a year that earn casework's volume half in full
FIRST_YEAR = 2000
WEIGHT_FIELDS = tuple(weight for weight, _score in COMPONENTS)
THRESHOLD_FIELDS = ("excellent_from", "competent_from", "basic_from")


def weights_in_force() -> AssessmentWeights:
    """The newest version of the weights; the defaults (unsaved) before anyone set them."""
    return AssessmentWeights.objects.order_by("-id").first() or AssessmentWeights()


def period(year: int, today: date | None = None) -> tuple[date, date]:
    """The days of `year` assessed: all of it, or up to today while it runs."""
    today = today or timezone.localdate()
    return date(year, 1, 1), min(date(year, 12, 31), today)


def year_valid(year: int, today: date | None = None) -> bool:
    return FIRST_YEAR <= year <= (today or timezone.localdate()).year


# --- the scores: the one place that says how -----------------------------------------------------
def _round(value: Decimal | float) -> int:
    return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def component_scores(
    figures: WorkerFigures, *, visits_due: float, required: int, required_passed: int, manager_rating: int | None
) -> dict[str, int | None]:
    """Each component's score 0–100, or None when there is nothing to measure (see the module)."""
    volume = min(1, figures.resolved / RESOLVED_FULL_MARKS)
    on_time = figures.on_time / figures.resolved if figures.resolved else 1
    return {
        "casework": _round(50 * volume + 50 * on_time),
        "satisfaction": None if figures.average_rating is None else _round(figures.average_rating * 20),
        "visits": _round(100 * min(1, figures.visits / visits_due)) if visits_due >= 1 else None,
        "training": _round(100 * required_passed / required) if required else None,
        "manager": manager_rating,
    }


def total_and_grade(scores: dict[str, int | None], weights: AssessmentWeights) -> tuple[int, str]:
    """The weighted average of the components that have a score, and the grade it earns."""
    measured = [(getattr(weights, name), score) for name, score in scores.items() if score is not None]
    weight = sum(w for w, _score in measured)
    total = _round(Decimal(sum(w * score for w, score in measured)) / weight) if weight else 0
    if total >= weights.excellent_from:
        grade = Grade.EXCELLENT
    elif total >= weights.competent_from:
        grade = Grade.COMPETENT
    elif total >= weights.basic_from:
        grade = Grade.BASIC
    else:
        grade = Grade.NOT_COMPETENT
    return total, grade


# --- the inputs, in bulk -------------------------------------------------------------------------
def _visits_due(user_ids: list[int], *, start: date, end: date) -> dict[int, float]:
    """{user id: visits their grids' rosters owed over the period} — two grouped queries."""
    grids = list(
        RoleAssignment.objects.filter(user_id__in=user_ids, role=Role.GRID_WORKER).values_list("user_id", "area_id")
    )
    if not grids:
        return {}
    # Every active grid worker holding the grid shares it, not only the workers assessed now.
    sharing = Counter(
        RoleAssignment.objects.filter(
            role=Role.GRID_WORKER, area_id__in={area for _user, area in grids}, user__is_active=True
        )
        .values_list("area_id", flat=True)
        .order_by()
    )
    days = (end - start).days + 1
    tiers = visit_tiers(visit_rules_in_force(), end)
    per_grid = dict(
        ResidentProfile.objects.living()
        .filter(roster_condition(end), household__grid_id__in=set(sharing), created_at__date__lte=end)
        .order_by()
        .values("household__grid_id")
        .annotate(
            owed=Sum(
                Case(
                    *[When(who, then=Value(days / interval)) for who, interval in tiers[:-1]],
                    default=Value(days / tiers[-1][1]),
                    output_field=FloatField(),
                )
            )
        )
        .values_list("household__grid_id", "owed")
    )
    due: dict[int, float] = defaultdict(float)
    for user_id, area_id in grids:
        due[user_id] += per_grid.get(area_id, 0.0) / sharing[area_id]
    return due


def _required_training(rows: list[dict], *, end: date) -> dict[int, tuple[int, int]]:
    """{profile pk: (courses their post requires, of those passed by `end`)} — two queries."""
    required_by_post: dict[str, set[int]] = defaultdict(set)
    for pk, posts in Course.objects.exclude(required_posts=[]).values_list("pk", "required_posts"):
        for post in posts:
            required_by_post[post].add(pk)
    every_required = set().union(*required_by_post.values()) if required_by_post else set()
    passed: dict[int, set[int]] = defaultdict(set)
    if every_required:
        for profile_id, course_id in Enrolment.objects.filter(
            profile_id__in=[row["pk"] for row in rows],
            course_id__in=every_required,
            score__gte=PASS_MARK,
            completed_on__lte=end,
        ).values_list("profile_id", "course_id"):
            passed[profile_id].add(course_id)
    result = {}
    for row in rows:
        required = required_by_post.get(row["post"], set())
        result[row["pk"]] = (len(required), len(required & passed[row["pk"]]))
    return result


def _compute(rows: list[dict], *, year: int, weights: AssessmentWeights, ratings: dict[int, int | None]) -> dict:
    """{profile pk: the fields of their draft assessment} for profiles given as rows of pk, user_id
    and post. A constant number of queries, whatever the number of rows."""
    start, end = period(year)
    figures = worker_figures(
        [WorkerProfile(pk=row["pk"], user_id=row["user_id"]) for row in rows], start=start, end=end
    )
    due = _visits_due([row["user_id"] for row in rows], start=start, end=end)
    training = _required_training(rows, end=end)
    explained_weights = {name: getattr(weights, name) for name in WEIGHT_FIELDS + THRESHOLD_FIELDS}
    computed = {}
    for row in rows:
        worker = figures.get(row["pk"], WorkerFigures())
        required, required_passed = training[row["pk"]]
        visits_due = round(due.get(row["user_id"], 0.0), 1)
        scores = component_scores(
            worker,
            visits_due=visits_due,
            required=required,
            required_passed=required_passed,
            manager_rating=ratings.get(row["pk"]),
        )
        total, grade = total_and_grade(scores, weights)
        computed[row["pk"]] = {
            "casework_score": scores["casework"],
            "satisfaction_score": scores["satisfaction"],
            "visits_score": scores["visits"],
            "training_score": scores["training"],
            "total": total,
            "grade": grade,
            "weights_id": weights.pk,
            "figures": {
                "period": [start.isoformat(), end.isoformat()],
                "resolved": worker.resolved,
                "resolved_late": worker.resolved_late,
                "resolved_full_marks": RESOLVED_FULL_MARKS,
                "rated": worker.rated,
                "average_rating": None if worker.average_rating is None else str(worker.average_rating),
                "visits_done": worker.visits,
                "visits_due": visits_due,
                "courses_completed": worker.courses_completed,
                "required_courses": required,
                "required_passed": required_passed,
                "weights": explained_weights,
            },
        }
    return computed


# --- writes --------------------------------------------------------------------------------------
@transaction.atomic
def assessment_weights_set(*, actor: User, **values: int) -> AssessmentWeights:
    """A new version of the weights and grade thresholds, in force from now (民政 officers only)."""
    if not has_role(actor, WORKFORCE_RULES_ROLES):
        raise PermissionDenied
    errors = {}
    for field in WEIGHT_FIELDS + THRESHOLD_FIELDS:
        value = values.get(field)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
            errors[field] = _("Enter a whole number from 0 to 100.")
    if errors:
        raise ValidationError(errors)
    if sum(values[field] for field in WEIGHT_FIELDS) != 100:
        errors["__all__"] = _("The weights must add up to 100; they add up to %(sum)s.") % {
            "sum": sum(values[field] for field in WEIGHT_FIELDS)
        }
    if not values["excellent_from"] > values["competent_from"] > values["basic_from"] >= 1:
        errors["excellent_from"] = _(
            "Each grade starts above the next: excellent above competent, competent above basically "
            "competent, and that at 1 or more."
        )
    if errors:
        raise ValidationError(errors)
    fields = {field: values[field] for field in WEIGHT_FIELDS + THRESHOLD_FIELDS}
    weights = AssessmentWeights.objects.create(created_by=actor, **fields)
    audit_record(actor=actor, action="workforce.assessment_weights_set", target=weights, details=fields)
    return weights


def _check_year(year: int) -> None:
    if not year_valid(year):
        raise ValidationError(_("Choose a year from %(first)s to this year.") % {"first": FIRST_YEAR})


@transaction.atomic
def assessment_rate(*, actor: User, profile: WorkerProfile, year: int, rating, finalise: bool = False) -> Assessment:
    """A manager rates one of their workers for a year (0–100), which refreshes the draft with the
    latest figures; `finalise` also makes it final (once the year is over), and the worker sees it.
    A final assessment does not change."""
    if actor.pk == profile.user_id or not may_manage(actor, profile):
        raise PermissionDenied
    _check_year(year)
    if isinstance(rating, bool) or not isinstance(rating, int) or not 0 <= rating <= 100:
        raise ValidationError({"rating": _("Enter a rating from 0 to 100.")})
    if finalise and year >= timezone.localdate().year:
        raise ValidationError(_("A year's assessment is finalised once the year is over."))
    # The profile's lock serialises this with the yearly run, which locks every profile first.
    row = WorkerProfile.objects.select_for_update().filter(pk=profile.pk).values("pk", "user_id", "post").get()
    existing = Assessment.objects.select_for_update().filter(profile_id=profile.pk, year=year).first()
    if existing and existing.status == Assessment.Status.FINAL:
        raise ValidationError(_("This assessment is final and no longer changes."))
    fields = _compute([row], year=year, weights=weights_in_force(), ratings={profile.pk: rating})[profile.pk]
    assessment = existing or Assessment(profile_id=profile.pk, year=year)
    for name, value in fields.items():
        setattr(assessment, name, value)
    assessment.manager_rating, assessment.rated_by = rating, actor
    if finalise:
        assessment.status = Assessment.Status.FINAL
        assessment.finalised_by, assessment.finalised_at = actor, timezone.now()
    assessment.save()
    withheld = 0
    if finalise and assessment.grade == Grade.NOT_COMPETENT and year == last_year():
        # Finalised after the yearly level run: the rise it proposed is withheld now, as the next
        # run would withhold it (workforce.services.level_proposals_run).
        withheld = LevelProposal.objects.filter(profile_id=profile.pk, status=LevelProposal.Status.PENDING).update(
            status=LevelProposal.Status.SUPERSEDED
        )
    audit_record(
        actor=actor,
        action="workforce.assessment_finalise" if finalise else "workforce.assessment_rate",
        target=profile,
        details={
            "year": year,
            "rating": rating,
            "total": assessment.total,
            "grade": assessment.grade,
            "level_proposals_withheld": withheld,
        },
    )
    return assessment


@transaction.atomic
def assessment_run(*, year: int) -> int:
    """Compute or refresh the draft assessment of every active worker for `year`; finals are never
    touched, a manager's rating is kept. Bulk: a constant number of queries (plus one per thousand
    workers written), so rerunning it is cheap and safe. Returns how many drafts it wrote."""
    _check_year(year)
    # Locking the profiles first serialises two runs, and a run with a manager rating someone.
    rows = list(
        WorkerProfile.objects.select_for_update(of=("self",))
        .filter(user__is_active=True)
        .order_by("pk")
        .values("pk", "user_id", "post")
    )
    existing = {
        row["profile_id"]: row
        for row in Assessment.objects.filter(year=year).values("profile_id", "status", "manager_rating")
    }
    rows = [row for row in rows if existing.get(row["pk"], {}).get("status") != Assessment.Status.FINAL]
    ratings = {pk: row["manager_rating"] for pk, row in existing.items()}
    weights = weights_in_force()
    computed = _compute(rows, year=year, weights=weights, ratings=ratings)
    drafts = [Assessment(profile_id=pk, year=year, **fields) for pk, fields in computed.items()]
    now = timezone.now()
    for draft in drafts:
        draft.created_at = draft.updated_at = now
    # The upsert keeps each row's rating, status and creation time: only what the run computes moves.
    Assessment.objects.bulk_create(
        drafts,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["profile", "year"],
        update_fields=[
            *(score for _w, score in COMPONENTS if score != "manager_rating"),
            "total",
            "grade",
            "weights",
            "figures",
            "updated_at",
        ],
    )
    audit_record(
        actor=None,
        action="workforce.assessment_run",
        details={"year": year, "drafts": len(drafts), "weights": weights.pk},
    )
    return len(drafts)


# --- reads ---------------------------------------------------------------------------------------
def team_for_year(user, year: int) -> QuerySet[WorkerProfile]:
    """The workers `user` manages (not themselves: their own is rated above them), each with
    `year_assessments` (their assessment for the year, if any) loaded."""
    return (
        profiles_managed(user)
        .exclude(user_id=user.pk)
        .filter(user__is_active=True)
        .prefetch_related(
            Prefetch("assessments", queryset=Assessment.objects.filter(year=year), to_attr="year_assessments")
        )
        .order_by("user__username", "pk")
    )


def previews(profiles: list[WorkerProfile], year: int) -> dict[int, dict]:
    """The scores the run would give the workers not yet assessed for the year (constant queries)."""
    missing = [{"pk": p.pk, "user_id": p.user_id, "post": p.post} for p in profiles if not p.year_assessments]
    if not missing:
        return {}
    return _compute(missing, year=year, weights=weights_in_force(), ratings={})


def assessment_for(user, *, profile_id: int, year: int) -> tuple[WorkerProfile, Assessment | None] | None:
    """The worker and their assessment for the year if `user` may read it: the worker, once it is
    final; their manager, always (None for the assessment before the run). None: 404."""
    if not user.is_authenticated:
        return None
    own = WorkerProfile.objects.filter(pk=profile_id, user_id=user.pk).select_related("user").first()
    if own is not None:
        final = Assessment.objects.filter(profile=own, year=year, status=Assessment.Status.FINAL).first()
        return (own, final) if final else None
    profile = profiles_managed(user).filter(pk=profile_id).first()
    if profile is None:
        return None
    return profile, Assessment.objects.filter(profile=profile, year=year).select_related("weights").first()


def final_assessments(profile: WorkerProfile) -> QuerySet[Assessment]:
    """A worker's final assessments, newest year first: what the worker sees."""
    return Assessment.objects.filter(profile=profile, status=Assessment.Status.FINAL).order_by("-year")


def explain(assessment: Assessment | dict) -> list[dict]:
    """The components of an assessment as rows of (label, score, weight) for a page."""
    get = assessment.get if isinstance(assessment, dict) else lambda name: getattr(assessment, name, None)
    weights = (get("figures") or {}).get("weights", {})
    labels = {
        "casework": _("Casework"),
        "satisfaction": _("Residents' satisfaction"),
        "visits": _("Elderly visits"),
        "training": _("Required training"),
        "manager": _("Manager's rating"),
    }
    rows = []
    for name, score_field in COMPONENTS:
        score = get(score_field)
        rows.append({"name": name, "label": labels[name], "score": score, "weight": weights.get(name)})
    return rows


def last_year(today: date | None = None) -> int:
    """The year a January run assesses, and whose finals feed the level proposals."""
    return (today or timezone.localdate()).year - 1
