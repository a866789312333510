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
from security.models import User
from workforce import selectors, talent
from workforce.models import Post, Skill
from workforce.models_talent import Candidate


class FilterForm(forms.Form):
    skill = forms.ChoiceField(label=gettext_lazy("Skill"), required=False)
    community = forms.ModelChoiceField(
        label=gettext_lazy("Community"), queryset=None, required=False, empty_label=gettext_lazy("All")
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Show"),
        required=False,
        choices=[("", gettext_lazy("In the pool")), (Candidate.Status.CLOSED, gettext_lazy("Left the pool"))],
    )

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["skill"].choices = [("", gettext_lazy("All")), *Skill.choices]
        self.fields["community"].queryset = communities


class FindForm(forms.Form):
    query = forms.CharField(
        label=gettext_lazy("Name or mobile number"),
        max_length=50,
        help_text=gettext_lazy("A number must be the full 11 digits."),
    )


class NominateForm(forms.Form):
    nominee = forms.ModelChoiceField(
        label=gettext_lazy("Person"),
        queryset=User.objects.filter(is_active=True),
        error_messages={"required": gettext_lazy("Find the person and choose them.")},
    )
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


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(label=gettext_lazy("Why they leave the pool"), choices=Candidate.Outcome.choices)
    hired_post = forms.ChoiceField(
        label=gettext_lazy("Hired for the post"), required=False, choices=[("", "—"), *Post.choices]
    )
    note = forms.CharField(
        label=gettext_lazy("Note (required when not suitable)"),
        max_length=talent.TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class VacancyForm(forms.Form):
    community = forms.ModelChoiceField(label=gettext_lazy("Community"), queryset=None)
    post = forms.ChoiceField(label=gettext_lazy("Post"), choices=Post.choices)
    skills = forms.MultipleChoiceField(
        label=gettext_lazy("Skills the post needs"),
        choices=Skill.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
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
    skill, community, status = "", None, Candidate.Status.ACTIVE
    if form.is_valid():
        skill, community = form.cleaned_data["skill"], form.cleaned_data["community"]
        status = form.cleaned_data["status"] or Candidate.Status.ACTIVE
    candidates = talent.candidates_managed(
        request.user, skill=skill, community_id=community.pk if community else None, status=status
    )
    page = Paginator(candidates, 20).get_page(request.GET.get("page"))
    rows = [(candidate, talent.skill_labels(candidate.skills)) for candidate in page]
    return render(request, "workforce/talent/pool.html", {"form": form, "page": page, "rows": rows})


@login_required
def nominate(request):
    """One form: find the person (by name, or their full mobile number: never in the address, so the
    search is a POST too), choose them from what is found, and nominate them with a reason."""
    _manager_only(request)
    communities = talent.communities_managed(request.user)
    if request.method != "POST":
        context = {"find_form": FindForm(), "form": NominateForm(communities=communities), "people": []}
        return render(request, "workforce/talent/nominate.html", context)
    finding = "find" in request.POST
    find_form = FindForm(request.POST)
    form = NominateForm(
        None if finding else request.POST, initial={"community": request.POST.get("community")}, communities=communities
    )
    if not finding and form.is_valid():
        try:
            found = talent.candidate_nominate(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(request, _("%(name)s is in the reserve talent pool.") % {"name": found})
            return redirect("workforce:talent_candidate", found.pk)
    people = []
    if find_form.is_valid():
        community_id = request.POST.get("community") or ""
        community = communities.filter(pk=community_id).first() if community_id.isdigit() else None
        try:
            query = find_form.cleaned_data["query"]
            people = talent.nominees_find(actor=request.user, query=query, community=community)
        except ValidationError as error:
            find_form.add_error("query", error)
        else:
            if not people:
                find_form.add_error("query", _("No one of the communities you manage matches."))
    elif not finding:
        find_form = FindForm()  # nominating without a search: the nominee's own error says what to do
    return render(
        request,
        "workforce/talent/nominate.html",
        {
            "find_form": find_form,
            "form": form,
            "people": [(person, talent.nominee_label(person)) for person in people],
            "chosen": request.POST.get("nominee", ""),
        },
    )


@login_required
def candidate(request, candidate_id: int):
    found = _candidate_or_404(request, candidate_id)
    return _candidate_page(request, found)


def _candidate_page(request, found, *, plan_form=None, review_form=None, close_form=None):
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
            "in_pool": found.status == Candidate.Status.ACTIVE,
            "hired_post": dict(Post.choices).get(found.hired_post, ""),
            "skills": talent.skill_labels(found.skills),
            "reviews": found.reviews.select_related("author"),
            "earlier": talent.earlier_nominations(found),
            "plan_form": plan_form,
            "review_form": review_form,
            "close_form": close_form or CloseForm(),
        },
    )


def _candidate_write(request, found, form, write, done: str, form_name: str):
    """A candidate's write from a posted form: on success say `done` and show the candidate again;
    bad input shows the candidate's page with the form's errors and changes nothing."""
    if form.is_valid():
        try:
            write(actor=request.user, candidate=found, **form.cleaned_data)
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(request, done)
            return redirect("workforce:talent_candidate", found.pk)
    return _candidate_page(request, found, **{form_name: form})


@require_POST
@login_required
def plan(request, candidate_id: int):
    found = _candidate_or_404(request, candidate_id)
    form = PlanForm(request.POST, mentors=talent.mentors_for(found.community))
    done = _("The development plan is saved.")
    return _candidate_write(request, found, form, talent.candidate_plan_set, done, "plan_form")


@require_POST
@login_required
def review(request, candidate_id: int):
    found = _candidate_or_404(request, candidate_id)
    done = _("The review is saved.")
    return _candidate_write(request, found, ReviewForm(request.POST), talent.candidate_review_add, done, "review_form")


@require_POST
@login_required
def close(request, candidate_id: int):
    """Close a nomination (hired, withdrew, not suitable); from the vacancy page, "hire" posts here."""
    found = _candidate_or_404(request, candidate_id)
    done = _("%(name)s has left the reserve talent pool.") % {"name": found}
    return _candidate_write(request, found, CloseForm(request.POST), talent.candidate_close, done, "close_form")


@login_required
def vacancy(request):
    """A post falls vacant: the manager states the community, the post and the skills it needs, and
    gets the pool of that subdistrict's communities (they manage) best fit first, 20 a page."""
    _manager_only(request)
    form = VacancyForm(request.GET or None, communities=talent.communities_managed(request.user))
    page, rows = None, []
    if form.is_valid():
        candidates = talent.vacancy_candidates(
            request.user, community=form.cleaned_data["community"], skills=form.cleaned_data["skills"]
        ).select_related("user", "community")
        page = Paginator(candidates, 20).get_page(request.GET.get("page"))
        wanted = set(form.cleaned_data["skills"])
        rows = [
            (
                candidate,
                talent.skill_labels([s for s in candidate.skills if s in wanted]),
                talent.skill_labels([s for s in candidate.skills if s not in wanted]),
            )
            for candidate in page
        ]
    return render(
        request,
        "workforce/talent/vacancy.html",
        {"form": form, "page": page, "rows": rows, "post": form.cleaned_data["post"] if form.is_valid() else ""},
    )
