"""The exchange pages: the catalogue, agreements and their approvals, runs and the message log for
the two parties, and a resident's "who used my data"."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.forms import form_add_service_errors
from directory.models import Organisation
from exchange.forms import AgreementForm, ReasonForm
from exchange.models import Delivery
from exchange.selectors import (
    agreement_get_for_user,
    agreements_for_user,
    dataset_get_for_user,
    datasets_for_user,
    entries_for_user,
    jobs_for_agreement,
)
from exchange.services import (
    ExchangeRefused,
    agreement_approve,
    agreement_create,
    agreement_reject,
    agreement_revoke,
    agreement_submit,
    exchange_job_request,
)
from exchange.services.agreements import approvals_missing, may_approve, may_revoke, officer_of, sensitive_fields
from exchange.services.jobs import may_run
from security.decorators import role_required
from security.models import Role
from security.roles import EXCHANGE_ROLES
from security.scoping import organisation_ids

PAGE_SIZE = 50


@role_required(EXCHANGE_ROLES)
def catalogue(request):
    can_ask = bool(organisation_ids(request.user, {Role.DEPARTMENT_OFFICER}))
    return render(
        request, "exchange/catalogue.html", {"datasets": datasets_for_user(user=request.user), "can_ask": can_ask}
    )


@role_required(EXCHANGE_ROLES)
def agreement_list(request):
    page = Paginator(agreements_for_user(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "exchange/agreement_list.html", {"page": page})


@role_required({Role.DEPARTMENT_OFFICER})
def agreement_new(request, dataset):
    dataset = dataset_get_for_user(user=request.user, code=dataset)
    consumers = Organisation.objects.filter(
        pk__in=organisation_ids(request.user, {Role.DEPARTMENT_OFFICER}), kind=Organisation.Kind.DEPARTMENT
    ).exclude(pk=dataset.provider_id)
    form = AgreementForm(request.POST or None, dataset=dataset, consumers=consumers)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            agreement = agreement_create(
                actor=request.user,
                dataset=dataset,
                consumer=form.consumers[data["consumer"]],
                purpose=data["purpose"],
                legal_basis=data["legal_basis"],
                fields=data["fields"],
                masked_fields=data["masked_fields"],
                areas=list(data["areas"]),
                frequency=data["frequency"],
                payload_format=data["payload_format"],
                delivery=data["delivery"],
                push_url=data["push_url"].strip(),
                valid_from=form.moment("valid_from"),
                valid_to=form.moment("valid_to", end=True),
            )
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, _("The draft is saved. Submit it when it is complete."))
            return redirect("exchange:agreement_detail", agreement.public_id)
    return render(request, "exchange/agreement_form.html", {"form": form, "dataset": dataset})


@login_required
def agreement_detail(request, public_id):
    agreement = agreement_get_for_user(user=request.user, public_id=public_id)
    user = request.user
    jobs = list(jobs_for_agreement(agreement=agreement)[:20])
    context = {
        "agreement": agreement,
        "areas": agreement.areas.order_by("path"),
        "field_rows": _field_rows(agreement),
        "missing": approvals_missing(agreement),
        "jobs": jobs,
        "can_submit": agreement.status == "draft" and officer_of(user, agreement.consumer),
        "can_approve": may_approve(user, agreement),
        "can_reject": agreement.status == "submitted"
        and (may_approve(user, agreement) or officer_of(user, agreement.provider)),
        "can_revoke": may_revoke(user, agreement),
        "can_run": agreement.status == "active" and may_run(user, agreement),
        "reason_form": ReasonForm(),
        "pushed": agreement.delivery == Delivery.PUSH,
        "consumer_side": officer_of(user, agreement.consumer),
    }
    return render(request, "exchange/agreement_detail.html", context)


def _field_rows(agreement):
    sensitive = set(sensitive_fields(agreement))
    names = {f.code: f for f in agreement.dataset.fields.all()}
    return [
        {
            "code": code,
            "name": names[code].name if code in names else code,
            "sensitivity": names[code].get_sensitivity_display() if code in names else "",
            "sensitive": code in sensitive,
            "masked": code in agreement.masked_fields,
        }
        for code in agreement.fields
    ]


ACTIONS = {
    "submit": (lambda user, agreement, reason: agreement_submit(actor=user, agreement=agreement), False),
    "approve": (lambda user, agreement, reason: agreement_approve(actor=user, agreement=agreement), False),
    "reject": (lambda user, agreement, reason: agreement_reject(actor=user, agreement=agreement, reason=reason), True),
    "revoke": (lambda user, agreement, reason: agreement_revoke(actor=user, agreement=agreement, reason=reason), True),
    "run": (lambda user, agreement, reason: exchange_job_request(actor=user, agreement=agreement), False),
}
DONE = {
    "submit": gettext_lazy("Submitted for approval."),
    "approve": gettext_lazy("Approved."),
    "reject": gettext_lazy("Rejected."),
    "revoke": gettext_lazy("Revoked: no more data flows under this agreement."),
    "run": gettext_lazy("A run is queued; it appears below when it is done."),
}


@require_POST
@role_required({Role.DEPARTMENT_OFFICER, Role.DISTRICT_LEADER})
def agreement_action(request, public_id, action):
    agreement = agreement_get_for_user(user=request.user, public_id=public_id)
    if action not in ACTIONS:
        raise PermissionDenied
    step, needs_reason = ACTIONS[action]
    reason = ""
    if needs_reason:
        form = ReasonForm(request.POST)
        reason = form.data.get("reason", "")
    try:
        step(request.user, agreement, reason)
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("You may not do that."))
    except (ExchangeRefused, ValidationError) as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, str(DONE[action]))
    return redirect("exchange:agreement_detail", agreement.public_id)


@role_required(EXCHANGE_ROLES)
def message_log(request):
    page = Paginator(entries_for_user(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "exchange/message_log.html", {"page": page})


@login_required
def my_data(request):
    # "Who used my data" moved to the resident's own pages, which show exchanges beside staff reads.
    return redirect("residents:data_uses", permanent=True)
