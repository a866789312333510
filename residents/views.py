from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.forms import form_add_service_errors
from residents.data_rights import consent_purposes
from residents.data_rights import sections as data_sections
from residents.forms import (
    AccountDeleteForm,
    CorrectionDecisionForm,
    CorrectionForm,
    MoveInForm,
    RegisterDateForm,
    ResidentEditForm,
    ResidentForm,
    RevealForm,
    VerificationCodeForm,
    VerificationDecisionForm,
    VerificationInPersonForm,
)
from residents.models import CorrectionRequest
from residents.readable import readable_sections
from residents.selectors import (
    correction_get_for_user,
    corrections_for_user,
    data_uses_of_user,
    household_get_for_registrar,
    own_corrections,
    register_conflict_get_for_user,
    register_conflicts_for_user,
    register_grids,
    resident_get_for_registrar,
    resident_get_for_user,
    resident_own_profile,
    resident_query_is_a_number,
    resident_search,
    verification_communities,
    verification_desk_grids,
    verification_failed_tries_for_user,
    verification_get_for_user,
    verification_household_in_community,
    verifications_own,
    verifications_pending_for_user,
)
from residents.services import (
    account_delete,
    account_self_deletable,
    can_edit_register,
    can_end_verification,
    can_reveal,
    consent_give,
    consent_withdraw,
    correction_apply,
    correction_open,
    correction_refuse,
    correction_request_file,
    household_move_in,
    household_move_out,
    personal_data_export,
    register_conflict_settle,
    register_conflict_values,
    resident_end_undo,
    resident_identity_reveal,
    resident_move_out,
    resident_record_death,
    resident_record_view,
    resident_register,
    resident_update,
    verification_approve,
    verification_approve_new_household,
    verification_approve_new_resident,
    verification_by_code,
    verification_end,
    verification_refuse,
    verification_request_in_person,
)
from security import personal_data
from security.decorators import role_required
from security.roles import AREA_ROLES, RESIDENT_REGISTRAR_ROLES
from security.scoping import has_role


@role_required(AREA_ROLES)
def staff_list(request):
    """The residents in the user's areas. The search form posts: a name search is sent on to the
    list's address (?q=, so its pages can be linked), a number search is answered from the POST, so
    an ID-card or mobile number is never in a URL (access logs, proxies, browser history). A number
    that arrives in the address anyway is not searched."""
    error, by_number = "", False
    if request.method == "POST":
        query = request.POST.get("q", "").strip()
        by_number = resident_query_is_a_number(query)
        if not by_number:
            address = reverse("residents:staff_list")
            return redirect(f"{address}?{urlencode({'q': query})}" if query else address)
    else:
        query = request.GET.get("q", "").strip()
        if resident_query_is_a_number(query):
            # Not searched, and sent on to the plain list so the page and its links do not repeat it.
            messages.error(
                request,
                _("ID-card and mobile numbers are searched with the search button only, never from the address."),
            )
            return redirect("residents:staff_list")
    try:
        residents = resident_search(user=request.user, query=query)
    except ValidationError as exc:
        residents, error, by_number = resident_search(user=request.user, query=""), exc.messages[0], False
    # A number's few matches fit one page; the page links (?page=) then never carry it.
    page = Paginator(residents, 50).get_page(1 if by_number else request.GET.get("page"))
    context = {
        "page": page,
        "query": "" if by_number else query,
        "error": error,
        "by_number": by_number,
        "can_register": has_role(request.user, RESIDENT_REGISTRAR_ROLES),
    }
    return render(request, "residents/staff_list.html", context)


@login_required
def resident_detail(request, public_id):
    profile = resident_get_for_user(user=request.user, public_id=public_id)
    resident_record_view(actor=request.user, profile=profile)
    return render(
        request,
        "residents/resident_detail.html",
        {
            "profile": profile,
            "can_reveal": can_reveal(actor=request.user, profile=profile),
            # Staff say why they reveal; the resident looking at their own record does not.
            "reveal_form": RevealForm() if profile.user_id != request.user.pk else None,
            "can_end_verification": can_end_verification(actor=request.user, profile=profile),
            "can_edit": can_edit_register(actor=request.user, profile=profile),
        },
    )


@require_POST
@role_required(RESIDENT_REGISTRAR_ROLES)
def resident_verification_end(request, public_id):
    """The resident has moved out: their account no longer acts for the household."""
    profile = resident_get_for_user(user=request.user, public_id=public_id)
    try:
        verification_end(actor=request.user, profile=profile)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The verification has ended; the account is no longer linked to this resident."))
    return redirect("residents:detail", public_id=profile.public_id)


@require_POST
@login_required
@reauthentication_required
def resident_reveal(request, public_id):
    profile = resident_get_for_user(user=request.user, public_id=public_id)
    form = RevealForm(request.POST)
    try:
        revealed = resident_identity_reveal(actor=request.user, profile=profile, **form.arguments())
    except ValidationError as exc:
        form_add_service_errors(form, exc)
        context = {"profile": profile, "can_reveal": True, "reveal_form": form}
        return render(request, "residents/resident_detail.html", context, status=400)
    return render(
        request, "residents/resident_detail.html", {"profile": profile, "can_reveal": True, "revealed": revealed}
    )


@login_required
def my_profile(request):
    return render(request, "residents/my_profile.html", {"profile": resident_own_profile(user=request.user)})


# --- a resident's rights over their data (PIPL art. 44–47) ---------------------------------------
@login_required
@reauthentication_required
def my_data(request):
    data = personal_data_export(user=request.user, fmt="page")
    return render(
        request, "residents/my_data.html", {"sections": readable_sections(data), "generated_at": data["generated_at"]}
    )


@login_required
@reauthentication_required
def my_data_download(request):
    data = personal_data_export(user=request.user, fmt="json")
    response = JsonResponse(data, encoder=DjangoJSONEncoder, json_dumps_params={"ensure_ascii": False, "indent": 2})
    stamp = timezone.localtime(data["generated_at"]).strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="my-data-{stamp}.json"'
    return response


@login_required
def data_uses(request):
    return render(request, "residents/data_uses.html", {"uses": data_uses_of_user(user=request.user)})


@login_required
def my_corrections(request):
    profile = resident_own_profile(user=request.user)
    form = CorrectionForm(request.POST or None)
    if request.method == "POST" and profile is not None and form.is_valid():
        try:
            correction_request_file(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Your request is sent to your community. Its answer will appear here."))
            return redirect("residents:my_corrections")
    return render(
        request,
        "residents/my_corrections.html",
        {"profile": profile, "form": form, "corrections": own_corrections(user=request.user)},
    )


@login_required
def my_consents(request):
    if request.method == "POST":
        action = request.POST.get("action")
        purpose = str(request.POST.get("purpose", ""))
        try:
            if action == "withdraw":
                consent_withdraw(user=request.user, purpose=purpose)
                messages.success(request, _("Your consent is withdrawn."))
            elif action == "give":
                consent_give(user=request.user, purpose=purpose)
                messages.success(request, _("Your consent is recorded."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("residents:my_consents")
    consents = []
    for consent in consent_purposes():
        state = consent.given(request.user)
        if state is not None:
            consents.append({"definition": consent, "given": state[0], "since": state[1]})
    return render(request, "residents/my_consents.html", {"consents": consents})


@login_required
def account_delete_view(request):
    deletable = account_self_deletable(request.user)
    form = AccountDeleteForm(request.POST or None)
    if request.method == "POST" and deletable and form.is_valid():
        try:
            account_delete(user=request.user, password=form.cleaned_data["password"])
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            # Not logout(): its signal would record the sign-out under the old name, which the
            # deletion has just erased. Other sessions end on their next request (see account_delete).
            request.session.flush()
            request.user = AnonymousUser()
            messages.success(request, _("Your account is deleted. Thank you for using the portal."))
            return redirect("portal:home")
    kept = [(section.title, section.kept_after_deletion) for section in data_sections() if section.kept_after_deletion]
    return render(request, "residents/account_delete.html", {"form": form, "deletable": deletable, "kept": kept})


# --- staff: the correction queue ----------------------------------------------------------------
@role_required(RESIDENT_REGISTRAR_ROLES)
def correction_queue(request):
    status = request.GET.get("status", CorrectionRequest.Status.PENDING)
    if status not in CorrectionRequest.Status.values:
        status = CorrectionRequest.Status.PENDING
    page = Paginator(corrections_for_user(user=request.user, status=status), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "residents/correction_queue.html",
        {"page": page, "status": status, "statuses": CorrectionRequest.Status.choices},
    )


@role_required(RESIDENT_REGISTRAR_ROLES)
def correction_detail(request, public_id):
    correction = correction_get_for_user(user=request.user, public_id=public_id)
    form = CorrectionDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        decide = {"apply": correction_apply, "refuse": correction_refuse}.get(request.POST.get("decision", ""))
        if decide is None:
            form.add_error(None, _("Choose to correct the record or not."))
        else:
            try:
                decide(actor=request.user, correction=correction, reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                messages.success(request, _("Your decision is recorded; the resident sees it on their page."))
                return redirect("residents:correction_queue")
    proposed = ""
    if correction.status == CorrectionRequest.Status.PENDING:
        proposed = correction_open(actor=request.user, correction=correction)
    return render(
        request, "residents/correction_detail.html", {"correction": correction, "proposed": proposed, "form": form}
    )


# --- residency verification ----------------------------------------------------------------------
@login_required
def my_verification(request):
    """The person's own verification status, with both ways to ask."""
    profile = resident_own_profile(user=request.user)
    communities = list(verification_communities())
    posted = request.POST.get("method") if request.method == "POST" else None
    code_form = VerificationCodeForm(request.POST if posted == "code" else None)
    person_form = VerificationInPersonForm(request.POST if posted == "in_person" else None, communities=communities)
    if posted == "code" and code_form.is_valid():
        try:
            verification = verification_by_code(
                user=request.user,
                household_code=code_form.cleaned_data["household_code"],
                id_number=code_form.cleaned_data["id_number"],
            )
        except ValidationError as exc:
            form_add_service_errors(code_form, exc)
        else:
            if verification.status == verification.Status.APPROVED:
                messages.success(request, _("You are verified as a resident of your household."))
            else:
                messages.error(request, verification.reason)
            return redirect("residents:my_verification")
    elif posted == "in_person" and person_form.is_valid():
        chosen = next((c for c in communities if c.pk == person_form.cleaned_data["community"]), None)
        try:
            verification_request_in_person(user=request.user, community=chosen, note=person_form.cleaned_data["note"])
        except ValidationError as exc:
            form_add_service_errors(person_form, exc)
        else:
            messages.success(request, _("Your community office has your request. Bring your ID card when you visit."))
            return redirect("residents:my_verification")
    context = {
        "profile": profile,
        "verifications": verifications_own(user=request.user),
        "code_form": code_form,
        "person_form": person_form,
    }
    return render(
        request, "residents/my_verification.html", context, status=400 if posted and request.method == "POST" else 200
    )


@role_required(RESIDENT_REGISTRAR_ROLES)
def verification_queue(request):
    pending = verifications_pending_for_user(user=request.user).order_by("created_at")[:100]
    failed = verification_failed_tries_for_user(user=request.user)[:50]
    return render(request, "residents/verification_queue.html", {"pending": pending, "failed": failed})


def _renamed(exc: ValidationError, names: dict) -> ValidationError:
    """The service's error with its field names as the form calls them."""
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError({names.get(name, name): errors for name, errors in exc.error_dict.items()})


def _approve_posted(request, verification, form):
    """Approve with the ID number checked at the desk: an entry in the register is linked; with a
    name and household number, a person not yet in the register is registered and linked; with a
    name and an address, their household is registered too."""
    data = form.cleaned_data
    if data["address"].strip() or data["new_household_code"].strip():
        try:
            return verification_approve_new_household(
                actor=request.user,
                verification=verification,
                address=data["address"],
                grid=form.chosen_grid(),
                household_code=data["new_household_code"],
                full_name=data["full_name"],
                id_card_number=data["id_number"],
                phone=data["phone"],
            )
        except ValidationError as exc:
            raise _renamed(exc, {"household_code": "new_household_code", "id_card_number": "id_number"}) from None
    if data["full_name"].strip():
        household = verification_household_in_community(
            user=request.user, verification=verification, household_code=data["household_code"]
        )
        if household is None:
            raise ValidationError(
                {"household_code": _("No household with this number in your area of this community.")}
            )
        try:
            return verification_approve_new_resident(
                actor=request.user,
                verification=verification,
                household=household,
                full_name=data["full_name"],
                id_card_number=data["id_number"],
                phone=data["phone"],
            )
        except ValidationError as exc:
            raise _renamed(exc, {"id_card_number": "id_number"}) from None
    if not resident_query_is_a_number(data["id_number"]):
        raise ValidationError({"id_number": _("Enter the full ID-card number you checked.")})
    try:
        personal_data.normalise_id_card(data["id_number"])
    except ValidationError as exc:
        raise ValidationError({"id_number": exc.messages}) from None
    profile = resident_search(user=request.user, query=data["id_number"]).first()
    if profile is None:
        raise ValidationError(
            {"id_number": _("No resident with this ID-card number in your area. Register them below instead.")}
        )
    return verification_approve(actor=request.user, verification=verification, profile=profile)


@role_required(RESIDENT_REGISTRAR_ROLES)
def verification_detail(request, public_id):
    verification = verification_get_for_user(user=request.user, public_id=public_id)
    grids = verification_desk_grids(user=request.user, verification=verification)
    form = VerificationDecisionForm(request.POST or None, grids=grids)
    if request.method == "POST" and form.is_valid():
        decision = request.POST.get("decision", "")
        try:
            if decision == "approve":
                _approve_posted(request, verification, form)
            elif decision == "refuse":
                verification_refuse(actor=request.user, verification=verification, reason=form.cleaned_data["reason"])
            else:
                raise ValidationError(_("Choose to verify the person or not."))
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("Your decision is recorded; the person sees it on their page."))
            return redirect("residents:verification_queue")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "residents/verification_detail.html", {"verification": verification, "form": form}, status=status
    )


# --- the register, kept by the grid's staff ------------------------------------------------------
@role_required(RESIDENT_REGISTRAR_ROLES)
def register_move_in(request):
    """A household that moved in, registered with its first resident."""
    form = MoveInForm(request.POST or None, grids=register_grids(user=request.user))
    if request.method == "POST" and form.is_valid():
        try:
            profile = household_move_in(
                actor=request.user,
                grid=form.chosen_grid(),
                address=form.cleaned_data["address"],
                household_code=form.cleaned_data["household_code"],
                **form.arguments(),
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("The household and its resident are registered."))
            return redirect("residents:detail", public_id=profile.public_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "residents/register_form.html", {"form": form, "household": None}, status=status)


@role_required(RESIDENT_REGISTRAR_ROLES)
def household_add_resident(request, public_id):
    """Someone moving into a registered household, or a baby born into it."""
    household = household_get_for_registrar(user=request.user, public_id=public_id)
    form = ResidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            profile = resident_register(actor=request.user, household=household, **form.arguments())
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("The resident is registered."))
            return redirect("residents:detail", public_id=profile.public_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "residents/register_form.html", {"form": form, "household": household}, status=status)


@role_required(RESIDENT_REGISTRAR_ROLES)
def resident_edit(request, public_id):
    profile = resident_get_for_registrar(user=request.user, public_id=public_id)
    form = ResidentEditForm.for_profile(profile, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            changed = resident_update(actor=request.user, profile=profile, **form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            if changed:
                messages.success(request, _("The resident's record is changed."))
            else:
                messages.info(request, _("Nothing was changed."))
            return redirect("residents:detail", public_id=profile.public_id)
    status = 400 if request.method == "POST" else 200
    context = {"profile": profile, "form": form, "date_form": RegisterDateForm()}
    return render(request, "residents/resident_edit.html", context, status=status)


def _record_date(request, public_id, record, done):
    profile = resident_get_for_registrar(user=request.user, public_id=public_id)
    date_form = RegisterDateForm(request.POST)
    if date_form.is_valid():
        try:
            record(actor=request.user, profile=profile, on=date_form.cleaned_data["on"])
        except ValidationError as exc:
            form_add_service_errors(date_form, exc)
        else:
            messages.success(request, done)
            return redirect("residents:detail", public_id=profile.public_id)
    context = {"profile": profile, "form": ResidentEditForm.for_profile(profile), "date_form": date_form}
    return render(request, "residents/resident_edit.html", context, status=400)


@require_POST
@role_required(RESIDENT_REGISTRAR_ROLES)
def resident_move_out_view(request, public_id):
    return _record_date(request, public_id, resident_move_out, _("The resident is recorded as moved out."))


@require_POST
@role_required(RESIDENT_REGISTRAR_ROLES)
def household_move_out_view(request, public_id):
    """The whole household of this resident moved away."""

    def record(*, actor, profile, on):
        return household_move_out(actor=actor, household=profile.household, on=on)

    return _record_date(request, public_id, record, _("Everyone in the household is recorded as moved out."))


@require_POST
@role_required(RESIDENT_REGISTRAR_ROLES)
def resident_death_view(request, public_id):
    return _record_date(request, public_id, resident_record_death, _("The resident's death is recorded."))


@require_POST
@role_required(RESIDENT_REGISTRAR_ROLES)
def resident_end_undo_view(request, public_id):
    """A moving out or death recorded by mistake, taken back with the reason."""
    profile = resident_get_for_registrar(user=request.user, public_id=public_id)
    try:
        resident_end_undo(actor=request.user, profile=profile, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Taken back: the resident counts among those living here again."))
    return redirect("residents:edit", public_id=profile.public_id)


@role_required(RESIDENT_REGISTRAR_ROLES)
def register_conflicts(request):
    """Fields a later import wanted to change after staff had edited them, to settle one by one."""
    page = Paginator(register_conflicts_for_user(user=request.user), 50).get_page(request.GET.get("page"))
    rows = [(conflict, *register_conflict_values(conflict)) for conflict in page]
    return render(request, "residents/register_conflicts.html", {"page": page, "rows": rows})


@require_POST
@role_required(RESIDENT_REGISTRAR_ROLES)
def register_conflict_decide(request, public_id):
    conflict = register_conflict_get_for_user(user=request.user, public_id=public_id)
    decision = request.POST.get("decision", "")
    if decision not in ("keep", "take"):
        messages.error(request, _("Choose which value to keep."))
        return redirect("residents:register_conflicts")
    try:
        register_conflict_settle(actor=request.user, conflict=conflict, take_import=decision == "take")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Settled; the register shows the value you chose."))
    return redirect("residents:register_conflicts")
