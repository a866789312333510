import json

from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from security.alerts import alert_acknowledge, alert_kind_label, alert_search_query
from security.audit_actions import action_label
from security.decorators import role_required
from security.forms import AuditSearchForm
from security.models import AuditEvent
from security.roles import AUDIT_READER_ROLES
from security.selectors import alert_get_for_user, alerts_for_user, audit_event_get_for_user, audit_events_for_user

EVENTS_PER_PAGE = 50
ALERTS_ON_THE_DESK = 10


def _labelled_alerts(alerts):
    for alert in alerts:
        alert.kind_label = alert_kind_label(alert.kind)
        alert.search_query = alert_search_query(alert)
        alert.details_text = json.dumps(alert.details, indent=2, ensure_ascii=False, sort_keys=True)
    return alerts


@never_cache
@role_required(AUDIT_READER_ROLES)
def audit_log(request):
    """The auditor's desk: open alerts, and the audit log searched by the form's conditions."""
    form = AuditSearchForm(request.GET or None, user=request.user)
    if form.is_bound and not form.is_valid():
        events = AuditEvent.objects.none()  # a bad condition is reported, not half-applied
    else:
        events = audit_events_for_user(user=request.user, search=form.search() if form.is_bound else None)
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    for event in page:
        event.action_label = action_label(event.action)
    open_alerts = _labelled_alerts(
        list(alerts_for_user(user=request.user).filter(acknowledged_at__isnull=True)[:ALERTS_ON_THE_DESK])
    )
    return render(request, "security/audit_log.html", {"page": page, "form": form, "open_alerts": open_alerts})


@never_cache
@role_required(AUDIT_READER_ROLES)
def audit_event_detail(request, pk: int):
    event = audit_event_get_for_user(user=request.user, pk=pk)
    event.action_label = action_label(event.action)
    details = json.dumps(event.details, indent=2, ensure_ascii=False, sort_keys=True)
    return render(request, "security/audit_event.html", {"event": event, "details": details})


@never_cache
@role_required(AUDIT_READER_ROLES)
def alert_list(request):
    page = Paginator(alerts_for_user(user=request.user), EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    _labelled_alerts(page)
    return render(request, "security/alerts.html", {"page": page})


@require_POST
@role_required(AUDIT_READER_ROLES)
def alert_acknowledge_view(request, pk: int):
    alert = alert_get_for_user(user=request.user, pk=pk)
    alert_acknowledge(alert=alert, actor=request.user)
    return redirect("security:alerts" if request.POST.get("back") == "alerts" else "security:audit_log")
