"""Training pages: the course list (workers enrol), a course (managers and 民政 record completions),
a new course (民政), and the public certificate check (no sign-in)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.forms import form_add_service_errors
from core.throttle import take_call
from security.decorators import role_required
from security.request_context import client_address
from security.roles import WORKER_ROLES, WORKFORCE_RULES_ROLES
from security.scoping import has_role
from workforce import selectors, training
from workforce.models import Post, WorkerProfile
from workforce.models_training import Course, Enrolment


class CourseForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=training.TITLE_MAX)
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Course.Kind.choices)
    starts_at = forms.DateTimeField(
        label=gettext_lazy("Time (for a session)"),
        required=False,
        # The format a datetime-local input reads, so an edit shows the session's time.
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    place = forms.CharField(label=gettext_lazy("Place (for a session)"), required=False, max_length=training.PLACE_MAX)
    required_posts = forms.MultipleChoiceField(
        label=gettext_lazy("Required for"), choices=Post.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    validity_months = forms.IntegerField(
        label=gettext_lazy("Certificate valid for (months; empty: no expiry)"), required=False, min_value=1
    )


class ScoreForm(forms.Form):
    score = forms.IntegerField(label=gettext_lazy("Score (0–100)"), min_value=0, max_value=100)


def _may_see_training(user) -> bool:
    return has_role(user, WORKER_ROLES) or has_role(user, WORKFORCE_RULES_ROLES) or selectors.is_manager(user)


@login_required
def course_list(request):
    if not _may_see_training(request.user):
        raise PermissionDenied
    return render(
        request,
        "workforce/training/list.html",
        {
            "courses": list(training.courses_for(request.user)),
            "may_enrol": WorkerProfile.objects.filter(user_id=request.user.pk).exists(),
            "may_create": has_role(request.user, WORKFORCE_RULES_ROLES),
        },
    )


@role_required(WORKFORCE_RULES_ROLES)
def course_new(request):
    form = CourseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            course = training.course_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(request, _("The course is published."))
            return redirect("workforce:training_course", course.pk)
    return render(request, "workforce/training/course_form.html", {"form": form, "course": None})


@login_required
def course_edit(request, course_id: int):
    if not training.may_edit_course(request.user):
        raise PermissionDenied
    course = get_object_or_404(Course, pk=course_id)
    initial = {
        "title": course.title,
        "description": course.description,
        "kind": course.kind,
        "starts_at": course.starts_at,
        "place": course.place,
        "required_posts": course.required_posts,
        "validity_months": course.validity_months,
    }
    form = CourseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            training.course_update(actor=request.user, course=course, **form.cleaned_data)
        except ValidationError as error:
            form_add_service_errors(form, error)
        else:
            messages.success(request, _("The course is saved."))
            return redirect("workforce:training_course", course.pk)
    return render(request, "workforce/training/course_form.html", {"form": form, "course": course})


@login_required
def course_detail(request, course_id: int):
    if not _may_see_training(request.user):
        raise PermissionDenied
    course = get_object_or_404(Course, pk=course_id)
    mine = list(
        Enrolment.objects.filter(course=course, profile__user_id=request.user.pk)
        .select_related("certificate")
        .order_by("-enrolled_at", "-id")
    )
    enrolments = list(training.enrolments_visible(request.user, course))
    session_begun = course.kind == Course.Kind.SESSION and course.starts_at and course.starts_at <= timezone.now()
    return render(
        request,
        "workforce/training/course.html",
        {
            "course": course,
            "mine": mine[0] if mine else None,
            "earlier": mine[1:],
            "may_enrol": training.may_enrol(request.user, course),
            "may_edit": training.may_edit_course(request.user),
            "enrolments": enrolments,
            "awaiting_attendance": [e for e in enrolments if e.completed_on is None] if session_begun else [],
            "is_session": course.kind == Course.Kind.SESSION,
            "score_form": ScoreForm(),
            "pass_mark": training.PASS_MARK,
        },
    )


@require_POST
@login_required
def attendance(request, course_id: int):
    course = get_object_or_404(Course, pk=course_id)
    ids = request.POST.getlist("attended")
    try:
        if not all(value.isdigit() for value in ids):
            raise ValidationError(_("Choose from the workers listed."))
        done = training.attendance_record(actor=request.user, course=course, attended_ids={int(v) for v in ids})
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if done["attended"] or done["not_attended"]:
            messages.success(request, _("Attendance is saved."))
        else:
            messages.info(request, _("Nothing changed."))
    return redirect("workforce:training_course", course.pk)


@require_POST
@login_required
def enrol(request):
    course_id = request.POST.get("course") or ""
    course = Course.objects.filter(pk=course_id).first() if course_id.isdigit() else None
    try:
        training.enrol(actor=request.user, course=course)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("workforce:training")
    messages.success(request, _("You are enrolled."))
    return redirect("workforce:training_course", course.pk)


@require_POST
@login_required
def complete(request, enrolment_id: int):
    enrolment = get_object_or_404(Enrolment.objects.select_related("profile"), pk=enrolment_id)
    if not training.may_record(request.user, enrolment.profile):
        raise Http404
    form = ScoreForm(request.POST)
    if form.is_valid():
        try:
            certificate = training.completion_record(
                actor=request.user, enrolment=enrolment, score=form.cleaned_data["score"]
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            if certificate:
                messages.success(request, _("Passed: certificate %(code)s issued.") % {"code": certificate.code})
            else:
                messages.success(request, _("Completion recorded, below the pass mark: no certificate."))
    else:
        for error in form.errors.values():
            messages.error(request, " ".join(error))
    return redirect("workforce:training_course", enrolment.course_id)


# Checks of a code per client address and window: plenty for an employer with a pile of certificates,
# far too few to guess a 12-character code.
VERIFY_LIMIT = 20
VERIFY_WINDOW_SECONDS = 10 * 60


def verify(request):
    """Public: anyone checks a certificate's code and sees the holder's name, the course and dates.
    Checks are counted per client address (core.throttle); over the limit the page says when to
    try again (429) and looks nothing up."""
    code = (request.GET.get("code") or "").strip()
    found = None
    if code:
        address = client_address.get() or request.META.get("REMOTE_ADDR", "")
        allowed, seconds_left = take_call(
            f"certificate-verify:{address}", limit=VERIFY_LIMIT, window_seconds=VERIFY_WINDOW_SECONDS
        )
        if not allowed:
            minutes = max(1, (seconds_left + 59) // 60)
            response = render(
                request,
                "workforce/training/verify.html",
                {"code": code[:40], "throttled": True, "minutes": minutes},
                status=429,
            )
            response["Retry-After"] = str(seconds_left)
            return response
        found = training.certificate_by_code(code)
    return render(request, "workforce/training/verify.html", {"code": code[:40], "found": found})
