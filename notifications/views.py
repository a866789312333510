from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from notifications import area_alerts
from notifications.forms import AreaAlertSettingForm, AreaFollowForm, PreferenceForm
from notifications.selectors import inbox_for_user, notification_get_for_user, notification_preference_for_user
from notifications.services import notification_mark_all_read, notification_mark_read, notification_preference_update

PAGE_SIZE = 30


@login_required
def inbox(request):
    page = Paginator(inbox_for_user(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"page": page})


@require_POST
@login_required
def notification_open(request, public_id):
    notification = notification_get_for_user(user=request.user, public_id=public_id)
    notification_mark_read(user=request.user, notification=notification)
    # Links come from our own services, but only ever follow one that stays on this site.
    if notification.link and url_has_allowed_host_and_scheme(notification.link, allowed_hosts=set()):
        return redirect(notification.link)
    return redirect("notifications:inbox")


@require_POST
@login_required
def mark_all_read(request):
    if notification_mark_all_read(user=request.user):
        messages.success(request, _("All messages are marked as read."))
    return redirect("notifications:inbox")


@login_required
def preferences(request):
    preference = notification_preference_for_user(user=request.user)
    if request.method == "POST":
        form = PreferenceForm(request.POST)
        if form.is_valid():
            try:
                notification_preference_update(user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Your notification settings are saved."))
                return redirect("notifications:preferences")
    else:
        form = PreferenceForm(
            initial={
                "email": preference.email,
                "sms": preference.sms,
                "urgent_notice_sms": preference.urgent_notice_sms,
            }
        )
    return render(request, "notifications/preferences.html", {"form": form, "preference": preference})


# --- area alerts ---------------------------------------------------------------------------------
def _area_choices() -> list[tuple[str, list[tuple[int, str]]]]:
    """Each community with its grids, grouped under the community's name."""
    groups: dict[int, tuple[str, list]] = {}
    for area in area_alerts.followable_areas().select_related("parent"):
        if area.kind == area.Kind.COMMUNITY:
            groups[area.pk] = (area.name, [(area.pk, _("%(community)s (all of it)") % {"community": area.name})])
        elif area.parent_id in groups:
            groups[area.parent_id][1].append((area.pk, area.name))
    return list(groups.values())


def _area_alert_page(request, *, follow_form=None, setting_form=None, status=200):
    user = request.user
    setting = area_alerts.area_alert_setting_for_user(user=user)
    categories = area_alerts.service_categories()
    if setting_form is None:
        setting_form = AreaAlertSettingForm(
            service_choices=categories,
            initial={
                "mode": setting.mode,
                "follows_own_grid": setting.follows_own_grid,
                "service_codes": setting.service_codes,
            },
        )
    context = {
        "setting": setting,
        "own_grids": area_alerts.own_grids(user=user),
        "subscriptions": list(area_alerts.area_subscriptions_for_user(user=user)),
        "follow_form": follow_form or AreaFollowForm(area_choices=_area_choices()),
        "setting_form": setting_form,
    }
    return render(request, "notifications/area_alerts.html", context, status=status)


@login_required
def area_alert_settings(request):
    """The page of followed areas; a POST here saves how often and which categories."""
    if request.method == "POST":
        form = AreaAlertSettingForm(request.POST, service_choices=area_alerts.service_categories())
        if form.is_valid():
            data = form.cleaned_data
            if not area_alerts.own_grids(user=request.user):
                # The box is not shown before verification: keep what will apply once verified.
                data["follows_own_grid"] = area_alerts.area_alert_setting_for_user(user=request.user).follows_own_grid
            try:
                area_alerts.area_alert_setting_update(user=request.user, **data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Your area alert settings are saved."))
                return redirect("notifications:area_alerts")
        return _area_alert_page(request, setting_form=form)
    return _area_alert_page(request)


@require_POST
@login_required
def area_follow(request):
    form = AreaFollowForm(request.POST, area_choices=_area_choices())
    if form.is_valid():
        try:
            subscription = area_alerts.area_follow(user=request.user, area_id=form.cleaned_data["area"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("You now follow %(area)s.") % {"area": subscription.area.name})
            return redirect("notifications:area_alerts")
    return _area_alert_page(request, follow_form=form)


@require_POST
@login_required
def area_unfollow(request):
    try:
        area_alerts.area_unfollow(user=request.user, area_id=request.POST.get("area"))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("You no longer follow this area."))
    return redirect("notifications:area_alerts")
