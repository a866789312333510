"""The forms of the construction projects' pages; the services (programme.projects) check the rest."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from directory.models import Area, Organisation
from programme.models import AcceptanceDecision, FundingSource, ProjectSpend
from programme.project_status import STATUS_LABELS
from programme.projects import PARTNER_KINDS, PlannedMilestone

MILESTONE_ROWS = 6
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONEY = {"max_digits": 14, "decimal_places": 2}


class ProjectForm(forms.Form):
    """Registering (with the area, the planned milestones and the deliverables) or editing a project."""

    name = forms.CharField(label=_("Project name"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    area = forms.ModelChoiceField(label=_("Registered for"), queryset=Area.objects.none(), empty_label=None)
    communities = forms.ModelMultipleChoiceField(
        label=_("Communities covered"), queryset=Area.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    department = forms.ModelChoiceField(
        label=_("Responsible department"),
        queryset=Organisation.objects.filter(kind=Organisation.Kind.DEPARTMENT, is_active=True).order_by("code"),
    )
    partners = forms.ModelMultipleChoiceField(
        label=_("Partner enterprises"),
        queryset=Organisation.objects.filter(kind__in=PARTNER_KINDS, is_active=True).order_by("code"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    funding_source = forms.ChoiceField(label=_("Funding source"), choices=FundingSource.choices)
    budget = forms.DecimalField(label=_("Approved budget (yuan)"), min_value=0, **MONEY)
    deliverables = forms.CharField(
        label=_("Deliverables"),
        help_text=_("One per line."),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )

    def __init__(self, *args, areas: list[Area], editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing
        self.fields["area"].queryset = Area.objects.filter(pk__in=[a.pk for a in areas]).order_by("path")
        communities = Area.objects.none()
        for area in areas:
            communities |= Area.objects.filter(kind=Area.Kind.COMMUNITY, path__startswith=area.path)
        self.fields["communities"].queryset = communities.order_by("path")
        if editing:
            del self.fields["area"]
            del self.fields["deliverables"]
        else:
            for row in range(MILESTONE_ROWS):
                self.fields[f"milestone_name_{row}"] = forms.CharField(
                    label=_("Milestone"), max_length=200, required=False
                )
                self.fields[f"milestone_date_{row}"] = forms.DateField(
                    label=_("Planned date"), required=False, widget=DATE
                )

    def milestone_rows(self):
        return [(self[f"milestone_name_{row}"], self[f"milestone_date_{row}"]) for row in range(MILESTONE_ROWS)]

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        arguments = {
            "name": data["name"],
            "description": data["description"],
            "communities": list(data["communities"]),
            "department": data["department"],
            "partners": list(data["partners"]),
            "funding_source": data["funding_source"],
            "budget": data["budget"],
        }
        if not self.editing:
            arguments["area"] = data["area"]
            arguments["deliverables"] = data["deliverables"].splitlines()
            arguments["milestones"] = [
                PlannedMilestone(data[f"milestone_name_{row}"], data[f"milestone_date_{row}"])
                for row in range(MILESTONE_ROWS)
            ]
        return arguments


class SpendForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount (yuan)"), **MONEY)
    spent_on = forms.DateField(label=_("Date"), widget=DATE)
    purpose = forms.CharField(label=_("Purpose"), max_length=300)
    document = forms.FileField(label=_("Invoice or contract (photo or PDF)"))
    corrects = forms.ModelChoiceField(
        label=_("Corrects the entry"),
        queryset=ProjectSpend.objects.none(),
        required=False,
        help_text=_("For a correction only: a negative amount that takes back part of an earlier entry."),
    )

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["corrects"].queryset = ProjectSpend.objects.filter(project=project, amount__gt=0)


class AdjustmentForm(forms.Form):
    amount = forms.DecimalField(label=_("Change (yuan)"), help_text=_("Negative to cut the budget."), **MONEY)
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class DecisionForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        max_length=500,
        required=False,
        help_text=_("Required when refusing."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MilestoneForm(forms.Form):
    name = forms.CharField(label=_("Milestone"), max_length=200)
    planned_date = forms.DateField(label=_("Planned date"), widget=DATE)


class ReachForm(forms.Form):
    actual_date = forms.DateField(label=_("Date reached"), widget=DATE)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class DeliverableForm(forms.Form):
    name = forms.CharField(label=_("Deliverable"), max_length=200)


class DeliverForm(forms.Form):
    delivered_on = forms.DateField(label=_("Delivered on"), widget=DATE)


class DocumentForm(forms.Form):
    document = forms.FileField(label=_("Document (photo or PDF)"))


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class AcceptanceForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=AcceptanceDecision.choices, widget=forms.RadioSelect)
    acceptance_date = forms.DateField(label=_("Acceptance date"), widget=DATE)
    opinion = forms.CharField(label=_("Acceptance opinion"), widget=forms.Textarea(attrs={"rows": 4}))
    documents = MultipleFileField(label=_("Acceptance documents (photos or PDF)"))


class ProjectFilterForm(forms.Form):
    """The list's filters; a bad value is ignored (the view shows everything)."""

    status = forms.ChoiceField(label=_("Status"), required=False)
    area = forms.ModelChoiceField(
        label=_("Area"), queryset=Area.objects.none(), required=False, empty_label=_("All areas")
    )

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All statuses")), *STATUS_LABELS.items()]
        self.fields["area"].queryset = areas
