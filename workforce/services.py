"""Every write of the workforce: profiles, the level rules, level proposals and their confirmation,
and a leaving worker's handover. Each runs in one transaction and writes its audit event last."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from security import personal_data
from security.audit import audit_record
from security.models import Role, RoleAssignment, User
from security.roles import WORKER_ROLES, WORKFORCE_MANAGER_ROLES, WORKFORCE_RULES_ROLES
from security.scoping import area_paths, has_role
from security.services import role_grant, role_revoke
from workforce.models import (
    POST_BANDS,
    Assessment,
    Education,
    LevelChange,
    LevelProposal,
    LevelRules,
    Post,
    Qualification,
    Skill,
    WorkerProfile,
)
from workforce.models_assessment import Grade
from workforce.selectors import managed_paths, may_manage, rules_in_force, years_of_service

REASON_MAX = 500
# A landline with its area code or a mobile: what residents dial (「联系网格员」).
WORK_PHONE_RE = re.compile(r"\+?[0-9][0-9 -]{5,18}[0-9]")
STEP_MAX = 6
YEARS_PER_STEP_MAX = 10


# --- profiles ------------------------------------------------------------------------------------
def _check_band(post: str, level: int) -> None:
    if post not in Post.values:
        raise ValidationError({"post": _("Choose a post.")})
    low, high = POST_BANDS[Post(post)]
    if not low <= level <= high:
        raise ValidationError(
            {
                "level": _("A %(post)s is on levels %(low)s to %(high)s.")
                % {"post": Post(post).label, "low": low, "high": high}
            }
        )


@transaction.atomic
def profile_save(
    *,
    actor: User,
    user: User,
    post: str,
    level: int,
    date_joined: date,
    education: str,
    qualification: str = "",
    skills: list[str] | None = None,
    languages: str = "",
    work_phone: str = "",
    personal_phone: str = "",
    is_head: bool = False,
) -> WorkerProfile:
    """Create or change a worker's profile. The worker must serve (as grid worker or community staff)
    where `actor` manages; only subdistrict and civil-affairs officers say who heads a community."""
    serves = RoleAssignment.objects.filter(user=user, role__in=WORKER_ROLES)
    paths = managed_paths(actor)
    if not paths or not any(a.area.path.startswith(p) for a in serves.select_related("area") for p in paths):
        raise PermissionDenied
    existing = WorkerProfile.objects.select_for_update().filter(user=user).first()
    if is_head != (existing.is_head if existing else False) and not has_role(actor, WORKFORCE_MANAGER_ROLES):
        raise PermissionDenied
    _check_band(post, level)
    errors = {}
    if education not in Education.values:
        errors["education"] = _("Choose an education.")
    if qualification not in Qualification.values:
        errors["qualification"] = _("Choose a qualification.")
    skills = list(dict.fromkeys(skills or []))
    if any(skill not in Skill.values for skill in skills):
        errors["skills"] = _("Choose skills from the list.")
    if date_joined > timezone.localdate():
        errors["date_joined"] = _("The date joined cannot be in the future.")
    work_phone = work_phone.strip()
    if work_phone and not WORK_PHONE_RE.fullmatch(work_phone):
        errors["work_phone"] = _("Enter the work phone as digits, e.g. 0817-2223333 or 13812345678.")
    if personal_phone.strip():
        try:
            personal_phone = personal_data.normalise_phone(personal_phone)
        except ValidationError as error:
            errors["personal_phone"] = error.messages
    if errors:
        raise ValidationError(errors)
    profile = existing or WorkerProfile(user=user)
    before = {"post": profile.post, "level": profile.level, "is_head": profile.is_head} if existing else None
    profile.post, profile.level, profile.date_joined = post, level, date_joined
    profile.education, profile.qualification, profile.skills = education, qualification, skills
    profile.languages, profile.work_phone, profile.is_head = languages.strip()[:200], work_phone, is_head
    if personal_phone.strip():
        profile.personal_phone_encrypted = personal_data.encrypt(personal_phone)
    profile.save()
    audit_record(
        actor=actor,
        action="workforce.profile_update" if existing else "workforce.profile_create",
        target=profile,
        details={"before": before, "post": post, "level": level, "is_head": is_head},
    )
    return profile


# --- the level rules -----------------------------------------------------------------------------
RULE_FIELDS = (
    "years_per_step",
    "step_associate",
    "step_bachelor",
    "step_master",
    "step_assistant",
    "step_social_worker",
    "step_senior",
    "step_excellent",
)


@transaction.atomic
def level_rules_set(*, actor: User, **values: int) -> LevelRules:
    """A new version of the level rules, in force from now (civil-affairs officers only). A rule not
    given keeps its value in force."""
    if not has_role(actor, WORKFORCE_RULES_ROLES):
        raise PermissionDenied
    values = {field: getattr(rules_in_force(), field) for field in RULE_FIELDS if field not in values} | values
    errors = {}
    for field in RULE_FIELDS:
        value = values.get(field)
        high = YEARS_PER_STEP_MAX if field == "years_per_step" else STEP_MAX
        low = 1 if field == "years_per_step" else 0
        if not isinstance(value, int) or not low <= value <= high:
            errors[field] = _("Enter a whole number from %(low)s to %(high)s.") % {"low": low, "high": high}
    if errors:
        raise ValidationError(errors)
    rules = LevelRules.objects.create(created_by=actor, **{field: values[field] for field in RULE_FIELDS})
    audit_record(
        actor=actor, action="workforce.level_rules_set", target=rules, details={f: values[f] for f in RULE_FIELDS}
    )
    return rules


def _rule_inputs(
    rules: LevelRules, *, post, date_joined, education, qualification, today: date, level_now: int, grade: str = ""
) -> tuple[int, dict]:
    """The rule level and the inputs that explain it. `grade` is the worker's final assessment for
    last year (workforce.assessment), if any: excellent adds `step_excellent` levels; not competent
    withholds any rise, and the inputs say so."""
    years = years_of_service(WorkerProfile(date_joined=date_joined), today)
    education_step = {
        Education.ASSOCIATE: rules.step_associate,
        Education.BACHELOR: rules.step_bachelor,
        Education.MASTER: rules.step_master,
    }.get(education, 0)
    qualification_step = {
        Qualification.ASSISTANT: rules.step_assistant,
        Qualification.SOCIAL_WORKER: rules.step_social_worker,
        Qualification.SENIOR: rules.step_senior,
    }.get(qualification, 0)
    low, high = POST_BANDS[Post(post)]
    service_steps = years // rules.years_per_step
    assessment_step = rules.step_excellent if grade == Grade.EXCELLENT else 0
    level = max(low, min(high, low + service_steps + education_step + qualification_step + assessment_step))
    withheld = grade == Grade.NOT_COMPETENT and level > level_now
    rule_level, level = level, level_now if withheld else level
    inputs = {
        "years_of_service": years,
        "years_per_step": rules.years_per_step,
        "service_steps": service_steps,
        "education": education,
        "education_step": education_step,
        "qualification": qualification,
        "qualification_step": qualification_step,
        "band": [low, high],
        "assessment_year": today.year - 1,
        "assessment_grade": grade,
        "assessment_step": assessment_step,
        # Why no rise is proposed although the rules give one: the assessment, and the level withheld.
        "withheld": {"reason": "assessment_not_competent", "rule_level": rule_level} if withheld else None,
    }
    return level, inputs


def proposed_level(profile: WorkerProfile, *, rules: LevelRules | None = None, today: date | None = None) -> int:
    """The level the rules give the worker: the bottom of their post's band, one level per
    `years_per_step` full years of service, plus the steps for education and qualification and for
    last year's final assessment if excellent, kept within the band; a final assessment of not
    competent last year keeps them where they are."""
    today = today or timezone.localdate()
    finals = Assessment.objects.filter(profile_id=profile.pk, year=today.year - 1, status=Assessment.Status.FINAL)
    grade = finals.values_list("grade", flat=True).first() if profile.pk else None
    level, _inputs = _rule_inputs(
        rules or rules_in_force(),
        post=profile.post,
        date_joined=profile.date_joined,
        education=profile.education,
        qualification=profile.qualification,
        today=today,
        level_now=profile.level,
        grade=grade or "",
    )
    return level


@transaction.atomic
def level_proposals_run(*, today: date | None = None) -> list[LevelProposal]:
    """The yearly run: propose a step for everyone whose rule level is above their level. Set-based:
    one read of every active worker's profile and of the pending proposals, one write of each kind.
    A pending proposal for another level is superseded by the new one. Returns the new proposals."""
    today = today or timezone.localdate()
    rules = rules_in_force()
    # Locking the profiles first serialises two runs (the beat's and a manual one): the second reads
    # the pending proposals only after the first committed them, so it never proposes twice.
    profiles = list(
        WorkerProfile.objects.select_for_update(of=("self",))
        .filter(user__is_active=True)
        .order_by("pk")
        .values("pk", "post", "level", "date_joined", "education", "qualification")
    )
    pending = {
        row["profile_id"]: row
        for row in LevelProposal.objects.filter(status=LevelProposal.Status.PENDING).values(
            "pk", "profile_id", "proposed_level", "current_level"
        )
    }
    finals = Assessment.objects.filter(year=today.year - 1, status=Assessment.Status.FINAL)
    grades = dict(finals.values_list("profile_id", "grade"))
    created, superseded, withheld = [], [], []
    for row in profiles:
        level, inputs = _rule_inputs(
            rules,
            post=row["post"],
            date_joined=row["date_joined"],
            education=row["education"],
            qualification=row["qualification"],
            today=today,
            level_now=row["level"],
            grade=grades.get(row["pk"], ""),
        )
        waiting = pending.get(row["pk"])
        if inputs["withheld"]:
            # A rise proposed before last year's assessment came in waits no longer.
            withheld.append({"profile": row["pk"], **inputs["withheld"]})
            if waiting:
                superseded.append(waiting["pk"])
            continue
        if level <= row["level"]:
            continue
        if waiting and waiting["proposed_level"] == level and waiting["current_level"] == row["level"]:
            continue
        if waiting:
            superseded.append(waiting["pk"])
        created.append(
            LevelProposal(
                profile_id=row["pk"],
                current_level=row["level"],
                proposed_level=level,
                rules=rules if rules.pk else None,
                inputs=inputs | {"date": today.isoformat()},
            )
        )
    LevelProposal.objects.filter(pk__in=superseded).update(status=LevelProposal.Status.SUPERSEDED)
    created = LevelProposal.objects.bulk_create(created, batch_size=1000)
    audit_record(
        actor=None,
        action="workforce.level_run",
        details={
            "date": today.isoformat(),
            "proposed": len(created),
            "superseded": len(superseded),
            "withheld": withheld,
            "rules": rules.pk,
        },
    )
    return created


def _pending_for_decision(actor: User, proposal: LevelProposal, reason: str, missing: str) -> tuple[LevelProposal, str]:
    """The proposal locked for a manager's decision (never on their own level), still pending, and
    the reason given for it (`missing`: what to say when there is none)."""
    proposal = LevelProposal.objects.select_for_update().select_related("profile__user").get(pk=proposal.pk)
    if not may_manage(actor, proposal.profile) or actor.pk == proposal.profile.user_id:
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": missing})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": _("Keep the reason under %(max)s characters.") % {"max": REASON_MAX}})
    if proposal.status != LevelProposal.Status.PENDING:
        raise ValidationError(_("This proposal was already dealt with."))
    return proposal, reason


@transaction.atomic
def level_confirm(*, actor: User, proposal: LevelProposal, reason: str) -> LevelChange:
    """A manager confirms a proposed level with a reason: the level changes and the history keeps it."""
    proposal, reason = _pending_for_decision(actor, proposal, reason, _("Say why the level changes."))
    profile = WorkerProfile.objects.select_for_update().get(pk=proposal.profile_id)
    if profile.level != proposal.current_level:
        raise ValidationError(_("The worker's level changed since this was proposed; wait for the next run."))
    _check_band(profile.post, proposal.proposed_level)
    change = LevelChange.objects.create(
        profile=profile,
        from_level=profile.level,
        to_level=proposal.proposed_level,
        reason=reason,
        proposal=proposal,
        changed_by=actor,
    )
    profile.level = proposal.proposed_level
    profile.save(update_fields=["level", "updated_at"])
    proposal.status = LevelProposal.Status.CONFIRMED
    proposal.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="workforce.level_confirm",
        target=profile,
        details={"from": change.from_level, "to": change.to_level, "reason": reason, "proposal": proposal.pk},
    )
    return change


@transaction.atomic
def level_dismiss(*, actor: User, proposal: LevelProposal, reason: str) -> LevelProposal:
    """A manager dismisses a pending proposal they do not confirm, with a reason (audited); the level
    stays, and the next yearly run proposes again if the rules still say so."""
    proposal, reason = _pending_for_decision(actor, proposal, reason, _("Say why you dismiss the proposal."))
    profile = proposal.profile
    proposal.status = LevelProposal.Status.DISMISSED
    proposal.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="workforce.level_dismiss",
        target=profile,
        details={
            "proposal": proposal.pk,
            "level": proposal.current_level,
            "proposed": proposal.proposed_level,
            "reason": reason,
        },
    )
    return proposal


# --- handover ------------------------------------------------------------------------------------
# What else a leaving worker hands over with their grid role, each `hook(leaver=, successor=, grids=,
# actor=)` returning counts for the audit event. The visit roster (issue 18, item 5) registers here.
HANDOVER_HOOKS: list[Callable[..., dict]] = []


def handover_hook_register(hook: Callable[..., dict]) -> None:
    if hook not in HANDOVER_HOOKS:
        HANDOVER_HOOKS.append(hook)


@transaction.atomic
def worker_handover(*, actor: User, leaver: WorkerProfile, successor: WorkerProfile) -> list[RoleAssignment]:
    """A leaving worker's grid roles pass to a successor of the same community in one step: each
    old assignment is revoked and the same grid granted to the successor, with everything the
    handover hooks move. Nothing changes if any check fails."""
    if not may_manage(actor, leaver):
        raise PermissionDenied
    if successor.pk == leaver.pk:
        raise ValidationError({"successor": _("Choose someone other than the worker who leaves.")})
    grids = list(
        RoleAssignment.objects.select_for_update(of=("self",))
        .filter(user_id=leaver.user_id, role=Role.GRID_WORKER)
        .select_related("area__parent", "organisation", "user")
    )
    if not grids:
        raise ValidationError(_("This worker holds no grid to hand over."))
    if not successor.user.is_active:
        raise ValidationError({"successor": _("The successor's account is not active.")})
    successor_paths = area_paths(successor.user, WORKER_ROLES)
    for assignment in grids:
        community = assignment.area.parent
        if community is None or not any(path.startswith(community.path) for path in successor_paths):
            raise ValidationError({"successor": _("The successor must be a worker of the same community.")})
    granted = []
    for assignment in grids:
        role_revoke(assignment=assignment, revoked_by=actor)
        granted.append(
            role_grant(
                user=successor.user,
                role=Role.GRID_WORKER,
                area=assignment.area,
                organisation=assignment.organisation,
                granted_by=actor,
            )
        )
    moved = {}
    for hook in HANDOVER_HOOKS:
        moved[hook.__module__] = hook(
            leaver=leaver.user, successor=successor.user, grids=[a.area for a in grids], actor=actor
        )
    audit_record(
        actor=actor,
        action="workforce.handover",
        target=leaver,
        details={"successor": successor.user.get_username(), "grids": [a.area.code for a in grids], "moved": moved},
        area=grids[0].area,
    )
    return granted
