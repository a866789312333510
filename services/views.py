from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from residents.selectors import resident_own_profile
from security.decorators import role_required
from security.roles import AREA_ROLES, ORGANISATION_ROLES, REQUEST_HANDLER_ROLES
from security.scoping import has_role
from services import services as steps
from services.forms import AssignForm, QueueFilterForm, RequestForm
from services.models import Channel
from services.selectors import (
    assignee_choices,
    grid_by_id,
    grid_choices,
    request_get_for_user,
    request_queue,
    request_timeline,
    requests_of_requester,
    services_active,
)

WORKBENCH_ROLES = AREA_ROLES | ORGANISATION_ROLES


@login_required
def service_choose(request):
    return render(request, "services/service_choose.html", {"services": services_active()})


@login_required
def request_new(request, service_code):
    service = get_object_or_404(services_active(), code=service_code)
    on_behalf = has_role(request.user, REQUEST_HANDLER_ROLES)
    form = RequestForm(request.POST or None, service=service, grids=grid_choices(), on_behalf=on_behalf)
    if request.method == "GET":
        profile = resident_own_profile(user=request.user)
        if profile is not None:
            form.initial["grid"] = profile.household.grid_id
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            filed = steps.request_file(
                actor=request.user,
                service=service,
                description=data["description"],
                answers=form.answers(),
                grid=grid_by_id(pk=data["grid"]),
                lat=data["lat"],
                lng=data["lng"],
                address=data["address"],
                requester=None if on_behalf else request.user,
                channel=data.get("channel", Channel.WEB),
                contact_name=data.get("contact_name", ""),
                contact_phone=data.get("contact_phone", ""),
                submission_key=data["submission_key"],
            )
        except ValidationError as exc:
            form.add_service_errors(exc.message_dict)
        else:
            messages.success(request, _("Your request %(number)s has been filed.") % {"number": filed.public_id})
            return redirect("services:detail", public_id=filed.public_id)
    return render(request, "services/request_form.html", {"form": form, "service": service, "on_behalf": on_behalf})


@login_required
def my_requests(request):
    page = Paginator(requests_of_requester(user=request.user), 20).get_page(request.GET.get("page"))
    return render(request, "services/my_requests.html", {"page": page})


@login_required
def request_detail(request, public_id):
    service_request = request_get_for_user(user=request.user, public_id=public_id)
    allowed = steps.steps_for(actor=request.user, request=service_request)
    context = {
        "req": service_request,
        "timeline": request_timeline(user=request.user, request=service_request),
        "steps": allowed,
        "is_handler": steps.can_handle(actor=request.user, request=service_request),
        "is_requester": steps.is_requester(actor=request.user, request=service_request),
    }
    if "assign" in allowed:
        context["assign_form"] = AssignForm(assignees=assignee_choices(request=service_request))
    return render(request, "services/request_detail.html", context)


@require_POST
@login_required
def request_step(request, public_id, step):
    """One POST per step of a request's life; the service decides whether it is allowed."""
    service_request = request_get_for_user(user=request.user, public_id=public_id)
    text = request.POST.get("text", "")
    actor = request.user
    try:
        if step == "accept":
            steps.request_accept(request=service_request, actor=actor, note=text)
        elif step == "reject":
            steps.request_reject(request=service_request, actor=actor, reason=text)
        elif step == "assign":
            form = AssignForm(request.POST, assignees=assignee_choices(request=service_request))
            if not form.is_valid():
                raise ValidationError(_("Choose an organisation or a person from the lists."))
            steps.request_assign(
                request=service_request,
                actor=actor,
                organisation=form.cleaned_data["organisation"],
                assignee=form.cleaned_data["assignee"],
                note=form.cleaned_data["note"],
            )
        elif step == "start":
            steps.request_start(request=service_request, actor=actor, note=text)
        elif step == "resolve":
            steps.request_resolve(request=service_request, actor=actor, note=text)
        elif step == "close":
            steps.request_close(request=service_request, actor=actor, note=text)
        elif step == "reopen":
            steps.request_reopen(request=service_request, actor=actor, reason=text)
        elif step == "comment":
            steps.request_comment(request=service_request, actor=actor, message=text)
        elif step == "note":
            steps.request_comment(request=service_request, actor=actor, message=text, internal=True)
        elif step == "rate":
            score = request.POST.get("score", "")
            steps.request_rate(
                request=service_request,
                actor=actor,
                score=int(score) if score.isdigit() else 0,
                comment=text,
            )
        else:
            raise ValidationError(_("Unknown step."))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Done."))
    return redirect("services:detail", public_id=service_request.public_id)


@role_required(WORKBENCH_ROLES)
def workbench(request):
    filters = QueueFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    queue = request_queue(
        user=request.user,
        status=data.get("status", ""),
        service=data.get("service"),
        overdue=data.get("overdue", False),
        assignee=request.user if data.get("mine") else None,
        query=data.get("q", ""),
    )
    page = Paginator(queue, 30).get_page(request.GET.get("page"))
    return render(request, "services/workbench.html", {"page": page, "filters": filters})
