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
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from directory.models import Area
from security.audit import audit_record
from security.models import RoleAssignment, User
from workforce.models import Skill, WorkerProfile
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


def candidates_managed(user, *, skill: str = "", community_id: int | None = None) -> QuerySet[Candidate]:
    """The active candidates of the communities `user` manages, optionally with a skill or in one community."""
    paths = managed_paths(user)
    if not paths:
        return Candidate.objects.none()
    found = Candidate.objects.filter(_within(paths, "community__path"), status=Candidate.Status.ACTIVE)
    if skill:
        found = found.filter(skills__contains=[skill])
    if community_id:
        found = found.filter(community_id=community_id)
    return found.select_related("user", "community").order_by("user__username", "pk")


def candidate_for(user, candidate_id: int) -> Candidate | None:
    """The candidate if `user` manages their community; None otherwise."""
    return candidates_managed(user).select_related("mentor__user").filter(pk=candidate_id).first()


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
    *, actor: User, username: str, community: Area, reason: str, skills: list[str] | None = None
) -> Candidate:
    """Nominate a user of `community` (they hold a role there) to the pool."""
    if not communities_managed(actor).filter(pk=community.pk).exists():
        raise PermissionDenied
    reason = _text(reason, "reason", _("Say why you nominate them."))
    skills = list(dict.fromkeys(skills or []))
    if any(skill not in Skill.values for skill in skills):
        raise ValidationError({"skills": _("Choose skills from the list.")})
    nominee = User.objects.filter(username=(username or "").strip(), is_active=True).first()
    belongs = nominee and RoleAssignment.objects.filter(user=nominee, area__path__startswith=community.path).exists()
    if not belongs:
        raise ValidationError({"username": _("No active user of this community has that username.")})
    if Candidate.objects.filter(user=nominee, status=Candidate.Status.ACTIVE).exists():
        raise ValidationError({"username": _("This person is already in the reserve talent pool.")})
    try:
        with transaction.atomic():
            candidate = Candidate.objects.create(
                user=nominee, community=community, reason=reason, skills=skills, nominated_by=actor
            )
    except IntegrityError:  # a nomination made at the same moment
        raise ValidationError({"username": _("This person is already in the reserve talent pool.")}) from None
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
