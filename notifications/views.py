from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from notifications.forms import PreferenceForm
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
        form = PreferenceForm(initial={"email": preference.email, "sms": preference.sms})
    return render(request, "notifications/preferences.html", {"form": form, "preference": preference})
