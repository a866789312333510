"""Residents' proposals (居民提议): signed-in people read them (support counts public, supporters never
named); verified residents propose and support in their own community; its staff answer."""

from functools import partial

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.forms import form_add_service_errors
from directory.models import Area, Organisation
from participation import proposals as steps
from participation.models import (
    Proposal,
    ProposalCategory,
    ProposalPhoto,
    ProposalPhotoStage,
    ProposalStatus,
    ProposalSupport,
)
from security.decorators import role_required
from security.roles import PROPOSAL_ANSWER_ROLES
from security.scoping import covers_area, has_role, visible_areas
from services.forms import MultiplePhotoField


class ProposalForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=steps.TITLE_MAX)
    body = forms.CharField(label=gettext_lazy("What do you propose?"), max_length=steps.BODY_MAX, widget=forms.Textarea)
    category = forms.ChoiceField(label=gettext_lazy("Category"), choices=ProposalCategory.choices)
    photos = MultiplePhotoField(label=gettext_lazy("Photos (up to 6)"))


class CommentForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Your comment"),
        max_length=steps.COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AnswerForm(forms.Form):
    accepted = forms.TypedChoiceField(
        label=gettext_lazy("Decision"),
        choices=[("yes", gettext_lazy("Accepted")), ("no", gettext_lazy("Not accepted"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    answer = forms.CharField(
        label=gettext_lazy("Answer (the reasons, if not accepted)"), max_length=steps.ANSWER_MAX, widget=forms.Textarea
    )
    plan = forms.CharField(
        label=gettext_lazy("Plan: how and when"), max_length=steps.ANSWER_MAX, required=False, widget=forms.Textarea
    )
    organisation = forms.ModelChoiceField(
        label=gettext_lazy("Organisation responsible"), queryset=Organisation.objects.none(), required=False
    )

    def __init__(self, *args, community=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Organisations working in the community or above it (its subdistrict, the district).
        ancestors = [community.path[:end] for end in range(1, len(community.path) + 1)] if community else []
        self.fields["organisation"].queryset = Organisation.objects.filter(
            Q(area__path__in=ancestors) | Q(area__path__startswith=community.path) if community else Q(pk=None)
        ).order_by("code")


def _get(public_id) -> Proposal:
    return get_object_or_404(
        Proposal.objects.select_related("community", "responsible_organisation"), public_id=public_id
    )


@login_required
def proposal_list(request):
    proposals = Proposal.objects.select_related("community").order_by("-created_at", "-id")
    communities = Area.objects.filter(kind=Area.Kind.COMMUNITY).order_by("path")
    community_code = request.GET.get("community", "")
    own = steps.community_of(request.user)
    if community_code:
        proposals = proposals.filter(community__code=community_code)
    status = request.GET.get("status", "")
    if status in ProposalStatus.values:
        proposals = proposals.filter(status=status)
    category = request.GET.get("category", "")
    if category in ProposalCategory.values:
        proposals = proposals.filter(category=category)
    page = Paginator(proposals, 20).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "proposals": list(page.object_list),
        "communities": communities,
        "statuses": ProposalStatus.choices,
        "community_code": community_code,
        "status": status,
        "categories": ProposalCategory.choices,
        "category": category,
        "can_propose": own is not None,
        "can_set_threshold": has_role(request.user, PROPOSAL_ANSWER_ROLES),
    }
    return render(request, "participation/proposals/list.html", context)


@login_required
def proposal_detail(request, public_id):
    proposal = _get(public_id)
    user = request.user
    supported = ProposalSupport.objects.filter(proposal=proposal, user=user).exists()
    own = steps.community_of(user)
    visible = proposal.hidden_at is None
    sees_hidden = steps.may_see_hidden(user=user, proposal=proposal)
    photos = list(proposal.photos.all())
    if proposal.hidden_at and not sees_hidden:
        photos = [photo for photo in photos if photo.stage == ProposalPhotoStage.DONE]
    comments = Paginator(steps.proposal_comments_for(user=user, proposal=proposal), steps.COMMENTS_PAGE_SIZE).get_page(
        request.GET.get("comments")
    )
    context = {
        "proposal": proposal,
        "supported": supported,
        "is_author": proposal.author_id == user.pk,
        "may_support": visible
        and proposal.status in steps.SUPPORT_OPEN_STATUSES
        and own is not None
        and own.pk == proposal.community_id
        and not supported
        and proposal.author_id != user.pk,
        "may_withdraw": visible and proposal.status == ProposalStatus.PUBLISHED and supported,
        "can_answer": steps.can_answer_proposal(actor=user, proposal=proposal),
        "photos": photos,
        "done_stage": ProposalPhotoStage.DONE,
        "hidden": proposal.hidden_at is not None,
        "sees_hidden": sees_hidden,
        "following": steps.is_following(user=user, proposal=proposal),
        "comments": list(comments.object_list),
        "comments_page": comments,
        "may_comment": steps.may_comment(user=user, proposal=proposal, own_community=own),
        "comment_form": CommentForm(),
    }
    return render(request, "participation/proposals/detail.html", context)


def _act(request, public_id, action, done_message):
    """Run `action(actor=..., proposal=...)` on the proposal and go back to its page with the outcome
    as a message: a refusal changes nothing and says why."""
    proposal = _get(public_id)
    try:
        action(actor=request.user, proposal=proposal)
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("You cannot do this."))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, done_message)
    return redirect("participation:proposal_detail", public_id=proposal.public_id)


@require_POST
@login_required
def proposal_support(request, public_id):
    return _act(
        request, public_id, steps.proposal_support, _("Thank you: your support is counted. Your name is never shown.")
    )


@require_POST
@login_required
def proposal_withdraw(request, public_id):
    return _act(request, public_id, steps.proposal_support_withdraw, _("Your support is withdrawn."))


@require_POST
@login_required
def proposal_comment(request, public_id):
    return _act(
        request,
        public_id,
        partial(steps.proposal_comment_add, body=request.POST.get("body", "")),
        _("Your comment is published."),
    )


@require_POST
@login_required
def proposal_follow(request, public_id):
    return _act(
        request, public_id, steps.proposal_follow, _("You follow this proposal: you will be told of every change.")
    )


@require_POST
@login_required
def proposal_unfollow(request, public_id):
    return _act(request, public_id, steps.proposal_unfollow, _("You no longer follow this proposal."))


@login_required
def proposal_new(request):
    if steps.community_of(request.user) is None:
        messages.error(request, _("Only verified residents can make a proposal. Verify your residence first."))
        return redirect("participation:proposal_list")
    form = ProposalForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            proposal = steps.proposal_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Your proposal is published. Neighbours can now support it."))
            return redirect("participation:proposal_detail", public_id=proposal.public_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "participation/proposals/form.html", {"form": form}, status=status)


@login_required
def proposal_manage(request, public_id):
    """Community staff: answer a proposal with enough support, then put it in progress and mark it done."""
    proposal = _get(public_id)
    if not covers_area(request.user, proposal.community, PROPOSAL_ANSWER_ROLES):
        raise PermissionDenied
    action = request.POST.get("action") if request.method == "POST" else None
    form = AnswerForm(request.POST if action == "answer" else None, community=proposal.community)
    status = 200
    if request.method == "POST":
        status = 400
        try:
            if action == "answer":
                if form.is_valid():
                    steps.proposal_answer(actor=request.user, proposal=proposal, **form.cleaned_data)
                    status = 302
            elif action == "start":
                steps.proposal_start(actor=request.user, proposal=proposal, note=request.POST.get("note", ""))
                status = 302
            elif action == "done":
                steps.proposal_done(
                    actor=request.user,
                    proposal=proposal,
                    note=request.POST.get("note", ""),
                    photos=request.FILES.getlist("photos"),
                )
                status = 302
            else:
                messages.error(request, _("Choose what to do."))
        except ValidationError as exc:
            if action == "answer":
                form_add_service_errors(form, exc)
            else:
                for message in exc.messages:
                    messages.error(request, message)
        if status == 302:
            messages.success(request, _("Saved. The proposal's followers are told."))
            return redirect("participation:proposal_detail", public_id=proposal.public_id)
    context = {"proposal": proposal, "form": form}
    return render(request, "participation/proposals/manage.html", context, status=status)


@login_required
def proposal_photo(request, public_id, photo_id):
    """A proposal's photo, to those who may read the proposal (anyone signed in; a hidden proposal's
    own photos only to its author and the staff over the community), never cached publicly."""
    photo = get_object_or_404(
        ProposalPhoto.objects.select_related("proposal__community"), proposal__public_id=public_id, public_id=photo_id
    )
    proposal = photo.proposal
    if (
        proposal.hidden_at
        and photo.stage == ProposalPhotoStage.PROPOSAL
        and not steps.may_see_hidden(user=request.user, proposal=proposal)
    ):
        raise Http404
    response = FileResponse(photo.image.open("rb"), content_type=photo.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


class ThresholdForm(forms.Form):
    community = forms.ModelChoiceField(label=gettext_lazy("Community"), queryset=Area.objects.none())
    threshold = forms.IntegerField(label=gettext_lazy("Supporters a new proposal needs"), min_value=1)

    def __init__(self, *args, communities=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities


@role_required(PROPOSAL_ANSWER_ROLES)
def proposal_threshold(request):
    """Community staff: how many supporters a new proposal in their community needs."""
    communities = visible_areas(request.user, PROPOSAL_ANSWER_ROLES).filter(kind=Area.Kind.COMMUNITY).order_by("path")
    form = ThresholdForm(request.POST or None, communities=communities)
    if request.method == "POST" and form.is_valid():
        try:
            steps.proposal_threshold_set(
                actor=request.user, community=form.cleaned_data["community"], threshold=form.cleaned_data["threshold"]
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved. Proposals published from now on need this many supporters."))
            return redirect("participation:proposal_threshold")
    rows = [{"community": community, "threshold": steps.community_threshold(community)} for community in communities]
    status = 400 if request.method == "POST" else 200
    return render(request, "participation/proposals/threshold.html", {"form": form, "rows": rows}, status=status)
