"""The indicator system's and the assessment rounds' pages."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from programme import assessment_selectors as selectors


@login_required
def report_detail(request, pk: int):
    report = selectors.report_get_for_user(user=request.user, pk=pk)
    return render(request, "programme/assessment/report.html", {"report": report})
