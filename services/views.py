from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from residents.selectors import resident_own_profile
from security.decorators import role_required
from security.roles import AREA_ROLES, ORGANISATION_ROLES, REQUEST_HANDLER_ROLES
from security.scoping import has_role, visible_areas
from services import services as steps
from services.answers import answers_for_display
from services.forms import AssignForm, PhotosForm, PublicRequestFilterForm, QueueFilterForm, RequestForm
from services.models import Channel
from services.next_step import next_step_text
from services.photos import (
    photos_stage,
    staged_photo_get,
    staged_photo_remove,
    staged_photos_as_clean,
    staged_photos_discard,
    staged_photos_of,
)
from services.selectors import (
    assignee_choices,
    grid_by_id,
    grid_choices,
    nearby_open_requests,
    photo_get_for_user,
    public_request_grid_points,
    request_get_for_user,
    request_public_get,
    request_public_photo_get,
    request_public_view_for_supporter,
    request_queue,
    request_supportable_get,
    request_timeline,
    requests_of_requester,
    requests_public,
    requests_supported_by,
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
    # No request.FILES: the photos are staged first (below), so that a form sent back keeps them.
    form = RequestForm(request.POST or None, service=service, grids=grid_choices(), on_behalf=on_behalf)
    nearby, staged = [], []
    if request.method == "GET":
        profile = resident_own_profile(user=request.user)
        if profile is not None:
            form.initial["grid"] = profile.household.grid_id
    else:
        staged = _stage_photos(request, form)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not data["confirm_new"] and not on_behalf:
            nearby = nearby_open_requests(
                service=service,
                grid=grid_by_id(pk=data["grid"]),
                lat=data["lat"],
                lng=data["lng"],
                exclude_requester=request.user,
            )
    if request.method == "POST" and form.is_valid() and not nearby:
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
                photos=staged_photos_as_clean(staged),
                is_public=data["is_public"],
            )
        except ValidationError as exc:
            form.add_service_errors(exc.message_dict)
        else:
            staged_photos_discard(owner=request.user, token=data["submission_key"])
            messages.success(request, _("Your request %(number)s has been filed.") % {"number": filed.public_id})
            return redirect("services:detail", public_id=filed.public_id)
    if nearby:
        # Before filing, offer a "me too" on the same problem nearby; the photos stay staged.
        form.data = form.data.copy()
        form.data["confirm_new"] = "1"
    return render(
        request,
        "services/request_form.html",
        {"form": form, "service": service, "on_behalf": on_behalf, "nearby": nearby, "staged_photos": staged},
    )


def _stage_photos(request, form: RequestForm) -> list:
    """Take off the photos the person chose to remove, keep the new ones under the form's token, and
    return what is staged; photos refused are told beside the photos field."""
    token = form.data.get("submission_key", "")
    staged_photo_remove(owner=request.user, token=token, public_ids=request.POST.getlist("remove_photo"))
    try:
        photos_stage(owner=request.user, token=token, uploads=request.FILES.getlist("photos"))
    except ValidationError as exc:
        form.is_valid()  # the form's own errors first, then these beside them
        for message in exc.messages:
            form.add_error("photos", message)
    return staged_photos_of(owner=request.user, token=token)


@login_required
def staged_photo(request, photo_id):
    """The thumbnail of a photo on a form not sent yet, for the person who attached it only."""
    photo = staged_photo_get(owner=request.user, public_id=photo_id)
    response = FileResponse(photo.image.open("rb"), content_type=photo.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
def my_requests(request):
    page = Paginator(requests_of_requester(user=request.user), 20).get_page(request.GET.get("page"))
    supported = requests_supported_by(user=request.user)[:20]
    return render(request, "services/my_requests.html", {"page": page, "supported": supported})


def public_requests(request):
    """Requests residents agreed to publish, for anyone, signed in or not (like FixMyStreet)."""
    filters = PublicRequestFilterForm(request.GET or None)
    if filters.is_bound and not filters.is_valid():
        requests = requests_public().none()
    else:
        data = filters.cleaned_data if filters.is_bound else {}
        requests = requests_public(
            community=data.get("community"), service=data.get("service"), status=data.get("status", "")
        )
    page = Paginator(requests, 20).get_page(request.GET.get("page"))
    # The map needs a tile server; without one the page is the list alone.
    points = public_request_grid_points(requests) if settings.MAP_TILE_URL else []
    return render(request, "services/public_list.html", {"page": page, "filters": filters, "points": points})


def public_request_detail(request, public_id):
    return render(
        request, "services/request_public.html", {"req": request_public_get(public_id=public_id), "public_page": True}
    )


def public_request_photo(request, public_id, photo_id):
    """A photo staff marked fit for a public request's page (stored without EXIF), for anyone."""
    photo = request_public_photo_get(public_id=public_id, photo_public_id=photo_id)
    response = FileResponse(photo.image.open("rb"), content_type=photo.content_type)
    # Not cached by shared caches: a moderator may take the photo off the page at any time.
    response["Cache-Control"] = "no-cache"
    return response


@login_required
def request_detail(request, public_id):
    try:
        service_request = request_get_for_user(user=request.user, public_id=public_id)
    except Http404:
        public_view = request_public_view_for_supporter(user=request.user, public_id=public_id)
        return render(request, "services/request_public.html", {"req": public_view})
    allowed = steps.steps_for(actor=request.user, request=service_request)
    is_handler = steps.can_handle(actor=request.user, request=service_request)
    is_requester = steps.is_requester(actor=request.user, request=service_request)
    context = {
        "req": service_request,
        "answers": answers_for_display(service=service_request.service, answers=service_request.attributes),
        "timeline": request_timeline(user=request.user, request=service_request),
        "steps": allowed,
        # The "What next" panel shows when it has words or a form: adding photos lives in the timeline.
        "panel_steps": allowed - {"photos"},
        "next_step": next_step_text(request=service_request, is_handler=is_handler, is_requester=is_requester),
        "is_handler": is_handler,
        "is_requester": is_requester,
    }
    if "assign" in allowed:
        context["assign_form"] = AssignForm(assignees=assignee_choices(request=service_request))
    if "photos" in allowed:
        context["photos_form"] = PhotosForm()
    return render(request, "services/request_detail.html", context)


@require_POST
@login_required
def request_step(request, public_id, step):
    """One POST per step of a request's life; the service decides whether it is allowed."""
    if step == "support":
        return _support(request, public_id)
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
            steps.request_resolve(
                request=service_request, actor=actor, note=text, photos=request.FILES.getlist("photos")
            )
        elif step == "photos":
            steps.request_photos_add(request=service_request, actor=actor, photos=request.FILES.getlist("photos"))
        elif step == "merge":
            target = request_get_for_user(user=actor, public_id=request.POST.get("into", "").strip().upper())
            steps.request_merge(request=service_request, into=target, actor=actor, note=text)
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


def _support(request, public_id):
    """A "me too": the supporter cannot open the request yet, so it is looked up among the open
    public requests (the ones the form offered), not through the usual scoping."""
    service_request = request_supportable_get(public_id=public_id)
    try:
        created = steps.request_support(request=service_request, actor=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("services:mine")
    if created:
        messages.success(
            request, _("Thank you: you now follow request %(number)s.") % {"number": service_request.public_id}
        )
    return redirect("services:detail", public_id=service_request.public_id)


@login_required
def request_photo(request, public_id, photo_id):
    photo = photo_get_for_user(user=request.user, request_public_id=public_id, photo_public_id=photo_id)
    response = FileResponse(photo.image.open("rb"), content_type=photo.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


@role_required(WORKBENCH_ROLES)
def workbench(request):
    filters = QueueFilterForm(request.GET or None, communities=visible_areas(request.user).filter(kind="community"))
    data = filters.cleaned_data if filters.is_valid() else {}
    queue = request_queue(
        user=request.user,
        status=data.get("status", ""),
        service=data.get("service"),
        area=data.get("area"),
        overdue=data.get("overdue", False),
        assignee=request.user if data.get("mine") else None,
        query=data.get("q", ""),
    )
    page = Paginator(queue, 30).get_page(request.GET.get("page"))
    return render(request, "services/workbench.html", {"page": page, "filters": filters})
