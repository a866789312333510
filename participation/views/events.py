"""Meetings and events (议事会、社区活动): residents sign up and show their code at the door; staff
organise, check people in and publish the minutes."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.forms import form_add_service_errors
from participation import events as steps
from participation.event_forms import CheckInForm, EventCancelForm, EventForm, MinutesForm
from participation.event_selectors import (
    event_area_choices,
    event_attendees,
    event_get_for_resident,
    event_get_for_staff,
    event_organiser_choices,
    event_proposal_choices,
    events_for_staff,
    events_past_for_resident,
    events_upcoming_for_resident,
    own_signup,
    waiting_position,
)
from participation.models import EventSignupStatus, EventStatus
from participation.organisers import is_organiser, organiser_required
from residents.selectors import resident_own_profile


def _message(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# --- residents ------------------------------------------------------------------------------------
@login_required
def event_list(request):
    """The events of the resident's grid and the areas above it: coming ones, then past ones."""
    profile = resident_own_profile(user=request.user)
    context = {
        "profile": profile,
        "upcoming": list(events_upcoming_for_resident(user=request.user)[:50]),
        "past": Paginator(events_past_for_resident(user=request.user), 20).get_page(request.GET.get("page")),
        "is_staff": is_organiser(request.user),
    }
    return render(request, "participation/events/list.html", context)


@login_required
def event_detail(request, public_id):
    event = event_get_for_resident(user=request.user, public_id=public_id)
    signup = own_signup(user=request.user, event=event)
    now = timezone.now()
    context = {
        "event": event,
        "signup": signup,
        "position": waiting_position(signup) if signup is not None else None,
        "open_for_signup": event.status == EventStatus.SCHEDULED and event.starts_at > now,
        "places_left": max(event.capacity - event.taken_count, 0),
    }
    return render(request, "participation/events/detail.html", context)


@login_required
@require_POST
def event_signup(request, public_id):
    event = event_get_for_resident(user=request.user, public_id=public_id)
    try:
        signup = steps.event_signup(user=request.user, event=event)
    except ValidationError as exc:
        messages.error(request, _message(exc))
    else:
        if signup.status == EventSignupStatus.CONFIRMED:
            messages.success(request, _("You have a place. Show your check-in code at the door."))
        else:
            messages.success(
                request, _("The event is full: you are on the waiting list and will be told if you move up.")
            )
    return redirect("participation:event_detail", public_id=event.public_id)


@login_required
@require_POST
def event_signup_cancel(request, public_id):
    event = event_get_for_resident(user=request.user, public_id=public_id)
    try:
        steps.event_signup_cancel(user=request.user, event=event)
    except ValidationError as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, _("Your sign-up is cancelled."))
    return redirect("participation:event_detail", public_id=event.public_id)


# --- staff ----------------------------------------------------------------------------------------
@organiser_required
def manage_list(request):
    page = Paginator(events_for_staff(user=request.user), 20).get_page(request.GET.get("page"))
    return render(request, "participation/events/manage_list.html", {"page": page})


def _event_form(request, data=None, initial=None):
    return EventForm(
        data,
        initial=initial,
        areas=list(event_area_choices(user=request.user)),
        organisers=list(event_organiser_choices(user=request.user)),
    )


@organiser_required
def manage_new(request):
    form = _event_form(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            event = steps.event_create(actor=request.user, **form.service_arguments())
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("The event is published; residents of its area can sign up."))
            return redirect("participation:event_manage", public_id=event.public_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "participation/events/form.html", {"form": form, "event": None}, status=status)


@organiser_required
def manage_edit(request, public_id):
    event = event_get_for_staff(user=request.user, public_id=public_id)
    initial = {
        "kind": event.kind,
        "title": event.title,
        "description": event.description,
        "starts_at": timezone.localtime(event.starts_at),
        "ends_at": timezone.localtime(event.ends_at),
        "place": event.place,
        "capacity": event.capacity,
        "area": event.area_id,
        "organiser": event.organiser_id,
    }
    form = _event_form(request, request.POST or None, initial=initial)
    if event.area_id not in form.areas:  # seen through a wider role than the one that organises
        form.areas[event.area_id] = event.area
        form.fields["area"].choices = [*form.fields["area"].choices, (event.area_id, event.area.name)]
    if event.organiser_id and event.organiser_id not in form.organisers:  # credited by someone else
        form.organisers[event.organiser_id] = event.organiser
        form.fields["organiser"].choices = [
            *form.fields["organiser"].choices,
            (event.organiser_id, event.organiser.name),
        ]
    if request.method == "POST" and form.is_valid():
        try:
            steps.event_update(actor=request.user, event=event, **form.service_arguments())
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("The event is changed."))
            return redirect("participation:event_manage", public_id=event.public_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "participation/events/form.html", {"form": form, "event": event}, status=status)


@organiser_required
def manage_detail(request, public_id):
    """The organiser's page: counts, check-in by code or from the list, the people signed up."""
    event = event_get_for_staff(user=request.user, public_id=public_id)
    form = CheckInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            signup = steps.event_check_in(actor=request.user, event=event, code=form.cleaned_data["code"])
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Checked in: %(code)s") % {"code": signup.code})
            return redirect("participation:event_manage", public_id=event.public_id)
    now = timezone.now()
    context = {
        "event": event,
        "form": form,
        "attendees": list(event_attendees(event=event)),
        "check_in_open": steps.check_in_open(event, now),
        "can_edit": event.status == EventStatus.SCHEDULED and event.ends_at > now,
        "can_publish_minutes": event.status == EventStatus.SCHEDULED and event.starts_at <= now,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "participation/events/manage_detail.html", context, status=status)


@organiser_required
def manage_cancel(request, public_id):
    event = event_get_for_staff(user=request.user, public_id=public_id)
    form = EventCancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            steps.event_cancel(actor=request.user, event=event, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("The event is cancelled; everyone signed up is told."))
            return redirect("participation:event_manage", public_id=event.public_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "participation/events/cancel.html", {"event": event, "form": form}, status=status)


@organiser_required
def manage_minutes(request, public_id):
    event = event_get_for_staff(user=request.user, public_id=public_id)
    form = MinutesForm(
        request.POST or None,
        proposals=event_proposal_choices(event=event),
        initial={
            "minutes": event.minutes,
            "outcomes": event.outcomes,
            "proposals": [proposal.pk for proposal in event.proposals_discussed.all()],
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            steps.event_minutes_publish(
                actor=request.user,
                event=event,
                minutes=form.cleaned_data["minutes"],
                outcomes=form.cleaned_data["outcomes"],
                proposals=list(form.cleaned_data["proposals"]),
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("The minutes are published for the residents of the area."))
            return redirect("participation:event_manage", public_id=event.public_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "participation/events/minutes.html", {"event": event, "form": form}, status=status)
