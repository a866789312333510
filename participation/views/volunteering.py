"""Volunteering (志愿服务) and points (积分): residents find activities of their area, sign up, see
their hours, points and what they can redeem; staff post activities, confirm hours, keep their
communities' redemption items and hand items over."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.forms import form_add_service_errors
from participation import points as points_steps
from participation import volunteering as steps
from participation import volunteering_selectors as selectors
from participation.organisers import is_area_organiser, is_organiser, organiser_choices, organiser_required
from participation.volunteering_forms import (
    AdjustForm,
    HoursForm,
    PickupForm,
    RedemptionItemCreateForm,
    RedemptionItemUpdateForm,
    VolunteerActivityForm,
    YearForm,
)
from security.decorators import role_required
from security.roles import PARTICIPATION_ORGANISER_ROLES
from security.scoping import has_role


def _message(exc: ValidationError) -> str:
    return " ".join(str(message) for message in exc.messages)


# --- residents ------------------------------------------------------------------------------------


@login_required
def activity_list(request):
    """Open activities for where the resident lives; staff get a link to their own page."""
    grid = selectors.resident_grid(user=request.user)
    activities = selectors.volunteer_activities_for_resident(user=request.user, grid=grid).filter(
        ends_at__gt=timezone.now()
    )
    page = Paginator(activities, 20).get_page(request.GET.get("page"))
    context = {"page": page, "grid": grid, "is_staff": is_organiser(request.user)}
    return render(request, "participation/volunteering/list.html", context)


@login_required
def activity_detail(request, public_id):
    activity, manages = selectors.volunteer_activity_get(user=request.user, public_id=public_id)
    context = {
        "activity": activity,
        "manages": manages,
        "own_signup": selectors.volunteer_signup_own(user=request.user, activity=activity),
        "has_started": activity.starts_at <= timezone.now(),
        "places_left": max(activity.slots - activity.taken, 0),
    }
    if manages:
        context["signups"] = list(selectors.volunteer_signups_of_activity(activity=activity))
        context["hours_form"] = HoursForm()
        # Correcting a person's points is for the staff over their grid (points_adjust), not an organisation.
        context["can_adjust"] = is_area_organiser(request.user)
    return render(request, "participation/volunteering/detail.html", context)


@require_POST
@login_required
def sign_up(request, public_id):
    activity, _manages = selectors.volunteer_activity_get(user=request.user, public_id=public_id)
    try:
        steps.volunteer_sign_up(user=request.user, activity=activity)
    except ValidationError as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, _("You are signed up. Thank you for volunteering!"))
    return redirect("participation:volunteer_activity", public_id=activity.public_id)


@require_POST
@login_required
def sign_up_cancel(request, public_id):
    activity, _manages = selectors.volunteer_activity_get(user=request.user, public_id=public_id)
    signup = selectors.volunteer_signup_own(user=request.user, activity=activity)
    if signup is None:
        messages.error(request, _("You are not signed up for this activity."))
    else:
        try:
            steps.volunteer_sign_up_cancel(user=request.user, signup=signup)
        except ValidationError as exc:
            messages.error(request, _message(exc))
        else:
            messages.success(request, _("Your place is given back."))
    return redirect("participation:volunteer_activity", public_id=activity.public_id)


@login_required
def my_volunteering(request):
    """The person's own sign-ups and confirmed hours per year."""
    signups = selectors.volunteer_signups_own(user=request.user)
    page = Paginator(signups, 20).get_page(request.GET.get("page"))
    context = {"page": page, "years": selectors.volunteer_hours_own_by_year(user=request.user)}
    return render(request, "participation/volunteering/mine.html", context)


@login_required
def my_points(request):
    """Balance, the ledger newest first, redemptions with their pickup codes, and what the
    resident's community offers."""
    grid = selectors.resident_grid(user=request.user)
    page = Paginator(selectors.points_entries_own(user=request.user), 20).get_page(request.GET.get("page"))
    context = {
        "balance": selectors.points_balance(user=request.user),
        "page": page,
        "redemptions": list(selectors.redemptions_own(user=request.user)[:20]),
        "items": list(selectors.redemption_items_for_resident(grid=grid)),
        "grid": grid,
    }
    return render(request, "participation/volunteering/points.html", context)


@require_POST
@login_required
def redeem(request, public_id):
    grid = selectors.resident_grid(user=request.user)
    item = selectors.redemption_item_get_for_resident(grid=grid, public_id=public_id)
    try:
        redemption = points_steps.redemption_create(user=request.user, item=item)
    except ValidationError as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(
            request,
            _("Redeemed. Show the pickup code %(code)s at your community office.") % {"code": redemption.pickup_code},
        )
    return redirect("participation:my_points")


# --- staff ----------------------------------------------------------------------------------------


@organiser_required
def manage_activities(request):
    activities = selectors.volunteer_activities_for_staff(user=request.user).select_related("created_by")
    page = Paginator(activities, 20).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "keeps_items": has_role(request.user, points_steps.REDEMPTION_STAFF_ROLES),
        "sees_hours": is_area_organiser(request.user),
    }
    return render(request, "participation/volunteering/manage_list.html", context)


@organiser_required
def manage_new(request):
    areas = selectors.staff_activity_areas(user=request.user)
    form = VolunteerActivityForm(request.POST or None, areas=areas, organisers=organiser_choices(request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            activity = steps.volunteer_activity_create(
                actor=request.user,
                area=data["area"],
                title=data["title"],
                place=data["place"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                slots=data["slots"],
                points_per_hour=data["points_per_hour"],
                description=data["description"],
                organiser=data["organiser"],
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("The activity is posted."))
            return redirect("participation:volunteer_activity", public_id=activity.public_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "participation/volunteering/manage_new.html", {"form": form}, status=status)


@require_POST
@organiser_required
def manage_cancel(request, public_id):
    activity, manages = selectors.volunteer_activity_get(user=request.user, public_id=public_id)
    if not manages:
        messages.error(request, _("This activity is outside your area."))
    else:
        try:
            steps.volunteer_activity_cancel(actor=request.user, activity=activity)
        except ValidationError as exc:
            messages.error(request, _message(exc))
        else:
            messages.success(request, _("The activity is cancelled."))
    return redirect("participation:volunteer_activity", public_id=activity.public_id)


@require_POST
@organiser_required
def confirm_hours(request, public_id):
    signup = selectors.volunteer_signup_get_for_staff(user=request.user, public_id=public_id)
    form = HoursForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the hours as a number, e.g. 2 or 1.5."))
    else:
        try:
            steps.volunteer_hours_confirm(actor=request.user, signup=signup, hours=form.cleaned_data["hours"])
        except ValidationError as exc:
            messages.error(request, _message(exc))
        else:
            messages.success(request, _("Hours confirmed; the points are credited."))
    return redirect("participation:volunteer_activity", public_id=signup.activity.public_id)


@require_POST
@role_required(PARTICIPATION_ORGANISER_ROLES)
def adjust_points(request, public_id):
    """Staff correct a volunteer's points (e.g. hours confirmed wrongly) with an adjusting entry."""
    signup = selectors.volunteer_signup_get_for_staff(user=request.user, public_id=public_id)
    form = AdjustForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a number of points other than 0, at most 10,000 either way, and why."))
    else:
        try:
            points_steps.points_adjust(
                actor=request.user,
                user=signup.user,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            messages.error(request, _message(exc))
        else:
            messages.success(request, _("The points are corrected."))
    return redirect("participation:volunteer_activity", public_id=signup.activity.public_id)


@role_required(PARTICIPATION_ORGANISER_ROLES)
def hours_report(request):
    """Confirmed hours in a year per community and per resident, in the staff member's area."""
    form = YearForm(request.GET or None, initial={"year": timezone.localdate().year})
    year = form.cleaned_data["year"] if form.is_bound and form.is_valid() else timezone.localdate().year
    report = selectors.volunteer_hours_report(user=request.user, year=year)
    return render(request, "participation/volunteering/hours.html", {"form": form, "report": report})


@role_required(points_steps.REDEMPTION_STAFF_ROLES)
def manage_items(request):
    communities = selectors.staff_communities(user=request.user)
    form = RedemptionItemCreateForm(request.POST or None, communities=communities)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            points_steps.redemption_item_create(
                actor=request.user,
                community=data["community"],
                name=data["name"],
                points_cost=data["points_cost"],
                stock=data["stock"],
                description=data["description"],
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("The item is added."))
            return redirect("participation:points_manage")
    context = {
        "form": form,
        "items": list(selectors.redemption_items_for_staff(user=request.user)[:200]),
        "awaiting": list(selectors.redemptions_awaiting_for_staff(user=request.user)[:200]),
        "pickup_form": PickupForm(),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "participation/volunteering/manage_items.html", context, status=status)


@role_required(points_steps.REDEMPTION_STAFF_ROLES)
def manage_item(request, public_id):
    item = selectors.redemption_item_get_for_staff(user=request.user, public_id=public_id)
    initial = {
        "name": item.name,
        "points_cost": item.points_cost,
        "stock": item.stock,
        "description": item.description,
        "is_active": item.is_active,
    }
    form = RedemptionItemUpdateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            points_steps.redemption_item_update(
                actor=request.user,
                item=item,
                name=data["name"],
                points_cost=data["points_cost"],
                stock=data["stock"],
                is_active=data["is_active"],
                description=data["description"],
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("The item is saved."))
            return redirect("participation:points_manage")
    status = 400 if request.method == "POST" else 200
    return render(request, "participation/volunteering/manage_item.html", {"form": form, "item": item}, status=status)


@require_POST
@role_required(points_steps.REDEMPTION_STAFF_ROLES)
def hand_over(request, public_id):
    redemption = selectors.redemption_get_for_staff(user=request.user, public_id=public_id)
    form = PickupForm(request.POST)
    try:
        points_steps.redemption_hand_over(
            actor=request.user,
            redemption=redemption,
            pickup_code=form.data.get("pickup_code", ""),
        )
    except ValidationError as exc:
        messages.error(request, _message(exc))
    else:
        messages.success(request, _("Handed over."))
    return redirect("participation:points_manage")
