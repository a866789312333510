"""Notices (通知公告): residents read them; staff, departments and partners write them; community
staff approve the departments' and partners' ones."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.forms import form_add_service_errors
from participation import notices as steps
from participation.models import NoticeStatus
from participation.notice_delivery import notice_receipt_read
from participation.notice_forms import ManageFilterForm, NoticeFilterForm, NoticeForm, ReasonForm
from participation.notice_selectors import (
    notice_get_for_approver,
    notice_get_for_manager,
    notice_get_for_reader,
    notice_is_live,
    notice_publishable_areas,
    notice_reader_grid,
    notices_awaiting_approval,
    notices_for_manager,
    notices_for_reader,
)
from security.decorators import role_required
from security.roles import NOTICE_APPROVER_ROLES, ORGANISATION_ROLES, PARTICIPATION_ORGANISER_ROLES

MANAGER_ROLES = PARTICIPATION_ORGANISER_ROLES | ORGANISATION_ROLES


# --- residents ------------------------------------------------------------------------------------


def notice_list(request):
    """Notices for the reader: a verified resident's own area by default, anyone else every
    public notice; any community on request. Open to anyone, like the notice board on the wall."""
    filters = NoticeFilterForm(request.GET or None)
    grid = notice_reader_grid(user=request.user)
    filters.fields["community"].empty_label = _("Where I live") if grid is not None else _("All communities")
    if filters.is_bound and not filters.is_valid():
        notices = notices_for_reader(user=request.user).none()
    else:
        community = filters.cleaned_data.get("community") if filters.is_bound else None
        notices = notices_for_reader(user=request.user, community=community, grid=grid)
    page = Paginator(notices, 20).get_page(request.GET.get("page"))
    return render(request, "participation/notices/list.html", {"page": page, "filters": filters, "grid": grid})


def notice_detail(request, public_id):
    notice = notice_get_for_reader(user=request.user, public_id=public_id)
    is_live = notice_is_live(notice)
    if is_live:
        notice_receipt_read(notice=notice, user=request.user)
    context = {"notice": notice, "is_live": is_live, "can_manage": steps.can_manage(actor=request.user, notice=notice)}
    return render(request, "participation/notices/detail.html", context)


def notice_attachment(request, public_id):
    """The attachment, only to those who may read the notice; never from a public media URL."""
    notice = notice_get_for_reader(user=request.user, public_id=public_id)
    if not notice.attachment:
        raise Http404
    is_pdf = notice.attachment_content_type == "application/pdf"
    response = FileResponse(
        notice.attachment.open("rb"),
        content_type=notice.attachment_content_type,
        as_attachment=is_pdf,
        filename=notice.attachment_name or None,
    )
    response["X-Content-Type-Options"] = "nosniff"
    # The security middleware makes this no-store for every answer; private says the same to any cache between.
    response["Cache-Control"] = "private, no-store"
    return response


# --- publishers -----------------------------------------------------------------------------------


@role_required(MANAGER_ROLES)
def manage_list(request):
    filters = ManageFilterForm(request.GET or None)
    status = filters.cleaned_data.get("status", "") if filters.is_valid() else ""
    page = Paginator(notices_for_manager(user=request.user, status=status), 30).get_page(request.GET.get("page"))
    return render(request, "participation/notices/manage_list.html", {"page": page, "filters": filters})


@role_required(MANAGER_ROLES)
def manage_new(request):
    areas = notice_publishable_areas(user=request.user)
    form = NoticeForm(request.POST or None, request.FILES or None, areas=areas)
    if request.method == "POST" and form.is_valid():
        try:
            notice = steps.notice_create(actor=request.user, **form.service_arguments())
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            if request.POST.get("action") == "send":
                return _send(request, notice)
            messages.success(request, _("The draft is saved."))
            return redirect("participation:notice_manage", public_id=notice.public_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "participation/notices/manage_form.html", {"form": form, "notice": None}, status=status)


def _send(request, notice):
    try:
        notice = steps.notice_send(actor=request.user, notice=notice)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        if notice.status == NoticeStatus.AWAITING_APPROVAL:
            messages.success(request, _("The notice is sent to the community's staff for approval."))
        else:
            messages.success(request, _("The notice is published."))
    return redirect("participation:notice_manage", public_id=notice.public_id)


@role_required(MANAGER_ROLES)
def manage_detail(request, public_id):
    """One notice for its publisher: edit and send a draft, see a refusal's reason and the
    fan-out's progress, withdraw a published notice."""
    notice = notice_get_for_manager(user=request.user, public_id=public_id)
    editable = notice.status in steps.EDITABLE_STATUSES
    form = None
    if editable:
        areas = notice_publishable_areas(user=request.user)
        if notice.area_id not in {area.pk for area, _needs in areas}:
            areas = [(notice.area, notice.organisation_id is not None), *areas]
        posted = request.method == "POST" and request.POST.get("action") in ("save", "send")
        form = NoticeForm(
            request.POST if posted else None,
            request.FILES if posted else None,
            areas=areas,
            initial=_initial(notice) if not posted else None,
        )
        if posted and form.is_valid():
            try:
                notice = steps.notice_update(
                    actor=request.user,
                    notice=notice,
                    remove_attachment=form.cleaned_data["remove_attachment"],
                    **form.service_arguments(),
                )
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                if request.POST.get("action") == "send":
                    return _send(request, notice)
                messages.success(request, _("The draft is saved."))
                return redirect("participation:notice_manage", public_id=notice.public_id)
        if posted:
            return render(
                request, "participation/notices/manage_form.html", {"form": form, "notice": notice}, status=400
            )
    withdraw_form = ReasonForm(prefix="withdraw")
    return render(
        request,
        "participation/notices/manage_form.html" if editable else "participation/notices/manage_detail.html",
        {"form": form, "notice": notice, "withdraw_form": withdraw_form, "is_live": notice_is_live(notice)},
    )


def _initial(notice) -> dict:
    return {
        "area": notice.area_id,
        "title": notice.title,
        "body": notice.body,
        "category": notice.category,
        "audience": notice.audience,
        "is_urgent": notice.is_urgent,
        "publish_at": notice.publish_at,
        "expires_at": notice.expires_at,
    }


@require_POST
@role_required(MANAGER_ROLES)
def manage_withdraw(request, public_id):
    notice = notice_get_for_manager(user=request.user, public_id=public_id)
    form = ReasonForm(request.POST, prefix="withdraw")
    form.is_valid()
    try:
        steps.notice_withdraw(actor=request.user, notice=notice, reason=form.cleaned_data.get("reason", ""))
    except (ValidationError, PermissionDenied) as exc:
        for message in getattr(exc, "messages", [str(exc)]):
            messages.error(request, message)
    else:
        messages.success(request, _("The notice is withdrawn; residents no longer see it."))
    return redirect("participation:notice_manage", public_id=notice.public_id)


# --- approvals ------------------------------------------------------------------------------------


@role_required(NOTICE_APPROVER_ROLES)
def approval_queue(request):
    waiting = notices_awaiting_approval(user=request.user)[:100]
    return render(request, "participation/notices/approval_queue.html", {"waiting": waiting})


@role_required(NOTICE_APPROVER_ROLES)
def approval_detail(request, public_id):
    notice = notice_get_for_approver(user=request.user, public_id=public_id)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        decision = request.POST.get("decision", "")
        try:
            if decision == "approve":
                steps.notice_approve(actor=request.user, notice=notice)
            elif decision == "refuse":
                steps.notice_refuse(actor=request.user, notice=notice, reason=form.cleaned_data["reason"])
            else:
                raise ValidationError(_("Choose to approve or refuse the notice."))
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            if decision == "approve":
                messages.success(request, _("The notice is approved and published."))
            else:
                messages.success(request, _("The notice is refused; the publisher sees your reason."))
            return redirect("participation:notice_approvals")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "participation/notices/approval_detail.html",
        {"notice": notice, "form": form},
        status=status,
    )
