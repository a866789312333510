"""The yearly assessment's pages (考核): civil-affairs officers set the weights; a manager rates and
finalises their workers for a year; a worker reads their final assessments. Anyone else gets 404
for an assessment and 403 for a page."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.forms import form_add_service_errors
from security.decorators import role_required
from security.roles import WORKER_ROLES, WORKFORCE_RULES_ROLES
from security.scoping import has_role
from workforce import assessment, selectors
from workforce.models import WorkerProfile
from workforce.models_assessment import AssessmentWeights

PAGE_SIZE = 20


class WeightsForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in assessment.WEIGHT_FIELDS + assessment.THRESHOLD_FIELDS:
            self.fields[name] = forms.IntegerField(
                label=AssessmentWeights._meta.get_field(name).verbose_name, min_value=0, max_value=100
            )

    def clean(self):
        data = super().clean()
        weights = [data.get(name) for name in assessment.WEIGHT_FIELDS]
        if None not in weights and sum(weights) != 100:
            raise forms.ValidationError(
                _("The weights must add up to 100; they add up to %(sum)s.") % {"sum": sum(weights)}
            )
        return data


class RatingForm(forms.Form):
    rating = forms.IntegerField(label=gettext_lazy("Manager's rating (0–100)"), min_value=0, max_value=100)


@role_required(WORKFORCE_RULES_ROLES)
def weights(request):
    current = assessment.weights_in_force()
    names = assessment.WEIGHT_FIELDS + assessment.THRESHOLD_FIELDS
    form = WeightsForm(request.POST or None, initial={name: getattr(current, name) for name in names})
    if request.method == "POST" and form.is_valid():
        try:
            assessment.assessment_weights_set(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(request, _("The new assessment weights are in force."))
            return redirect("workforce:assessment_weights")
    return render(request, "workforce/assessment/weights.html", {"form": form, "current": current})


@login_required
def start(request):
    """Managers land on last year's assessments, workers on their own."""
    if selectors.is_manager(request.user):
        return redirect("workforce:assessment_year", assessment.last_year())
    if has_role(request.user, WORKER_ROLES):
        return redirect("workforce:assessment_mine")
    raise PermissionDenied


@login_required
def year(request, year: int):
    """A manager's workers for a year: each one's computed scores and a rating to enter."""
    if not selectors.is_manager(request.user):
        raise PermissionDenied
    if not assessment.year_valid(year):
        raise Http404
    page = Paginator(assessment.team_for_year(request.user, year), PAGE_SIZE).get_page(request.GET.get("page"))
    profiles = list(page)
    previews = assessment.previews(profiles, year)
    rows = []
    for profile in profiles:
        stored = profile.year_assessments[0] if profile.year_assessments else None
        source = stored or previews[profile.pk]
        rows.append(
            {
                "profile": profile,
                "assessment": stored,
                "preview": None if stored else source,
                "components": assessment.explain(source),
                "form": RatingForm(
                    initial={"rating": stored.manager_rating} if stored else None, prefix=f"p{profile.pk}"
                ),
            }
        )
    return render(
        request,
        "workforce/assessment/year.html",
        {
            "year": year,
            "page": page,
            "rows": rows,
            "previous": year - 1 if assessment.year_valid(year - 1) else None,
            "next": year + 1 if assessment.year_valid(year + 1) else None,
            "may_finalise": year <= assessment.last_year(),
            "may_set_weights": has_role(request.user, WORKFORCE_RULES_ROLES),
        },
    )


def _found_or_404(request, profile_id: int, year: int):
    if not assessment.year_valid(year):
        raise Http404
    found = assessment.assessment_for(request.user, profile_id=profile_id, year=year)
    if found is None:
        raise Http404
    return found


@login_required
def detail(request, year: int, profile_id: int):
    """One worker's assessment for a year, explained: the worker reads it once final; their manager
    reads it (or what the run would give) and rates it."""
    profile, found = _found_or_404(request, profile_id, year)
    own = profile.user_id == request.user.pk
    source = found or assessment.previews([_without_assessment(profile)], year)[profile.pk]
    return render(
        request,
        "workforce/assessment/detail.html",
        {
            "profile": profile,
            "year": year,
            "assessment": found,
            "source": source,
            "components": assessment.explain(source),
            "own": own,
            "form": None if own or (found and found.status == found.Status.FINAL) else _rating_form(found),
            "may_finalise": year <= assessment.last_year(),
        },
    )


def _without_assessment(profile: WorkerProfile) -> WorkerProfile:
    profile.year_assessments = []
    return profile


def _rating_form(found, data=None, prefix=None) -> RatingForm:
    return RatingForm(data, initial={"rating": found.manager_rating} if found else None, prefix=prefix)


@require_POST
@login_required
def rate(request, year: int, profile_id: int):
    """A manager's rating (and, with the second button, finalising) from the year's list or the
    assessment's page; back to where it came from."""
    profile, _found = _found_or_404(request, profile_id, year)
    if profile.user_id == request.user.pk:
        raise Http404
    back = request.POST.get("back") == "year"
    form = _rating_form(None, request.POST, prefix=f"p{profile.pk}" if back else None)
    if form.is_valid():
        finalise = "finalise" in request.POST
        try:
            assessment.assessment_rate(
                actor=request.user, profile=profile, year=year, rating=form.cleaned_data["rating"], finalise=finalise
            )
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            message = _("%(name)s's assessment is final.") if finalise else _("%(name)s's rating is saved.")
            messages.success(request, message % {"name": profile})
    for error in form.errors.values():
        messages.error(request, " ".join(error))
    if back:
        return redirect(f"{_year_url(year)}?page={_page_number(request)}#worker-{profile.pk}")
    return redirect("workforce:assessment_detail", year, profile.pk)


def _year_url(year: int) -> str:
    return reverse("workforce:assessment_year", args=[year])


def _page_number(request) -> int:
    try:
        return max(1, int(request.POST.get("page", 1)))
    except ValueError:
        return 1


@login_required
def mine(request):
    """A worker's own final assessments, newest year first."""
    profile = WorkerProfile.objects.filter(user_id=request.user.pk).first()
    if profile is None:
        if not has_role(request.user, WORKER_ROLES):
            raise PermissionDenied
        return render(request, "workforce/assessment/mine.html", {"profile": None, "rows": []})
    finals = list(assessment.final_assessments(profile))
    rows = [{"assessment": found, "components": assessment.explain(found)} for found in finals]
    return render(request, "workforce/assessment/mine.html", {"profile": profile, "rows": rows})
