"""Reporting content as inappropriate, and the moderators' queue and decisions."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.forms import form_add_service_errors
from participation import moderation
from participation.models import ModerationReport, Proposal, ProposalComment
from security.decorators import role_required
from services.selectors import request_public_event_get, request_public_get, request_public_row_get

R = ModerationReport


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        label=gettext_lazy("What is wrong with it?"), choices=R.Reason.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=gettext_lazy("Details (optional)"),
        required=False,
        max_length=moderation.MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


_DECISION_LABELS = {
    moderation.Decision.HIDE_TEXT: gettext_lazy("Hide the text"),
    moderation.Decision.HIDE_PHOTOS: gettext_lazy("Hide the photos"),
    moderation.Decision.DISMISS: gettext_lazy("Dismiss: nothing wrong"),
}


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=gettext_lazy("Decision"), widget=forms.RadioSelect)
    reason = forms.CharField(
        label=gettext_lazy("Reason (the author and the reporters are told)"),
        max_length=moderation.MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, target: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision"].choices = [(d, _DECISION_LABELS[d]) for d in moderation.DECISIONS[target]]


def _report(request, *, target_label, back_url, context, target: dict):
    form = ReportForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            moderation.report_file(
                reporter=request.user, reason=form.cleaned_data["reason"], note=form.cleaned_data["note"], **target
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Thank you. The community's staff will look at your report."))
            return redirect(back_url)
    return render(
        request,
        "participation/moderation/report_form.html",
        {"form": form, "target_label": target_label, "back_url": back_url, **context},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def report_request(request, public_id):
    row = request_public_row_get(public_id=public_id)
    view = request_public_get(public_id=public_id)
    return _report(
        request,
        target_label=_("Request %(number)s") % {"number": row.public_id},
        back_url=f"/requests/public/{row.public_id}/",
        context={"quoted": view.description, "hidden": view.description_hidden},
        target={"request": row},
    )


@login_required
def report_comment(request, public_id, event_id):
    event = request_public_event_get(public_id=public_id, event_id=event_id)
    return _report(
        request,
        target_label=_("A message on request %(number)s") % {"number": event.request.public_id},
        back_url=f"/requests/public/{event.request.public_id}/",
        context={"quoted": event.message},
        target={"request": event.request, "comment": event},
    )


@login_required
def report_notice(request, public_id):
    notice = moderation.notice_reportable_get(public_id=public_id)
    return _report(
        request,
        target_label=_("Notice “%(title)s”") % {"title": notice.title},
        back_url=request.GET.get("next", "") if _safe_next(request.GET.get("next", "")) else "/",
        context={"quoted": notice.body},
        target={"notice": notice},
    )


@login_required
def report_proposal(request, public_id):
    proposal = get_object_or_404(Proposal, public_id=public_id, hidden_at__isnull=True)
    return _report(
        request,
        target_label=_("Proposal “%(title)s”") % {"title": proposal.title},
        back_url=f"/proposals/{proposal.public_id}/",
        context={"quoted": proposal.body},
        target={"proposal": proposal},
    )


@login_required
def report_proposal_comment(request, public_id, comment_id):
    comment = get_object_or_404(
        ProposalComment.objects.select_related("proposal"),
        public_id=comment_id,
        proposal__public_id=public_id,
        hidden_at__isnull=True,
        proposal__hidden_at__isnull=True,
    )
    return _report(
        request,
        target_label=_("A comment on the proposal “%(title)s”") % {"title": comment.proposal.title},
        back_url=f"/proposals/{comment.proposal.public_id}/",
        context={"quoted": comment.body},
        target={"proposal": comment.proposal, "proposal_comment": comment},
    )


def _safe_next(url: str) -> bool:
    return url.startswith("/") and not url.startswith("//") and "\\" not in url


@role_required(moderation.MODERATOR_ROLES)
def queue(request):
    return render(
        request, "participation/moderation/queue.html", {"items": moderation.moderation_queue(user=request.user)}
    )


@role_required(moderation.MODERATOR_ROLES)
def decide(request, public_id):
    report = moderation.report_get_for_moderator(user=request.user, public_id=public_id)
    form = DecisionForm(request.POST if request.method == "POST" else None, target=report.target)
    if request.method == "POST" and form.is_valid():
        try:
            decided = moderation.report_decide(
                report=report,
                actor=request.user,
                decision=form.cleaned_data["decision"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(request, _("Decided: %(count)d report(s).") % {"count": len(decided)})
            return redirect("participation:moderation_queue")
    context = {
        "report": report,
        "form": form,
        "reports": moderation.reports_of_same_target(report=report),
    }
    if report.target == R.Target.NOTICE:
        context["quoted"] = report.notice.body
        context["notice_hidden"] = report.notice.hidden_at is not None
    elif report.target == R.Target.PROPOSAL:
        context["quoted"] = f"{report.proposal.title}\n\n{report.proposal.body}"
        context["hidden_reason"] = report.proposal.hidden_reason if report.proposal.hidden_at else None
        context["proposal_photos"] = list(report.proposal.photos.filter(stage="proposal"))
    elif report.target == R.Target.PROPOSAL_COMMENT:
        context["quoted"] = report.proposal_comment.body
        context["hidden_reason"] = report.proposal_comment.hidden_reason if report.proposal_comment.hidden_at else None
    elif report.target == R.Target.COMMENT:
        context["quoted"] = report.comment.message
    else:
        context["quoted"] = report.request.description
        context["photos"] = list(report.request.photos.order_by("created_at", "id"))
    return render(
        request, "participation/moderation/decide.html", context, status=400 if request.method == "POST" else 200
    )


@role_required(moderation.MODERATOR_ROLES)
def photos(request, public_id):
    """Staff over a public request's grid choose which of its photos the public page shows."""
    row = request_public_row_get(public_id=public_id)
    if not moderation.can_moderate_area(user=request.user, area=row.grid):
        raise Http404
    if request.method == "POST":
        try:
            moderation.request_photos_fit_set(actor=request.user, request=row, photo_ids=request.POST.getlist("fit"))
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("The public page now shows the photos you chose."))
        return redirect("participation:moderation_photos", public_id=row.public_id)
    return render(
        request,
        "participation/moderation/photos.html",
        {"req": row, "photos": list(row.photos.order_by("created_at", "id"))},
    )
