"""A worker's profile and level history in their data export (registered with residents.data_rights
from WorkforceConfig.ready()).

Deletion: a worker's account is deactivated by an administrator, not deleted by themselves
(residents.services.account_self_deletable); a former worker who kept only a resident's role may
delete theirs. Their profile and level history stay as the district's employment record; the
personal phone, which the district does not need once they have left, is erased."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from residents.data_rights import register_section
from security import personal_data
from security.models import User
from workforce.models import Assessment, LevelChange, Qualification, Skill, WorkerProfile


def export_worker(user: User) -> dict | None:
    profile = WorkerProfile.objects.filter(user=user).first()
    if profile is None:
        return None
    skill_labels = dict(Skill.choices)
    return {
        "post": profile.get_post_display(),
        "level": profile.level,
        "heads_community": profile.is_head,
        "date_joined": profile.date_joined,
        "education": profile.get_education_display(),
        "qualification": str(dict(Qualification.choices).get(profile.qualification, "")),
        "skills": ", ".join(str(skill_labels.get(skill, skill)) for skill in profile.skills),
        "languages": profile.languages,
        "work_phone": profile.work_phone,
        "personal_phone": (
            personal_data.decrypt(profile.personal_phone_encrypted) if profile.personal_phone_encrypted else ""
        ),
        "level_history": [
            {
                "from_level": change.from_level,
                "to_level": change.to_level,
                "reason": change.reason,
                "at": change.changed_at,
            }
            for change in LevelChange.objects.filter(profile=profile).order_by("changed_at", "pk")
        ],
        # Final ones only: a draft is the manager's work in progress until finalised (as on the pages).
        "assessments": [
            {
                "year": found.year,
                "total": found.total,
                "grade": found.get_grade_display(),
                "casework_score": found.casework_score,
                "satisfaction_score": found.satisfaction_score,
                "visits_score": found.visits_score,
                "training_score": found.training_score,
                "manager_rating": found.manager_rating,
                "finalised_at": found.finalised_at,
            }
            for found in Assessment.objects.filter(profile=profile, status=Assessment.Status.FINAL).order_by("year")
        ],
    }


def worker_erase(user: User) -> dict:
    """Inside the account deletion's transaction; its own audit event carries the count."""
    return {"personal_phones_erased": WorkerProfile.objects.filter(user=user).update(personal_phone_encrypted="")}


def register_data_rights() -> None:
    register_section(
        "worker_profile",
        title=_("My community worker profile and level history"),
        export=export_worker,
        erase=worker_erase,
        labels={
            "post": _("Post"),
            "level": _("Level"),
            "heads_community": _("Heads the community"),
            "date_joined": _("Date joined"),
            "education": _("Education"),
            "qualification": _("Professional qualification"),
            "skills": _("Skills"),
            "languages": _("Languages and dialects"),
            "work_phone": _("Work phone"),
            "personal_phone": _("Personal phone"),
            "level_history": _("Level history"),
            "from_level": _("From level"),
            "to_level": _("To level"),
            "reason": _("Reason"),
            "at": _("When"),
            "assessments": _("Yearly assessments"),
            "year": _("Year"),
            "total": _("Total"),
            "grade": _("Grade"),
            "casework_score": _("Casework"),
            "satisfaction_score": _("Residents' satisfaction"),
            "visits_score": _("Elderly visits"),
            "training_score": _("Required training"),
            "manager_rating": _("Manager's rating"),
            "finalised_at": _("Finalised"),
        },
        kept_after_deletion=_(
            "Your worker profile and level history stay as the district's employment record; your "
            "personal phone is erased."
        ),
    )
