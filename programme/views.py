"""The programme's home page: the ways in for the reader's roles."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from programme.access import may_use_programme
from security.roles import (
    ASSESSMENT_CHECK_ROLES,
    ASSESSMENT_REPORT_ROLES,
    PROGRAMME_DISTRICT_ROLES,
    PROGRAMME_OFFICER_ROLES,
)
from security.scoping import has_role


@login_required
def home(request):
    if not may_use_programme(request.user):
        raise PermissionDenied
    user = request.user
    return render(
        request,
        "programme/home.html",
        {
            "registers_projects": has_role(user, PROGRAMME_OFFICER_ROLES),
            "runs_assessment": has_role(user, PROGRAMME_DISTRICT_ROLES),
            "checks_reports": has_role(user, ASSESSMENT_CHECK_ROLES),
            "reports_indicators": has_role(user, ASSESSMENT_REPORT_ROLES),
        },
    )
