"""Polls and consultations (民意调查): verified residents vote once, in secret; staff of the area
draft, change (until opening), close early and export them."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from core.forms import form_add_service_errors
from participation import polls as steps
from participation.models import PollQuestionKind, PollResultsShown
from participation.poll_results import (
    poll_get_for_user,
    poll_is_staff_view,
    poll_proposal_choices,
    poll_results,
    poll_results_export,
    poll_turnout,
    poll_voted,
    polls_for_user,
    polls_voted_ids,
)
from security.decorators import role_required
from security.scoping import has_role, visible_areas

_DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class _DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format=_DATETIME_LOCAL, **kwargs)


class ProposalChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.title}（{obj.community.name}）"


class PollForm(forms.Form):
    area = forms.ModelChoiceField(label=gettext_lazy("For the residents of"), queryset=None)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=steps.TITLE_MAX)
    description = forms.CharField(
        label=pgettext_lazy("poll", "Description"),
        max_length=steps.DESCRIPTION_MAX,
        required=False,
        widget=forms.Textarea,
    )
    opens_at = forms.DateTimeField(
        label=gettext_lazy("Opens at"), widget=_DateTimeLocalInput(), input_formats=[_DATETIME_LOCAL]
    )
    closes_at = forms.DateTimeField(
        label=gettext_lazy("Closes at"), widget=_DateTimeLocalInput(), input_formats=[_DATETIME_LOCAL]
    )
    results_shown = forms.ChoiceField(
        label=gettext_lazy("Results shown"),
        choices=PollResultsShown.choices,
        initial=PollResultsShown.AFTER_CLOSING,
        help_text=gettext_lazy("Live results show only once 10 residents have voted."),
    )
    proposal = ProposalChoiceField(
        label=gettext_lazy("About a residents' proposal (optional)"),
        queryset=None,
        required=False,
        help_text=gettext_lazy("A proposal of a community within the poll's area."),
    )

    def __init__(self, *args, areas=None, with_area=True, proposals=None, **kwargs):
        super().__init__(*args, **kwargs)
        if with_area:
            self.fields["area"].queryset = areas
        else:
            del self.fields["area"]
        self.fields["proposal"].queryset = proposals


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind of question"), choices=PollQuestionKind.choices)
    text = forms.CharField(label=gettext_lazy("Question"), max_length=steps.QUESTION_MAX)
    options = forms.CharField(
        label=gettext_lazy("Options, one a line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Not needed for a free-text question."),
    )
    max_choices = forms.IntegerField(
        label=gettext_lazy("Multiple choice: at most this many"),
        required=False,
        min_value=1,
        help_text=gettext_lazy("Leave empty to allow every option."),
    )


def _manager_areas(user):
    return visible_areas(user, steps.PARTICIPATION_ORGANISER_ROLES).order_by("path")


def _managed_poll(request, poll_id):
    poll = poll_get_for_user(user=request.user, public_id=poll_id)
    if not steps.can_manage_poll(actor=request.user, poll=poll):
        raise Http404
    return poll


# --- pages -----------------------------------------------------------------------------------------


@login_required
def poll_list(request):
    """Residents: the polls of the areas they live in. Staff: every poll of their areas, drafts too."""
    page = Paginator(polls_for_user(user=request.user), 20).get_page(request.GET.get("page"))
    polls = list(page.object_list)
    voted = polls_voted_ids(user=request.user, polls=polls)
    rows = [{"poll": poll, "state": steps.poll_state(poll), "voted": poll.pk in voted} for poll in polls]
    context = {
        "page": page,
        "rows": rows,
        "can_create": has_role(request.user, steps.PARTICIPATION_ORGANISER_ROLES),
    }
    return render(request, "participation/polls/list.html", context)


@role_required(steps.PARTICIPATION_ORGANISER_ROLES)
def poll_create(request):
    areas = _manager_areas(request.user)
    form = PollForm(request.POST or None, areas=areas, proposals=poll_proposal_choices(user=request.user))
    if request.method == "POST" and form.is_valid():
        try:
            poll = steps.poll_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("The poll is saved as a draft. Now add its questions."))
            return redirect("participation:poll_edit", poll_id=poll.public_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "participation/polls/form.html", {"form": form}, status=status)


def _posted_answers(request, questions) -> dict:
    answers = {}
    for question in questions:
        name = f"q{question.pk}"
        if question.kind == PollQuestionKind.TEXT:
            answers[question.pk] = request.POST.get(name, "")
            continue
        try:
            answers[question.pk] = [int(value) for value in request.POST.getlist(name)]
        except ValueError:
            raise ValidationError(
                _("An option chosen for question %(number)s is not one of its options.") % {"number": question.position}
            ) from None
    return answers


@login_required
def poll_detail(request, poll_id):
    poll = poll_get_for_user(user=request.user, public_id=poll_id)
    questions = list(poll.questions.prefetch_related("options"))
    status = 200
    if request.method == "POST":
        try:
            steps.ballot_cast(user=request.user, poll=poll, answers=_posted_answers(request, questions))
        except PermissionDenied as exc:
            messages.error(request, str(exc) or _("You cannot vote in this poll."))
            status = 403
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            status = 400
        else:
            messages.success(request, _("Your vote is in. It is secret: no one can see how you voted."))
            return redirect("participation:poll_detail", poll_id=poll.public_id)
    state = steps.poll_state(poll)
    voted = poll_voted(user=request.user, poll=poll)
    eligibility = steps.poll_eligibility(user=request.user, poll=poll)
    staff_view = poll_is_staff_view(user=request.user, poll=poll)
    context = {
        "poll": poll,
        "questions": questions,
        "state": state,
        "voted": voted,
        "may_vote": state == "open" and not voted and eligibility.profile is not None,
        "not_eligible_reason": eligibility.reason,
        "results": poll_results(user=request.user, poll=poll),
        "staff_view": staff_view,
        "can_manage": steps.can_manage_poll(actor=request.user, poll=poll),
        "turnout": poll_turnout(poll=poll) if staff_view else None,
        "posted": request.POST if request.method == "POST" else None,
    }
    return render(request, "participation/polls/detail.html", context, status=status)


@role_required(steps.PARTICIPATION_ORGANISER_ROLES)
def poll_edit(request, poll_id):
    """A draft's details and questions; once the poll has opened, nothing changes here."""
    poll = _managed_poll(request, poll_id)
    if steps.poll_state(poll) != "draft":
        messages.error(request, _("This poll has opened: it can no longer be changed, only closed."))
        return redirect("participation:poll_detail", poll_id=poll.public_id)
    action = request.POST.get("action") if request.method == "POST" else None
    details = PollForm(
        request.POST if action == "details" else None,
        with_area=False,
        proposals=poll_proposal_choices(user=request.user, current_id=poll.proposal_id),
        initial={
            "title": poll.title,
            "description": poll.description,
            "opens_at": poll.opens_at,
            "closes_at": poll.closes_at,
            "results_shown": poll.results_shown,
            "proposal": poll.proposal_id,
        },
    )
    question_form = QuestionForm(request.POST if action == "question" else None)
    try:
        if action == "details" and details.is_valid():
            steps.poll_update(actor=request.user, poll=poll, **details.cleaned_data)
            messages.success(request, _("The poll is changed."))
            return redirect("participation:poll_edit", poll_id=poll.public_id)
        if action == "question" and question_form.is_valid():
            data = question_form.cleaned_data
            steps.poll_question_add(
                actor=request.user,
                poll=poll,
                kind=data["kind"],
                text=data["text"],
                options=data["options"].splitlines(),
                max_choices=data["max_choices"],
            )
            messages.success(request, _("The question is added."))
            return redirect("participation:poll_edit", poll_id=poll.public_id)
        if action == "remove":
            try:
                question_id = int(request.POST.get("question", ""))
            except ValueError:
                raise ValidationError(_("That question is not in this poll.")) from None
            steps.poll_question_remove(actor=request.user, poll=poll, question_id=question_id)
            messages.success(request, _("The question is removed."))
            return redirect("participation:poll_edit", poll_id=poll.public_id)
    except ValidationError as exc:
        if action == "details":
            form_add_service_errors(details, exc)
        elif action == "question":
            form_add_service_errors(question_form, exc)
        else:
            for message in exc.messages:
                messages.error(request, message)
    context = {
        "poll": poll,
        "details": details,
        "question_form": question_form,
        "questions": poll.questions.prefetch_related("options"),
    }
    return render(request, "participation/polls/edit.html", context, status=400 if action else 200)


@require_POST
@role_required(steps.PARTICIPATION_ORGANISER_ROLES)
def poll_close(request, poll_id):
    poll = _managed_poll(request, poll_id)
    try:
        steps.poll_close(actor=request.user, poll=poll)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The poll is closed. No more votes are taken."))
    return redirect("participation:poll_detail", poll_id=poll.public_id)


@role_required(steps.PARTICIPATION_ORGANISER_ROLES)
def poll_export(request, poll_id, file_format):
    poll = _managed_poll(request, poll_id)
    try:
        body, content_type = poll_results_export(user=request.user, poll=poll, file_format=file_format)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("participation:poll_detail", poll_id=poll.public_id)
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="poll-{poll.public_id}.{file_format}"'
    return response
