"""The import pages of a provider department's officers: push a file, watch its progress, download
the report of rejected rows, run it again after a failure."""

import csv

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.spreadsheet import spreadsheet_safe
from exchange.imports.forms import ImportUploadForm
from exchange.imports.selectors import (
    failed_batches,
    import_get_for_user,
    import_progress,
    importable_for_user,
    imports_for_user,
    rejection_report_rows,
    rejections_of,
)
from exchange.imports.services import MAX_FILE_BYTES, dataset_import_create, dataset_import_resume
from exchange.models import ImportChannel, ImportStatus
from security.decorators import role_required
from security.models import Role

PAGE_SIZE = 50
REJECTIONS_SHOWN = 100
# While an import runs its page reloads itself this often (seconds) to show the progress.
REFRESH_SECONDS = 3


@role_required({Role.DEPARTMENT_OFFICER})
def import_list(request):
    form = ImportUploadForm(request.POST or None, request.FILES or None, targets=importable_for_user(user=request.user))
    if request.method == "POST" and form.is_valid():
        dataset, organisation = form.targets[form.cleaned_data["target"]]
        uploaded = form.cleaned_data["file"]
        try:
            if uploaded.size > MAX_FILE_BYTES:
                raise ValidationError(_("The file is larger than 64 MB; split it into several imports."))
            dataset_import = dataset_import_create(
                actor=request.user,
                organisation=organisation,
                dataset=dataset,
                file_name=uploaded.name,
                content=uploaded.read(),
                channel=ImportChannel.UPLOAD,
                file_format=form.cleaned_data["file_format"],
            )
        except (PermissionDenied, ValidationError) as exc:
            form.add_service_errors(exc.messages if isinstance(exc, ValidationError) else [str(exc)])
        else:
            messages.success(request, _("The file is received; its import has started."))
            return redirect("exchange:import_detail", dataset_import.public_id)
    page = Paginator(imports_for_user(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "exchange/imports/import_list.html", {"form": form, "page": page})


@role_required({Role.DEPARTMENT_OFFICER})
def import_detail(request, public_id):
    dataset_import = import_get_for_user(user=request.user, public_id=public_id)
    context = {
        "item": dataset_import,
        "progress": import_progress(dataset_import=dataset_import),
        "failed_batches": list(failed_batches(dataset_import=dataset_import)),
        "rejections": list(rejections_of(dataset_import=dataset_import)[:REJECTIONS_SHOWN]),
        "rejections_shown": REJECTIONS_SHOWN,
        "refresh_seconds": REFRESH_SECONDS if dataset_import.is_active else None,
        "can_resume": dataset_import.status == ImportStatus.FAILED,
    }
    return render(request, "exchange/imports/import_detail.html", context)


class _Echo:
    def write(self, value):
        return value


def rejection_report_response(dataset_import) -> StreamingHttpResponse:
    """The rejected rows as CSV (with a byte-order mark, so Excel opens the Chinese correctly)."""
    writer = csv.writer(_Echo())

    def lines():
        yield "\ufeff" + writer.writerow([_("Line"), _("Column"), _("Reason")])
        for row in rejection_report_rows(dataset_import=dataset_import):
            yield writer.writerow([spreadsheet_safe(cell) for cell in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    name = f"import-{str(dataset_import.public_id)[:8]}-rejected-rows.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@role_required({Role.DEPARTMENT_OFFICER})
@reauthentication_required
def import_report(request, public_id):
    return rejection_report_response(import_get_for_user(user=request.user, public_id=public_id))


@require_POST
@role_required({Role.DEPARTMENT_OFFICER})
def import_resume(request, public_id):
    dataset_import = import_get_for_user(user=request.user, public_id=public_id)
    try:
        dataset_import_resume(actor=request.user, dataset_import=dataset_import)
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))
    else:
        messages.success(request, _("The failed batches are queued again."))
    return redirect("exchange:import_detail", dataset_import.public_id)
