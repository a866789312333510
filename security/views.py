from django.core.paginator import Paginator
from django.shortcuts import render

from security.decorators import role_required
from security.roles import AUDIT_READER_ROLES
from security.selectors import audit_actions, audit_events_for_user


@role_required(AUDIT_READER_ROLES)
def audit_log(request):
    action = request.GET.get("action", "")
    events = audit_events_for_user(user=request.user, action=action)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "security/audit_log.html", {"page": page, "action": action, "actions": audit_actions()})
