"""Construction projects' pages: the scoped list and detail for officials, departments and partners, the
officers' forms (register, edit, spend, adjust, milestones, deliverables, documents, acceptance), the
district leaders' adjustment queue, the permission-checked downloads, and the public pages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.forms import form_add_service_errors
from directory.models import Area
from programme import forms_projects as forms
from programme import projects as steps
from programme.access import may_use_programme
from programme.project_selectors import (
    adjustment_get_for_decider,
    adjustments_awaiting_decision,
    document_get_for_user,
    project_get_for_user,
    project_records,
    projects_for_user,
    public_filter_areas,
    public_project_get,
    public_projects,
    spend_get_for_user,
)
from programme.project_status import STATUS_LABELS, project_status
from security.decorators import role_required
from security.roles import PROGRAMME_DISTRICT_ROLES, PROGRAMME_OFFICER_ROLES
from security.scoping import has_role, visible_areas

PAGE_SIZE = 30


def _labelled(projects):
    for project in projects:
        project.status_label = STATUS_LABELS[project.status]
        project.progress = f"{project.milestones_reached}/{project.milestones_total}"
    return projects


def _filtered(request, areas, fetch):
    """Apply the list's filters from GET; a bad value is ignored (everything is shown)."""
    filters = forms.ProjectFilterForm(request.GET or None, areas=areas)
    status, area = "", None
    if filters.is_bound and filters.is_valid():
        status, area = filters.cleaned_data["status"], filters.cleaned_data["area"]
    page = Paginator(fetch(status=status, area=area), PAGE_SIZE).get_page(request.GET.get("page"))
    _labelled(page.object_list)
    return filters, page


# --- officials, departments and partners ------------------------------------------------------------------


@login_required
def project_list(request):
    if not may_use_programme(request.user):
        raise PermissionDenied
    areas = visible_areas(request.user).filter(kind__in=(Area.Kind.SUBDISTRICT, Area.Kind.COMMUNITY)).order_by("path")
    filters, page = _filtered(request, areas, lambda **f: projects_for_user(user=request.user, **f))
    return render(
        request,
        "programme/projects/list.html",
        {
            "page": page,
            "filters": filters,
            "registers": bool(steps.registrable_areas(request.user)),
            "decides": has_role(request.user, PROGRAMME_DISTRICT_ROLES),
        },
    )


@login_required
def project_detail(request, public_id):
    project = project_get_for_user(user=request.user, public_id=public_id)
    status, delay = project_status(project)
    milestones = list(project.milestones.all())
    context = {
        "project": project,
        "status": status,
        "status_label": STATUS_LABELS[status],
        "delay": delay,
        "milestones": milestones,
        "reached": sum(1 for m in milestones if m.actual_date is not None),
        "left": project.approved_budget - project.spent,
        "manages": steps.can_manage(actor=request.user, project=project),
        "is_open": project.acceptance_decision != "accepted",
        **project_records(user=request.user, project=project),
    }
    context["all_reached"] = bool(milestones) and context["reached"] == len(milestones)
    return render(request, "programme/projects/detail.html", context)


@role_required(PROGRAMME_OFFICER_ROLES)
def project_new(request):
    areas = steps.registrable_areas(request.user)
    if not areas:
        raise PermissionDenied
    form = forms.ProjectForm(request.POST or None, areas=areas)
    if request.method == "POST" and form.is_valid():
        try:
            project = steps.project_create(actor=request.user, **form.service_arguments())
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("The project is registered."))
            return redirect("programme:project_detail", public_id=project.public_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "programme/projects/form.html", {"form": form, "project": None}, status=status)


def _managed(request, public_id):
    """The project, for an officer who manages it: 404 when they do not see it, 403 when they only read it."""
    project = project_get_for_user(user=request.user, public_id=public_id)
    if not steps.can_manage(actor=request.user, project=project):
        raise PermissionDenied
    return project


@login_required
def project_edit(request, public_id):
    project = _managed(request, public_id)
    form = forms.ProjectForm(
        request.POST or None,
        areas=[project.area],
        editing=True,
        initial={
            "name": project.name,
            "description": project.description,
            "communities": list(project.communities.all()),
            "department": project.department_id,
            "partners": list(project.partners.all()),
            "funding_source": project.funding_source,
            "budget": project.budget,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            steps.project_update(actor=request.user, project=project, **form.service_arguments())
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("The project is saved."))
            return redirect("programme:project_detail", public_id=project.public_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "programme/projects/form.html", {"form": form, "project": project}, status=status)


def _action(request, project, form, run, *, title, submit, done, intro=""):
    """One officer's step on a project from a posted form: the service's refusal beside the field it
    names (400), or a message and back to the project."""
    if request.method == "POST" and form.is_valid():
        try:
            run(form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect("programme:project_detail", public_id=project.public_id)
    return render(
        request,
        "programme/projects/action.html",
        {"project": project, "form": form, "title": title, "submit": submit, "intro": intro},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def project_spend(request, public_id):
    project = _managed(request, public_id)
    form = forms.SpendForm(request.POST or None, request.FILES or None, project=project)
    left = steps.yuan(project.approved_budget - project.spent)
    return _action(
        request,
        project,
        form,
        lambda data: steps.spend_record(actor=request.user, project=project, **data),
        title=_("Record spending"),
        submit=_("Record"),
        done=_("The spending is recorded."),
        intro=_("Left of the approved budget: %(left)s") % {"left": left},
    )


@login_required
def project_adjustment(request, public_id):
    project = _managed(request, public_id)
    return _action(
        request,
        project,
        forms.AdjustmentForm(request.POST or None),
        lambda data: steps.adjustment_request(actor=request.user, project=project, **data),
        title=_("Ask for a budget adjustment"),
        submit=_("Send to the district"),
        done=_("The adjustment is sent to the district leaders for a decision."),
    )


@login_required
def milestone_add(request, public_id):
    project = _managed(request, public_id)
    return _action(
        request,
        project,
        forms.MilestoneForm(request.POST or None),
        lambda data: steps.milestone_add(actor=request.user, project=project, **data),
        title=_("Plan a milestone"),
        submit=_("Add"),
        done=_("The milestone is planned."),
    )


def _milestone(project, pk):
    milestone = next((m for m in project.milestones.all() if m.pk == pk), None)
    if milestone is None:
        raise Http404
    return milestone


@login_required
def milestone_edit(request, public_id, pk):
    project = _managed(request, public_id)
    milestone = _milestone(project, pk)
    form = forms.MilestoneForm(
        request.POST or None, initial={"name": milestone.name, "planned_date": milestone.planned_date}
    )
    return _action(
        request,
        project,
        form,
        lambda data: steps.milestone_plan_change(actor=request.user, milestone=milestone, **data),
        title=_("Change the milestone's plan"),
        submit=_("Save"),
        done=_("The milestone's plan is changed."),
    )


@login_required
def milestone_reach(request, public_id, pk):
    project = _managed(request, public_id)
    milestone = _milestone(project, pk)
    return _action(
        request,
        project,
        forms.ReachForm(request.POST or None),
        lambda data: steps.milestone_reach(actor=request.user, milestone=milestone, **data),
        title=_("Milestone reached: %(name)s") % {"name": milestone.name},
        submit=_("Mark as reached"),
        done=_("The milestone is marked as reached."),
    )


@login_required
def deliverable_add(request, public_id):
    project = _managed(request, public_id)
    return _action(
        request,
        project,
        forms.DeliverableForm(request.POST or None),
        lambda data: steps.deliverable_add(actor=request.user, project=project, **data),
        title=_("Add a deliverable"),
        submit=_("Add"),
        done=_("The deliverable is added."),
    )


@login_required
def deliverable_deliver(request, public_id, pk):
    project = _managed(request, public_id)
    deliverable = next((d for d in project.deliverables.all() if d.pk == pk), None)
    if deliverable is None:
        raise Http404
    return _action(
        request,
        project,
        forms.DeliverForm(request.POST or None),
        lambda data: steps.deliverable_deliver(actor=request.user, deliverable=deliverable, **data),
        title=_("Delivered: %(name)s") % {"name": deliverable.name},
        submit=_("Mark as delivered"),
        done=_("The deliverable is marked as delivered."),
    )


@login_required
def document_add(request, public_id):
    project = _managed(request, public_id)
    return _action(
        request,
        project,
        forms.DocumentForm(request.POST or None, request.FILES or None),
        lambda data: steps.document_add(actor=request.user, project=project, **data),
        title=_("Add a document"),
        submit=_("Upload"),
        done=_("The document is added."),
    )


@login_required
def project_acceptance(request, public_id):
    project = _managed(request, public_id)
    return _action(
        request,
        project,
        forms.AcceptanceForm(request.POST or None, request.FILES or None),
        lambda data: steps.acceptance_record(actor=request.user, project=project, **data),
        title=_("Record the acceptance"),
        submit=_("Record the acceptance"),
        done=_("The acceptance is recorded."),
        intro=_("Accepted, the project becomes read-only; not accepted, it stays open for rework."),
    )


# --- district leaders: budget adjustments -----------------------------------------------------------------


@role_required(PROGRAMME_DISTRICT_ROLES)
def adjustment_queue(request):
    adjustments = list(adjustments_awaiting_decision(user=request.user)[:200])
    return render(request, "programme/projects/adjustments.html", {"adjustments": adjustments})


@role_required(PROGRAMME_DISTRICT_ROLES)
def adjustment_decide(request, pk):
    adjustment = adjustment_get_for_decider(user=request.user, pk=pk)
    form = forms.DecisionForm(request.POST or None)
    action = request.POST.get("action")
    if request.method == "POST" and action not in ("approve", "refuse"):
        form.is_valid()
        form.add_error(None, _("Choose to approve or to refuse."))
    elif request.method == "POST" and form.is_valid():
        approve = action == "approve"
        decide = steps.adjustment_approve if approve else steps.adjustment_refuse
        try:
            decide(actor=request.user, adjustment=adjustment, note=form.cleaned_data["note"])
        except ValidationError as exc:
            form_add_service_errors(form, exc, field_names={"decision_note": "note"})
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The adjustment is approved.") if approve else _("The adjustment is refused."))
            return redirect("programme:project_adjustments")
    return render(
        request,
        "programme/projects/adjustment_decide.html",
        {
            "adjustment": adjustment,
            "form": form,
            "may_decide": steps.can_decide_adjustment(actor=request.user, adjustment=adjustment),
            "approved_after": adjustment.project.approved_budget + adjustment.amount,
        },
        status=400 if request.method == "POST" else 200,
    )


# --- downloads ------------------------------------------------------------------------------------------


def _file_response(row):
    response = FileResponse(
        row.file.open("rb"),
        content_type=row.content_type,
        as_attachment=row.content_type == "application/pdf",
        filename=row.file_name or None,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def spend_document(request, public_id, pk):
    """A spending entry's document, only to those who see the project's records; never a media URL."""
    return _file_response(spend_get_for_user(user=request.user, public_id=public_id, pk=pk))


@login_required
def project_document(request, public_id, pk):
    return _file_response(document_get_for_user(user=request.user, public_id=public_id, pk=pk))


# --- the public pages -------------------------------------------------------------------------------------

PUBLIC_TITLE = gettext_lazy("Smart-community construction projects")


def public_list(request):
    """Every project's budget, spending and progress, for anyone; no documents, no names of people."""
    filters = forms.ProjectFilterForm(request.GET or None, areas=public_filter_areas())
    status, area = "", None
    if filters.is_bound and filters.is_valid():
        status, area = filters.cleaned_data["status"], filters.cleaned_data["area"]
    projects = public_projects(area=area)
    if status:
        projects = projects.filter(status=status)
    page = Paginator(projects, PAGE_SIZE).get_page(request.GET.get("page"))
    _labelled(page.object_list)
    return render(request, "programme/projects/public_list.html", {"page": page, "filters": filters})


def public_detail(request, public_id):
    project = public_project_get(public_id=public_id)
    status, delay = project_status(project)
    milestones = list(project.milestones.all())
    return render(
        request,
        "programme/projects/public_detail.html",
        {
            "project": project,
            "status": status,
            "status_label": STATUS_LABELS[status],
            "delay": delay,
            "milestones": milestones,
            "reached": sum(1 for m in milestones if m.actual_date is not None),
        },
    )
