"""Helpers the project tests share (plain functions, made through the real services)."""

from datetime import date, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from programme.projects import PlannedMilestone, project_create


def pdf(name: str = "invoice.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n", content_type="application/pdf")


def days(n: int) -> date:
    return timezone.localdate() + timedelta(days=n)


def register(actor, area, communities, department, *, budget="100000.00", partners=(), milestones=None, **extra):
    return project_create(
        actor=actor,
        name=extra.pop("name", "智慧门禁改造"),
        description="为小区安装智慧门禁",
        area=area,
        communities=communities,
        department=department,
        partners=partners,
        funding_source=extra.pop("funding_source", "district_budget"),
        budget=Decimal(budget),
        milestones=milestones or [PlannedMilestone("设计", days(10)), PlannedMilestone("施工", days(40))],
        deliverables=["门禁设备 20 套"],
        **extra,
    )
