"""Requests that become projects: community staff see clusters of similar open requests in their
communities and turn one into a community project or a proposal. See participation.projects."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.forms import form_add_service_errors
from directory.models import Organisation
from participation import projects as steps
from participation.models import Proposal, ProposalCategory
from participation.project_selectors import (
    CLUSTER_MIN,
    NEAR_METRES,
    WINDOW_DAYS,
    request_clusters,
    requests_for_project,
    requests_of_project,
)
from participation.proposals import ANSWER_MAX, BODY_MAX, TITLE_MAX
from security.decorators import role_required
from security.roles import PROPOSAL_ANSWER_ROLES
from security.scoping import covers_area


class ProjectForm(forms.Form):
    requests = forms.MultipleChoiceField(label=gettext_lazy("Requests it answers"), widget=forms.CheckboxSelectMultiple)
    kind = forms.ChoiceField(
        label=gettext_lazy("Turn them into"),
        choices=[
            ("project", gettext_lazy("A community project (accepted now, with a plan)")),
            ("proposal", gettext_lazy("A proposal residents support first")),
        ],
        initial="project",
        widget=forms.RadioSelect,
    )
    title = forms.CharField(label=gettext_lazy("Title"), max_length=TITLE_MAX)
    body = forms.CharField(label=gettext_lazy("What it will do"), max_length=BODY_MAX, widget=forms.Textarea)
    category = forms.ChoiceField(label=gettext_lazy("Category"), choices=ProposalCategory.choices)
    plan = forms.CharField(
        label=gettext_lazy("Plan: how and when (for a project)"),
        max_length=ANSWER_MAX,
        required=False,
        widget=forms.Textarea,
    )
    organisation = forms.ModelChoiceField(
        label=gettext_lazy("Organisation responsible (for a project)"),
        queryset=Organisation.objects.none(),
        required=False,
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requests"].choices = [(r.public_id, r.public_id) for r in candidates]
        self.fields["requests"].initial = [r.public_id for r in candidates]
        self.fields["organisation"].queryset = steps.responsible_organisations(candidates[0].grid.parent).order_by(
            "code"
        )


@role_required(PROPOSAL_ANSWER_ROLES)
def cluster_list(request):
    """Clusters of similar open requests in the staff member's communities."""
    context = {
        "clusters": request_clusters(user=request.user),
        "window_days": WINDOW_DAYS,
        "near_metres": NEAR_METRES,
        "cluster_min": CLUSTER_MIN,
    }
    return render(request, "participation/projects/clusters.html", context)


@role_required(PROPOSAL_ANSWER_ROLES)
def project_new(request):
    """Turn the requests named in the address (a cluster) into a project or proposal; staff may untick
    some. Requests the staff member may not put into a project are left out; none left: 404."""
    candidates = requests_for_project(user=request.user, public_ids=request.GET.getlist("requests"))
    if not candidates:
        raise Http404
    form = ProjectForm(request.POST or None, candidates=candidates)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            chosen = set(data["requests"])
            try:
                proposal = steps.proposal_from_requests(
                    actor=request.user,
                    requests=[r for r in candidates if r.public_id in chosen],
                    as_project=data["kind"] == "project",
                    title=data["title"],
                    body=data["body"],
                    category=data["category"],
                    plan=data["plan"],
                    organisation=data["organisation"],
                )
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                messages.success(request, _("Saved. The residents who made these requests are told."))
                return redirect("participation:proposal_detail", public_id=proposal.public_id)
    context = {"form": form, "candidates": candidates, "service": candidates[0].service}
    return render(request, "participation/projects/new.html", context, status=status)


@role_required(PROPOSAL_ANSWER_ROLES)
def project_requests(request, public_id):
    """The requests a project or proposal answers, for the staff over its community (others: 404)."""
    proposal = get_object_or_404(Proposal.objects.select_related("community"), public_id=public_id)
    if not covers_area(request.user, proposal.community, PROPOSAL_ANSWER_ROLES):
        raise Http404
    context = {"proposal": proposal, "requests": list(requests_of_project(proposal=proposal))}
    return render(request, "participation/projects/requests.html", context)
