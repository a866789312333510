"""The reserve talent pool (后备人才库, issue 18 item 4): reads and writes.

A manager (workforce.selectors.managed_paths) nominates a user of a community they manage, with a
reason and skills; one active nomination per person (a database constraint). The candidate gets a
development plan, a mentor (a worker with a profile serving in the candidate's community) and dated
reviews by managers. Every write is audited. A candidate outside the actor's subtrees does not exist
for them (the views answer 404)."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, Count, Exists, ExpressionWrapper, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from directory.models import Area
from residents.selectors import resident_query_is_a_number
from security import personal_data
from security.audit import audit_record
from security.models import RoleAssignment, User
from workforce.models import Post, Skill, WorkerProfile
from workforce.models_talent import Candidate, CandidateReview
from workforce.selectors import _served_within, managed_paths

TEXT_MAX = 2000


def _within(paths: list[str], field: str) -> Q:
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(**{f"{field}__startswith": path})
    return condition


# --- reads ----------------------------------------------------------------------------------------
def communities_managed(user) -> QuerySet[Area]:
    """The communities in the subtrees `user` manages."""
    paths = managed_paths(user)
    return Area.objects.filter(_within(paths, "path"), kind=Area.Kind.COMMUNITY).order_by("code")


def candidates_managed(
    user, *, skill: str = "", community_id: int | None = None, status: str | None = Candidate.Status.ACTIVE
) -> QuerySet[Candidate]:
    """The candidates of the communities `user` manages (those in the pool unless `status` says
    otherwise; None: every nomination, closed ones included), optionally with a skill or in one community."""
    paths = managed_paths(user)
    if not paths:
        return Candidate.objects.none()
    found = Candidate.objects.filter(_within(paths, "community__path"))
    if status:
        found = found.filter(status=status)
    if skill:
        found = found.filter(skills__contains=[skill])
    if community_id:
        found = found.filter(community_id=community_id)
    return found.select_related("user", "community").order_by("user__username", "pk")


def candidate_for(user, candidate_id: int) -> Candidate | None:
    """The candidate (in the pool or closed: the history) if `user` manages their community; None otherwise."""
    return candidates_managed(user, status=None).select_related("mentor__user").filter(pk=candidate_id).first()


def earlier_nominations(candidate: Candidate) -> QuerySet[Candidate]:
    """The same person's other nominations in the same community (closed ones: the history)."""
    return (
        Candidate.objects.filter(user_id=candidate.user_id, community_id=candidate.community_id)
        .exclude(pk=candidate.pk)
        .order_by("-created_at", "-pk")
    )


NOMINEES_SHOWN = 20


def nominees_find(*, actor: User, query: str, community: Area | None = None) -> list[User]:
    """Active users holding a role in a community `actor` manages (or in `community`), found by name
    or exactly by mobile number. A number is matched through the register's keyed hash (never
    decrypted) and the look-up is audited, as the register's search is. At most NOMINEES_SHOWN."""
    query = (query or "").strip()
    if not query:
        return []
    paths = (
        [community.path] if community is not None else list(communities_managed(actor).values_list("path", flat=True))
    )
    if community is not None and not communities_managed(actor).filter(pk=community.pk).exists():
        raise PermissionDenied
    if not paths:
        return []
    users = User.objects.filter(
        Exists(RoleAssignment.objects.filter(_within(paths, "area__path"), user=OuterRef("pk"))), is_active=True
    )
    if resident_query_is_a_number(query):
        phone = personal_data.normalise_phone(query)  # ValidationError: says what a number looks like
        audit_record(actor=actor, action="workforce.talent_lookup", details={"by": "phone"})
        users = users.filter(resident_profile__phone_hash=personal_data.lookup_hash("phone", phone))
    else:
        users = users.filter(
            Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
            | Q(resident_profile__full_name__icontains=query)
            | Q(username__iexact=query)
        )
    in_pool = Candidate.objects.filter(user=OuterRef("pk"), status=Candidate.Status.ACTIVE)
    return list(
        users.annotate(in_pool=Exists(in_pool))
        .select_related("resident_profile")
        .distinct()
        .order_by("username")[:NOMINEES_SHOWN]
    )


def nominee_label(user: User) -> str:
    """How the picker shows a person: their name and masked phone (as the register shows it)."""
    resident = getattr(user, "resident_profile", None)
    name = user.get_full_name() or (resident.full_name if resident else "") or user.get_username()
    return f"{name} · {resident.phone_masked}" if resident and resident.phone_masked else name


def vacancy_candidates(actor: User, *, community: Area, skills: list[str]) -> QuerySet[Candidate]:
    """For a post falling vacant in `community`: the candidates in the pool of the communities `actor`
    manages in the same subdistrict, with at least one of `skills` if any are given, best fit first —
    most of the skills matched, then of the community itself, then the most reviews."""
    area_path = community.parent.path if community.parent_id else community.path
    found = candidates_managed(actor).filter(community__path__startswith=area_path)
    matched = Value(0)
    if skills:
        found = found.filter(_any_skill(skills))
        for skill in skills:
            matched = matched + Case(When(skills__contains=[skill], then=Value(1)), default=Value(0))
    return found.annotate(
        matched=ExpressionWrapper(matched, output_field=IntegerField()),
        here=Case(When(community_id=community.pk, then=Value(1)), default=Value(0)),
        review_count=Count("reviews", distinct=True),
    ).order_by("-matched", "-here", "-review_count", "user__username", "pk")


def _any_skill(skills: list[str]) -> Q:
    condition = Q(pk__in=[])
    for skill in skills:
        condition |= Q(skills__contains=[skill])
    return condition


def mentors_for(community: Area) -> QuerySet[WorkerProfile]:
    """Workers with a profile serving in the community's subtree: who may mentor its candidates."""
    return (
        WorkerProfile.objects.filter(_served_within([community.path]), user__is_active=True)
        .select_related("user")
        .order_by("user__username")
    )


def skill_labels(skills: list[str]) -> list[str]:
    labels = dict(Skill.choices)
    return [str(labels.get(skill, skill)) for skill in skills]


# --- writes ---------------------------------------------------------------------------------------
def _text(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    if len(value) > TEXT_MAX:
        raise ValidationError({field: _("Keep it under %(max)s characters.") % {"max": TEXT_MAX}})
    return value


@transaction.atomic
def candidate_nominate(
    *, actor: User, nominee: User | None, community: Area, reason: str, skills: list[str] | None = None
) -> Candidate:
    """Nominate a user of `community` (they hold a role there) to the pool; someone whose earlier
    nomination was closed may be nominated again."""
    if not communities_managed(actor).filter(pk=community.pk).exists():
        raise PermissionDenied
    reason = _text(reason, "reason", _("Say why you nominate them."))
    skills = list(dict.fromkeys(skills or []))
    if any(skill not in Skill.values for skill in skills):
        raise ValidationError({"skills": _("Choose skills from the list.")})
    belongs = (
        nominee is not None
        and nominee.is_active
        and RoleAssignment.objects.filter(user=nominee, area__path__startswith=community.path).exists()
    )
    if not belongs:
        raise ValidationError({"nominee": _("Choose an active user of this community.")})
    if Candidate.objects.filter(user=nominee, status=Candidate.Status.ACTIVE).exists():
        raise ValidationError({"nominee": _("This person is already in the reserve talent pool.")})
    try:
        with transaction.atomic():
            candidate = Candidate.objects.create(
                user=nominee, community=community, reason=reason, skills=skills, nominated_by=actor
            )
    except IntegrityError:  # a nomination made at the same moment
        raise ValidationError({"nominee": _("This person is already in the reserve talent pool.")}) from None
    audit_record(
        actor=actor,
        action="workforce.talent_nominate",
        target=candidate,
        area=community,
        details={"user": nominee.pk, "skills": skills},
    )
    return candidate


@transaction.atomic
def candidate_plan_set(
    *, actor: User, candidate: Candidate, development_plan: str, mentor: WorkerProfile | None
) -> Candidate:
    """Set the candidate's development plan and mentor (a worker serving in their community)."""
    candidate = Candidate.objects.select_for_update().get(pk=candidate.pk)
    if candidate_for(actor, candidate.pk) is None:
        raise PermissionDenied
    _still_in_pool(candidate)
    plan = (development_plan or "").strip()
    if len(plan) > TEXT_MAX:
        raise ValidationError({"development_plan": _("Keep it under %(max)s characters.") % {"max": TEXT_MAX}})
    if mentor is not None and not mentors_for(candidate.community).filter(pk=mentor.pk).exists():
        raise ValidationError({"mentor": _("The mentor must be a worker serving in the candidate's community.")})
    if mentor is not None and mentor.user_id == candidate.user_id:
        raise ValidationError({"mentor": _("A candidate cannot mentor themselves.")})
    details = {
        "mentor_before": candidate.mentor_id,
        "mentor": mentor.pk if mentor else None,
        "plan_changed": plan != candidate.development_plan,
    }
    candidate.development_plan, candidate.mentor = plan, mentor
    candidate.save(update_fields=["development_plan", "mentor", "updated_at"])
    audit_record(
        actor=actor,
        action="workforce.talent_plan",
        target=candidate,
        area=candidate.community,
        details=details,
    )
    return candidate


@transaction.atomic
def candidate_review_add(*, actor: User, candidate: Candidate, note: str, reviewed_on: date) -> CandidateReview:
    """A manager's dated note on the candidate (not in the future)."""
    if candidate_for(actor, candidate.pk) is None:
        raise PermissionDenied
    _still_in_pool(candidate)
    note = _text(note, "note", _("Write the review."))
    if reviewed_on > timezone.localdate():
        raise ValidationError({"reviewed_on": _("A review cannot be dated in the future.")})
    review = CandidateReview.objects.create(candidate=candidate, note=note, reviewed_on=reviewed_on, author=actor)
    audit_record(
        actor=actor,
        action="workforce.talent_review",
        target=candidate,
        area=candidate.community,
        details={"review": review.pk, "reviewed_on": reviewed_on.isoformat()},
    )
    return review


def _still_in_pool(candidate: Candidate) -> None:
    if candidate.status != Candidate.Status.ACTIVE:
        raise ValidationError(_("This candidate has left the pool; their record is kept as it is."))


@transaction.atomic
def candidate_close(
    *, actor: User, candidate: Candidate, outcome: str, note: str = "", hired_post: str = ""
) -> Candidate:
    """A manager closes a nomination: hired (for a post), withdrew, or not suitable. The row stays as
    the history, and the person may be nominated again."""
    if candidate_for(actor, candidate.pk) is None:
        raise PermissionDenied
    candidate = Candidate.objects.select_for_update().select_related("community").get(pk=candidate.pk)
    _still_in_pool(candidate)
    if outcome not in Candidate.Outcome.values:
        raise ValidationError({"outcome": _("Choose why they leave the pool.")})
    note = (note or "").strip()
    if len(note) > TEXT_MAX:
        raise ValidationError({"note": _("Keep it under %(max)s characters.") % {"max": TEXT_MAX}})
    if outcome == Candidate.Outcome.UNSUITABLE and not note:
        raise ValidationError({"note": _("Say why they are not suitable.")})
    hired_post = hired_post or ""
    if outcome != Candidate.Outcome.HIRED:
        hired_post = ""
    elif hired_post not in Post.values:
        raise ValidationError({"hired_post": _("Choose the post they are hired for.")})
    candidate.status, candidate.outcome, candidate.closing_note = Candidate.Status.CLOSED, outcome, note
    candidate.hired_post, candidate.closed_on, candidate.closed_by = hired_post, timezone.localdate(), actor
    candidate.save(
        update_fields=["status", "outcome", "closing_note", "hired_post", "closed_on", "closed_by", "updated_at"]
    )
    audit_record(
        actor=actor,
        action="workforce.talent_close",
        target=candidate,
        area=candidate.community,
        details={"outcome": outcome, "hired_post": hired_post, "note": bool(note)},
    )
    return candidate


# --- data rights ----------------------------------------------------------------------------------
def export_nominations(user: User) -> dict | None:
    """The person's nominations to the pool, for their data export (residents.data_rights)."""
    nominations = (
        Candidate.objects.filter(user=user)
        .select_related("community", "mentor__user")
        .prefetch_related("reviews")
        .order_by("created_at", "pk")
    )
    rows = [
        {
            "community": candidate.community.name,
            "status": candidate.get_status_display(),
            "outcome": candidate.get_outcome_display() if candidate.outcome else "",
            "nominated_on": candidate.created_at.date(),
            "reason": candidate.reason,
            "skills": ", ".join(skill_labels(candidate.skills)),
            "development_plan": candidate.development_plan,
            "mentor": str(candidate.mentor) if candidate.mentor else "",
            "reviews": [{"on": review.reviewed_on, "note": review.note} for review in candidate.reviews.all()],
        }
        for candidate in nominations
    ]
    return {"nominations": rows} if rows else None


def erase_nominations(user: User) -> dict:
    """Inside the account deletion's transaction: the person leaves the pool, with their plan and reviews."""
    return {"talent_nominations_deleted": Candidate.objects.filter(user=user).delete()[1].get("workforce.Candidate", 0)}


def register_data_rights() -> None:
    from residents.data_rights import register_section

    register_section(
        "talent_nominations",
        title=gettext_lazy("My nominations to the reserve talent pool"),
        export=export_nominations,
        erase=erase_nominations,
        labels={
            "nominations": gettext_lazy("Nominations"),
            "community": gettext_lazy("Community"),
            "status": gettext_lazy("Status"),
            "outcome": gettext_lazy("Why they left the pool"),
            "nominated_on": gettext_lazy("Nominated on"),
            "reason": gettext_lazy("Why they were nominated"),
            "skills": gettext_lazy("Skills"),
            "development_plan": gettext_lazy("Development plan"),
            "mentor": gettext_lazy("Mentor"),
            "reviews": gettext_lazy("Reviews"),
            "on": gettext_lazy("Date"),
            "note": gettext_lazy("Review"),
        },
        kept_after_deletion=gettext_lazy("Nothing: you leave the pool, with your plan and reviews."),
    )
