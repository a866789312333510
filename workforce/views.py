"""The workforce pages: a worker's own profile, a manager's staff and their level proposals, the
civil-affairs officers' level rules. Outsiders get 404 for a profile and 403 for a page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.forms import form_add_service_errors
from security import personal_data
from security.decorators import role_required
from security.models import Role, RoleAssignment
from security.roles import WORKER_ROLES, WORKFORCE_MANAGER_ROLES, WORKFORCE_RULES_ROLES
from security.scoping import has_role
from workforce import selectors, services
from workforce.forms import ConfirmForm, HandoverForm, LevelRulesForm, ProfileForm
from workforce.models import LevelProposal, Qualification, Skill, WorkerProfile


@login_required
def home(request):
    """Managers: their staff and the level steps waiting for them. A worker: their own profile."""
    if not selectors.is_manager(request.user):
        own = WorkerProfile.objects.filter(user=request.user).values_list("pk", flat=True).first()
        if own is not None:
            return redirect("workforce:detail", own)
        if not has_role(request.user, WORKER_ROLES):
            raise PermissionDenied
        return render(request, "workforce/no_profile.html")
    profiles = list(selectors.profiles_managed(request.user).order_by("user__username"))
    proposals = list(selectors.pending_proposals(request.user))
    return render(
        request,
        "workforce/home.html",
        {
            "profiles": [(profile, selectors.areas_served(profile)) for profile in profiles],
            "proposals": proposals,
            "may_set_rules": has_role(request.user, WORKFORCE_RULES_ROLES),
        },
    )


def _profile_or_404(request, profile_id: int) -> WorkerProfile:
    profile = selectors.profile_for(request.user, profile_id)
    if profile is None:
        raise Http404
    return profile


@login_required
def detail(request, profile_id: int):
    profile = _profile_or_404(request, profile_id)
    own = profile.user_id == request.user.pk
    manages = not own and selectors.may_manage(request.user, profile)
    phone = personal_data.decrypt(profile.personal_phone_encrypted) if profile.personal_phone_encrypted else ""
    proposal = profile.level_proposals.filter(status=LevelProposal.Status.PENDING).first()
    holds_grid = RoleAssignment.objects.filter(user_id=profile.user_id, role=Role.GRID_WORKER).exists()
    skills = dict(Skill.choices)
    return render(
        request,
        "workforce/detail.html",
        {
            "profile": profile,
            "own": own,
            "manages": manages,
            "years": selectors.years_of_service(profile),
            "areas": selectors.areas_served(profile),
            "skills": [skills.get(skill, skill) for skill in profile.skills],
            "qualification": dict(Qualification.choices).get(profile.qualification, ""),
            # The work phone is public by design; the personal phone is shown in full only to its owner.
            "personal_phone": phone if own else personal_data.mask_phone(phone) if phone else "",
            "changes": profile.level_changes.select_related("changed_by"),
            "proposal": proposal,
            "confirm_form": ConfirmForm() if manages and proposal else None,
            "handover_form": _handover_form(request.user, profile) if manages and holds_grid else None,
        },
    )


def _handover_form(user, profile, data=None) -> HandoverForm:
    successors = selectors.profiles_managed(user).exclude(pk=profile.pk).order_by("user__username")
    return HandoverForm(data, successors=successors)


@require_POST
@login_required
def confirm(request, proposal_id: int):
    proposal = get_object_or_404(LevelProposal, pk=proposal_id)
    profile = _profile_or_404(request, proposal.profile_id)
    form = ConfirmForm(request.POST)
    if form.is_valid():
        try:
            change = services.level_confirm(actor=request.user, proposal=proposal, reason=form.cleaned_data["reason"])
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(request, _("Level %(level)s confirmed.") % {"level": change.to_level})
            return redirect("workforce:detail", profile.pk)
    for error in form.errors.values():
        messages.error(request, " ".join(error))
    return redirect("workforce:detail", profile.pk)


@require_POST
@login_required
def dismiss(request, proposal_id: int):
    """A manager dismisses a pending level step with a reason (the form is beside the confirm form)."""
    proposal = get_object_or_404(LevelProposal, pk=proposal_id)
    profile = _profile_or_404(request, proposal.profile_id)
    try:
        services.level_dismiss(actor=request.user, proposal=proposal, reason=request.POST.get("reason", ""))
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The proposed level step is dismissed."))
    return redirect("workforce:detail", profile.pk)


@require_POST
@login_required
def handover(request, profile_id: int):
    profile = _profile_or_404(request, profile_id)
    if not selectors.may_manage(request.user, profile):
        raise Http404
    form = _handover_form(request.user, profile, request.POST)
    if form.is_valid():
        try:
            services.worker_handover(actor=request.user, leaver=profile, successor=form.cleaned_data["successor"])
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(request, _("The grid was handed over."))
            # The leaver may now serve nowhere the manager reaches, so their page may be closed to them.
            return redirect("workforce:home")
    for error in form.errors.values():
        messages.error(request, " ".join(error))
    return redirect("workforce:detail", profile.pk)


@role_required(WORKFORCE_RULES_ROLES)
def rules(request):
    current = selectors.rules_in_force()
    form = LevelRulesForm(request.POST or None, initial={name: getattr(current, name) for name in services.RULE_FIELDS})
    if request.method == "POST" and form.is_valid():
        try:
            services.level_rules_set(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(request, _("The new level rules are in force."))
            return redirect("workforce:rules")
    return render(request, "workforce/rules.html", {"form": form, "current": current})


def _save_profile(request, form, *, user, profile=None):
    data = dict(form.cleaned_data)
    data.pop("worker", None)
    data.setdefault("is_head", profile.is_head if profile else False)
    data["qualification"] = data.get("qualification") or ""
    try:
        return services.profile_save(actor=request.user, user=user, **data)
    except ValidationError as error:
        form_add_service_errors(form, error)
    return None


@login_required
def profile_new(request):
    """A manager writes the profile of a worker serving where they manage who has none yet."""
    if not selectors.is_manager(request.user):
        raise PermissionDenied
    may_set_head = has_role(request.user, WORKFORCE_MANAGER_ROLES)
    workers = selectors.workers_without_profile(request.user)
    form = ProfileForm(request.POST or None, worker=workers, may_set_head=may_set_head)
    if request.method == "POST" and form.is_valid():
        saved = _save_profile(request, form, user=form.cleaned_data["worker"])
        if saved is not None:
            messages.success(request, _("The worker's profile is saved."))
            return redirect("workforce:detail", saved.pk)
    return render(request, "workforce/profile_form.html", {"form": form, "profile": None})


@login_required
def profile_edit(request, profile_id: int):
    profile = _profile_or_404(request, profile_id)
    if profile.user_id == request.user.pk or not selectors.may_manage(request.user, profile):
        raise Http404
    initial = {
        "post": profile.post,
        "level": profile.level,
        "date_joined": profile.date_joined,
        "education": profile.education,
        "qualification": profile.qualification,
        "skills": profile.skills,
        "languages": profile.languages,
        "work_phone": profile.work_phone,
        "is_head": profile.is_head,
    }
    form = ProfileForm(
        request.POST or None, initial=initial, may_set_head=has_role(request.user, WORKFORCE_MANAGER_ROLES)
    )
    if request.method == "POST" and form.is_valid():
        if _save_profile(request, form, user=profile.user, profile=profile) is not None:
            messages.success(request, _("The worker's profile is saved."))
            return redirect("workforce:detail", profile.pk)
    return render(request, "workforce/profile_form.html", {"form": form, "profile": profile})
