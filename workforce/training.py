"""Training and certificates (issue 18, item 3): the writes (each in one transaction, audited) and
the reads. Civil-affairs (民政) officers create courses; a worker enrols themselves; a 民政 officer or
the worker's manager records the completion with a score; a pass earns a certificate whose code
anyone may check on the public page."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from notifications.models import Channel, OutboxMessage
from notifications.services import notify
from security.audit import audit_record
from security.models import RoleAssignment, User
from security.roles import WORKER_ROLES, WORKFORCE_HEAD_ROLES, WORKFORCE_RULES_ROLES
from security.scoping import has_role
from workforce.models import Post, WorkerProfile
from workforce.models_training import Certificate, Course, Enrolment
from workforce.selectors import is_manager, may_manage, profiles_managed

PASS_MARK = 60
TITLE_MAX = 120
DESCRIPTION_MAX = 5000
PLACE_MAX = 200
VALIDITY_MAX = 120
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed from paper
CODE_LENGTH = 12
# A certificate this close to expiry may be renewed by a retake, and its holder is reminded.
RENEWAL_WINDOW = timedelta(days=30)


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
def _course_fields(
    *,
    title: str,
    kind: str,
    description: str = "",
    starts_at: datetime | None = None,
    place: str = "",
    required_posts: list[str] | None = None,
    validity_months: int | None = None,
) -> dict:
    """A course's fields checked and tidied (one set of rules for a new course and an edit)."""
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
    session = kind == Course.Kind.SESSION
    return {
        "title": title,
        "description": description,
        "kind": kind,
        "starts_at": starts_at if session else None,
        "place": place if session else "",
        "required_posts": required_posts,
        "validity_months": validity_months,
    }


@transaction.atomic
def course_create(*, actor: User, **fields) -> Course:
    """A new course (civil-affairs officers only). A session needs its time and place."""
    if not has_role(actor, WORKFORCE_RULES_ROLES):
        raise PermissionDenied
    fields = _course_fields(**fields)
    course = Course.objects.create(created_by=actor, **fields)
    audit_record(
        actor=actor,
        action="workforce.course_create",
        target=course,
        details={key: fields[key] for key in ("title", "kind", "required_posts", "validity_months")},
    )
    return course


def may_edit_course(actor: User) -> bool:
    """Civil-affairs officers edit courses: the officer who created one, or a colleague (a creator
    who no longer holds the role may not)."""
    return has_role(actor, WORKFORCE_RULES_ROLES)


@transaction.atomic
def course_update(*, actor: User, course: Course, **fields) -> Course:
    """Change a course. Its kind stays once anyone enrolled (their attendance and completions were
    recorded under it); certificates already issued keep their dates."""
    if not may_edit_course(actor):
        raise PermissionDenied
    course = Course.objects.select_for_update().get(pk=course.pk)
    fields = _course_fields(**fields)
    if fields["kind"] != course.kind and Enrolment.objects.filter(course=course).exists():
        raise ValidationError({"kind": _("Workers are enrolled on this course, so its kind cannot change.")})
    changed = {
        name: {"from": _jsonable(getattr(course, name)), "to": _jsonable(value)}
        for name, value in fields.items()
        if getattr(course, name) != value
    }
    if not changed:
        return course
    for name, value in fields.items():
        setattr(course, name, value)
    course.save(update_fields=list(fields))
    audit_record(actor=actor, action="workforce.course_update", target=course, details={"changed": changed})
    return course


def _jsonable(value):
    return value.isoformat() if isinstance(value, datetime) else value


def _holding_pass(today: date) -> Q:
    """Enrolments whose certificate is still good beyond the renewal window: no retake is due."""
    return Q(certificate__isnull=False) & (
        Q(certificate__expires_on__isnull=True) | Q(certificate__expires_on__gt=today + RENEWAL_WINDOW)
    )


def may_enrol(user, course: Course) -> bool:
    """Whether `user` may enrol on the course now: a worker with a profile, not on it, and holding no
    certificate for it beyond the renewal window."""
    if not user.is_authenticated or not WorkerProfile.objects.filter(user_id=user.pk).exists():
        return False
    earlier = Enrolment.objects.filter(course=course, profile__user_id=user.pk)
    today = timezone.localdate()
    return not earlier.filter(Q(completed_on__isnull=True) | _holding_pass(today)).exists()


@transaction.atomic
def enrol(*, actor: User, course: Course | None) -> Enrolment:
    """The worker enrols themselves on a course. After a fail, or when their certificate has expired
    or expires within RENEWAL_WINDOW, they enrol again (a retake): a new enrolment, and the earlier
    completion with its certificate stays as history."""
    profile = WorkerProfile.objects.filter(user_id=actor.pk).first() if actor.is_authenticated else None
    if profile is None:
        raise PermissionDenied
    if course is None:
        raise ValidationError({"course": _("Choose a course to enrol on.")})
    earlier = Enrolment.objects.filter(course=course, profile=profile)
    if earlier.filter(completed_on__isnull=True).exists():
        raise ValidationError(_("You are already enrolled on this course."))
    if earlier.filter(_holding_pass(timezone.localdate())).exists():
        raise ValidationError(
            _("You passed this course; you may retake it when your certificate is within %(days)s days of expiry.")
            % {"days": RENEWAL_WINDOW.days}
        )
    retake = earlier.exists()
    try:
        with transaction.atomic():
            enrolment = Enrolment.objects.create(course=course, profile=profile)
    except IntegrityError:
        raise ValidationError(_("You are already enrolled on this course.")) from None
    audit_record(
        actor=actor,
        action="workforce.course_enrol",
        target=enrolment,
        details={"course": course.pk, "retake": retake},
    )
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
    if enrolment.course.kind == Course.Kind.SESSION and not enrolment.attended:
        raise ValidationError(_("Record that they attended the session before their completion."))
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


@transaction.atomic
def attendance_record(*, actor: User, course: Course, attended_ids: set[int]) -> dict:
    """Who attended a session, for the enrolments `actor` may record that are not completed yet: the
    ones in `attended_ids` attended, the others did not. Once the session has begun; audited once."""
    if course.kind != Course.Kind.SESSION:
        raise ValidationError(_("Attendance is recorded for sessions only."))
    if course.starts_at is None or course.starts_at > timezone.now():
        raise ValidationError(_("Attendance is recorded once the session has begun."))
    if not (has_role(actor, WORKFORCE_RULES_ROLES) or is_manager(actor)):
        raise PermissionDenied
    open_ids = list(
        enrolments_visible(actor, course)
        .filter(completed_on__isnull=True)
        .select_for_update(of=("self",))
        .values_list("pk", "attended")
    )
    if not open_ids:
        raise ValidationError(_("No worker you record for is waiting on this session."))
    unknown = set(attended_ids) - {pk for pk, _attended in open_ids}
    if unknown:
        raise ValidationError(_("Choose from the workers listed."))
    marked = [pk for pk, attended in open_ids if pk in attended_ids and not attended]
    unmarked = [pk for pk, attended in open_ids if pk not in attended_ids and attended]
    if marked:
        Enrolment.objects.filter(pk__in=marked).update(attended=True, attendance_recorded_by=actor)
    if unmarked:
        Enrolment.objects.filter(pk__in=unmarked).update(attended=False, attendance_recorded_by=actor)
    if marked or unmarked:
        audit_record(
            actor=actor,
            action="workforce.course_attendance",
            target=course,
            details={"attended": marked, "not_attended": unmarked},
        )
    return {"attended": marked, "not_attended": unmarked}


# --- reads ---------------------------------------------------------------------------------------
def courses_for(user) -> QuerySet[Course]:
    """Every course, with `enrolled` (the user is on it, not completed yet) and `passed` (they hold a
    certificate not due for renewal) annotated."""
    mine = Enrolment.objects.filter(course=OuterRef("pk"), profile__user_id=user.pk)
    return Course.objects.annotate(
        enrolled=Exists(mine.filter(completed_on__isnull=True)),
        passed=Exists(mine.filter(_holding_pass(timezone.localdate()))),
    ).order_by("-created_at", "-id")


def enrolments_visible(user, course: Course) -> QuerySet[Enrolment]:
    """A course's enrolments the user may record: all for 民政, their managed workers' for a manager."""
    enrolments = Enrolment.objects.filter(course=course).select_related("profile__user", "certificate")
    if has_role(user, WORKFORCE_RULES_ROLES):
        return enrolments.order_by("profile__user__username", "-enrolled_at", "-id")
    managed = profiles_managed(user).exclude(user_id=user.pk).values("pk")
    return enrolments.filter(profile__in=managed).order_by("profile__user__username", "-enrolled_at", "-id")


def worker_courses(profile: WorkerProfile) -> dict:
    """A worker's enrolments (with certificates, retakes included) and the courses their post requires
    with no certificate in force (never passed, or the certificate expired)."""
    enrolments = list(
        Enrolment.objects.filter(profile=profile).select_related("course", "certificate").order_by("-enrolled_at")
    )
    today = timezone.localdate()
    passed = {
        e.course_id
        for e in enrolments
        if hasattr(e, "certificate") and (e.certificate.expires_on is None or e.certificate.expires_on >= today)
    }
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


# --- reminders -----------------------------------------------------------------------------------
REMINDER_KIND = "workforce.training"
REMINDER_BATCH = 200  # messages per transaction


def _required_key(course_id: int, profile_id: int, today: date) -> str:
    # One per course, worker and month: a required course not done is recalled monthly.
    return f"training:required:{course_id}:profile:{profile_id}:{today:%Y-%m}"


def _expiry_key(certificate_id: int, recipient_id: int) -> str:
    # One per certificate and person: told once, when it first comes within the renewal window.
    return f"training:expiry:{certificate_id}:user:{recipient_id}"


def _reminders_due(today: date) -> list[dict]:
    """Every reminder due today, read in a constant number of queries whatever the number of workers:
    the serving workers, the required courses, their certificates, the heads of their communities."""
    workers = list(
        WorkerProfile.objects.filter(
            Exists(RoleAssignment.objects.filter(user=OuterRef("user"), role__in=WORKER_ROLES)), user__is_active=True
        )
        .select_related("user")
        .prefetch_related(
            Prefetch(
                "user__role_assignments",
                queryset=RoleAssignment.objects.filter(role__in=WORKER_ROLES).select_related("area"),
                to_attr="service_roles",
            )
        )
    )
    if not workers:
        return []
    by_pk = {worker.pk: worker for worker in workers}
    required = list(Course.objects.exclude(required_posts=[]).order_by("pk"))
    certificates = list(
        Certificate.objects.filter(enrolment__profile__in=list(by_pk)).values(
            "pk", "expires_on", "enrolment__course_id", "enrolment__course__title", "enrolment__profile_id"
        )
    )
    # The furthest expiry each worker holds per course (None: one that never expires).
    furthest: dict[tuple[int, int], date | None] = {}
    for row in certificates:
        held, expires = (row["enrolment__profile_id"], row["enrolment__course_id"]), row["expires_on"]
        if held not in furthest:
            furthest[held] = expires
        elif furthest[held] is not None:
            furthest[held] = None if expires is None else max(furthest[held], expires)
    heads = list(
        RoleAssignment.objects.filter(
            role__in=WORKFORCE_HEAD_ROLES, user__is_active=True, user__worker_profile__is_head=True
        ).select_related("area", "user")
    )
    due = []
    for course in required:
        for worker in workers:
            if worker.post not in course.required_posts:
                continue
            held = (worker.pk, course.pk)
            if held in furthest and (furthest[held] is None or furthest[held] >= today):
                continue  # a certificate in force
            due.append(
                {
                    "key": _required_key(course.pk, worker.pk, today),
                    "recipient": worker.user,
                    "title": _("Required training: %(course)s") % {"course": course.title},
                    "body": _(
                        "Your post requires the course %(course)s and you hold no certificate for it. "
                        "Enrol and complete it."
                    )
                    % {"course": course.title},
                    "link": f"/workforce/training/{course.pk}/",
                }
            )
    for row in certificates:
        expires = row["expires_on"]
        held = (row["enrolment__profile_id"], row["enrolment__course_id"])
        if expires is None or not today <= expires <= today + RENEWAL_WINDOW or furthest[held] != expires:
            continue  # no expiry, not within the window, or already renewed by a retake
        worker = by_pk[row["enrolment__profile_id"]]
        values = {"course": row["enrolment__course__title"], "date": expires.isoformat(), "name": worker}
        due.append(
            {
                "key": _expiry_key(row["pk"], worker.user_id),
                "recipient": worker.user,
                "title": _("Your certificate expires soon: %(course)s") % values,
                "body": _("Your certificate for %(course)s expires on %(date)s. Enrol again to renew it.") % values,
                "link": f"/workforce/training/{row['enrolment__course_id']}/",
            }
        )
        paths = [assignment.area.path for assignment in worker.user.service_roles]
        for head in heads:
            if head.user_id != worker.user_id and any(path.startswith(head.area.path) for path in paths):
                due.append(
                    {
                        "key": _expiry_key(row["pk"], head.user_id),
                        "recipient": head.user,
                        "title": _("A worker's certificate expires soon: %(name)s") % values,
                        "body": _("%(name)s's certificate for %(course)s expires on %(date)s.") % values,
                        "link": f"/workforce/{worker.pk}/",
                    }
                )
    return due


def training_reminders_send(*, today: date | None = None) -> int:
    """Tell workers of required courses for their post they hold no certificate for (monthly), and
    workers and their community's heads of certificates expiring within RENEWAL_WINDOW (once).

    Safe to run twice, or again after a retry: every message has a key (notify records a key once),
    and keys already recorded are left out before calling notify, so a rerun writes nothing and
    costs the same few queries. Returns how many messages were recorded."""
    today = today or timezone.localdate()
    with translation.override(settings.LANGUAGE_CODE):
        due = _reminders_due(today)
    channel_keys = [f"{item['key']}:{channel}" for item in due for channel in Channel.values]
    recorded = {
        key.rsplit(":", 1)[0]
        for key in OutboxMessage.objects.filter(key__in=channel_keys).values_list("key", flat=True)
    }
    due = list({item["key"]: item for item in due if item["key"] not in recorded}.values())
    for start in range(0, len(due), REMINDER_BATCH):
        batch = due[start : start + REMINDER_BATCH]
        with transaction.atomic():
            for item in batch:
                notify(kind=REMINDER_KIND, **item)
            audit_record(
                actor=None,
                action="workforce.training_remind",
                details={
                    "on": today.isoformat(),
                    "required": sum(1 for item in batch if item["key"].startswith("training:required:")),
                    "expiry": sum(1 for item in batch if item["key"].startswith("training:expiry:")),
                },
            )
    return len(due)
