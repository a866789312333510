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


def _labelled_code(code: str) -> str:
    label = action_label(code)
    return code if label == code else f"{label} ({code})"


def readable_details(value):
    """An event's or alert's details as the auditor reads them: each action code (under "action" or
    "actions") by its readable name, the code after it for searching."""
    if isinstance(value, dict):
        return {
            key: (
                _labelled_code(item)
                if key == "action" and isinstance(item, str)
                else [_labelled_code(code) if isinstance(code, str) else code for code in item]
                if key == "actions" and isinstance(item, list)
                else readable_details(item)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [readable_details(item) for item in value]
    return value


def _details_text(details) -> str:
    return json.dumps(readable_details(details), indent=2, ensure_ascii=False, sort_keys=True)


def _labelled_alerts(alerts):
    for alert in alerts:
        alert.kind_label = alert_kind_label(alert.kind)
        alert.search_query = alert_search_query(alert)
        alert.details_text = _details_text(alert.details)
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
    details = _details_text(event.details)
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
