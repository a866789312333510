"""Training and certificates (issue 18, item 3): the writes (each in one transaction, audited) and
the reads. Civil-affairs (民政) officers create courses; a worker enrols themselves; a 民政 officer or
the worker's manager records the completion with a score; a pass earns a certificate whose code
anyone may check on the public page."""

from __future__ import annotations

import secrets
from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from security.audit import audit_record
from security.models import User
from security.roles import WORKFORCE_RULES_ROLES
from security.scoping import has_role
from workforce.models import Post, WorkerProfile
from workforce.models_training import Certificate, Course, Enrolment
from workforce.selectors import may_manage, profiles_managed

PASS_MARK = 60
TITLE_MAX = 120
DESCRIPTION_MAX = 5000
PLACE_MAX = 200
VALIDITY_MAX = 120
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed from paper
CODE_LENGTH = 12


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))


# --- writes --------------------------------------------------------------------------------------
@transaction.atomic
def course_create(
    *,
    actor: User,
    title: str,
    kind: str,
    description: str = "",
    starts_at: datetime | None = None,
    place: str = "",
    required_posts: list[str] | None = None,
    validity_months: int | None = None,
) -> Course:
    """A new course (civil-affairs officers only). A session needs its time and place."""
    if not has_role(actor, WORKFORCE_RULES_ROLES):
        raise PermissionDenied
    title, description, place = (title or "").strip(), (description or "").strip(), (place or "").strip()
    required_posts = list(dict.fromkeys(required_posts or []))
    errors = {}
    if not title or len(title) > TITLE_MAX:
        errors["title"] = _("Give the course a title of up to %(max)s characters.") % {"max": TITLE_MAX}
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = _("Keep the description under %(max)s characters.") % {"max": DESCRIPTION_MAX}
    if kind not in Course.Kind.values:
        errors["kind"] = _("Choose online material or a session.")
    elif kind == Course.Kind.SESSION:
        if starts_at is None:
            errors["starts_at"] = _("A session needs its time.")
        if not place:
            errors["place"] = _("A session needs its place.")
    if len(place) > PLACE_MAX:
        errors["place"] = _("Keep the place under %(max)s characters.") % {"max": PLACE_MAX}
    if any(post not in Post.values for post in required_posts):
        errors["required_posts"] = _("Choose posts from the list.")
    if validity_months is not None and not 1 <= validity_months <= VALIDITY_MAX:
        errors["validity_months"] = _("A certificate is valid for 1 to %(max)s months, or leave it empty.") % {
            "max": VALIDITY_MAX
        }
    if errors:
        raise ValidationError(errors)
    course = Course.objects.create(
        title=title,
        description=description,
        kind=kind,
        starts_at=starts_at if kind == Course.Kind.SESSION else None,
        place=place if kind == Course.Kind.SESSION else "",
        required_posts=required_posts,
        validity_months=validity_months,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="workforce.course_create",
        target=course,
        details={"title": title, "kind": kind, "required_posts": required_posts, "validity_months": validity_months},
    )
    return course


@transaction.atomic
def enrol(*, actor: User, course: Course | None) -> Enrolment:
    """The worker enrols themselves on a course, once."""
    profile = WorkerProfile.objects.filter(user_id=actor.pk).first() if actor.is_authenticated else None
    if profile is None:
        raise PermissionDenied
    if course is None:
        raise ValidationError({"course": _("Choose a course to enrol on.")})
    if Enrolment.objects.filter(course=course, profile=profile).exists():
        raise ValidationError(_("You are already enrolled on this course."))
    try:
        with transaction.atomic():
            enrolment = Enrolment.objects.create(course=course, profile=profile)
    except IntegrityError:
        raise ValidationError(_("You are already enrolled on this course.")) from None
    audit_record(actor=actor, action="workforce.course_enrol", target=enrolment, details={"course": course.pk})
    return enrolment


def may_record(actor: User, profile: WorkerProfile) -> bool:
    """民政 officers, or the worker's managers (never the worker themselves)."""
    if actor.pk == profile.user_id:
        return False
    return has_role(actor, WORKFORCE_RULES_ROLES) or may_manage(actor, profile)


@transaction.atomic
def completion_record(*, actor: User, enrolment: Enrolment, score) -> Certificate | None:
    """Record a worker's completion with a score from 0 to 100; a score of at least PASS_MARK earns a
    certificate with a random code. A completion is recorded once. Returns the certificate, if any."""
    enrolment = Enrolment.objects.select_for_update().select_related("course", "profile__user").get(pk=enrolment.pk)
    if not may_record(actor, enrolment.profile):
        raise PermissionDenied
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 100:
        raise ValidationError({"score": _("Enter a score from 0 to 100.")})
    if enrolment.completed_on is not None:
        raise ValidationError(_("This completion was already recorded."))
    today = timezone.localdate()
    enrolment.completed_on, enrolment.score, enrolment.recorded_by = today, score, actor
    enrolment.save(update_fields=["completed_on", "score", "recorded_by"])
    certificate = None
    if score >= PASS_MARK:
        months = enrolment.course.validity_months
        certificate = Certificate.objects.create(
            enrolment=enrolment,
            code=new_code(),
            issued_on=today,
            expires_on=_add_months(today, months) if months else None,
        )
    audit_record(
        actor=actor,
        action="workforce.course_complete",
        target=enrolment,
        details={
            "course": enrolment.course_id,
            "worker": enrolment.profile.user.get_username(),
            "score": score,
            "passed": certificate is not None,
            "certificate": certificate.pk if certificate else None,
        },
    )
    return certificate


# --- reads ---------------------------------------------------------------------------------------
def courses_for(user) -> QuerySet[Course]:
    """Every course, with `enrolled` (whether the user is on it) annotated."""
    mine = Enrolment.objects.filter(course=OuterRef("pk"), profile__user_id=user.pk)
    return Course.objects.annotate(enrolled=Exists(mine)).order_by("-created_at", "-id")


def enrolments_visible(user, course: Course) -> QuerySet[Enrolment]:
    """A course's enrolments the user may record: all for 民政, their managed workers' for a manager."""
    enrolments = Enrolment.objects.filter(course=course).select_related("profile__user", "certificate")
    if has_role(user, WORKFORCE_RULES_ROLES):
        return enrolments.order_by("profile__user__username")
    managed = profiles_managed(user).exclude(user_id=user.pk).values("pk")
    return enrolments.filter(profile__in=managed).order_by("profile__user__username")


def worker_courses(profile: WorkerProfile) -> dict:
    """A worker's enrolments (with certificates) and the courses their post requires not yet passed."""
    enrolments = list(
        Enrolment.objects.filter(profile=profile).select_related("course", "certificate").order_by("-enrolled_at")
    )
    passed = {e.course_id for e in enrolments if e.score is not None and e.score >= PASS_MARK}
    missing = list(
        Course.objects.filter(required_posts__contains=[profile.post]).exclude(pk__in=passed).order_by("title")
    )
    return {"enrolments": enrolments, "required_missing": missing}


def certificate_by_code(code: str) -> dict | None:
    """What the public page shows for a code: the holder's name, the course, the dates. Nothing else."""
    code = (code or "").strip().upper().replace(" ", "").replace("-", "")
    if not code or len(code) > CODE_LENGTH * 2:
        return None
    row = (
        Certificate.objects.filter(code=code)
        .values(
            "issued_on",
            "expires_on",
            "enrolment__course__title",
            "enrolment__profile__user__first_name",
            "enrolment__profile__user__last_name",
        )
        .first()
    )
    if row is None:
        return None
    # The name as the portal displays a worker (WorkerProfile.__str__, Django's get_full_name).
    name = f"{row['enrolment__profile__user__first_name']} {row['enrolment__profile__user__last_name']}".strip()
    return {
        # Never the sign-in name: that would tell anyone a staff account's login.
        "name": name or "—",
        "course": row["enrolment__course__title"],
        "issued_on": row["issued_on"],
        "expires_on": row["expires_on"],
    }
