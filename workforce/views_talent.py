"""The reserve talent pool's pages (workforce.talent): the pool, a nomination, a candidate with their
plan, mentor and reviews. Managers only: others get 403, a candidate outside the manager's area 404.
Candidates are shown by name and skills; no ID number or phone."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.forms import form_add_service_errors
from workforce import selectors, talent
from workforce.models import Skill


class FilterForm(forms.Form):
    skill = forms.ChoiceField(label=gettext_lazy("Skill"), required=False)
    community = forms.ModelChoiceField(
        label=gettext_lazy("Community"), queryset=None, required=False, empty_label=gettext_lazy("All")
    )

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["skill"].choices = [("", gettext_lazy("All")), *Skill.choices]
        self.fields["community"].queryset = communities


class NominateForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("Username of the person"), max_length=150)
    community = forms.ModelChoiceField(label=gettext_lazy("Community"), queryset=None)
    reason = forms.CharField(
        label=gettext_lazy("Why you nominate them"),
        max_length=talent.TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    skills = forms.MultipleChoiceField(
        label=gettext_lazy("Skills"), choices=Skill.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities


class PlanForm(forms.Form):
    development_plan = forms.CharField(
        label=gettext_lazy("Development plan"),
        max_length=talent.TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    mentor = forms.ModelChoiceField(
        label=gettext_lazy("Mentor"), queryset=None, required=False, empty_label=gettext_lazy("No mentor yet")
    )

    def __init__(self, *args, mentors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mentor"].queryset = mentors


class ReviewForm(forms.Form):
    reviewed_on = forms.DateField(label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(
        label=gettext_lazy("Review"), max_length=talent.TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )


def _manager_only(request) -> None:
    if not selectors.is_manager(request.user):
        raise PermissionDenied


def _candidate_or_404(request, candidate_id: int):
    _manager_only(request)
    candidate = talent.candidate_for(request.user, candidate_id)
    if candidate is None:
        raise Http404
    return candidate


@login_required
def pool(request):
    _manager_only(request)
    communities = talent.communities_managed(request.user)
    form = FilterForm(request.GET or None, communities=communities)
    skill, community = "", None
    if form.is_valid():
        skill, community = form.cleaned_data["skill"], form.cleaned_data["community"]
    candidates = talent.candidates_managed(request.user, skill=skill, community_id=community.pk if community else None)
    page = Paginator(candidates, 20).get_page(request.GET.get("page"))
    rows = [(candidate, talent.skill_labels(candidate.skills)) for candidate in page]
    return render(request, "workforce/talent/pool.html", {"form": form, "page": page, "rows": rows})


@login_required
def nominate(request):
    _manager_only(request)
    form = NominateForm(request.POST or None, communities=talent.communities_managed(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            candidate = talent.candidate_nominate(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(request, _("%(name)s is in the reserve talent pool.") % {"name": candidate})
            return redirect("workforce:talent_candidate", candidate.pk)
    return render(request, "workforce/talent/nominate.html", {"form": form})


@login_required
def candidate(request, candidate_id: int):
    found = _candidate_or_404(request, candidate_id)
    return _candidate_page(request, found)


def _candidate_page(request, found, *, plan_form=None, review_form=None):
    plan_form = plan_form or PlanForm(
        initial={"development_plan": found.development_plan, "mentor": found.mentor_id},
        mentors=talent.mentors_for(found.community),
    )
    review_form = review_form or ReviewForm(initial={"reviewed_on": timezone.localdate()})
    return render(
        request,
        "workforce/talent/candidate.html",
        {
            "candidate": found,
            "skills": talent.skill_labels(found.skills),
            "reviews": found.reviews.select_related("author"),
            "plan_form": plan_form,
            "review_form": review_form,
        },
    )


@require_POST
@login_required
def plan(request, candidate_id: int):
    found = _candidate_or_404(request, candidate_id)
    form = PlanForm(request.POST, mentors=talent.mentors_for(found.community))
    if form.is_valid():
        try:
            talent.candidate_plan_set(actor=request.user, candidate=found, **form.cleaned_data)
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(request, _("The development plan is saved."))
            return redirect("workforce:talent_candidate", found.pk)
    return _candidate_page(request, found, plan_form=form)


@require_POST
@login_required
def review(request, candidate_id: int):
    found = _candidate_or_404(request, candidate_id)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            talent.candidate_review_add(actor=request.user, candidate=found, **form.cleaned_data)
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(request, _("The review is saved."))
            return redirect("workforce:talent_candidate", found.pk)
    return _candidate_page(request, found, review_form=form)
